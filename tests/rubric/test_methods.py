"""Each scoring method at its boundaries, through the engine (no database)."""

from __future__ import annotations

import pytest

from rubric.methods import METHODS
from rubric.rounding import Rounding
from rubric.spec import Event, Indicator

from .builders import (
    LINEAR,
    PROPORTIONAL,
    STEP,
    D,
    answer,
    codes,
    data,
    leaf,
    rubric,
    score_one,
    sheet,
    warning,
)

# ---------------------------------------------------------------------------- linear_band


def linear(actual, budget=100):
    figures = {"expenditure_final_total": actual, "adjusted_budget_total": budget}
    return score_one("linear_band", 2, LINEAR, figures=figures)


def test_linear_band_exactly_at_floor_scores_zero_and_says_so():
    line = linear(90)
    assert line.computed == 0
    assert line.basis == (
        "预算完成率＝90.00÷100.00×100%＝90.00%；得分＝(90.00%−90%)÷(100%−90%)×2＝0"
    )
    assert line.warnings == ()


@pytest.mark.parametrize(
    ("actual", "expected", "words"),
    [
        ("90.5", "0.10", "得分＝(90.50%−90%)÷(100%−90%)×2＝0.1"),
        ("95", "1.00", "＝1"),
        ("100", "2", "≥100%，得满分2"),
        ("120", "2", "≥100%，得满分2"),
        ("89.99", "0", "低于90%，不得分"),
        ("0", "0", "低于90%，不得分"),
    ],
)
def test_linear_band_boundaries(actual, expected, words):
    line = linear(actual)
    assert line.computed == D(expected)
    assert words in line.basis


def test_linear_band_seed_example():
    line = linear("1954.07", "1997.16")
    assert line.computed == D("1.57")
    assert line.basis == (
        "预算完成率＝1954.07÷1997.16×100%＝97.84%；得分＝(97.84%−90%)÷(100%−90%)×2＝1.57"
    )


def test_linear_band_zero_denominator():
    line = linear(10, 0)
    assert line.computed is None
    assert codes(line) == ["zero_denominator"]
    assert warning(line, "zero_denominator").field == "adjusted_budget_total"


def test_linear_band_missing_input_names_the_figure():
    line = linear(None, 100)
    assert line.computed is None
    assert line.basis == ""
    assert codes(line) == ["input_missing"]
    assert warning(line, "input_missing").field == "expenditure_final_total"
    assert "支出决算总额" in warning(line, "input_missing").message


def test_negative_figure_is_out_of_range_not_scored():
    line = linear(-1, 100)
    assert line.computed is None
    assert warning(line, "out_of_range").field == "expenditure_final_total"


# ---------------------------------------------------------------------------- step_deduction


def step(actual, budget=100, params=STEP):
    figures = {"appropriation_revenue_final": actual, "appropriation_revenue_adjusted": budget}
    return score_one("step_deduction", 2, params, figures=figures)


@pytest.mark.parametrize(
    ("actual", "expected", "words"),
    [
        ("100", "2", "差异率为0，得满分2"),
        ("105", "1.5", "共1档，得分＝max(0，2−1×0.5)＝1.5"),  # exactly 5% is one step
        ("105.01", "1", "共2档"),  # just past 5%: a second step begins
        ("110", "1", "共2档"),
        ("95", "1.5", "＝|95.00−100.00|÷100.00×100%＝5.00%"),  # absolute value
        ("1000", "0", "得分＝max(0，2−180×0.5)＝0"),  # never negative
        ("1954.07", "0", "共19档"),
    ],
)
def test_step_deduction_boundaries(actual, expected, words):
    line = step(actual, "1005.39" if actual == "1954.07" else 100)
    assert line.computed == D(expected)
    assert line.computed >= 0
    assert words in line.basis


def test_step_deduction_zero_budget():
    line = step(5, 0)
    assert line.computed is None
    assert codes(line) == ["zero_denominator"]
    assert warning(line, "zero_denominator").field == "appropriation_revenue_adjusted"


def test_step_deduction_missing_input():
    line = step(100, None)
    assert line.computed is None
    assert warning(line, "input_missing").field == "appropriation_revenue_adjusted"


# ---------------------------------------------------------------------------- bands

AT_LEAST = {  # 重点项目支出保障率
    "label": "重点项目支出保障率",
    "numerator": "key_project_expenditure",
    "denominator": "project_expenditure_total",
    "max_rate": 100,
    "bands": [{"op": ">=", "bound": 80, "score": 3}, {"op": ">=", "bound": 60, "score": 1}],
    "otherwise": 0,
}
AT_MOST = {  # 结转结余率, three-part denominator
    "label": "结转结余率",
    "numerator": "carryover_closing",
    "denominator": [
        "carryover_opening",
        "general_budget_appropriation_final",
        "fund_budget_appropriation_final",
    ],
    "bands": [
        {"op": "<=", "bound": 10, "score": 2},
        {"op": "<=", "bound": 20, "score": 1},
        {"op": "<=", "bound": 30, "score": 0.5},
    ],
    "otherwise": 0,
}


