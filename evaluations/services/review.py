"""The finance bureau's writes: 批注 (annotations) and replies, 复核分, the figures it notifies
(一般公共预算项目支出年度平均执行率) and the 加减分 events, one department at a time or imported
for many from an .xlsx sheet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from rubric import fmt
from rubric.inputs import Source

from .. import access, snapshot
from ..access import Action
from ..models import Annotation, BonusEvent, Evaluation, ReviewedScore
from ..scoring import line_key, score_range
from ..workflow import Status
from .common import locked, record_changes, refresh_totals, set_figures
from .errors import FieldInvalid, NotAllowed, NotFound, ServiceError


def _as_reviewer(evaluation_id: int, actor, action: str) -> Evaluation:
    """Locked, and only if the access policy (evaluations.access) allows `action` now."""
    evaluation = locked(evaluation_id)
    access.require(actor, evaluation, action)
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
    """Set (or, with score None, clear) the 复核分 of one line of the score table. `code` is
    the line's stable key (scoring.line_key): a leaf's code, or `row:<id>` for a 履职效能 row
    — never its position. A 复核分 whose row has been deleted can only be cleared."""
    from ..feedback import DELETED
    from ..selectors import evaluations_for_scoring
    from ..submission import review

    evaluation = _as_reviewer(evaluation_id, actor, Action.SET_REVIEWED)
    sheet = review(evaluations_for_scoring().get(pk=evaluation.pk)).sheet
    line = next((ln for ln in sheet.lines if ln.is_leaf and line_key(ln) == code), None)
    existing = ReviewedScore.objects.filter(evaluation=evaluation, code=code).first()
    if line is None and not (existing and score is None):
        if existing:
            raise ServiceError(f"{DELETED}，该复核分只能清除。")
        raise NotFound(f"自评表中没有末级指标 {code}")
    label = f"指标{line.code} {line.name}" if line else f"{existing.code}（{DELETED}）"
    before = snapshot.Flat()
    if existing:
        before[f"rev.{code}"] = (f"{label}·复核分", f"{existing.score}（{existing.reason}）")
    if score is None:
        if existing:
            existing.delete()
    else:
        minimum, maximum = score_range(line)
        if not minimum <= score <= maximum:
            raise FieldInvalid("score", f"复核分应在{fmt.num(minimum)}～{fmt.num(maximum)}之间")
        if not reason.strip():
            raise FieldInvalid("reason", "请填写复核理由")
        ReviewedScore.objects.update_or_create(
            evaluation=evaluation,
            code=code,
            defaults={"score": score, "reason": reason.strip(), "reviewer": actor},
        )
    after = {}
    if score is not None:
        after[f"rev.{code}"] = (f"{label}·复核分", f"{score}（{reason.strip()}）")
    record_changes(evaluation, actor, before, after)
    _start_review(evaluation)
    refresh_totals(evaluation.pk)
    return evaluation


# ---------------------------------------------------------------------------- 批注


@transaction.atomic
def annotation_add(evaluation_id: int, actor, *, target: str, label: str, text: str) -> Annotation:
    """A reviewer's remark on one part of the filing."""
    evaluation = _as_reviewer(evaluation_id, actor, Action.ANNOTATE)
    if not text.strip():
        raise ServiceError("请填写批注内容")
    _check_target(evaluation, target)
    annotation = Annotation.objects.create(
        evaluation=evaluation,
        target=target[:80],
        target_label=label[:300],
        author=actor,
        text=text.strip(),
    )
    _start_review(evaluation)
    return annotation


def _check_target(evaluation: Evaluation, target: str) -> None:
    """An annotation attaches to something shown now, by its stable key (a 履职效能 row by
    `row:<id>`, never by its position): a stale page's target is refused, not misfiled."""
    from ..feedback import places
    from ..scoring import score_evaluation
    from ..selectors import evaluations_for_scoring

    sheet = score_evaluation(evaluations_for_scoring().get(pk=evaluation.pk))
    if target not in places(sheet):
        raise ServiceError("批注的对象已不存在（可能已被填报人删除或移动），请刷新页面后重试。")


def _annotation(
    evaluation_id: int, annotation_id: int, actor
) -> tuple[Evaluation, Annotation, set]:
    evaluation = locked(evaluation_id)
    roles = access.access_for(actor, evaluation).roles
    if not access.Access(evaluation, roles).can(Action.REPLY):
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
    # The caller has checked Action.NOTIFY on the locked row (_as_reviewer).
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
    evaluation = _as_reviewer(evaluation_id, actor, Action.NOTIFY)
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
        for e in Evaluation.objects.filter(fiscal_year=fiscal_year, project="").select_related(
            "department"
        )
    }
    problems = []
    for row in rows:
        evaluation = by_code.get(row.department_code)
        if evaluation is None:
            problems.append(f"第{row.line}行：没有单位编码为 {row.department_code} 的本年度自评")
            continue
        try:
            _set_notified(
                _as_reviewer(evaluation.pk, actor, Action.NOTIFY), actor, row.values, row.events
            )
        except (NotAllowed, NotFound) as exc:
            problems.append(f"第{row.line}行（{row.department_code}）：{exc.message}")
    if problems:
        transaction.set_rollback(True)
        raise ServiceError("导入未完成，没有任何数据被修改：" + "；".join(problems))
    return len(rows)
