"""The 南沙区政协 2022 seed case scored from its own figures (database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations.scoring import score_evaluation, scoring_input
from evaluations.selectors import SCORING_PREFETCH, evaluation_by_department_year

D = Decimal
DEPARTMENT = "nansha-cppcc-office"

# The seed table's 自评分 column.
CLAIMED = {
    "1.1.1": "2",
    "1.1.2": "3",
    "1.1.3": "3",
    "1.1.4": "1.5",
    "1.1.5": "3.9",
    "1.1.6": "2",
    "1.1.7": "2",
    "1.2.1": "0.96",
    "1.2.2": "2",
    "1.3.1": "1",
    "1.3.2": "1",
    "1.4.1": "1",
    "1.4.2": "1",
    "1.4.3": "2",
    "1.5.1": "2.8",
    "1.5.2": "2",
    "1.5.3": "2",
    "1.5.4": "3",
    "1.5.5": "1.95",
    "1.5.6": "3",
    "1.5.7": "1.5",
    "3.1.1": "5",
}
# Computed from the seed's own figures: (score, rate in the 评分依据).
COMPUTED = {
    "1.1.1": ("1.57", "97.84%"),
    "1.1.4": ("0", "94.36%"),
    "1.1.6": ("2", "0.18%"),
    "1.2.1": ("0.97", "96.80%"),
    "1.4.3": ("2", "100.00%"),
    "1.5.5": ("2", "13÷13×100%"),
}
DIFFERS = {"1.1.1", "1.1.4", "1.2.1", "1.5.5", "3.1.1"}


@pytest.fixture
def evaluation(seeded):
    return evaluation_by_department_year(DEPARTMENT, 2022)


@pytest.fixture
def sheet(evaluation):
    return score_evaluation(evaluation)


def codes(line):
    return [w.code for w in line.warnings]


@pytest.mark.parametrize(("code", "expected"), COMPUTED.items(), ids=COMPUTED.keys())
def test_formula_indicators_from_the_seed_figures(sheet, code, expected):
    score, rate = expected
    line = sheet.line(code)
    assert line.computed == D(score)
    assert rate in line.basis


def test_linear_band_basis_of_the_seed(sheet):
    assert sheet.line("1.1.1").basis == (
        "预算完成率＝1954.07÷1997.16×100%＝97.84%；得分＝(97.84%−90%)÷(100%−90%)×2＝1.57"
    )


@pytest.mark.parametrize("code", ["1.1.3", "1.1.5"])
def test_indicators_without_figures_are_not_computed(sheet, code):
    line = sheet.line(code)
    assert line.computed is None
    assert "input_missing" in codes(line)
    assert "claimed_differs" not in codes(line)


def test_bonus_without_events_computes_zero(sheet):
    assert sheet.line("3.1.1").computed == 0


def test_every_duty_row_is_full(sheet):
    rows = [ln for ln in sheet.lines if ln.method == "target_row"]
    assert len(rows) == 13
    for line in rows:
        assert line.computed == line.points, line.code
        assert line.claimed == line.points, line.code
        # the only warning: where the 实际完成指标值 restates the 年度指标值 (the seed does that)
        assert {w.code for w in line.warnings} <= {"restated_target"}, line.code
    assert [sheet.line(f"2.{t}").points for t in range(1, 5)] == [D("12.5")] * 4
    assert sheet.line("2").computed == sheet.line("2").claimed == 50
    assert sheet.line("2").warnings == ()


def test_fully_answered_checklists_compute_their_claim(sheet):
    for code in ("1.1.2", "1.1.7", "1.2.2", "1.3.1", "1.3.2", "1.4.1", "1.4.2", "1.5.2", "1.5.3"):
        line = sheet.line(code)
        assert line.computed == line.claimed == D(CLAIMED[code]), code


def test_unanswered_checklists_keep_the_claim(sheet):
    for code in ("1.5.1", "1.5.6", "1.5.7"):
        line = sheet.line(code)
        assert line.computed is None, code
        assert codes(line) == ["input_missing"], code


def test_manual_indicator_with_its_reason(sheet):
    line = sheet.line("1.5.4")
    assert line.judgement
    assert line.claimed == 3
    assert line.basis.startswith("人工评分。理由：报告：")
    assert line.warnings == ()


def test_claimed_scores_match_the_seed_table(sheet):
    claimed = {ln.code: ln.claimed for ln in sheet.lines if ln.code in CLAIMED}
    assert claimed == {code: D(v) for code, v in CLAIMED.items()}


def test_claimed_differs_exactly_where_the_table_departs_from_the_rules(sheet):
    differs = {ln.code for ln in sheet.lines if "claimed_differs" in codes(ln)}
    assert differs == DIFFERS
    for code in DIFFERS:  # the seed gives no reason for any of them
        assert "reason_required" in codes(sheet.line(code))


def test_totals_and_grade(sheet):
    t = sheet.totals
    assert t.claimed == D("97.61")
    assert t.final == D("97.61")
    assert t.reviewed is None
    # 5 leaves lack data (key projects, procurement…): counted at their claimed 14.20, said so
    assert t.computed == D("90.74")
    assert (t.missing_count, t.missing_points) == (5, D("14.20"))
    assert (t.judgement_count, t.judgement_points) == (1, D(3))
    assert t.coverage_text.startswith("其中 5 项缺少数据，按自评分计，共 14.20 分")
    assert sheet.grade == "优"
    subtotals = {
        c: sheet.line(c).claimed for c in ("1", "1.1", "1.2", "1.3", "1.4", "1.5", "2", "3")
    }
    assert subtotals == {
        "1": D("42.61"),
        "1.1": D("17.4"),
        "1.2": D("2.96"),
        "1.3": D(2),
        "1.4": D(4),
        "1.5": D("16.25"),
        "2": D(50),
        "3": D(5),
    }


def test_scoring_input_carries_the_seed(evaluation):
    data = scoring_input(evaluation)
    assert data.figures["expenditure_final_total"] == D("1954.07")
    assert data.figures["key_project_expenditure"] is None
    assert [len(t.rows) for t in data.tasks] == [3, 4, 3, 3]
    assert data.tasks[1].rows[2].actual_value == 98
    assert data.events == ()
    assert data.answers["1.2.2"].choices["art19"] == "yes"


def test_the_empty_evaluation_scores_without_error(seeded):
    sheet = score_evaluation(evaluation_by_department_year("nansha-demo-bureau", 2022))
    assert sheet.totals.claimed == 0
    assert "input_missing" in codes(sheet.line("2"))


def fetch_queries() -> int:
    with CaptureQueriesContext(connection) as context:
        evaluation_by_department_year(DEPARTMENT, 2022)
    return len(context)


def test_fetching_takes_a_fixed_number_of_queries(seeded):
    from evaluations.models import BonusEvent, DutyIndicator, DutyTask, Evaluation

    # The evaluation with department, year and rubric; one query per prefetch; the tasks' rows.
    before = fetch_queries()
    assert before == 1 + len(SCORING_PREFETCH) + 1
    evaluation = Evaluation.objects.get(department__code=DEPARTMENT)
    for t in range(5, 8):
        task = DutyTask.objects.create(evaluation=evaluation, position=t, name=f"任务{t}")
        for i in range(1, 4):
            DutyIndicator.objects.create(task=task, position=i, name=f"指标{i}", points=1)
    BonusEvent.objects.create(evaluation=evaluation, kind="bonus", description="表扬")
    assert fetch_queries() == before  # no query per task or row


def test_scoring_the_prefetched_evaluation_queries_nothing(evaluation, django_assert_num_queries):
    with django_assert_num_queries(0):
        sheet = score_evaluation(evaluation)
    assert sheet.totals.claimed == D("97.61")
