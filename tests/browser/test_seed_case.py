"""The whole seed case, entered through the browser by the filer of the empty evaluation,
scores exactly as the seed evaluation does."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from .filing import (
    EMPTY_DEPARTMENT,
    SEED_DEPARTMENT,
    department_figures,
    evaluation,
    fill_basic,
    fill_duty,
    fill_figures,
    fill_management,
    fill_report,
    goto_step_via_list,
    login,
    save_and_continue,
    saved_message,
    shot,
    step_list,
)

pytestmark = pytest.mark.browser


def seed_totals() -> dict:
    out = io.StringIO()
    call_command("score", SEED_DEPARTMENT, "2022", "--json", stdout=out)
    return json.loads(out.getvalue())["totals"]


def test_enter_the_whole_seed_case_through_the_ui(page: Page):
    expected = seed_totals()
    assert expected["claimed"] == "97.61"

    login(page, "filer2")
    row = page.get_by_test_id("evaluation-row").filter(has_text="2022年度")
    row.get_by_role("link", name="开始填报").click()
    expect(step_list(page).locator("[aria-current=step]")).to_contain_text("基本情况")
    expect(page.get_by_test_id("status")).to_have_text("填报中")

    fill_basic(page)
    shot(page, "seed-case-1-basic")
    save_and_continue(page, "收支数据")
    expect(saved_message(page, "基本情况")).to_be_visible()

    fill_figures(page, department_figures())
    shot(page, "seed-case-2-figures")
    goto_step_via_list(page, "评分指标")  # a link: what is typed is autosaved first

    fill_management(page)
    shot(page, "seed-case-3-management")
    save_and_continue(page, "履职效能")
    expect(saved_message(page, "评分指标")).to_be_visible()

    fill_duty(page)
    shot(page, "seed-case-4-duty")
    save_and_continue(page, "报告正文")
    expect(saved_message(page, "履职效能")).to_be_visible()

    fill_report(page)
    shot(page, "seed-case-5-report")
    goto_step_via_list(page, "核对与提交")

    expect(page.get_by_test_id("blocking")).to_have_count(0)
    expect(page.get_by_test_id("ready")).to_be_visible()
    shot(page, "seed-case-6-review-before-submit")
    dialogs: list[str] = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.get_by_test_id("submit").click()

    expect(page.get_by_test_id("status")).to_have_text("已提交")
    assert dialogs and "确定提交" in dialogs[0]
    expect(page.get_by_test_id("total-computed")).to_have_text(expected["computed"])
    expect(page.get_by_test_id("total-claimed")).to_have_text(expected["claimed"])
    expect(page.get_by_test_id("total-final")).to_have_text(expected["final"])
    shot(page, "seed-case-6-review-submitted")

    filed = evaluation(EMPTY_DEPARTMENT)
    assert filed.status == "submitted"
    assert filed.tasks.count() == 4
    assert sum(t.rows.count() for t in filed.tasks.all()) == 13
    figures = {f.key: f.value for f in filed.figures.all() if f.value is not None}
    assert str(figures["expenditure_final_total"]) == "1954.07"
    assert str(figures["adjusted_budget_total"]) == "1997.16"
    assert str(figures["initial_budget"]) == "2959.47"

    # the finance bureau approves and publishes it; nothing of the other (MoF) rubric shows
    page.context.clear_cookies()
    login(page, "reviewer")
    page.goto(f"/review/evaluations/{filed.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("已提交")
    for words in ("年度资金总额", "绩效指标完成情况分析", "偏差原因分析"):
        expect(page.locator("main")).not_to_contain_text(words)
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("approve").click()
    expect(page.get_by_text("已审核通过。")).to_be_visible()
    page.goto(f"/review/evaluations/{filed.pk}/")
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("publish").click()
    # the worker renders and stores the PDF, then publishes; the page follows (pdf_progress.js)
    expect(page.get_by_test_id("status")).to_have_text("已公开", timeout=60_000)
    shot(page, "seed-case-7-published")
    filed.refresh_from_db()
    assert filed.status == "published"
    assert filed.publications.get().size > 10_000
