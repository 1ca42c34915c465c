"""佐证材料 pages: upload (several files at once), download through a permission check only,
delete while editable."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from config.limits import upload_refused

from .. import audit, selectors, services, uploads
from ..models import Evidence
from .filing import _safe_next

MAX_FILES_PER_UPLOAD = 20


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    refused = upload_refused(request)
    files = request.FILES.getlist("files")
    code = request.POST.get("indicator", "")[:30]
    if refused:
        messages.error(request, f"{refused}未上传任何文件。")
    elif not files:
        messages.error(request, "请选择要上传的文件。")
    elif len(files) > MAX_FILES_PER_UPLOAD:
        messages.error(request, f"一次最多上传{MAX_FILES_PER_UPLOAD}个文件。")
    else:
        done = 0
        for f in files:
            try:
                services.evidence_upload(
                    evaluation.pk, request.user, indicator_code=code, upload=f, request=request
                )
            except services.ServiceError as exc:
                messages.error(request, exc.message)
            else:
                done += 1
        if done:
            messages.success(request, f"已上传 {done} 个文件。")
    return redirect(_safe_next(request, evaluation.pk))


@login_required
@require_POST
def delete(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    try:
        services.evidence_delete(evaluation.pk, evidence_id, request.user, request=request)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "佐证材料已删除。")
    return redirect(_safe_next(request, evaluation.pk))


@login_required
@require_GET
def download(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    try:
        evidence = evaluation.evidence.get(pk=evidence_id)
    except Evidence.DoesNotExist as exc:
        raise Http404("没有找到该佐证材料") from exc
    # Only PDF and images may open in the browser; the name's extension follows the content
    # (stored that way since issue 15; corrected here for files uploaded before).
    kind = uploads.kind_of(evidence.content_type)
    inline = bool(request.GET.get("inline")) and kind is not None and kind.inline
    filename = uploads.corrected_name(evidence.original_name, kind) if kind else "佐证材料.bin"
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("文件暂不可用") from exc
    audit.record(
        "evidence_download", request=request, evaluation=evaluation.pk, evidence=evidence.pk
    )
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=filename,
        content_type=kind.content_type if kind else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return response
