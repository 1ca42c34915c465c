"""Reads. Every read of an evaluation for a user goes through evaluation_for_user, which scopes
by the user's departments (filer) or regions (reviewer): anything else is a 404, never a 403
that would confirm the evaluation exists."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from .models import Department, DutyTask, Evaluation, Region
from .workflow import Role

User = AbstractBaseUser | AnonymousUser

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


def visible_evaluations(user: User) -> QuerySet[Evaluation]:
    """The evaluations a user may see: their departments' (filer), their regions' (reviewer),
    all (superuser)."""
    qs = Evaluation.objects.select_related("department__region", "fiscal_year", "rubric")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(Q(department__filers=user) | Q(department__region__reviewers=user)).distinct()


def evaluation_for_user(user: User, pk: int, *, for_scoring: bool = True) -> Evaluation:
    """The evaluation with this id if the user may see it, else Http404."""
    qs = visible_evaluations(user)
    if for_scoring:
        qs = qs.prefetch_related(*SCORING_PREFETCH)
    try:
        return qs.get(pk=pk)
    except Evaluation.DoesNotExist as exc:
        raise Http404("没有找到该自评") from exc


def roles_for(user: User, evaluation: Evaluation) -> set[Role]:
    """The user's roles on this evaluation (one query at most)."""
    if not user.is_authenticated:
        return set()
    roles: set[Role] = set()
    if user.is_superuser:
        roles.add(Role.ADMIN)
    if Department.objects.filter(pk=evaluation.department_id, filers=user).exists():
        roles.add(Role.FILER)
    if Region.objects.filter(pk=evaluation.department.region_id, reviewers=user).exists():
        roles.add(Role.REVIEWER)
    return roles


def user_departments(user: User) -> QuerySet[Department]:
    if not user.is_authenticated:
        return Department.objects.none()
    return Department.objects.filter(filers=user).select_related("region")


def home_evaluations(user: User) -> QuerySet[Evaluation]:
    """The filer's own departments' evaluations, newest year first."""
    if not user.is_authenticated:
        return Evaluation.objects.none()
    return (
        Evaluation.objects.filter(department__filers=user)
        .select_related("department", "fiscal_year", "rubric")
        .prefetch_related(*SCORING_PREFETCH)
        .order_by("-fiscal_year__year", "department__code")
    )


def evaluation_by_department_year(department_code: str, year: int) -> Evaluation:
    """For the command line (no user): the evaluation of a department and year, or Http404."""
    try:
        return evaluations_for_scoring().get(
            department__code=department_code, fiscal_year__year=year
        )
    except Evaluation.DoesNotExist as exc:
        raise Http404(f"没有找到部门 {department_code} 的 {year} 年度自评") from exc
