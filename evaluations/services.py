"""Writes. Every change to the data goes through a function here, inside a transaction.

Edits lock the evaluation row, re-check the actor's role and the state (editable only in
填报中 and 已退回), and compare the version number the form was rendered with: a stale save is
refused with StaleVersion, never silently applied over someone else's change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rubric import loader

from . import workflow
from .models import (
    Department,
    DutyIndicator,
    DutyTask,
    Evaluation,
    EvaluationEvent,
    FigureValue,
    IndicatorAnswer,
    ReportSection,
    RubricVersion,
)
from .selectors import roles_for
from .workflow import Role, Status


class ServiceError(Exception):
    """A domain error with a message for the user (turned into a page message in one place)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


class NotEditable(ServiceError):
    pass


class StaleVersion(ServiceError):
    def __init__(self, current: int) -> None:
        super().__init__(
            "保存未成功：这份自评在你打开页面之后已被他人修改并保存。"
            "你刚才输入的内容仍保留在下方，请核对后再保存。"
        )
        self.current = current


class SubmissionBlocked(ServiceError):
    def __init__(self, problems: list[Any]) -> None:
        super().__init__(f"尚有{len(problems)}个问题需要处理后才能提交。")
        self.problems = problems


# ---------------------------------------------------------------------------- rubric


@transaction.atomic
def rubric_load(path: str | Path) -> tuple[RubricVersion, bool]:
    """Validate a rubric data file and store it as an immutable version.

    Loading the same content again is a no-op; a different content under a key already loaded
    is refused (a change is a new version). Raises loader.RubricError with a message naming
    the node at fault.
    """
    spec, content = loader.load_file(path)
    digest = loader.digest(content)
    existing = RubricVersion.objects.select_for_update().filter(key=spec.key).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise loader.RubricError(
                f"评分体系版本 {spec.key} 已载入且内容不同：已载入的版本不可修改，"
                "请为修改后的评分体系使用新的版本标识（key）。"
            )
        return existing, False
    version = RubricVersion.objects.create(
        key=spec.key,
        jurisdiction=spec.jurisdiction,
        year=spec.year,
        title=spec.title,
        source=spec.source,
        content=content,
        sha256=digest,
    )
    return version, True


# ---------------------------------------------------------------------------- editing


def _locked(evaluation_id: int) -> Evaluation:
    try:
        return (
            Evaluation.objects.select_for_update()
            .select_related("department", "fiscal_year", "rubric")
            .get(pk=evaluation_id)
        )
    except Evaluation.DoesNotExist as exc:
        raise NotFound("没有找到该自评") from exc


@contextmanager
def _editing(evaluation_id: int, actor, version: int) -> Iterator[Evaluation]:
    """Lock, check role, state and version; bump the version after the body's writes."""
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        if Role.FILER not in roles_for(actor, evaluation):
            raise NotFound("没有找到该自评")
        if not workflow.is_editable(evaluation.status):
            raise NotEditable(
                f"这份自评当前状态为“{evaluation.get_status_display()}”，不能修改。"
                "如需修改，请在审核人处理前撤回提交，或等待退回。"
            )
        if version != evaluation.version:
            raise StaleVersion(evaluation.version)
        yield evaluation
        Evaluation.objects.filter(pk=evaluation.pk).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        evaluation.refresh_from_db(fields=["version", "updated_at"])


def _save_sections(evaluation: Evaluation, texts: Mapping[str, str]) -> None:
    existing = {s.key: s for s in evaluation.sections.all()}
    for key, text in texts.items():
        section = existing.get(key)
        if section is None:
            ReportSection.objects.create(evaluation=evaluation, key=key, text=text)
        elif section.text != text:
            section.text = text
            section.save(update_fields=["text"])


DEPARTMENT_FIELDS = (
    "internal_units",
    "subordinate_units",
    "staff_administrative",
    "staff_public_1",
    "staff_public_2",
    "staff_actual",
    "staff_other",
)


def evaluation_save_basic(
    evaluation_id: int,
    actor,
    version: int,
    *,
    department: Mapping[str, int],
    sections: Mapping[str, str],
) -> Evaluation:
    """基本情况: the department's 机构设置 and 人员编制, and the 部门概况 texts."""
    with _editing(evaluation_id, actor, version) as evaluation:
        updates = {k: v for k, v in department.items() if k in DEPARTMENT_FIELDS}
        Department.objects.filter(pk=evaluation.department_id).update(**updates)
        _save_sections(evaluation, sections)
    return evaluation


