"""Every step renders for the filer of the seed case, without a console error."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from .filing import SEED_DEPARTMENT, evaluation, login, step_list, step_url

pytestmark = pytest.mark.browser

STEPS = {
    "basic": "基本情况",
    "figures": "收支数据",
    "management": "评分指标",
    "duty": "履职效能",
    "report": "报告正文",
    "review": "核对与提交",
}


def _is_favicon(message: ConsoleMessage) -> bool:
    # Chromium asks for /favicon.ico on its own; the site has none (reported separately).
    return message.location.get("url", "").endswith("/favicon.ico")


def test_each_step_renders_without_console_errors(page: Page):
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"console: {m.text} @ {m.location}")
            if m.type == "error" and not _is_favicon(m)
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    seed = evaluation(SEED_DEPARTMENT)
    login(page, "filer")

    for step, title in STEPS.items():
        response = page.goto(step_url(seed.pk, step))
        assert response is not None and response.status == 200, (step, response)
        page.wait_for_load_state("load")
        expect(step_list(page).locator("[aria-current=step]")).to_contain_text(title)
        expect(page.get_by_role("heading", level=1)).to_contain_text("2022年度部门整体支出绩效自评")
        expect(page.get_by_test_id("claimed-total")).to_have_text("97.61")
        if step == "review":
            expect(page.get_by_test_id("score-table")).to_be_visible()
        else:
            expect(page.get_by_test_id("save-draft")).to_be_visible()

    assert errors == []
