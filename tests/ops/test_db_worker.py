"""The production path of background work: the database task backend and `manage.py
db_worker` as a real subprocess against the test database. The web side only enqueues (a bulk
job, a publication); the worker runs them and the rows show the outcome.

PostgreSQL only: on SQLite the test database is in memory and cannot be shared with another
process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from evaluations import services
from evaluations.models import BulkJob, Evaluation, PdfRender, PublishedReport
from evaluations.workflow import Status

ROOT = Path(django_settings.BASE_DIR)


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _run_worker(media: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    """db_worker in batch mode: it runs every queued task (including those its tasks enqueue)
    and exits when the queue is empty."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "TASKS_BACKEND": "database",
        "MEDIA_ROOT": str(media),
        "DJANGO_DEBUG": "1",
        "PDF_RENDER_DEBOUNCE_SECONDS": "0",
    }
    env.pop("S3_BUCKET", None)
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--interval",
            "0.2",
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def worker_world(transactional_db, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("db_worker needs a test database another process can open (PostgreSQL)")
    from evaluations.demo import seed_demo

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    seed_demo()
    return media


def test_db_worker_runs_a_bulk_job_and_a_publication(worker_world):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    reviewer = User.objects.get(username="reviewer")
    evaluation = Evaluation.objects.filter(status=Status.PUBLISHED).first() or (
        Evaluation.objects.order_by("pk").first()
    )
    fiscal_year = evaluation.fiscal_year
    job = services.bulk_job_start(fiscal_year, reviewer, "export_scores")
    # an approved evaluation: its publication is queued by the request, rendered by the worker
    approved = Evaluation.objects.exclude(status=Status.PUBLISHED).order_by("pk").first()
    Evaluation.objects.filter(pk=approved.pk).update(status=Status.APPROVED)
    render = services.evaluation_publish_request(approved.pk, reviewer)
    job.refresh_from_db()
    assert job.state == BulkJob.State.QUEUED  # enqueued, nothing run in this process
    assert render.state == PdfRender.State.QUEUED

    done = _run_worker(worker_world)
    assert done.returncode == 0, done.stderr[-3000:]

    job.refresh_from_db()
    assert job.state == BulkJob.State.DONE, (job.message, done.stderr[-3000:])
    assert job.heartbeat_at is not None and job.started_at is not None
    assert job.done == job.total > 0
    assert (worker_world / job.result.name).is_file()
    render.refresh_from_db()
    assert render.state == PdfRender.State.READY, (render.message, done.stderr[-3000:])
    approved.refresh_from_db()
    assert approved.status == Status.PUBLISHED
    report = PublishedReport.objects.get(evaluation=approved, superseded_at__isnull=True)
    stored = (worker_world / report.file.name).read_bytes()
    assert stored.startswith(b"%PDF-") and report.sha256 == render.sha256
