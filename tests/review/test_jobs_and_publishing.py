"""Bulk jobs and publication (issue 12): one running job per kind and year, the draft bundle
spooled to storage, and a publication that fails or crashes leaves neither an orphan file nor
a published row without its file. The PDF renderer is a stub (the PDF itself is tested in
tests/reports)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.db import IntegrityError

from evaluations import services
from evaluations.models import BulkJob, Evaluation, EvaluationEvent, PublishedReport
from evaluations.services.jobs import bulk_job_run

from .helpers import set_status


@pytest.fixture
def media(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def stub_render(monkeypatch):
    monkeypatch.setattr(
        "evaluations.reports.render_pdf",
        lambda evaluation, *, draft: f"%PDF-1.4 {evaluation.pk} {draft}".encode(),
    )


@pytest.fixture
def no_worker(monkeypatch):
    """Jobs stay queued (no worker picks them up), as between two quick clicks."""
    queued: list[int] = []

    class Stub:
        @staticmethod
        def enqueue(job_id):
            queued.append(job_id)

    monkeypatch.setattr("evaluations.tasks.run_bulk_job", Stub)
    return queued


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_two_clicks_start_one_job(seed_eval, users, no_worker, django_capture_on_commit_callbacks):
    fy = seed_eval.fiscal_year
    with django_capture_on_commit_callbacks(execute=True):
        first = services.bulk_job_start(fy, users["reviewer"], "export_scores")
    with pytest.raises(services.ServiceError, match="同一批量任务正在进行中"):
        services.bulk_job_start(fy, users["reviewer"], "export_scores")
    assert list(BulkJob.objects.values_list("pk", flat=True)) == [first.pk]
    assert no_worker == [first.pk]
    # another kind is a different job; once the first is done the same kind may start again
    services.bulk_job_start(fy, users["reviewer"], "render_drafts")
    BulkJob.objects.filter(pk=first.pk).update(state=BulkJob.State.DONE)
    services.bulk_job_start(fy, users["reviewer"], "export_scores")
    assert BulkJob.objects.count() == 3


def test_a_job_left_behind_by_a_crashed_worker_does_not_block_for_good(
    seed_eval, users, no_worker, settings
):
    """No dead end: a job still "running" long after it started (its worker died) would refuse
    every new job of its kind and year; past BULK_JOB_STALE_AFTER_MINUTES it is marked failed."""
    from datetime import timedelta

    from django.utils import timezone

    fy = seed_eval.fiscal_year
    stuck = services.bulk_job_start(fy, users["reviewer"], "export_scores")
    BulkJob.objects.filter(pk=stuck.pk).update(state=BulkJob.State.RUNNING)
    with pytest.raises(services.ServiceError, match="同一批量任务正在进行中"):
        services.bulk_job_start(fy, users["reviewer"], "export_scores")
    BulkJob.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now()
        - timedelta(minutes=settings.BULK_JOB_STALE_AFTER_MINUTES, seconds=1)
    )
    fresh = services.bulk_job_start(fy, users["reviewer"], "export_scores")
    stuck.refresh_from_db()
    assert stuck.state == BulkJob.State.FAILED and "超时" in stuck.message
    assert fresh.state == BulkJob.State.QUEUED


def test_a_job_delivered_twice_runs_once(seed_eval, users, no_worker, media, monkeypatch):
    job = services.bulk_job_start(seed_eval.fiscal_year, users["reviewer"], "export_scores")
    runs = []
    monkeypatch.setitem(
        __import__("evaluations.services.jobs", fromlist=["RUNNERS"]).RUNNERS,
        BulkJob.Kind.EXPORT_SCORES,
        lambda j: runs.append(j.pk) or ("完成", None),
    )
    bulk_job_run(job.pk)
    bulk_job_run(job.pk)
    assert runs == [job.pk]


def test_the_draft_bundle_is_one_task_per_evaluation_and_spooled_not_held_in_memory(
    seed_eval, users, no_worker, media, stub_render, monkeypatch
):
    """Each evaluation's draft is its own task (several db_workers share them), stored as a
    render; the bundle task hands _finish a file, not bytes: the stored PDFs are copied one by
    one into a temporary file that is streamed to storage."""
    from evaluations import tasks
    from evaluations.models import PdfRender
    from evaluations.services import jobs

    items = []
    real_item = tasks.run_bulk_job_item

    class Counting:
        @staticmethod
        def enqueue(*args):
            items.append(args)
            return real_item.enqueue(*args)

    monkeypatch.setattr(tasks, "run_bulk_job_item", Counting)
    handed = []
    real_finish = jobs._finish

    def spy(job, message, result):
        handed.append(type(result[1]) if result else None)
        return real_finish(job, message, result)

    monkeypatch.setattr(jobs, "_finish", spy)
    job = services.bulk_job_start(seed_eval.fiscal_year, users["reviewer"], "render_drafts")
    bulk_job_run(job.pk)
    job.refresh_from_db()
    count = Evaluation.objects.filter(fiscal_year=seed_eval.fiscal_year).count()
    assert job.state == BulkJob.State.DONE, job.message
    assert (job.done, job.total) == (count, count)
    assert len(items) == count
    assert PdfRender.objects.filter(state=PdfRender.State.READY, kind="draft").count() == count
    assert handed and handed[0] is not bytes
    with job.result.open("rb") as f, zipfile.ZipFile(f) as archive:
        names = archive.namelist()
        assert len(names) == count
        assert archive.read(names[0]).startswith(b"%PDF-1.4")


# ---------------------------------------------------------------------------- publication


def test_a_crash_after_storing_leaves_no_orphan_file(
    submitted, users, media, stub_render, monkeypatch
):
    """The reproduction: the file used to be written inside the transaction; a failure after it
    (here, writing the event) left the file in storage with no row."""
    approved = set_status(submitted, "approved")

    def crash(*args, **kwargs):
        raise IntegrityError("simulated crash while writing the event")

    monkeypatch.setattr(EvaluationEvent.objects, "create", crash)
    with pytest.raises(IntegrityError):
        services.evaluation_publish(approved.pk, users["reviewer"])
    approved.refresh_from_db()
    assert approved.status == "approved"
    assert PublishedReport.objects.count() == 0
    assert files_under(media) == []


def test_a_published_row_always_has_its_file(submitted, users, media, stub_render):
    approved = set_status(submitted, "approved")
    report = services.evaluation_publish(approved.pk, users["reviewer"])
    assert report.file.storage.exists(report.file.name)
    assert [p.name for p in files_under(media)] == [Path(report.file.name).name]
    with report.file.open("rb") as f:
        assert f.read().startswith(b"%PDF-1.4")


def test_the_pdf_is_rendered_outside_the_row_lock(submitted, users, media, monkeypatch):
    """Rendering happens before the transaction that locks the evaluation (the test itself
    runs in a transaction: no savepoint beyond the test's own may be open while rendering)."""
    from django.db import connection

    approved = set_status(submitted, "approved")
    depth = len(connection.savepoint_ids)
    depths = []
    monkeypatch.setattr(
        "evaluations.reports.render_pdf",
        lambda evaluation, *, draft: depths.append(len(connection.savepoint_ids)) or b"%PDF-1.4",
    )
    services.evaluation_publish(approved.pk, users["reviewer"])
    assert depths == [depth]


def test_refused_publication_renders_nothing(submitted, users, media, monkeypatch):
    """A filer (or a reviewer on a submitted evaluation) is refused before any rendering."""

    def render(evaluation, *, draft):
        raise AssertionError("rendered for a refused publication")

    monkeypatch.setattr("evaluations.reports.render_pdf", render)
    with pytest.raises(services.NotAllowed):
        services.evaluation_publish(submitted.pk, users["reviewer"])
    approved = set_status(submitted, "approved")
    with pytest.raises(services.NotAllowed):
        services.evaluation_publish(approved.pk, users["filer"])
    assert files_under(media) == []


def test_a_file_left_by_a_killed_publication_is_swept_and_nothing_else(
    submitted, users, media, stub_render
):
    """A process killed between storing the PDF and committing leaves a file no row refers to
    (the except branch never ran). `delete_orphaned_files` removes it once it is older than a
    publication can take; the published file and a fresh, in-flight one stay."""
    import io
    import os
    import time

    from django.core.management import call_command

    approved = set_status(submitted, "approved")
    report = services.evaluation_publish(approved.pk, users["reviewer"])
    year_dir = (media / report.file.name).parent
    old = year_dir / ("0" * 64 + ".pdf")
    fresh = year_dir / ("1" * 64 + ".pdf")
    old.write_bytes(b"%PDF-1.4 orphan")
    fresh.write_bytes(b"%PDF-1.4 in flight")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    published = media / report.file.name
    os.utime(published, (two_hours_ago, two_hours_ago))

    out = io.StringIO()
    call_command("delete_orphaned_files", stdout=out)
    assert "共删除 1 个" in out.getvalue()

    assert sorted(p.name for p in files_under(media)) == sorted([fresh.name, published.name])


def test_a_draft_left_by_a_killed_worker_is_swept_and_the_stored_draft_kept(
    seed_eval, users, media, stub_render
):
    import os
    import time

    from evaluations.models import PdfRender
    from evaluations.services.publishing import delete_orphaned_files
    from evaluations.services.renders import render_request, render_run

    render = render_request(seed_eval, kind=PdfRender.Kind.DRAFT)
    render = render_run(render.pk)
    kept = media / render.file.name
    orphan = kept.parent / ("2" * 64 + ".pdf")
    orphan.write_bytes(b"%PDF-1.4 orphan draft")
    two_hours_ago = time.time() - 7200
    for path in (kept, orphan):
        os.utime(path, (two_hours_ago, two_hours_ago))
    assert delete_orphaned_files() == [f"renders/{orphan.parent.name}/{orphan.name}"]
    assert kept.is_file() and not orphan.exists()


def test_the_database_refuses_a_second_running_job_of_a_kind_and_year(seed_eval, users):
    """The constraint behind the lock (SQLite has no row locks): a second queued job of the
    same kind and year cannot be written, whoever writes it; a finished one can."""
    from django.db import IntegrityError, transaction

    fy = seed_eval.fiscal_year
    BulkJob.objects.create(kind="export_scores", fiscal_year=fy, state=BulkJob.State.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        BulkJob.objects.create(kind="export_scores", fiscal_year=fy)
    BulkJob.objects.create(kind="export_scores", fiscal_year=fy, state=BulkJob.State.DONE)
    BulkJob.objects.create(kind="render_drafts", fiscal_year=fy)
    assert BulkJob.objects.filter(fiscal_year=fy).count() == 3


def test_a_start_that_loses_the_race_to_the_constraint_gets_the_busy_message(
    seed_eval, users, no_worker, monkeypatch
):
    """Where the lock does not serialise (SQLite), both starts see no running job; the one
    whose insert the constraint refuses gets the same message, not an IntegrityError."""
    fy = seed_eval.fiscal_year
    real_filter = BulkJob.objects.filter

    def blind(*args, **kwargs):  # the check sees nothing running, as a racing start would
        return (
            real_filter(*args, **kwargs).none()
            if "state__in" in kwargs
            else real_filter(*args, **kwargs)
        )

    services.bulk_job_start(fy, users["reviewer"], "export_scores")
    monkeypatch.setattr(BulkJob.objects, "filter", blind)
    with pytest.raises(services.ServiceError, match="同一批量任务正在进行中"):
        services.bulk_job_start(fy, users["reviewer"], "export_scores")
    monkeypatch.undo()
    assert BulkJob.objects.filter(fiscal_year=fy, kind="export_scores").count() == 1
