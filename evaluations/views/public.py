"""Pages without login: the published PDFs by year and department, served as stored; and the
draft preview PDF for filers and reviewers, rendered by the worker and served from storage
(never rendered in a request: services.renders)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import selectors, services
from ..models import PdfRender, PublishedReport
from ..models.review import report_file_stem
from ..selectors import current_render

render_page = render

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


def _render_state(render: PdfRender | None) -> dict:
    if render is None:
        return {"state": "queued", "state_label": "排队中", "message": "", "ready": False}
    return {
        "state": render.state,
        "state_label": render.get_state_display(),
        "message": render.message,
        "ready": render.state == PdfRender.State.READY,
    }


def _draft(request: HttpRequest, pk: int):
    """The evaluation, and its draft render (requested if there is none yet, or its worker
    died): never rendered here."""
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    render = current_render(evaluation)
    if render is None or (render.state != PdfRender.State.FAILED and _lost(render)):
        render = services.render_request(evaluation, kind=PdfRender.Kind.DRAFT)
    return evaluation, render


def _lost(render: PdfRender) -> bool:
    from ..services.renders import _needs_run

    return _needs_run(render)


@login_required
@require_GET
def draft_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft PDF of the evaluation as it is now: served from storage when the worker has
    rendered it (a preview of an unchanged evaluation costs no rendering), else a page that
    shows the progress and opens the PDF when it is ready."""
    evaluation, render = _draft(request, pk)
    if render.state == PdfRender.State.READY:
        try:
            handle = render.file.open("rb")
        except OSError:
            render = services.render_request(evaluation, kind=PdfRender.Kind.DRAFT)
        else:
            name = f"{report_file_stem(evaluation)}（草稿）.pdf"
            response = FileResponse(handle, content_type="application/pdf")
            response["Content-Disposition"] = (
                f"inline; filename=\"draft.pdf\"; filename*=UTF-8''{quote(name)}"
            )
            response["Cache-Control"] = "private, no-cache"
            response["ETag"] = f'"{render.sha256}"'
            return response
    return render_page(
        request,
        "public/pdf_progress.html",
        {"evaluation": evaluation, "render": render, "status": _render_state(render)},
        status=202 if render.state != PdfRender.State.FAILED else 503,
    )


@login_required
@require_GET
def draft_pdf_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Polled by the progress page (static/js/pdf_progress.js)."""
    _, render = _draft(request, pk)
    data = _render_state(render)
    data["url"] = reverse("filing:draft_pdf", args=[pk])
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def draft_pdf_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """A failed draft render, tried again."""
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    services.render_request(evaluation, kind=PdfRender.Kind.DRAFT, retry=True)
    return redirect("filing:draft_pdf", pk)
