"""The rubric expression language (rubric.expr): syntax, types, evaluation, missing inputs,
division by zero, rendering, and property tests that arbitrary text only ever fails with
ExprError (no database, no Django)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rubric.expr import (
    MAX_DEPTH,
    MAX_LENGTH,
    Env,
    Expr,
    ExprError,
    MapEnv,
    MissingInput,
    ZeroDivisionInExpr,
    parse,
)

D = Decimal

BUDGET = {"expenditure_final_total": D("1954.07"), "adjusted_budget_total": D("1997.16")}
LABELS = {"expenditure_final_total": "支出决算", "adjusted_budget_total": "全年预算"}


def ev(text, **values):
    return parse(text).evaluate(MapEnv(values))


def error(text, **kw) -> ExprError:
    with pytest.raises(ExprError) as info:
        parse(text, **kw)
    return info.value


# ---------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90", D(90)),
        ("0.5", D("0.5")),
        ("1 + 2", D(3)),
        ("5 - 7", D(-2)),
        ("6 * 7", D(42)),
        ("7 / 2", D("3.5")),
        ("2 + 3 * 4", D(14)),
        ("(2 + 3) * 4", D(20)),
        ("2 * 3 + 4", D(10)),
        ("10 - 4 - 3", D(3)),  # left to right
        ("12 / 3 / 2", D(2)),  # left to right
        ("12 / 3 * 2", D(8)),
        ("10 - 2 * 3 > 3", True),  # comparison binds loosest
        ("-2 * 3", D(-6)),
        ("2 * -3", D(-6)),
        ("2 - -3", D(5)),
        ("--3", D(3)),
        ("---3", D(-3)),
        ("+4", D(4)),
        ("-(2 + 3) * 2", D(-10)),
        ("-2 + 5", D(3)),
        ("1 / 3", D("0.3333333333333333333333333333")),  # 28 significant digits
    ],
)
def test_arithmetic_and_precedence(text, expected):
    value = ev(text)
    assert value == expected
    assert type(value) is type(expected)


def test_inputs_are_used_as_decimals_never_floats():
    value = ev("a * b", a=D("0.1"), b=D(3))
    assert value == D("0.3")
    assert isinstance(value, Decimal)
    assert ev("a + 1", a=2) == D(3)  # an int from the environment is taken as a Decimal


def test_example_budget_completion_rate():
    expr = parse("expenditure_final_total / adjusted_budget_total * 100")
    assert expr.evaluate(MapEnv(BUDGET)) == D("97.84243625948847363255823269")
    assert expr.result_type() == "number"
    assert expr.names() == frozenset(BUDGET)


# ---------------------------------------------------------------------------- comparisons


@pytest.mark.parametrize(
    ("op", "results"),  # results for 1 op 2, 2 op 2, 3 op 2
    [
        ("=", (False, True, False)),
        ("==", (False, True, False)),
        ("＝", (False, True, False)),
        ("<>", (True, False, True)),
        ("!=", (True, False, True)),
        ("≠", (True, False, True)),
        ("<", (True, False, False)),
        ("＜", (True, False, False)),
        ("<=", (True, True, False)),
        ("≤", (True, True, False)),
        ("＜＝", (True, True, False)),
        (">", (False, False, True)),
        (">=", (False, True, True)),
        ("≥", (False, True, True)),
    ],
)
def test_comparisons(op, results):
    for left, expected in zip((1, 2, 3), results, strict=True):
        expr = parse(f"{left} {op} x")
        assert expr.result_type() == "bool"
        assert expr.evaluate(MapEnv({"x": D(2)})) is expected
        # and as an IF condition
        assert parse(f"IF({left}{op}x, 10, 20)").evaluate(MapEnv({"x": D(2)})) == (
            10 if expected else 20
        )


def test_equality_of_text_input_with_a_literal_and_of_conditions():
    assert ev('category = "A"', category="A") is True
    assert ev('category <> "A"', category="B") is True
    assert ev('IF(category = "（一）", 1, 0)', category="（一）") == 1  # literal kept verbatim
    assert ev("NOT(p) = q", p=True, q=False) is True


def test_comparison_of_decimals_is_exact():
    assert ev("a = 2.50", a=D("2.5")) is True
    assert ev("a >= 90", a=D("89.999999")) is False


# ---------------------------------------------------------------------------- functions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IF(1 < 2, 10, 20)", D(10)),
        ("IF(1 > 2, 10, 20)", D(20)),
        ("IF(1 > 2, 1 > 0, 1 < 0)", False),
        ("MIN(3, 1, 2)", D(1)),
        ("MAX(3, 1, 2)", D(3)),
        ("MIN(-1, 1)", D(-1)),
        ("MAX(2.5, 2.50)", D("2.5")),
        ("ROUND(2.345, 2)", D("2.35")),
        ("ROUND(2, 1)", D("2.0")),
        ("ROUND(1234.5, 0)", D(1235)),
        ("ABS(-2.5)", D("2.5")),
        ("ABS(2.5)", D("2.5")),
        ("CLAMP(5, 0, 3)", D(3)),
        ("CLAMP(-5, 0, 3)", D(0)),
        ("CLAMP(2, 0, 3)", D(2)),
        ("AND(1 < 2, 2 < 3)", True),
        ("AND(1 < 2, 3 < 2)", False),
        ("AND(1 < 2)", True),
        ("OR(2 < 1, 3 < 2)", False),
        ("OR(2 < 1, 2 < 3)", True),
        ("NOT(1 < 2)", False),
        ("NOT(2 < 1)", True),
        ("SUM(1, 2, 3.5)", D("6.5")),
        ("SUM(4)", D(4)),
        ("COALESCE(1, 2)", D(1)),
        ("min(3, 1)", D(1)),  # function names are case-insensitive
        ("Max(3, 1)", D(3)),
        ("if(1 < 2, 1, 0)", D(1)),
    ],
)
def test_functions(text, expected):
    value = ev(text)
    assert value == expected
    assert type(value) is type(expected)


def test_function_names_are_written_upper_case():
    assert parse("min(a, max(b, 1))").describe() == "MIN(a，MAX(b，1))"


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("2.345", 2, "2.35"),
        ("-2.345", 2, "-2.35"),
        ("2.344", 2, "2.34"),
        ("0.125", 2, "0.13"),
        ("1.005", 2, "1.01"),
        ("2.5", 0, "3"),
        ("-2.5", 0, "-3"),
        ("3.5", 0, "4"),  # not banker's rounding
        ("0.0000005", 6, "0.000001"),
        ("7", 0, "7"),
    ],
)
def test_round_is_half_up(value, places, expected):
    result = ev(f"ROUND(x, {places})", x=D(value))
    assert result == D(expected)
    assert result.as_tuple().exponent == -places


def test_round_places_may_be_an_input_but_is_checked_when_evaluated():
    assert ev("ROUND(x, n)", x=D("1.25"), n=D(1)) == D("1.3")
    with pytest.raises(ExprError, match="ROUND 的小数位数须为0到6之间的整数"):
        ev("ROUND(x, n)", x=D("1.25"), n=D(7))
    with pytest.raises(ExprError, match="ROUND"):
        ev("ROUND(x, n)", x=D("1.25"), n=D("1.5"))


@pytest.mark.parametrize("places", ["7", "-1", "1.5", "(8)", "-(1)"])
def test_round_places_literal_checked_at_parse(places):
    e = error(f"ROUND(x, {places})")
    assert "ROUND 的小数位数须为0到6之间的整数" in str(e)
    assert e.position == 10


def test_clamp_with_low_above_high_is_refused():
    with pytest.raises(ExprError, match="CLAMP 的下限 5 大于上限 1"):
        ev("CLAMP(x, 5, 1)", x=D(3))


def test_and_or_stop_at_the_deciding_argument():
    # b is zero: AND stops before dividing, OR stops before dividing.
    assert ev("AND(b <> 0, a / b > 1)", a=D(1), b=D(0)) is False
    assert ev("OR(b = 0, a / b > 1)", a=D(1), b=D(0)) is True
    with pytest.raises(ZeroDivisionInExpr):
        ev("AND(b = 0, a / b > 1)", a=D(1), b=D(0))


def test_if_evaluates_only_the_branch_it_takes():
    assert ev("IF(b = 0, 0, a / b)", a=D(1), b=D(0)) == 0
    assert ev("IF(b = 0, 0, a / b)", a=D(1), b=D(4)) == D("0.25")


# ---------------------------------------------------------------------------- missing inputs


def test_missing_input_names_every_missing_input_once_in_order():
    with pytest.raises(MissingInput) as info:
        ev("b + a * 2 + b + c", a=None, c=D(1))
    assert info.value.names == ("b", "a")
    assert "缺少输入项：b、a" in str(info.value)


def test_missing_input_in_a_function_and_a_comparison():
    with pytest.raises(MissingInput) as info:
        ev("MIN(x, 1) > y", y=D(1))
    assert info.value.names == ("x",)
    with pytest.raises(MissingInput) as info:
        ev("IF(flag, 1, 0)")
    assert info.value.names == ("flag",)


def test_missing_input_in_the_branch_not_taken_is_not_needed():
    assert ev("IF(x > 0, x, fallback)", x=D(5)) == D(5)
    with pytest.raises(MissingInput) as info:
        ev("IF(x > 0, x, fallback)", x=D(-5))
    assert info.value.names == ("fallback",)


def test_isblank_sees_a_missing_input_without_failing():
    assert ev("ISBLANK(x)") is True
    assert ev("ISBLANK(x)", x=None) is True
    assert ev("ISBLANK(x)", x=D(0)) is False
    assert ev("IF(ISBLANK(x), 0, x * 2)") == 0
    assert ev("IF(ISBLANK(x), 0, x * 2)", x=D(4)) == D(8)


def test_coalesce_takes_the_first_argument_with_a_value():
    assert ev("COALESCE(adjusted, original)", original=D(100)) == D(100)
    assert ev("COALESCE(adjusted, original)", adjusted=D(90), original=D(100)) == D(90)
    assert ev("COALESCE(a + 1, b, 7)") == D(7)  # a + 1 has no value because a has none
    with pytest.raises(MissingInput) as info:
        ev("COALESCE(a, b)")
    assert info.value.names == ("a", "b")


def test_and_with_a_missing_argument_before_the_decision_is_missing():
    with pytest.raises(MissingInput) as info:
        ev("AND(x > 1, 1 > 2)")
    assert info.value.names == ("x",)
    assert ev("AND(1 > 2, x > 1)") is False  # decided before x is needed


def test_missing_input_is_not_an_expr_error():
    assert not issubclass(MissingInput, ValueError)
    assert not issubclass(ZeroDivisionInExpr, ValueError)
    assert issubclass(ExprError, ValueError)


# ---------------------------------------------------------------------------- division by zero


def test_division_by_zero_names_the_divisor():
    expr = parse("expenditure_final_total / adjusted_budget_total * 100")
    with pytest.raises(ZeroDivisionInExpr) as info:
        expr.evaluate(MapEnv({**BUDGET, "adjusted_budget_total": D("0.00")}))
    assert info.value.text == "adjusted_budget_total"
    assert info.value.position == 27
    assert "除数 adjusted_budget_total 为零" in str(info.value)


def test_division_by_zero_of_a_sub_expression_and_of_zero():
    with pytest.raises(ZeroDivisionInExpr) as info:
        ev("x / (a - b) * 2", x=D(1), a=D(3), b=D(3))
    assert info.value.text == "(a−b)"
    with pytest.raises(ZeroDivisionInExpr) as info:
        ev("0 / 0")
    assert info.value.text == "0"
    with pytest.raises(ZeroDivisionInExpr) as info:
        parse("1 / ROWS()").evaluate(MapEnv({}, {("ROWS", None): D(0)}))
    assert info.value.text == "ROWS()"


def test_missing_dividend_is_reported_before_a_zero_divisor():
    with pytest.raises(MissingInput):
        ev("x / y", y=D(0))


# ---------------------------------------------------------------------------- row aggregates


ROWS_ENV = MapEnv(
    {"weight": D(3)},
    {
        ("ROWS", None): D(5),
        ("MET", None): D(4),
        ("ROWS", "2.1"): D(4),
        ("MET", "2.1"): D(3),
        ("ROWPOINTS", "2.1"): D("2.5"),
        ("ROWSCORE", None): D("7.25"),
    },
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ROWS()", D(5)),
        ("MET()", D(4)),
        ('ROWS("2.1")', D(4)),
        ('MET("2.1") / ROWS("2.1") * weight', D("2.25")),
        ('ROWPOINTS("2.1")', D("2.5")),
        ("ROWSCORE()", D("7.25")),
        ("rows()", D(5)),
        ("MET(“2.1”)", D(3)),  # Chinese quotes
        ("IF(MET() = ROWS(), 1, 0)", D(0)),
    ],
)
def test_row_aggregates(text, expected):
    expr = parse(text)
    assert expr.uses_rows()
    assert expr.evaluate(ROWS_ENV) == expected


def test_uses_rows_is_false_without_row_calls():
    assert not parse("MIN(rows_count, 1)").uses_rows()  # an input may be called rows_count


def test_mapenv_without_a_row_value_raises_keyerror_and_satisfies_env():
    assert isinstance(ROWS_ENV, Env)
    with pytest.raises(KeyError):
        parse('ROWS("9.9")').evaluate(ROWS_ENV)


@pytest.mark.parametrize(
    ("text", "fragment"), [("ROWS(x)", "指标编码"), ('ROWS("1", "2")', "最多")]
)
def test_row_aggregate_arguments_checked_at_parse(text, fragment):
    assert fragment in str(error(text))


# ---------------------------------------------------------------------------- full-width


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("（１２．５＋２）×２÷４", D("7.25")),
        ("MIN(1，2)", D(1)),
        ("10－3", D(7)),
        ("10−3", D(7)),  # the minus sign render() writes
        ("２＊３／４", D("1.5")),
        ("IF(3≥2，1，0)", D(1)),
        ("IF(3 ＞＝ 2, 1, 0)", D(1)),
        ("1\u3000+\u30002", D(3)),  # ideographic space
        ("=1+2", D(3)),  # Excel's leading =
        ("＝ 1+2", D(3)),
    ],
)
def test_full_width_input(text, expected):
    assert ev(text) == expected


# ---------------------------------------------------------------------------- names


def test_unknown_name_is_refused_with_its_position():
    e = error("adjusted_budget_total * 100 + bugdet", known={"adjusted_budget_total"})
    assert e.position == 31
    assert str(e) == "第31个字符处：未知的输入项 bugdet"


def test_known_names_are_accepted():
    expr = parse("IF(ISBLANK(a), b, a)", known=["a", "b"])
    assert expr.names() == {"a", "b"}


def test_upper_case_name_is_refused():
    e = error("Budget * 2")
    assert e.position == 1
    assert "须为小写" in str(e)


def test_expr_dataclass():
    expr = parse("a+1")
    assert expr.source == "a+1"
    assert Expr("a+1") == expr
    assert Expr("a+1").evaluate(MapEnv({"a": D(1)})) == D(2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.source = "b"  # type: ignore[misc]
    with pytest.raises(ExprError):
        Expr("a +")


# ---------------------------------------------------------------------------- syntax errors


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("MIN(a, b", 9, "缺少右括号"),
        ("(a + b", 7, "缺少右括号"),
        ("a $ b", 3, "无法识别的字符“$”"),
        ("FOO(1)", 1, "未知函数 FOO"),
        ("x + foo(1)", 5, "未知函数 FOO"),
        ("MIN(1)", 1, "函数 MIN 至少需要2个参数"),
        ("MAX()", 1, "函数 MAX 至少需要2个参数"),
        ("IF(1 < 2, 1)", 1, "函数 IF 需要3个参数"),
        ("ROUND(1)", 1, "函数 ROUND 需要2个参数"),
        ("ABS(1, 2)", 1, "函数 ABS 需要1个参数"),
        ("NOT()", 1, "函数 NOT 需要1个参数"),
        ("CLAMP(1, 2)", 1, "函数 CLAMP 需要3个参数"),
        ("COALESCE(a)", 1, "函数 COALESCE 至少需要2个参数"),
        ("ISBLANK(a, b)", 1, "函数 ISBLANK 需要1个参数"),
        ("SUM()", 1, "函数 SUM 至少需要1个参数"),
        ("AND()", 1, "函数 AND 至少需要1个参数"),
        ("1,000", 2, "逗号"),
        ("MIN(1,000)", 7, "前导零"),
        ("a +", 4, "缺少运算数"),
        ("a * / b", 5, "运算符“/”前缺少运算数"),
        ("MIN(a,)", 7, "右括号前缺少运算数"),
        ("(a))", 4, "多余的右括号"),
        ("1 < a < 3", 7, "比较运算不能连写"),
        ("2 3", 3, "缺少运算符"),
        ("2(3)", 2, "缺少运算符"),
        ("a ^ 2", 3, "不支持乘方"),
        ("a ** 2", 4, "缺少运算数"),
        ("rate >= 90%", 11, "百分号"),
        ("a 'x'", 3, "双引号"),
        ('ROWS("2.1)', 6, "引号不配对"),
        (".5", 1, "小数点"),
        ("5.", 2, "小数点"),
        ("预算 * 2", 1, "无法识别的字符“预”"),
        ('a = "x" AND b', 9, "AND 须写成函数"),
        ('__import__("os")', 1, "未知函数 __IMPORT__"),
        ("__import__('os')", 12, "文字须用双引号括起"),
        ("a.b", 2, "小数点"),
        ("1e5", 2, "缺少运算符"),
    ],
)
def test_syntax_errors_name_position_and_reason(text, position, fragment):
    e = error(text)
    assert e.position == position
    assert fragment in str(e)
    assert str(e).startswith(f"第{position}个字符处：")


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_empty_formula_is_refused(text):
    assert "公式为空" in str(error(text))


# ---------------------------------------------------------------------------- bounds


def test_nesting_deeper_than_the_limit_is_refused():
    ok = "(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH
    assert parse(ok).evaluate(MapEnv({})) == 1
    deep = "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)
    e = error(deep)
    assert "嵌套超过40层" in str(e)
    assert e.position == MAX_DEPTH + 1


def test_nested_function_calls_count_as_nesting():
    assert ev("ABS(" * MAX_DEPTH + "-1" + ")" * MAX_DEPTH) == 1
    assert "嵌套" in str(error("ABS(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)))


def test_brackets_inside_text_literals_do_not_count():
    assert parse('ROWS("' + "(" * 60 + '")').uses_rows()


def test_text_longer_than_the_limit_is_refused():
    longest = "1+" * 999 + "11"
    assert len(longest) == MAX_LENGTH
    assert ev(longest) == D(999 + 11)
    e = error(longest + " ")
    assert "公式过长" in str(e)
    assert "2001" in str(e)


def test_long_flat_chains_and_sign_runs_do_not_recurse():
    assert ev("-" * (MAX_LENGTH - 1) + "1") == -1  # 1999 signs: odd
    assert ev("*".join(["1"] * 1000)) == 1
    assert ev("AND(" + ",".join(["1<2"] * 400) + ")") is True


# ---------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("IF(1, 2, 3)", 4, "IF 的第1个参数（条件）应为条件"),
        ("IF(a > 1, 2, 1 > 0)", 14, "IF 的两个结果类型须一致"),
        ("1 + (2 > 1)", 5, "应为数值，这里是条件"),
        ("-(2 > 1)", 2, "正负号后应为数值"),
        ("NOT(1)", 5, "函数 NOT 的参数应为条件"),
        ("AND(1 < 2, 3)", 12, "函数 AND 的参数应为条件"),
        ("OR(a, 3)", 7, "函数 OR 的参数应为条件"),
        ("MIN(1, 2 > 1)", 8, "函数 MIN 的参数应为数值"),
        ("SUM(1, NOT(a))", 8, "函数 SUM 的参数应为数值"),
        ('1 + "a"', 5, "应为数值，这里是文字"),
        ('"a" < "b"', 1, "应为数值，这里是文字"),
        ('1 = "a"', 3, "两边类型不同"),
        ("1 = (1 < 2)", 3, "两边类型不同"),
        ("ISBLANK(a + 1)", 9, "ISBLANK 的参数须为一个输入项名称"),
        ("IF(x, x + 1, 0)", 7, "输入项 x 在第4个字符处作为条件（是/否）使用，这里又作为数值使用"),
        ('IF(a = "A", a * 2, 0)', 13, "输入项 a 在第4个字符处作为文字使用"),
        ('"text"', 1, "结果不能是文字"),
        ("COALESCE(a, 1 > 0) + 1", 1, "应为数值，这里是条件"),
    ],
)
def test_type_errors_found_at_parse(text, position, fragment):
    e = error(text)
    assert e.position == position
    assert fragment in str(e)


def test_result_type_and_input_types():
    assert parse("a + b").result_type() == "number"
    assert parse("a > b").result_type() == "bool"
    assert parse("IF(c, a, b)").input_types() == {"c": "bool", "a": "number", "b": "number"}
    assert parse('IF(s = "A", 1, 0)').input_types() == {"s": "text"}
    assert parse("x").result_type() == "number"  # an input alone counts as a number…
    assert parse("x", expect="bool").result_type() == "bool"  # …unless the caller says
    assert parse("IF(p, q, r)", expect="bool").input_types() == {
        "p": "bool",
        "q": "bool",
        "r": "bool",
    }
    assert parse("x", types={"x": "bool"}).result_type() == "bool"
    assert "结果应为条件" in str(error("a + 1", expect="bool"))
    assert "类型是数值" in str(error("NOT(x)", types={"x": "number"}))


def test_wrong_value_types_found_at_evaluation():
    with pytest.raises(ExprError, match="输入项 a 的值应为数值"):
        ev("a + 1", a=True)
    with pytest.raises(ExprError, match="输入项 c 的值应为条件"):
        ev("IF(c, 1, 0)", c=D(1))
    with pytest.raises(ExprError, match="两边类型不同"):
        ev("a = b", a=D(1), b=True)  # no use fixes the types of a and b
    with pytest.raises(ExprError, match="不是可用的数值"):
        ev("a + 1", a=1.5)  # floats are refused
    with pytest.raises(ExprError, match="不是可用的数值"):
        ev("a + 1", a=D("NaN"))


def test_overflow_is_an_expr_error():
    big = D("9E+999990")
    with pytest.raises(ExprError, match="超出"):
        ev("a * a", a=big)


# ---------------------------------------------------------------------------- render / describe


def test_render_fills_in_the_numbers():
    expr = parse("expenditure_final_total / adjusted_budget_total * 100")
    assert expr.render(MapEnv(BUDGET)) == "1954.07÷1997.16×100"


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("a - b", {"a": D("2.50"), "b": D("100")}, "2.5−100"),
        ("(a + b) * 2", {"a": D(1), "b": D(2)}, "(1+2)×2"),
        ("a + (b)", {"a": D(1), "b": D(2)}, "1+(2)"),
        ("a * b", {"a": D(3), "b": D("-2.50")}, "3×(−2.5)"),
        ("b * a", {"a": D(3), "b": D("-2.50")}, "−2.5×3"),
        ("-a", {"a": D(-1)}, "−(−1)"),
        ("MIN(a, 2.0)", {"a": D("1E+2")}, "MIN(100，2)"),
        ("IF(a >= 90, 2, 0)", {"a": D("95.00")}, "IF(95≥90，2，0)"),
        ("IF(a <= 90, 2, 0)", {"a": D("95.00")}, "IF(95≤90，2，0)"),
        ("IF(a <> 90, 2, 0)", {"a": D("95.00")}, "IF(95≠90，2，0)"),
        ("IF(a != 90, 2, 0)", {"a": D("95.00")}, "IF(95≠90，2，0)"),
        ("a == 0", {"a": D("0.00")}, "0=0"),
        ("IF(p, 1, 0)", {"p": True}, "IF(是，1，0)"),
        ('s = "A"', {"s": "A"}, "“A”=“A”"),
        ("COALESCE(a, b)", {"b": D(7)}, "COALESCE(空，7)"),
        ("（a＋b）×２", {"a": D(1), "b": D(2)}, "(1+2)×2"),
    ],
)
def test_render(text, values, expected):
    assert parse(text).render(MapEnv(values)) == expected


def test_render_row_aggregates_and_isblank_with_labels():
    expr = parse('IF(ISBLANK(weight), 0, MET("2.1") / ROWS("2.1") * weight)')
    assert expr.render(ROWS_ENV, {"weight": "分值"}) == "IF(ISBLANK(分值)，0，3÷4×3)"
    assert expr.render(ROWS_ENV) == "IF(ISBLANK(weight)，0，3÷4×3)"


def test_describe_uses_labels():
    expr = parse("expenditure_final_total / adjusted_budget_total * 100")
    assert expr.describe(LABELS) == "支出决算÷全年预算×100"
    assert expr.describe() == "expenditure_final_total÷adjusted_budget_total×100"
    assert expr.describe({"adjusted_budget_total": "全年预算"}) == (
        "expenditure_final_total÷全年预算×100"
    )


def test_describe_keeps_calls_brackets_and_literals():
    expr = parse('ROUND(MIN(MET("2.1") / ROWS("2.1"), 1) * (w - 0.50), 2) >= 1')
    assert expr.describe({"w": "权重"}) == "ROUND(MIN(MET(“2.1”)÷ROWS(“2.1”)，1)×(权重−0.5)，2)≥1"


# ---------------------------------------------------------------------------- property tests

QUICK = settings(max_examples=300, deadline=None, database=None)

TOKENS = [
    *'abx019.,()+-*/<>=!"％%$ ',
    *"（），＋－×÷≥≤≠“”０５．\u3000",
    "2.5",
    "1,000",
    "<>",
    ">=",
    "==",
    '"2.1"',
    *(f"{fn}(" for fn in ("IF", "MIN", "MAX", "ROUND", "ABS", "CLAMP", "AND", "OR", "NOT")),
    *(f"{fn}(" for fn in ("SUM", "ISBLANK", "COALESCE", "ROWS", "MET", "ROWPOINTS", "ROWSCORE")),
    "if(",
    "Foo(",
    "Abc",
]
FORMULAISH = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)


class _AnyEnv:
    """Every input has a value of the type its use gave it; every row aggregate is 2."""

    def __init__(self, types, zero=False):
        self.types = types
        self.zero = zero

    def value(self, name):
        kind = self.types.get(name, "number")
        if kind == "bool":
            return True
        if kind == "text":
            return "2.1"
        return D(0) if self.zero else D("1.5")

    def rows(self, fn, section):
        return D(0) if self.zero else D(2)


@QUICK
@given(st.one_of(FORMULAISH, TEXT))
@example("MIN(a,b")
@example("((((((((((((((((((((((((((((((((((((((((((1")
@example('"')
@example("")
@example("\x00")
@example("1" * 3000)
def test_parse_never_fails_with_anything_but_expr_error(text):
    try:
        expr = parse(text)
    except ExprError as e:
        assert str(e)
        assert e.position is None or 1 <= e.position <= len(text) + 1
        return
    # What parses is sound: evaluation yields the static type or one of the documented errors.
    assert expr.result_type() in ("number", "bool")
    for zero in (False, True):
        env = _AnyEnv(expr.input_types(), zero)
        try:
            value = expr.evaluate(env)
        except (ZeroDivisionInExpr, ExprError):
            continue
        expected = bool if expr.result_type() == "bool" else Decimal
        assert type(value) is expected
        assert isinstance(expr.render(env), str)
    assert isinstance(expr.describe({"a": "甲"}), str)
