"""What a rendered PDF depends on, besides the evaluation's content and rubric version: the
template version, a digest of the files that shape the PDF (the report templates, the print
stylesheet and the code that fills them). A change to any of them is a new template version,
so every cached render is rendered again; nothing needs to be bumped by hand."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from django.conf import settings

TEMPLATE_SOURCES = (
    "templates/reports",
    "static/css/report*.css",
    "static/fonts",
    "evaluations/reports.py",
    "evaluations/reports",
)


def _files(base: Path, pattern: str) -> list[Path]:
    found: list[Path] = []
    for path in sorted(base.glob(pattern)):
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file())
        elif path.is_file():
            found.append(path)
    return found


@cache
def template_version() -> str:
    """A short digest (16 hex digits) of every file in TEMPLATE_SOURCES, computed once a
    process (the files change only with a deployment, which restarts it)."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for pattern in TEMPLATE_SOURCES:
        for path in _files(base, pattern):
            if "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
