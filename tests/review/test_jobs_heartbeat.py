"""Jobs that cannot jam (issue 15 item 2): a heartbeat, expiry of a job whose worker died,
cancel and restart by the finance bureau, the job list, BulkJob in the admin; and the
development task backend, which runs tasks in a thread after the request, never in it."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.tasks import task
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.models import BulkJob
from evaluations.services import jobs
from evaluations.services.jobs import bulk_job_run

from .helpers import messages_of


@pytest.fixture
def no_worker(monkeypatch):
    queued: list[int] = []

    class Stub:
        @staticmethod
        def enqueue(job_id):
            queued.append(job_id)

    monkeypatch.setattr("evaluations.tasks.run_bulk_job", Stub)
    return queued


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _start(seed_eval, users, kind="export_scores") -> BulkJob:
    return services.bulk_job_start(seed_eval.fiscal_year, users["reviewer"], kind)


def test_a_running_job_whose_heartbeat_stopped_is_failed_and_restartable(
    seed_eval, users, no_worker, settings, reviewer_client
):
    """The reproduction: a job whose process died stayed 「进行中」 for ever and refused a new
    one. Now its silent heartbeat marks it failed (here when the job list is opened), and it
    can be restarted as a new job."""
    job = _start(seed_eval, users)
    old = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_SECONDS + 1)
    BulkJob.objects.filter(pk=job.pk).update(
        state=BulkJob.State.RUNNING, started_at=old, heartbeat_at=old
    )
    page = reviewer_client.get(reverse("review:jobs"))
    assert page.status_code == 200
    job.refresh_from_db()
    assert job.state == BulkJob.State.FAILED
    assert "没有心跳" in job.message and "可重新发起" in job.message
    html = page.content.decode()
    assert "失败" in html and "重新发起" in html
    response = reviewer_client.post(reverse("review:job_restart", args=[job.pk]))
    fresh = BulkJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("review:job", args=[fresh.pk])
    assert (fresh.kind, fresh.state, fresh.restarted_from_id) == (
        job.kind,
        BulkJob.State.QUEUED,
        job.pk,
    )


def test_a_beating_job_is_not_expired(seed_eval, users, no_worker, settings):
    job = _start(seed_eval, users)
    long_ago = timezone.now() - timedelta(hours=5)
    BulkJob.objects.filter(pk=job.pk).update(
        state=BulkJob.State.RUNNING, created_at=long_ago, heartbeat_at=timezone.now()
    )
    assert services.bulk_jobs_expire() == 0
    job.refresh_from_db()
    assert job.state == BulkJob.State.RUNNING


def test_the_worker_writes_its_heartbeat_at_every_step(seed_eval, users, no_worker, media):
    job = _start(seed_eval, users)
    beats = []
    real_step = jobs._step

    def spy(j, error=""):
        real_step(j, error)
        beats.append(BulkJob.objects.get(pk=j.pk).heartbeat_at)

    import unittest.mock

    with unittest.mock.patch.object(jobs, "_step", spy):
        bulk_job_run(job.pk)
    job.refresh_from_db()
    assert job.state == BulkJob.State.DONE
    assert beats and all(b is not None for b in beats)
    assert beats == sorted(beats)
    assert job.started_at is not None and job.heartbeat_at >= beats[-1]


@pytest.mark.django_db(transaction=True)
def test_a_side_thread_beats_during_a_long_single_step(settings):
    """One long WeasyPrint call still shows the worker alive (services.renders.beating)."""
    from django.db import connection

    from evaluations.demo import seed_demo
    from evaluations.models import FiscalYear
    from evaluations.services.renders import beating

    if connection.vendor == "sqlite":
        pytest.skip("a second connection to the in-memory SQLite test database may be locked")
    seed_demo()
    job = BulkJob.objects.create(kind="export_scores", fiscal_year=FiscalYear.objects.first())
    settings.JOB_HEARTBEAT_SECONDS = 0.2
    with beating(BulkJob, job.pk):
        time.sleep(1)  # a single step without any _step call
    job.refresh_from_db()
    assert job.heartbeat_at is not None


def test_cancel_stops_the_worker_at_its_next_step(
    seed_eval, users, no_worker, media, reviewer_client
):
    job = _start(seed_eval, users)
    real_step = jobs._step
    calls = []

    def cancel_then_step(j, error=""):
        if not calls:
            response = reviewer_client.post(reverse("review:job_cancel", args=[j.pk]))
            assert response.status_code == 302
        calls.append(j.pk)
        real_step(j, error)

    import unittest.mock

    with unittest.mock.patch.object(jobs, "_step", cancel_then_step):
        bulk_job_run(job.pk)
    job.refresh_from_db()
    assert job.state == BulkJob.State.CANCELLED
    assert job.message == "已由reviewer取消。"
    assert not job.result
    assert len(calls) == 1  # stopped at the first step after the cancel
    # a finished job cannot be cancelled; a cancelled one can be restarted
    with pytest.raises(services.ServiceError, match="已结束"):
        services.bulk_job_cancel(job.pk, users["reviewer"])
    restarted = services.bulk_job_restart(job.pk, users["reviewer"])
    assert restarted.state == BulkJob.State.QUEUED


def test_only_the_regions_reviewers_see_and_cancel_its_jobs(
    seed_eval, users, other_region, no_worker
):
    job = _start(seed_eval, users)
    other = Client()
    other.force_login(other_region.reviewer)
    assert (
        f'data-testid="job-row-{job.pk}"' not in other.get(reverse("review:jobs")).content.decode()
    )
    assert other.post(reverse("review:job_cancel", args=[job.pk])).status_code == 404
    filer = Client()
    filer.force_login(users["filer"])
    assert filer.get(reverse("review:jobs")).status_code == 404
    with pytest.raises(services.NotAllowed):
        services.bulk_job_cancel(job.pk, other_region.reviewer)
    job.refresh_from_db()
    assert job.state == BulkJob.State.QUEUED


def test_the_job_list_page(seed_eval, users, no_worker, reviewer_client):
    running = _start(seed_eval, users)
    BulkJob.objects.filter(pk=running.pk).update(
        state=BulkJob.State.RUNNING, heartbeat_at=timezone.now(), total=10, done=3
    )
    html = reviewer_client.get(reverse("review:jobs")).content.decode()
    assert "批量任务" in html and "导出本年度全部自评表（Excel）" in html
    assert "进行中" in html and "3 / 10" in html and "取消" in html
    response = reviewer_client.post(
        reverse("review:job_cancel", args=[running.pk]), {"next": "list"}, follow=True
    )
    assert "任务已取消。" in messages_of(response)
    assert response.redirect_chain[-1][0] == reverse("review:jobs")


def test_bulk_jobs_in_the_admin_in_chinese(seed_eval, users, no_worker):
    _start(seed_eval, users)
    admin = Client()
    admin.force_login(get_user_model().objects.get(username="admin"))
    html = admin.get(reverse("admin:evaluations_bulkjob_changelist")).content.decode()
    assert "批量任务" in html and "最近心跳" in html and "取消所选的进行中任务" in html
    assert admin.get(reverse("admin:evaluations_pdfrender_changelist")).status_code == 200


# ---------------------------------------------------------------------------- dev backend


STARTED = threading.Event()
RELEASE = threading.Event()
RAN = threading.Event()
SEEN: list[str] = []


@task
def slow_task() -> None:
    SEEN.append(threading.current_thread().name)
    STARTED.set()
    RELEASE.wait(5)


@task
def later_task() -> None:
    RAN.set()


def test_the_thread_backend_runs_tasks_after_the_caller_returns_never_in_it():
    """The development default: enqueue returns at once; the task runs in a pool thread
    (a region of 100 departments no longer runs inside the request that starts it)."""
    from evaluations.task_backends import ThreadBackend

    backend = ThreadBackend("default", {"OPTIONS": {"workers": 1}})
    before = time.monotonic()
    backend.enqueue(slow_task, (), {})
    assert time.monotonic() - before < 0.5  # not waiting for the task
    assert STARTED.wait(5)
    RELEASE.set()
    assert SEEN and SEEN[0].startswith("task") and SEEN[0] != threading.current_thread().name


def test_the_thread_backend_honours_run_after(settings):
    """The draft render's debounce: a deferred task waits for its time, in a timer."""
    settings.TASKS = {
        "default": {
            "BACKEND": "evaluations.task_backends.ThreadBackend",
            "OPTIONS": {"workers": 1},
        }
    }
    later_task.using(run_after=timezone.now() + timedelta(seconds=0.5)).enqueue()
    assert not RAN.wait(0.2)
    assert RAN.wait(3)


