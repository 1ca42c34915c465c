"""Background tasks (Django's tasks framework). Production: the database backend and
`manage.py db_worker` (the worker service of docker-compose). Development default: the
thread backend (evaluations.task_backends), which runs them after the request in a thread of
the web process; tests: the immediate backend.

Each task is a thin wrapper around a service; the services record progress and outcome on
their rows (BulkJob, PdfRender), so a page can show them whatever the backend."""

from django.tasks import task


@task
def run_bulk_job(job_id: int) -> None:
    from .services.jobs import bulk_job_run

    bulk_job_run(job_id)


@task
def run_bulk_job_item(job_id: int, evaluation_id: int) -> None:
    """One evaluation of a bulk draft render (several workers share them)."""
    from .services.jobs import bulk_job_render_one

    bulk_job_render_one(job_id, evaluation_id)


@task
def run_bulk_job_bundle(job_id: int) -> None:
    from .services.jobs import bulk_job_bundle

    bulk_job_bundle(job_id)


@task
def run_pdf_render(render_id: int) -> None:
    """A draft preview or a publication's final PDF (services.renders.render_run)."""
    from .services.renders import render_run

    render_run(render_id)


@task
def send_transition_notification(event_id: int) -> None:
    """The e-mail of a workflow transition, sent by the worker after the transition committed;
    notify.transition_done logs every failure and never raises."""
    from .notify import transition_done

    transition_done(event_id)


@task
def send_due_reminders(day: str = "") -> None:
    """The daily automatic reminders (see `manage.py send_reminders`)."""
    import datetime

    from .services.reminders import reminders_send_due

    reminders_send_due(datetime.date.fromisoformat(day) if day else None)
