"""The draft PDF (issue 13 item 9, issue 16 item 3) in a real browser with the development
task backend: 预览 PDF opens a page that shows 「正在生成 PDF……」 while the worker thread
renders, then opens the PDF by itself; a second preview of the unchanged evaluation is the
stored file at once. The renderer is a slow stub (WeasyPrint itself is tested in
tests/reports); it records the thread it ran in, which is never a request's."""

from __future__ import annotations

import re
import threading
import time

import pytest
from playwright.sync_api import Page, expect

from .filing import SEED_DEPARTMENT, evaluation, login, shot, step_url

pytestmark = pytest.mark.browser

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def thread_tasks(settings, monkeypatch):
    settings.TASKS = {
        "default": {
            "BACKEND": "evaluations.task_backends.ThreadBackend",
            "OPTIONS": {"workers": 1},
        }
    }
    threads: list[str] = []

    def slow_render(evaluation, *, draft: bool) -> bytes:
        threads.append(threading.current_thread().name)
        time.sleep(1.5)
        return MINIMAL_PDF

    monkeypatch.setattr("evaluations.reports.render_pdf", slow_render)
    return threads


def test_the_draft_preview_shows_progress_then_opens_the_pdf(page: Page, thread_tasks):
    login(page, "filer")
    seed = evaluation(SEED_DEPARTMENT)
    page.goto(step_url(seed.pk, "basic"))
    with page.context.expect_page() as opened:
        page.get_by_test_id("draft-pdf").click()
    preview = opened.value
    # the page polls the status and replaces itself with the PDF once the worker stored it
    with preview.expect_response(
        lambda r: r.headers.get("content-type") == "application/pdf", timeout=20_000
    ):
        expect(preview.get_by_text("正在生成 PDF……")).to_be_visible()
        shot(preview, "draft-pdf-progress")
    assert thread_tasks and all(name.startswith("task") for name in thread_tasks)
    # unchanged: the stored file at once, no second render
    response = page.request.get(f"/evaluations/{seed.pk}/pdf/")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body() == MINIMAL_PDF
    assert len(thread_tasks) == 1
    assert re.search(r"/evaluations/\d+/pdf/$", preview.url)
