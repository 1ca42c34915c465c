"""Bulk jobs: started by a reviewer for a fiscal year, run as a background task (evaluations/
tasks.py) that records its progress on the BulkJob row, so the page can show it.

Jobs cannot jam: the worker writes the job's heartbeat when it claims it and after every
department (and from a side thread during a long single step); a running job whose heartbeat
is older than JOB_HEARTBEAT_TIMEOUT_SECONDS, or a queued one no worker took within
BULK_JOB_STALE_AFTER_MINUTES, is marked failed (`bulk_jobs_expire`, run whenever jobs are
started or listed) and can be restarted. The finance bureau cancels a job
(`bulk_job_cancel`): the worker sees it at its next step and stops.

Bulk work for a province, memory flat in the number of departments: the score export is
written by openpyxl in write-only mode, one department at a time, into a temporary file that
is streamed to storage; the draft bundle is one task per evaluation (several db_workers share
them, each render stored by services.renders), then one task that streams the stored PDFs
into a zip spooled to disk and on to storage."""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..models import BulkJob, Evaluation, FiscalYear, PdfRender
from ..pdf_key import template_version
from ..selectors import render_key
from ..workflow import Status
from .errors import ServiceError
from .renders import beating

log = logging.getLogger(__name__)

BUSY = "同一批量任务正在进行中，请等待其完成。"


def bulk_jobs_expire() -> int:
    """Mark failed the jobs whose worker is gone: running without a heartbeat for
    JOB_HEARTBEAT_TIMEOUT_SECONDS, or queued (no worker took them) for
    BULK_JOB_STALE_AFTER_MINUTES. A late finish of such a job still records its result.
    Returns how many were marked."""
    from .renders import stale_cutoff

    now = timezone.now()
    queued_cutoff = now - timedelta(minutes=settings.BULK_JOB_STALE_AFTER_MINUTES)
    running = BulkJob.objects.filter(state=BulkJob.State.RUNNING)
    dead = running.filter(heartbeat_at__lt=stale_cutoff()).update(
        state=BulkJob.State.FAILED,
        message="任务超时：后台进程已停止响应（超过 "
        f"{settings.JOB_HEARTBEAT_TIMEOUT_SECONDS} 秒没有心跳），已标记为失败，可重新发起。",
        finished_at=now,
    )
    dead += running.filter(heartbeat_at__isnull=True, created_at__lt=queued_cutoff).update(
        state=BulkJob.State.FAILED,
        message="任务超时未完成（可能因后台进程中断），已视为失败，可重新发起。",
        finished_at=now,
    )
    dead += BulkJob.objects.filter(state=BulkJob.State.QUEUED, created_at__lt=queued_cutoff).update(
        state=BulkJob.State.FAILED,
        message="任务超时：长时间没有后台进程领取（请检查 db_worker 是否在运行），可重新发起。",
        finished_at=now,
    )
    return dead


def bulk_job_start(
    fiscal_year: FiscalYear, actor, kind: str, *, restarted_from: BulkJob | None = None
) -> BulkJob:
    """Create the job and enqueue its task once the transaction commits. One running job per
    kind and year: the fiscal year's row is locked (select_for_update) while the running jobs
    are counted, so two clicks (or two reviewers) at once start one job, on PostgreSQL too."""
    from ..access import require_job

    require_job(actor, fiscal_year, kind)
    with transaction.atomic():
        FiscalYear.objects.select_for_update().filter(pk=fiscal_year.pk).first()
        running = BulkJob.objects.filter(
            fiscal_year=fiscal_year,
            kind=kind,
            state__in=[BulkJob.State.QUEUED, BulkJob.State.RUNNING],
        )
        # One left behind by a crashed worker would block this kind for good: past the limit
        # it is marked failed (a late finish still records its result) and a new one starts.
        bulk_jobs_expire()
        if running.exists():
            raise ServiceError(BUSY)
        try:
            with transaction.atomic():
                job = BulkJob.objects.create(
                    kind=kind,
                    fiscal_year=fiscal_year,
                    created_by=actor,
                    restarted_from=restarted_from,
                )
        except IntegrityError as exc:  # the constraint: another start won the race
            raise ServiceError(BUSY) from exc

        def enqueue() -> None:
            from ..tasks import run_bulk_job

            run_bulk_job.enqueue(job.pk)

        transaction.on_commit(enqueue, robust=True)
    return job


def _job_for(job_id: int, actor) -> BulkJob:
    from ..access import require_job
    from .errors import NotFound

    job = BulkJob.objects.select_related("fiscal_year").filter(pk=job_id).first()
    if job is None:
        raise NotFound("没有找到该任务")
    require_job(actor, job.fiscal_year, job.kind)
    return job


def bulk_job_cancel(job_id: int, actor) -> BulkJob:
    """The finance bureau stops a queued or running job; the worker stops at its next step
    (what it has already done, e.g. publications, stays done)."""
    job = _job_for(job_id, actor)
    name = actor.get_full_name() or actor.get_username()
    cancelled = BulkJob.objects.filter(pk=job.pk, state__in=BulkJob.ACTIVE).update(
        state=BulkJob.State.CANCELLED,
        message=f"已由{name}取消。",
        finished_at=timezone.now(),
    )
    if not cancelled:
        raise ServiceError("该任务已结束，无需取消。")
    job.refresh_from_db()
    return job


