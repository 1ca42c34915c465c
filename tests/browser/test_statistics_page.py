"""The 统计分析 page in a browser: reached from the dashboard's 「统计分析」, the three charts
drawn by Chart.js (served locally), the same numbers in tables, no critical or serious axe-core
finding, at desktop and phone widths. Also the dashboard's bulk selection (「全选本页」 and the
count) and its summary page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .filing import login

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/k-shots")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_findings(page: Page, include: str = "main") -> list[dict]:
    """axe-core's critical and serious violations within `include` (the page's main part: the
    site's header is engineer H's and checked by their tests), injected through the debugging
    protocol so that the page's Content-Security-Policy stays as it is."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async (sel) => (await axe.run({include: [sel]})).violations", include)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result
        if v["impact"] in ("critical", "serious")
    ]


@pytest.fixture
def factory(seeded_server):
    from django.contrib.auth import get_user_model

    from evaluations.models import FiscalYear
    from tests.review.test_statistics import scored

    reviewer = get_user_model().objects.get(username="reviewer")
    fy = FiscalYear.objects.get(region__code="nansha", year=2022)
    a = scored(fy, "stat-a", "submitted", duty=50, lower={"1.1.5": 1}, reviewer=reviewer)
    scored(fy, "stat-b", "approved", duty=30, lower={"1.1.5": 2, "3.1.1": 0}, reviewer=reviewer)
    last = FiscalYear.objects.create(region=fy.region, year=2021, rubric=fy.rubric)
    scored(last, "", "published", duty=40, department=a.department, reviewer=reviewer)
    return fy


def charts_drawn(page: Page) -> None:
    page.wait_for_function(
        "() => ['chart-grades', 'chart-losses', 'chart-trends'].every("
        "id => window.Chart && Chart.getChart(document.getElementById(id)))"
    )


def test_statistics_page(page: Page, factory):
    SHOTS.mkdir(parents=True, exist_ok=True)
    login(page, "reviewer")
    page.goto("/review/nansha/2022/")
    page.get_by_test_id("statistics-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("统计分析")
    charts_drawn(page)
    expect(page.get_by_test_id("counted")).to_have_text("2")
    expect(page.get_by_test_id("grades-table")).to_contain_text("优")
    # 1.1.5 loses points in both departments (A 3, B 2), 履职效能 in B only (20)
    expect(page.get_by_test_id("loss-row").first).to_contain_text("1.1.5")
    expect(page.get_by_test_id("loss-row").nth(1)).to_contain_text("履职效能")
    expect(page.get_by_test_id("trends-table")).to_contain_text("统计测试stat-a")
    assert axe_findings(page) == []
    page.set_viewport_size({"width": 1366, "height": 900})
    charts_drawn(page)
    page.screenshot(path=str(SHOTS / "statistics-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "statistics-390.png"), full_page=True)
    assert axe_findings(page) == []
    with page.expect_download() as download:
        page.get_by_test_id("statistics-export").click()
    assert download.value.suggested_filename.endswith("统计分析.xlsx")


def test_bulk_selection(page: Page, factory):
    SHOTS.mkdir(parents=True, exist_ok=True)
    login(page, "reviewer")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/review/nansha/2022/?status=submitted")
    page.get_by_label("全选本页").check()
    expect(page.get_by_test_id("bulk-count")).to_have_text("1")
    page.screenshot(path=str(SHOTS / "dashboard-bulk-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "dashboard-bulk-390.png"), full_page=True)
    # the selection bar and the table (the dashboard's header part is not this change's)
    assert axe_findings(page, "#bulk-form") == []
    assert axe_findings(page, "[data-testid=dashboard]") == []
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/review/nansha/2022/")
    page.get_by_label("全选本页").check()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="审核通过所选").click()
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("1 份已审核通过")
    expect(page.get_by_test_id("bulk-refused")).to_contain_text("统计测试stat-b")
    page.screenshot(path=str(SHOTS / "bulk-result-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "bulk-result-390.png"), full_page=True)
    assert axe_findings(page) == []
