"""Plain, immutable data: a rubric version's indicator tree, the engine's input, its output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from .rounding import Rounding

# ---------------------------------------------------------------------------- the rubric

UNIT_TYPES = {"text": "text", "date": "date", "yes/no": "bool"}  # other units are numbers


@dataclass(frozen=True)
class InputSpec:
    """One figure or fact an evaluation under this rubric holds, declared by the rubric file."""

    key: str
    label: str
    unit: str = "万元"  # 万元, 元, %, 个/次/件/人…, text, date, yes/no
    decimals: int = 2
    minimum: Decimal | None = Decimal(0)
    maximum: Decimal | None = None
    source: str = "department"  # department | finance_bureau | derived
    formula: Any = None  # rubric.expr.Expr for a derived input
    group: str = ""
    required: bool = True
    help: str = ""
    data_source: str = ""  # e.g. 财决01-1表
    carry_over: bool = False  # copied from the previous year's evaluation when a round opens

    @property
    def type(self) -> str:
        """number, text, date or bool."""
        return UNIT_TYPES.get(self.unit, "number")

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"

    @property
    def derived(self) -> bool:
        return self.source == "derived"


@dataclass(frozen=True)
class InputGroup:
    key: str
    title: str
    help: str = ""


@dataclass(frozen=True)
class Check:
    """A consistency rule: an assertion over inputs, with a message and a severity."""

    key: str
    expr: Any  # rubric.expr.Expr, boolean
    message: str
    severity: str = "warning"  # blocking | warning
    tolerance: Decimal = Decimal(0)
    field: str = ""  # the input the finding is shown next to
    when: Any = None  # rubric.expr.Expr, boolean; the rule applies only where it holds


@dataclass(frozen=True)
class HeaderColumn:
    label: str
    group: str = ""  # a heading over consecutive columns with the same group ("" = none)
    unit: str = ""  # overrides the row's unit for this column (e.g. a 执行率 column)


@dataclass(frozen=True)
class HeaderRow:
    label: str
    unit: str = "万元"  # 万元 (2 decimals) or % (the rubric's rate rounding)
    cells: tuple[Any, ...] = ()  # one rubric.expr.Expr per column
    ratio: tuple[int, int] | None = None  # or: row a ÷ row b × 100% (0-based row indexes)
    highlight: bool = False


@dataclass(frozen=True)
class HeaderTable:
    """The figures block at the head of the 自评表 (e.g. 年度部门整体支出规模 by source,
    structure and level with 完成率), computed by the engine: ScoreSheet.header."""

    title: str
    columns: tuple[HeaderColumn, ...]
    rows: tuple[HeaderRow, ...]
    note: str = ""

    def column_groups(self) -> list[tuple[str, int]]:
        """Consecutive columns under one group: [(group, count)…]; "" for ungrouped."""
        out: list[tuple[str, int]] = []
        for c in self.columns:
            if out and c.group and out[-1][0] == c.group:
                out[-1] = (c.group, out[-1][1] + 1)
            else:
                out.append((c.group, 1))
        return out


@dataclass(frozen=True)
class ReportSection:
    """One text the department writes for the 自评报告, with where it is printed and the
    generated paragraphs (templates filled from the inputs and results) around it."""

    key: str
    chapter: str  # e.g. 一、基本情况
    heading: str  # e.g. （一）部门概况 ("" = none; a heading repeated is printed once)
    title: str  # the label on the form, e.g. 部门概况
    help: str = ""
    required: bool = True
    step: str = "report"  # the filing step it is written on: basic | report
    carry_over: bool = False  # copied from the previous year when a round opens (basic: true)
    sub: str = ""  # a sub-heading printed above it, e.g. 1、预算编制管理
    lead: str = ""  # printed before the typed text when there is some, e.g. 其主要职责是：
    before: tuple[str, ...] = ()  # generated paragraphs (templates) before the typed text
    after: tuple[str, ...] = ()  # … and after it


@dataclass(frozen=True)
class ReportSpec:
    title: str = "{department}{year}年{evaluation_name}报告"
    sections: tuple[ReportSection, ...] = ()
    annex: str = "{evaluation_name}表。"  # the last chapter's text (五、附件); "" = none
    annex_title: str = "五、附件"


@dataclass(frozen=True)
class Step:
    """One step of the filing wizard. `key` names the page: basic (单位信息 and the basic
    report texts), figures (the inputs), management (the indicators the department answers),
    duty (the target rows and the year's goal), report (the report texts), review."""

    key: str
    title: str
    help: str = ""
    groups: tuple[str, ...] = ()  # figures: the input groups shown, in order; () = all


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
    rounding: Rounding | None = None  # this indicator's own rule, else the rubric's

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
    kind: str = "department"  # department (部门整体) | project (项目支出)
    total: Decimal = Decimal(100)
    inputs: tuple[InputSpec, ...] = ()
    input_groups: tuple[InputGroup, ...] = ()
    checks: tuple[Check, ...] = ()
    header: HeaderTable | None = None
    report: ReportSpec = field(default_factory=ReportSpec)
    steps: tuple[Step, ...] = ()

    @cached_property
    def used_inputs(self) -> frozenset[str]:
        """The inputs something uses: a scoring method, a derived input's formula, the header
        table, a report template or a check. The others are not asked for."""
        from . import templates
        from .methods import METHODS

        used: set[str] = set()
        for leaf in self.leaves():
            if leaf.method in METHODS:
                used.update(METHODS[leaf.method].inputs(leaf.params))
        for i in self.inputs:
            if i.formula is not None:
                used.update(i.formula.names())
        if self.header is not None:
            for row in self.header.rows:
                for cell in row.cells:
                    used.update(cell.names())
        for section in self.report.sections:
            for text in (*section.before, *section.after):
                used.update(templates.names(text))
        used.update(templates.names(self.report.title))
        for check in self.checks:
            for expr in (getattr(check, "expr", None), getattr(check, "when", None)):
                if expr is not None and hasattr(expr, "names"):
                    used.update(expr.names())
        return frozenset(used)

    @property
    def notified_input(self) -> InputSpec | None:
        """The rate the finance bureau notifies (the first finance-bureau input in %), which
        the review page and the notified-data import set; None where the rubric has none."""
        return next((i for i in self.inputs if i.source == "finance_bureau" and i.is_rate), None)

    @property
    def bonus_penalty_per_event(self) -> Decimal | None:
        """Points per 受表彰/受批评 event, where the rubric has a bonus_penalty leaf."""
        leaf = self.leaf_with_method("bonus_penalty")
        return Decimal(str(leaf.params["per_event"])) if leaf is not None else None

    @property
    def evaluation_name(self) -> str:
        """部门整体支出绩效自评 or 项目支出绩效自评: the words for titles and file names."""
        return "项目支出绩效自评" if self.kind == "project" else "部门整体支出绩效自评"

    def input(self, key: str) -> InputSpec | None:
        return next((i for i in self.inputs if i.key == key), None)

    @property
    def inputs_by_key(self) -> dict[str, InputSpec]:
        return {i.key: i for i in self.inputs}

    def target_sections(self) -> list[Indicator]:
        """The leaves whose rows the department enters (target_rows), in tree order."""
        return [n for n in self.leaves() if n.method == "target_rows"]

    def walk(self):
        for node in self.indicators:
            yield from node.walk()

    def leaves(self) -> list[Indicator]:
        return [n for n in self.walk() if n.is_leaf]

    def find(self, code: str) -> Indicator | None:
        return next((n for n in self.walk() if n.code == code), None)

    def leaf_with_method(self, method: str) -> Indicator | None:
        """The first leaf scored by `method` (None where there is none)."""
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
    operator: str = ">="  # >= <= = > < between, date (on or before), text (qualitative)
    target_value: Decimal | None = None
    target_text: str = ""
    unit: str = ""
    actual_value: Decimal | None = None
    actual_text: str = ""
    achieved: bool | None = None  # the filer's judgement, used where no numbers compare
    target_max: Decimal | None = None  # upper bound of a `between` target
    target_date: Any = None  # datetime.date: a date target ("9月底前")
    actual_date: Any = None
    initial_target_text: str = ""  # 年初指标值, where it was adjusted during the year
    core: bool = False  # 核心指标
    grade: str = ""  # the chosen grade key where the section scores rows by coefficient
    key: str = ""  # stable identity of the row (judgements attach to it)
    claimed: Decimal | None = None
    reason: str = ""
    reviewed: Decimal | None = None
    reviewed_reason: str = ""


@dataclass(frozen=True)
class Task:
    """A 履职效能 task (二级指标) and its indicator rows (三级指标)."""

    name: str
    rows: tuple[TargetRow, ...] = ()
    section: str = ""  # the code of the target_rows leaf it belongs to ("" = the first)
    key: str = ""

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
    labels: Mapping[str, str] = field(default_factory=dict)  # input key -> label (engine)
    sections: Mapping[str, Any] = field(default_factory=dict)  # code -> target_rows leaf (engine)


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
    missing: bool = False  # the rule could not be applied: an input is missing
    rate: Decimal | None = None  # the rate the rule computed, where it has one
    min_score: Decimal = Decimal(0)

    @property
    def final(self) -> Decimal | None:
        return self.reviewed if self.reviewed is not None else self.claimed

    @property
    def counted_computed(self) -> Decimal:
        """What this line adds to the computed total: the rule's score; where the rule is a
        judgement or could not be applied (an input missing), the claimed score — the totals
        say how many such lines there are (Totals.missing_count, judgement_count)."""
        if self.computed is not None:
            return self.computed
        return self.claimed if self.claimed is not None else Decimal(0)


@dataclass(frozen=True)
class Totals:
    computed: Decimal
    claimed: Decimal
    reviewed: Decimal | None
    final: Decimal
    missing_count: int = 0  # leaves whose rule lacked an input: counted at their claimed score
    missing_points: Decimal = Decimal(0)  # … and the claimed score they add
    judgement_count: int = 0  # leaves scored by judgement
    judgement_points: Decimal = Decimal(0)

    @property
    def coverage_text(self) -> str:
        parts = []
        if self.missing_count:
            parts.append(
                f"其中 {self.missing_count} 项缺少数据，按自评分计，共 {self.missing_points:.2f} 分"
            )
        if self.judgement_count:
            parts.append(
                f"{self.judgement_count} 项为人工评分，按自评分计，共 {self.judgement_points:.2f} 分"
            )
        return "；".join(parts)


@dataclass(frozen=True)
class ScoreSheet:
    rubric: Rubric
    lines: tuple[Line, ...]
    totals: Totals
    grade: str
    values: Mapping[str, Any] = field(default_factory=dict)  # every input, derived ones included
    # the header table's values, row by row (rubric.header), None where a value is missing
    header: tuple[tuple[Decimal | None, ...], ...] = ()

    def line(self, code: str) -> Line:
        for ln in self.lines:
            if ln.code == code:
                return ln
        raise KeyError(code)

    @property
    def warnings(self) -> list[tuple[Line, Warning]]:
        return [(ln, w) for ln in self.lines for w in ln.warnings]
