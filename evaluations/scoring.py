"""Adapter: an evaluation's rows (prefetched by the selector) -> the engine's plain input."""

from __future__ import annotations

import datetime
from decimal import Decimal

from rubric import engine, fmt
from rubric.spec import Answer, Event, ScoreSheet, ScoringInput, TargetRow, Task

from .models import Evaluation


def figures_of(evaluation: Evaluation) -> dict[str, object]:
    """The evaluation's inputs by key: a Decimal for a number; for a text, date or yes/no input
    of its rubric, the text, the date or True/False (None where not filled in)."""
    declared = evaluation.rubric.spec.inputs_by_key
    return {f.key: stored_value(declared.get(f.key), f) for f in evaluation.figures.all()}


def stored_value(spec, figure) -> object:
    kind = spec.type if spec is not None else "number"
    if kind == "number":
        return figure.value
    text = (figure.text or "").strip()
    if not text:
        return None
    if kind == "bool":
        return text == "yes"
    if kind == "date":
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            return None
    return text


ROW_PREFIX, TASK_PREFIX = "row:", "task:"


def is_row_key(key: str) -> bool:
    """Whether a judgement key names a 履职效能 row or task (by id) rather than a leaf code."""
    return key.startswith((ROW_PREFIX, TASK_PREFIX))


def line_key(line) -> str:
    """The stable key a judgement (复核分, 批注) on this line attaches to: `row:<id>` for a
    履职效能 row, whose code (2.1.3) is only its position; the code for a rubric leaf."""
    row = getattr(line, "row", None)
    key = getattr(row, "key", "") if row is not None else ""
    return key or line.code


def scoring_input(evaluation: Evaluation) -> ScoringInput:
    """The engine's input from the prefetched rows (selectors.SCORING_PREFETCH): figures,
    answers, the live 履职效能 tasks and rows (each with its stable key), bonus events, and the
    reviewers' 复核分 — by leaf code, or by row key for a 履职效能 row."""
    reviewed = {r.code: r for r in evaluation.reviewed_scores.all()}
    answers = {}
    for a in evaluation.answers.all():
        r = reviewed.get(a.code)
        answers[a.code] = Answer(
            choices=a.choices or {},
            claimed=a.claimed,
            reason=a.claimed_reason,
            reviewed=r.score if r else None,
            reviewed_reason=r.reason if r else "",
        )
    for code, r in reviewed.items():
        if code not in answers and not is_row_key(code):
            answers[code] = Answer(reviewed=r.score, reviewed_reason=r.reason)

    def row_input(row) -> TargetRow:
        rv = reviewed.get(row.key)
        return TargetRow(
            key=row.key,
            name=row.name,
            points=row.points,
            operator=row.operator,
            target_value=row.target_value,
            target_text=row.target_text,
            unit=row.unit,
            actual_value=row.actual_value,
            actual_text=row.actual_text,
            achieved=row.achieved,
            target_max=row.target_max,
            target_date=row.target_date,
            actual_date=row.actual_date,
            initial_target_text=row.initial_target_text,
            core=row.core,
            grade=row.grade,
            claimed=row.claimed,
            reason=row.claimed_reason,
            reviewed=rv.score if rv else None,
            reviewed_reason=rv.reason if rv else "",
        )

    tasks = tuple(
        Task(
            key=task.key,
            name=task.name,
            rows=tuple(row_input(row) for row in task.rows.all()),
            section=task.section,
        )
        for task in evaluation.tasks.all()
    )
    events = tuple(
        Event(kind=e.kind, description=e.description) for e in evaluation.bonus_events.all()
    )
    return ScoringInput(figures=figures_of(evaluation), answers=answers, tasks=tasks, events=events)


