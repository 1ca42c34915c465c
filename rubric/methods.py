"""Scoring methods: each turns a leaf indicator's parameters and an evaluation's inputs into a
computed score and its 评分依据 text.

A method also states which parameters it takes (checked by the loader) and which figures it
reads (checked against the input catalogue). Adding a rubric from another jurisdiction means a
new data file, and at most a new method here; never a branch on the jurisdiction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from . import fmt
from .inputs import BY_KEY as FIGURES
from .rounding import HUNDRED, Rounding
from .spec import Indicator, ScoringInput, TargetRow, Task, Warning

ZERO = Decimal(0)
OPERATORS = {">=": "≥", "<=": "≤", "=": "＝"}
OPERATOR_WORDS = {">=": "不少于", "<=": "不超过", "=": "等于"}


@dataclass
class Result:
    computed: Decimal | None
    basis: str = ""
    warnings: list[Warning] = field(default_factory=list)


class ParamError(ValueError):
    """A parameter of a method is missing or of the wrong kind (the loader names the node)."""


# ---------------------------------------------------------------------------- helpers


def _dec(params: Mapping[str, Any], key: str, *, default: Decimal | None = None) -> Decimal:
    value = params.get(key, default)
    if value is None:
        raise ParamError(f"缺少参数 {key}")
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ParamError(f"参数 {key} 应为数值")
    return Decimal(value)


def _str(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise ParamError(f"缺少参数 {key}")
    return value


def _keys(params: Mapping[str, Any], key: str) -> list[str]:
    value = params.get(key)
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise ParamError(f"参数 {key} 应为一个或多个输入项名称")
    return keys


class Figures:
    """Reads figures for one leaf, collecting a warning for each missing or negative one."""

    def __init__(self, data: ScoringInput) -> None:
        self.data = data
        self.warnings: list[Warning] = []

    def get(self, key: str) -> Decimal | None:
        value = self.data.figures.get(key)
        label = FIGURES[key].label
        if value is None:
            self.warnings.append(Warning("input_missing", f"缺少输入：{label}", key))
            return None
        if value < 0:
            self.warnings.append(Warning("out_of_range", f"{label}不应为负数：{value}", key))
            return None
        return value

    def sum(self, keys: list[str]) -> Decimal | None:
        values = [self.get(k) for k in keys]
        if any(v is None for v in values):
            return None
        return sum(values, ZERO)  # type: ignore[arg-type]

    def text(self, keys: list[str]) -> str:
        values = [fmt.amount(self.data.figures[k] or ZERO) for k in keys]
        return values[0] if len(values) == 1 else "(" + "+".join(values) + ")"


def _ratio(
    fig: Figures, r: Rounding, label: str, num_keys: list[str], den_keys: list[str]
) -> tuple[Decimal | None, str]:
    """label＝a÷b×100%＝x%, with warnings for a missing input or a zero denominator."""
    num, den = fig.sum(num_keys), fig.sum(den_keys)
    if num is None or den is None:
        return None, ""
    if den == 0:
        names = "、".join(FIGURES[k].label for k in den_keys)
        fig.warnings.append(
            Warning("zero_denominator", f"{label}的分母（{names}）为零", den_keys[0])
        )
        return None, ""
    value = r.percent(num, den)
    return value, f"{label}＝{fig.text(num_keys)}÷{fig.text(den_keys)}×100%＝{fmt.rate(value)}"


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


# ---------------------------------------------------------------------------- the methods


class Method:
    name: ClassVar[str]
    label: ClassVar[str]
    judgement: ClassVar[bool] = False
    params: ClassVar[frozenset[str]] = frozenset()  # the parameter names it takes

    def check(self, params: Mapping[str, Any], points: Decimal) -> None:
        """Raise ParamError if the parameters are not what this method takes."""

    def inputs(self, params: Mapping[str, Any]) -> list[str]:
        return []

    def min_score(self, ind: Indicator) -> Decimal:
        return ZERO

    def score(self, ind: Indicator, data: ScoringInput, r: Rounding) -> Result:
        raise NotImplementedError


class LinearBand(Method):
    """Rate between floor and ceiling scores linearly; below the floor 0; at the ceiling full."""

    name = "linear_band"
    label = "区间线性计分"
    params: ClassVar[frozenset[str]] = frozenset(
        {"label", "numerator", "denominator", "floor", "ceiling"}
    )

    def check(self, params, points):
        _str(params, "label")
        _keys(params, "numerator")
        _keys(params, "denominator")
        if not _dec(params, "floor") < _dec(params, "ceiling"):
            raise ParamError("floor 应小于 ceiling")

    def inputs(self, params):
        return _keys(params, "numerator") + _keys(params, "denominator")

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        rate, text = _ratio(fig, r, p["label"], _keys(p, "numerator"), _keys(p, "denominator"))
        if rate is None:
            return Result(None, "", fig.warnings)
        floor, ceiling = _dec(p, "floor"), _dec(p, "ceiling")
        if rate >= ceiling:
            return Result(ind.points, f"{text}；≥{fmt.num(ceiling)}%，得满分{fmt.num(ind.points)}")
        if rate < floor:
            return Result(ZERO, f"{text}；低于{fmt.num(floor)}%，不得分")
        value = r.score((rate - floor) / (ceiling - floor) * ind.points)
        return Result(
            value,
            f"{text}；得分＝({fmt.rate(rate)}−{fmt.num(floor)}%)÷({fmt.num(ceiling)}%−"
            f"{fmt.num(floor)}%)×{fmt.num(ind.points)}＝{fmt.num(value)}",
        )


class StepDeduction(Method):
    """|actual − budget| ÷ budget; full at 0, minus `deduction` for each started `step` %."""

    name = "step_deduction"
    label = "逐档扣分"
    params: ClassVar[frozenset[str]] = frozenset({"label", "actual", "budget", "step", "deduction"})

    def check(self, params, points):
        _str(params, "label")
        _str(params, "actual")
        _str(params, "budget")
        if _dec(params, "step") <= 0 or _dec(params, "deduction") <= 0:
            raise ParamError("step 与 deduction 应为正数")

    def inputs(self, params):
        return [params["actual"], params["budget"]]

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        actual, budget = fig.get(p["actual"]), fig.get(p["budget"])
        if actual is None or budget is None:
            return Result(None, "", fig.warnings)
        if budget == 0:
            fig.warnings.append(Warning("zero_denominator", f"{p['label']}的分母为零", p["budget"]))
            return Result(None, "", fig.warnings)
        rate = r.percent(abs(actual - budget), budget)
        step, deduction = _dec(p, "step"), _dec(p, "deduction")
        steps = math.ceil(rate / step)
        value = r.score(max(ZERO, ind.points - steps * deduction))
        text = (
            f"{p['label']}＝|{fmt.amount(actual)}−{fmt.amount(budget)}|÷{fmt.amount(budget)}"
            f"×100%＝{fmt.rate(rate)}"
        )
        if steps == 0:
            return Result(ind.points, f"{text}；差异率为0，得满分{fmt.num(ind.points)}")
        return Result(
            value,
            f"{text}；每{fmt.num(step)}%（含）扣{fmt.num(deduction)}分，共{steps}档，"
            f"得分＝max(0，{fmt.num(ind.points)}−{steps}×{fmt.num(deduction)})＝{fmt.num(value)}",
        )


_BAND_OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}
_BAND_SIGNS = {">=": "≥", ">": "＞", "<=": "≤", "<": "＜"}


class Bands(Method):
    """A rate checked against bands in order; the first band it meets gives the score."""

    name = "bands"
    label = "分档计分"
    params: ClassVar[frozenset[str]] = frozenset(
        {"label", "numerator", "denominator", "bands", "otherwise", "max_rate"}
    )

    def check(self, params, points):
        _str(params, "label")
        _keys(params, "numerator")
        _keys(params, "denominator")
        bands = params.get("bands")
        if not isinstance(bands, list) or not bands:
            raise ParamError("缺少参数 bands")
        for band in bands:
            if not isinstance(band, dict) or band.get("op") not in _BAND_OPS:
                raise ParamError("bands 的每一档应有 op（>= > <= <）、bound 与 score")
            _dec(band, "bound")
            if not ZERO <= _dec(band, "score") <= points:
                raise ParamError(f"分档得分应在0到{points}之间")
        if not ZERO <= _dec(params, "otherwise", default=ZERO) <= points:
            raise ParamError(f"otherwise 应在0到{points}之间")
        if "max_rate" in params:
            _dec(params, "max_rate")

    def inputs(self, params):
        return _keys(params, "numerator") + _keys(params, "denominator")

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        rate, text = _ratio(fig, r, p["label"], _keys(p, "numerator"), _keys(p, "denominator"))
        if rate is None:
            return Result(None, "", fig.warnings)
        if "max_rate" in p and rate > _dec(p, "max_rate"):
            fig.warnings.append(
                Warning(
                    "out_of_range",
                    f"{p['label']}{fmt.rate(rate)}超过{fmt.num(_dec(p, 'max_rate'))}%，请核对数据",
                    _keys(p, "numerator")[0],
                )
            )
        for band in p["bands"]:
            if _BAND_OPS[band["op"]](rate, _dec(band, "bound")):
                value = _dec(band, "score")
                cond = f"{fmt.rate(rate)}{_BAND_SIGNS[band['op']]}{fmt.num(_dec(band, 'bound'))}%"
                return Result(value, f"{text}；{cond}，得{fmt.num(value)}分", fig.warnings)
        value = _dec(p, "otherwise", default=ZERO)
        return Result(value, f"{text}；不满足各档条件，得{fmt.num(value)}分", fig.warnings)


class Proportional(Method):
    """Rate × points, never above full; 0 where the actual exceeds the plan."""

    name = "proportional"
    label = "按比例计分"
    params: ClassVar[frozenset[str]] = frozenset(
        {"label", "numerator", "denominator", "zero_if_over"}
    )

    def check(self, params, points):
        _str(params, "label")
        _str(params, "numerator")
        _str(params, "denominator")
        if not isinstance(params.get("zero_if_over", False), bool):
            raise ParamError("zero_if_over 应为 true 或 false")

    def inputs(self, params):
        return [params["numerator"], params["denominator"]]

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        rate, text = _ratio(fig, r, p["label"], [p["numerator"]], [p["denominator"]])
        if rate is None:
            return Result(None, "", fig.warnings)
        if p.get("zero_if_over") and rate > HUNDRED:
            return Result(ZERO, f"{text}；实际金额大于计划金额，本项不得分")
        value = r.score(min(rate, HUNDRED) / HUNDRED * ind.points)
        return Result(
            value,
            f"{text}；得分＝{fmt.rate(min(rate, HUNDRED))}×{fmt.num(ind.points)}＝{fmt.num(value)}",
        )


class ExternalRate(Method):
    """A rate notified by the finance bureau × points; full at 100% or more."""

    name = "external_rate"
    label = "通报执行率计分"
    params: ClassVar[frozenset[str]] = frozenset({"label", "rate"})

    def check(self, params, points):
        _str(params, "label")
        key = _str(params, "rate")
        if key in FIGURES and FIGURES[key].kind != "rate":
            raise ParamError(f"输入项 {key} 不是比率")

    def inputs(self, params):
        return [params["rate"]]

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        rate = fig.get(p["rate"])
        if rate is None:
            return Result(None, "", fig.warnings)
        rate = r.rate(rate)
        text = f"{p['label']}（财政局通报）＝{fmt.rate(rate)}"
        if rate >= HUNDRED:
            return Result(ind.points, f"{text}；达到100%，得满分{fmt.num(ind.points)}")
        value = r.score(rate / HUNDRED * ind.points)
        return Result(
            value, f"{text}；得分＝{fmt.rate(rate)}×{fmt.num(ind.points)}＝{fmt.num(value)}"
        )


# ------------------------------------------------------------------ 履职效能 rows and their ratio


def row_met(row: TargetRow) -> bool | None:
    """Whether a 履职效能 row meets its target: by its numbers where both are given,
    else by the filer's 已完成 tick; None while neither is known."""
    if row.target_value is not None and row.actual_value is not None:
        a, t = row.actual_value, row.target_value
        return {">=": a >= t, "<=": a <= t, "=": a == t}[row.operator]
    return row.achieved


