"""A second rubric, loaded only as data (the MoF 财预〔2020〕10号 project layout): its filer
completes the report through the browser, submits; the reviewer approves and publishes. No
step, problem, header or report section of the seed's district appears on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .filing import exact, login, shot, step_list

pytestmark = pytest.mark.browser

DEPARTMENT = "demo-county-agriculture"
# words that belong to the seed's form and must not show under the other rubric
SEED_ONLY = ("履职效能", "政府采购", "采购管理情况", "年度部门整体支出规模", "预决算公开")
TEXTS = {
    "项目概况": "示范县2023年高标准农田建设项目，新建高标准农田1.2万亩。",
    "绩效目标": "新建高标准农田1.2万亩，受益农户满意度不低于90%。",
    "自评结论": "项目总体完成年度绩效目标。",
    "绩效指标完成情况分析": "产出、效益、满意度指标基本完成，竣工验收推迟。",
    "偏差原因分析": "汛期延长导致部分渠系工程停工。",
    "存在的问题及改进措施": "加强工程进度管理，落实管护经费。",
}


@pytest.fixture
def project_server(live_server, transactional_db):
    from evaluations.demo import seed_demo

    seed_demo(with_project=True)
    return live_server


def test_file_submit_approve_and_publish_under_the_second_rubric(browser, project_server):
    from evaluations.models import Evaluation

    ctx = browser.new_context(
        base_url=project_server.url, locale="zh-CN", viewport={"width": 1400, "height": 1000}
    )
    page: Page = ctx.new_page()
    login(page, "filer3")
    page.get_by_role("link", name=re.compile("开始填报|继续填报")).first.click()
    steps = step_list(page)
    for title in ("基本情况", "收支数据", "评分指标", "绩效指标", "报告正文", "核对与提交"):
        expect(steps).to_contain_text(title)
    expect(page.get_by_role("heading", level=1)).to_contain_text("2023年度项目支出绩效自评")

    steps.get_by_text("核对与提交", exact=True).click()
    blocking = page.get_by_test_id("blocking")
    expect(blocking).to_contain_text("未填写报告正文")
    for words in SEED_ONLY:
        expect(page.locator("main")).not_to_contain_text(words)

    steps.get_by_text("基本情况", exact=True).click()
    page.get_by_label(exact("项目概况")).fill(TEXTS["项目概况"])
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_text("“基本情况”已保存")).to_be_visible()

    steps.get_by_text("收支数据", exact=True).click()
    expect(page.locator("main")).to_contain_text("年度资金总额（万元）")
    expect(page.locator("main")).to_contain_text("97.10%")
    shot(page, "second-rubric-figures")

    steps.get_by_text("报告正文", exact=True).click()
    for label, text in TEXTS.items():
        if label != "项目概况":
            page.get_by_label(exact(label)).fill(text)
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_text("“报告正文”已保存")).to_be_visible()

    steps.get_by_text("核对与提交", exact=True).click()
    expect(page.get_by_test_id("blocking")).to_have_count(0)
    expect(page.get_by_test_id("total-final")).to_have_text("92.82")
    for words in SEED_ONLY:
        expect(page.locator("main")).not_to_contain_text(words)
    shot(page, "second-rubric-review-before-submit")
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("status")).to_have_text("已提交")

    reviewer = ctx.new_page()
    ctx.clear_cookies()
    login(reviewer, "reviewer")
    evaluation = Evaluation.objects.get(department__code=DEPARTMENT)
    reviewer.goto(f"/review/evaluations/{evaluation.pk}/")
    expect(reviewer.get_by_test_id("status")).to_have_text("已提交")
    for words in SEED_ONLY:
        expect(reviewer.locator("main")).not_to_contain_text(words)
    reviewer.once("dialog", lambda d: d.accept())
    reviewer.get_by_test_id("approve").click()
    expect(reviewer.get_by_text("已审核通过。")).to_be_visible()
    reviewer.goto(f"/review/evaluations/{evaluation.pk}/")
    reviewer.once("dialog", lambda d: d.accept())
    reviewer.get_by_test_id("publish").click()
    # the worker renders and stores the PDF, then publishes; the page follows (pdf_progress.js)
    expect(reviewer.get_by_test_id("status")).to_have_text("已公开", timeout=60_000)
    shot(reviewer, "second-rubric-published")
    evaluation.refresh_from_db()
    assert evaluation.status == "published"
    report = evaluation.publications.get()
    assert report.size > 10_000
    ctx.close()
