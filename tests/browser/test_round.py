"""Opening a yearly round in the browser (issue 14 item 1): from the dashboard, for a selection
of departments, then adding the rest; a 催办 of a selected department (item 3)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .filing import SEED_DEPARTMENT, login

pytestmark = pytest.mark.browser

BLANK_DEPARTMENT = "nansha-demo-bureau"


def test_open_a_round_add_departments_and_remind(page: Page):
    from django.contrib.auth import get_user_model

    from evaluations.models import Evaluation, Reminder

    get_user_model().objects.filter(username="filer").update(email="filer@example.cn")
    login(page, "reviewer")
    page.goto("/review/nansha/2022/")
    page.get_by_test_id("open-round").click()
    expect(page.get_by_role("heading", name=re.compile("开启年度评价"))).to_be_visible()
    expect(page.get_by_label("年度")).to_have_value("2023")
    # a missing deadline and no department chosen: errors beside the fields, input kept
    page.get_by_label("截止前提醒天数").fill("5")
    page.get_by_label("只选以下部门").check()
    page.get_by_role("button", name="开启并创建自评").click()
    expect(page.get_by_text("请填写填报截止日期。")).to_be_visible()
    expect(page.get_by_text("请至少选择一个部门")).to_be_visible()
    expect(page.get_by_label("截止前提醒天数")).to_have_value("5")

    page.get_by_label("填报截止日期").fill("2030-04-30")
    page.get_by_test_id("round-departments").get_by_label(re.compile(SEED_DEPARTMENT)).check()
    page.get_by_role("button", name="开启并创建自评").click()
    expect(page).to_have_url(re.compile(r"/review/nansha/2023/$"))
    expect(page.get_by_text("新开通 1 个部门的自评")).to_be_visible()
    expect(page.get_by_test_id("dashboard-row")).to_have_count(1)
    new = Evaluation.objects.get(department__code=SEED_DEPARTMENT, fiscal_year__year=2023)
    assert new.tasks.exists() and new.sections.exists()  # carried over from 2022

    # the rest later, from the dashboard's notice
    page.get_by_role("link", name="为其开通").click()
    expect(page.get_by_role("heading", name=re.compile("2023年度：添加部门"))).to_be_visible()
    page.get_by_role("button", name="添加所选部门").click()
    expect(page.get_by_role("status")).to_have_text("2023年度：新开通 1 个部门的自评。")
    expect(page.get_by_test_id("dashboard-row")).to_have_count(2)
    assert Evaluation.objects.filter(fiscal_year__year=2023).count() == 2

    # 催办 the seed department
    page.get_by_role("checkbox", name=re.compile("政治协商会议")).check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("remind").click()
    expect(page.get_by_text("已催办 1 个部门")).to_be_visible()
    reminder = Reminder.objects.get()
    assert reminder.evaluation == new and reminder.kind == "manual"
    row = page.get_by_test_id("dashboard-row").filter(has_text="政治协商会议")
    expect(row.get_by_test_id("last-reminder")).not_to_have_text("—")
