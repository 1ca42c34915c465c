"""佐证材料 pages: the evaluation's library — upload (several files at once), attach a file to an
indicator, detach it, delete it while editable — and download through a permission check.

The filing page's script (static/js/evidence.js) posts with Accept: application/json and gets
JSON back (the messages and the indicator's evidence box rendered again), so nothing on the
page is reloaded; without the script each action redirects back with a page message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from config.limits import upload_refused

from .. import audit, selectors, services, uploads
from ..access import Action, evaluation_with_access
from ..models import Evidence
from .filing import _safe_next

MAX_FILES_PER_UPLOAD = 20


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _box(request: HttpRequest, evaluation_pk: int, code: str) -> str:
    """The evidence box of one indicator (or, code "", of the library), as on the page."""
    evaluation, access = evaluation_with_access(request.user, evaluation_pk)
    evidence = selectors.evidence_of(evaluation)
    leaf = next((x for x in evaluation.rubric.spec.leaves() if x.code == code), None)
    return render_to_string(
        "filing/_evidence.html",
        {
            "evaluation": evaluation,
            "code": code,
            "items": evidence.get(code, []),
            "library": evidence[""],
            "required": bool(leaf and leaf.evidence_required),
            "editable": access.can(Action.EDIT),
        },
        request=request,
    )


def _answer(request: HttpRequest, pk: int, code: str, done: list[str], failed: list[str]):
    """JSON for the page's script (with the indicator's box again), else a redirect back with
    the messages."""
    if _wants_json(request):
        return JsonResponse(
            {"ok": not failed, "done": done, "errors": failed, "html": _box(request, pk, code)},
            status=200 if done or not failed else 400,
        )
    for message in done:
        messages.success(request, message)
    for message in failed:
        messages.error(request, message)
    return redirect(_safe_next(request, pk))


def _code(request: HttpRequest) -> str:
    return request.POST.get("indicator", "")[:30]


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    refused = upload_refused(request)
    files = request.FILES.getlist("files")
    code = _code(request)
    done: list[str] = []
    failed: list[str] = []
    if refused:
        failed.append(f"{refused}未上传任何文件。")
    elif not files:
        failed.append("请选择要上传的文件。")
    elif len(files) > MAX_FILES_PER_UPLOAD:
        failed.append(f"一次最多上传{MAX_FILES_PER_UPLOAD}个文件。")
    else:
        new = 0
        for f in files:
            try:
                result = services.evidence_store(
                    evaluation.pk, request.user, indicator_code=code, upload=f, request=request
                )
            except services.ServiceError as exc:
                failed.append(exc.message)
                continue
            if result.reused:
                where = f"并关联到指标 {code}" if code else ""
                done.append(
                    f"“{result.name[:60]}”与材料库中的“{result.evidence.original_name}”内容相同，"
                    f"未重复保存，已改用库中的文件{where}。"
                )
            else:
                new += 1
        if new:
            done.insert(0, f"已上传 {new} 个文件{f'并关联到指标 {code}' if code else ''}。")
    return _answer(request, evaluation.pk, code, done, failed)


@login_required
@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    """关联: a file of the library to an indicator. The button sends the indicator's code, the
    page's one select per indicator (evidence-<code>) the file."""
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    code = _code(request)
    chosen = request.POST.get(f"evidence-{code}", "") or request.POST.get("evidence", "")
    if not chosen:
        return _answer(request, evaluation.pk, code, [], ["请先在材料库中选择一个文件。"])
    try:
        evidence = services.evidence_attach(
            evaluation.pk, chosen, request.user, indicator_code=code, request=request
        )
    except services.ServiceError as exc:
        return _answer(request, evaluation.pk, code, [], [exc.message])
    return _answer(
        request, evaluation.pk, code, [f"已将“{evidence.original_name}”关联到指标 {code}。"], []
    )


@login_required
@require_POST
def detach(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    """移除: the file stays in the library."""
    evaluation = selectors.evaluation_for_user(request.user, pk, for_scoring=False)
    code = _code(request)
    try:
        evidence = services.evidence_detach(
            evaluation.pk, evidence_id, request.user, indicator_code=code, request=request
        )
    except services.ServiceError as exc:
        return _answer(request, evaluation.pk, code, [], [exc.message])
    message = f"已从指标 {code} 移除“{evidence.original_name}”（文件仍在材料库中）。"
    return _answer(request, evaluation.pk, code, [message], [])


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
