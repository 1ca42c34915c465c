"""The filer's edits, step by step. Each locks the evaluation row, re-checks the actor's role and
the state (editable only in 填报中 and 已退回), compares the version number the form was
rendered with (a stale save is refused with StaleVersion, never silently applied), records
what changed field by field, and refreshes the stored totals."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rubric.inputs import Source

from .. import snapshot
from ..models import (
    Department,
    DutyIndicator,
    DutyTask,
    Evaluation,
    IndicatorAnswer,
    ReportSection,
)
from .common import locked_for_filer, record_changes, refresh_totals, set_figures
from .declaration import check_target_change
from .errors import NotAllowed, ServiceError, StaleVersion
from .renders import draft_render_after_save
from .text import checked


@contextmanager
def _editing(evaluation_id: int, actor, version: int) -> Iterator[Evaluation]:
    """Lock, check role, state and version; after the body's writes, record the field
    changes, bump the version and refresh the totals."""
    with transaction.atomic():
        evaluation = locked_for_filer(evaluation_id, actor)
        if version != evaluation.version:
            raise StaleVersion(evaluation.version)
        before = snapshot.flatten(evaluation)
        yield evaluation
        record_changes(evaluation, actor, before)
        Evaluation.objects.filter(pk=evaluation.pk).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        evaluation.refresh_from_db(fields=["version", "updated_at"])
        refresh_totals(evaluation.pk)
        # the draft PDF of the new content, rendered by the worker (debounced)
        pk = evaluation.pk
        transaction.on_commit(lambda: draft_render_after_save(pk), robust=True)


def _save_sections(evaluation: Evaluation, texts: Mapping[str, str]) -> None:
    texts = {key: checked(text, "section", field=key) for key, text in texts.items()}
    existing = {s.key: s for s in evaluation.sections.all()}
    for key, text in texts.items():
        section = existing.get(key)
        if section is None:
            ReportSection.objects.create(evaluation=evaluation, key=key, text=text)
        elif section.text != text:
            section.text = text
            section.save(update_fields=["text"])


DEPARTMENT_FIELDS = Department.STAFFING_FIELDS  # the evaluation's own copy (see Staffing)


def evaluation_save_basic(
    evaluation_id: int,
    actor,
    version: int,
    *,
    department: Mapping[str, int],
    sections: Mapping[str, str],
) -> Evaluation:
    """基本情况: the year's 机构设置 and 人员编制 (kept on the evaluation, and as the department's
    current numbers for the next year's evaluation), and the 部门概况 texts."""
    with _editing(evaluation_id, actor, version) as evaluation:
        updates = {k: v for k, v in department.items() if k in DEPARTMENT_FIELDS}
        Evaluation.objects.filter(pk=evaluation.pk).update(**updates)
        for name, value in updates.items():
            setattr(evaluation, name, value)
        latest = (
            Evaluation.objects.filter(department_id=evaluation.department_id)
            .order_by("-fiscal_year__year")
            .values_list("pk", flat=True)
            .first()
        )
        if latest == evaluation.pk:
            Department.objects.filter(pk=evaluation.department_id).update(**updates)
        _save_sections(evaluation, sections)
    return evaluation


def evaluation_save_figures(
    evaluation_id: int, actor, version: int, *, values: Mapping[str, Decimal | None]
) -> Evaluation:
    """收支数据: the department's own figures (finance-bureau figures are not theirs to set)."""
    with _editing(evaluation_id, actor, version) as evaluation:
        set_figures(evaluation, values, Source.DEPARTMENT)
    return evaluation


@dataclass(frozen=True)
class AnswerInput:
    choices: Mapping[str, str] = field(default_factory=dict)
    claimed: Decimal | None = None
    reason: str = ""
    note: str = ""


def evaluation_save_answers(
    evaluation_id: int, actor, version: int, *, answers: Mapping[str, AnswerInput]
) -> Evaluation:
    """管理效能 and other rubric leaves: checklist choices, 自评分, reason, note."""
    with _editing(evaluation_id, actor, version) as evaluation:
        leaves = {leaf.code for leaf in evaluation.rubric.spec.leaves()}
        existing = {a.code: a for a in evaluation.answers.all()}
        for code, given in answers.items():
            if code not in leaves:
                raise NotAllowed(f"评分体系中没有指标 {code}")
            row = existing.get(code) or IndicatorAnswer(evaluation=evaluation, code=code)
            reason = checked(given.reason, "reason", field=f"{code}-reason")
            note = checked(given.note, "note", field=f"{code}-note")
            new = (dict(given.choices), given.claimed, reason, note)
            if row.pk and (row.choices, row.claimed, row.claimed_reason, row.note) == new:
                continue
            row.choices, row.claimed, row.claimed_reason, row.note = new
            row.save()
    return evaluation


@dataclass(frozen=True)
class RowInput:
    name: str
    points: Decimal
    operator: str = ">="
    target_value: Decimal | None = None
    target_text: str = ""
    unit: str = ""
    actual_value: Decimal | None = None
    actual_text: str = ""
    achieved: bool | None = None
    claimed: Decimal | None = None
    claimed_reason: str = ""
    note: str = ""
    target_max: Decimal | None = None  # the upper bound of a `between` target
    target_date: datetime.date | None = None  # a date target ("9月底前")
    actual_date: datetime.date | None = None
    initial_target_text: str = ""  # 年初指标值, where it was adjusted during the year
    core: bool = False  # 核心指标
    grade: str = ""  # the chosen 完成等级 key, where the section has grades
    target_change_reason: str = ""  # why the target or points differ from the approved ones
    id: int | None = None  # the saved row this is (None: a new row)