def score_range(line) -> tuple[Decimal, Decimal]:
    """The one rule for the range of a line's 自评分 and 复核分: from the method's `min_score`
    (rubric/methods.py, as the engine checks it; negative for 加减分) to the line's points."""
    from rubric.methods import METHODS

    method = METHODS.get(line.method or "")
    if method is not None and line.indicator is not None and line.row is None:
        return method.min_score(line.indicator), line.points
    return getattr(line, "min_score", Decimal(0)), line.points


def score_evaluation(evaluation: Evaluation) -> ScoreSheet:
    return engine.score(evaluation.rubric.spec, scoring_input(evaluation))


def _s(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def sheet_as_dict(evaluation: Evaluation, sheet: ScoreSheet) -> dict:
    """The score table as plain JSON-ready data; numbers are decimal strings."""
    return {
        "department": {"code": evaluation.department.code, "name": evaluation.department.name},
        "year": evaluation.fiscal_year.year,
        "project": evaluation.project,
        "rubric": {
            "key": evaluation.rubric.key,
            "title": evaluation.rubric.title,
            "sha256": evaluation.rubric.sha256,
        },
        "indicators": [
            {
                "code": line.code,
                "name": line.name,
                "level": line.level,
                "points": _s(line.points),
                "is_leaf": line.is_leaf,
                "computed": _s(line.computed),
                "claimed": _s(line.claimed),
                "reviewed": _s(line.reviewed),
                "final": _s(line.final),
                "basis": line.basis,
                "warnings": [{"code": w.code, "message": w.message} for w in line.warnings],
            }
            for line in sheet.lines
        ],
        "totals": {
            "computed": _s(sheet.totals.computed),
            "claimed": _s(sheet.totals.claimed),
            "reviewed": _s(sheet.totals.reviewed),
            "final": _s(sheet.totals.final),
        },
        # where the computed total counts claimed scores: rules lacking an input, judgements
        "coverage": {
            "missing_count": sheet.totals.missing_count,
            "missing_points": _s(sheet.totals.missing_points),
            "judgement_count": sheet.totals.judgement_count,
            "judgement_points": _s(sheet.totals.judgement_points),
            "text": sheet.totals.coverage_text,
        },
        "grade": sheet.grade,
    }


# ---------------------------------------------------------------------------- the 自评表 header


def header_table(sheet: ScoreSheet) -> dict | None:
    """The rubric's header table (rubric.header) with the engine's values formatted for the
    page and the PDF: each cell has an id (r<row>c<column>) for the live preview. None where
    the rubric declares no header table."""
    table = sheet.rubric.header
    if table is None:
        return None
    places = sheet.rubric.rounding.rate_places
    rows = []
    for i, (row, values) in enumerate(zip(table.rows, sheet.header, strict=True)):
        cells = []
        for j, (column, value) in enumerate(zip(table.columns, values, strict=True)):
            unit = column.unit or row.unit
            if value is None:
                text = "—"
            elif unit == "%":
                text = fmt.rate(value, places)
            else:
                text = f"{value:.2f}"
            cells.append((f"r{i}c{j}", text))
        rows.append({"label": row.label, "highlight": row.highlight, "cells": cells})
    groups = table.column_groups()
    grouped = any(g for g, _ in groups)
    # the heading rows: a group spans its columns; an ungrouped column spans both rows
    top, sub, i = [], [], 0
    for group, count in groups:
        if group:
            top.append({"text": group, "colspan": count, "rowspan": 1})
            sub.extend(c.label for c in table.columns[i : i + count])
        else:
            top.append(
                {"text": table.columns[i].label, "colspan": 1, "rowspan": 2 if grouped else 1}
            )
        i += count
    return {
        "heading": top,
        "subheading": sub,
        "title": table.title,
        "note": table.note,
        "columns": table.columns,
        "grouped": grouped,
        "rows": rows,
    }


def header_cells(sheet: ScoreSheet) -> dict[str, str]:
    """Every header cell's text by id, for the live preview."""
    table = header_table(sheet)
    return {cid: text for row in table["rows"] for cid, text in row["cells"]} if table else {}
