"""Reads. Every read of an evaluation for a user goes through evaluation_for_user, which scopes
by the user's departments (filer) or regions (reviewer): anything else is a 404, never a 403
that would confirm the evaluation exists."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404

from .models import Department, DutyIndicator, DutyTask, Evaluation, Region
from .workflow import Role

User = AbstractBaseUser | AnonymousUser


def live_tasks() -> QuerySet[DutyTask]:
    """履职效能 tasks not marked deleted, each with its live rows prefetched."""
    return DutyTask.objects.filter(deleted_at__isnull=True).prefetch_related(
        Prefetch("rows", queryset=DutyIndicator.objects.filter(deleted_at__isnull=True))
    )


# `evaluation.tasks.all()` and `task.rows.all()` on an evaluation read with this prefetch are
# the live tasks and rows only (a deleted one keeps its id and its judgements, see models).
SCORING_PREFETCH = (
    "figures",
    "answers",
    "bonus_events",
    "reviewed_scores",
    "evidence__links",
    "sections",
    Prefetch("tasks", queryset=live_tasks()),
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
        if user.is_authenticated and Evaluation.objects.filter(pk=pk).exists():
            # Audit trail only (a cross-cutting record, not domain data): someone asked for
            # an evaluation outside their scope. They get the same 404 as for a missing one.
            from . import audit

            audit.record("permission_denied", user=user, evaluation=pk)
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
    """The filer's own departments' evaluations, newest year first, with the score inputs and
    the open annotations (`open_annotations`) prefetched."""
    if not user.is_authenticated:
        return Evaluation.objects.none()
    from .models import Annotation

    open_annotations = Prefetch(
        "annotations",
        queryset=Annotation.objects.filter(parent__isnull=True, resolved_at__isnull=True),
        to_attr="open_annotations",
    )
    return (
        Evaluation.objects.filter(department__filers=user)
        .select_related("department", "fiscal_year", "rubric")
        .prefetch_related(*SCORING_PREFETCH, open_annotations)
        .order_by("-fiscal_year__year", "department__code", "project")
    )


def evaluation_by_department_year(
    department_code: str, year: int, project: str | None = None
) -> Evaluation:
    """For the command line (no user): the evaluation of a department and year, or Http404.
    Without `project` the 部门整体 one; if the department has only 项目支出 evaluations that
    year, the 404 lists their project names so the caller can pick one."""
    qs = evaluations_for_scoring().filter(department__code=department_code, fiscal_year__year=year)
    try:
        return qs.get(project=project or "")
    except Evaluation.DoesNotExist as exc:
        if project:
            raise Http404(
                f"没有找到部门 {department_code} 的 {year} 年度项目“{project}”的自评"
            ) from exc
        names = list(
            Evaluation.objects.filter(department__code=department_code, fiscal_year__year=year)
            .exclude(project="")
            .order_by("project")
            .values_list("project", flat=True)
        )
        if names:
            listed = "、".join(f"“{n}”" for n in names)
            raise Http404(
                f"部门 {department_code} 的 {year} 年度没有部门整体自评，只有项目支出自评："
                f"{listed}；请用 --project 指定项目名称"
            ) from exc
        raise Http404(f"没有找到部门 {department_code} 的 {year} 年度自评") from exc


def project_targets(user: User):
    """The (department, fiscal year) pairs in which this filer may start a 项目支出 evaluation:
    their departments' years that have a project rubric, newest first."""
    from .models import FiscalYear

    if not user.is_authenticated:
        return []
    departments = list(user_departments(user))
    years = FiscalYear.objects.filter(
        region__in={d.region_id for d in departments}, project_rubric__isnull=False
    ).select_related("project_rubric")
    return [
        (d, fy)
        for fy in sorted(years, key=lambda fy: -fy.year)
        for d in departments
        if d.region_id == fy.region_id
    ]


# ---------------------------------------------------------------------------- review side


def _previous_year(evaluation: Evaluation) -> dict:
    """The one rule for "last year's evaluation": the same department and region, the same kind
    (部门整体, or the same 项目), the fiscal year before."""
    return {
        "department_id": evaluation.department_id,
        "project": evaluation.project,
        "fiscal_year__region_id": evaluation.fiscal_year.region_id,
        "fiscal_year__year": evaluation.fiscal_year.year - 1,
    }


