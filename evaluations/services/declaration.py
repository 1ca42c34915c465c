"""绩效目标申报 → 自评: the department declares its 年度整体绩效目标 and its tasks with indicator
rows at the start of the year; the reviewer approves or returns the declaration (transitions
`declare_*` of workflow.TRANSITIONS, through services.transitions._transition); the approved
targets become the evaluation's 履职效能 rows, each remembering its approved target and
points (DutyIndicator.approved_target). At year end a row whose target or points differ from
the approved ones needs a reason (check_target_change), is recorded in the audit trail and
shown to the reviewer as a warning (submission.review)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rubric import fmt
from rubric.methods import OPERATOR_WORDS, OPERATORS

from .. import access, audit, snapshot, workflow
from ..models import DutyIndicator, DutyTask, Evaluation, TargetDeclaration
from .common import locked, record_changes, refresh_totals
from .errors import FieldInvalid, NotFound, ServiceError, StaleVersion
from .text import checked

# A declared row's fields (the target side of a 履职效能 row; actuals come at year end).
TARGET_FIELDS = (
    "name",
    "target_text",
    "operator",
    "target_value",
    "target_max",
    "target_date",
    "unit",
    "points",
    "core",
)
# What "the approved target or its points" is, and how each is named to the user.
APPROVED_FIELDS = {
    "target_text": "年度指标值",
    "operator": "比较",
    "target_value": "指标值",
    "target_max": "上限",
    "target_date": "目标日期",
    "unit": "单位",
    "points": "分值",
}
NUMBERS = frozenset({"target_value", "target_max", "points"})
DECLARED_TEXT = {"name": "row_name", "target_text": "target_text", "unit": "unit"}


def _to_json(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in NUMBERS:  # plain digits, no trailing zeros: "30", "97.5"
        text = format(Decimal(value).normalize(), "f")
        return text
    if name == "target_date":
        return value.isoformat()
    return value


def _from_json(name: str, value: Any) -> Any:
    if value in (None, ""):
        return None if name not in ("target_text", "unit", "name", "operator") else ""
    if name in NUMBERS:
        return Decimal(str(value))
    if name == "target_date":
        return datetime.date.fromisoformat(value)
    if name == "core":
        return bool(value)
    return value


def _norm(name: str, value: Any) -> Any:
    """A field's value in a form that compares equal however it was stored or typed."""
    if value in (None, ""):
        return None
    if name in NUMBERS:
        try:
            return Decimal(str(value)).normalize()
        except InvalidOperation:
            return str(value)
    if name == "target_date":
        return value if isinstance(value, str) else value.isoformat()
    return str(value).strip() or None


def _shown(name: str, value: Any) -> str:
    if value in (None, ""):
        return "（空）"
    if name in NUMBERS:
        return fmt.num(Decimal(str(value)))
    if name == "operator":
        return OPERATORS.get(value) or OPERATOR_WORDS.get(value, value)
    if name == "target_date":
        return value if isinstance(value, str) else value.isoformat()
    return str(value)


def target_changes(approved: Mapping[str, Any] | None, row: Any) -> list[dict[str, str]]:
    """Where `row` (a DutyIndicator or a RowInput) differs from its approved target and points:
    [{"field", "label", "old", "new"}], empty when it does not (or was not declared)."""
    if not approved:
        return []
    out = []
    for name, label in APPROVED_FIELDS.items():
        old, new = approved.get(name), getattr(row, name)
        if _norm(name, old) != _norm(name, new):
            out.append(
                {"field": name, "label": label, "old": _shown(name, old), "new": _shown(name, new)}
            )
    return out


def change_summary(changes: list[dict[str, str]]) -> str:
    return "；".join(f"{c['label']}由“{c['old']}”改为“{c['new']}”" for c in changes)


