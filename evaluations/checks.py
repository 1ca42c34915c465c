"""Consistency checks on an evaluation's inputs: a thin adapter over rubric/checks.py.

The rules are the rubric version's (`checks:` in its data file, plus each input's declared
range); this module only hands them the evaluation's values. A finding is a warning shown next
to its field, or (severity blocking) a problem that stops submission; it never stops a save.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rubric.checks import Finding, evaluate_checks
from rubric.spec import Rubric, ScoreSheet

__all__ = ["Finding", "check_evaluation", "check_figures"]


def check_figures(figures: Mapping[str, Any], rubric: Rubric) -> list[Finding]:
    """The findings of `rubric`'s checks over plain values (input key -> value)."""
    return evaluate_checks(rubric, figures)


def check_evaluation(evaluation, sheet: ScoreSheet | None = None) -> list[Finding]:
    """The findings for an evaluation: over the score sheet's values (derived inputs included)
    where a sheet is given, else over its stored figures."""
    if sheet is not None:
        return evaluate_checks(sheet.rubric, sheet.values)
    from .scoring import figures_of

    return evaluate_checks(evaluation.rubric.spec, figures_of(evaluation))