def bulk_job_restart(job_id: int, actor) -> BulkJob:
    """A failed or cancelled job started again, as a new job of the same kind and year."""
    job = _job_for(job_id, actor)
    bulk_jobs_expire()
    job.refresh_from_db()
    if job.state not in (BulkJob.State.FAILED, BulkJob.State.CANCELLED):
        raise ServiceError("只有失败或已取消的任务可以重新发起。")
    return bulk_job_start(job.fiscal_year, actor, job.kind, restarted_from=job)


class JobStopped(Exception):
    """The job was cancelled (or marked failed) while it ran: stop quietly."""


def _beat(job: BulkJob) -> None:
    """The heartbeat, and the check that the job is still wanted."""
    alive = BulkJob.objects.filter(pk=job.pk, state=BulkJob.State.RUNNING).update(
        heartbeat_at=timezone.now()
    )
    if not alive:
        raise JobStopped


def _step(job: BulkJob, error: str = "") -> None:
    BulkJob.objects.filter(pk=job.pk).update(done=F("done") + 1, heartbeat_at=timezone.now())
    if error:
        _add_error(job.pk, error)
    _beat(job)


def _add_error(job_id: int, error: str) -> None:
    with transaction.atomic():
        row = BulkJob.objects.select_for_update().get(pk=job_id)
        row.errors = [*row.errors, error][-200:]
        row.save(update_fields=["errors"])


CONTINUES = object()  # a runner's result when its sub-tasks finish the job


