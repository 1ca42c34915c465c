"""The seed rubric's consistency checks (its `checks:` and the inputs' declared ranges) over an
evaluation's budget figures, through evaluations.checks (pure: no database)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from evaluations.checks import check_figures
from rubric import loader
from rubric.rounding import money

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "evaluations" / "demo" / "nansha_2022.yaml"
RUBRIC, _ = loader.load_file(ROOT / "rubric" / "versions" / "guangzhou-nansha-2022.yaml")


def figures(**values):
    return {k: None if v is None else D(str(v)) for k, v in values.items()}


def found(**values):
    return [(f.field, f.code) for f in check_figures(figures(**values), RUBRIC)]


def only(**values):
    findings = check_figures(figures(**values), RUBRIC)
    assert len(findings) == 1, findings
    return findings[0]


# Sum checks: (key, total, parts, title). Each is exercised alone: every other check lacks a
# required figure and is skipped.
SUMS = [
    (
        "budget_by_structure",
        "adjusted_budget_total",
        ["adjusted_budget_basic", "adjusted_budget_project"],
        "全年预算按资金结构",
    ),
    (
        "final_by_structure",
        "expenditure_final_total",
        ["expenditure_final_basic", "expenditure_final_project"],
        "支出决算按资金结构",
    ),
    (
        "basic_composition",
        "expenditure_final_basic",
        ["expenditure_final_personnel", "expenditure_final_operating"],
        "基本支出构成",
    ),
    (
        "budget_by_level",
        "adjusted_budget_total",
        ["adjusted_budget_local", "adjusted_budget_transfer"],
        "全年预算按预算级次",
    ),
    (
        "final_by_level",
        "expenditure_final_total",
        ["expenditure_final_local", "expenditure_final_transfer"],
        "支出决算按预算级次",
    ),
    (
        "budget_by_source",
        "adjusted_budget_total",
        ["adjusted_budget_appropriation", "adjusted_budget_other"],
        "全年预算按资金来源",
    ),
    (
        "final_by_source",
        "expenditure_final_total",
        ["expenditure_final_appropriation", "expenditure_final_other"],
        "支出决算按资金来源",
    ),
]
IDS = [title for *_, title in SUMS]


@pytest.mark.parametrize(("key", "total", "parts", "title"), SUMS, ids=IDS)
def test_sum_agrees(key, total, parts, title):
    assert found(**{total: "100.30", parts[0]: "70.10", parts[1]: "30.20"}) == []


@pytest.mark.parametrize(("key", "total", "parts", "title"), SUMS, ids=IDS)
def test_sum_disagrees(key, total, parts, title):
    finding = only(**{total: 100, parts[0]: 70, parts[1]: "30.01"})
    assert (finding.field, finding.code, finding.severity) == (total, key, "warning")
    assert finding.message.startswith(f"{title}：")
    assert "＝100.01，" in finding.message
    assert "（相差0.01）" in finding.message


@pytest.mark.parametrize(("key", "total", "parts", "title"), SUMS, ids=IDS)
def test_sum_skipped_without_the_total(key, total, parts, title):
    assert found(**{total: None, parts[0]: 70, parts[1]: 20}) == []


@pytest.mark.parametrize(
    ("total", "parts"),
    [
        ("adjusted_budget_total", ["adjusted_budget_basic", "adjusted_budget_project"]),
        ("expenditure_final_basic", ["expenditure_final_personnel", "expenditure_final_operating"]),
        ("expenditure_final_total", ["expenditure_final_basic", "expenditure_final_project"]),
    ],
)
def test_missing_required_part_skips_the_check(total, parts):
    assert found(**{total: 100, parts[0]: 10}) == []
    assert found(**{total: 100, parts[0]: None, parts[1]: 10}) == []


@pytest.mark.parametrize(
    ("total", "required", "optional"),
    [
        ("adjusted_budget_total", "adjusted_budget_appropriation", "adjusted_budget_other"),
        ("adjusted_budget_total", "adjusted_budget_local", "adjusted_budget_transfer"),
        ("expenditure_final_total", "expenditure_final_appropriation", "expenditure_final_other"),
        ("expenditure_final_total", "expenditure_final_local", "expenditure_final_transfer"),
    ],
)
def test_optional_empty_part_counts_as_zero(total, required, optional):
    assert found(**{total: 100, required: None, optional: 100}) == []  # required one missing
    assert found(**{total: 100, required: 100, optional: None}) == []
    assert found(**{total: 100, required: 100}) == []
    finding = only(**{total: 100, required: 90, optional: None})
    assert finding.field == total
    assert "0.00＝90.00" in finding.message
    assert "（相差10.00）" in finding.message


@pytest.mark.parametrize(
    ("check", "key", "limit"),
    [
        ("final_within_budget", "expenditure_final_total", "adjusted_budget_total"),
        ("basic_within_budget", "expenditure_final_basic", "adjusted_budget_basic"),
        ("project_within_budget", "expenditure_final_project", "adjusted_budget_project"),
        ("other_revenue_within_total", "revenue_final_other", "revenue_final_total"),
        ("fixed_assets_in_use_within_original", "fixed_assets_in_use", "fixed_assets_original"),
        ("fixed_assets_net_within_original", "fixed_assets_net", "fixed_assets_original"),
        ("key_projects_within_total", "key_project_expenditure", "project_expenditure_total"),
    ],
)
def test_not_above(check, key, limit):
    assert found(**{key: 100, limit: 100}) == []
    assert found(**{key: 99, limit: 100}) == []
    assert found(**{key: 101, limit: None}) == []
    finding = only(**{key: "100.01", limit: 100})
    assert (finding.field, finding.code) == (key, check)
    assert "100.01超过" in finding.message


def test_final_above_budget_message():
    finding = only(expenditure_final_total="2000.00", adjusted_budget_total="1997.16")
    assert finding.message == "决算与预算：支出决算总额2000.00超过全年预算合计1997.16（超出2.84）"


@pytest.mark.parametrize("key", ["assets_total", "initial_budget", "carryover_closing"])
def test_negative_amount(key):
    assert found(**{key: 0}) == []
    finding = only(**{key: "-0.01"})
    assert (finding.field, finding.code) == (key, "negative")
    assert "不应为负数" in finding.message


def test_negative_rate_is_negative_not_out_of_range():
    assert found(project_execution_rate_notified=-1) == [
        ("project_execution_rate_notified", "negative")
    ]


@pytest.mark.parametrize(("rate", "findings"), [("100", 0), ("0", 0), ("100.01", 1), ("150", 1)])
def test_rate_above_100(rate, findings):
    result = check_figures(figures(project_execution_rate_notified=rate), RUBRIC)
    assert len(result) == findings
    if findings:
        assert result[0].code == "out_of_range"
        assert result[0].message == "一般公共预算项目支出年度平均执行率应在0%～100%之间"
        assert result[0].field == "project_execution_rate_notified"


def test_amount_above_100_is_not_a_rate_problem():
    assert found(assets_total=1000) == []


def test_no_figures_no_findings():
    assert check_figures({}, RUBRIC) == []
    assert check_figures({"not_a_figure": D(-1)}, RUBRIC) == []


# ---------------------------------------------------------------------------- the seed


def seed_figures():
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    return {k: None if v is None else money(D(str(v))) for k, (v, _note) in data["figures"].items()}


def test_seed_figures_give_the_findings_the_score_command_prints():
    findings = check_figures(seed_figures(), RUBRIC)
    assert [(f.field, f.code, f.message) for f in findings] == [
        (
            "adjusted_budget_total",
            "budget_by_level",
            "全年预算按预算级次：全年预算·本级支出＋全年预算·转移支付＝1997.16＋0.57＝1997.73，"
            "与全年预算合计1997.16不一致（相差0.57）",
        ),
        (
            "expenditure_final_basic",
            "basic_composition",
            "基本支出构成：人员经费＋公用经费＝1356.00＋140.12＝1496.12，"
            "与支出决算·基本支出1496.13不一致（相差0.01）",
        ),
        (
            "expenditure_final_total",
            "final_by_level",
            "支出决算按预算级次：支出决算·本级支出＋支出决算·转移支付＝1954.07＋0.57＝1954.64，"
            "与支出决算总额1954.07不一致（相差0.57）",
        ),
        (
            "appropriation_revenue_final",
            "appropriation_revenue",
            "财政拨款收入决算数应等于决算收入减其他收入：财政拨款收入决算数1954.07，"
            "与决算收入−其他收入＝1957.86−28.55＝1929.31不一致（相差24.76）",
        ),
        (
            "adjusted_budget_total",
            "budget_adjustment",
            "全年预算较年初预算调整超过10%，请在报告“1、预算编制管理”中说明预算调剂的原因："
            "ABS(全年预算合计−年初预算)÷年初预算×100＝ABS(1997.16−2959.47)÷2959.47×100＝32.52"
            "超过10（超出22.52）",
        ),
    ]
    assert all(f.severity == "warning" for f in findings)
