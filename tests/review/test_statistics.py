"""统计分析: the grade distribution, the indicators most often losing points and the scores
over the years, checked against a hand count on factory data (every score pinned by a 复核分,
so each total is known by hand); the .xlsx export holds the same numbers; who may see it."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations.models import (
    Department,
    DutyIndicator,
    DutyTask,
    Evaluation,
    FiscalYear,
    ReviewedScore,
)

from .conftest import client_for
from .helpers import text_of

D = Decimal
# the rubric's 管理效率 and 社会效应 leaves with their points (guangzhou-nansha-2022): 50 in all
LEAF_POINTS = {
    "1.1.1": 2, "1.1.2": 3, "1.1.3": 3, "1.1.4": 2, "1.1.5": 4, "1.1.6": 2, "1.1.7": 2,
    "1.2.1": 1, "1.2.2": 2, "1.3.1": 1, "1.3.2": 1, "1.4.1": 1, "1.4.2": 1, "1.4.3": 2,
    "1.5.1": 3, "1.5.2": 2, "1.5.3": 2, "1.5.4": 3, "1.5.5": 2, "1.5.6": 4, "1.5.7": 2,
    "3.1.1": 5,
}  # fmt: skip


@pytest.fixture
def fy(seeded) -> FiscalYear:
    return FiscalYear.objects.select_related("region", "rubric").get(
        region__code="nansha", year=2022
    )


def scored(fy, code, status, *, duty, lower=None, project="", department=None, reviewer):
    """An evaluation whose every score is a 复核分: each leaf at full points except `lower`
    (code → score), and one 履职效能 row of 50 points scored `duty`."""
    department = department or Department.objects.create(
        code=code, name=f"统计测试{code}", region=fy.region
    )
    evaluation = Evaluation.objects.create(
        department=department, fiscal_year=fy, rubric=fy.rubric, status=status, project=project
    )
    scores = {c: D(p) for c, p in LEAF_POINTS.items()} | {k: D(v) for k, v in (lower or {}).items()}
    task = DutyTask.objects.create(evaluation=evaluation, section="2", name="任务1")
    row = DutyIndicator.objects.create(
        task=task, name="指标", operator="text", target_text="完成", points=D(50)
    )
    scores[f"row:{row.pk}"] = D(duty)
    ReviewedScore.objects.bulk_create(
        ReviewedScore(evaluation=evaluation, code=c, score=s, reason="统计测试", reviewer=reviewer)
        for c, s in scores.items()
    )
    from evaluations.services.common import refresh_totals

    refresh_totals(evaluation.pk)
    evaluation.refresh_from_db()
    return evaluation


@pytest.fixture
def factory_data(fy, seed_eval, blank_eval, users):
    """Counted (submitted, approved, published 部门整体): A 96 优, B 85 良, C 88 良, D 60 中;
    not counted: a draft, a returned one, a 项目支出 one. 2021: A 90, B 70."""
    r = users["reviewer"]
    a = scored(fy, "stat-a", "submitted", duty=50, lower={"1.1.5": 1, "3.1.1": 4}, reviewer=r)
    b = scored(fy, "stat-b", "approved", duty=40, lower={"1.1.5": 2, "1.5.6": 1}, reviewer=r)
    c = scored(fy, "stat-c", "published", duty=40, lower={"1.1.5": 2}, reviewer=r)
    d = scored(fy, "stat-d", "approved", duty=10, reviewer=r)
    scored(fy, "stat-draft", "draft", duty=0, lower={"1.2.1": 0}, reviewer=r)
    scored(fy, "stat-ret", "returned", duty=0, lower={"1.2.1": 0}, reviewer=r)
    scored(
        fy, "", "approved", duty=0, lower={"1.2.1": 0}, project="某项目", department=a.department,
        reviewer=r,
    )  # fmt: skip
    last = FiscalYear.objects.create(region=fy.region, year=2021, rubric=fy.rubric)
    scored(last, "", "published", duty=40, department=a.department, reviewer=r)
    scored(last, "", "approved", duty=20, department=b.department, reviewer=r)
    return {"a": a, "b": b, "c": c, "d": d}


def test_factory_totals_are_the_hand_sums(factory_data):
    totals = {k: e.final_total for k, e in factory_data.items()}
    assert totals == {"a": D("96.00"), "b": D("85.00"), "c": D("88.00"), "d": D("60.00")}


def test_numbers_against_a_hand_count(fy, factory_data, reviewer_client):
    from evaluations.statistics import statistics

    stats = statistics(fy)
    assert stats.counted == 4
    assert stats.average == D("82.25")  # (96 + 85 + 88 + 60) / 4
    assert [(g.name, g.count) for g in stats.grades] == [("优", 1), ("良", 2), ("中", 1), ("差", 0)]
    # 2 (履职效能): A 0, B 10, C 10, D 40 lost → 3 departments, 60 points;
    # 1.1.5: A 3, B 2, C 2 → 3 departments, 7; 3.1.1: A 1; 1.5.6: B 3
    losses = [(x.code, x.departments, x.lost, x.average) for x in stats.losses]
    assert losses == [
        ("2", 3, D("60.00"), D("20.00")),
        ("1.1.5", 3, D("7.00"), D("2.33")),
        ("1.5.6", 1, D("3.00"), D("3.00")),
        ("3.1.1", 1, D("1.00"), D("1.00")),
    ]
    assert stats.years == [2021, 2022]
    trends = {t.code: t.scores for t in stats.trends}
    assert trends["stat-a"] == {2021: D("90.00"), 2022: D("96.00")}
    assert trends["stat-b"] == {2021: D("70.00"), 2022: D("85.00")}
    assert trends["stat-c"] == {2022: D("88.00")}
    assert "stat-draft" not in trends and "stat-ret" not in trends

    response = reviewer_client.get(reverse("review:statistics", args=["nansha", 2022]))
    assert response.status_code == 200
    text = text_of(response.content)
    assert "共 4 份" in text and "平均得分 82.25" in text
    body = response.content.decode()
    assert 'id="chart-data"' in body and "vendor/chartjs/chart.umd.min.js" in body
    assert "统计测试stat-a 90.00 96.00" in text
    assert "统计测试stat-c — 88.00" in text


def test_xlsx_export_holds_the_same_numbers(fy, factory_data, reviewer_client):
    url = reverse("review:statistics", args=["nansha", 2022]) + "?export=xlsx"
    response = reviewer_client.get(url)
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    grades = [r for r in wb["得分等级分布"].iter_rows(min_row=3, values_only=True)]
    assert [(g[0], g[2]) for g in grades] == [("优", 1), ("良", 2), ("中", 1), ("差", 0)]
    losses = list(wb["失分较多的指标"].iter_rows(values_only=True))
    name = fy.rubric.spec.find("1.1.5").name
    assert losses[0] == ("指标编码", "指标", "分值", "失分部门数", "失分合计", "平均失分")
    assert losses[2] == ("1.1.5", name, 4, 3, 7, 2.33)
    years = list(wb["历年得分"].iter_rows(values_only=True))
    assert years[0] == ("单位编码", "单位名称", "2021年度", "2022年度")
    assert ("stat-a", "统计测试stat-a", 90, 96) in years


def test_text_cells_that_look_like_formulas_stay_text(fy, factory_data, reviewer_client):
    Department.objects.filter(code="stat-a").update(name='=HYPERLINK("http://x")')
    url = reverse("review:statistics", args=["nansha", 2022]) + "?export=xlsx"
    wb = load_workbook(io.BytesIO(reviewer_client.get(url).content))
    cell = next(row[1] for row in wb["历年得分"].iter_rows(min_row=2) if row[0].value == "stat-a")
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_empty_year_and_other_regions(fy, users, reviewer_client):
    response = reviewer_client.get(reverse("review:statistics", args=["nansha", 2022]))
    assert "暂无可统计的数据" in text_of(response.content)
    from django.contrib.auth import get_user_model

    stranger = get_user_model().objects.create_user("stat-stranger", password="x")
    assert (
        client_for(stranger).get(reverse("review:statistics", args=["nansha", 2022])).status_code
        == 404
    )


def test_dashboard_links_the_statistics(fy, reviewer_client):
    body = reviewer_client.get(reverse("review:dashboard", args=["nansha", 2022])).content
    assert reverse("review:statistics", args=["nansha", 2022]).encode() in body
