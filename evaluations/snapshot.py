"""Every field of an evaluation as a flat {key: (label, text)} mapping, and the difference of two.

One mechanism serves the field history (services record what each save changed) and the
reviewer's "what changed since the previous submission" (snapshots taken at each submit).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from .models import DutyIndicator, DutyTask, Evaluation

Flat = dict[str, tuple[str, str]]

DEPARTMENT_LABELS = {
    "internal_units": "内设机构数",
    "subordinate_units": "下属单位数",
    "staff_administrative": "行政（参公）编制数",
    "staff_public_1": "公益一类编制数",
    "staff_public_2": "公益二类编制数",
    "staff_actual": "实有在职人数",
    "staff_other": "其他人员数",
}
ROW_LABELS = {
    "name": "指标",
    "target_text": "年度指标值",
    "operator": "比较",
    "target_value": "指标值",
    "unit": "单位",
    "actual_text": "实际完成指标值",
    "actual_value": "实际值",
    "achieved": "完成情况",
    "points": "分值",
    "claimed": "自评分",
    "claimed_reason": "自评分说明",
    "note": "备注",
    "target_change_reason": "调整批复指标的理由",
}
OPERATORS = dict(DutyIndicator.Operator.choices)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "已完成" if value else "未完成"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else f"{value}"
    return str(value)


def flatten(evaluation: Evaluation) -> Flat:
    """Read the evaluation's current fields (a handful of queries, whatever its size)."""
    flat: Flat = {}
    for name, label in DEPARTMENT_LABELS.items():
        flat[f"dept.{name}"] = (f"基本情况·{label}", _text(getattr(evaluation, name)))
    declared = evaluation.rubric.spec.inputs_by_key
    for figure in evaluation.figures.all():
        spec = declared.get(figure.key)
        label = spec.label if spec else figure.key
        value = figure.value if figure.value is not None else (figure.text or None)
        flat[f"fig.{figure.key}"] = (f"收支数据·{label}", _text(value))
    for answer in evaluation.answers.all():
        base = f"ans.{answer.code}"
        for item, option in sorted((answer.choices or {}).items()):
            flat[f"{base}.choice.{item}"] = (f"指标{answer.code}·评分标准{item}", option)
        flat[f"{base}.claimed"] = (f"指标{answer.code}·自评分", _text(answer.claimed))
        flat[f"{base}.reason"] = (f"指标{answer.code}·自评分说明", answer.claimed_reason)
        flat[f"{base}.note"] = (f"指标{answer.code}·备注", answer.note)
    # labelled by the rubric's name for the target-rows step (履职效能, 绩效指标…)
    duty = next((st.title for st in evaluation.rubric.spec.steps if st.key == "duty"), "绩效指标")
    flat["goal.overall"] = (f"{duty}·年度整体绩效目标", evaluation.overall_goal)
    flat["goal.completion"] = (f"{duty}·整体绩效目标完成情况", evaluation.goal_completion)
    flat["goal.shortfall"] = (f"{duty}·未能完成原因", evaluation.goal_shortfall_reason)
    # Keyed by the task's and row's stable id (a row deleted above another does not make the
    # other look changed); labelled by their position now.
    tasks = DutyTask.objects.filter(
        evaluation=evaluation, deleted_at__isnull=True
    ).prefetch_related(
        Prefetch("rows", queryset=DutyIndicator.objects.filter(deleted_at__isnull=True))
    )
    for t, task in enumerate(tasks, start=1):
        flat[f"duty.{task.key}"] = (f"{duty}·任务{t}", task.name)
        for i, row in enumerate(task.rows.all(), start=1):
            for name, label in ROW_LABELS.items():
                value = getattr(row, name)
                text = OPERATORS.get(value, value) if name == "operator" else _text(value)
                flat[f"duty.{row.key}.{name}"] = (f"{duty}·任务{t}指标{i}·{label}", text)
    titles = {s.key: s.title for s in evaluation.rubric.spec.report.sections}
    for section in evaluation.sections.all():
        title = titles.get(section.key, section.key)
        flat[f"sec.{section.key}"] = (f"报告正文·{title}", section.text)
    for name, label in REPORT_META_LABELS.items():
        flat[f"meta.{name}"] = (f"报告正文·{label}", _text(getattr(evaluation, name)))
    return {k: v for k, v in flat.items() if v[1] != "" or k.startswith("dept.")}


# 报告日期, 联系人, 联系电话 and 署名单位: the report step's metadata, printed under the report.
REPORT_META_LABELS = {
    "report_date": "报告日期",
    "signed_unit": "署名单位",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
}


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    old: str
    new: str


def diff(old: Flat, new: Flat) -> list[Change]:
    """The fields whose text differs, in the order of the newer mapping, then removed ones."""
    changes = []
    for key, (label, text) in new.items():
        before = old.get(key, (label, ""))[1]
        if before != text:
            changes.append(Change(key, label, before, text))
    for key, (label, text) in old.items():
        if key not in new and text != "":
            changes.append(Change(key, label, text, ""))
    return changes
