"""Publication: the reviewer publishes an approved evaluation. The PDF is rendered once, stored
with its SHA-256 and never rendered again; if rendering fails, nothing changes and the
evaluation stays approved.

Never in a web request: the review page calls `evaluation_publish_request`, which checks the
permission and queues a final render (models.PdfRender, a short transaction, no rendering);
the worker's task (services.renders.render_run) calls `evaluation_publish`, below. Until the
file is stored and the transition committed the evaluation stays 审核通过, shown as
「正在生成公开 PDF」; a failed render is shown on the page with its reason and can be retried.
There is no half-published state: the published status, its PublishedReport row and the
stored file appear in one transaction, after the file exists.

Order, so that neither a failure nor a crash leaves a half publication:
1. permission and state checked (the access policy), without a lock;
2. the PDF rendered outside any lock or transaction (WeasyPrint takes seconds);
3. the file stored under a content-addressed name (same bytes, same name: storing is
   idempotent, and a retry after a crash reuses the file), before any row refers to it. The
   name is `published/<year>/<sha256>.pdf`: nothing of variable length (a department code
   may have 50 characters) goes into it, so it always fits the column (FileField's
   max_length, 100; PostgreSQL refuses a longer value where SQLite silently stores it);
4. one transaction: lock, re-check (policy and the version the PDF was rendered from), the
   PublishedReport row and the transition. If it fails, the file stored in 3 is deleted.
So a published row always has its file, and a failed publication leaves no file behind; a
process killed between 3 and 4 leaves one, which a retry reuses and delete_orphaned_files
removes.
(Callers — the view, the bulk job — run it in autocommit: a caller's own transaction that
rolled back afterwards would leave the stored file without its row; a retry reuses it.)
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .. import access
from ..models import Evaluation, PdfRender, PublishedReport
from .errors import ServiceError
from .transitions import _transition

UPLOAD_DIR = "published"
ORPHAN_GRACE = timedelta(hours=1)


def _stored_name(evaluation: Evaluation, digest: str) -> str:
    name = f"{UPLOAD_DIR}/{evaluation.fiscal_year.year}/{digest}.pdf"
    assert len(name) <= PublishedReport._meta.get_field("file").max_length, name
    return name


def evaluation_publish_request(evaluation_id: int, actor) -> PdfRender:
    """The reviewer's 公开: permission and state checked, a final render queued for the worker
    (which publishes when the file is stored). Returns the render row, for progress."""
    from .renders import render_request

    try:
        evaluation = Evaluation.objects.select_related("fiscal_year").get(pk=evaluation_id)
    except Evaluation.DoesNotExist as exc:
        from .errors import NotFound

        raise NotFound("没有找到该自评") from exc
    access.require(actor, evaluation, access.Action.PUBLISH)
    return render_request(evaluation, kind=PdfRender.Kind.FINAL, publish_by=actor, retry=True)


def evaluation_publish(
    evaluation_id: int, actor, *, revision: int | None = None
) -> PublishedReport:
    """Render, store and publish, at once: the worker's path (the render task of a
    publication request, the bulk job), never a web request's. `revision`: the content the
    publication was requested for; a change since refuses it."""
    from ..reports import ReportError
    from ..selectors import evaluations_for_scoring
    from .renders import render_budgeted

    try:
        fresh = evaluations_for_scoring().get(pk=evaluation_id)
    except Evaluation.DoesNotExist as exc:
        from .errors import NotFound

        raise NotFound("没有找到该自评") from exc
    access.require(actor, fresh, access.Action.PUBLISH)
    rendered_version = fresh.version
    rendered_revision = fresh.revision if revision is None else revision
    if fresh.revision != rendered_revision:
        raise ServiceError("公开未完成：自评在申请公开后被修改，请重新公开。")
    try:
        pdf = render_budgeted(fresh, draft=False)
    except ReportError as exc:
        raise ServiceError(f"公开未完成，自评仍为“审核通过”：{exc.message}") from exc
    digest = hashlib.sha256(pdf).hexdigest()
    storage = PublishedReport._meta.get_field("file").storage
    name = _stored_name(fresh, digest)
    created = not storage.exists(name)
    if created:
        name = storage.save(name, ContentFile(pdf))
    del pdf

    published: list[PublishedReport] = []

    def record(evaluation: Evaluation) -> None:
        if evaluation.version != rendered_version or evaluation.revision != rendered_revision:
            raise ServiceError("公开未完成：自评在生成 PDF 期间被修改，请重新公开。")
        PublishedReport.objects.filter(evaluation=evaluation, superseded_at__isnull=True).update(
            superseded_at=timezone.now()
        )
        report = PublishedReport(
            evaluation=evaluation,
            sha256=digest,
            size=storage.size(name),
            published_by=actor,
        )
        report.file.name = name
        report.save()
        published.append(report)

    try:
        with transaction.atomic():
            _transition(evaluation_id, actor, "publish", check=record)
    except BaseException:
        if created and not PublishedReport.objects.filter(file=name).exists():
            storage.delete(name)
        raise
    return published[0]


def supersede_publications(evaluation: Evaluation) -> None:
    """At reopening: the published file stays listed, marked superseded."""
    PublishedReport.objects.filter(evaluation=evaluation, superseded_at__isnull=True).update(
        superseded_at=timezone.now()
    )


def delete_orphaned_files(*, older_than: timedelta = ORPHAN_GRACE) -> list[str]:
    """The one thing step 3 can leave behind: a file stored by a publication whose process
    died before its transaction ended (a failed transaction deletes its own). Files under
    published/ that no PublishedReport refers to and older than `older_than` (a publication
    in progress is younger) are deleted; returns their names. Run by `manage.py
    delete_orphaned_files` (e.g. daily); a retried publication reuses its file anyway."""
    from .renders import RENDER_DIR

    storage = PublishedReport._meta.get_field("file").storage
    referenced = set(PublishedReport.objects.values_list("file", flat=True))
    referenced |= set(PdfRender.objects.exclude(file="").values_list("file", flat=True))
    cutoff = timezone.now() - older_than
    deleted = []
    for directory in (UPLOAD_DIR, RENDER_DIR):  # renders/: a draft stored by a killed worker
        for name in _files_under(storage, directory):
            if name in referenced or storage.get_modified_time(name) >= cutoff:
                continue
            storage.delete(name)
            deleted.append(name)
    return deleted


def _files_under(storage, directory: str):
    if not storage.exists(directory):
        return
    dirs, files = storage.listdir(directory)
    for name in files:
        yield f"{directory}/{name}"
    for sub in dirs:
        yield from _files_under(storage, f"{directory}/{sub}")
