"""A refused save (a format error) keeps everything the user typed and saves nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .filing import (
    EMPTY_DEPARTMENT,
    add_row,
    add_task,
    evaluation,
    exact,
    figure_input,
    fill_figures,
    fill_row,
    login,
    rows,
    step_url,
    tasks,
)

pytestmark = pytest.mark.browser


def test_figures_error_keeps_every_typed_value(page: Page):
    blank = evaluation(EMPTY_DEPARTMENT)
    version = blank.version
    login(page, "filer2")
    page.goto(step_url(blank.pk, "figures"))
    typed = {
        "adjusted_budget_total": "１９９７.１６",
        "expenditure_final_total": "1,954.07",
        "adjusted_budget_basic": "1497.73",
        "procurement_planned": "12.345",  # three decimals: refused
        "assets_total": "72.06万元",
    }
    fill_figures(page, typed)
    page.get_by_test_id("save-draft").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(page.get_by_role("alert").filter(has_text="尚未保存").first).to_be_visible()
    link = summary.get_by_role("link", name="政府采购计划金额")
    expect(link).to_have_attribute("href", "#id_procurement_planned")
    expect(summary).to_contain_text("金额（万元）最多保留2位小数")
    field = figure_input(page, "procurement_planned")
    expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#fig-procurement_planned")).to_contain_text("金额（万元）最多保留2位小数")
    for key, text in typed.items():
        expect(figure_input(page, key)).to_have_value(text)
    link.click()
    expect(field).to_be_focused()

    blank.refresh_from_db()
    assert blank.version == version
    assert not blank.figures.exclude(value=None).exists()


def test_duty_error_keeps_added_tasks_and_rows(page: Page):
    blank = evaluation(EMPTY_DEPARTMENT)
    version = blank.version
    login(page, "filer2")
    page.goto(step_url(blank.pk, "duty"))
    page.get_by_label(exact("年度整体绩效目标")).fill("全年完成各项重点工作。")
    task = add_task(page, "任务1-示例任务")
    first = {"name": "开展专题调研", "target_value": 3, "unit": "次", "points": 25}
    fill_row(rows(task).nth(0), {**first, "achieved": True})
    nameless = {"target_text": "收集提案不少于70件", "target_value": 70, "actual_value": 98}
    fill_row(add_row(task), {**nameless, "points": 20})
    fill_row(add_row(task), {"name": "提案办复满意率", "points": "五分"})
    page.get_by_test_id("save-draft").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("请填写指标名称")
    expect(summary).to_contain_text("请输入有效的分数")
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(tasks(page)).to_have_count(1)
    task = tasks(page).nth(0)
    expect(task.get_by_label(exact("任务"))).to_have_value("任务1-示例任务")
    expect(rows(task)).to_have_count(3)
    r1, r2, r3 = (rows(task).nth(i) for i in range(3))
    expect(r1.get_by_label(exact("指标"))).to_have_value("开展专题调研")
    expect(r1.get_by_label(exact("分值"))).to_have_value("25")
    expect(r1.get_by_label(exact("完成情况"))).to_have_value("yes")
    expect(r2.get_by_label(exact("指标"))).to_have_value("")
    expect(r2).to_contain_text("请填写指标名称")
    expect(r2.get_by_label(exact("年度指标值"))).to_have_value("收集提案不少于70件")
    expect(r2.get_by_label(exact("实际值"))).to_have_value("98")
    expect(r3.get_by_label(exact("指标"))).to_have_value("提案办复满意率")
    expect(r3.get_by_label(exact("分值"))).to_have_value("五分")
    expect(r3).to_contain_text("请输入有效的分数")
    expect(page.get_by_label(exact("年度整体绩效目标"))).to_have_value("全年完成各项重点工作。")

    blank.refresh_from_db()
    assert blank.version == version
    assert blank.overall_goal == ""
    assert not blank.tasks.exists()
