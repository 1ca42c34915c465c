"""Browser tests: Debian's chromium driven by Playwright (sync API) against pytest-django's
live_server. One browser per session, a new context per test; the demo data is seeded per test
(live_server runs on the transactional database, flushed after each test)."""

from __future__ import annotations

import os

# Playwright's sync API keeps an event loop running in the main thread; Django would otherwise
# refuse the tests' own ORM calls (seeding, DB assertions) as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def seeded_server(live_server, transactional_db):
    """The live server, with the demo data (the seed case, an empty evaluation, demo users)."""
    from evaluations.demo import seed_demo

    seed_demo()
    return live_server


@pytest.fixture
def context(browser: Browser, seeded_server) -> BrowserContext:
    ctx = browser.new_context(
        base_url=seeded_server.url, locale="zh-CN", viewport={"width": 1400, "height": 1000}
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
