"""What every write shares: locking the row, recording field changes, refreshing totals."""

from __future__ import annotations

from django.db.models import Prefetch

from .. import snapshot
from ..models import DutyTask, Evaluation, FieldChange
from .errors import NotFound


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


def record_changes(evaluation: Evaluation, actor, before: snapshot.Flat) -> int:
    """Store one FieldChange per field that differs from `before`; returns how many."""
    changes = snapshot.diff(before, snapshot.flatten(evaluation))
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

    fresh = (
        Evaluation.objects.select_related("department__region", "fiscal_year", "rubric")
        .prefetch_related(
            "figures",
            "answers",
            "bonus_events",
            "reviewed_scores",
            "sections",
            Prefetch("tasks", queryset=DutyTask.objects.prefetch_related("rows")),
        )
        .get(pk=evaluation_id)
    )
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
