"""Boundaries of the format-2 methods and rules: formula, coefficient (numeric and qualitative),
over_policy, rounding modes for rates and scores, target_rows layouts, scorers, operators and
sections, deep trees, a declared total other than 100, missing inputs and zero denominators.
Rubrics are written as format-2 files (dicts) and inputs in the example-inputs JSON format
(rubric/example_inputs.py), so these tests read like the documentation (no database)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from rubric import engine, example_inputs, loader
from rubric.spec import ScoringInput, TargetRow, Task

D = Decimal


def node(code: str, points: Any, method: str = "manual", params: dict | None = None, **kw) -> dict:
    out = {"code": code, "name": kw.pop("name", f"指标{code}"), "points": points, **kw}
    if "children" not in out:
        out.update(criteria="评分标准", method=method)
        if params is not None:
            out["params"] = params
    return out


def make(*indicators: dict, inputs: list | None = None, total: Any = None, **top) -> Any:
    content: dict[str, Any] = {
        "format": 2,
        "key": "new-methods",
        "jurisdiction": "测试区",
        "year": 2024,
        "title": "测试",
        "source": "测试",
        "inputs": inputs or [],
        "indicators": list(indicators),
        **top,
    }
    content["total"] = total if total is not None else sum(D(str(n["points"])) for n in indicators)
    if isinstance(content["total"], Decimal):
        content["total"] = float(content["total"])
    return loader.parse(content)


def score(rub, content: dict | None = None):
    return engine.score(rub, example_inputs.scoring_input(content or {}, rub))


def money(*keys: str) -> list[dict]:
    return [{"key": k, "label": f"输入{k}"} for k in keys]


def pct(*keys: str, high: int = 1000) -> list[dict]:
    return [{"key": k, "label": f"比率{k}", "unit": "%", "max": high} for k in keys]


def one(method: str, points: Any, params: dict, inputs: list, values: dict, **kw):
    """Score a rubric of the one leaf "1"; return its line."""
    rub = make(node("1", points, method, params, **kw.pop("node", {})), inputs=inputs, **kw)
    answers = kw.get("answers")
    content = {"inputs": values, **({"answers": answers} if answers else {})}
    return score(rub, content).line("1")


def codes(line) -> list[str]:
    return [w.code for w in line.warnings]


# ---------------------------------------------------------------------------- formula


def formula(score_text: str, values: dict, points: Any = 3, **params):
    inputs = money("a", "b")
    return one("formula", points, {"score": score_text, **params}, inputs, values)


def test_formula_scores_and_writes_the_formula_with_values():
    line = formula("points * a / b", {"a": "2", "b": "3"})
    assert line.computed == D("2.00")
    assert line.basis == "得分＝3×2÷3＝2"


def test_formula_is_kept_within_zero_and_points():
    high = formula("a * 10", {"a": "1", "b": "1"})
    assert high.computed == D("3")
    assert high.basis == "得分＝1×10＝10，按0～3分计3"
    low = formula("a - b", {"a": "1", "b": "5"})
    assert low.computed == D("0")
    assert "，按0～3分计0" in low.basis


def test_formula_min_allows_a_negative_score():
    line = formula("points - a * 1.5", {"a": "4", "b": "1"}, points=1, min=-2)
    assert line.computed == D("-2")  # 1 − 6 = −5, kept at −2
    assert "按-2～1分计-2" in line.basis
    assert line.min_score == D("-2")


def test_formula_with_a_rate_uses_the_rounded_rate():
    line = formula(
        "IF(rate <= 5, points, MAX(0, points - (rate - 5) * 0.2))",
        {"a": "80", "b": "1000"},
        rate="a / b * 100",
        label="结余率",
    )
    assert line.computed == D("2.40")
    assert line.basis == "结余率＝80÷1000×100＝8.00%；得分＝IF(8≤5，3，MAX(0，3−(8−5)×0.2))＝2.4"


def test_formula_zero_denominator_is_missing_and_counted_at_the_claimed_score():
    rub = make(node("1", 3, "formula", {"score": "points * a / b"}), inputs=money("a", "b"))
    sheet = score(rub, {"inputs": {"a": "1", "b": "0"}, "answers": {"1": {"claimed": "2"}}})
    line = sheet.line("1")
    assert line.computed is None
    assert line.missing
    assert codes(line) == ["zero_denominator"]
    assert line.warnings[0].message == "公式中的除数为零（b）"
    assert sheet.totals.computed == D("2")
    assert sheet.totals.missing_count == 1
    assert sheet.totals.missing_points == D("2")


def test_formula_zero_denominator_in_a_bracket_names_the_bracket():
    line = formula("points * a / (b - a)", {"a": "2", "b": "2"})
    assert line.computed is None
    assert line.warnings[0].message == "公式中的除数为零（(b−a)）"


def test_formula_if_guard_never_divides_by_zero():
    line = formula("IF(b <> 0, points * a / b, 0)", {"a": "1", "b": "0"})
    assert line.computed == D("0")
    assert line.warnings == ()


def test_formula_missing_input_and_coalesce():
    missing = formula("points * a / b", {"a": "1"})
    assert missing.computed is None
    assert [w.message for w in missing.warnings] == ["缺少输入：输入b"]
    filled = formula("points * COALESCE(a, 0) / b", {"b": "2"})
    assert filled.computed == D("0")


def test_formula_rate_without_rate_formula_is_refused():
    with pytest.raises(loader.RubricError, match="score 用到了 rate，但没有给出 rate 公式"):
        make(node("1", 3, "formula", {"score": "rate * points"}))


def test_formula_naming_an_undeclared_input_is_refused_with_its_position():
    with pytest.raises(loader.RubricError) as caught:
        make(node("1", 3, "formula", {"score": "points * c"}), inputs=money("a"))
    assert "indicators[0].params.score: 公式有误：第10个字符处：未知的输入项 c" in str(caught.value)


def test_derived_input_dividing_by_zero_has_no_value():
    inputs = [
        *money("a", "b"),
        {"key": "r", "label": "比率", "unit": "%", "max": 500, "formula": "a / b * 100"},
    ]
    rub = make(node("1", 4, "external_rate", {"label": "比率", "rate": "r"}), inputs=inputs)
    sheet = score(rub, {"inputs": {"a": "1", "b": "0"}})
    assert sheet.values["r"] is None
    assert sheet.line("1").computed is None
    assert sheet.totals.missing_count == 1


def test_proportional_zero_denominator_names_the_denominator():
    params = {"label": "执行率", "numerator": "a", "denominator": ["b", "c"]}
    line = one("proportional", 5, params, money("a", "b", "c"), {"a": "1", "b": "0", "c": "0"})
    assert line.computed is None
    assert line.warnings[0].code == "zero_denominator"
    assert line.warnings[0].message == "执行率的分母（输入b、输入c）为零"


# ---------------------------------------------------------------------------- coefficient


BANDS = [
    {"min": 100, "coefficient": 1},
    {"min": 90, "coefficient": 0.8},
    {"min": 60, "coefficient": 0.5},
]


def coefficient(a: str, **params):
    p = {"label": "完成率", "numerator": "a", "denominator": "b", "bands": BANDS, **params}
    return one("coefficient", 8, p, money("a", "b"), {"a": a, "b": "100"})


@pytest.mark.parametrize(
    ("a", "expected", "words"),
    [
        ("100", "8", "≥100%，得分系数1；得分＝1×8＝8"),
        ("99.99", "6.40", "≥90%，得分系数0.8；得分＝0.8×8＝6.4"),
        ("90", "6.40", "≥90%，得分系数0.8"),
        ("89.99", "4.00", "≥60%，得分系数0.5"),
        ("60", "4.00", "≥60%，得分系数0.5"),
        ("59.99", "0", "低于各档，得分系数0；得分＝0×8＝0"),
    ],
)
def test_coefficient_bands_at_their_boundaries(a, expected, words):
    line = coefficient(a)
    assert line.computed == D(expected)
    assert words in line.basis


def test_coefficient_otherwise():
    assert coefficient("10", otherwise=0.25).computed == D("2.00")


def test_coefficient_above_100_by_over_policy():
    assert coefficient("130").computed == D("8")  # cap
    zero = coefficient("130", over_policy="zero")
    assert zero.computed == D("0")
    assert zero.basis.endswith("130.00%超过100%，本项不得分")
    deduct = coefficient("111", over_policy="deduct", over_step=5, over_deduction=1)
    assert deduct.computed == D("5.00")  # 11 points over: 3 steps
    assert "共3档，得分＝8−3×1＝5" in deduct.basis


def test_coefficient_bands_must_descend():
    bands = [{"min": 60, "coefficient": 0.5}, {"min": 90, "coefficient": 0.8}]
    with pytest.raises(loader.RubricError, match="bands 应按 min 从高到低排列"):
        coefficient("90", bands=bands)


GRADES = [
    {"key": "good", "label": "好", "coefficient": 1},
    {"key": "fair", "label": "较好", "coefficient": 0.8},
    {"key": "poor", "label": "差", "coefficient": 0.2},
]


def graded(answer: dict | None):
    rub = make(node("1", 5, "coefficient", {"grades": GRADES}))
    return score(rub, {"answers": {"1": answer}} if answer else {}).line("1")


def test_coefficient_grade_with_reason():
    line = graded({"choices": {"grade": "poor"}, "reason": "效果较差"})
    assert line.computed == D("1.00")
    assert line.basis == "评级为“差”，得分系数0.2；得分＝0.2×5＝1。理由：效果较差"
    assert line.warnings == ()


def test_coefficient_grade_without_reason_is_scored_with_a_warning():
    line = graded({"choices": {"grade": "good"}})
    assert line.computed == D("5")
    assert codes(line) == ["reason_required"]


@pytest.mark.parametrize("answer", [None, {"choices": {"grade": "excellent"}}])
def test_coefficient_grade_not_chosen_is_missing(answer):
    line = graded(answer)
    assert line.computed is None
    assert line.missing
    assert [w.message for w in line.warnings] == ["尚未选择评级"]


def test_coefficient_grades_refuse_rate_parameters():
    with pytest.raises(loader.RubricError, match="定性评级（grades）不用比率参数"):
        make(node("1", 5, "coefficient", {"grades": GRADES, "label": "x"}))


# ---------------------------------------------------------------------------- over_policy


OVER = {
    "cap": {},
    "zero": {"over_policy": "zero"},
    "deduct": {"over_policy": "deduct", "over_step": 5, "over_deduction": 1},
}


def over(method: str, rate: str, policy: str, points: Any = 10):
    params: dict[str, Any] = {"label": "执行率", "rate": "r", **OVER[policy]}
    if method == "linear_band":
        params.update(floor=60, ceiling=100)
    return one(method, points, params, pct("r"), {"r": rate})


@pytest.mark.parametrize("method", ["proportional", "linear_band", "external_rate"])
@pytest.mark.parametrize(
    ("rate", "policy", "expected"),
    [
        ("100", "zero", "10"),
        ("100", "deduct", "10"),
        ("100.01", "cap", "10"),
        ("100.01", "zero", "0"),
        ("100.01", "deduct", "9"),  # any part of a step is a step
        ("105", "deduct", "9"),  # 5 points over: exactly one step
        ("105.01", "deduct", "8"),
        ("200", "deduct", "0"),  # never below zero
        ("150", "cap", "10"),
    ],
)
def test_over_policy(method, rate, policy, expected):
    assert over(method, rate, policy).computed == D(expected)


def test_over_policy_texts():
    assert (
        over("proportional", "112", "zero").basis == "执行率＝112.00%；112.00%超过100%，本项不得分"
    )
    assert over("external_rate", "112", "deduct").basis == (
        "执行率（财政局通报）＝112.00%；超过100%的部分每5%（含）扣1分，共3档，得分＝10−3×1＝7"
    )
    assert over("linear_band", "112", "deduct").basis == (
        "执行率＝112.00%；超过100%的部分每5%（含）扣1分，共3档，得分＝10−3×1＝7"
    )
    assert (
        over("external_rate", "150", "cap").basis
        == "执行率（财政局通报）＝150.00%；达到100%，得满分10"
    )


def test_over_step_only_with_deduct():
    with pytest.raises(
        loader.RubricError, match="over_step、over_deduction 只用于 over_policy: deduct"
    ):
        one("proportional", 5, {"label": "x", "rate": "r", "over_step": 5}, pct("r"), {})
    with pytest.raises(loader.RubricError, match="over_step 与 over_deduction 应为正数"):
        params = {
            "label": "x",
            "rate": "r",
            "over_policy": "deduct",
            "over_step": 0,
            "over_deduction": 1,
        }
        one("proportional", 5, params, pct("r"), {})


def test_zero_if_over_and_over_policy_exclude_each_other():
    with pytest.raises(loader.RubricError, match="zero_if_over 与 over_policy 只能二选一"):
        params = {"label": "x", "rate": "r", "zero_if_over": True, "over_policy": "zero"}
        one("proportional", 5, params, pct("r"), {})


# ---------------------------------------------------------------------------- rounding


def rounded(rounding: dict, a: str, b: str, points: Any = 1):
    params = {"label": "完成率", "numerator": "a", "denominator": "b"}
    return one("proportional", points, params, money("a", "b"), {"a": a, "b": b}, rounding=rounding)


@pytest.mark.parametrize(
    ("mode", "score"),
    [("half_up", "0.13"), ("half_even", "0.12"), ("down", "0.12"), ("up", "0.13")],
)
def test_score_rounding_modes(mode, score):
    # 1 ÷ 8 = 12.50% exactly: the rate needs no rounding; 12.5% × 1 = 0.125
    line = rounded({"mode": mode}, "1", "8")
    assert line.computed == D(score)
    assert line.basis.startswith("完成率＝1.00÷8.00×100%＝12.50%")


@pytest.mark.parametrize(
    ("rate_mode", "rate"),
    [("half_up", "66.67"), ("half_even", "66.67"), ("down", "66.66"), ("up", "66.67")],
)
def test_rate_rounding_modes(rate_mode, rate):
    # 2 ÷ 3 = 66.666…%; the score is rounded half_up from the rounded rate, × 100 points
    line = rounded({"mode": "half_up", "rate_mode": rate_mode}, "2", "3", points=100)
    assert line.computed == D(rate)
    assert f"＝{rate}%；" in line.basis


def test_rate_half_even_at_the_half():
    # 2469 ÷ 20000 = 12.345%: half_even gives 12.34, half_up 12.35
    even = rounded({"rate_mode": "half_even"}, "2469", "20000", points=100)
    up = rounded({"rate_mode": "half_up"}, "2469", "20000", points=100)
    assert (even.computed, up.computed) == (D("12.34"), D("12.35"))


def test_rate_mode_and_mode_apply_separately():
    # rate truncated (33.33%), score rounded up: 33.33% × 10 = 3.333 → 3.34
    line = rounded({"mode": "up", "rate_mode": "down"}, "1", "3", points=10)
    assert line.computed == D("3.34")
    assert "＝33.33%；得分＝33.33%×10＝3.34" in line.basis


def test_places():
    line = rounded({"rate_places": 0, "score_places": 1}, "2", "3", points=10)
    assert line.computed == D("6.7")  # 67% × 10
    # the 评分依据 shows the rate with the rubric's rate places
    assert line.basis == "完成率＝2.00÷3.00×100%＝67%；得分＝67%×10＝6.7"


def test_indicator_rounding_applies_below_it_and_mode_resets_rate_mode():
    params = {"label": "完成率", "numerator": "a", "denominator": "b"}
    rub = make(
        node(
            "1",
            20,
            children=[
                node("1.1", 10, "proportional", params),
                node("1.2", 10, "proportional", params),
            ],
            rounding={"mode": "down"},
        ),
        node("2", 10, "proportional", params),
        inputs=money("a", "b"),
        rounding={"mode": "half_up", "rate_mode": "up"},
    )
    sheet = score(rub, {"inputs": {"a": "2", "b": "3"}})
    # under "1": mode down, and rate_mode follows it (66.66%); top level: rate up (66.67%)
    assert sheet.line("1.1").computed == D("6.66")
    assert sheet.line("1.2").computed == D("6.66")
    assert sheet.line("2").computed == D("6.67")


def test_rounding_places_out_of_range_are_refused():
    with pytest.raises(loader.RubricError, match=r"rounding\.score_places: 应为 0 到 6 的整数"):
        rounded({"score_places": 7}, "1", "1")


# ---------------------------------------------------------------------------- target rows


def rows_rubric(scoring: str = "proportional", layout: str = "tasks", points: Any = 10, **extra):
    params = {"layout": layout, "row_scoring": scoring, **extra}
    return make(node("2", points, "target_rows", params))


def row(name="行", points="5", **kw) -> dict:
    return {"name": name, "points": points, **kw}


def test_layout_tasks_gives_task_and_row_lines():
    rub = rows_rubric()
    rows = [
        row("甲", task="任务一", target_value="10", actual_value="10"),
        row("乙", points="3", task="任务二", target_value="10", actual_value="5"),
        row("丙", points="2", task="任务二", operator="text", achieved=True),
    ]
    sheet = score(rub, {"rows": {"2": rows}})
    assert [(ln.code, ln.level, ln.computed) for ln in sheet.lines] == [
        ("2", 1, D("8.50")),
        ("2.1", 2, D("5")),
        ("2.1.1", 3, D("5")),
        ("2.2", 2, D("3.50")),
        ("2.2.1", 3, D("1.50")),
        ("2.2.2", 3, D("2")),
    ]
    assert sheet.line("2.1").name == "任务一"
    assert sheet.line("2.2.1").basis == "目标≥10，实际5，未完成，得分＝3×5÷10＝1.5"


def test_layout_rows_gives_row_lines_only():
    rub = rows_rubric(layout="rows")
    rows = [
        row("甲", task="任务一", target_value="10", actual_value="10"),
        row("乙", task="任务二", target_value="10", actual_value="5"),
    ]
    sheet = score(rub, {"rows": {"2": rows}})
    assert [(ln.code, ln.level, ln.computed) for ln in sheet.lines] == [
        ("2", 1, D("7.50")),
        ("2.1", 2, D("5")),
        ("2.2", 2, D("2.50")),
    ]


@pytest.mark.parametrize(
    ("scoring", "expected", "words"),
    [
        ("all_or_nothing", "0", "目标≥10个，实际8个，未完成，不得分"),
        ("proportional", "4.00", "目标≥10个，实际8个，未完成，得分＝5×8÷10＝4"),
    ],
)
def test_row_scoring_of_a_row_not_met(scoring, expected, words):
    rub = rows_rubric(scoring, layout="rows", points=5)
    sheet = score(rub, {"rows": {"2": [row(target_value="10", actual_value="8", unit="个")]}})
    assert sheet.line("2.1").computed == D(expected)
    assert sheet.line("2.1").basis == words


def test_row_scoring_coefficient_ignores_the_numbers():
    grades = [
        {"key": "a", "label": "完成", "coefficient": 1},
        {"key": "b", "label": "部分完成", "coefficient": 0.6},
    ]
    rub = rows_rubric("coefficient", layout="rows", points=10, grades=grades)
    rows = [
        row("甲", target_value="10", actual_value="20", grade="b"),
        row("乙", operator="text", grade="a"),
    ]
    sheet = score(rub, {"rows": {"2": rows}})
    assert sheet.line("2.1").computed == D("3.00")
    assert sheet.line("2.1").basis == "目标≥10，实际20，完成等级“部分完成”，得分＝0.6×5＝3"
    assert sheet.line("2.2").computed == D("5")
    assert sheet.line("2").computed == D("8.00")
    blank = score(rub, {"rows": {"2": [row(grade=""), row("乙", grade="a")]}})
    assert blank.line("2.1").computed is None
    assert [w.message for w in blank.line("2.1").warnings] == ["“行”未选择完成等级"]


def test_coefficient_scoring_needs_grades():
    with pytest.raises(loader.RubricError, match="grades 至少应有两个等级"):
        rows_rubric("coefficient")


def test_row_scoring_and_partial_exclude_each_other():
    with pytest.raises(loader.RubricError, match="row_scoring 与 partial 只能二选一"):
        rows_rubric("proportional", partial="zero")


@pytest.mark.parametrize(
    ("fields", "met", "proportional"),
    [
        ({"operator": ">", "target_value": "10", "actual_value": "10"}, False, "5.00"),
        ({"operator": ">", "target_value": "10", "actual_value": "10.01"}, True, "5"),
        ({"operator": "<", "target_value": "10", "actual_value": "10"}, False, "5.00"),
        ({"operator": "<", "target_value": "10", "actual_value": "9.99"}, True, "5"),
        ({"operator": "<", "target_value": "10", "actual_value": "20"}, False, "2.50"),
        ({"operator": "<=", "target_value": "10", "actual_value": "0"}, True, "5"),
        ({"operator": "=", "target_value": "100", "actual_value": "99"}, False, "0"),
        (
            {
                "operator": "between",
                "target_value": "90",
                "target_max": "110",
                "actual_value": "90",
            },
            True,
            "5",
        ),
        (
            {
                "operator": "between",
                "target_value": "90",
                "target_max": "110",
                "actual_value": "110",
            },
            True,
            "5",
        ),
        (
            {
                "operator": "between",
                "target_value": "90",
                "target_max": "110",
                "actual_value": "110.5",
            },
            False,
            "0",
        ),
        ({"operator": "between", "target_value": "90", "actual_value": "90"}, True, "5"),
        ({"operator": "date", "target_date": "2024-09-30", "actual_date": "2024-09-30"}, True, "5"),
        (
            {"operator": "date", "target_date": "2024-09-30", "actual_date": "2024-10-01"},
            False,
            "0",
        ),
        ({"operator": "date", "target_date": "2024-09-30", "achieved": True}, True, "5"),
        ({"operator": "text", "target_text": "建立制度", "achieved": False}, False, "0"),
        ({"operator": "text", "achieved": True}, True, "5"),
        ({"operator": ">=", "target_value": "10", "achieved": True}, True, "5"),
    ],
)
def test_row_operators(fields, met, proportional):
    for scoring, expected in (
        ("all_or_nothing", "5" if met else "0"),
        ("proportional", proportional),
    ):
        rub = rows_rubric(scoring, layout="rows", points=5)
        line = score(rub, {"rows": {"2": [row(**fields)]}}).line("2.1")
        assert line.computed == D(expected), (scoring, fields, line.basis)
        assert ("已完成" in line.basis) == met


def test_row_texts_for_between_and_date():
    rub = rows_rubric("all_or_nothing", layout="rows", points=5)
    between = row(
        operator="between", target_value="90", target_max="110", actual_value="95", unit="件"
    )
    date = row(operator="date", target_date="2024-09-30", actual_date="2024-10-08")
    sheet = score(rub, {"rows": {"2": [between, {**date, "points": "0"}]}})
    assert sheet.line("2.1").basis == "目标90～110件，实际95件，已完成，得满分5"
    assert sheet.line("2.2").basis == "目标2024-09-30前，实际2024-10-08，未完成，不得分"


def test_row_without_actual_is_missing_and_counted_at_its_claimed_score():
    rub = rows_rubric(layout="rows", points=10)
    rows = [row(target_value="10", actual_value="10"), row("乙", target_value="10", claimed="4")]
    sheet = score(rub, {"rows": {"2": rows}})
    line = sheet.line("2.2")
    assert line.computed is None and line.missing
    assert [w.message for w in line.warnings] == ["“乙”未填写实际完成情况"]
    assert sheet.line("2").computed == D("9")
    assert (sheet.totals.missing_count, sheet.totals.missing_points) == (1, D("4"))
    assert sheet.totals.coverage_text == "其中 1 项缺少数据，按自评分计，共 4.00 分"


def test_achieved_conflicting_with_the_numbers_is_flagged():
    rub = rows_rubric(layout="rows", points=5)
    line = score(rub, {"rows": {"2": [row(target_value="10", actual_value="5", achieved=True)]}})
    assert "achieved_conflict" in codes(line.line("2.1"))
    assert line.line("2.1").computed == D("2.50")  # the numbers decide


def test_section_points_mismatch_and_empty_section():
    rub = rows_rubric(layout="rows", points=10)
    short = score(rub, {"rows": {"2": [row(points="6", target_value="1", actual_value="1")]}})
    assert [w.message for w in short.line("2").warnings] == ["指标2各指标分值合计6，应为10"]
    empty = score(rub)
    assert [w.message for w in empty.line("2").warnings] == ["尚未填写指标2的任务及指标"]


def several_sections():
    return make(
        node("1", 10, "proportional", {"label": "执行率", "numerator": "a", "denominator": "b"}),
        node(
            "2",
            50,
            "target_rows",
            {"layout": "tasks", "row_scoring": "proportional", "row_label": "产出指标"},
        ),
        node("3", 30, "target_rows", {"layout": "tasks", "row_scoring": "all_or_nothing"}),
        node("4", 10, "target_rows", {"layout": "rows"}),
        node("5", 0, "bonus_penalty", {"per_event": 1, "max_bonus": 0, "max_penalty": 3}),
        inputs=money("a", "b"),
    )


def test_several_sections_keep_their_own_rows_and_scorers():
    rub = several_sections()
    content = {
        "inputs": {"a": "95", "b": "100"},
        "rows": {
            "2": [
                row("数量", points="30", task="数量指标", target_value="100", actual_value="80"),
                row("质量", points="20", task="质量指标", target_value="95", actual_value="95"),
            ],
            "3": [row("效益", points="30", task="社会效益", target_value="100", actual_value="80")],
            "4": [row("满意度", points="10", target_value="90", actual_value="85")],
        },
        "events": [{"kind": "penalty", "description": "审计问题"}],
    }
    data = example_inputs.scoring_input(content, rub)
    assert [(t.section, t.name) for t in data.tasks] == [
        ("2", "数量指标"),
        ("2", "质量指标"),
        ("3", "社会效益"),
        ("4", ""),
    ]
    sheet = engine.score(rub, data)
    assert sheet.line("1").computed == D("9.50")
    assert sheet.line("2").computed == D("44.00")  # 30×80÷100 + 20
    assert sheet.line("2.1.1").basis == "目标≥100，实际80，未完成，得分＝30×80÷100＝24"
    assert sheet.line("3").computed == D("0")  # all_or_nothing
    assert sheet.line("4.1").computed == D("9.44")  # 10×85÷90
    assert sheet.line("5").computed == D("-1.00")
    assert sheet.totals.computed == D("61.94")


def test_tasks_without_a_section_belong_to_the_first_section():
    rub = several_sections()
    data = ScoringInput(
        tasks=(Task("任务", (TargetRow("行", D(50), target_value=D(1), actual_value=D(1)),)),)
    )
    sheet = engine.score(rub, data)
    assert sheet.line("2").computed == D("50")
    assert sheet.line("2.1.1").computed == D("50")


def test_target_ratio_counts_only_its_sections():
    rub = make(
        node("2", 10, "target_rows", {"layout": "rows"}),
        node("3", 10, "target_rows", {"layout": "rows"}),
        node("4", 2, "target_ratio", {"label": "产出完成率", "sections": ["2"]}),
        node("5", 2, "target_ratio", {"label": "全部完成率"}),
    )
    rows = {
        "2": [row(points="10", target_value="1", actual_value="1")],
        "3": [
            row(points="4", target_value="1", actual_value="0"),
            row(points="6", operator="text", achieved=True),
        ],
    }
    sheet = score(rub, {"rows": rows})
    assert sheet.line("4").computed == D("2.00")
    assert sheet.line("5").computed == D("1.33")  # 2 of 3
    assert sheet.line("5").basis == (
        "全部完成率＝已实现目标数÷申报目标数×100%＝2÷3×100%＝66.67%；得分＝66.67%×2＝1.33"
    )


# ---------------------------------------------------------------------------- trees and totals


def chain(depth: int, points: Any, leaf: dict, prefix: str = "1") -> dict:
    """A chain of `depth` levels, one child each, ending in `leaf` (code and points replaced)."""
    if depth == 1:
        return {**leaf, "code": prefix, "points": points}
    return node(prefix, points, children=[chain(depth - 1, points, leaf, f"{prefix}.1")])


EXTERNAL = node("x", 1, "external_rate", {"label": "执行率", "rate": "r"})


@pytest.mark.parametrize("depth", [4, 6])
def test_deep_trees_sum_at_every_level(depth):
    rub = make(chain(depth, 60, EXTERNAL), chain(depth, 40, EXTERNAL, "2"), inputs=pct("r"))
    sheet = score(rub, {"inputs": {"r": "90"}})
    leaf_code = "1" + ".1" * (depth - 1)
    assert max(ln.level for ln in sheet.lines) == depth
    assert sheet.line(leaf_code).computed == D("54.00")
    for level in range(1, depth + 1):
        assert sheet.line("1" + ".1" * (level - 1)).computed == D("54.00")
    assert sheet.totals.computed == D("90.00")


def test_a_sum_mismatch_deep_down_names_the_level():
    bad = chain(6, 10, EXTERNAL)
    node6 = bad
    for _ in range(5):
        node6 = node6["children"][0]
    node6["points"] = 9  # the leaf, level 6
    with pytest.raises(loader.RubricError) as caught:
        make(bad, inputs=pct("r"))
    assert str(caught.value) == (
        "indicators[0]"
        + ".children[0]" * 4
        + ".children: 下级指标分值合计为 9，与本级分值 10 不一致"
        "（指标 1.1.1.1.1（指标1.1.1.1.1））"
    )


def test_declared_total_of_120():
    rub = make(
        node("1", 70, children=[node("1.1", 70, "external_rate", {"label": "甲", "rate": "r"})]),
        node("2", 50, "manual"),
        inputs=pct("r"),
        total=120,
        grades=[{"min": 108, "name": "优"}, {"min": 96, "name": "良"}, {"min": 0, "name": "差"}],
    )
    assert rub.total == D(120)
    sheet = score(
        rub, {"inputs": {"r": "100"}, "answers": {"2": {"claimed": "40", "reason": "酌情"}}}
    )
    assert sheet.totals.computed == D("110")
    assert sheet.grade == "优"
    assert (sheet.totals.judgement_count, sheet.totals.judgement_points) == (1, D("40"))


def test_declared_total_must_match_the_top_level():
    with pytest.raises(loader.RubricError, match="一级指标分值合计为 100，与总分 total 120 不一致"):
        make(node("1", 100, "manual"), total=120)


def test_missing_inputs_are_counted_at_the_claimed_score():
    params = {"label": "执行率", "rate": "r"}
    rub = make(
        node("1", 4, "external_rate", params),
        node("2", 4, "external_rate", {"label": "另一执行率", "rate": "s"}),
        node("3", 2, "external_rate", {"label": "第三执行率", "rate": "t"}),
        inputs=pct("r", "s", "t"),
    )
    content = {
        "inputs": {"r": "50", "s": None},
        "answers": {"2": {"claimed": "3.5", "reason": "通报未下达"}},
    }
    sheet = score(rub, content)
    t = sheet.totals
    assert (t.computed, t.claimed, t.final) == (D("5.50"), D("5.50"), D("5.50"))
    assert (t.missing_count, t.missing_points) == (2, D("3.5"))
    assert t.coverage_text == "其中 2 项缺少数据，按自评分计，共 3.50 分"
    assert sheet.line("3").counted_computed == D("0")


# ---------------------------------------------------------------- found in review, then fixed


def _half_row(section: str = "2") -> dict:
    return {
        section: [
            {
                "task": "任务",
                "name": "行",
                "points": "10",
                "operator": ">=",
                "target_value": "10",
                "actual_value": "5",
            }
        ]
    }


def test_rowscore_scores_rows_by_their_sections_row_scoring():
    """ROWSCORE("2") is the section's own score: all_or_nothing gives 0 for a half-done row
    (it was scored as proportional, 5)."""
    rub = make(
        node("1", 10, "formula", {"score": 'ROWSCORE("2")'}),
        node("2", 10, "target_rows", {"row_scoring": "all_or_nothing"}),
    )
    sheet = score(rub, {"rows": _half_row()})
    assert sheet.line("2").computed == 0
    assert sheet.line("1").computed == 0


def test_a_derived_input_sees_the_rows_of_tasks_without_a_section():
    """Tasks stored without a section belong to the first target_rows leaf, for formulas too."""
    rub = make(
        node("1", 10, "formula", {"score": "done / 10"}),
        node("2", 10, "target_rows", {}),
        inputs=[
            {"key": "done", "label": "完成率", "unit": "%", "formula": 'MET("2") / ROWS("2") * 100'}
        ],
    )
    data = ScoringInput(tasks=(Task("任务", (TargetRow(name="行", points=D(10), achieved=True),)),))
    sheet = engine.score(rub, data)
    assert sheet.values["done"] == D("100.00")
    assert sheet.line("1").computed == 10


def test_a_yes_no_input_may_decide_a_formula_score():
    rub = make(
        node("1", 2, "formula", {"score": "IF(has_rules, points, 0)"}),
        inputs=[{"key": "has_rules", "label": "已制定制度", "unit": "yes/no"}],
    )
    assert score(rub, {"inputs": {"has_rules": True}}).line("1").computed == 2
    assert score(rub, {"inputs": {"has_rules": False}}).line("1").computed == 0
