"""What every write shares: locking the row, recording field changes, refreshing totals."""

from __future__ import annotations

from rubric.inputs import BY_KEY, Source

from .. import snapshot, workflow
from ..models import Evaluation, FieldChange, FigureValue
from ..selectors import evaluations_for_scoring, roles_for
from ..workflow import Role
from .errors import NotAllowed, NotEditable, NotFound


def locked(evaluation_id: int) -> Evaluation:
    """The evaluation, locked for the rest of the transaction (select_for_update)."""
    try:
        return (
            Evaluation.objects.select_for_update()
            .select_related("department", "fiscal_year", "rubric")
            .get(pk=evaluation_id)
        )
    except Evaluation.DoesNotExist as exc:
        raise NotFound("没有找到该自评") from exc


def locked_for_filer(evaluation_id: int, actor, *, what: str = "修改") -> Evaluation:
    """Locked, and only for a filer of the department while it is editable (填报中, 已退回)."""
    evaluation = locked(evaluation_id)
    if Role.FILER not in roles_for(actor, evaluation):
        raise NotFound("没有找到该自评")
    if not workflow.is_editable(evaluation.status):
        raise NotEditable(
            f"这份自评当前状态为“{evaluation.get_status_display()}”，不能{what}。"
            "如需修改，请在审核人处理前撤回提交，或等待退回。"
        )
    return evaluation


def set_figures(evaluation: Evaluation, values, source: Source) -> None:
    """Store figure values; each must be one that `source` (department or finance bureau)
    supplies."""
    existing = {f.key: f for f in evaluation.figures.all()}
    for key, value in values.items():
        figure = BY_KEY.get(key)
        if figure is None or figure.source is not source:
            who = "部门" if source is Source.DEPARTMENT else "财政局"
            raise NotAllowed(f"“{figure.label if figure else key}”不由{who}填报")
        row = existing.get(key)
        if row is None:
            FigureValue.objects.create(evaluation=evaluation, key=key, value=value)
        elif row.value != value:
            row.value = value
            row.save(update_fields=["value"])


def record_changes(
    evaluation: Evaluation, actor, before: snapshot.Flat, after: snapshot.Flat | None = None
) -> int:
    """Store one FieldChange per field that differs between `before` and `after` (by default
    the evaluation's fields as they are now); returns how many."""
    changes = snapshot.diff(before, snapshot.flatten(evaluation) if after is None else after)
    FieldChange.objects.bulk_create(
        FieldChange(
            evaluation=evaluation, actor=actor, key=c.key, label=c.label[:300], old=c.old, new=c.new
        )
        for c in changes
    )
    return len(changes)


def refresh_totals(evaluation_id: int) -> None:
    """Recompute the score table and store its totals and problem counts on the evaluation
    (read by the reviewers' dashboard)."""
    from ..submission import review

    fresh = evaluations_for_scoring().get(pk=evaluation_id)
    result = review(fresh)
    totals = result.sheet.totals
    Evaluation.objects.filter(pk=evaluation_id).update(
        computed_total=totals.computed,
        claimed_total=totals.claimed,
        reviewed_total=totals.reviewed,
        final_total=totals.final,
        warning_count=len(result.warnings),
        blocking_count=len(result.blocking),
    )
