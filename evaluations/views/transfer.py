"""The filer's data template: download the .xlsx (收支数据 and 绩效指标, pre-filled) and upload
it filled in. Thin: reads through the access helper, writes through services.transfer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from config.limits import upload_refused

from .. import transfer, xlsx_template
from ..access import Action, evaluation_with_access
from ..services.errors import ServiceError
from ..services.transfer import evaluation_import_template

MAX_LISTED = 30  # problems shown as page messages; the first message gives the count


@login_required
@require_http_methods(["GET", "POST"])
def data_template(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        evaluation, _ = evaluation_with_access(request.user, pk)
        response = HttpResponse(
            xlsx_template.build_template(evaluation), content_type=xlsx_template.CONTENT_TYPE
        )
        name = f"{evaluation.department.code}-{evaluation.fiscal_year.year}-数据模板.xlsx"
        response["Content-Disposition"] = content_disposition_header(True, name)
        response["Cache-Control"] = "private, no-store"
        return response

    # Seen but not editable (a reviewer, a submitted evaluation): a page message, as the steps.
    evaluation, access = evaluation_with_access(request.user, pk, for_scoring=False)
    upload = request.FILES.get("file")
    try:
        access.require(Action.EDIT)
        if upload_refused(request):
            raise ServiceError(upload_refused(request))
        if upload is None:
            raise ServiceError("请选择要上传的 .xlsx 文件。")
        if upload.size > transfer.MAX_BYTES:
            raise ServiceError("文件过大，上限 5 MB。")
        if not upload.name.lower().endswith(".xlsx"):
            raise ServiceError("只能上传 .xlsx 文件（Excel 工作簿），请使用本系统下载的模板。")
        raw, meta, locations = xlsx_template.read_template(upload.read(transfer.MAX_BYTES + 1))
        result = evaluation_import_template(
            evaluation.pk, request.user, raw, meta=meta, locations=locations
        )
    except transfer.TransferError as exc:
        messages.error(request, f"模板有 {len(exc.problems)} 个问题，未导入任何内容：")
        for problem in exc.problems[:MAX_LISTED]:
            messages.error(request, str(problem))
        if len(exc.problems) > MAX_LISTED:
            messages.error(request, f"……另有 {len(exc.problems) - MAX_LISTED} 个问题未列出。")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"已导入数据模板：收支数据和绩效指标已更新（{result.changes} 处改动）。"
        )
    return redirect(reverse("filing:step", args=[evaluation.pk, "figures"]))