def check_target_change(evaluation: Evaluation, row: DutyIndicator, given: Any, actor) -> None:
    """Called by the 履职效能 save for each saved row: a target or points that differ from the
    approved ones are refused without a reason (FieldInvalid naming the row's reason field),
    and recorded in the audit trail (old and new values, reason) when they or the reason
    change."""
    changes = target_changes(row.approved_target, given)
    if not changes:
        return
    reason = given.target_change_reason.strip()
    if not reason:
        raise FieldInvalid(
            f"row:{row.pk}:target_change_reason",
            f"“{given.name}”的{'、'.join(c['label'] for c in changes)}与批复的绩效目标不同，"
            "请填写调整理由",
        )
    if changes != target_changes(row.approved_target, row) or reason != row.target_change_reason:
        audit.record(
            "target_changed",
            user=actor,
            evaluation=evaluation.pk,
            row=row.pk,
            name=given.name,
            changes=changes,
            reason=reason,
        )


# ---------------------------------------------------------------------------- the declaration


def declared_tasks(tasks: list[Any]) -> list[dict[str, Any]]:
    """TaskInput-like objects (name, section, rows of RowInput) → the declaration's JSON."""
    return [
        {
            "name": t.name,
            "section": t.section,
            "rows": [{n: _to_json(n, getattr(r, n)) for n in TARGET_FIELDS} for r in t.rows],
        }
        for t in tasks
    ]


def _row_values(row: Mapping[str, Any]) -> dict[str, Any]:
    return {n: _from_json(n, row.get(n)) for n in TARGET_FIELDS}


def targets_for(evaluation: Evaluation) -> list | None:
    """The evaluation's approved declared targets as services.TaskInput (rows without ids or
    actuals), or None when it has no approved 绩效目标申报. Round opening (carry-over) prefers
    these to last year's rows."""
    from .editing import RowInput, TaskInput

    declaration = TargetDeclaration.objects.filter(
        evaluation=evaluation, status=workflow.Status.APPROVED
    ).first()
    if declaration is None:
        return None
    return [
        TaskInput(
            name=t["name"],
            section=t.get("section", ""),
            rows=tuple(RowInput(**_row_values(r)) for r in t.get("rows", [])),
        )
        for t in declaration.tasks
    ]


def declaration_save(
    evaluation_id: int, actor, version: int, *, overall_goal: str, tasks: list[Any]
) -> TargetDeclaration:
    """Save the 绩效目标申报 (填报中 or 已退回 only): the goal and the tasks with their rows.
    `version` is the declaration's version the form was rendered with (1 before the first
    save): a stale save is refused."""
    overall_goal = checked(overall_goal, "goal", field="overall_goal").strip()
    for task in tasks:
        checked(task.name, "task_name")
        for row in task.rows:
            for name, kind in DECLARED_TEXT.items():
                checked(getattr(row, name), kind)
    with transaction.atomic():
        evaluation = locked(evaluation_id)
        access.require(actor, evaluation, access.Action.DECLARE_EDIT)
        sections = [leaf.code for leaf in evaluation.rubric.spec.target_sections()]
        for task in tasks:
            if task.section and task.section not in sections:
                raise ServiceError(f"评分体系中没有可填报指标行的指标 {task.section}")
        declaration, _ = TargetDeclaration.objects.select_for_update().get_or_create(
            evaluation=evaluation
        )
        if declaration.version != version:
            raise StaleVersion(declaration.version)
        declaration.overall_goal = overall_goal
        declaration.tasks = declared_tasks(tasks)
        declaration.version = F("version") + 1
        declaration.save(update_fields=["overall_goal", "tasks", "version", "updated_at"])
        declaration.refresh_from_db(fields=["version"])
        audit.record(
            "declaration_saved", user=actor, evaluation=evaluation.pk, version=declaration.version
        )
    return declaration