def previous_year_evaluation(evaluation: Evaluation) -> Evaluation | None:
    """Last year's evaluation (_previous_year), prefetched for scoring; None where there is
    none. Whoever may see `evaluation` may see this one: same department, same region."""
    return evaluations_for_scoring().filter(**_previous_year(evaluation)).first()


# The evaluations the statistics count: submitted to the finance bureau or past it (a draft's
# or a returned filing's scores are not yet the department's).
STATISTICS_STATUSES = ("submitted", "approved", "published")


def statistics_evaluations(fiscal_year) -> QuerySet[Evaluation]:
    """One fiscal year's 部门整体 evaluations counted by the statistics page, for scoring."""
    return (
        evaluations_for_scoring()
        .filter(fiscal_year=fiscal_year, project="", status__in=STATISTICS_STATUSES)
        .order_by("department__code")
    )


def region_scores_by_year(region, up_to_year: int) -> QuerySet[Evaluation]:
    """Every counted 部门整体 evaluation of the region up to a year: department, year, score."""
    return (
        Evaluation.objects.filter(
            fiscal_year__region=region,
            fiscal_year__year__lte=up_to_year,
            project="",
            status__in=STATISTICS_STATUSES,
        )
        .select_related("department", "fiscal_year")
        .order_by("department__code", "fiscal_year__year")
    )


def reviewer_regions(user: User) -> QuerySet[Region]:
    if not user.is_authenticated:
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.all()
    return Region.objects.filter(reviewers=user)


def region_for_user(user: User, code: str) -> Region:
    try:
        return reviewer_regions(user).get(code=code)
    except Region.DoesNotExist as exc:
        if user.is_authenticated and Region.objects.filter(code=code).exists():
            from . import audit

            audit.record("permission_denied", user=user, region=code)
        raise Http404("没有找到该区域") from exc


def _sort(field: str, descending: bool = False):
    """Unfilled values (never submitted, not yet reviewed) last, in either direction."""
    expression = F(field)
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)


DASHBOARD_SORTS = {
    "department": _sort("department__code"),
    "-department": _sort("department__code", True),
    "status": _sort("status"),
    "submitted": _sort("submitted_at"),
    "-submitted": _sort("submitted_at", True),
    "claimed": _sort("claimed_total"),
    "-claimed": _sort("claimed_total", True),
    "reviewed": _sort("reviewed_total"),
    "-reviewed": _sort("reviewed_total", True),
    "computed": _sort("computed_total"),
    "-computed": _sort("computed_total", True),
    "warnings": _sort("warning_count"),
    "-warnings": _sort("warning_count", True),
}


def dashboard_evaluations(
    fiscal_year, *, status: str = "", query: str = "", sort: str = "department"
) -> QuerySet[Evaluation]:
    """One fiscal year's evaluations for the reviewers' dashboard: filtered, searched, sorted,
    with the count of open annotations; a fixed number of queries whatever the count."""
    from django.db.models import Count, OuterRef, Subquery

    from .models import DeadlineExtension, Reminder

    last_reminder = Reminder.objects.filter(evaluation=OuterRef("pk")).order_by("-sent_at")
    extension = DeadlineExtension.objects.filter(
        fiscal_year=OuterRef("fiscal_year"), department=OuterRef("department")
    ).order_by("-granted_at", "-id")
    qs = (
        Evaluation.objects.filter(fiscal_year=fiscal_year)
        .select_related("department", "fiscal_year")
        .annotate(
            open_annotations=Count(
                "annotations",
                filter=Q(annotations__parent__isnull=True, annotations__resolved_at__isnull=True),
            ),
            last_reminded_at=Subquery(last_reminder.values("sent_at")[:1]),
            extended_until=Subquery(extension.values("until")[:1]),
        )
    )
    if status:
        qs = qs.filter(status=status)
    from .services.text import stripped

    query = stripped(query, "search").strip()  # a NUL reached PostgreSQL: HTTP 500
    if query:
        qs = qs.filter(
            Q(department__name__icontains=query)
            | Q(department__short_name__icontains=query)
            | Q(department__code__icontains=query)
            | Q(project__icontains=query)
        )
    return qs.order_by(
        DASHBOARD_SORTS.get(sort, DASHBOARD_SORTS["department"]), "department__code", "project"
    )


