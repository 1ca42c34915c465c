"""Helpers for the security tests: small files of each accepted kind built in memory, a
fingerprint of everything a request could change on an evaluation, page text."""

from __future__ import annotations

import io
import re
import zipfile
from html import unescape
from html.parser import HTMLParser

from django.test import Client

from evaluations.models import AuditLog, BulkJob, Evaluation, PublishedReport

SEED_DEPARTMENT = "nansha-cppcc-office"
BLANK_DEPARTMENT = "nansha-demo-bureau"
PASSWORD = "demo-pass-2022"
STEPS = ("basic", "figures", "management", "duty", "report", "review")
# The seed's claimed scores that differ from the computed ones: submission needs a reason.
DIFFERING = ("1.1.1", "1.1.4", "1.2.1", "1.5.5", "3.1.1")


# ---------------------------------------------------------------------------- files


def pdf_bytes(label: str = "x") -> bytes:
    """A tiny file that starts like a PDF (the label makes its SHA-256 unique)."""
    return b"%PDF-1.4\n%" + label.encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(label: str = "x") -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + label.encode() + b"\x00" * 16


def jpg_bytes(label: str = "x") -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + label.encode() + b"\x00" * 16 + b"\xff\xd9"


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


CONTENT_TYPES = '<?xml version="1.0" encoding="UTF-8"?><Types/>'


def docx_bytes(label: str = "x") -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": f"<w:document>{label}</w:document>",
        }
    )


def xlsx_bytes(label: str = "x") -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": "<Relationships/>",
            "xl/workbook.xml": f"<workbook>{label}</workbook>",
        }
    )


def ofd_bytes(label: str = "x") -> bytes:
    return zip_bytes({"OFD.xml": f"<ofd:OFD>{label}</ofd:OFD>", "Doc_0/Document.xml": "<d/>"})


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


# ---------------------------------------------------------------------------- state


def fingerprint(evaluation_id: int) -> dict:
    """Everything on an evaluation that a request could change, and the fiscal year's bulk
    jobs and publications (AuditLog excepted: recording a refused request is what it is
    for)."""
    e = Evaluation.objects.get(pk=evaluation_id)
    return {
        "status": e.status,
        "version": e.version,
        "updated_at": e.updated_at,
        "submitted_at": e.submitted_at,
        "review_started_at": e.review_started_at,
        "goal": (e.overall_goal, e.goal_completion, e.goal_shortfall_reason),
        "staffing": (e.internal_units, e.staff_actual, e.staff_other),
        "figures": sorted((f.key, str(f.value), f.note) for f in e.figures.all()),
        "answers": sorted(
            (a.code, repr(sorted(a.choices.items())), str(a.claimed), a.claimed_reason, a.note)
            for a in e.answers.all()
        ),
        "sections": sorted((s.key, s.text) for s in e.sections.all()),
        "tasks": [
            (t.name, [(r.name, str(r.points), str(r.claimed)) for r in t.rows.all()])
            for t in e.tasks.all()
        ],
        "evidence": sorted((v.pk, v.sha256, v.file.name) for v in e.evidence.all()),
        "evidence_links": sorted(
            (link.evidence_id, link.indicator_code)
            for v in e.evidence.all()
            for link in v.links.all()
        ),
        "annotations": sorted(
            (a.pk, a.parent_id, a.text, a.resolved_at is not None) for a in e.annotations.all()
        ),
        "reviewed": sorted((r.code, str(r.score)) for r in e.reviewed_scores.all()),
        "bonus": sorted((b.kind, b.description) for b in e.bonus_events.all()),
        "events": e.events.count(),
        "snapshots": e.snapshots.count(),
        "field_changes": e.field_changes.count(),
        "publications": e.publications.count(),
        "all_publications": PublishedReport.objects.count(),
        "jobs": BulkJob.objects.count(),
    }


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def audit_rows(event: str, **detail) -> list[AuditLog]:
    rows = list(AuditLog.objects.filter(event=event).order_by("id"))
    return [r for r in rows if all(r.detail.get(k) == v for k, v in detail.items())]


def text_of(response) -> str:
    """The page's visible text (tags removed, entities decoded, whitespace collapsed)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def messages_of(response) -> list[str]:
    """The page messages of a response followed to its page (follow=True)."""
    context = response.context
    if not context:
        return []
    return [str(m) for m in context.get("messages", [])]


class _FormReader(HTMLParser):
    """The successful controls of the <form id=…> as a browser would submit them (controls in
    <template> blanks excluded, radio and checkbox only when checked, file inputs left out)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.template = form_id, False, 0
        self.pairs: list[tuple[str, str]] = []
        self._textarea: list[str] | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.template += 1
        name = a.get("name")
        if self.template or not name:
            if tag == "option" and self._select:
                self._options.append((a.get("value", ""), "selected" in a))
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.pairs.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self._textarea = [name, ""]
        elif tag == "select":
            self._select, self._options = name, []

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "template":
            self.template -= 1
        elif tag == "textarea" and self._textarea is not None:
            self.pairs.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, s in self._options if s] or [v for v, _ in self._options[:1]]
            self.pairs.append((self._select, chosen[0] if chosen else ""))
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def form_data(html: str, form_id: str = "step-form") -> dict[str, str]:
    reader = _FormReader(form_id)
    reader.feed(html)
    reader.close()
    assert reader.pairs, f"no form #{form_id}"
    return dict(reader.pairs)
