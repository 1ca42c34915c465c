"""Fixtures for the security tests: the seeded demo data, uploads stored under a temporary
MEDIA_ROOT, a second region (番禺区) with its own department, evaluation and reviewer, and
the objects the URL patterns take as arguments (an evidence file, an annotation, a published
report)."""

from __future__ import annotations

import copy
import hashlib
from types import SimpleNamespace

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from evaluations import services
from evaluations.models import (
    BulkJob,
    Evaluation,
    PublishedReport,
)

from .helpers import (
    DIFFERING,
    SEED_DEPARTMENT,
    pdf_bytes,
)

_safe_load = yaml.safe_load
_parsed: dict[str, object] = {}


def _memo_safe_load(stream):
    """yaml.safe_load, parsing each text once per session (a deep copy each time)."""
    if not isinstance(stream, str):
        return _safe_load(stream)
    if stream not in _parsed:
        _parsed[stream] = _safe_load(stream)
    return copy.deepcopy(_parsed[stream])


@pytest.fixture
def seeded(db, monkeypatch):
    """As tests/conftest.py's `seeded` (evaluations.demo.seed_demo), parsing the YAML once."""
    from evaluations.demo import seed_demo

    monkeypatch.setattr(yaml, "safe_load", _memo_safe_load)
    seed_demo()


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded and published files go to a temporary MEDIA_ROOT."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def users(seeded):
    User = get_user_model()
    found = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    assert set(found) == set(DEMO_USERNAMES)
    return found


DEMO_USERNAMES = ("filer", "filer2", "reviewer", "admin")


@pytest.fixture
def seed_eval(seeded) -> Evaluation:
    """filer's 2022 evaluation of 南沙区政协办公室 (draft)."""
    return Evaluation.objects.get(department__code=SEED_DEPARTMENT, fiscal_year__year=2022)


def make_submittable(evaluation: Evaluation, filer) -> Evaluation:
    """A reason for each seeded claimed score that differs from the computed one: no blocking
    problem is left (the evaluation stays a draft)."""
    answers = {a.code: a for a in evaluation.answers.all()}
    inputs = {
        code: services.AnswerInput(
            choices=dict(answers[code].choices or {}),
            claimed=answers[code].claimed,
            reason=f"{code}：自评分依据见佐证材料。",
            note=answers[code].note,
        )
        for code in DIFFERING
    }
    evaluation.refresh_from_db()
    services.evaluation_save_answers(evaluation.pk, filer, evaluation.version, answers=inputs)
    evaluation.refresh_from_db()
    return evaluation


@pytest.fixture
def world(media, users, seed_eval, other_region):
    """Everything the access matrix needs: the six roles and one object of each kind that a
    URL pattern names, all on the seed evaluation (a submittable draft) or its fiscal year
    (a finished bulk job with a result file)."""
    evaluation = make_submittable(seed_eval, users["filer"])
    evidence = services.evidence_upload(
        evaluation.pk,
        users["filer"],
        indicator_code="1.1.2",
        upload=SimpleUploadedFile("预算评估.pdf", pdf_bytes("fixture"), "application/pdf"),
    )
    annotation = services.annotation_add(
        evaluation.pk, users["reviewer"], target="general", label="总体", text="请补充说明。"
    )
    body = pdf_bytes("published")
    report = PublishedReport(
        evaluation=evaluation,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        published_by=users["reviewer"],
    )
    report.file.save("2022-report.pdf", ContentFile(body), save=False)
    report.save()
    job = BulkJob(
        kind=BulkJob.Kind.EXPORT_SCORES,
        fiscal_year=evaluation.fiscal_year,
        state=BulkJob.State.DONE,
        created_by=users["reviewer"],
    )
    job.result.save("nansha-2022-scores.xlsx", ContentFile(b"PK\x03\x04 stub"), save=False)
    job.save()
    evaluation.refresh_from_db()
    return SimpleNamespace(
        evaluation=evaluation,
        evidence=evidence,
        annotation=annotation,
        report=report,
        job=job,
        other=other_region,
        roles={
            "anonymous": None,
            "filer": users["filer"],
            "other_filer": users["filer2"],
            "reviewer": users["reviewer"],
            "other_reviewer": other_region.reviewer,
            "admin": users["admin"],
        },
        users=users,
    )
