"""The finance bureau's pages: the 审核工作台 (dashboard) per fiscal year with export and the
import of notified figures, the review page with 批注, 复核分, return and approve, and the
history page shared with filers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.limits import upload_refused
from rubric import fmt

from .. import comparison, feedback, pagecache, selectors, services, snapshot, tabular
from ..access import Access, Action, evaluation_with_access, job_kinds_for
from ..forms.fields import PercentField, ScoreField
from ..models import BulkJob, Evaluation, FiscalYear
from ..scoring import header_table, is_row_key
from ..submission import review
from ..workflow import Status

PAGE_SIZE = 50
EXPORT_HEADERS = (
    "单位编码",
    "单位名称",
    "状态",
    "提交时间",
    "计算总分",
    "自评总分",
    "复核总分",
    "最终得分",
    "提示数",
    "未解决批注",
    "是否逾期",
    "项目名称",  # 项目支出 evaluations; blank for 部门整体
)


def _fiscal_year(request: HttpRequest, region_code: str, year: int) -> FiscalYear:
    region = selectors.region_for_user(request.user, region_code)
    try:
        return FiscalYear.objects.select_related("region", "rubric").get(region=region, year=year)
    except FiscalYear.DoesNotExist as exc:
        raise Http404("该区域没有这个年度") from exc


@login_required
def review_home(request: HttpRequest) -> HttpResponse:
    fy = (
        FiscalYear.objects.filter(region__in=selectors.reviewer_regions(request.user))
        .select_related("region")
        .order_by("-year", "region__code")
        .first()
    )
    if fy is None:
        region = selectors.reviewer_regions(request.user).first()
        if region is None:
            raise Http404("你不是任何区域的审核人")
        return redirect("review:round_open", region.code)  # no year yet: open the first round
    return redirect("review:dashboard", fy.region.code, fy.year)


def _overdue(evaluation, today) -> bool:
    deadline = evaluation.fiscal_year.deadline
    extended = getattr(evaluation, "extended_until", None)  # 延期 (dashboard rows)
    if deadline and extended and extended > deadline:
        deadline = extended
    return bool(
        deadline and today > deadline and evaluation.status in (Status.DRAFT, Status.RETURNED)
    )


@login_required
def dashboard(request: HttpRequest, region_code: str, year: int) -> HttpResponse:
    key = selectors.page_key_dashboard(request.user, region_code, year)
    return pagecache.serve(request, key, lambda: _dashboard(request, region_code, year))


def _dashboard(request: HttpRequest, region_code: str, year: int) -> HttpResponse:
    fy = _fiscal_year(request, region_code, year)
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    query = request.GET.get("q", "").strip()[:50]
    sort = request.GET.get("sort", "department")
    evaluations = selectors.dashboard_evaluations(fy, status=status, query=query, sort=sort)
    today = timezone.localdate()
    export = request.GET.get("export")
    if export in ("xlsx", "csv"):
        return _export(fy, evaluations, today, export)
    page = Paginator(evaluations, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.status_counts(fy)
    years = (
        FiscalYear.objects.filter(region=fy.region).order_by("-year").values_list("year", flat=True)
    )
    return render(
        request,
        "review/dashboard.html",
        {
            "fy": fy,
            "page": page,
            "rows": [(e, _overdue(e, today)) for e in page.object_list],
            "counts": [(s, label, counts.get(s, 0)) for s, label in Status.choices],
            "total": sum(counts.values()),
            "status": status,
            "query": query,
            "sort": sort,
            "years": list(years),
            "missing": selectors.departments_without_evaluation(fy).count(),
            "jobs": fy.jobs.all()[:5],
            "job_kinds": job_kinds_for(request.user, fy),
        },
    )


def dashboard_selection(request: HttpRequest, fy: FiscalYear) -> tuple[list[int], dict]:
    """The dashboard's selection: the ticked rows, or (scope=filter) every evaluation matching
    the filter the dashboard showed; always within the fiscal year the user reviews."""
    status = request.POST.get("status", "")
    if status not in Status.values:
        status = ""
    query = request.POST.get("q", "").strip()[:50]
    sort = request.POST.get("sort", "department")
    evaluations = selectors.dashboard_evaluations(fy, status=status, query=query, sort=sort)
    if request.POST.get("scope") == "filter":
        ids = list(evaluations.values_list("pk", flat=True))
    else:
        ids = list(
            dict.fromkeys(
                # ids beyond any key (a bigint overflow on PostgreSQL) are no selection
                int(v)
                for v in request.POST.getlist("ids")[: services.MAX_BULK + 1]
                if v.isascii() and v.isdigit() and len(v) <= 12
            )
        )
    return ids, {"status": status, "q": query, "sort": sort}


@login_required
@require_POST
def bulk(request: HttpRequest, region_code: str, year: int) -> HttpResponse:
    """批量操作 on the dashboard's selection: 退回 / 审核通过 each through the same service as
    one at a time (a summary of what was done and, per refused row, why), or 导出 the
    selection. Engineer I's 催办 is one more action here."""
    fy = _fiscal_year(request, region_code, year)
    ids, filters = dashboard_selection(request, fy)
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    back = reverse("review:dashboard", args=[fy.region.code, fy.year])
    if not ids:
        messages.error(request, "请先勾选要操作的自评。")
        return redirect(back)
    if action == "export":
        selected = selectors.dashboard_evaluations(fy, sort=filters["sort"]).filter(pk__in=ids)
        return _export(fy, selected, timezone.localdate(), "xlsx")
    if action not in services.BULK_ACTIONS:
        messages.error(request, "请选择批量操作：退回、审核通过或导出。")
        return redirect(back)
    context = {
        "fy": fy,
        "ids": ids,
        "action": action,
        "action_label": services.BULK_ACTIONS[action],
        "comment": comment,
        "filters": filters,
    }
    try:
        outcomes = services.evaluations_bulk_transition(fy, ids, request.user, action, comment)
    except services.ServiceError as exc:
        # e.g. a return without its comment: the same selection, asked again, nothing lost
        context["error"] = exc.message
        context["field"] = getattr(exc, "field", "comment")
        return render(request, "review/bulk.html", context, status=400)
    done = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    return render(request, "review/bulk.html", {**context, "done": done, "refused": refused})


