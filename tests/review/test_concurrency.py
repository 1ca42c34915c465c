"""Two people acting on the same evaluation at the same moment: the row lock
(select_for_update in services.common.locked) serialises them and the second one re-checks
the state, so there is never a second transition. PostgreSQL only: SQLite has no row locks
(select_for_update is a no-op there and concurrent writers fail with "database is locked")."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from evaluations import services
from evaluations.models import Annotation, Evaluation, EvaluationEvent
from evaluations.services.common import locked

from .helpers import on_postgres

pytestmark = [
    pytest.mark.skipif(
        not on_postgres,
        reason="needs PostgreSQL: SQLite has no row-level locks (select_for_update is a no-op), "
        "so a real race between two connections cannot be tested there",
    ),
    pytest.mark.django_db(transaction=True),
]


def race(*calls, timeout: float = 60):
    """Run each call in its own thread (own DB connection, closed at the end), released
    together by a barrier; return [("ok", value) | ("error", exception)] in call order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", call())
        except Exception as exc:
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread is still waiting: deadlock?"
    return results


def outcomes(results) -> list[str]:
    return [
        "ok" if kind == "ok" else type(value).__name__ for kind, value in results
    ]  # e.g. ["ok", "NotAllowed"]


@pytest.mark.parametrize("attempt", range(3))
def test_two_reviewers_approve_at_once(submitted, users, attempt):
    reviewer = users["reviewer"]
    results = race(
        lambda: services.evaluation_approve(submitted.pk, reviewer, "通过（甲）"),
        lambda: services.evaluation_approve(submitted.pk, reviewer, "通过（乙）"),
    )
    assert sorted(outcomes(results)) == ["NotAllowed", "ok"], results
    refused = next(v for k, v in results if k == "error")
    assert "审核通过" in refused.message
    assert Evaluation.objects.get(pk=submitted.pk).status == "approved"
    assert EvaluationEvent.objects.filter(evaluation=submitted, action="approve").count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_double_submit_from_two_tabs(submittable, users, attempt):
    filer, version = users["filer"], submittable.version
    results = race(
        lambda: services.evaluation_submit(submittable.pk, filer, version),
        lambda: services.evaluation_submit(submittable.pk, filer, version),
    )
    assert sorted(outcomes(results)) == ["NotAllowed", "ok"], results
    assert Evaluation.objects.get(pk=submittable.pk).status == "submitted"
    assert EvaluationEvent.objects.filter(evaluation=submittable).count() == 1
    assert submittable.snapshots.count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_submit_and_withdraw_race(submittable, users, attempt):
    """From 填报中, one request submits while another withdraws (e.g. a stale tab). Whatever
    the order, the result is one of the two serial outcomes: submit then withdraw (both
    succeed, back to 填报中) or withdraw first (refused: not submitted), then submit."""
    filer, version = users["filer"], submittable.version
    results = race(
        lambda: services.evaluation_submit(submittable.pk, filer, version),
        lambda: services.evaluation_withdraw(submittable.pk, filer),
    )
    submit, withdraw = outcomes(results)
    assert submit == "ok"
    events = list(
        EvaluationEvent.objects.filter(evaluation=submittable).values_list(
            "action", "from_status", "to_status"
        )
    )
    status = Evaluation.objects.get(pk=submittable.pk).status
    if withdraw == "ok":
        assert events == [("submit", "draft", "submitted"), ("withdraw", "submitted", "draft")]
        assert status == "draft"
    else:
        assert withdraw == "NotAllowed"
        assert events == [("submit", "draft", "submitted")]
        assert status == "submitted"


@pytest.mark.parametrize("attempt", range(3))
def test_withdraw_and_approve_race(submitted, users, attempt):
    """The filer withdraws while the reviewer approves: exactly one of them wins."""
    results = race(
        lambda: services.evaluation_withdraw(submitted.pk, users["filer"]),
        lambda: services.evaluation_approve(submitted.pk, users["reviewer"]),
    )
    assert sorted(outcomes(results)) == ["NotAllowed", "ok"], results
    events = list(EvaluationEvent.objects.filter(evaluation=submitted).exclude(action="submit"))
    assert len(events) == 1
    assert Evaluation.objects.get(pk=submitted.pk).status == events[0].to_status