def at_least(key, total=100):
    figures = {"key_project_expenditure": key, "project_expenditure_total": total}
    return score_one("bands", 3, AT_LEAST, figures=figures)


def at_most(closing, opening=50, general=49, fund=1):
    figures = {
        "carryover_closing": closing,
        "carryover_opening": opening,
        "general_budget_appropriation_final": general,
        "fund_budget_appropriation_final": fund,
    }
    return score_one("bands", 2, AT_MOST, figures=figures)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("100", 3), ("80", 3), ("79.99", 1), ("60", 1), ("59.99", 0), ("0", 0)],
)
def test_bands_at_least(rate, expected):
    line = at_least(rate)
    assert line.computed == expected
    assert line.warnings == ()
    assert f"得{expected}分" in line.basis


@pytest.mark.parametrize(
    ("closing", "expected"),
    [
        ("0", "2"),
        ("10", "2"),
        ("10.01", "1"),
        ("20", "1"),
        ("20.01", "0.5"),
        ("30", "0.5"),
        ("30.01", "0"),
        ("100", "0"),
    ],
)
def test_bands_at_most(closing, expected):
    line = at_most(closing)
    assert line.computed == D(expected)
    assert line.warnings == ()


def test_bands_basis_names_every_denominator_part():
    line = at_most("3.51", "3.51", "1925.78", "0")
    assert line.computed == 2
    assert line.basis == "结转结余率＝3.51÷(3.51+1925.78+0.00)×100%＝0.18%；0.18%≤10%，得2分"


def test_bands_multi_input_denominator_part_missing():
    line = at_most("5", general=None)
    assert line.computed is None
    assert codes(line) == ["input_missing"]
    assert warning(line, "input_missing").field == "general_budget_appropriation_final"


def test_bands_rate_above_max_rate_warns_but_scores():
    line = at_least("120")
    assert line.computed == 3
    w = warning(line, "out_of_range")
    assert w.field == "key_project_expenditure"
    assert "120.00%" in w.message


def test_bands_zero_denominator():
    line = at_most("1", 0, 0, 0)
    assert line.computed is None
    assert codes(line) == ["zero_denominator"]
    assert warning(line, "zero_denominator").field == "carryover_opening"


# ---------------------------------------------------------------------------- proportional


def proportional(actual, planned, params=PROPORTIONAL, **kw):
    figures = {"procurement_actual": actual, "procurement_planned": planned}
    return score_one("proportional", 1, params, figures=figures, **kw)


def test_proportional_rounds_half_up():
    line = proportional("1.21", "1.25")  # 96.80% × 1 = 0.968
    assert line.computed == D("0.97")
    assert line.basis == "政府采购执行率＝1.21÷1.25×100%＝96.80%；得分＝96.80%×1＝0.97"


def test_proportional_exactly_full():
    assert proportional("1.25", "1.25").computed == 1


def test_proportional_over_plan_scores_zero():
    line = proportional("1.26", "1.25")
    assert line.computed == 0
    assert "本项不得分" in line.basis


def test_proportional_over_plan_without_zero_if_over_is_capped_at_full():
    params = {k: v for k, v in PROPORTIONAL.items() if k != "zero_if_over"}
    assert proportional("2", "1", params).computed == 1


def test_proportional_zero_plan():
    line = proportional("0", "0")
    assert line.computed is None
    assert warning(line, "zero_denominator").field == "procurement_planned"


# ---------------------------------------------------------------------------- external_rate

EXTERNAL = {
    "label": "一般公共预算项目支出年度平均执行率",
    "rate": "project_execution_rate_notified",
}


def external(rate):
    return score_one(
        "external_rate", 4, EXTERNAL, figures={"project_execution_rate_notified": rate}
    )


@pytest.mark.parametrize(("rate", "expected"), [("97.5", "3.9"), ("100", "4"), ("105", "4")])
def test_external_rate(rate, expected):
    line = external(rate)
    assert line.computed == D(expected)
    assert "财政局通报" in line.basis


def test_external_rate_missing():
    line = external(None)
    assert line.computed is None
    assert warning(line, "input_missing").field == "project_execution_rate_notified"


# ---------------------------------------------------------------------------- checklist


def item(key, *scores, labels=("符合", "不符合", "部分符合")):
    options = [
        {"key": k, "label": lbl, "score": sc}
        for k, lbl, sc in zip(("yes", "no", "partly"), labels, scores, strict=False)
    ]
    return {"key": key, "text": f"核对项{key}", "options": options}


