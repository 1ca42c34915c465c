"""Plain, immutable data: a rubric version's indicator tree, the engine's input, its output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .rounding import Rounding

# ---------------------------------------------------------------------------- the rubric


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    points: Decimal
    level: int
    children: tuple[Indicator, ...] = ()
    definition: str = ""  # 指标解释
    criteria: str = ""  # 评分标准
    remark: str = ""  # 备注
    evidence_required: bool = False
    method: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Grade:
    minimum: Decimal
    name: str


@dataclass(frozen=True)
class Rubric:
    key: str
    jurisdiction: str
    year: int
    title: str
    source: str
    rounding: Rounding
    grades: tuple[Grade, ...]
    indicators: tuple[Indicator, ...]
    note: str = ""

    def walk(self):
        for node in self.indicators:
            yield from node.walk()

    def leaves(self) -> list[Indicator]:
        return [n for n in self.walk() if n.is_leaf]

    def find(self, code: str) -> Indicator | None:
        return next((n for n in self.walk() if n.code == code), None)

    def leaf_with_method(self, method: str) -> Indicator | None:
        return next((n for n in self.leaves() if n.method == method), None)

    def grade(self, total: Decimal) -> str:
        for g in self.grades:
            if total >= g.minimum:
                return g.name
        return ""

    @property
    def total_points(self) -> Decimal:
        return sum((n.points for n in self.indicators), Decimal(0))


# ---------------------------------------------------------------------------- the input


@dataclass(frozen=True)
class Answer:
    """A department's answer to one indicator: ticked checklist options, claimed score, note."""

    choices: Mapping[str, str] = field(default_factory=dict)  # item key -> option key
    claimed: Decimal | None = None
    reason: str = ""  # required where claimed differs from computed
    reviewed: Decimal | None = None
    reviewed_reason: str = ""


@dataclass(frozen=True)
class TargetRow:
    """One 履职效能 indicator row: 年度指标值 against 实际完成值."""

    name: str
    points: Decimal
    operator: str = ">="  # one of >= <= =
    target_value: Decimal | None = None
    target_text: str = ""
    unit: str = ""
    actual_value: Decimal | None = None
    actual_text: str = ""
    achieved: bool | None = None  # the filer's judgement, used where no numbers compare
    claimed: Decimal | None = None
    reason: str = ""
    reviewed: Decimal | None = None
    reviewed_reason: str = ""


@dataclass(frozen=True)
class Task:
    """A 履职效能 task (二级指标) and its indicator rows (三级指标)."""

    name: str
    rows: tuple[TargetRow, ...] = ()

    @property
    def points(self) -> Decimal:
        return sum((r.points for r in self.rows), Decimal(0))


@dataclass(frozen=True)
class Event:
    """A bonus (表扬) or penalty (批评) event for the 加减分 item."""

    kind: str  # "bonus" | "penalty"
    description: str = ""


@dataclass(frozen=True)
class ScoringInput:
    figures: Mapping[str, Decimal | None] = field(default_factory=dict)
    answers: Mapping[str, Answer] = field(default_factory=dict)
    tasks: tuple[Task, ...] = ()
    events: tuple[Event, ...] = ()


# ---------------------------------------------------------------------------- the output


@dataclass(frozen=True)
class Warning:
    code: str
    message: str
    field: str = ""  # the input key, figure key or row that holds the problem


@dataclass(frozen=True)
class Line:
    """One row of the score table: an indicator, a subtotal, or a 履职效能 task or row."""

    code: str
    name: str
    level: int
    points: Decimal
    is_leaf: bool
    method: str | None = None
    judgement: bool = False  # the rule has no formula: computed is always None
    computed: Decimal | None = None
    claimed: Decimal | None = None
    reviewed: Decimal | None = None
    basis: str = ""
    warnings: tuple[Warning, ...] = ()
    reason: str = ""
    reviewed_reason: str = ""
    indicator: Indicator | None = None
    row: TargetRow | None = None

    @property
    def final(self) -> Decimal | None:
        return self.reviewed if self.reviewed is not None else self.claimed

    @property
    def counted_computed(self) -> Decimal:
        """What this line adds to the computed total: the rule's score; for a judgement,
        the claimed score; for a rule that could not be applied (an input missing), 0."""
        if self.computed is not None:
            return self.computed
        if self.judgement and self.claimed is not None:
            return self.claimed
        return Decimal(0)


@dataclass(frozen=True)
class Totals:
    computed: Decimal
    claimed: Decimal
    reviewed: Decimal | None
    final: Decimal


@dataclass(frozen=True)
class ScoreSheet:
    rubric: Rubric
    lines: tuple[Line, ...]
    totals: Totals
    grade: str

    def line(self, code: str) -> Line:
        for ln in self.lines:
            if ln.code == code:
                return ln
        raise KeyError(code)

    @property
    def warnings(self) -> list[tuple[Line, Warning]]:
        return [(ln, w) for ln in self.lines for w in ln.warnings]
