"""Fixtures of the report tests: stored files under tmp_path, and the seed case's PDFs rendered
once per session (rendering takes seconds) in a transaction that is rolled back."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.test.utils import override_settings

from .pdftools import SEED_DEPARTMENT

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Published files go under tmp_path, never into the repository's var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@dataclass(frozen=True)
class SeedPdfs:
    draft: bytes
    final: bytes
    html: str  # the draft's HTML, for the characters the PDF must carry
    figures: dict[str, Decimal | None]
    rates: dict[str, Decimal | None]  # header_rates: final key → 完成率
    total: Decimal
    grade: str
    line_111: tuple[Decimal | None, Decimal | None, Decimal | None]  # computed, claimed, final


def seed_evaluation(prepare=None):
    """Seed the demo data, optionally change it (prepare(evaluation)), and return the seed
    evaluation prefetched for scoring. The caller rolls back."""
    from evaluations import selectors
    from evaluations.demo import seed_demo

    seed_demo()
    evaluation = selectors.evaluation_by_department_year(SEED_DEPARTMENT, 2022)
    if prepare is not None:
        prepare(evaluation)
        evaluation = selectors.evaluation_by_department_year(SEED_DEPARTMENT, 2022)
    return evaluation


@pytest.fixture(scope="session")
def seed_pdfs(django_db_setup, django_db_blocker) -> SeedPdfs:
    """The seed evaluation's draft and final PDFs, rendered once for the whole session."""
    from evaluations import reports
    from evaluations.scoring import figures_of, score_evaluation

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        evaluation = seed_evaluation()
        sheet = score_evaluation(evaluation)
        figures = figures_of(evaluation)
        line = sheet.line("1.1.1")
        pdfs = SeedPdfs(
            draft=reports.render_pdf(evaluation, draft=True),
            final=reports.render_pdf(evaluation, draft=False),
            html=reports.render_html(evaluation, draft=True),
            figures=figures,
            # the completion rates, as the engine computes them (the rubric's derived inputs)
            rates={
                "expenditure_final_total": sheet.values["expenditure_rate_total"],
                "expenditure_final_basic": sheet.values["expenditure_rate_basic"],
                "expenditure_final_project": sheet.values["expenditure_rate_project"],
            },
            total=sheet.totals.final,
            grade=sheet.grade,
            line_111=(line.computed, line.claimed, line.final),
        )
        transaction.set_rollback(True)
    return pdfs


# ---------------------------------------------------------------------------- publication


@pytest.fixture
def users(seeded):
    from django.contrib.auth import get_user_model

    names = ("filer", "filer2", "reviewer", "admin")
    return {u.username: u for u in get_user_model().objects.filter(username__in=names)}


@pytest.fixture
def evaluation(seeded):
    """filer's 2022 evaluation of 南沙区政协办公室 (a draft, as seeded)."""
    from evaluations.models import Evaluation

    return Evaluation.objects.get(department__code=SEED_DEPARTMENT, fiscal_year__year=2022)


@pytest.fixture
def approved(evaluation):
    """The seed evaluation, set to 审核通过 directly."""
    from evaluations.workflow import Status

    from .publishing import set_status

    return set_status(evaluation, Status.APPROVED)


@pytest.fixture
def fake_render(monkeypatch, seed_pdfs) -> list[tuple[int, bool]]:
    """The renderer, at each of its import sites, replaced by the seed's real PDFs (draft or
    final, rendered once per session); returns the recorded (evaluation id, draft) calls."""
    from .publishing import RENDERERS

    calls: list[tuple[int, bool]] = []

    def render(evaluation, *, draft: bool) -> bytes:
        calls.append((evaluation.pk, draft))
        return seed_pdfs.draft if draft else seed_pdfs.final

    for target in RENDERERS:
        monkeypatch.setattr(target, render)
    return calls


@pytest.fixture
def no_render_in_requests(monkeypatch):
    """No PDF is ever rendered inside a web request: while a request is being handled (any
    view, through the whole middleware chain), render_pdf raises."""
    import threading

    from django.core.handlers.base import BaseHandler

    import evaluations.reports

    state = threading.local()
    violations: list[int] = []
    real_get_response = BaseHandler.get_response
    real_render = evaluations.reports.render_pdf

    def get_response(self, request):
        state.inside = True
        try:
            return real_get_response(self, request)
        finally:
            state.inside = False

    def guarded(evaluation, *, draft):
        if getattr(state, "inside", False):
            violations.append(evaluation.pk)  # recorded: a task backend may swallow the error
            raise AssertionError("render_pdf called inside a web request")
        return evaluations.reports.render_pdf_unguarded(evaluation, draft=draft)

    monkeypatch.setattr(BaseHandler, "get_response", get_response)
    monkeypatch.setattr(evaluations.reports, "render_pdf_unguarded", real_render, raising=False)
    monkeypatch.setattr(evaluations.reports, "render_pdf", guarded)
    yield
    assert violations == [], "render_pdf was called inside a web request"
