"""Consistency checks on an evaluation's budget figures.

Small pure functions over a plain {figure key: Decimal | None} mapping, each finding returned as
a Finding(field, code, message). They warn and never raise: a figure that disagrees with another
is shown next to the field, it does not stop the user from saving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rubric import fmt
from rubric.inputs import BY_KEY, FIGURES, Kind

Figures = Mapping[str, Decimal | None]


@dataclass(frozen=True)
class Finding:
    field: str
    code: str
    message: str


def _label(key: str) -> str:
    return BY_KEY[key].label.replace("其中：", "")


def _sum_check(total: str, parts: list[str], title: str) -> Callable[[Figures], list[Finding]]:
    """total must equal the sum of parts; optional parts that are empty count as 0."""

    def check(f: Figures) -> list[Finding]:
        if f.get(total) is None or any(f.get(p) is None and BY_KEY[p].required for p in parts):
            return []
        values = [f.get(p) or Decimal(0) for p in parts]
        got = sum(values, Decimal(0))
        if got == f[total]:
            return []
        terms = "＋".join(f"{_label(p)}{fmt.amount(v)}" for p, v in zip(parts, values, strict=True))
        diff = fmt.amount(abs(got - f[total]))
        message = (
            f"{title}：{terms}＝{fmt.amount(got)}，与{_label(total)}{fmt.amount(f[total])}"
            f"不一致（相差{diff}）"
        )
        return [Finding(total, "sum_mismatch", message)]

    return check


def _not_above(key: str, limit: str, title: str) -> Callable[[Figures], list[Finding]]:
    def check(f: Figures) -> list[Finding]:
        if f.get(key) is None or f.get(limit) is None or f[key] <= f[limit]:
            return []
        message = (
            f"{title}：{_label(key)}{fmt.amount(f[key])}超过{_label(limit)}{fmt.amount(f[limit])}"
        )
        return [Finding(key, "exceeds", message)]

    return check


def no_negative(f: Figures) -> list[Finding]:
    return [
        Finding(fig.key, "negative", f"{fig.label}不应为负数")
        for fig in FIGURES
        if f.get(fig.key) is not None and f[fig.key] < 0
    ]


def rates_within_100(f: Figures) -> list[Finding]:
    return [
        Finding(fig.key, "rate_range", f"{fig.label}应在0%～100%之间")
        for fig in FIGURES
        if fig.kind is Kind.RATE and f.get(fig.key) is not None and f[fig.key] > 100
    ]


CHECKS: tuple[Callable[[Figures], list[Finding]], ...] = (
    no_negative,
    rates_within_100,
    _sum_check(
        "adjusted_budget_total",
        ["adjusted_budget_appropriation", "adjusted_budget_other"],
        "全年预算按资金来源",
    ),
    _sum_check(
        "adjusted_budget_total",
        ["adjusted_budget_basic", "adjusted_budget_project"],
        "全年预算按资金结构",
    ),
    _sum_check(
        "adjusted_budget_total",
        ["adjusted_budget_local", "adjusted_budget_transfer"],
        "全年预算按预算级次",
    ),
    _sum_check(
        "expenditure_final_total",
        ["expenditure_final_appropriation", "expenditure_final_other"],
        "支出决算按资金来源",
    ),
    _sum_check(
        "expenditure_final_total",
        ["expenditure_final_basic", "expenditure_final_project"],
        "支出决算按资金结构",
    ),
    _sum_check(
        "expenditure_final_basic",
        ["expenditure_final_personnel", "expenditure_final_operating"],
        "基本支出构成",
    ),
    _sum_check(
        "expenditure_final_total",
        ["expenditure_final_local", "expenditure_final_transfer"],
        "支出决算按预算级次",
    ),
    _not_above("expenditure_final_total", "adjusted_budget_total", "决算与预算"),
    _not_above("expenditure_final_basic", "adjusted_budget_basic", "决算与预算"),
    _not_above("expenditure_final_project", "adjusted_budget_project", "决算与预算"),
    _not_above("revenue_final_other", "revenue_final_total", "决算收入"),
    _not_above("fixed_assets_in_use", "fixed_assets_original", "固定资产"),
    _not_above("key_project_expenditure", "project_expenditure_total", "重点项目"),
)


def check_figures(figures: Figures) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(figures))
    return findings
