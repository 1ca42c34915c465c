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
from .errors import FieldInvalid, NotFound, ServiceError
from .text import CONTROL, checked


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

    reason = checked(reason, "reviewed_reason", field="reason")
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
    text = checked(text, "annotation", field="text")
    evaluation = _as_reviewer(evaluation_id, actor, Action.ANNOTATE)
    if not text.strip():
        raise ServiceError("请填写批注内容")
    _check_target(evaluation, target)
    annotation = Annotation.objects.create(
        evaluation=evaluation,
        target=target[:80],
        target_label=CONTROL.sub("", label)[:300],
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
    text = checked(text, "reply", field="text")
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
    for e in events or ():
        checked(e.description, "event", field=e.kind)
    before = snapshot.flatten(evaluation)
    before.update(_events_flat(evaluation))
    set_figures(evaluation, values, Source.FINANCE_BUREAU)
    if events is not None:
        evaluation.bonus_events.all().delete()
        BonusEvent.objects.bulk_create(
            BonusEvent(
                evaluation=evaluation,
                kind=e.kind,
                description=e.description,
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
    name: str = ""  # 单位名称 as in the sheet, shown in the outcome table
    problem: str = ""  # why the row cannot be applied (read from the sheet), if so


@dataclass(frozen=True)
class ImportOutcome:
    """What the import did with one row of the sheet."""

    line: int
    department_code: str
    name: str
    status: str  # applied | unchanged | skipped
    message: str

    @property
    def label(self) -> str:
        return {"applied": "已导入", "unchanged": "无变化", "skipped": "已跳过"}[self.status]


def _notified_unchanged(evaluation: Evaluation, row: ImportRow) -> bool:
    """Whether applying the row would change nothing (the template as downloaded)."""
    stored = {f.key: f.value for f in evaluation.figures.filter(key__in=list(row.values))}
    if any(stored.get(key) != value for key, value in row.values.items()):
        return False
    if row.events is None:
        return True
    current = [
        (e.kind, e.description.strip()) for e in evaluation.bonus_events.order_by("kind", "id")
    ]
    given = sorted(((e.kind, e.description.strip()) for e in row.events), key=lambda e: e[0])
    return current == given


def notified_import(fiscal_year, actor, rows: list[ImportRow]) -> list[ImportOutcome]:
    """Apply parsed import rows to the fiscal year's 部门整体 evaluations, each row on its own:
    a row that cannot be applied (unreadable, unknown department, an evaluation no longer
    open to the finance bureau's figures) is skipped with its reason, a row that changes
    nothing is left alone (so the downloaded template imports unchanged), the rest are applied.
    A department listed twice: the later row wins and the earlier one is reported as such."""
    by_code = {
        e.department.code: e
        for e in Evaluation.objects.filter(fiscal_year=fiscal_year, project="").select_related(
            "department"
        )
    }
    last_line = {row.department_code: row.line for row in rows if not row.problem}
    outcomes = []
    for row in rows:
        code, name = row.department_code, row.name
        evaluation = by_code.get(code)
        if evaluation is not None and not name:
            name = evaluation.department.name
        if row.problem:
            outcome = ImportOutcome(row.line, code, name, "skipped", row.problem)
        elif evaluation is None:
            message = f"没有单位编码为 {code} 的本年度自评"
            outcome = ImportOutcome(row.line, code, name, "skipped", message)
        elif last_line[code] != row.line:
            message = f"同一单位在第{last_line[code]}行再次出现，以该行为准"
            outcome = ImportOutcome(row.line, code, name, "skipped", message)
        else:
            outcome = _notified_apply(evaluation, actor, row, name)
        outcomes.append(outcome)
    return outcomes


def _notified_apply(evaluation: Evaluation, actor, row: ImportRow, name: str) -> ImportOutcome:
    try:
        with transaction.atomic():
            locked_row = locked(evaluation.pk)
            if not row.values and row.events is None:
                return ImportOutcome(
                    row.line, row.department_code, name, "unchanged", "该行没有填写要导入的数据"
                )
            if _notified_unchanged(locked_row, row):
                return ImportOutcome(
                    row.line, row.department_code, name, "unchanged", "与现有数据相同"
                )
            access.require(actor, locked_row, Action.NOTIFY)
            _set_notified(locked_row, actor, row.values, row.events)
    except ServiceError as exc:
        return ImportOutcome(row.line, row.department_code, name, "skipped", exc.message)
    parts = []
    if row.values:
        parts.append("执行率")
    if row.events is not None:
        parts.append("加减分事项")
    return ImportOutcome(
        row.line, row.department_code, name, "applied", "、".join(parts) + "已更新"
    )
