"""Reads. Every read of an evaluation for a user goes through evaluation_for_user, which scopes
by the user's departments (filer) or regions (reviewer): anything else is a 404."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .models import DutyTask, Evaluation

SCORING_PREFETCH = (
    "figures",
    "answers",
    "bonus_events",
    Prefetch("tasks", queryset=DutyTask.objects.prefetch_related("rows")),
)


def evaluations_for_scoring() -> QuerySet[Evaluation]:
    return Evaluation.objects.select_related(
        "department__region", "fiscal_year", "rubric"
    ).prefetch_related(*SCORING_PREFETCH)


def evaluation_by_department_year(department_code: str, year: int) -> Evaluation:
    """For the command line (no user): the evaluation of a department and year, or Http404."""
    try:
        return evaluations_for_scoring().get(
            department__code=department_code, fiscal_year__year=year
        )
    except Evaluation.DoesNotExist as exc:
        raise Http404(f"没有找到部门 {department_code} 的 {year} 年度自评") from exc
