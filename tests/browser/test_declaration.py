"""绩效目标申报 in the browser (issue 14 item 2): the filer declares a task with two rows (added
on the page), submits it; the reviewer approves it on the review page; the approved rows are
the 自评's, and changing a target there shows the reason field and refuses the save without it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from .filing import EMPTY_DEPARTMENT, evaluation, login, step_url

pytestmark = pytest.mark.browser


def test_declare_approve_then_change_a_target_with_its_reason(
    context: BrowserContext, browser: Browser, seeded_server
):
    from evaluations.models import DutyIndicator, TargetDeclaration

    blank = evaluation(EMPTY_DEPARTMENT)
    page = context.new_page()
    login(page, "filer2")
    page.goto(step_url(blank.pk, "basic"))
    page.get_by_test_id("targets-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("绩效目标申报")
    expect(page.get_by_test_id("declaration-status")).to_have_text("未填写")

    page.locator("[name=overall_goal]").fill("围绕中心工作，完成年度履职任务。")
    page.get_by_role("button", name="＋ 添加任务").click()  # adds its first row too
    page.locator("[name='tasks-0-name']").fill("任务1-加强思想政治引领")
    page.locator("[name='task-0-rows-0-name']").fill("开展政治理论学习活动")
    page.locator("[name='task-0-rows-0-target_text']").fill("不少于20次")
    page.locator("[name='task-0-rows-0-target_value']").fill("20")
    page.locator("[name='task-0-rows-0-unit']").fill("次")
    page.locator("[name='task-0-rows-0-points']").fill("30")
    page.get_by_role("button", name="＋ 添加指标").click()
    page.locator("[name='task-0-rows-1-name']").fill("提案办复率")
    page.locator("[name='task-0-rows-1-target_value']").fill("100")
    page.locator("[name='task-0-rows-1-unit']").fill("%")
    page.locator("[name='task-0-rows-1-points']").fill("20")
    expect(page.locator("[data-points-total] [data-sum]")).to_have_text("50")
    page.get_by_test_id("declaration-submit").click()
    expect(page.get_by_test_id("declaration-waiting")).to_be_visible()
    expect(page.get_by_test_id("declaration-status")).to_have_text("待批复")
    declaration = TargetDeclaration.objects.get(evaluation=blank)
    assert [r["name"] for r in declaration.tasks[0]["rows"]] == [
        "开展政治理论学习活动",
        "提案办复率",
    ]

    reviewer_ctx = browser.new_context(base_url=seeded_server.url, locale="zh-CN")
    try:
        reviewer = reviewer_ctx.new_page()
        login(reviewer, "reviewer")
        reviewer.goto(f"/review/evaluations/{blank.pk}/")
        section = reviewer.get_by_test_id("declaration")
        expect(section).to_contain_text("开展政治理论学习活动")
        section.get_by_test_id("declaration-approve").click()
        expect(reviewer.get_by_text("绩效目标申报已批复")).to_be_visible()
    finally:
        reviewer_ctx.close()

    page.goto(step_url(blank.pk, "duty"))
    first = page.locator("[data-row]").first
    expect(first.get_by_test_id("approved-target")).to_contain_text("≥")
    reason = first.locator("[name$='-target_change_reason']")
    expect(reason).to_be_hidden()
    first.locator("[name$='-target_value']").fill("15")
    expect(reason).to_be_visible()  # shown as soon as the target differs from the approved one
    first.locator("[name$='-actual_value']").fill("16")
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("请填写调整理由")
    reason = page.locator("[data-row]").first.locator("[name$='-target_change_reason']")
    expect(reason).to_be_visible()
    expect(page.locator("[data-row]").first.locator("[name$='-actual_value']")).to_have_value("16")
    reason.fill("年中调整工作安排。")
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_text("“履职效能”已保存。")).to_be_visible()
    row = DutyIndicator.objects.get(
        task__evaluation=blank, name="开展政治理论学习活动", deleted_at=None
    )
    assert (row.target_value, row.target_change_reason) == (Decimal(15), "年中调整工作安排。")