def bulk_job_run(job_id: int) -> None:
    """The body of the background task."""
    from .renders import beating

    job = BulkJob.objects.select_related("fiscal_year__region", "created_by").get(pk=job_id)
    # Claimed in one UPDATE: a task delivered twice runs once.
    now = timezone.now()
    claimed = BulkJob.objects.filter(pk=job.pk, state=BulkJob.State.QUEUED).update(
        state=BulkJob.State.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return
    try:
        with beating(BulkJob, job.pk):
            outcome = RUNNERS[job.kind](job)
    except JobStopped:
        return
    except Exception as exc:  # a job must end in a state the page can show
        log.exception("批量任务失败：%s", job.pk)
        BulkJob.objects.filter(pk=job.pk, state=BulkJob.State.RUNNING).update(
            state=BulkJob.State.FAILED,
            message=f"任务失败：{type(exc).__name__}",
            finished_at=timezone.now(),
        )
        raise
    if outcome is CONTINUES:
        return
    message, result = outcome
    _finish(job, message, result)


def _finish(job: BulkJob, message: str, result) -> None:
    """Store the result file (bytes, or an open file the runner spooled to disk: streamed to
    storage, then closed) and mark the job done, unless it was cancelled meanwhile."""
    job.refresh_from_db()
    try:
        if job.state == BulkJob.State.CANCELLED:
            return
        if result is not None:
            name, data = result
            content = ContentFile(data) if isinstance(data, bytes) else File(data)
            job.result.save(name, content, save=False)
    finally:
        if result is not None and not isinstance(result[1], bytes):
            result[1].close()
    BulkJob.objects.filter(pk=job.pk).exclude(state=BulkJob.State.CANCELLED).update(
        state=BulkJob.State.DONE,
        message=message,
        finished_at=timezone.now(),
        result=job.result.name or "",
        heartbeat_at=timezone.now(),
    )


def _evaluations(job: BulkJob, **filters):
    from ..selectors import evaluations_for_scoring

    return list(
        evaluations_for_scoring()
        .filter(fiscal_year=job.fiscal_year, **filters)
        .order_by("department__code")
    )


def _named(evaluation) -> str:
    """The department, and the project of a 项目支出 evaluation (file names stay distinct)."""
    name = evaluation.department.name
    return f"{name}-{evaluation.project}" if evaluation.project else name


def _publish_approved(job: BulkJob):
    from .publishing import evaluation_publish

    # ids only: each publication reads its evaluation itself (memory flat in their number)
    targets = list(
        Evaluation.objects.filter(fiscal_year=job.fiscal_year, status=Status.APPROVED)
        .select_related("department")
        .order_by("department__code", "project")
        .only("pk", "project", "department__name")
    )
    BulkJob.objects.filter(pk=job.pk).update(total=len(targets))
    published = 0
    for evaluation in targets:
        try:
            evaluation_publish(evaluation.pk, job.created_by)
        except ServiceError as exc:
            _step(job, f"{_named(evaluation)}：{exc.message}")
        else:
            published += 1
            _step(job)
    return f"已公开 {published} 份，失败 {len(targets) - published} 份。", None


def _render_drafts(job: BulkJob):
    """One task per evaluation (bulk_job_render_one), so several workers share the work; the
    last one to finish enqueues the bundle (bulk_job_bundle)."""
    from ..tasks import run_bulk_job_item

    pks = list(
        Evaluation.objects.filter(fiscal_year=job.fiscal_year)
        .order_by("department__code", "project")
        .values_list("pk", flat=True)
    )
    BulkJob.objects.filter(pk=job.pk).update(total=len(pks))
    if not pks:
        return "没有需要生成的草稿 PDF。", None
    for pk in pks:
        run_bulk_job_item.enqueue(job.pk, pk)
    return CONTINUES


BUNDLING = "正在打包……"


def bulk_job_render_one(job_id: int, evaluation_id: int) -> None:
    """One evaluation's draft PDF for the bundle: the stored render of its current content if
    there is one (services.renders), else rendered now, in this worker."""
    from ..selectors import current_render
    from ..tasks import run_bulk_job_bundle
    from .renders import render_run

    job = BulkJob.objects.select_related("fiscal_year").get(pk=job_id)
    if job.state != BulkJob.State.RUNNING:
        return
    evaluation = Evaluation.objects.select_related("department").get(pk=evaluation_id)
    error = ""
    render = current_render(evaluation)
    if render is None or render.state != PdfRender.State.READY:
        render, _ = PdfRender.objects.get_or_create(
            **render_key(evaluation, PdfRender.Kind.DRAFT),
            defaults={"version": evaluation.version, "heartbeat_at": timezone.now()},
        )
        if render.state == PdfRender.State.FAILED:
            PdfRender.objects.filter(pk=render.pk).update(state=PdfRender.State.QUEUED)
        render = render_run(render.pk) or PdfRender.objects.filter(pk=render.pk).first()
    if render is None or render.state != PdfRender.State.READY:
        error = f"{_named(evaluation)}：{render.message if render else '内容已更新，请重新生成'}"
    try:
        _step(job, error)
    except JobStopped:
        return
    last = (
        BulkJob.objects.filter(pk=job.pk, state=BulkJob.State.RUNNING, done__gte=F("total"))
        .exclude(message=BUNDLING)
        .update(message=BUNDLING)
    )
    if last:
        run_bulk_job_bundle.enqueue(job.pk)


def bulk_job_bundle(job_id: int) -> None:
    """The zip of the stored drafts, copied from storage one file at a time into a temporary
    file, then streamed to storage: memory flat in the number of departments."""
    job = BulkJob.objects.select_related("fiscal_year__region").get(pk=job_id)
    if job.state != BulkJob.State.RUNNING:
        return
    version = template_version()
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _finish once stored
    count = 0
    with (
        beating(BulkJob, job.pk),
        zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        evaluations = (
            Evaluation.objects.filter(fiscal_year=job.fiscal_year)
            .select_related("department")
            .order_by("department__code", "project")
        )
        for evaluation in evaluations.iterator(chunk_size=200):
            render = PdfRender.objects.filter(
                evaluation=evaluation,
                kind=PdfRender.Kind.DRAFT,
                state=PdfRender.State.READY,
                rubric_id=evaluation.rubric_id,
                template_version=version,
            ).first()
            if render is None:
                continue
            name = f"{evaluation.department.code}-{_named(evaluation)}（草稿）.pdf"
            with render.file.open("rb") as source, archive.open(name, "w") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
            count += 1
    year = job.fiscal_year
    _finish(
        job,
        f"已生成 {count} 份草稿 PDF。",
        (f"{year.region.code}-{year.year}-drafts.zip", _rewound(spool)),
    )


def _rewound(handle):
    handle.seek(0)
    return handle


def _export_scores(job: BulkJob):
    """Every score table of the year in one workbook, written in openpyxl's write-only mode
    into a temporary file, one evaluation scored at a time (never a list of all sheets)."""
    from ..scoring import score_evaluation
    from ..selectors import evaluations_for_scoring
    from ..tabular import score_tables_xlsx_to

    queryset = (
        evaluations_for_scoring().filter(fiscal_year=job.fiscal_year).order_by("department__code")
    )
    BulkJob.objects.filter(pk=job.pk).update(total=queryset.count())

    def sheets():
        for pk in queryset.values_list("pk", flat=True):
            evaluation = evaluations_for_scoring().get(pk=pk)
            yield evaluation, score_evaluation(evaluation)
            _step(job)

    year = job.fiscal_year
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _finish once stored
    try:
        count = score_tables_xlsx_to(spool, f"{year.region.name}{year.year}年度", sheets())
    except BaseException:
        spool.close()
        raise
    return f"已导出 {count} 个部门的自评表。", (
        f"{year.region.code}-{year.year}-scores.xlsx",
        _rewound(spool),
    )


RUNNERS = {
    BulkJob.Kind.PUBLISH_APPROVED: _publish_approved,
    BulkJob.Kind.RENDER_DRAFTS: _render_drafts,
    BulkJob.Kind.EXPORT_SCORES: _export_scores,
}

__all__ = [
    "Evaluation",
    "bulk_job_bundle",
    "bulk_job_cancel",
    "bulk_job_render_one",
    "bulk_job_restart",
    "bulk_job_run",
    "bulk_job_start",
    "bulk_jobs_expire",
]