def _row_numbers(row: TargetRow) -> str:
    sign = OPERATORS.get(row.operator, row.operator)
    target = f"{sign}{fmt.num(row.target_value)}{row.unit}" if row.target_value is not None else ""
    actual = f"{fmt.num(row.actual_value)}{row.unit}" if row.actual_value is not None else ""
    parts = []
    if target:
        parts.append(f"目标{target}")
    if actual:
        parts.append(f"实际{actual}")
    return "，".join(parts)


def score_row(row: TargetRow, partial: str, r: Rounding) -> Result:
    """Met gives full points; a numeric target not met gives points × actual ÷ target
    (target ÷ actual for a ≤ target) where the rubric's `partial` rule is proportional."""
    warnings: list[Warning] = []
    numbers = _row_numbers(row)
    met = row_met(row)
    numbers_given = row.target_value is not None and row.actual_value is not None
    if numbers_given and row.achieved is not None and row.achieved != met:
        warnings.append(
            Warning("achieved_conflict", f"“{row.name}”勾选的完成情况与实际完成值不符", "achieved")
        )
    if met is None:
        warnings.append(Warning("input_missing", f"“{row.name}”未填写实际完成情况", "actual_value"))
        return Result(None, numbers, warnings)
    prefix = f"{numbers}，" if numbers else ""
    if met:
        return Result(row.points, f"{prefix}已完成，得满分{fmt.num(row.points)}", warnings)
    a, t = row.actual_value, row.target_value
    if partial == "proportional" and a is not None and t is not None and row.operator != "=":
        if row.operator == ">=" and t > 0:
            value = r.score(_clamp(row.points * a / t, ZERO, row.points))
            formula = f"{fmt.num(row.points)}×{fmt.num(a)}÷{fmt.num(t)}"
        elif row.operator == "<=" and a > 0:
            value = r.score(_clamp(row.points * t / a, ZERO, row.points))
            formula = f"{fmt.num(row.points)}×{fmt.num(t)}÷{fmt.num(a)}"
        else:
            value, formula = ZERO, "0"
        return Result(value, f"{prefix}未完成，得分＝{formula}＝{fmt.num(value)}", warnings)
    return Result(ZERO, f"{prefix}未完成，不得分", warnings)