@login_required
def statistics_page(request: HttpRequest, region_code: str, year: int) -> HttpResponse:
    """统计分析 of a region's fiscal year: charts and the same numbers as tables; .xlsx. The
    page scores every counted evaluation of the region: cached (evaluations.pagecache)."""
    key = selectors.page_key_statistics(request.user, region_code, year)
    return pagecache.serve(request, key, lambda: _statistics(request, region_code, year))


def _statistics(request: HttpRequest, region_code: str, year: int) -> HttpResponse:
    from ..statistics import statistics, statistics_xlsx

    fy = _fiscal_year(request, region_code, year)
    stats = statistics(fy)
    if request.GET.get("export") == "xlsx":
        response = HttpResponse(statistics_xlsx(stats), content_type=tabular.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = _attachment(
            f"{fy.region.name}{fy.year}年度自评统计分析.xlsx"
        )
        return response
    years = (
        FiscalYear.objects.filter(region=fy.region).order_by("-year").values_list("year", flat=True)
    )
    return render(
        request,
        "review/statistics.html",
        {"fy": fy, "stats": stats, "chart_data": stats.chart_data(), "years": list(years)},
    )


def _export(fy, evaluations, today, fmt: str) -> HttpResponse:
    def value(v):
        return "" if v is None else v

    rows = [
        (
            e.department.code,
            e.department.name,
            e.get_status_display(),
            timezone.localtime(e.submitted_at).strftime("%Y-%m-%d %H:%M") if e.submitted_at else "",
            value(e.computed_total),
            value(e.claimed_total),
            value(e.reviewed_total),
            value(e.final_total),
            e.warning_count,
            e.open_annotations,
            "是" if _overdue(e, today) else "",
            e.project,
        )
        for e in evaluations
    ]
    name = f"{fy.region.name}{fy.year}年度{fy.rubric.spec.evaluation_name}审核情况"
    if fmt == "xlsx":
        body = tabular.xlsx_bytes(f"{fy.year}年度", EXPORT_HEADERS, rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = tabular.csv_bytes(EXPORT_HEADERS, rows)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = _attachment(f"{name}.{fmt}")
    return response


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ext = filename.rsplit(".", 1)[-1]
    return f"attachment; filename=\"download.{ext}\"; filename*=UTF-8''{quote(filename)}"


@login_required
def notified_import(request: HttpRequest, region_code: str, year: int) -> HttpResponse:
    fy = _fiscal_year(request, region_code, year)
    if request.GET.get("template"):
        # the finance bureau's figures are for the 部门整体 evaluations
        evaluations = (
            selectors.dashboard_evaluations(fy)
            .filter(project="")
            .prefetch_related("figures", "bonus_events")
        )
        rows = []
        for e in evaluations:
            key = getattr(fy.rubric.spec.notified_input, "key", None)
            rate = next((f.value for f in e.figures.all() if f.key == key), None)
            bonus = "；".join(b.description for b in e.bonus_events.all() if b.kind == "bonus")
            penalty = "；".join(b.description for b in e.bonus_events.all() if b.kind == "penalty")
            rows.append((e.department.code, e.department.name, rate, bonus, penalty))
        response = HttpResponse(
            tabular.xlsx_bytes("财政局通报数据", tabular.IMPORT_HEADERS, rows),
            content_type=tabular.XLSX_CONTENT_TYPE,
        )
        response["Content-Disposition"] = _attachment(
            f"{fy.region.name}{fy.year}年度财政局通报数据.xlsx"
        )
        return response
    error = ""
    outcomes = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload_refused(request):
            error = upload_refused(request)
        elif upload is None:
            error = "请选择要导入的 .xlsx 文件"
        else:
            try:
                codes = set(fy.evaluations.values_list("department__code", flat=True))
                rate = fy.rubric.spec.notified_input
                rows = tabular.parse_notified(
                    upload.read(tabular.MAX_IMPORT_BYTES + 1), codes, rate.key if rate else None
                )
                outcomes = services.notified_import(fy, request.user, rows)
            except tabular.ImportError_ as exc:
                error = str(exc)
            except services.ServiceError as exc:
                error = exc.message
    counts = {}
    for outcome in outcomes or ():
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return render(
        request,
        "review/import.html",
        {"fy": fy, "error": error, "outcomes": outcomes, "counts": counts},
        status=400 if error else 200,
    )


# ---------------------------------------------------------------------------- the review page


def _review_page(request: HttpRequest, pk: int) -> tuple[Evaluation, Access]:
    """The evaluation and the user's access to it (evaluations.access); 404 unless the user
    is one of its region's reviewers or an admin."""
    return evaluation_with_access(request.user, pk, need=Action.REVIEW_PAGE)


@login_required
def evaluation_review(request: HttpRequest, pk: int) -> HttpResponse:
    def draw() -> HttpResponse:
        evaluation, access = _review_page(request, pk)
        return _render_review(request, evaluation, access)

    return pagecache.serve(request, selectors.page_key_evaluation(request.user, pk), draw)


def _render_review(
    request: HttpRequest,
    evaluation: Evaluation,
    access: Access,
    *,
    reviewed_error: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    """The review page; `reviewed_error` is a refused 复核分 (code, score and reason as typed,
    the field at fault and its message), shown in its row's open form next to the field."""
    result = review(evaluation)
    snapshots = list(evaluation.snapshots.all()[:2])
    changes = snapshot.diff(snapshots[1].data, snapshots[0].data) if len(snapshots) == 2 else None
    reviewed = {r.code: r for r in evaluation.reviewed_scores.all()}
    annotations = selectors.annotations_of(evaluation)
    events = list(evaluation.bonus_events.all())
    return render(
        request,
        "review/evaluation.html",
        {
            "evaluation": evaluation,
            "review": result,
            "sheet": result.sheet,
            "header": header_table(result.sheet),
            # last year's score per indicator and the change in the headline figures: computed
            # here for each request (depends on last year's evaluation too, not only this one)
            "previous": comparison.previous_year(evaluation, result.sheet),
            "figures": [
                (f, fmt.input_value(f, result.sheet.values.get(f.key)))
                for f in result.sheet.rubric.inputs
            ],
            "sections": _sections(evaluation),
            "annotations": annotations,
            "reviewed": reviewed,
            # judgements whose row the filer has deleted (所属指标已删除), and 复核分 that need
            # a new decision: the reviewer's to resolve
            "orphan_annotations": feedback.orphaned_annotations(result.sheet, annotations),
            "orphan_reviewed": feedback.orphaned_reviewed(evaluation, result.sheet),
            "changes": changes,
            "bonus_text": "\n".join(e.description for e in events if e.kind == "bonus"),
            "penalty_text": "\n".join(e.description for e in events if e.kind == "penalty"),
            # the finance bureau's figures the rubric declares: its notified rate, 加减分 events
            "notified_input": result.sheet.rubric.notified_input,
            "notified_value": result.sheet.values.get(
                getattr(result.sheet.rubric.notified_input, "key", "")
            ),
            "per_event": result.sheet.rubric.bonus_penalty_per_event,
            # What the page offers is what the services allow: one policy (evaluations.access).
            "access": access,
            "declaration": selectors.declaration_of(evaluation),
            "can_annotate": access.can(Action.ANNOTATE),
            "can_reply": access.can(Action.REPLY),
            "events": evaluation.events.select_related("actor"),
            "publication": selectors.publication_render(evaluation),
            "reviewed_error": reviewed_error,
        },
        status=status,
    )


def _sections(evaluation):

    texts = {s.key: s.text for s in evaluation.sections.all()}
    return [
        (section, texts.get(section.key, "")) for section in evaluation.rubric.spec.report.sections
    ]


def _back(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("review:evaluation", args=[pk]) + (f"#{anchor}" if anchor else ""))


def _run(request: HttpRequest, action, success: str) -> bool:
    try:
        action()
    except services.ServiceError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


@login_required
@require_POST
def set_reviewed(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation, access = _review_page(request, pk)
    code = request.POST.get("code", "")
    typed = {
        "code": code,
        "score": request.POST.get("score", ""),
        "reason": request.POST.get("reason", ""),
    }

    def refused(field: str, message: str) -> HttpResponse:
        # The page again with what was typed, the form open and the message next to its field:
        # a redirect would lose the typed score and put the message off-screen.
        messages.error(request, message)
        error = {**typed, "field": field, "message": message}
        return _render_review(request, evaluation, access, reviewed_error=error, status=400)

    try:
        score = ScoreField(minimum=-100, maximum=100).clean(typed["score"])
    except ValidationError as exc:
        return refused("score", "复核分：" + "；".join(exc.messages))
    what = "该指标行" if is_row_key(code) else f"指标 {code} "
    try:
        services.evaluation_set_reviewed(
            evaluation.pk, request.user, code=code, score=score, reason=typed["reason"]
        )
    except services.FieldInvalid as exc:
        return refused(exc.field, exc.message)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{what}的复核分已{'清除' if score is None else '保存'}。")
    return _back(pk, "line-" + feedback.anchor_of(code))


@login_required
@require_POST
def annotate(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation, _ = _review_page(request, pk)
    target = request.POST.get("target", "general")
    _run(
        request,
        lambda: services.annotation_add(
            evaluation.pk,
            request.user,
            target=target,
            label=request.POST.get("label", ""),
            text=request.POST.get("text", ""),
        ),
        "批注已添加。",
    )
    return _back(pk, "note-" + target.replace(":", "-").replace(".", "-"))


@login_required
@require_POST
def transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    evaluation, _ = _review_page(request, pk)
    comment = request.POST.get("comment", "")
    if action == "return":
        done = _run(
            request,
            lambda: services.evaluation_return(evaluation.pk, request.user, comment),
            "已退回，填报人将收到通知。",
        )
    elif action == "approve":
        done = _run(
            request,
            lambda: services.evaluation_approve(evaluation.pk, request.user, comment),
            "已审核通过。",
        )
    elif action == "reopen":
        done = _run(
            request,
            lambda: services.evaluation_reopen(evaluation.pk, request.user, comment),
            "已重新打开，状态为已退回。",
        )
    else:
        raise Http404
    if done and action in ("return", "approve"):
        return redirect(
            "review:dashboard", evaluation.department.region.code, evaluation.fiscal_year.year
        )
    return _back(pk)


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation, _ = _review_page(request, pk)
    _run(
        request,
        lambda: services.evaluation_publish_request(evaluation.pk, request.user),
        "已申请公开：正在后台生成正式 PDF，生成并存档后自动公开。",
    )
    return _back(pk, "publication")


@login_required
def publish_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled by the review page while the publication's PDF is being rendered."""
    from django.http import JsonResponse

    evaluation, _ = _review_page(request, pk)
    render = selectors.publication_render(evaluation)
    response = JsonResponse(
        {
            "published": evaluation.status == Status.PUBLISHED,
            "state": render.state if render else "",
            "state_label": render.get_state_display() if render else "",
            "message": render.message if render else "",
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def notified(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation, _ = _review_page(request, pk)
    notified = evaluation.rubric.spec.notified_input
    try:
        rate = PercentField().clean(request.POST.get("rate", ""))
    except ValidationError as exc:
        messages.error(request, "执行率：" + "；".join(exc.messages))
        return _back(pk, "notified")

    def lines(name: str, kind: str):
        text = request.POST.get(name, "")
        return [
            services.EventInput(kind, line.strip()) for line in text.splitlines() if line.strip()
        ]

    events = lines("bonus", "bonus") + lines("penalty", "penalty")
    _run(
        request,
        lambda: services.evaluation_set_notified(
            evaluation.pk,
            request.user,
            values={notified.key: rate} if notified is not None else {},
            events=events if evaluation.rubric.spec.bonus_penalty_per_event is not None else None,
        ),
        "财政局通报数据已保存，得分已重新计算。",
    )
    return _back(pk, "notified")


@login_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation, access = evaluation_with_access(request.user, pk, for_scoring=False)
    changes = Paginator(evaluation.field_changes.select_related("actor"), 100).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "review/history.html",
        {
            "evaluation": evaluation,
            "events": evaluation.events.select_related("actor"),
            "changes": changes,
            "access": access,
        },
    )


# ---------------------------------------------------------------------------- bulk jobs


def _job(request: HttpRequest, pk: int):

    try:
        return BulkJob.objects.select_related("fiscal_year__region").get(
            pk=pk, fiscal_year__region__in=selectors.reviewer_regions(request.user)
        )
    except BulkJob.DoesNotExist as exc:
        raise Http404("没有找到该任务") from exc


@login_required
@require_POST
def job_start(request: HttpRequest, region_code: str, year: int, kind: str) -> HttpResponse:
    fy = _fiscal_year(request, region_code, year)
    try:
        job = services.bulk_job_start(fy, request.user, kind)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("review:dashboard", fy.region.code, fy.year)
    return redirect("review:job", job.pk)


@login_required
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    services.bulk_jobs_expire()
    job = _job(request, pk)
    return render(request, "review/job.html", {"job": job, "fy": job.fiscal_year})


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    """Every bulk job of the reviewer's regions, with cancel and restart."""
    if not selectors.reviewer_regions(request.user).exists():
        raise Http404("没有可查看的批量任务")
    services.bulk_jobs_expire()
    jobs = Paginator(selectors.jobs_for_user(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "review/jobs.html", {"jobs": jobs})


def _back_to_job(request: HttpRequest, job_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target == "list":
        return redirect("review:jobs")
    return redirect("review:job", job_id)


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    _run(request, lambda: services.bulk_job_cancel(job.pk, request.user), "任务已取消。")
    return _back_to_job(request, job.pk)


@login_required
@require_POST
def job_restart(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        new = services.bulk_job_restart(job.pk, request.user)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
        return _back_to_job(request, job.pk)
    messages.success(request, "已重新发起任务。")
    return redirect("review:job", new.pk)


@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    from django.http import JsonResponse

    job = _job(request, pk)
    return JsonResponse(
        {
            "state": job.state,
            "state_label": job.get_state_display(),
            "heartbeat": timezone.localtime(job.heartbeat_at).strftime("%H:%M:%S")
            if job.heartbeat_at
            else "",
            "total": job.total,
            "done": job.done,
            "percent": job.percent,
            "message": job.message,
            "errors": job.errors[-20:],
            "result": reverse("review:job_result", args=[job.pk]) if job.result else "",
        }
    )


@login_required
def job_result(request: HttpRequest, pk: int) -> HttpResponse:
    from django.http import FileResponse

    job = _job(request, pk)
    if not job.result:
        raise Http404("该任务没有结果文件")
    fy = job.fiscal_year
    ext = job.result.name.rsplit(".", 1)[-1]
    name = f"{fy.region.name}{fy.year}年度-{job.get_kind_display()}.{ext}"
    return FileResponse(job.result.open("rb"), as_attachment=True, filename=name)
