"""Helpers of the publication tests: the renderer's import sites, publishing, reading the
stored file and downloading it as the public does."""

from __future__ import annotations

import hashlib

from django.test import Client
from django.urls import reverse

from evaluations import services
from evaluations.models import Evaluation, EvaluationEvent, PublishedReport
from evaluations.reports import ReportError

from .pdftools import flat, pdftotext_pages

RENDERERS = (
    "evaluations.reports.render_pdf",  # the worker's services import it from here at each call
    "evaluations.management.commands.render_pdf.render_pdf",
)


def set_status(evaluation: Evaluation, status: str) -> Evaluation:
    """Put the evaluation in a state directly (not through the workflow)."""
    Evaluation.objects.filter(pk=evaluation.pk).update(status=status)
    evaluation.refresh_from_db()
    return evaluation


def forbid_rendering(monkeypatch) -> None:
    """From now on any rendering fails: what is served must be what was stored."""

    def render(evaluation, *, draft: bool) -> bytes:
        raise ReportError("PDF 生成失败：测试中不应再生成")

    for target in RENDERERS:
        monkeypatch.setattr(target, render)


def publish(evaluation, user) -> PublishedReport:
    report = services.evaluation_publish(evaluation.pk, user)
    evaluation.refresh_from_db()
    return report


def stored(report: PublishedReport) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()


def download(report_pk: int):
    """(response, body) of the public download, without login. Reading the streamed body to
    its end closes the response the way the test client wants (a second close() would fire
    request_finished and close the test's database connection on PostgreSQL)."""
    response = Client().get(reverse("public:download", args=[report_pk]))
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def text_of(pdf: bytes) -> str:
    return flat("".join(pdftotext_pages(pdf)))


def publish_events(evaluation) -> list[EvaluationEvent]:
    return list(EvaluationEvent.objects.filter(evaluation=evaluation, action="publish"))