@pytest.mark.parametrize("attempt", range(3))
def test_withdraw_and_annotate_race(submitted, users, attempt):
    """A withdraw can only win if no annotation was made before it."""
    results = race(
        lambda: services.evaluation_withdraw(submitted.pk, users["filer"]),
        lambda: services.annotation_add(
            submitted.pk, users["reviewer"], target="ind:1.1.1", label="预算完成率", text="请核对"
        ),
    )
    withdraw, annotate = outcomes(results)
    assert annotate == "ok"
    evaluation = Evaluation.objects.get(pk=submitted.pk)
    note = Annotation.objects.get(evaluation=submitted)
    if withdraw == "ok":
        assert evaluation.status == "draft"
        assert note.created_at >= evaluation.events.get(action="withdraw").at
    else:
        assert withdraw == "NotAllowed"
        assert evaluation.status == "submitted"
        assert evaluation.review_started_at is not None


def test_a_transition_waits_for_the_lock_and_rechecks_the_state(submitted, users):
    """Deterministic: while another transaction holds the row lock and approves, a second
    approve blocks, then sees 审核通过 and is refused."""
    holding, release = threading.Event(), threading.Event()

    def holder():
        with transaction.atomic():
            evaluation = locked(submitted.pk)
            holding.set()
            assert release.wait(10)
            evaluation.status = "approved"
            evaluation.save(update_fields=["status"])
        return "done"

    def approve():
        assert holding.wait(10)
        started = time.monotonic()
        try:
            services.evaluation_approve(submitted.pk, users["reviewer"])
        except services.NotAllowed:
            return ("NotAllowed", time.monotonic() - started)
        return ("ok", time.monotonic() - started)

    def releaser():
        assert holding.wait(10)
        time.sleep(0.8)
        release.set()

    results = race(holder, approve, releaser)
    assert results[0] == ("ok", "done")
    kind, (outcome, waited) = results[1]
    assert (kind, outcome) == ("ok", "NotAllowed")
    assert waited >= 0.5, "the second approve did not wait for the row lock"
    assert not EvaluationEvent.objects.filter(evaluation=submitted, action="approve").exists()


@pytest.mark.parametrize("attempt", range(3))
def test_two_clicks_on_a_bulk_job_start_one_job(seed_eval, users, monkeypatch, attempt):
    """Two starts of the same kind and year at the same moment: the fiscal year's row lock
    serialises them, the second sees the first's queued job and is refused."""
    from evaluations.models import BulkJob

    class NoWorker:
        @staticmethod
        def enqueue(job_id):
            pass

    monkeypatch.setattr("evaluations.tasks.run_bulk_job", NoWorker)
    fy = seed_eval.fiscal_year

    def start():
        return services.bulk_job_start(fy, users["reviewer"], "export_scores").pk

    results = race(start, start)
    assert sorted(outcomes(results)) == ["ServiceError", "ok"]
    assert BulkJob.objects.filter(fiscal_year=fy, kind="export_scores").count() == 1


@pytest.mark.parametrize("attempt", range(2))
def test_two_reviewers_approve_a_target_declaration_at_once(seeded, users, attempt):
    """绩效目标申报: one approval, one set of rows, whatever the timing."""
    from decimal import Decimal

    from evaluations.models import DutyIndicator, TargetDeclaration
    from evaluations.services import RowInput, TaskInput

    blank = Evaluation.objects.get(department__code="nansha-demo-bureau", fiscal_year__year=2022)
    filer, reviewer = users["filer2"], users["reviewer"]
    rows = (RowInput(name="办件量", target_value=Decimal(10), unit="件", points=Decimal(50)),)
    saved = services.declaration_save(
        blank.pk, filer, 1, overall_goal="年度目标", tasks=[TaskInput(name="任务1", rows=rows)]
    )
    services.declaration_submit(blank.pk, filer, saved.version)
    results = race(
        lambda: services.declaration_approve(blank.pk, reviewer, "甲"),
        lambda: services.declaration_approve(blank.pk, reviewer, "乙"),
    )
    assert sorted(outcomes(results)) == ["NotAllowed", "ok"], results
    assert TargetDeclaration.objects.get(evaluation=blank).status == "approved"
    assert EvaluationEvent.objects.filter(evaluation=blank, action="declare_approve").count() == 1
    assert DutyIndicator.objects.filter(task__evaluation=blank, deleted_at=None).count() == 1
