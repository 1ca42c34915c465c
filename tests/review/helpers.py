"""Helpers shared by the review-side tests."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from django.db import connection

from evaluations import services
from evaluations.models import Evaluation, EvaluationEvent, SubmissionSnapshot

SEED_DEPARTMENT = "nansha-cppcc-office"
BLANK_DEPARTMENT = "nansha-demo-bureau"
# The seed's claimed scores that differ from the computed ones: submission needs a reason.
DIFFERING = ("1.1.1", "1.1.4", "1.2.1", "1.5.5", "3.1.1")
RATE_KEY = "project_execution_rate_notified"

on_postgres = connection.vendor == "postgresql"


def make_submittable(evaluation: Evaluation, filer, codes=DIFFERING) -> Evaluation:
    """Give a reason for each claimed score that differs from the computed one, keeping the
    indicator's choices and claimed score as they are."""
    answers = {a.code: a for a in evaluation.answers.all()}
    inputs = {
        code: services.AnswerInput(
            choices=dict(answers[code].choices or {}),
            claimed=answers[code].claimed,
            reason=f"{code}：自评分依据见佐证材料。",
            note=answers[code].note,
        )
        for code in codes
    }
    evaluation.refresh_from_db(fields=["version"])
    services.evaluation_save_answers(evaluation.pk, filer, evaluation.version, answers=inputs)
    evaluation.refresh_from_db()
    return evaluation


def set_status(evaluation: Evaluation, status: str) -> Evaluation:
    """Put the evaluation in a state directly (no service, no event)."""
    Evaluation.objects.filter(pk=evaluation.pk).update(status=status)
    evaluation.refresh_from_db()
    return evaluation


def fingerprint(evaluation: Evaluation) -> dict:
    """Everything a refused transition must leave as it was."""
    row = Evaluation.objects.get(pk=evaluation.pk)
    return {
        "status": row.status,
        "version": row.version,
        "updated_at": row.updated_at,
        "submitted_at": row.submitted_at,
        "review_started_at": row.review_started_at,
        "events": EvaluationEvent.objects.filter(evaluation=evaluation).count(),
        "snapshots": SubmissionSnapshot.objects.filter(evaluation=evaluation).count(),
    }


def text_of(html: bytes | str) -> str:
    """A page's visible text, tags removed and whitespace collapsed (for 'contains' checks)."""
    if isinstance(html, bytes):
        html = html.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def messages_of(response) -> list[str]:
    """The page messages (django.contrib.messages) of a rendered response."""
    return [str(m) for m in response.context["messages"]] if response.context else []


_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


class _Subtree(HTMLParser):
    """The source text of the element with a given id (start tag to matching end tag)."""

    def __init__(self, attr: str, value: str) -> None:
        super().__init__(convert_charrefs=False)
        self.attr, self.value = attr, value
        self.depth = 0
        self.start = self.end = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if self.end is not None or tag in _VOID:
            return
        if self.start is None:
            if dict(attrs).get(self.attr) == self.value:
                self.start, self.depth = self._offset(), 1
        else:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.start is None or self.end is not None or tag in _VOID:
            return
        self.depth -= 1
        if self.depth == 0:
            self.end = self._offset() + len(f"</{tag}>")


def element_html(html: bytes | str, element_id: str, attr: str = "id") -> str:
    """The HTML of the (first) element with this id, or with this value of another attribute
    (AssertionError if there is none)."""
    if isinstance(html, bytes):
        html = html.decode()
    parser = _Subtree(attr, element_id)
    starts, total = [], 0
    for line in html.splitlines(keepends=True):
        starts.append(total)
        total += len(line)
    parser._line_starts = starts or [0]
    parser.feed(html)
    parser.close()
    assert parser.start is not None, f"no element with id {element_id!r}"
    assert parser.end is not None, f"element {element_id!r} is not closed"
    return html[parser.start : parser.end]


def by_testid(html: bytes | str, testid: str) -> str:
    return element_html(html, testid, attr="data-testid")
