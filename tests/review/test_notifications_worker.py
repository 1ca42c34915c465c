"""Notifications are sent after commit by the worker (a task), and a failure of any kind —
the mail server, a bug, the task queue itself — is logged, never raised into a request."""

from __future__ import annotations

import logging

from django.core import mail
from django.urls import reverse

from evaluations import services


def test_the_notification_is_a_task_enqueued_after_commit(
    submittable, users, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued: list[int] = []

    class Stub:
        @staticmethod
        def enqueue(event_id):
            enqueued.append(event_id)

    monkeypatch.setattr("evaluations.tasks.send_transition_notification", Stub)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.evaluation_submit(submittable.pk, users["filer"], submittable.version)
    assert enqueued == [] and mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    event = submittable.events.get(action="submit")
    assert enqueued == [event.pk]
    assert mail.outbox == []  # the worker sends it, not the request


def test_any_mail_failure_is_logged_not_raised(
    submittable, users, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise ValueError("a bug, not an OSError")

    monkeypatch.setattr("evaluations.notify.send_mail", broken)
    with (
        caplog.at_level(logging.ERROR, logger="evaluations.notify"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.evaluation_submit(submittable.pk, users["filer"], submittable.version)
    submittable.refresh_from_db()
    assert submittable.status == "submitted"
    assert any("通知邮件发送失败" in r.getMessage() for r in caplog.records)


def test_a_failing_task_queue_does_not_break_the_request(
    submittable, users, monkeypatch, caplog, django_capture_on_commit_callbacks, filer_client
):
    class Down:
        @staticmethod
        def enqueue(event_id):
            raise ConnectionError("task queue down")

    monkeypatch.setattr("evaluations.tasks.send_transition_notification", Down)
    with (
        caplog.at_level(logging.ERROR, logger="evaluations.notify"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = filer_client.post(
            reverse("filing:submit", args=[submittable.pk]), {"version": submittable.version}
        )
    assert response.status_code == 302
    submittable.refresh_from_db()
    assert submittable.status == "submitted"
    assert any("通知任务入队失败" in r.getMessage() for r in caplog.records)
