"""The page stamps (evaluations.stamps): the database changes them on every write, whichever
way the write is made, and the triggers come back after a migration."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from evaluations import stamps
from evaluations.models import (
    Annotation,
    BulkJob,
    DeadlineExtension,
    Department,
    DutyIndicator,
    Evaluation,
    EvaluationEvent,
    Evidence,
    EvidenceLink,
    FigureValue,
    FiscalYear,
    IndicatorAnswer,
    PdfRender,
    Region,
    Reminder,
    ReviewedScore,
)

pytestmark = pytest.mark.django_db


def stamp(evaluation: Evaluation) -> int:
    return Evaluation.objects.values_list("page_stamp", flat=True).get(pk=evaluation.pk)


@pytest.fixture
def seed(seeded) -> Evaluation:
    return Evaluation.objects.get(department__code="nansha-cppcc-office", fiscal_year__year=2022)


def test_every_trigger_is_installed_after_migrate(seeded):
    assert stamps.missing_triggers() == []
    assert len(stamps.trigger_names()) == len(stamps.STAMPED) + 3 * len(stamps.CHILDREN)


def test_triggers_dropped_by_a_table_rebuild_come_back_after_the_next_migrate(seeded):
    """SQLite drops a table's triggers when a migration rebuilds it: post_migrate puts them
    back (simulated here by dropping them all)."""
    stamps.drop()
    assert set(stamps.missing_triggers()) == set(stamps.trigger_names())
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert stamps.missing_triggers() == []


def test_an_update_of_the_evaluation_by_queryset_changes_its_stamp(seed):
    before = stamp(seed)
    Evaluation.objects.filter(pk=seed.pk).update(status=seed.status)
    assert stamp(seed) > before


def test_a_stale_objects_save_cannot_set_the_stamp_back(seed):
    stale = Evaluation.objects.get(pk=seed.pk)
    Evaluation.objects.filter(pk=seed.pk).update(status=seed.status)
    Evaluation.objects.filter(pk=seed.pk).update(status=seed.status)
    newest = stamp(seed)
    stale.save()  # writes the old page_stamp it was read with
    assert stamp(seed) > newest


def draft_render(evaluation: Evaluation) -> PdfRender:
    return PdfRender.objects.create(
        evaluation=evaluation,
        kind="draft",
        revision=1,
        version=1,
        rubric=evaluation.rubric,
        template_version="t",
    )


def _child_writes(seed: Evaluation):
    """(label, a write of one kind of row belonging to the seed evaluation)."""
    figure = FigureValue.objects.filter(evaluation=seed).first()
    answer = IndicatorAnswer.objects.filter(evaluation=seed).first()
    indicator = DutyIndicator.objects.filter(task__evaluation=seed).first()
    return [
        ("figure update()", lambda: FigureValue.objects.filter(pk=figure.pk).update(note="x")),
        ("answer save()", lambda: answer.save()),
        ("answer delete()", lambda: answer.delete()),
        ("indicator of a task", lambda: indicator.save()),
        (
            "annotation bulk_create()",
            lambda: Annotation.objects.bulk_create(
                [Annotation(evaluation=seed, target="1.1.1", target_label="x", text="y")]
            ),
        ),
        (
            "复核分",
            lambda: ReviewedScore.objects.create(
                evaluation=seed, code="1.1.1", score=1, reason="r"
            ),
        ),
        (
            "event",
            lambda: EvaluationEvent.objects.create(
                evaluation=seed, action="submit", from_status="draft", to_status="submitted"
            ),
        ),
        (
            "reminder",
            lambda: Reminder.objects.create(
                evaluation=seed, kind=Reminder.Kind.values[0], sent_on=date(2030, 1, 1)
            ),
        ),
        ("PDF render", lambda: draft_render(seed)),
        (
            "延期 of its department and year",
            lambda: DeadlineExtension.objects.create(
                fiscal_year=seed.fiscal_year,
                department=seed.department,
                until=date(2030, 1, 1),
                reason="r",
            ),
        ),
    ]


def test_every_kind_of_row_that_belongs_to_the_evaluation_changes_its_stamp(seed):
    for label, write in _child_writes(seed):
        before = stamp(seed)
        write()
        assert stamp(seed) > before, label


def test_evidence_and_its_links_change_the_stamp(seed):
    before = stamp(seed)
    evidence = Evidence.objects.create(evaluation=seed, original_name="会议纪要.pdf")
    after_upload = stamp(seed)
    assert after_upload > before
    link = EvidenceLink.objects.create(evidence=evidence, indicator_code="1.1.1")
    after_link = stamp(seed)
    assert after_link > after_upload
    link.delete()
    assert stamp(seed) > after_link


def test_other_evaluations_are_left_alone(seed):
    other = Evaluation.objects.exclude(pk=seed.pk).first()
    before = stamp(other)
    EvaluationEvent.objects.create(
        evaluation=seed, action="submit", from_status="draft", to_status="submitted"
    )
    assert stamp(other) == before


@pytest.mark.parametrize("model", [FiscalYear, Department, Region])
def test_stamped_rows_change_on_every_update(seed, model):
    row = model.objects.first()
    row.save()
    row.refresh_from_db()
    first = row.page_stamp
    model.objects.filter(pk=row.pk).update(page_stamp=0)  # whatever is written
    row.refresh_from_db()
    assert row.page_stamp == first + 1


def test_a_bulk_jobs_progress_changes_its_stamp(seed):
    job = BulkJob.objects.create(kind=BulkJob.Kind.EXPORT_SCORES, fiscal_year=seed.fiscal_year)
    BulkJob.objects.filter(pk=job.pk).update(done=1)
    job.refresh_from_db()
    assert job.page_stamp == 1


def test_a_heartbeat_alone_fires_no_trigger(seed):
    """The worker's heartbeat thread writes `heartbeat_at` while the worker holds no lock on the
    evaluation: that write must not take one (stamps.QUIET_COLUMNS), or it could deadlock with
    a request that holds the evaluation and waits for the render row."""
    from django.utils import timezone

    render = draft_render(seed)
    job = BulkJob.objects.create(kind=BulkJob.Kind.EXPORT_SCORES, fiscal_year=seed.fiscal_year)
    before, job_before = stamp(seed), job.page_stamp
    PdfRender.objects.filter(pk=render.pk).update(heartbeat_at=timezone.now())
    BulkJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    job.refresh_from_db()
    assert (stamp(seed), job.page_stamp) == (before, job_before)
    PdfRender.objects.filter(pk=render.pk).update(state="running", heartbeat_at=timezone.now())
    assert stamp(seed) > before
