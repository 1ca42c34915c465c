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


def scoring_input(evaluation: Evaluation) -> ScoringInput:
    """The engine's input from the prefetched rows (selectors.SCORING_PREFETCH): figures,
    answers, 履职效能 rows, bonus events, and the reviewers' 复核分 by line code."""
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
        if code not in answers:
            answers[code] = Answer(reviewed=r.score, reviewed_reason=r.reason)
    duty = evaluation.rubric.spec.leaf_with_method("duty_targets")
    prefix = duty.code if duty else ""

    def row_review(t: int, i: int):
        return reviewed.get(f"{prefix}.{t}.{i}")

    tasks = tuple(
        Task(
            name=task.name,
            rows=tuple(
                TargetRow(
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
                    reviewed=(rv := row_review(t, i)) and rv.score,
                    reviewed_reason=rv.reason if rv else "",
                )
                for i, row in enumerate(task.rows.all(), start=1)
            ),
        )
        for t, task in enumerate(evaluation.tasks.all(), start=1)
    )
    events = tuple(
        Event(kind=e.kind, description=e.description) for e in evaluation.bonus_events.all()
    )
    return ScoringInput(figures=figures_of(evaluation), answers=answers, tasks=tasks, events=events)


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