@pytest.mark.django_db(transaction=True)
def test_a_region_of_100_departments_with_the_development_backend(settings, tmp_path):
    """The reproduction: with the immediate backend the request that started a job ran it,
    and a region of more than about 8 departments timed out. With the development default
    (thread backend) the request only enqueues; the job runs beside it and the page polls."""
    from django.db import connection

    from evaluations.demo import seed_demo
    from evaluations.models import Department, Evaluation, FiscalYear

    if connection.vendor == "sqlite":
        # the in-memory test database's shared cache answers a concurrent write with "table
        # is locked" at once (a development SQLite file waits for its busy timeout instead)
        pytest.skip("two threads writing the in-memory SQLite test database")
    seed_demo()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TASKS = {
        "default": {
            "BACKEND": "evaluations.task_backends.ThreadBackend",
            "OPTIONS": {"workers": 1},
        }
    }
    fy = FiscalYear.objects.get(region__code="nansha", year=2022)
    departments = Department.objects.bulk_create(
        Department(code=f"load-{i:03d}", name=f"测试部门{i:03d}", region=fy.region)
        for i in range(100)
    )
    Evaluation.objects.bulk_create(
        Evaluation(department=d, fiscal_year=fy, rubric=fy.rubric) for d in departments
    )
    total = Evaluation.objects.filter(fiscal_year=fy).count()
    client = Client()
    client.force_login(get_user_model().objects.get(username="reviewer"))
    started = time.monotonic()
    response = client.post(reverse("review:job_start", args=["nansha", 2022, "export_scores"]))
    assert time.monotonic() - started < 5
    job = BulkJob.objects.get()
    # not run inside the request (the immediate backend would have finished it by now)
    assert job.state in (BulkJob.State.QUEUED, BulkJob.State.RUNNING)
    assert response["Location"] == reverse("review:job", args=[job.pk])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = client.get(reverse("review:job_status", args=[job.pk])).json()
        if status["state"] not in ("queued", "running"):
            break
        time.sleep(0.5)
    job.refresh_from_db()
    assert status["state"] == "done", (status, job.message)
    assert status["done"] == status["total"] == total > 100