def status_counts(fiscal_year) -> dict[str, int]:
    from django.db.models import Count

    rows = (
        Evaluation.objects.filter(fiscal_year=fiscal_year).values("status").annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}


def departments_without_evaluation(fiscal_year) -> QuerySet[Department]:
    """The region's departments without a 部门整体 evaluation that year (项目支出 ones aside)."""
    return Department.objects.filter(region=fiscal_year.region_id).exclude(
        pk__in=Evaluation.objects.filter(fiscal_year=fiscal_year, project="").values("department")
    )


def annotations_of(evaluation: Evaluation):
    """Top-level annotations with their replies, grouped by target (two queries)."""
    from .models import Annotation

    items = list(
        Annotation.objects.filter(evaluation=evaluation, parent__isnull=True)
        .select_related("author", "resolved_by")
        .prefetch_related(Prefetch("replies", queryset=Annotation.objects.select_related("author")))
    )
    grouped: dict[str, list] = {}
    for item in items:
        grouped.setdefault(item.target, []).append(item)
    return grouped


def last_event(evaluation: Evaluation, action: str):
    return (
        evaluation.events.filter(action=action)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


def evidence_of(evaluation: Evaluation) -> dict[str, list]:
    """The evaluation's 佐证材料 by the code of the indicator they are attached to (a file may
    be under several codes); under "" the whole library. Uses the prefetched rows when there
    are any."""
    grouped: dict[str, list] = {"": []}
    for item in evaluation.evidence.all():
        grouped[""].append(item)
        for link in item.links.all():
            grouped.setdefault(link.indicator_code, []).append(item)
    return grouped


def password_changed_at(user: User):
    """When the user's password was last set: the PasswordRecord, else the account's creation
    (accounts older than the record); None for an anonymous user."""
    from .models import PasswordRecord

    if not user.is_authenticated:
        return None
    record = PasswordRecord.objects.filter(user=user).values_list("changed_at", flat=True)
    return record.first() or user.date_joined


# ---------------------------------------------------------------------------- background work


def jobs_for_user(user: User):
    """The bulk jobs of the regions the user reviews (all for a superuser), newest first."""
    from .models import BulkJob

    return BulkJob.objects.filter(fiscal_year__region__in=reviewer_regions(user)).select_related(
        "fiscal_year__region", "created_by"
    )


def publication_render(evaluation: Evaluation):
    """The publication's final render to show on the review page while the evaluation is
    审核通过: the newest, in progress or failed (None when there is none)."""
    from .models import PdfRender
    from .workflow import Status

    if evaluation.status != Status.APPROVED:
        return None
    return (
        PdfRender.objects.filter(evaluation=evaluation, kind=PdfRender.Kind.FINAL)
        .exclude(state=PdfRender.State.READY)
        .order_by("-created_at", "-id")
        .first()
    )


def render_key(evaluation: Evaluation, kind: str) -> dict:
    """What a PDF depends on: the evaluation's content revision, its rubric version and the
    template version (models.PdfRender's unique key)."""
    from .pdf_key import template_version

    return {
        "evaluation_id": evaluation.pk,
        "kind": kind,
        "revision": evaluation.revision,
        "rubric_id": evaluation.rubric_id,
        "template_version": template_version(),
    }


def current_render(evaluation: Evaluation, kind: str = "draft"):
    """The render of the evaluation's content as it is now, if one was requested."""
    from .models import PdfRender

    return PdfRender.objects.filter(**render_key(evaluation, kind)).first()


def previous_evaluation(evaluation: Evaluation) -> Evaluation | None:
    """Last year's evaluation (_previous_year), if there is one: what 从上一年度复制 copies."""
    return (
        Evaluation.objects.filter(**_previous_year(evaluation))
        .select_related("fiscal_year")
        .first()
    )


def latest_earlier_evaluation(evaluation: Evaluation) -> Evaluation | None:
    """The department's latest 部门整体 evaluation of an earlier year (not only the year
    before: a department may have skipped one), what opening a round carries over."""
    return (
        Evaluation.objects.filter(
            department_id=evaluation.department_id,
            project="",
            fiscal_year__year__lt=evaluation.fiscal_year.year,
        )
        .order_by("-fiscal_year__year")
        .first()
    )


def declaration_of(evaluation: Evaluation):
    """The evaluation's 绩效目标申报 (TargetDeclaration), or None before its first save. The
    caller has scoped the evaluation to the user (evaluation_for_user)."""
    from .models import TargetDeclaration

    return TargetDeclaration.objects.filter(evaluation=evaluation).first()


# ---------------------------------------------------------------------------- the public pages

PUBLIC_KINDS = {"whole": "部门整体支出", "project": "项目支出"}


def published_years() -> list[int]:
    """The years with at least one published report, latest first."""
    from .models import PublishedReport

    return sorted(
        set(PublishedReport.objects.values_list("evaluation__fiscal_year__year", flat=True)),
        reverse=True,
    )


def published_evaluations(
    *, year: int | None = None, query: str = "", kind: str = ""
) -> QuerySet[Evaluation]:
    """The evaluations with a published report (current or superseded), for the public list:
    by year (None: all), a text search over the department's name, short name and code and
    the project's name, and the kind (whole | project | ""). Their reports, newest first, are
    prefetched as `public_reports`."""
    from .models import PublishedReport

    qs = Evaluation.objects.filter(publications__isnull=False)
    if year is not None:
        qs = qs.filter(fiscal_year__year=year)
    if query:
        qs = qs.filter(
            Q(department__name__icontains=query)
            | Q(department__short_name__icontains=query)
            | Q(department__code__icontains=query)
            | Q(project__icontains=query)
        )
    if kind == "whole":
        qs = qs.filter(project="")
    elif kind == "project":
        qs = qs.exclude(project="")
    return (
        qs.distinct()
        .select_related("department__region", "fiscal_year", "rubric")
        .prefetch_related(
            Prefetch(
                "publications",
                queryset=PublishedReport.objects.order_by("-published_at", "-id"),
                to_attr="public_reports",
            )
        )
        .order_by("-fiscal_year__year", "department__code", "project")
    )


def published_report_for(region_code: str, year: int, department_code: str):
    """The current published report of a department's 部门整体 evaluation for a year (the
    stable public address), or None."""
    from .models import PublishedReport

    return (
        PublishedReport.objects.filter(
            evaluation__department__region__code=region_code,
            evaluation__department__code=department_code,
            evaluation__fiscal_year__year=year,
            evaluation__project="",
            superseded_at__isnull=True,
        )
        .order_by("-published_at", "-id")
        .first()
    )


# ---------------------------------------------------------------------------- page cache keys
# What each cached page (evaluations.pagecache) is drawn from, read in one query: the page
# stamps of its rows (evaluations.stamps; the database changes them on every write), the user's
# roles and the navigation bar's data. None: not cached (no role here; the view gives its 404).


def _aggregate(table: str, where: str) -> str:
    """Sum of stamps, count and largest id of a table's rows, as one text read in one pass: any
    write, insert or delete among them changes at least one of the three."""
    return (
        "(SELECT CAST(COALESCE(SUM(page_stamp), 0) AS TEXT) || ':' || CAST(COUNT(*) AS TEXT)"
        f" || ':' || CAST(COALESCE(MAX(id), 0) AS TEXT) FROM {table} WHERE {where})"
    )


def _navigation_columns(vendor: str) -> str:
    """The navigation bar (templates/base.html): whether the user reviews any region, and the
    user's departments with their stamps (names). Params: user, user."""
    rows = (
        "SELECT CAST(d.id AS TEXT) || ':' || CAST(d.page_stamp AS TEXT) AS item "
        "FROM evaluations_department d JOIN evaluations_department_filers f "
        "ON f.department_id = d.id WHERE f.user_id = %s"
    )
    if vendor == "postgresql":
        departments = f"(SELECT string_agg(item, ',' ORDER BY item) FROM ({rows}) nav)"
    else:
        departments = f"(SELECT group_concat(item, ',') FROM ({rows} ORDER BY item) nav)"
    return "EXISTS (SELECT 1 FROM evaluations_region_reviewers WHERE user_id = %s), " + departments


def _key_row(sql: str, params: list) -> tuple | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def page_key_evaluation(user: User, pk: int) -> tuple | None:
    """The review page and the filing steps of evaluation `pk`: its department's evaluations
    (this one and last year's, which the pages compare with), its department, year and
    region, and the user's roles on it."""
    from django.db import connection

    if not user.is_authenticated:
        return None
    sql = (
        "SELECT d.page_stamp, fy.page_stamp, r.page_stamp, "
        + _aggregate("evaluations_evaluation", "department_id = e.department_id")
        + ", EXISTS (SELECT 1 FROM evaluations_department_filers f"
        " WHERE f.department_id = e.department_id AND f.user_id = %s)"
        ", EXISTS (SELECT 1 FROM evaluations_region_reviewers v"
        " WHERE v.region_id = d.region_id AND v.user_id = %s), "
        + _navigation_columns(connection.vendor)
        + " FROM evaluations_evaluation e"
        " JOIN evaluations_department d ON d.id = e.department_id"
        " JOIN evaluations_fiscalyear fy ON fy.id = e.fiscal_year_id"
        " JOIN evaluations_region r ON r.id = d.region_id WHERE e.id = %s"
    )
    row = _key_row(sql, [user.pk, user.pk, user.pk, user.pk, pk])
    if row is None or not (row[4] or row[5] or user.is_superuser):
        return None
    return ("evaluation", pk, *row)


def page_key_dashboard(user: User, region_code: str, year: int) -> tuple | None:
    """The review dashboard of a region's year: the year's evaluations, the region's departments
    and years, the year's bulk jobs, and whether the user reviews the region."""
    return _region_year_key(user, region_code, year, "dashboard", "fiscal_year_id = fy.id")


def page_key_statistics(user: User, region_code: str, year: int) -> tuple | None:
    """统计分析 of a region's year: as the dashboard, with the evaluations of every year of the
    region (scores over the years)."""
    every_year = "fiscal_year_id IN (SELECT id FROM evaluations_fiscalyear WHERE region_id = r.id)"
    return _region_year_key(user, region_code, year, "statistics", every_year)


def _region_year_key(
    user: User, region_code: str, year: int, page: str, evaluations: str
) -> tuple | None:
    from django.db import connection

    if not user.is_authenticated:
        return None
    sql = (
        "SELECT fy.page_stamp, r.page_stamp, "
        + ", ".join(
            (
                _aggregate("evaluations_evaluation", evaluations),
                _aggregate("evaluations_department", "region_id = r.id"),
                _aggregate("evaluations_bulkjob", "fiscal_year_id = fy.id"),
                _aggregate("evaluations_fiscalyear", "region_id = r.id"),
            )
        )
        + ", EXISTS (SELECT 1 FROM evaluations_region_reviewers v"
        " WHERE v.region_id = r.id AND v.user_id = %s), "
        + _navigation_columns(connection.vendor)
        + " FROM evaluations_fiscalyear fy JOIN evaluations_region r ON r.id = fy.region_id"
        " WHERE r.code = %s AND fy.year = %s"
    )
    row = _key_row(sql, [user.pk, user.pk, user.pk, region_code, year])
    if row is None or not (row[6] or user.is_superuser):
        return None
    return (page, region_code, year, *row)


def page_key_home(user: User) -> tuple | None:
    """The filer's home: the evaluations of the user's departments, the years and regions of
    those departments (rounds, 项目支出 rubrics), and the navigation (which also tells whether
    the user has departments or reviews a region: `navigation_of`)."""
    from django.db import connection

    if not user.is_authenticated:
        return None
    mine = "SELECT department_id FROM evaluations_department_filers WHERE user_id = %s"
    regions = f"SELECT region_id FROM evaluations_department WHERE id IN ({mine})"
    sql = (
        "SELECT "
        + ", ".join(
            (
                _aggregate("evaluations_evaluation", f"department_id IN ({mine})"),
                _aggregate("evaluations_fiscalyear", f"region_id IN ({regions})"),
                _aggregate("evaluations_region", f"id IN ({regions})"),
            )
        )
        + ", "
        + _navigation_columns(connection.vendor)
    )
    row = _key_row(sql, [user.pk] * 5)
    return ("home", *row)


def home_is_review(user: User, key: tuple) -> bool:
    """Does the filer's home send this user to the review dashboard (no departments, reviews a
    region: reviewer_regions' rule)? From page_key_home's navigation columns (its last two), a
    query only for an admin."""
    reviews, departments = key[-2], key[-1]
    if departments:
        return False
    return bool(reviews) or (user.is_superuser and reviewer_regions(user).exists())