class DutyTargets(Method):
    """履职效能: the department's tasks and indicator rows, each row scored by score_row.
    The engine expands this leaf into one line per task and per row."""

    name = "duty_targets"
    label = "年度指标值对比实际完成值"
    params: ClassVar[frozenset[str]] = frozenset({"partial"})

    def check(self, params, points):
        if params.get("partial", "proportional") not in ("proportional", "zero"):
            raise ParamError("partial 应为 proportional 或 zero")

    def score(self, ind, data, r):  # the engine scores the rows; see engine._duty_lines
        raise NotImplementedError


class TargetRatio(Method):
    """绩效目标完成率 = rows met ÷ all rows, × points; counted from the 履职效能 rows."""

    name = "target_ratio"
    label = "目标完成率计分"
    params: ClassVar[frozenset[str]] = frozenset({"label"})

    def check(self, params, points):
        _str(params, "label")

    def score(self, ind, data, r):
        rows = [row for task in data.tasks for row in task.rows]
        label = ind.params["label"]
        if not rows:
            return Result(None, "", [Warning("input_missing", "尚未填写履职效能指标", "tasks")])
        states = [row_met(row) for row in rows]
        if None in states:
            n = states.count(None)
            return Result(
                None, "", [Warning("input_missing", f"有{n}项履职效能指标未填写完成情况", "tasks")]
            )
        met = states.count(True)
        rate = r.percent(Decimal(met), Decimal(len(rows)))
        value = r.score(rate / HUNDRED * ind.points)
        return Result(
            value,
            f"{label}＝已实现目标数÷申报目标数×100%＝{met}÷{len(rows)}×100%＝{fmt.rate(rate)}；"
            f"得分＝{fmt.rate(rate)}×{fmt.num(ind.points)}＝{fmt.num(value)}",
        )


