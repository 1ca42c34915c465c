"""Across years on one evaluation: the review page and the filer's 核对与提交 show last year's
score per indicator (the same department's previous fiscal year, matched by indicator code)
beside this year's, '—' where there is none, and the change in each headline figure."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations.models import Evaluation, FigureValue, FiscalYear, ReviewedScore

from .helpers import text_of

D = Decimal


@pytest.fixture
def last_year(seed_eval, users) -> Evaluation:
    """南沙区政协办公室's 2021 evaluation: this year's figures with 决算合计 at 90% of the
    budget, and 复核分 on two indicators (1.1.5: 1, 3.1.1: 2.5)."""
    fy = seed_eval.fiscal_year
    last_fy = FiscalYear.objects.create(region=fy.region, year=2021, rubric=fy.rubric)
    last = Evaluation.objects.create(
        department=seed_eval.department, fiscal_year=last_fy, rubric=fy.rubric, status="published"
    )
    figures = {f.key: f for f in seed_eval.figures.all()}
    budget = figures["adjusted_budget_total"].value
    for key, f in figures.items():
        value = budget * D("0.9") if key == "expenditure_final_total" else f.value
        FigureValue.objects.create(evaluation=last, key=key, value=value, text=f.text)
    for code, score in (("1.1.5", D(1)), ("3.1.1", D("2.5"))):
        ReviewedScore.objects.create(
            evaluation=last, code=code, score=score, reason="上年复核", reviewer=users["reviewer"]
        )
    return last


def previous_cells(body: str) -> dict[str, str]:
    """The 上年得分 cell of each score-table line, by its code."""
    rows = re.findall(
        r'data-code="([^"]+)">.*?data-testid="previous-score">([^<]*)</td>', body, flags=re.S
    )
    return dict(rows)


def figure_row(body: str, label: str) -> list[str]:
    table = body.split('data-testid="figure-changes"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
        cells = [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label}")


def expected_rate_change(seed_eval) -> tuple[str, str, str]:
    figures = {f.key: f.value for f in seed_eval.figures.all()}
    this = figures["expenditure_final_total"] / figures["adjusted_budget_total"] * 100
    delta = this - D(90)
    sign = "+" if delta > 0 else ""
    return "90.00%", f"{this:.2f}%", f"{sign}{delta:.2f} 个百分点"


def check_page(body: str, seed_eval) -> None:
    cells = previous_cells(body)
    assert cells["1.1.5"] == "1.00"  # last year's 复核分
    assert cells["3.1.1"] == "2.50"
    assert set(cells) >= {"1.1.1", "1.1.5", "2", "3.1.1"}
    last, this, change = expected_rate_change(seed_eval)
    assert figure_row(body, "部门整体预算完成率")[1:3] == [last, this]
    assert figure_row(body, "部门整体预算完成率")[3].endswith(change)
    assert "上年（2021年度）总分" in text_of(body)


def test_review_page_shows_last_year(last_year, seed_eval, reviewer_client):
    body = reviewer_client.get(reverse("review:evaluation", args=[seed_eval.pk])).content.decode()
    assert "上年得分" in body
    check_page(body, seed_eval)


def test_filers_review_step_shows_last_year(last_year, seed_eval, filer_client):
    url = reverse("filing:step", args=[seed_eval.pk, "review"])
    body = filer_client.get(url).content.decode()
    check_page(body, seed_eval)


def test_no_previous_year_is_a_dash(seed_eval, reviewer_client):
    body = reviewer_client.get(reverse("review:evaluation", args=[seed_eval.pk])).content.decode()
    cells = previous_cells(body)
    assert cells and set(cells.values()) == {"—"}
    assert "2021年度无本部门的自评，无法比较" in text_of(body)
    row = figure_row(body, "部门整体预算完成率")
    assert row[1] == "—" and row[3] == "—"


def test_another_departments_last_year_is_not_used(last_year, blank_eval, reviewer_client):
    body = reviewer_client.get(reverse("review:evaluation", args=[blank_eval.pk])).content.decode()
    assert set(previous_cells(body).values()) == {"—"}