def declaration_problems(evaluation: Evaluation, declaration: TargetDeclaration) -> list[str]:
    """What keeps a declaration from being submitted (messages), empty when nothing does."""
    problems = []
    if not declaration.overall_goal.strip():
        problems.append("未填写年度整体绩效目标")
    if not declaration.tasks:
        problems.append("尚未填写任务")
    total = Decimal(0)
    for t, task in enumerate(declaration.tasks, start=1):
        if not task.get("rows"):
            problems.append(f"任务{t}“{task['name']}”尚无指标")
        total += sum((Decimal(r["points"]) for r in task.get("rows", [])), Decimal(0))
    expected = sum((s.points for s in evaluation.rubric.spec.target_sections()), Decimal(0))
    if declaration.tasks and total != expected:
        problems.append(f"各指标分值合计为{fmt.num(total)}，应为{fmt.num(expected)}")
    return problems


def declaration_submit(evaluation_id: int, actor, version: int) -> TargetDeclaration:
    """The filer submits the declaration for approval (refused while incomplete)."""
    from .transitions import _transition

    def check(evaluation: Evaluation, declaration: TargetDeclaration) -> None:
        if declaration.version != version:
            raise StaleVersion(declaration.version)
        problems = declaration_problems(evaluation, declaration)
        if problems:
            raise ServiceError("绩效目标申报尚不能提交：" + "；".join(problems) + "。")

    return _transition(evaluation_id, actor, "declare_submit", check=check).declaration


def declaration_return(evaluation_id: int, actor, comment: str) -> TargetDeclaration:
    """The reviewer returns the declaration with a (required) comment."""
    from .transitions import _transition

    return _transition(evaluation_id, actor, "declare_return", comment).declaration


def declaration_approve(evaluation_id: int, actor, comment: str = "") -> TargetDeclaration:
    """The reviewer approves the declaration; in the same transaction its targets become the
    evaluation's 履职效能 rows (which must still be editable: 填报中 or 已退回)."""
    from .transitions import _transition

    def check(evaluation: Evaluation, declaration: TargetDeclaration) -> None:
        if not workflow.is_editable(evaluation.status):
            raise ServiceError(
                f"自评当前状态为“{evaluation.get_status_display()}”，批复的目标无法转为自评的"
                "指标行。请先退回自评再批复。"
            )

    def after(evaluation: Evaluation, declaration: TargetDeclaration) -> None:
        apply_declared_targets(evaluation, declaration, actor)

    return _transition(
        evaluation_id, actor, "declare_approve", comment, check=check, after=after
    ).declaration


def apply_declared_targets(evaluation: Evaluation, declaration: TargetDeclaration, actor) -> None:
    """The approved declaration's goal and rows become the evaluation's: the live 履职效能
    tasks and rows are marked deleted (their judgements stay), the declared ones created,
    each row with its approved target and points; field changes recorded, version bumped."""
    if declaration.status != workflow.Status.APPROVED:
        raise NotFound("没有已批复的绩效目标申报")
    before = snapshot.flatten(evaluation)
    now = timezone.now()
    DutyIndicator.objects.filter(task__evaluation=evaluation, deleted_at__isnull=True).update(
        deleted_at=now
    )
    DutyTask.objects.filter(evaluation=evaluation, deleted_at__isnull=True).update(deleted_at=now)
    Evaluation.objects.filter(pk=evaluation.pk).update(overall_goal=declaration.overall_goal)
    evaluation.overall_goal = declaration.overall_goal
    for t, task in enumerate(declaration.tasks, start=1):
        duty_task = DutyTask.objects.create(
            evaluation=evaluation, position=t, name=task["name"], section=task.get("section", "")
        )
        for i, row in enumerate(task.get("rows", []), start=1):
            DutyIndicator.objects.create(
                task=duty_task,
                position=i,
                approved_target={n: row.get(n) for n in APPROVED_FIELDS},
                **_row_values(row),
            )
    record_changes(evaluation, actor, before)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    refresh_totals(evaluation.pk)