ROW_FIELDS = tuple(f for f in RowInput.__dataclass_fields__ if f != "id")
ROW_TEXT = {  # a row's text fields and their kind of text (services.text.LIMITS)
    "name": "row_name",
    "target_text": "target_text",
    "initial_target_text": "target_text",
    "actual_text": "target_text",
    "unit": "unit",
    "grade": "grade",
    "claimed_reason": "reason",
    "target_change_reason": "reason",
    "note": "note",
}


@dataclass(frozen=True)
class TaskInput:
    name: str
    rows: tuple[RowInput, ...] = ()
    id: int | None = None  # the saved task this is (None: a new task)
    section: str = ""  # the code of the rubric's target_rows leaf ("" = the first)


def _unknown(what: str) -> ServiceError:
    return ServiceError(
        f"页面上的某项{what}已不存在（可能已在其他窗口删除），内容尚未保存。"
        "请复制需要保留的内容，刷新页面后重新填写。"
    )


def _save_tasks(evaluation: Evaluation, tasks: list[TaskInput], actor=None) -> None:
    """Update the tasks and rows in place by id, create the new ones, and mark the ones no
    longer given as deleted: an id is never reused, so the judgements on a row stay on it."""
    now = timezone.now()
    sections = [leaf.code for leaf in evaluation.rubric.spec.target_sections()]
    live_tasks = {
        t.pk: t for t in DutyTask.objects.filter(evaluation=evaluation, deleted_at__isnull=True)
    }
    live_rows = {
        r.pk: r
        for r in DutyIndicator.objects.filter(task__in=live_tasks.values(), deleted_at__isnull=True)
    }
    kept_tasks: set[int] = set()
    kept_rows: set[int] = set()
    for t, given in enumerate(tasks, start=1):
        checked(given.name, "task_name")
        for row_input in given.rows:
            for name, kind in ROW_TEXT.items():
                checked(getattr(row_input, name), kind)
        if given.section and given.section not in sections:
            raise ServiceError(f"评分体系中没有可填报指标行的指标 {given.section}")
        section = given.section if len(sections) > 1 else ""
        if given.id is None:
            task = DutyTask.objects.create(
                evaluation=evaluation, position=t, name=given.name, section=section
            )
        else:
            task = live_tasks.get(given.id)
            if task is None or given.id in kept_tasks:
                raise _unknown("任务")
            if (task.position, task.name, task.section) != (t, given.name, section):
                task.position, task.name, task.section = t, given.name, section
                task.save(update_fields=["position", "name", "section"])
        kept_tasks.add(task.pk)
        for i, row_input in enumerate(given.rows, start=1):
            values = {name: getattr(row_input, name) for name in ROW_FIELDS}
            if row_input.id is None:
                DutyIndicator.objects.create(task=task, position=i, **values)
                continue
            row = live_rows.get(row_input.id)
            if row is None or row_input.id in kept_rows:
                raise _unknown("指标")
            kept_rows.add(row.pk)
            check_target_change(evaluation, row, row_input, actor)
            values.update(task_id=task.pk, position=i)
            changed = [name for name, value in values.items() if getattr(row, name) != value]
            if changed:
                for name in changed:
                    setattr(row, name, values[name])
                row.save(update_fields=changed)
    DutyIndicator.objects.filter(pk__in=set(live_rows) - kept_rows).update(deleted_at=now)
    DutyTask.objects.filter(pk__in=set(live_tasks) - kept_tasks).update(deleted_at=now)


def evaluation_save_duty(
    evaluation_id: int,
    actor,
    version: int,
    *,
    overall_goal: str,
    goal_completion: str,
    goal_shortfall_reason: str,
    tasks: list[TaskInput],
) -> Evaluation:
    """履职效能: the 年度整体绩效目标 and the tasks with their rows, in the order given. A task or
    row given with an id is that saved one, updated in place; one without is new; a saved one
    not given is marked deleted (its 复核分 and 批注 stay, shown as 所属指标已删除)."""
    for name, value in (
        ("overall_goal", overall_goal),
        ("goal_completion", goal_completion),
        ("goal_shortfall_reason", goal_shortfall_reason),
    ):
        checked(value, "goal", field=name)
    with _editing(evaluation_id, actor, version) as evaluation:
        evaluation.overall_goal = overall_goal
        evaluation.goal_completion = goal_completion
        evaluation.goal_shortfall_reason = goal_shortfall_reason
        evaluation.save(update_fields=["overall_goal", "goal_completion", "goal_shortfall_reason"])
        _save_tasks(evaluation, tasks, actor)
    return evaluation


@dataclass(frozen=True)
class ReportMeta:
    """What the report is signed with: 报告日期, 署名单位 ('' = the department's name),
    联系人 and 联系电话 (already checked by evaluations.parsing.parse_phone)."""

    report_date: datetime.date | None = None
    signed_unit: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def evaluation_save_sections(
    evaluation_id: int,
    actor,
    version: int,
    *,
    texts: Mapping[str, str],
    meta: ReportMeta | None = None,
) -> Evaluation:
    """报告正文, and the report's date, signing unit and contact when `meta` is given."""
    with _editing(evaluation_id, actor, version) as evaluation:
        _save_sections(evaluation, texts)
        if meta is not None:
            fields = ["report_date", "signed_unit", "contact_name", "contact_phone"]
            for name in fields:
                setattr(evaluation, name, getattr(meta, name))
            evaluation.save(update_fields=fields)
    return evaluation
