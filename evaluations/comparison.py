"""Across years: last year's score per indicator beside this year's, and the change in each
headline figure (the rubric's computed rates — 预算完成率, 结转结余率, … — and the header
table's totals). Read-only; computed per request in the view context (not cached)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rubric import fmt
from rubric.spec import ScoreSheet

from . import selectors
from .models import Evaluation
from .scoring import is_row_key, line_key, score_evaluation


@dataclass(frozen=True)
class FigureChange:
    label: str
    unit: str
    last: str  # formatted, "—" when missing
    this: str
    change: str  # "+1.23 个百分点", "-4.00", "—"
    direction: int  # 1 up, -1 down, 0 unchanged or unknown


@dataclass
class PreviousYear:
    evaluation: Evaluation | None
    year: int
    scores: dict[str, Decimal | None] = field(default_factory=dict)  # by line code
    total: Decimal | None = None
    grade: str = ""
    figures: list[FigureChange] = field(default_factory=list)

    def score_of(self, line) -> Decimal | None:
        return self.scores.get(line.code)


def _key(line) -> tuple[str, str]:
    # A rubric leaf is matched by its indicator code and name (a renamed or renumbered
    # indicator is not the same indicator); a 履职效能 row by its position code only.
    return (line.code, "" if is_row_key(line_key(line)) else line.name)


def _text(value: Decimal | None, unit: str, places: int) -> str:
    if value is None:
        return "—"
    return fmt.rate(value, places) if unit == "%" else f"{value:.2f}"


def _change(last: Decimal | None, this: Decimal | None, unit: str) -> tuple[str, int]:
    if last is None or this is None:
        return "—", 0
    delta = this - last
    sign = "+" if delta > 0 else ""
    text = f"{sign}{delta:.2f}" + (" 个百分点" if unit == "%" else "")
    return text, (delta > 0) - (delta < 0)


def headline_figures(sheet: ScoreSheet) -> list[tuple[str, str, Decimal | None]]:
    """(label, unit, value) of the headline figures: each computed rate the rubric declares,
    then each header-table row's last column (its 合计)."""
    rubric = sheet.rubric
    out = []
    for spec in rubric.inputs:
        if spec.derived and spec.type == "number":
            value = sheet.values.get(spec.key)
            out.append((spec.label, spec.unit or "", value if isinstance(value, Decimal) else None))
    table = rubric.header
    if table is not None and table.columns:
        column = table.columns[-1]
        for row, values in zip(table.rows, sheet.header, strict=True):
            unit = column.unit or row.unit or ""
            out.append((f"{row.label}（{column.label}）", unit, values[-1] if values else None))
    return out


def previous_year(evaluation: Evaluation, sheet: ScoreSheet) -> PreviousYear:
    """Last year's scores and figures for `evaluation` (whose sheet is `sheet`)."""
    year = evaluation.fiscal_year.year - 1
    previous = selectors.previous_year_evaluation(evaluation)
    result = PreviousYear(previous, year)
    places = sheet.rubric.rounding.rate_places
    last_figures: dict[str, Decimal | None] = {}
    if previous is not None:
        last = score_evaluation(previous)
        by_key = {_key(ln): ln.final for ln in last.lines}
        result.scores = {ln.code: by_key.get(_key(ln)) for ln in sheet.lines}
        result.total = last.totals.final
        result.grade = last.grade
        last_figures = {label: value for label, _, value in headline_figures(last)}
    for label, unit, value in headline_figures(sheet):
        before = last_figures.get(label)
        change, direction = _change(before, value, unit)
        result.figures.append(
            FigureChange(
                label,
                unit,
                _text(before, unit, places),
                _text(value, unit, places),
                change,
                direction,
            )
        )
    return result
