"""Pages without login: the published PDFs by year and department, served as stored; and the
draft preview PDF for filers and reviewers."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from .. import selectors
from ..models import PublishedReport
from ..models.review import report_file_stem
from ..reports import ReportError, render_pdf

PUBLIC_PAGE_SIZE = 20


@require_GET
def published_list(request: HttpRequest) -> HttpResponse:
    """The published reports: by year (default the latest; 全部年度 too), a search over the
    department (and project) names, and the kind (部门整体 / 项目支出), paginated."""
    years = selectors.published_years()
    raw_year = request.GET.get("year", "")
    if raw_year == "all":
        year = None
    else:
        try:
            year = int(raw_year)
        except ValueError:
            year = years[0] if years else 0
    query = " ".join(request.GET.get("q", "").split())[:50]
    kind = request.GET.get("kind", "")
    if kind not in selectors.PUBLIC_KINDS:
        kind = ""
    evaluations = selectors.published_evaluations(year=year, query=query, kind=kind)
    page = Paginator(evaluations, PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for e in page.object_list:
        current = next((r for r in e.public_reports if r.superseded_at is None), None)
        older = [r for r in e.public_reports if r.superseded_at is not None]
        rows.append((e, current, older))
    params = {"year": "all" if year is None else year, "q": query, "kind": kind}
    return render(
        request,
        "public/list.html",
        {
            "years": years,
            "year": year,
            "query": query,
            "kind": kind,
            "kinds": selectors.PUBLIC_KINDS,
            "page": page,
            "rows": rows,
            "filters": urlencode({k: v for k, v in params.items() if v not in ("", None)}),
            "filtered": bool(query or kind),
        },
    )


@require_GET
def department_report(request: HttpRequest, region_code: str, year: int, department_code: str):
    """The stable address of a department's published 部门整体 report for a year
    (/public/<region>/<year>/<department>/): redirects to the current published file, which
    changes only when a reopened evaluation is published again."""
    report = selectors.published_report_for(region_code, year, department_code)
    if report is None:
        raise Http404("该部门该年度尚无已公开的报告")
    return redirect("public:download", report.pk)


@require_GET
def published_download(request: HttpRequest, pk: int) -> FileResponse:
    report = get_object_or_404(
        PublishedReport.objects.select_related("evaluation__department", "evaluation__fiscal_year"),
        pk=pk,
    )
    try:
        handle = report.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("文件暂不可用") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=report.download_name, content_type="application/pdf"
    )
    response["X-Content-SHA256"] = report.sha256
    response["Cache-Control"] = "public, max-age=86400, immutable"
    return response


@login_required
@require_GET
def draft_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk)
    try:
        pdf = render_pdf(evaluation, draft=True)
    except ReportError as exc:
        return render(request, "public/pdf_error.html", {"message": exc.message}, status=503)
    name = f"{report_file_stem(evaluation)}（草稿）.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    from urllib.parse import quote

    response["Content-Disposition"] = (
        f"inline; filename=\"draft.pdf\"; filename*=UTF-8''{quote(name)}"
    )
    response["Cache-Control"] = "no-store"
    return response
