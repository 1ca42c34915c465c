"""The scoring engine: a rubric version and an evaluation's inputs in, a ScoreSheet out.

Pure Python and Decimal; no Django. For every leaf it gives the computed score (None where the
rule is a judgement or cannot be applied), the claimed score (自评分, defaulting to computed),
the reviewed score (复核分), the 评分依据 and the warnings; subtotals at every level; totals.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from . import fmt
from .expr import MissingInput, ZeroDivisionInExpr
from .methods import METHODS, ROW_METHOD, DataEnv, Result, row_scoring, score_row
from .rounding import Rounding
from .spec import Answer, Indicator, Line, Rubric, ScoreSheet, ScoringInput, Totals, Warning

ZERO = Decimal(0)


def score(rubric: Rubric, data: ScoringInput) -> ScoreSheet:
    sections = rubric.target_sections()
    first = sections[0].code if sections else ""
    tasks = tuple(t if t.section else replace(t, section=first) for t in data.tasks)
    data = replace(
        data,
        tasks=tasks,
        labels={i.key: i.label for i in rubric.inputs},
        sections={leaf.code: leaf for leaf in sections},
    )
    values = derived_values(rubric, data)
    data = replace(data, figures=values)
    lines: list[Line] = []
    top: list[Line] = []
    for node in rubric.indicators:
        node_lines = _node(node, data, rubric.rounding)
        top.append(node_lines[0])
        lines.extend(node_lines)
    leaves = [ln for ln in lines if ln.is_leaf and ln.row is None]
    rows = [ln for ln in lines if ln.row is not None]
    missing = [ln for ln in (*leaves, *rows) if ln.missing]
    judged = [ln for ln in leaves if ln.judgement]
    totals = Totals(
        computed=_sum(ln.counted_computed for ln in top),
        claimed=_sum(ln.claimed or ZERO for ln in top),
        reviewed=_sum(ln.final or ZERO for ln in top)
        if any(ln.reviewed is not None for ln in top)
        else None,
        final=_sum(ln.final or ZERO for ln in top),
        missing_count=len(missing),
        missing_points=_sum(ln.claimed or ZERO for ln in missing),
        judgement_count=len(judged),
        judgement_points=_sum(ln.claimed or ZERO for ln in judged),
    )
    return ScoreSheet(
        rubric=rubric,
        lines=tuple(lines),
        totals=totals,
        grade=rubric.grade(totals.final),
        values=values,
        header=header_values(rubric, data),
    )


def header_values(rubric: Rubric, data: ScoringInput) -> tuple[tuple[Decimal | None, ...], ...]:
    """The header table (rubric.header): each cell's formula over the inputs, or a row that
    is one row ÷ another × 100% column by column; amounts to 2 places, rates by the rubric."""
    table = rubric.header
    if table is None:
        return ()
    r = rubric.rounding
    env = DataEnv(data, r)
    rows: list[tuple[Decimal | None, ...]] = []
    for row in table.rows:
        if row.ratio is not None:
            num, den = rows[row.ratio[0]], rows[row.ratio[1]]
            values = tuple(
                r.percent(a, b) if a is not None and b else None
                for a, b in zip(num, den, strict=True)
            )
        else:
            values = []
            for column, cell in zip(table.columns, row.cells, strict=True):
                try:
                    v = cell.evaluate(env)
                except (MissingInput, ZeroDivisionInExpr):
                    v = None
                if isinstance(v, Decimal):
                    unit = column.unit or row.unit
                    v = r.rate(v) if unit == "%" else Rounding._q(v, 2, "half_up")
                values.append(v if isinstance(v, Decimal) else None)
            values = tuple(values)
        rows.append(values)
    return tuple(rows)


def derived_values(rubric: Rubric, data: ScoringInput) -> dict[str, object]:
    """The inputs with the derived ones computed (in the loader's dependency order); a derived
    input whose formula lacks an input (or divides by zero) has no value."""
    values: dict[str, object] = dict(data.figures)
    derived = [i for i in rubric.inputs if i.derived]
    if not derived:
        return values
    r = rubric.rounding
    env = DataEnv(replace(data, figures=values), r)
    for spec in derived:
        try:
            value = spec.formula.evaluate(env)
        except (MissingInput, ZeroDivisionInExpr):
            value = None
        if isinstance(value, Decimal):  # a rate by the rubric's rule for rates
            mode = (r.rate_mode or r.mode) if spec.is_rate else r.mode
            value = Rounding._q(value, spec.decimals, mode)
        values[spec.key] = value
    return values


def _sum(values) -> Decimal:
    return sum(values, ZERO)


def _node(ind: Indicator, data: ScoringInput, r: Rounding) -> list[Line]:
    """The lines of one indicator: its own line first, then its descendants'. An indicator's
    own `rounding` applies to it and the indicators under it."""
    r = ind.rounding or r
    if ind.is_leaf and ind.method == ROW_METHOD:
        return _rows_lines(ind, data, r)
    if ind.is_leaf:
        method = METHODS[ind.method or "manual"]
        result = method.score(ind, data, r)
        answer = data.answers.get(ind.code, Answer())
        return [
            _leaf(
                code=ind.code,
                name=ind.name,
                level=ind.level,
                points=ind.points,
                result=result,
                answer=answer,
                judgement=method.judgement,
                minimum=method.min_score(ind),
                method=ind.method,
                indicator=ind,
            )
        ]
    below: list[Line] = []
    children: list[Line] = []
    for child in ind.children:
        child_lines = _node(child, data, r)
        children.append(child_lines[0])
        below.extend(child_lines)
    return [_subtotal(ind.code, ind.name, ind.level, ind.points, children, indicator=ind), *below]


def _leaf(
    *,
    code: str,
    name: str,
    level: int,
    points: Decimal,
    result: Result,
    answer: Answer,
    judgement: bool,
    minimum: Decimal,
    method: str | None,
    indicator: Indicator | None = None,
    row=None,
) -> Line:
    warnings = list(result.warnings)
    computed = result.computed
    claimed = answer.claimed if answer.claimed is not None else computed
    reason = answer.reason.strip()
    if claimed is None:
        if judgement:
            warnings.append(Warning("not_scored", "尚未填写自评分", "claimed"))
    elif not minimum <= claimed <= points:
        warnings.append(
            Warning(
                "out_of_range",
                f"自评分{fmt.num(claimed)}超出范围（{fmt.num(minimum)}～{fmt.num(points)}）",
                "claimed",
            )
        )
    if judgement and answer.claimed is not None and not reason:
        warnings.append(Warning("reason_required", "人工评分须填写评分理由", "reason"))
    if computed is not None and claimed is not None and claimed != computed:
        warnings.append(
            Warning(
                "claimed_differs",
                f"自评分{fmt.num(claimed)}与按规则计算的得分{fmt.num(computed)}不一致",
                "claimed",
            )
        )
        if not reason:
            warnings.append(
                Warning("reason_required", "自评分与计算得分不一致，须填写理由", "reason")
            )
    reviewed = answer.reviewed
    if reviewed is not None and not minimum <= reviewed <= points:
        warnings.append(
            Warning(
                "out_of_range",
                f"复核分{fmt.num(reviewed)}超出范围（{fmt.num(minimum)}～{fmt.num(points)}）",
                "reviewed",
            )
        )
    basis = result.basis
    if judgement and reason:
        basis = f"人工评分。理由：{reason}"
    return Line(
        code=code,
        name=name,
        level=level,
        points=points,
        is_leaf=True,
        method=method,
        judgement=judgement,
        computed=computed,
        claimed=claimed,
        reviewed=reviewed,
        basis=basis,
        warnings=tuple(warnings),
        reason=reason,
        reviewed_reason=answer.reviewed_reason,
        indicator=indicator,
        row=row,
        missing=computed is None and not judgement,
        min_score=minimum,
    )


def _subtotal(
    code: str,
    name: str,
    level: int,
    points: Decimal,
    children: list[Line],
    *,
    indicator: Indicator | None = None,
    warnings: tuple[Warning, ...] = (),
    is_leaf: bool = False,
) -> Line:
    any_reviewed = any(c.reviewed is not None for c in children)
    return Line(
        code=code,
        name=name,
        level=level,
        points=points,
        is_leaf=is_leaf,
        computed=_sum(c.counted_computed for c in children),
        claimed=_sum(c.claimed or ZERO for c in children),
        reviewed=_sum(c.final or ZERO for c in children) if any_reviewed else None,
        warnings=warnings,
        indicator=indicator,
    )


def _rows_lines(ind: Indicator, data: ScoringInput, r: Rounding) -> list[Line]:
    """A target-rows section: under the rubric's leaf, one line per task (二级) and per row
    (三级) with `layout: tasks`; one line per row with `layout: rows`. Only the tasks whose
    `section` is this leaf's code belong to it."""
    scoring = row_scoring(ind.params)
    grades = tuple(ind.params.get("grades") or ())
    flat = ind.params.get("layout", "tasks") == "rows"
    tasks = [t for t in data.tasks if t.section == ind.code]
    word = ind.params.get("row_label") or ind.name

    def row_line(code: str, level: int, row) -> Line:
        return _leaf(
            code=code,
            name=row.name,
            level=level,
            points=row.points,
            result=score_row(row, scoring, r, grades),
            answer=Answer(
                claimed=row.claimed,
                reason=row.reason,
                reviewed=row.reviewed,
                reviewed_reason=row.reviewed_reason,
            ),
            judgement=False,
            minimum=ZERO,
            method="target_row",
            row=row,
        )

    below: list[Line] = []
    counted: list[Line] = []
    if flat:
        rows = [row for task in tasks for row in task.rows]
        for i, row in enumerate(rows, start=1):
            line = row_line(f"{ind.code}.{i}", ind.level + 1, row)
            counted.append(line)
            below.append(line)
        points = _sum(row.points for row in rows)
        empty = not rows
    else:
        for t, task in enumerate(tasks, start=1):
            row_lines = [
                row_line(f"{ind.code}.{t}.{i}", ind.level + 2, row)
                for i, row in enumerate(task.rows, start=1)
            ]
            task_line = _subtotal(
                f"{ind.code}.{t}", task.name, ind.level + 1, task.points, row_lines
            )
            counted.append(task_line)
            below.extend([task_line, *row_lines])
        points = _sum(t.points for t in tasks)
        empty = not tasks
    warnings: list[Warning] = []
    if empty:
        warnings.append(Warning("input_missing", f"尚未填写{word}的任务及指标", "tasks"))
    elif points != ind.points:
        warnings.append(
            Warning(
                "points_mismatch",
                f"{word}各指标分值合计{fmt.num(points)}，应为{fmt.num(ind.points)}",
                "tasks",
            )
        )
    own = _subtotal(
        ind.code,
        ind.name,
        ind.level,
        ind.points,
        counted,
        indicator=ind,
        warnings=tuple(warnings),
    )
    return [own, *below]
