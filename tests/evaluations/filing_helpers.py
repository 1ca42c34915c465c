"""Helpers for the filing tests: read a rendered form back into POST data (as a browser would
submit it), and take a snapshot of everything the filing steps can change."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from django.urls import reverse

from evaluations.models import Evaluation

PASSWORD = "demo-pass-2022"
SEED_DEPARTMENT = "nansha-cppcc-office"
BLANK_DEPARTMENT = "nansha-demo-bureau"
STEPS = ["basic", "figures", "management", "duty", "report", "review"]
EDIT_STEPS = STEPS[:-1]
DEPARTMENT_FIELDS = (
    "internal_units",
    "subordinate_units",
    "staff_administrative",
    "staff_public_1",
    "staff_public_2",
    "staff_actual",
    "staff_other",
)


def step_url(evaluation, step: str) -> str:
    return reverse("filing:step", args=[evaluation.pk, step])


class _FormReader(HTMLParser):
    """The successful controls of one <form>, in document order. Controls inside <template>
    (the blanks the page's script clones for new tasks and rows) are not part of the form."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.template_depth = 0
        self.pairs: list[tuple[str, str]] = []
        self._textarea: list[str] | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
            return
        if not self.inside:
            return
        if tag == "template":
            self.template_depth += 1
        if self.template_depth:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.pairs.append((name, a.get("value", "on")))
                return
            self.pairs.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "template":
            self.template_depth -= 1
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.pairs.append((name, text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [
                v for v, _ in self._options[:1]
            ]
            self.pairs.append((self._select, chosen[0] if chosen else ""))
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def form_data(response_or_html, form_id: str = "step-form") -> dict[str, str]:
    """What submitting the form would send (without a submit button's name/value)."""
    html = (
        response_or_html if isinstance(response_or_html, str) else response_or_html.content.decode()
    )
    reader = _FormReader(form_id)
    reader.feed(html)
    reader.close()
    data = dict(reader.pairs)
    assert data, f"no form #{form_id} on the page"
    return data


def text_of(response) -> str:
    """The page as text with tags removed and entities decoded (for Chinese messages)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def input_value(response, name: str) -> str | None:
    """The value="" of the <input name=…> on the page (None if there is no such input)."""
    html = response.content.decode()
    for tag in re.findall(r"<input\b[^>]*>", html):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            m = re.search(r'\bvalue="([^"]*)"', tag)
            return unescape(m.group(1)) if m else ""
    return None


def field_error(response, field_id: str) -> str | None:
    """The error message(s) rendered next to a field: crispy-forms puts them in the element
    the input names in aria-describedby (id "<field id>_error")."""
    html = response.content.decode()
    inputs = re.findall(r"<(?:input|textarea|select)\b[^>]*>", html)
    tag = next((t for t in inputs if f'id="{field_id}"' in t), None)
    if tag is None or f"{field_id}_error" not in tag or 'aria-invalid="true"' not in tag:
        return None
    m = re.search(rf'<div id="{re.escape(field_id)}_error"[^>]*>(.*?)</div>', html, re.S)
    if not m:
        return None
    return "；".join(unescape(x) for x in re.findall(r"<strong>(.*?)</strong>", m.group(1)))


def error_summary(response) -> str | None:
    html = response.content.decode()
    m = re.search(r'<div[^>]*data-testid="error-summary"[^>]*>(.*?)</div>', html, re.S)
    if not m:
        return None
    assert 'role="alert"' in m.group(0)
    return unescape(re.sub(r"<[^>]+>", " ", m.group(1)))


def snapshot(evaluation) -> dict:
    """Everything the filing steps write, read fresh from the database."""
    e = Evaluation.objects.select_related("department").get(pk=evaluation.pk)
    return {
        "version": e.version,
        "status": e.status,
        # the year's own 机构设置与人员编制, and the department's current numbers
        "staffing": [getattr(e, name) for name in DEPARTMENT_FIELDS],
        "department": [getattr(e.department, name) for name in DEPARTMENT_FIELDS],
        "goal": (e.overall_goal, e.goal_completion, e.goal_shortfall_reason),
        "sections": sorted((s.key, s.text) for s in e.sections.all()),
        "figures": sorted((f.key, f.value, f.note) for f in e.figures.all()),
        "answers": sorted(
            (a.code, a.choices, a.claimed, a.claimed_reason, a.note)
            for a in e.answers.all()
            # a row with nothing in it means the same as no row
            if a.choices or a.claimed is not None or a.claimed_reason or a.note
        ),
        "tasks": [
            (
                t.name,
                [
                    (
                        r.name,
                        r.target_text,
                        r.operator,
                        r.target_value,
                        r.unit,
                        r.actual_text,
                        r.actual_value,
                        r.achieved,
                        r.points,
                        r.claimed,
                        r.claimed_reason,
                        r.note,
                    )
                    for r in t.rows.order_by("position", "id")
                ],
            )
            for t in e.tasks.order_by("position", "id")
        ],
    }


def without_version(snap: dict) -> dict:
    return {k: v for k, v in snap.items() if k != "version"}
