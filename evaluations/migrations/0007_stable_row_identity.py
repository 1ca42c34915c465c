"""Stable identity for the 履职效能 tasks and rows: they are updated in place and marked
deleted (never reused), and the judgements on them — 复核分 and 批注 — are keyed by the row's
id (`row:<id>`) instead of its position (`2.1.2`). Existing positional keys are converted to
the rows now at those positions.

Also: FigureValue.key and ReportSection.key lose their `choices` (the rubric version declares
its inputs and report sections), and DutyTask gains `section` (the target-rows leaf it
belongs to)."""

import re

from django.db import migrations, models

DUTY_METHODS = ("duty_targets", "target_rows")
POSITION = re.compile(r"^(?P<task>\d+)(?:\.(?P<row>\d+))?$")


def _duty_codes(content) -> set[str]:
    """The codes of the rubric leaves whose rows the department enters."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("method") in DUTY_METHODS and node.get("code") is not None:
                found.add(str(node["code"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk((content or {}).get("indicators", []))
    return found


def _key_for(code: str, duty_codes: set[str], tasks: list) -> str | None:
    """The stable key of the task or row now at a positional code, or None. The leaf's own
    code has dots too (2.1.2 is row 2 of task 1 of leaf 2, or task 2 of a leaf 2.1): the
    leaf is matched as a known prefix, never guessed by a pattern."""
    match = next(
        (
            m
            for leaf in sorted(duty_codes, key=len, reverse=True)
            if code.startswith(leaf + ".") and (m := POSITION.match(code[len(leaf) + 1 :]))
        ),
        None,
    )
    if match is None:
        return None
    t = int(match["task"])
    if not 1 <= t <= len(tasks):
        return None
    task, rows = tasks[t - 1]
    if match["row"] is None:
        return f"task:{task.pk}"
    i = int(match["row"])
    return f"row:{rows[i - 1].pk}" if 1 <= i <= len(rows) else None


def positions_to_keys(apps, schema_editor):
    Evaluation = apps.get_model("evaluations", "Evaluation")
    DutyTask = apps.get_model("evaluations", "DutyTask")
    DutyIndicator = apps.get_model("evaluations", "DutyIndicator")
    ReviewedScore = apps.get_model("evaluations", "ReviewedScore")
    Annotation = apps.get_model("evaluations", "Annotation")
    with_judgements = (
        Evaluation.objects.filter(
            models.Q(reviewed_scores__isnull=False) | models.Q(annotations__isnull=False)
        )
        .distinct()
        .select_related("rubric")
    )
    for evaluation in with_judgements:
        duty_codes = _duty_codes(evaluation.rubric.content)
        if not duty_codes:
            continue
        tasks = [
            (task, list(DutyIndicator.objects.filter(task=task).order_by("position", "id")))
            for task in DutyTask.objects.filter(evaluation=evaluation).order_by("position", "id")
        ]
        for score in ReviewedScore.objects.filter(evaluation=evaluation):
            key = _key_for(score.code, duty_codes, tasks)
            if key and key.startswith("row:"):
                score.code = key
                score.save(update_fields=["code"])
        for note in Annotation.objects.filter(evaluation=evaluation, target__startswith="ind:"):
            key = _key_for(note.target.removeprefix("ind:"), duty_codes, tasks)
            if key:
                Annotation.objects.filter(models.Q(pk=note.pk) | models.Q(parent=note)).update(
                    target=key
                )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0006_bulk_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="dutyindicator",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="删除时间"),
        ),
        migrations.AddField(
            model_name="dutytask",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="删除时间"),
        ),
        migrations.AddField(
            model_name="dutytask",
            name="section",
            field=models.CharField(blank=True, default="", max_length=30, verbose_name="所属指标"),
        ),
        migrations.AlterField(
            model_name="annotation",
            name="target",
            field=models.CharField(
                help_text=(
                    "ind:1.1.1（指标）、row:指标行ID、task:任务ID（履职效能）、fig:键名、"
                    "sec:章节、goal 或 general"
                ),
                max_length=80,
                verbose_name="对象",
            ),
        ),
        migrations.AlterField(
            model_name="figurevalue",
            name="key",
            field=models.CharField(max_length=60, verbose_name="项目"),
        ),
        migrations.AlterField(
            model_name="reportsection",
            name="key",
            field=models.CharField(max_length=60, verbose_name="章节"),
        ),
        migrations.AlterField(
            model_name="reviewedscore",
            name="code",
            field=models.CharField(
                help_text="末级指标编码（如 1.1.1），或履职效能指标行 row:ID",
                max_length=30,
                verbose_name="指标",
            ),
        ),
        migrations.RunPython(positions_to_keys, migrations.RunPython.noop),
    ]