# like 1.1.2: three 1-point items and a 0/−1 deduction item
CHECKLIST = {"items": [item("a", 1, 0), item("b", 1, 0), item("c", 1, 0), item("d", 0, -1)]}
# like 1.2.2: base 2, each item 0 or −1
DEDUCTIONS = {"base": 2, "items": [item("a", 0, -1), item("b", 0, -1), item("c", 0, -1)]}


def test_checklist_all_chosen_sums_the_options():
    line = score_one(
        "checklist", 3, CHECKLIST, choices={"a": "yes", "b": "yes", "c": "yes", "d": "yes"}
    )
    assert line.computed == 3
    assert line.basis.endswith("得分＝3")


def test_checklist_negative_option_is_deducted():
    line = score_one(
        "checklist", 3, CHECKLIST, choices={"a": "yes", "b": "no", "c": "yes", "d": "no"}
    )
    assert line.computed == 1


def test_checklist_deduction_from_base():
    line = score_one("checklist", 2, DEDUCTIONS, choices={"a": "yes", "b": "no", "c": "yes"})
    assert line.computed == 1
    assert line.basis.startswith("基础分2；")


def test_checklist_clamped_at_zero():
    line = score_one("checklist", 2, DEDUCTIONS, choices={"a": "no", "b": "no", "c": "no"})
    assert line.computed == 0  # 2 − 3 would be −1


def test_checklist_clamped_at_points():
    # The loader refuses a checklist whose best options exceed the points, so build by hand.
    params = {**DEDUCTIONS, "base": D(5)}
    ind = Indicator(code="1", name="x", points=D(2), level=1, method="checklist", params=params)
    inp = data(answers={"1": answer(a="yes", b="yes", c="yes")})
    assert METHODS["checklist"].score(ind, inp, Rounding()).computed == 2


@pytest.mark.parametrize("choices", [{"a": "yes", "b": "yes"}, {"a": "yes", "b": "yes", "c": "?"}])
def test_checklist_item_unanswered(choices):
    line = score_one("checklist", 2, DEDUCTIONS, choices=choices)
    assert line.computed is None
    assert codes(line) == ["input_missing"]
    assert "第3项" in warning(line, "input_missing").message


# ---------------------------------------------------------------------------- bonus_penalty

BONUS = {"per_event": 2.5, "max_bonus": 5, "max_penalty": 5}


def bonus(bonuses=0, penalties=0, **kw):
    events = tuple(Event("bonus") for _ in range(bonuses)) + tuple(
        Event("penalty") for _ in range(penalties)
    )
    return score_one("bonus_penalty", 5, BONUS, events=events, **kw)


@pytest.mark.parametrize(
    ("bonuses", "penalties", "expected"),
    [
        (0, 0, "0"),
        (1, 0, "2.5"),
        (2, 0, "5"),
        (3, 0, "5"),
        (0, 1, "-2.5"),
        (0, 3, "-5"),
        (1, 1, "0"),
    ],
)
def test_bonus_penalty(bonuses, penalties, expected):
    line = bonus(bonuses, penalties)
    assert line.computed == D(expected)
    assert line.claimed == D(expected)
    assert "out_of_range" not in codes(line)


def test_bonus_penalty_without_events_says_so():
    assert bonus().basis == "未登记受表彰或批评事项，得分＝0"


@pytest.mark.parametrize(
    ("claimed", "in_range"), [("-5", True), ("5", True), ("-6", False), ("5.5", False)]
)
def test_bonus_penalty_claimed_range(claimed, in_range):
    line = bonus(claimed=claimed, reason="见佐证材料")
    assert ("out_of_range" not in codes(line)) is in_range


# ---------------------------------------------------------------------------- manual


def test_manual_without_claim():
    line = score_one("manual", 3)
    assert line.judgement is True
    assert line.computed is None
    assert line.claimed is None
    assert codes(line) == ["not_scored"]
    assert line.counted_computed == 0


def test_manual_claim_needs_a_reason():
    line = score_one("manual", 3, claimed=3)
    assert line.computed is None
    assert codes(line) == ["reason_required"]


def test_manual_claim_with_reason():
    line = score_one("manual", 3, claimed="2.5", reason="  指标体系尚不完整  ")
    assert line.warnings == ()
    assert line.basis == "人工评分。理由：指标体系尚不完整"
    assert line.counted_computed == D("2.5")


def test_manual_claim_counts_in_the_computed_total():
    rub = rubric(leaf("1", "manual", 3), leaf("2", "manual", 97))
    result = sheet(rub, answers={"1": answer("2.5", "理由"), "2": answer(90, "理由")})
    assert result.totals.computed == D("92.5")
    assert result.totals.claimed == D("92.5")
