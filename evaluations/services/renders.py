"""PDFs rendered in the worker, never in a web request.

A render is one PdfRender row per (evaluation, kind, content revision, rubric version,
template version). `render_request` creates or revives it and enqueues the task after the
transaction commits; `render_run` (the task's body) claims it in one UPDATE, renders within
the budget (size of the document, time), stores the file and marks it ready. A draft preview
of an unchanged evaluation is then served from storage; a final render publishes the
evaluation (services.publishing) once its file is stored.

Budget: a document whose HTML exceeds PDF_MAX_HTML_CHARS is refused before WeasyPrint sees
it; a render that takes longer than PDF_RENDER_TIMEOUT_SECONDS is aborted where the worker
runs tasks in its main thread (db_worker), by SIGALRM. A worker that dies is noticed by its
heartbeat: a running render whose heartbeat is older than JOB_HEARTBEAT_TIMEOUT_SECONDS is
queued again by the next request for it (at most PDF_RENDER_MAX_ATTEMPTS times).
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from ..models import Evaluation, PdfRender
from ..pdf_key import template_version
from ..selectors import render_key
from ..workflow import Status
from .errors import ServiceError

log = logging.getLogger(__name__)

RENDER_DIR = "renders"


class RenderTimeout(BaseException):
    """Raised by the alarm inside WeasyPrint; a BaseException so that render_pdf's own
    `except Exception` does not turn it into a generic failure."""


# ---------------------------------------------------------------------------- heartbeat


@contextmanager
def beating(model: type[Model], pk: int) -> Iterator[None]:
    """While the body runs, a side thread writes `heartbeat_at` of the row every
    JOB_HEARTBEAT_SECONDS: a single long step (one WeasyPrint call) still shows its worker
    alive. The thread has its own database connection and closes it."""
    stop = threading.Event()
    interval = settings.JOB_HEARTBEAT_SECONDS

    def beat() -> None:
        try:
            while not stop.wait(interval):
                model.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
        except Exception:  # a missed beat is not worth failing the work for
            log.warning("心跳写入失败：%s %s", model.__name__, pk, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def stale_cutoff():
    return timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_SECONDS)


# ---------------------------------------------------------------------------- budget


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:  # a thread (the development backend) cannot take a signal: heartbeat only
        yield
        return

    def alarm(signum, frame):
        raise RenderTimeout

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def render_budgeted(evaluation: Evaluation, *, draft: bool) -> bytes:
    """render_pdf within the budget; raises reports.ReportError with a message for the user.
    Called only by the worker (render_run, the bulk jobs, publication)."""
    from .. import reports

    limit = settings.PDF_MAX_HTML_CHARS
    size = len(reports.render_html(evaluation, draft=draft))
    if size > limit:
        raise reports.ReportError(
            f"报告内容过长（约 {size // 10000} 万字符），超出 PDF 生成上限"
            f"（{limit // 10000} 万字符），请精简报告文字后重试。"
        )
    seconds = settings.PDF_RENDER_TIMEOUT_SECONDS
    try:
        with _time_limit(seconds):
            return reports.render_pdf(evaluation, draft=draft)
    except RenderTimeout as exc:
        log.error("PDF 生成超时：evaluation %s", evaluation.pk)
        raise reports.ReportError(
            f"PDF 生成超时（超过 {seconds} 秒），请精简报告内容后重试或联系管理员。"
        ) from exc


# ---------------------------------------------------------------------------- requests


def _needs_run(render: PdfRender, *, retry: bool = False) -> bool:
    """Whether the render must be (re)queued: failed (only on an explicit retry: a document
    that cannot be rendered is not rendered again at every poll), its file gone, or queued or
    running with no sign of life for the heartbeat timeout (its worker died)."""
    if render.state == PdfRender.State.FAILED:
        return retry
    if render.state == PdfRender.State.READY:
        return not render.file or not render.file.storage.exists(render.file.name)
    # queued or running: lost if nothing has touched it for the heartbeat timeout
    touched = render.heartbeat_at or render.created_at
    return touched < stale_cutoff()


def render_request(
    evaluation: Evaluation, *, kind: str, publish_by=None, retry: bool = False
) -> PdfRender:
    """The render of the evaluation's current content: created, or revived when it failed,
    its worker died or its file is gone, and then enqueued after commit. Idempotent: a second
    request (a second tab, the polling page) for a render in progress enqueues nothing."""
    with transaction.atomic():
        render, created = PdfRender.objects.get_or_create(
            **render_key(evaluation, kind),
            defaults={
                "version": evaluation.version,
                "publish_by": publish_by,
                "heartbeat_at": timezone.now(),
            },
        )
        if not created:
            render = PdfRender.objects.select_for_update().get(pk=render.pk)
        run = created or _needs_run(render, retry=retry)
        if (
            kind == PdfRender.Kind.FINAL
            and render.state == PdfRender.State.READY
            and evaluation.status == Status.APPROVED
        ):
            run = True  # published before, reopened and approved again: publish anew
        if not created and run:
            if render.attempts >= settings.PDF_RENDER_MAX_ATTEMPTS and render.active and not retry:
                render.state = PdfRender.State.FAILED
                render.message = "PDF 生成多次中断，请稍后重试或联系管理员。"
                render.attempts = 0  # the next explicit retry starts afresh
                render.save(update_fields=["state", "message", "attempts"])
                return render
            render.state = PdfRender.State.QUEUED
            render.message = ""
            render.heartbeat_at = timezone.now()
            if retry:
                render.attempts = 0
            if publish_by is not None:
                render.publish_by = publish_by
            render.save(
                update_fields=["state", "message", "heartbeat_at", "publish_by", "attempts"]
            )
        elif publish_by is not None and render.publish_by_id is None:
            render.publish_by = publish_by
            render.save(update_fields=["publish_by"])
        if run:
            transaction.on_commit(lambda: _enqueue(render.pk), robust=True)
    return render


def _enqueue(render_id: int, *, delay: int = 0) -> None:
    from ..tasks import run_pdf_render

    task = run_pdf_render
    if delay and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay))
    task.enqueue(render_id)


def draft_render_after_save(evaluation_id: int) -> None:
    """After a filer's save (on commit): the draft PDF of the new content, debounced: deferred
    by PDF_RENDER_DEBOUNCE_SECONDS where the backend can defer, and skipped by the worker if a
    newer save has come since (render_run)."""
    if not settings.PDF_RENDER_ON_SAVE:
        return
    evaluation = Evaluation.objects.filter(pk=evaluation_id).first()
    if evaluation is None:
        return
    render, created = PdfRender.objects.get_or_create(
        **render_key(evaluation, PdfRender.Kind.DRAFT),
        defaults={"version": evaluation.version, "heartbeat_at": timezone.now()},
    )
    if created:
        _enqueue(render.pk, delay=settings.PDF_RENDER_DEBOUNCE_SECONDS)


# ---------------------------------------------------------------------------- the worker


def render_run(render_id: int) -> PdfRender | None:
    """The body of the task: claim, render, store. Returns the row, or None if there was
    nothing to do (already claimed by another delivery, or outdated by a newer save)."""
    from ..reports import ReportError
    from ..selectors import evaluations_for_scoring

    now = timezone.now()
    claimed = PdfRender.objects.filter(pk=render_id, state=PdfRender.State.QUEUED).update(
        state=PdfRender.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    render = PdfRender.objects.select_related("publish_by").get(pk=render_id)
    evaluation = evaluations_for_scoring().get(pk=render.evaluation_id)
    if render.kind == PdfRender.Kind.FINAL:
        return _run_publication(render)
    if (
        evaluation.revision != render.revision
        or evaluation.rubric_id != render.rubric_id
        or render.template_version != template_version()
    ):
        # debounced: a newer save has come (or a new rubric or template); its own render
        # takes over
        PdfRender.objects.filter(pk=render.pk).delete()
        return None
    try:
        with beating(PdfRender, render.pk):
            pdf = render_budgeted(evaluation, draft=True)
    except ReportError as exc:
        return _failed(render, exc.message)
    digest = hashlib.sha256(pdf).hexdigest()
    storage = render.file.storage
    name = f"{RENDER_DIR}/{evaluation.fiscal_year.year}/{digest}.pdf"
    try:
        if not storage.exists(name):
            name = storage.save(name, ContentFile(pdf))
    except OSError:
        log.warning("草稿 PDF 存储失败：评价 %s", evaluation.pk, exc_info=True)
        return _failed(render, STORAGE_FAILED)
    size = len(pdf)
    del pdf
    PdfRender.objects.filter(pk=render.pk).update(
        state=PdfRender.State.READY,
        file=name,
        sha256=digest,
        size=size,
        message="",
        finished_at=timezone.now(),
    )
    _drop_older_drafts(render)
    render.refresh_from_db()
    return render


STORAGE_FAILED = "文件存储暂时不可用，PDF 未能保存，请稍后重试。"


def _failed(render: PdfRender, message: str) -> PdfRender:
    PdfRender.objects.filter(pk=render.pk).update(
        state=PdfRender.State.FAILED, message=message[:300], finished_at=timezone.now()
    )
    render.refresh_from_db()
    return render


def _run_publication(render: PdfRender) -> PdfRender:
    from .publishing import evaluation_publish

    if render.publish_by is None:
        return _failed(render, "公开未完成：申请公开的用户已不存在，请重新公开。")
    try:
        with beating(PdfRender, render.pk):
            report = evaluation_publish(
                render.evaluation_id, render.publish_by, revision=render.revision
            )
    except ServiceError as exc:
        return _failed(render, exc.message)
    except OSError:  # the storage refused the file: nothing was published (its transaction)
        log.warning("公开 PDF 存储失败：评价 %s", render.evaluation_id, exc_info=True)
        return _failed(render, STORAGE_FAILED)
    PdfRender.objects.filter(pk=render.pk).update(
        state=PdfRender.State.READY,
        file=report.file.name,
        sha256=report.sha256,
        size=report.size,
        message="",
        finished_at=timezone.now(),
    )
    render.refresh_from_db()
    return render


def _drop_older_drafts(render: PdfRender) -> None:
    """Storage stays flat: once a draft is ready, the evaluation's older drafts go, and their
    files unless another row still refers to the same bytes."""
    older = PdfRender.objects.filter(
        evaluation_id=render.evaluation_id,
        kind=PdfRender.Kind.DRAFT,
        state__in=[PdfRender.State.READY, PdfRender.State.FAILED],
    ).exclude(pk=render.pk)
    storage = render.file.storage
    for old in list(older):
        name = old.file.name
        old.delete()
        if name and not PdfRender.objects.filter(file=name).exists():
            try:
                storage.delete(name)
            except OSError:
                log.warning("旧草稿 PDF 删除失败：%s", name, exc_info=True)