# ---------------------------------------------------------------------------- judgements


class Checklist(Method):
    """Each criterion of the 评分标准 is an item with options and their scores (negative for
    a deduction); score = base + the chosen options, kept within 0 and the points."""

    name = "checklist"
    label = "逐项核对计分"
    params: ClassVar[frozenset[str]] = frozenset({"base", "items"})

    def check(self, params, points):
        if not ZERO <= _dec(params, "base", default=ZERO) <= points:
            raise ParamError(f"base 应在0到{points}之间")
        items = params.get("items")
        if not isinstance(items, list) or not items:
            raise ParamError("缺少参数 items")
        keys = set()
        for item in items:
            if not isinstance(item, dict):
                raise ParamError("items 的每一项应有 key、text 与 options")
            key = _str(item, "key")
            _str(item, "text")
            if key in keys:
                raise ParamError(f"核对项 {key} 重复")
            keys.add(key)
            options = item.get("options")
            if not isinstance(options, list) or len(options) < 2:
                raise ParamError(f"核对项 {key} 至少应有两个选项")
            option_keys = set()
            for option in options:
                if not isinstance(option, dict):
                    raise ParamError(f"核对项 {key} 的选项应有 key、label 与 score")
                option_keys.add(_str(option, "key"))
                _str(option, "label")
                _dec(option, "score")
            if len(option_keys) != len(options):
                raise ParamError(f"核对项 {key} 的选项重复")
        best = _dec(params, "base", default=ZERO) + sum(
            max(_dec(o, "score") for o in item["options"]) for item in items
        )
        if best != points:
            raise ParamError(f"各项最高分之和（{best}）与分值（{points}）不一致")

    def score(self, ind, data, r):
        p = ind.params
        answer = data.answers.get(ind.code)
        choices = answer.choices if answer else {}
        total = _dec(p, "base", default=ZERO)
        parts, missing = [], []
        for i, item in enumerate(p["items"], start=1):
            chosen = next(
                (o for o in item["options"] if o["key"] == choices.get(item["key"])), None
            )
            if chosen is None:
                missing.append(str(i))
                continue
            total += _dec(chosen, "score")
            parts.append(f"{i}.{chosen['label']}（{fmt.num(_dec(chosen, 'score'))}）")
        if missing:
            msg = f"评分标准第{'、'.join(missing)}项尚未选择"
            return Result(None, "", [Warning("input_missing", msg, "choices")])
        value = r.score(_clamp(total, ZERO, ind.points))
        base = _dec(p, "base", default=ZERO)
        start = f"基础分{fmt.num(base)}；" if base else ""
        return Result(value, f"{start}{'；'.join(parts)}；得分＝{fmt.num(value)}")


