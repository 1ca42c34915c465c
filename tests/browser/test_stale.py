"""Two tabs on the same step: the second save is refused as stale, keeps its typed value, and
goes through when saved again deliberately."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, expect

from .filing import SEED_DEPARTMENT, evaluation, figure_input, login, saved_message, step_url

pytestmark = pytest.mark.browser


def stored(key: str) -> Decimal | None:
    return evaluation(SEED_DEPARTMENT).figures.get(key=key).value


def test_stale_second_tab_is_refused_then_saved_deliberately(context: BrowserContext):
    seed = evaluation(SEED_DEPARTMENT)
    tab_a = context.new_page()
    login(tab_a, "filer")
    tab_b = context.new_page()
    for tab in (tab_a, tab_b):
        tab.goto(step_url(seed.pk, "figures"))
        expect(figure_input(tab, "procurement_actual")).to_have_value("1.21")

    figure_input(tab_a, "procurement_actual").fill("1.30")
    tab_a.get_by_test_id("save-draft").click()
    expect(saved_message(tab_a, "收支数据")).to_be_visible()
    assert stored("procurement_actual") == Decimal("1.30")

    figure_input(tab_b, "assets_total").fill("80.00")
    tab_b.get_by_test_id("save-draft").click()
    warning = tab_b.get_by_test_id("stale-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("政府采购实际金额：当前已保存为“1.30”")
    expect(tab_b.get_by_text("保存未成功")).to_be_visible()
    expect(saved_message(tab_b, "收支数据")).to_have_count(0)
    expect(figure_input(tab_b, "assets_total")).to_have_value("80.00")
    expect(figure_input(tab_b, "procurement_actual")).to_have_value("1.21")
    assert stored("procurement_actual") == Decimal("1.30")
    assert stored("assets_total") == Decimal("72.06")
    version = evaluation(SEED_DEPARTMENT).version

    # Saving again, knowingly: tab B's page (all of it) is what gets stored.
    tab_b.get_by_test_id("save-draft").click()
    expect(saved_message(tab_b, "收支数据")).to_be_visible()
    expect(tab_b.get_by_test_id("stale-warning")).to_have_count(0)
    expect(figure_input(tab_b, "assets_total")).to_have_value("80.00")
    assert stored("assets_total") == Decimal("80.00")
    assert stored("procurement_actual") == Decimal("1.21")
    assert evaluation(SEED_DEPARTMENT).version == version + 1