def evaluation_save_figures(
    evaluation_id: int, actor, version: int, *, values: Mapping[str, Decimal | None]
) -> Evaluation:
    """收支数据: the department's own figures (finance-bureau figures are not theirs to set)."""
    from rubric.inputs import BY_KEY, Source

    with _editing(evaluation_id, actor, version) as evaluation:
        existing = {f.key: f for f in evaluation.figures.all()}
        for key, value in values.items():
            figure = BY_KEY.get(key)
            if figure is None or figure.source is not Source.DEPARTMENT:
                raise NotAllowed(f"“{figure.label if figure else key}”不由部门填报")
            row = existing.get(key)
            if row is None:
                FigureValue.objects.create(evaluation=evaluation, key=key, value=value)
            elif row.value != value:
                row.value = value
                row.save(update_fields=["value"])
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
            new = (dict(given.choices), given.claimed, given.reason, given.note)
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


@dataclass(frozen=True)
class TaskInput:
    name: str
    rows: tuple[RowInput, ...] = ()


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
    """履职效能: the 年度整体绩效目标 and the tasks with their rows, in the order given."""
    with _editing(evaluation_id, actor, version) as evaluation:
        evaluation.overall_goal = overall_goal
        evaluation.goal_completion = goal_completion
        evaluation.goal_shortfall_reason = goal_shortfall_reason
        evaluation.save(update_fields=["overall_goal", "goal_completion", "goal_shortfall_reason"])
        DutyTask.objects.filter(evaluation=evaluation).delete()
        for t, task in enumerate(tasks, start=1):
            task_row = DutyTask.objects.create(evaluation=evaluation, position=t, name=task.name)
            DutyIndicator.objects.bulk_create(
                DutyIndicator(task=task_row, position=i, **row.__dict__)
                for i, row in enumerate(task.rows, start=1)
            )
    return evaluation


def evaluation_save_sections(
    evaluation_id: int, actor, version: int, *, texts: Mapping[str, str]
) -> Evaluation:
    """报告正文."""
    with _editing(evaluation_id, actor, version) as evaluation:
        _save_sections(evaluation, texts)
    return evaluation


# ---------------------------------------------------------------------------- workflow


def _transition(
    evaluation_id: int, actor, action: str, comment: str = "", check=None
) -> Evaluation:
    """One workflow transition: lock, re-check role and state against workflow.TRANSITIONS,
    apply, write the event. A double click finds the state already changed and is refused."""
    t = workflow.TRANSITIONS[action]
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        roles = roles_for(actor, evaluation)
        if not roles:
            raise NotFound("没有找到该自评")
        if not t.roles & roles:
            raise NotAllowed(f"你没有“{t.label}”这份自评的权限。")
        if evaluation.status not in t.sources:
            raise NotAllowed(
                f"这份自评当前状态为“{evaluation.get_status_display()}”，不能{t.label}。"
            )
        if t.comment_required and not comment.strip():
            raise ServiceError(f"{t.label}须填写意见。")
        if check is not None:
            check(evaluation)
        previous = evaluation.status
        evaluation.status = t.target
        fields = ["status", "updated_at"]
        if t.target == Status.SUBMITTED:
            evaluation.submitted_at = timezone.now()
            fields.append("submitted_at")
        evaluation.save(update_fields=fields)
        EvaluationEvent.objects.create(
            evaluation=evaluation,
            actor=actor,
            action=action,
            from_status=previous,
            to_status=t.target,
            comment=comment.strip(),
        )
    return evaluation


def evaluation_submit(evaluation_id: int, actor, version: int) -> Evaluation:
    """Submit after every check: blocking problems refuse the submission."""
    from .selectors import evaluations_for_scoring
    from .submission import review

    def check(locked: Evaluation) -> None:
        if locked.version != version:
            raise StaleVersion(locked.version)
        fresh = evaluations_for_scoring().get(pk=locked.pk)
        result = review(fresh)
        if result.blocking:
            raise SubmissionBlocked(result.blocking)

    return _transition(evaluation_id, actor, "submit", check=check)


def evaluation_withdraw(evaluation_id: int, actor) -> Evaluation:
    return _transition(evaluation_id, actor, "withdraw")
