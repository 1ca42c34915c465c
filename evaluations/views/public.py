"""Pages without login: the published PDFs by year and department, served as stored; and the
draft preview PDF for filers and reviewers, rendered by the worker and served from storage
(never rendered in a request: services.renders)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import selectors, services
from ..models import PdfRender, PublishedReport
from ..models.review import report_file_stem
from ..selectors import current_render

render_page = render


@require_GET
def published_list(request: HttpRequest) -> HttpResponse:
    reports = list(
        PublishedReport.objects.select_related(
            "evaluation__department__region", "evaluation__fiscal_year"
        ).order_by(
            "-evaluation__fiscal_year__year",
            "evaluation__department__code",
            "evaluation__project",
            "-published_at",
        )
    )
    years = sorted({r.evaluation.fiscal_year.year for r in reports}, reverse=True)
    try:
        year = int(request.GET.get("year", years[0] if years else 0))
    except ValueError:
        year = years[0] if years else 0
    current, superseded = [], {}
    for r in reports:
        if r.evaluation.fiscal_year.year != year:
            continue
        if r.superseded_at is None:
            current.append(r)
        else:
            superseded.setdefault(r.evaluation_id, []).append(r)
    rows = [(r, superseded.pop(r.evaluation_id, [])) for r in current]
    # Departments whose only versions are superseded (reopened, not yet republished).
    orphans = [versions for versions in superseded.values()]
    return render(
        request,
        "public/list.html",
        {"years": years, "year": year, "rows": rows, "orphans": orphans},
    )


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
