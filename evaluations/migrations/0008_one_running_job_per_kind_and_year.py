"""One running bulk job per kind and year, as a constraint (SQLite has no select_for_update,
so the lock in services.bulk_job_start alone does not hold there). Duplicates started before
(two clicks) are marked failed first, keeping the latest of each kind and year."""

from django.db import migrations, models

RUNNING = ["queued", "running"]


def fail_duplicates(apps, schema_editor):
    BulkJob = apps.get_model("evaluations", "BulkJob")
    seen = set()
    for job in BulkJob.objects.filter(state__in=RUNNING).order_by("-created_at", "-id"):
        key = (job.fiscal_year_id, job.kind)
        if key in seen:
            job.state = "failed"
            job.message = "重复发起的任务，已取消。"
            job.save(update_fields=["state", "message"])
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0007_stable_row_identity"),
    ]

    operations = [
        migrations.RunPython(fail_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="bulkjob",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", RUNNING)),
                fields=("fiscal_year", "kind"),
                name="one_running_job_per_kind_and_year",
            ),
        ),
    ]
