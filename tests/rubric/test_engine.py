"""Engine-level rules: claimed, reviewed and final scores, their warnings, subtotals, totals,
grades and rounding (no database)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from rubric import engine, loader
from rubric.rounding import Rounding
from rubric.spec import ScoringInput

from .builders import LINEAR, PROPORTIONAL, STEP, D, answer, codes, leaf, rubric, score_one, sheet

PROCUREMENT = {"procurement_actual": "1.21", "procurement_planned": "1.25"}  # computed 0.97


def procurement(**kw):
    return score_one("proportional", 1, PROPORTIONAL, figures=PROCUREMENT, **kw)


# ---------------------------------------------------------------------------- claimed


def test_claimed_defaults_to_computed():
    line = procurement()
    assert line.computed == line.claimed == line.final == D("0.97")
    assert line.reviewed is None
    assert line.warnings == ()


def test_claimed_equal_to_computed_needs_no_reason():
    assert procurement(claimed="0.97").warnings == ()


def test_claimed_differs_requires_a_reason():
    line = procurement(claimed="0.96")
    assert line.claimed == D("0.96")
    assert codes(line) == ["claimed_differs", "reason_required"]
    assert "0.96" in line.warnings[0].message and "0.97" in line.warnings[0].message


def test_claimed_differs_with_a_reason():
    line = procurement(claimed="0.96", reason="按采购合同金额计算")
    assert codes(line) == ["claimed_differs"]
    assert line.reason == "按采购合同金额计算"


def test_blank_reason_is_no_reason():
    assert "reason_required" in codes(procurement(claimed="0.96", reason="   "))


@pytest.mark.parametrize("claimed", ["1.01", "-0.01"])
def test_claimed_outside_zero_and_points(claimed):
    line = procurement(claimed=claimed, reason="x")
    assert "out_of_range" in codes(line)
    assert line.claimed == D(claimed)


def test_claimed_without_computed_is_kept_without_differs():
    line = score_one(
        "external_rate",
        4,
        {"label": "执行率", "rate": "project_execution_rate_notified"},
        claimed="3.9",
    )
    assert line.computed is None
    assert line.claimed == D("3.9")
    assert codes(line) == ["input_missing"]
    # a rule that cannot be applied counts the claimed score, and the totals say so
    assert line.missing
    assert line.counted_computed == D("3.9")


# ---------------------------------------------------------------------------- reviewed, final


def test_final_is_reviewed_when_set():
    line = procurement(claimed="0.96", reason="x", reviewed="0.5")
    assert line.reviewed == D("0.5")
    assert line.final == D("0.5")


def test_final_is_claimed_when_not_reviewed():
    assert procurement(claimed="0.96", reason="x").final == D("0.96")


def test_reviewed_outside_range():
    line = procurement(reviewed="2")
    assert [w.field for w in line.warnings if w.code == "out_of_range"] == ["reviewed"]


# ---------------------------------------------------------------------------- subtotals, totals


def tree():
    one_item = {
        "items": [
            {
                "key": "a",
                "text": "核对项",
                "options": [
                    {"key": "yes", "label": "是", "score": 4},
                    {"key": "no", "label": "否", "score": 0},
                ],
            }
        ]
    }
    return rubric(
        {
            "code": "1",
            "name": "管理效能",
            "points": 10,
            "children": [
                {
                    "code": "1.1",
                    "name": "资金管理",
                    "points": 6,
                    "children": [
                        leaf("1.1.1", "proportional", 2, PROPORTIONAL),
                        leaf("1.1.2", "manual", 4),
                    ],
                },
                {
                    "code": "1.2",
                    "name": "资产管理",
                    "points": 4,
                    "children": [leaf("1.2.1", "checklist", 4, one_item)],
                },
            ],
        }
    )


def scored_tree(**answers):
    figures = {"procurement_actual": 1, "procurement_planned": 2}  # 50% × 2 = 1
    return sheet(tree(), figures=figures, answers=answers)


def test_lines_come_in_tree_order_with_levels():
    result = scored_tree()
    assert [(ln.code, ln.level, ln.is_leaf) for ln in result.lines][:6] == [
        ("1", 1, False),
        ("1.1", 2, False),
        ("1.1.1", 3, True),
        ("1.1.2", 3, True),
        ("1.2", 2, False),
        ("1.2.1", 3, True),
    ]


def test_subtotals_at_each_level_and_totals():
    result = scored_tree(
        **{
            "1.1.1": answer("1.5", "理由"),
            "1.1.2": answer(3, "理由", reviewed=2),
            "1.2.1": answer(a="yes"),
        }
    )
    s = {ln.code: (ln.computed, ln.claimed, ln.reviewed, ln.final) for ln in result.lines}
    assert s["1.1.1"] == (1, D("1.5"), None, D("1.5"))
    assert s["1.1.2"] == (None, 3, 2, 2)
    assert s["1.1"] == (4, D("4.5"), D("3.5"), D("3.5"))  # manual counts its claimed score
    assert s["1.2"] == (4, 4, None, 4)
    assert s["1"] == (8, D("8.5"), D("7.5"), D("7.5"))
    assert s["9"] == (None, None, None, None)
    t = result.totals
    assert (t.computed, t.claimed, t.reviewed, t.final) == (8, D("8.5"), D("7.5"), D("7.5"))
    assert result.grade == "差"


def test_totals_reviewed_is_none_when_nothing_reviewed():
    result = scored_tree(**{"1.1.2": answer(3, "理由")})
    assert result.totals.reviewed is None
    assert result.totals.final == result.totals.claimed == D("4")  # 1 + 3, checklist unanswered
    assert result.totals.computed == D("4")


def test_grade_from_final_total():
    rub = rubric(leaf("1", "manual", 100))
    for claimed, grade in [("90", "优"), ("89.99", "差")]:
        assert sheet(rub, answers={"1": answer(claimed, "理由")}).grade == grade


def test_shipped_rubric_scores_an_empty_evaluation():
    spec, _ = loader.load_file(loader.VERSIONS_DIR / "guangzhou-nansha-2022.yaml")
    result = engine.score(spec, ScoringInput())
    assert result.totals.computed == 0  # bonus_penalty with no event is the only score: 0
    assert result.totals.claimed == 0
    assert result.totals.reviewed is None
    assert {ln.code for ln in result.lines if ln.is_leaf} == {
        n.code for n in spec.leaves() if n.method != "target_rows"
    }
    assert "input_missing" in codes(result.line("2"))


# ---------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("mode", "value", "score", "rate"),
    [
        ("half_up", "0.125", "0.13", "0.13"),
        ("half_even", "0.125", "0.12", "0.12"),
        ("half_even", "0.135", "0.14", "0.14"),
        ("down", "0.129", "0.12", "0.12"),
    ],
)
def test_rounding_modes(mode, value, score, rate):
    r = Rounding(mode=mode)
    assert r.score(D(value)) == D(score)
    assert r.rate(D(value)) == D(rate)


def test_rounding_places_and_percent():
    assert Rounding().percent(D(1), D(3)) == D("33.33")
    assert Rounding().percent(D(2), D(3)) == D("66.67")
    assert Rounding(score_places=1).score(D("1.25")) == D("1.3")


@pytest.mark.parametrize(("mode", "expected"), [(None, "0.13"), ("half_even", "0.12")])
def test_rubric_rounding_mode_reaches_the_score(mode, expected):
    figures = {"procurement_actual": 1, "procurement_planned": 8}  # 12.50% × 1 = 0.125
    rounding = {"mode": mode} if mode else None
    line = score_one("proportional", 1, PROPORTIONAL, figures=figures, rounding=rounding)
    assert line.computed == D(expected)


# ---------------------------------------------------------------------------- 评分依据 agrees


def last_number(basis: str) -> Decimal:
    return D(re.findall(r"-?\d+(?:\.\d+)?", basis)[-1])


ODD_STEP = {**STEP, "deduction": 0.125}
BASIS_CASES = [
    (
        "linear_band",
        2,
        LINEAR,
        {"expenditure_final_total": "1954.07", "adjusted_budget_total": "1997.16"},
    ),
    ("proportional", 1, PROPORTIONAL, PROCUREMENT),
    (
        "step_deduction",
        2,
        STEP,
        {"appropriation_revenue_final": 111, "appropriation_revenue_adjusted": 100},
    ),
    pytest.param(
        "step_deduction",
        2,
        ODD_STEP,
        {"appropriation_revenue_final": 111, "appropriation_revenue_adjusted": 100},
    ),
]


@pytest.mark.parametrize(("method", "points", "params", "figures"), BASIS_CASES)
def test_basis_ends_with_the_computed_score(method, points, params, figures):
    line = score_one(method, points, params, figures=figures)
    assert line.computed is not None
    assert last_number(line.basis) == line.computed
