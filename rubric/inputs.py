"""The catalogue of figures a rubric method may name as an input.

One entry per figure: its identifier (also the key stored per evaluation), its Chinese label,
its kind (an amount in 万元 or a rate in percent), the group it is entered in, and who
supplies it (the department, or the finance bureau which notifies it).
A rubric that names an input not listed here is refused by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    AMOUNT = "amount"  # 万元, 2 decimals
    RATE = "rate"  # percent, 2 decimals


class Source(StrEnum):
    DEPARTMENT = "department"
    FINANCE_BUREAU = "finance_bureau"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    group: str
    kind: Kind = Kind.AMOUNT
    source: Source = Source.DEPARTMENT
    required: bool = True
    help: str = ""

    @property
    def unit(self) -> str:
        return "万元" if self.kind is Kind.AMOUNT else "%"


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    help: str = ""


GROUPS: tuple[Group, ...] = (
    Group(
        "budget", "全年预算（调整预算）", "按资金来源、资金结构、预算级次分列，与自评表表头一致。"
    ),
    Group("final", "支出决算", "取自部门决算报表。"),
    Group("revenue", "收入", "财政拨款收入相关数据取自财决01-1表《财政拨款收入支出决算总表》。"),
    Group("carryover", "结转结余", "取自财决01-1表《财政拨款收入支出决算总表》。"),
    Group("projects", "重点项目", ""),
    Group("procurement", "政府采购", ""),
    Group("assets", "资产", ""),
    Group("notified", "财政局通报数据", "由财政局填报，部门只读。"),
)

_F = Figure
FIGURES: tuple[Figure, ...] = (
    _F("initial_budget", "年初预算", "budget"),
    _F("adjusted_budget_total", "全年预算合计", "budget"),
    _F("adjusted_budget_appropriation", "全年预算·财政拨款", "budget"),
    _F("adjusted_budget_other", "全年预算·其他资金", "budget", required=False),
    _F("adjusted_budget_basic", "全年预算·基本支出", "budget"),
    _F("adjusted_budget_project", "全年预算·项目支出", "budget"),
    _F("adjusted_budget_local", "全年预算·本级支出", "budget"),
    _F("adjusted_budget_transfer", "全年预算·转移支付", "budget", required=False),
    _F("expenditure_final_total", "支出决算总额", "final"),
    _F("expenditure_final_appropriation", "支出决算·财政拨款", "final"),
    _F("expenditure_final_other", "支出决算·其他资金", "final", required=False),
    _F("expenditure_final_basic", "支出决算·基本支出", "final"),
    _F("expenditure_final_personnel", "其中：人员经费", "final"),
    _F("expenditure_final_operating", "其中：公用经费", "final"),
    _F("expenditure_final_project", "支出决算·项目支出", "final"),
    _F("expenditure_final_local", "支出决算·本级支出", "final"),
    _F("expenditure_final_transfer", "支出决算·转移支付", "final", required=False),
    _F("revenue_final_total", "决算收入", "revenue"),
    _F("revenue_final_other", "其中：其他收入", "revenue", required=False),
    _F("appropriation_revenue_final", "财政拨款收入决算数", "revenue"),
    _F("appropriation_revenue_adjusted", "财政拨款收入调整预算数", "revenue"),
    _F("carryover_opening", "年初财政拨款结转和结余", "carryover"),
    _F("carryover_closing", "年末财政拨款结转和结余", "carryover"),
    _F("general_budget_appropriation_final", "一般公共预算财政拨款决算数", "carryover"),
    _F("fund_budget_appropriation_final", "政府性基金预算财政拨款决算数", "carryover"),
    # Optional: where a department does not give them, 重点项目支出保障率 rests on its
    # 佐证材料 and claimed score (as in the 2022 seed filing), flagged as a warning.
    _F("key_project_expenditure", "重点项目支出", "projects", required=False),
    _F("project_expenditure_total", "项目总支出", "projects", required=False),
    _F("procurement_planned", "政府采购计划金额", "procurement"),
    _F("procurement_actual", "政府采购实际金额", "procurement"),
    _F("assets_total", "资产总额", "assets"),
    _F("fixed_assets_original", "固定资产原值", "assets"),
    _F("fixed_assets_net", "固定资产净值", "assets", required=False),
    _F("fixed_assets_in_use", "在用固定资产原值", "assets"),
    _F(
        "project_execution_rate_notified",
        "一般公共预算项目支出年度平均执行率",
        "notified",
        kind=Kind.RATE,
        source=Source.FINANCE_BUREAU,
        help="按区财政局通报的数据填列。",
    ),
)

BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}


def as_rubric_inputs() -> list[dict]:
    """The catalogue as a rubric file's `inputs:` list (for versions stored before rubric
    files declared their own inputs, and as a library to copy from)."""
    out = []
    for f in FIGURES:
        item: dict = {"key": f.key, "label": f.label, "unit": f.unit, "group": f.group}
        if f.kind is Kind.RATE:
            item["max"] = 1000
        if f.source is Source.FINANCE_BUREAU:
            item["source"] = "finance_bureau"
        if not f.required:
            item["required"] = False
        if f.help:
            item["help"] = f.help
        out.append(item)
    return out


def as_rubric_groups() -> list[dict]:
    """The catalogue's groups as a rubric file's `input_groups:` list."""
    return [
        {"key": g.key, "title": g.title, **({"help": g.help} if g.help else {})} for g in GROUPS
    ]
