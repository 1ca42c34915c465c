"""Pages without login: the published PDFs by year and department, served as stored; and the
draft preview PDF for filers and reviewers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .. import selectors
from ..models import PublishedReport
from ..models.review import report_file_stem
from ..reports import ReportError, render_pdf


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
