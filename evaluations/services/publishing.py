"""Publication: the reviewer publishes an approved evaluation. The PDF is rendered once, stored
with its SHA-256 and never rendered again; if rendering fails, nothing changes and the
evaluation stays approved."""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ..models import Evaluation, PublishedReport
from .errors import ServiceError
from .transitions import _transition


def evaluation_publish(evaluation_id: int, actor) -> PublishedReport:
    from ..reports import ReportError, render_pdf
    from ..selectors import evaluations_for_scoring

    published: list[PublishedReport] = []

    def render_and_store(evaluation: Evaluation) -> None:
        fresh = evaluations_for_scoring().get(pk=evaluation.pk)
        try:
            pdf = render_pdf(fresh, draft=False)
        except ReportError as exc:
            raise ServiceError(f"公开未完成，自评仍为“审核通过”：{exc.message}") from exc
        digest = hashlib.sha256(pdf).hexdigest()
        PublishedReport.objects.filter(evaluation=evaluation, superseded_at__isnull=True).update(
            superseded_at=timezone.now()
        )
        report = PublishedReport(
            evaluation=evaluation, sha256=digest, size=len(pdf), published_by=actor
        )
        name = f"{evaluation.fiscal_year.year}-{evaluation.department.code}-{digest[:16]}.pdf"
        report.file.save(name, ContentFile(pdf), save=False)
        report.save()
        published.append(report)

    with transaction.atomic():
        _transition(evaluation_id, actor, "publish", check=render_and_store)
    return published[0]


def supersede_publications(evaluation: Evaluation) -> None:
    """At reopening: the published file stays listed, marked superseded."""
    PublishedReport.objects.filter(evaluation=evaluation, superseded_at__isnull=True).update(
        superseded_at=timezone.now()
    )
