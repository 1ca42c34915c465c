"""Consistency checks on an evaluation's budget figures (pure: no database)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from evaluations.checks import check_figures
from rubric.rounding import money

D = Decimal
SEED = Path(__file__).resolve().parents[2] / "evaluations" / "demo" / "nansha_2022.yaml"


def figures(**values):
    return {k: None if v is None else D(str(v)) for k, v in values.items()}


def found(**values):
    return [(f.field, f.code) for f in check_figures(figures(**values))]


def only(**values):
    findings = check_figures(figures(**values))
    assert len(findings) == 1, findings
    return findings[0]


# Sum checks: (total, parts, title). Each is exercised alone: every other check lacks a
# required figure and is skipped.
SUMS = [
    (
        "adjusted_budget_total",
        ["adjusted_budget_basic", "adjusted_budget_project"],
        "全年预算按资金结构",
    ),
    (
        "expenditure_final_total",
        ["expenditure_final_basic", "expenditure_final_project"],
        "支出决算按资金结构",
    ),
    (
        "expenditure_final_basic",
        ["expenditure_final_personnel", "expenditure_final_operating"],
        "基本支出构成",
    ),
    (
        "adjusted_budget_total",
        ["adjusted_budget_local", "adjusted_budget_transfer"],
        "全年预算按预算级次",
    ),
    (
        "expenditure_final_total",
        ["expenditure_final_local", "expenditure_final_transfer"],
        "支出决算按预算级次",
    ),
    (
        "adjusted_budget_total",
        ["adjusted_budget_appropriation", "adjusted_budget_other"],
        "全年预算按资金来源",
    ),
    (
        "expenditure_final_total",
        ["expenditure_final_appropriation", "expenditure_final_other"],
        "支出决算按资金来源",
    ),
]
IDS = [title for *_, title in SUMS]


@pytest.mark.parametrize(("total", "parts", "title"), SUMS, ids=IDS)
def test_sum_agrees(total, parts, title):
    assert found(**{total: "100.30", parts[0]: "70.10", parts[1]: "30.20"}) == []


@pytest.mark.parametrize(("total", "parts", "title"), SUMS, ids=IDS)
def test_sum_disagrees(total, parts, title):
    finding = only(**{total: 100, parts[0]: 70, parts[1]: "30.01"})
    assert (finding.field, finding.code) == (total, "sum_mismatch")
    assert finding.message.startswith(f"{title}：")
    assert "＝100.01，" in finding.message
    assert "（相差0.01）" in finding.message


@pytest.mark.parametrize(("total", "parts", "title"), SUMS, ids=IDS)
def test_sum_skipped_without_the_total(total, parts, title):
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
    ("key", "limit"),
    [
        ("expenditure_final_total", "adjusted_budget_total"),
        ("expenditure_final_basic", "adjusted_budget_basic"),
        ("expenditure_final_project", "adjusted_budget_project"),
        ("revenue_final_other", "revenue_final_total"),
        ("fixed_assets_in_use", "fixed_assets_original"),
        ("key_project_expenditure", "project_expenditure_total"),
    ],
)
def test_not_above(key, limit):
    assert found(**{key: 100, limit: 100}) == []
    assert found(**{key: 99, limit: 100}) == []
    assert found(**{key: 101, limit: None}) == []
    finding = only(**{key: "100.01", limit: 100})
    assert (finding.field, finding.code) == (key, "exceeds")
    assert "100.01超过" in finding.message


def test_final_above_budget_message():
    finding = only(expenditure_final_total="2000.00", adjusted_budget_total="1997.16")
    assert finding.message == "决算与预算：支出决算总额2000.00超过全年预算合计1997.16"


@pytest.mark.parametrize("key", ["assets_total", "initial_budget", "carryover_closing"])
def test_negative_amount(key):
    assert found(**{key: 0}) == []
    finding = only(**{key: "-0.01"})
    assert (finding.field, finding.code) == (key, "negative")
    assert "不应为负数" in finding.message


def test_negative_rate_is_negative_not_rate_range():
    assert found(project_execution_rate_notified=-1) == [
        ("project_execution_rate_notified", "negative")
    ]


@pytest.mark.parametrize(("rate", "findings"), [("100", 0), ("0", 0), ("100.01", 1), ("150", 1)])
def test_rate_above_100(rate, findings):
    result = check_figures(figures(project_execution_rate_notified=rate))
    assert len(result) == findings
    if findings:
        assert result[0].code == "rate_range"
        assert result[0].field == "project_execution_rate_notified"


def test_amount_above_100_is_not_a_rate_problem():
    assert found(assets_total=1000) == []


def test_no_figures_no_findings():
    assert check_figures({}) == []
    assert check_figures({"not_a_figure": D(-1)}) == []


# ---------------------------------------------------------------------------- the seed


def seed_figures():
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    return {k: None if v is None else money(D(str(v))) for k, (v, _note) in data["figures"].items()}


def test_seed_figures_give_the_three_findings_the_score_command_prints():
    findings = check_figures(seed_figures())
    assert [(f.field, f.code, f.message) for f in findings] == [
        (
            "adjusted_budget_total",
            "sum_mismatch",
            "全年预算按预算级次：全年预算·本级支出1997.16＋全年预算·转移支付0.57＝1997.73，"
            "与全年预算合计1997.16不一致（相差0.57）",
        ),
        (
            "expenditure_final_basic",
            "sum_mismatch",
            "基本支出构成：人员经费1356.00＋公用经费140.12＝1496.12，"
            "与支出决算·基本支出1496.13不一致（相差0.01）",
        ),
        (
            "expenditure_final_total",
            "sum_mismatch",
            "支出决算按预算级次：支出决算·本级支出1954.07＋支出决算·转移支付0.57＝1954.64，"
            "与支出决算总额1954.07不一致（相差0.57）",
        ),
    ]
