"""Background tasks (Django's tasks framework; the database backend and `db_worker` in
production, run at once in development)."""

from django.tasks import task


@task
def run_bulk_job(job_id: int) -> None:
    from .services.jobs import bulk_job_run

    bulk_job_run(job_id)


@task
def send_due_reminders(day: str = "") -> None:
    """The daily automatic reminders (see `manage.py send_reminders`)."""
    import datetime

    from .services.reminders import reminders_send_due

    reminders_send_due(datetime.date.fromisoformat(day) if day else None)
