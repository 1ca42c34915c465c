"""The scoring engine: a rubric version and an evaluation's inputs in, a ScoreSheet out.

Pure Python and Decimal; no Django. For every leaf it gives the computed score (None where the
rule is a judgement or cannot be applied), the claimed score (自评分, defaulting to computed),
the reviewed score (复核分), the 评分依据 and the warnings; subtotals at every level; totals.
"""

from __future__ import annotations

from decimal import Decimal

from . import fmt
from .methods import METHODS, Result, score_row
from .rounding import Rounding
from .spec import Answer, Indicator, Line, Rubric, ScoreSheet, ScoringInput, Totals, Warning

ZERO = Decimal(0)


def score(rubric: Rubric, data: ScoringInput) -> ScoreSheet:
    lines: list[Line] = []
    top: list[Line] = []
    for node in rubric.indicators:
        node_lines = _node(node, data, rubric.rounding)
        top.append(node_lines[0])
        lines.extend(node_lines)
    totals = Totals(
        computed=_sum(ln.counted_computed for ln in top),
        claimed=_sum(ln.claimed or ZERO for ln in top),
        reviewed=_sum(ln.final or ZERO for ln in top)
        if any(ln.reviewed is not None for ln in top)
        else None,
        final=_sum(ln.final or ZERO for ln in top),
    )
    return ScoreSheet(
        rubric=rubric, lines=tuple(lines), totals=totals, grade=rubric.grade(totals.final)
    )


def _sum(values) -> Decimal:
    return sum(values, ZERO)


def _node(ind: Indicator, data: ScoringInput, r: Rounding) -> list[Line]:
    """The lines of one indicator: its own line first, then its descendants'."""
    if ind.is_leaf and ind.method == "duty_targets":
        return _duty_lines(ind, data, r)
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


def _duty_lines(ind: Indicator, data: ScoringInput, r: Rounding) -> list[Line]:
    """履职效能: one line per task (二级) and per indicator row (三级) under the rubric's leaf."""
    partial = ind.params.get("partial", "proportional")
    below: list[Line] = []
    task_lines: list[Line] = []
    for t, task in enumerate(data.tasks, start=1):
        row_lines = []
        for i, row in enumerate(task.rows, start=1):
            row_lines.append(
                _leaf(
                    code=f"{ind.code}.{t}.{i}",
                    name=row.name,
                    level=ind.level + 2,
                    points=row.points,
                    result=score_row(row, partial, r),
                    answer=Answer(
                        claimed=row.claimed,
                        reason=row.reason,
                        reviewed=row.reviewed,
                        reviewed_reason=row.reviewed_reason,
                    ),
                    judgement=False,
                    minimum=ZERO,
                    method="duty_row",
                    row=row,
                )
            )
        task_line = _subtotal(f"{ind.code}.{t}", task.name, ind.level + 1, task.points, row_lines)
        task_lines.append(task_line)
        below.extend([task_line, *row_lines])
    warnings: list[Warning] = []
    if not data.tasks:
        warnings.append(Warning("input_missing", "尚未填写履职效能任务及指标", "tasks"))
    else:
        total = _sum(t.points for t in data.tasks)
        if total != ind.points:
            warnings.append(
                Warning(
                    "points_mismatch",
                    f"履职效能各指标分值合计{fmt.num(total)}，应为{fmt.num(ind.points)}",
                    "tasks",
                )
            )
    own = _subtotal(
        ind.code,
        ind.name,
        ind.level,
        ind.points,
        task_lines,
        indicator=ind,
        warnings=tuple(warnings),
    )
    return [own, *below]
