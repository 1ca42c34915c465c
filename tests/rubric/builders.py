"""Builders for pure engine tests: small rubrics and inputs made by hand, no database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rubric import engine, loader
from rubric.spec import Answer, Event, Line, Rubric, ScoreSheet, ScoringInput, TargetRow, Task

D = Decimal
FILLER = "9"

# Parameters of the shipped rubric's formula leaves (1.1.1, 1.1.4, 1.2.1).
LINEAR = {
    "label": "预算完成率",
    "numerator": "expenditure_final_total",
    "denominator": "adjusted_budget_total",
    "floor": 90,
    "ceiling": 100,
}

STEP = {
    "label": "财政拨款收入预算差异率",
    "actual": "appropriation_revenue_final",
    "budget": "appropriation_revenue_adjusted",
    "step": 5,
    "deduction": 0.5,
}

PROPORTIONAL = {
    "label": "政府采购执行率",
    "numerator": "procurement_actual",
    "denominator": "procurement_planned",
    "zero_if_over": True,
}


def dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def leaf(code: str, method: str, points: Any, params: dict | None = None, **extra) -> dict:
    """A leaf node as it would be written in a rubric data file."""
    return {
        "code": code,
        "name": extra.pop("name", f"指标{code}"),
        "points": points,
        "definition": "指标解释",
        "criteria": "评分标准",
        "method": method,
        "params": params or {},
        **extra,
    }


def rubric(*nodes: dict, rounding: dict | None = None) -> Rubric:
    """A valid rubric of the given top-level nodes, topped up to 100 with a manual leaf "9"."""
    used = sum((D(str(n["points"])) for n in nodes), D(0))
    content: dict[str, Any] = {
        "key": "test-rubric",
        "jurisdiction": "测试区",
        "year": 2022,
        "title": "测试评分体系",
        "source": "测试",
        "grades": [{"min": 90, "name": "优"}, {"min": 0, "name": "差"}],
        "indicators": list(nodes),
    }
    if used < 100:
        content["indicators"].append(leaf(FILLER, "manual", 100 - used))
    if rounding is not None:
        content["rounding"] = rounding
    return loader.parse(content)


def data(
    figures: dict | None = None,
    answers: dict[str, Answer] | None = None,
    tasks: tuple[Task, ...] = (),
    events: tuple[Event, ...] = (),
) -> ScoringInput:
    return ScoringInput(
        figures={k: dec(v) for k, v in (figures or {}).items()},
        answers=answers or {},
        tasks=tasks,
        events=events,
    )


def answer(claimed: Any = None, reason: str = "", reviewed: Any = None, **choices) -> Answer:
    return Answer(choices=choices, claimed=dec(claimed), reason=reason, reviewed=dec(reviewed))


def sheet(rub: Rubric, **kwargs) -> ScoreSheet:
    return engine.score(rub, data(**kwargs))


def score_one(
    method: str,
    points: Any,
    params: dict | None = None,
    *,
    rounding: dict | None = None,
    claimed: Any = None,
    reason: str = "",
    reviewed: Any = None,
    choices: dict | None = None,
    **kwargs,
) -> Line:
    """Score a rubric whose only real indicator is leaf "1" and return its line."""
    rub = rubric(leaf("1", method, points, params), rounding=rounding)
    ans = {"1": answer(claimed, reason, reviewed, **(choices or {}))}
    return sheet(rub, answers=ans, **kwargs).line("1")


def row(points: Any = 4, op: str = ">=", target: Any = None, actual: Any = None, **kw) -> TargetRow:
    return TargetRow(
        name=kw.pop("name", "指标行"),
        points=D(str(points)),
        operator=op,
        target_value=dec(target),
        actual_value=dec(actual),
        **kw,
    )


def codes(line: Line) -> list[str]:
    return [w.code for w in line.warnings]


def warning(line: Line, code: str):
    found = [w for w in line.warnings if w.code == code]
    assert found, f"{line.code} has no {code} warning: {codes(line)}"
    return found[0]