class BonusPenalty(Method):
    """±per_event for each bonus or penalty event, each side capped."""

    name = "bonus_penalty"
    label = "加减分"
    params: ClassVar[frozenset[str]] = frozenset({"per_event", "max_bonus", "max_penalty"})

    def check(self, params, points):
        for key in ("per_event", "max_bonus", "max_penalty"):
            if _dec(params, key) < 0:
                raise ParamError(f"{key} 不应为负数")
        if _dec(params, "max_bonus") > points:
            raise ParamError("加分上限不应超过分值")

    def min_score(self, ind):
        return -_dec(ind.params, "max_penalty")

    def score(self, ind, data, r):
        p = ind.params
        per = _dec(p, "per_event")
        bonus = sum(1 for e in data.events if e.kind == "bonus")
        penalty = sum(1 for e in data.events if e.kind == "penalty")
        plus = min(bonus * per, _dec(p, "max_bonus"))
        minus = min(penalty * per, _dec(p, "max_penalty"))
        value = r.score(plus - minus)
        if not bonus and not penalty:
            return Result(value, "未登记受表彰或批评事项，得分＝0")
        return Result(
            value,
            f"受表彰{bonus}项，加{fmt.num(plus)}分（上限{fmt.num(_dec(p, 'max_bonus'))}）；"
            f"受批评{penalty}项，扣{fmt.num(minus)}分（上限{fmt.num(_dec(p, 'max_penalty'))}）；"
            f"得分＝{fmt.num(value)}",
        )


class Manual(Method):
    """A judgement: the score is entered with a required reason; nothing is computed."""

    name = "manual"
    label = "人工评分"
    params: ClassVar[frozenset[str]] = frozenset()
    judgement = True

    def score(self, ind, data, r):
        return Result(None)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        LinearBand(),
        StepDeduction(),
        Bands(),
        Proportional(),
        ExternalRate(),
        DutyTargets(),
        TargetRatio(),
        Checklist(),
        BonusPenalty(),
        Manual(),
    )
}

__all__ = ["METHODS", "Method", "ParamError", "Result", "Task", "row_met", "score_row"]
