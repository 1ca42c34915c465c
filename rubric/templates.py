"""Sentence templates of a rubric file: report paragraphs such as
"{year}年支出决算总额为{expenditure_final_total}万元，部门整体预算完成率{expenditure_rate}。"

A `{name}` is an input of the rubric (its value as the rubric declares it: an amount with its
decimals, a rate with %, a count as a whole number, 是/否, a date) or one of CONTEXT (the
department, the year, the totals…). `{{` and `}}` are literal braces. Nothing is computed here:
rates are derived inputs, computed by the engine like every other formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_LENGTH = 2000
_NAME = re.compile(r"\{\{|\}\}|\{([a-z_][a-z0-9_]*)\}|[{}]")

# Names every template may use besides the inputs, filled by evaluations.reports.
CONTEXT = {
    "department": "部门（单位）全称",
    "unit": "部门（单位）简称",
    "year": "年度",
    "evaluation_name": "部门整体支出绩效自评 或 项目支出绩效自评",
    "project": "项目名称（项目支出绩效自评；部门整体支出绩效自评为空）",
    "total": "最终得分（两位小数）",
    "claimed_total": "自评总分",
    "computed_total": "按规则计算的总分",
    "grade": "评价等级",
    "internal_units": "内设机构数",
    "subordinate_units": "下属单位数",
    "staff_total": "编制数合计",
    "staff_administrative": "行政（参公）编制数",
    "staff_public_1": "公益一类编制数",
    "staff_public_2": "公益二类编制数",
    "staff_actual": "实有在职人员数",
    "staff_other": "其他人员数",
    "overall_goal": "年度整体绩效目标",
    "goal_completion": "整体绩效目标完成情况",
}


class TemplateError(ValueError):
    pass


def names(template: str) -> list[str]:
    """The names a template uses, in order; raises TemplateError on a stray brace."""
    if len(template) > MAX_LENGTH:
        raise TemplateError(f"模板过长（{len(template)}个字符，最多{MAX_LENGTH}个）")
    found = []
    for m in _NAME.finditer(template):
        token = m.group(0)
        if token in ("{{", "}}"):
            continue
        if m.group(1) is None:
            raise TemplateError(
                f"第{m.start() + 1}个字符处的“{token}”：名称须写成 {{名称}}（小写英文），"
                "文字中的花括号写成 {{ 或 }}"
            )
        found.append(m.group(1))
    return found


def check(template: str, known: Iterable[str]) -> None:
    """Raise TemplateError naming the first unknown name."""
    allowed = set(known) | set(CONTEXT)
    for name in names(template):
        if name not in allowed:
            raise TemplateError(
                f"未知的名称 {{{name}}}（可用：输入项的 key，或 {'、'.join(CONTEXT)}）"
            )


def fill(template: str, values: Mapping[str, str]) -> str:
    """The template with each {name} replaced by values[name] ("—" where absent)."""

    def one(m: re.Match) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        value = values.get(m.group(1))
        return "—" if value in (None, "") else str(value)

    return _NAME.sub(one, template)
