"""The finance bureau's writes: 批注 (annotations) and replies, 复核分, the figures it notifies
(一般公共预算项目支出年度平均执行率) and the 加减分 events, one department at a time or imported
for many from an .xlsx sheet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from rubric.inputs import Source

from .. import snapshot
from ..models import Annotation, BonusEvent, Evaluation, ReviewedScore
from ..selectors import roles_for
from ..workflow import Role, Status
from .common import locked, record_changes, refresh_totals, set_figures
from .errors import NotAllowed, NotFound, ServiceError

REVIEWABLE = frozenset({Status.SUBMITTED})
# The finance bureau's own figures may be set until the evaluation is approved.
NOTIFIABLE = frozenset({Status.DRAFT, Status.SUBMITTED, Status.RETURNED})


def _as_reviewer(evaluation_id: int, actor) -> Evaluation:
    evaluation = locked(evaluation_id)
    roles = roles_for(actor, evaluation)
    if not roles:
        raise NotFound("没有找到该自评")
    if Role.REVIEWER not in roles:
        raise NotAllowed("只有本区域的审核人可以进行此操作。")
    return evaluation


def _start_review(evaluation: Evaluation) -> None:
    if evaluation.status == Status.SUBMITTED and evaluation.review_started_at is None:
        evaluation.review_started_at = timezone.now()
        evaluation.save(update_fields=["review_started_at"])


# ---------------------------------------------------------------------------- 复核分


@transaction.atomic
def evaluation_set_reviewed(
    evaluation_id: int, actor, *, code: str, score: Decimal | None, reason: str
) -> Evaluation:
    """Set (or, with score None, clear) the 复核分 of one line of the score table."""
    from ..selectors import evaluations_for_scoring
    from ..submission import review

    evaluation = _as_reviewer(evaluation_id, actor)
    if evaluation.status not in REVIEWABLE:
        raise NotAllowed("只有已提交、待审核的自评可以填写复核分。")
    sheet = review(evaluations_for_scoring().get(pk=evaluation.pk)).sheet
    line = next((ln for ln in sheet.lines if ln.code == code and ln.is_leaf), None)
    if line is None:
        raise NotFound(f"自评表中没有末级指标 {code}")
    before = snapshot.Flat()
    existing = ReviewedScore.objects.filter(evaluation=evaluation, code=code).first()
    if existing:
        before[f"rev.{code}"] = (f"指标{code}·复核分", f"{existing.score}（{existing.reason}）")
    if score is None:
        if existing:
            existing.delete()
    else:
        minimum = Decimal(0) if line.method != "bonus_penalty" else -line.points
        if not minimum <= score <= line.points:
            raise ServiceError(f"复核分应在{minimum}～{line.points}之间")
        if not reason.strip():
            raise ServiceError("请填写复核理由")
        ReviewedScore.objects.update_or_create(
            evaluation=evaluation,
            code=code,
            defaults={"score": score, "reason": reason.strip(), "reviewer": actor},
        )
    after = {}
    if score is not None:
        after[f"rev.{code}"] = (f"指标{code}·复核分", f"{score}（{reason.strip()}）")
    record_changes(evaluation, actor, before, after)
    _start_review(evaluation)
    refresh_totals(evaluation.pk)
    return evaluation


# ---------------------------------------------------------------------------- 批注


@transaction.atomic
def annotation_add(evaluation_id: int, actor, *, target: str, label: str, text: str) -> Annotation:
    """A reviewer's remark on one part of the filing."""
    evaluation = _as_reviewer(evaluation_id, actor)
    if evaluation.status in (Status.APPROVED, Status.PUBLISHED):
        raise NotAllowed("已审核通过的自评不能再添加批注。")
    if not text.strip():
        raise ServiceError("请填写批注内容")
    annotation = Annotation.objects.create(
        evaluation=evaluation,
        target=target[:80],
        target_label=label[:300],
        author=actor,
        text=text.strip(),
    )
    _start_review(evaluation)
    return annotation


