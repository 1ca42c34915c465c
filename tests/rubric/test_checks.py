"""A rubric's `checks:`: loading (every formula validated against the declared inputs, errors
named by the node) and evaluation (rubric.checks.evaluate_checks: pure, Decimal, no database)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from rubric import loader
from rubric.checks import evaluate_checks

D = Decimal
VERSIONS = Path(__file__).resolve().parents[2] / "rubric" / "versions"

INPUTS = [
    {"key": "basic", "label": "基本支出"},
    {"key": "project", "label": "项目支出"},
    {"key": "total", "label": "支出合计"},
    {"key": "other", "label": "其他资金", "required": False},
    {"key": "net", "label": "固定资产净值"},
    {"key": "original", "label": "固定资产原值"},
    {"key": "initial", "label": "年初预算"},
    {"key": "adjusted", "label": "全年预算"},
    {"key": "ratio", "label": "执行率", "unit": "%"},
    {"key": "staff", "label": "实有人数", "unit": "人"},
    {"key": "published", "label": "是否公开", "unit": "yes/no"},
    {"key": "share", "label": "完成率", "unit": "%", "formula": "total / adjusted * 100"},
]


def content(*checks: dict) -> dict:
    return {
        "format": 2,
        "key": "checks-test",
        "jurisdiction": "测试",
        "year": 2023,
        "title": "检查规则测试",
        "source": "测试",
        "inputs": INPUTS,
        "indicators": [
            {"code": "1", "name": "人工", "points": 100, "criteria": "人工", "method": "manual"}
        ],
        "checks": list(checks),
    }


def load(*checks: dict):
    return loader.parse(content(*checks))


def run(checks: list[dict] | dict, **values):
    rub = load(*(checks if isinstance(checks, list) else [checks]))
    return evaluate_checks(
        rub, {k: v if isinstance(v, bool) else D(str(v)) for k, v in values.items()}
    )


SUM = {"key": "structure", "assert": "basic + project = total", "message": "支出按资金结构"}


# ---------------------------------------------------------------------------- loading


def test_a_check_loads_with_its_defaults():
    (check,) = load(SUM).checks
    assert (check.key, check.severity, check.tolerance, check.field) == (
        "structure",
        "warning",
        D(0),
        "basic",
    )
    assert check.expr.names() == {"basic", "project", "total"}
    assert check.when is None


def test_field_defaults_to_the_first_input_written():
    (check,) = load({"key": "k", "assert": "total >= basic + project", "message": "m"}).checks
    assert check.field == "total"


@pytest.mark.parametrize(
    ("check", "error"),
    [
        (
            {**SUM, "assert": "basic + projekt = total"},
            "checks[0].assert: 公式有误：第9个字符处：未知的输入项 projekt",
        ),
        (
            {**SUM, "assert": "basic + project"},
            "checks[0].assert: 公式有误：第1个字符处：公式的结果应为条件（是/否），这里是数值",
        ),
        ({**SUM, "when": "initial"}, "checks[0].when: 公式有误"),
        ({**SUM, "severity": "error"}, "checks[0].severity: 应为 blocking、warning 之一"),
        ({**SUM, "field": "nothing"}, "checks[0].field: 输入项 'nothing' 未在 inputs 中声明"),
        ({**SUM, "message": "{totl}不一致"}, "checks[0].message: 占位符 {totl} 不是已声明的输入项"),
        ({**SUM, "tolerance": -1}, "checks[0].tolerance: 应为不小于0的数值"),
        (
            {**SUM, "assert": "basic + project < total", "tolerance": 0.01},
            "checks[0].tolerance: 只有最外层",
        ),
        (
            {**SUM, "assert": "AND(basic <= total, project <= total)", "tolerance": 0.01},
            "checks[0].tolerance",
        ),
        ({**SUM, "key": "Bad-Key"}, "checks[0].key: 应以小写英文字母开头"),
        ({"key": "k", "message": "m"}, "checks[0].assert: 缺少必填字段"),
        ({**SUM, "level": 1}, "checks[0].level: 未知字段"),
    ],
)
def test_loader_refuses_a_bad_check_naming_the_node(check, error):
    with pytest.raises(loader.RubricError) as caught:
        load(check)
    assert error in str(caught.value)


def test_keys_are_unique():
    with pytest.raises(loader.RubricError, match=r"checks\[1\]\.key: 检查规则 structure 重复"):
        load(SUM, SUM)


def test_the_error_names_the_right_entry():
    with pytest.raises(loader.RubricError, match=r"^checks\[1\]\.assert: "):
        load(SUM, {"key": "b", "assert": "net <= origin", "message": "m"})


def test_shipped_rubrics_declare_their_checks():
    seed, _ = loader.load_file(VERSIONS / "guangzhou-nansha-2022.yaml")
    mof, _ = loader.load_file(VERSIONS / "mof-project-2020.yaml")
    assert {
        "basic_composition",
        "final_by_structure",
        "fixed_assets_net_within_original",
        "appropriation_revenue",
        "budget_adjustment",
    } <= {c.key for c in seed.checks}
    assert {c.key for c in mof.checks} == {
        "executed_within_budget",
        "sources_sum",
        "budget_adjustment",
    }


# ---------------------------------------------------------------------------- evaluating


def test_a_sum_that_holds_gives_nothing():
    assert run(SUM, basic="1497.73", project="499.43", total="1997.16") == []


def test_a_sum_that_does_not_hold_writes_the_numbers():
    (f,) = run(SUM, basic="1497.73", project="499.43", total="1954.07")
    assert (f.key, f.field, f.severity) == ("structure", "basic", "warning")
    assert f.message == (
        "支出按资金结构：基本支出＋项目支出＝1497.73＋499.43＝1997.16，"
        "与支出合计1954.07不一致（相差43.09）"
    )
    assert f.title == "支出按资金结构"
    assert f.detail.startswith("基本支出＋项目支出＝")


def test_a_check_with_a_missing_input_is_skipped():
    assert run(SUM, basic=1, total=5) == []
    assert run(SUM) == []


def test_coalesce_counts_an_empty_optional_input_as_zero_and_shows_it():
    check = {"key": "src", "assert": "basic + COALESCE(other, 0) = total", "message": "来源"}
    assert run(check, basic=100, total=100) == []
    (f,) = run(check, basic=90, total=100)
    assert (
        f.message
        == "来源：基本支出＋其他资金＝90.00＋0.00＝90.00，与支出合计100.00不一致（相差10.00）"
    )


@pytest.mark.parametrize(
    ("assertion", "a", "b", "holds"),
    [
        ("basic = total", "100.01", "100", True),
        ("basic = total", "100.02", "100", False),
        ("basic = total", "99.99", "100", True),
        ("basic <= total", "100.01", "100", True),
        ("basic <= total", "100.02", "100", False),
        ("basic >= total", "99.99", "100", True),
        ("basic >= total", "99.98", "100", False),
    ],
)
def test_tolerance_applies_to_the_top_comparison(assertion, a, b, holds):
    check = {"key": "t", "assert": assertion, "message": "m", "tolerance": 0.01}
    assert (run(check, basic=a, total=b) == []) is holds


def test_without_tolerance_a_cent_is_a_finding():
    (f,) = run(SUM, basic="1356.00", project="140.12", total="1496.13")
    assert f.detail.endswith("不一致（相差0.01）")


def test_not_above_says_by_how_much():
    check = {"key": "assets", "assert": "net <= original", "message": "固定资产净值不应超过原值"}
    assert run(check, net="37.34", original="148.50") == []
    (f,) = run(check, net="150", original="148.50")
    assert (
        f.message
        == "固定资产净值不应超过原值：固定资产净值150.00超过固定资产原值148.50（超出1.50）"
    )
    assert f.field == "net"


def test_not_below_and_strict_comparisons():
    (f,) = run({"key": "k", "assert": "total >= basic", "message": "m"}, total=1, basic=2)
    assert f.detail == "支出合计1.00低于基本支出2.00（相差1.00）"
    (f,) = run({"key": "k", "assert": "total > basic", "message": "m"}, total=2, basic=2)
    assert f.detail == "支出合计2.00应大于基本支出2.00"
    (f,) = run({"key": "k", "assert": "total <> basic", "message": "m"}, total=2, basic=2)
    assert f.detail == "支出合计2.00与基本支出2.00相等"


def test_a_formula_side_is_written_with_labels_numbers_and_result():
    check = {
        "key": "adjustment",
        "assert": "ABS(adjusted - initial) / initial * 100 <= 10",
        "message": "全年预算较年初预算调整超过10%，报告应说明预算调剂",
        "field": "adjusted",
    }
    assert run(check, adjusted="2100", initial="2000") == []
    (f,) = run(check, adjusted="1997.16", initial="2959.47")
    assert f.field == "adjusted"
    assert f.detail == (
        "ABS(全年预算−年初预算)÷年初预算×100＝ABS(1997.16−2959.47)÷2959.47×100＝32.52"
        "超过10（超出22.52）"
    )


def test_a_division_by_zero_skips_the_check():
    check = {"key": "k", "assert": "basic / total * 100 <= 100", "message": "m"}
    assert run(check, basic=1, total=0) == []


def test_when_limits_where_a_check_applies():
    check = {**SUM, "when": "total > 1000"}
    assert run(check, basic=1, project=1, total=999) == []
    assert len(run(check, basic=1, project=1, total=1001)) == 1
    # a `when` that lacks an input: the check is skipped
    check = {**SUM, "when": "initial > 0"}
    assert run(check, basic=1, project=1, total=5) == []


def test_when_with_isblank_checks_only_once_something_is_given():
    check = {
        "key": "sources",
        "assert": "COALESCE(basic, 0) + COALESCE(project, 0) = total",
        "message": "资金来源之和应等于全年预算数",
        "when": "NOT(AND(ISBLANK(basic), ISBLANK(project)))",
    }
    assert run(check, total=100) == []
    (f,) = run(check, basic=60, total=100)
    assert f.detail == "基本支出＋项目支出＝60.00＋0.00＝60.00，与支出合计100.00不一致（相差40.00）"


def test_a_boolean_assertion_writes_the_formula():
    check = {"key": "pub", "assert": "published", "message": "应公开"}
    (f,) = run(check, published=False)
    assert f.message == "应公开：是否公开不成立（否）"
    assert run(check, published=True) == []


def test_placeholders_are_filled_with_the_values():
    check = {**SUM, "message": "支出合计{total}万元与{basic}、{project}不符；{other}"}
    (f,) = run(check, basic="1", project="2", total="4")
    assert f.title == "支出合计4.00万元与1.00、2.00不符；空"


def test_blocking_severity_is_carried():
    (f,) = run({**SUM, "severity": "blocking"}, basic=1, project=1, total=3)
    assert f.severity == "blocking" and f.blocking


def test_derived_inputs_can_be_checked_when_the_caller_passes_them():
    check = {"key": "rate", "assert": "share <= 100", "message": "完成率不应超过100%"}
    (f,) = run(check, share="102.50")
    assert f.detail == "完成率102.50%超过100（超出2.50%）"


def test_checks_run_in_the_rubric_order():
    other = {"key": "assets", "assert": "net <= original", "message": "m"}
    found = run([other, SUM], basic=1, project=1, total=3, net=2, original=1)
    assert [f.key for f in found] == ["assets", "structure"]


# ---------------------------------------------------------------------------- declared ranges


def test_a_negative_amount_and_a_rate_above_100_are_findings():
    found = run([], basic="-0.01", ratio="100.01", staff="3")
    assert [(f.key, f.field, f.message) for f in found] == [
        ("negative", "basic", "基本支出不应为负数"),
        ("out_of_range", "ratio", "执行率应在0%～100%之间"),
    ]


def test_derived_values_are_not_range_checked():
    assert run([], share="150") == []


# ---------------------------------------------------------------------------- the shipped rubrics


def test_mof_sources_sum_and_execution():
    mof, _ = loader.load_file(VERSIONS / "mof-project-2020.yaml")
    values = {"initial_budget": D(100), "annual_budget": D(100), "executed": D(101)}
    found = evaluate_checks(mof, values)
    assert [f.key for f in found] == ["executed_within_budget"]
    assert (
        found[0].message
        == "全年执行数不应超过全年预算数：全年执行数101.00超过全年预算数100.00（超出1.00）"
    )
    values |= {"executed": D(90), "budget_current_year": D(80)}
    (f,) = evaluate_checks(mof, values)
    assert f.key == "sources_sum"
    assert f.detail == (
        "当年财政拨款＋上年结转资金＋其他资金＝80.00＋0.00＋0.00＝80.00，"
        "与全年预算数100.00不一致（相差20.00）"
    )
    values |= {"budget_carried_over": D(20)}
    assert evaluate_checks(mof, values) == []
    values |= {"annual_budget": D(120), "budget_other": D(20)}
    assert [f.key for f in evaluate_checks(mof, values)] == ["budget_adjustment"]
