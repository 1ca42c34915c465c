"""Adapter: an evaluation's rows (prefetched by the selector) -> the engine's plain input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rubric import engine
from rubric.rounding import Rounding
from rubric.spec import Answer, Event, ScoreSheet, ScoringInput, TargetRow, Task

from .models import Evaluation


def figures_of(evaluation: Evaluation) -> dict[str, Decimal | None]:
    return {f.key: f.value for f in evaluation.figures.all()}


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
            claimed=row.claimed,
            reason=row.claimed_reason,
            reviewed=rv.score if rv else None,
            reviewed_reason=rv.reason if rv else "",
        )

    tasks = tuple(
        Task(key=task.key, name=task.name, rows=tuple(row_input(row) for row in task.rows.all()))
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
        "grade": sheet.grade,
    }


# ---------------------------------------------------------------------------- the 自评表 header

HEADER_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("按资金来源", "财政拨款", "adjusted_budget_appropriation", "expenditure_final_appropriation"),
    ("按资金来源", "其他资金", "adjusted_budget_other", "expenditure_final_other"),
    ("按资金结构", "基本支出", "adjusted_budget_basic", "expenditure_final_basic"),
    ("按资金结构", "项目支出", "adjusted_budget_project", "expenditure_final_project"),
    ("按预算级次", "本级支出", "adjusted_budget_local", "expenditure_final_local"),
    ("按预算级次", "转移支付", "adjusted_budget_transfer", "expenditure_final_transfer"),
    ("合计", "合计", "adjusted_budget_total", "expenditure_final_total"),
)


@dataclass(frozen=True)
class HeaderColumn:
    group: str
    label: str
    budget_key: str
    final_key: str
    budget: Decimal | None
    final: Decimal | None
    rate: Decimal | None  # 完成率 = 决算 ÷ 全年预算, percent


def header_rates(figures: Mapping[str, Decimal | None], rounding: Rounding) -> list[HeaderColumn]:
    """年度部门整体支出规模 by source, structure and level, with each column's 完成率."""
    columns = []
    for group, label, budget_key, final_key in HEADER_COLUMNS:
        budget, final = figures.get(budget_key), figures.get(final_key)
        rate = None
        if budget and final is not None:
            rate = rounding.percent(final, budget)
        columns.append(HeaderColumn(group, label, budget_key, final_key, budget, final, rate))
    return columns
