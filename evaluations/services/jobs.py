"""Bulk jobs: started by a reviewer for a fiscal year, run as a background task (evaluations/
tasks.py) that records its progress on the BulkJob row, so the page can show it."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..models import BulkJob, Evaluation, FiscalYear
from ..workflow import Status
from .errors import ServiceError

BUSY = "同一批量任务正在进行中，请等待其完成。"


def bulk_job_start(fiscal_year: FiscalYear, actor, kind: str) -> BulkJob:
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
        cutoff = timezone.now() - timedelta(minutes=settings.BULK_JOB_STALE_AFTER_MINUTES)
        running.filter(created_at__lt=cutoff).update(
            state=BulkJob.State.FAILED,
            message="任务超时未完成（可能因后台进程中断），已视为失败。",
            finished_at=timezone.now(),
        )
        if running.exists():
            raise ServiceError(BUSY)
        try:
            with transaction.atomic():
                job = BulkJob.objects.create(kind=kind, fiscal_year=fiscal_year, created_by=actor)
        except IntegrityError as exc:  # the constraint: another start won the race
            raise ServiceError(BUSY) from exc

        def enqueue() -> None:
            from ..tasks import run_bulk_job

            run_bulk_job.enqueue(job.pk)

        transaction.on_commit(enqueue)
    return job


def _step(job: BulkJob, error: str = "") -> None:
    BulkJob.objects.filter(pk=job.pk).update(done=F("done") + 1)
    if error:
        job.errors.append(error)
        BulkJob.objects.filter(pk=job.pk).update(errors=job.errors)


def bulk_job_run(job_id: int) -> None:
    """The body of the background task."""
    job = BulkJob.objects.select_related("fiscal_year__region", "created_by").get(pk=job_id)
    # Claimed in one UPDATE: a task delivered twice runs once.
    claimed = BulkJob.objects.filter(pk=job.pk, state=BulkJob.State.QUEUED).update(
        state=BulkJob.State.RUNNING
    )
    if not claimed:
        return
    try:
        message, result = RUNNERS[job.kind](job)
    except Exception as exc:  # a job must end in a state the page can show
        BulkJob.objects.filter(pk=job.pk).update(
            state=BulkJob.State.FAILED,
            message=f"任务失败：{type(exc).__name__}",
            finished_at=timezone.now(),
        )
        raise
    job.refresh_from_db()
    if result is not None:
        name, data = result
        # bytes, or an open file the runner spooled to disk (streamed to storage, then closed)
        content = ContentFile(data) if isinstance(data, bytes) else File(data)
        try:
            job.result.save(name, content, save=False)
        finally:
            if not isinstance(data, bytes):
                data.close()
    job.state = BulkJob.State.DONE
    job.message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "message", "finished_at", "result"])


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

    targets = _evaluations(job, status=Status.APPROVED)
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
    from ..reports import ReportError, render_pdf

    targets = _evaluations(job)
    BulkJob.objects.filter(pk=job.pk).update(total=len(targets))
    # Spooled to a temporary file, one PDF at a time, and streamed to storage by the caller:
    # never every PDF in memory at once.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by bulk_job_run once stored
    rendered = 0
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        for evaluation in targets:
            try:
                pdf = render_pdf(evaluation, draft=True)
            except ReportError as exc:
                _step(job, f"{_named(evaluation)}：{exc.message}")
                continue
            archive.writestr(f"{evaluation.department.code}-{_named(evaluation)}（草稿）.pdf", pdf)
            del pdf
            rendered += 1
            _step(job)
    year = job.fiscal_year
    return (
        f"已生成 {rendered} 份草稿 PDF。",
        (f"{year.region.code}-{year.year}-drafts.zip", _rewound(spool)),
    )


def _rewound(handle):
    handle.seek(0)
    return handle


def _export_scores(job: BulkJob):
    from ..scoring import score_evaluation
    from ..tabular import score_tables_xlsx

    targets = _evaluations(job)
    BulkJob.objects.filter(pk=job.pk).update(total=len(targets))
    sheets = []
    for evaluation in targets:
        sheets.append((evaluation, score_evaluation(evaluation)))
        _step(job)
    year = job.fiscal_year
    data = score_tables_xlsx(f"{year.region.name}{year.year}年度", sheets)
    return f"已导出 {len(sheets)} 个部门的自评表。", (
        f"{year.region.code}-{year.year}-scores.xlsx",
        data,
    )


RUNNERS = {
    BulkJob.Kind.PUBLISH_APPROVED: _publish_approved,
    BulkJob.Kind.RENDER_DRAFTS: _render_drafts,
    BulkJob.Kind.EXPORT_SCORES: _export_scores,
}

__all__ = ["Evaluation", "bulk_job_run", "bulk_job_start"]