def _annotation(
    evaluation_id: int, annotation_id: int, actor
) -> tuple[Evaluation, Annotation, set]:
    evaluation = locked(evaluation_id)
    roles = roles_for(actor, evaluation)
    if not roles & {Role.FILER, Role.REVIEWER}:
        raise NotFound("没有找到该批注")
    try:
        annotation = evaluation.annotations.get(pk=annotation_id, parent__isnull=True)
    except Annotation.DoesNotExist as exc:
        raise NotFound("没有找到该批注") from exc
    return evaluation, annotation, roles


@transaction.atomic
def annotation_reply(evaluation_id: int, annotation_id: int, actor, *, text: str) -> Annotation:
    evaluation, annotation, _ = _annotation(evaluation_id, annotation_id, actor)
    if not text.strip():
        raise ServiceError("请填写回复内容")
    return Annotation.objects.create(
        evaluation=evaluation,
        target=annotation.target,
        target_label=annotation.target_label,
        parent=annotation,
        author=actor,
        text=text.strip(),
    )


@transaction.atomic
def annotation_resolve(
    evaluation_id: int, annotation_id: int, actor, *, resolved: bool = True
) -> Annotation:
    _, annotation, _ = _annotation(evaluation_id, annotation_id, actor)
    annotation.resolved_at = timezone.now() if resolved else None
    annotation.resolved_by = actor if resolved else None
    annotation.save(update_fields=["resolved_at", "resolved_by"])
    return annotation


# ---------------------------------------------------------------------------- notified figures


@dataclass(frozen=True)
class EventInput:
    kind: str  # bonus | penalty
    description: str


def _set_notified(
    evaluation: Evaluation,
    actor,
    values: Mapping[str, Decimal | None],
    events: list[EventInput] | None,
) -> None:
    if evaluation.status not in NOTIFIABLE:
        raise NotAllowed(
            f"这份自评当前状态为“{evaluation.get_status_display()}”，财政局数据已不能修改。"
        )
    before = snapshot.flatten(evaluation)
    before.update(_events_flat(evaluation))
    set_figures(evaluation, values, Source.FINANCE_BUREAU)
    if events is not None:
        evaluation.bonus_events.all().delete()
        BonusEvent.objects.bulk_create(
            BonusEvent(
                evaluation=evaluation,
                kind=e.kind,
                description=e.description[:500],
                recorded_by=actor,
            )
            for e in events
        )
    after = snapshot.flatten(evaluation)
    after.update(_events_flat(evaluation))
    record_changes(evaluation, actor, before, after)
    refresh_totals(evaluation.pk)


def _events_flat(evaluation: Evaluation) -> dict:
    kinds = dict(BonusEvent.Kind.choices)
    return {
        f"event.{i}": ("加减分事项", f"{kinds.get(e.kind, e.kind)}：{e.description}")
        for i, e in enumerate(evaluation.bonus_events.order_by("id"), start=1)
    }


@transaction.atomic
def evaluation_set_notified(
    evaluation_id: int,
    actor,
    *,
    values: Mapping[str, Decimal | None],
    events: list[EventInput] | None = None,
) -> Evaluation:
    """The finance bureau's figures and 加减分 events for one department."""
    evaluation = _as_reviewer(evaluation_id, actor)
    _set_notified(evaluation, actor, values, events)
    return evaluation


@dataclass(frozen=True)
class ImportRow:
    line: int
    department_code: str
    values: Mapping[str, Decimal | None]
    events: list[EventInput] | None


@transaction.atomic
def notified_import(fiscal_year, actor, rows: list[ImportRow]) -> int:
    """Apply parsed import rows to the fiscal year's evaluations; all or nothing."""
    by_code = {
        e.department.code: e
        for e in Evaluation.objects.filter(fiscal_year=fiscal_year).select_related("department")
    }
    problems = []
    for row in rows:
        evaluation = by_code.get(row.department_code)
        if evaluation is None:
            problems.append(f"第{row.line}行：没有单位编码为 {row.department_code} 的本年度自评")
            continue
        try:
            _set_notified(_as_reviewer(evaluation.pk, actor), actor, row.values, row.events)
        except (NotAllowed, NotFound) as exc:
            problems.append(f"第{row.line}行（{row.department_code}）：{exc.message}")
    if problems:
        transaction.set_rollback(True)
        raise ServiceError("导入未完成，没有任何数据被修改：" + "；".join(problems))
    return len(rows)
