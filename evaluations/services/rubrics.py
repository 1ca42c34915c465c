"""Loading rubric versions."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from rubric import loader

from ..models import RubricVersion
from .common import refresh_totals_for_rubric


@transaction.atomic
def rubric_load(path: str | Path) -> tuple[RubricVersion, bool]:
    """Validate a rubric data file and store it as an immutable version.

    Loading the same content again is a no-op; a different content under a key already loaded
    is refused (a change is a new version). Raises loader.RubricError with a message naming
    the node at fault.
    """
    spec, content = loader.load_file(path)
    digest = loader.digest(content)
    existing = RubricVersion.objects.select_for_update().filter(key=spec.key).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise loader.RubricError(
                f"评分体系版本 {spec.key} 已载入且内容不同：已载入的版本不可修改，"
                "请为修改后的评分体系使用新的版本标识（key）。"
            )
        return existing, False
    version = RubricVersion.objects.create(
        key=spec.key,
        jurisdiction=spec.jurisdiction,
        year=spec.year,
        title=spec.title,
        source=spec.source,
        content=content,
        sha256=digest,
    )
    # Evaluations already pointing at this key (e.g. restored from a backup) are rescored.
    refresh_totals_for_rubric(version.pk)
    return version, True
