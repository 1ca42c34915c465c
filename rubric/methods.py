"""Scoring methods: each turns a leaf indicator's parameters and an evaluation's inputs into a
computed score and its 评分依据 text.

A method also states which parameters it takes (`fields`: their shape, checked by the loader
and published in the JSON schema; `check`: what they must mean together) and which inputs it
reads (checked against the rubric's own `inputs`). Where a method takes a `rate`, it is a
formula (rubric/expr.py) over the inputs: a single input key is the simplest formula.
Adding a rubric from another jurisdiction means a new data file, never a branch on the
jurisdiction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from . import fmt
from .expr import Expr, MissingInput, ZeroDivisionInExpr, parse
from .rounding import HUNDRED, Rounding
from .schema import F
from .spec import Indicator, ScoringInput, TargetRow, Task, Warning

ZERO = Decimal(0)
OPERATORS = {">=": "≥", "<=": "≤", "=": "＝", ">": "＞", "<": "＜", "between": "介于"}
OPERATOR_WORDS = {
    ">=": "不少于",
    "<=": "不超过",
    "=": "等于",
    ">": "大于",
    "<": "小于",
    "between": "介于",
    "date": "不晚于",
    "text": "定性",
}
ROW_OPERATORS = tuple(OPERATOR_WORDS)


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

    def label(self, key: str) -> str:
        return self.data.labels.get(key, key)

    def get(self, key: str) -> Decimal | None:
        value = self.data.figures.get(key)
        label = self.label(key)
        if value is None:
            self.warnings.append(Warning("input_missing", f"缺少输入：{label}", key))
            return None
        if not isinstance(value, Decimal):
            self.warnings.append(Warning("out_of_range", f"{label}应为数值", key))
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

    def evaluate(self, expr: Expr, env: Any) -> Decimal | bool | None:
        """A formula's value, or None with a warning for each missing input or a zero
        denominator."""
        try:
            return expr.evaluate(env)
        except MissingInput as exc:
            for name in exc.names:
                self.warnings.append(
                    Warning("input_missing", f"缺少输入：{self.label(name)}", name)
                )
        except ZeroDivisionInExpr as exc:
            first = next(iter(sorted(expr.names())), "")
            self.warnings.append(
                Warning("zero_denominator", f"公式中的除数为零（{exc.text}）", first)
            )
        return None


class DataEnv:
    """The formula environment of one evaluation: its inputs by key (derived ones included) and
    the row aggregates of its target-row sections; `extra` adds names such as rate, points."""

    def __init__(
        self,
        data: ScoringInput,
        r: Rounding | None = None,
        sections: Mapping[str, Indicator] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.data, self.r, self.extra = data, r or Rounding(), extra or {}
        self.sections = sections if sections is not None else data.sections

    def value(self, name: str) -> Any:
        if name in self.extra:
            return self.extra[name]
        return self.data.figures.get(name)

    def rows(self, fn: str, section: str | None) -> Decimal:
        rows = [
            (task.section, row)
            for task in self.data.tasks
            if section is None or task.section == section
            for row in task.rows
        ]
        if fn == "ROWS":
            return Decimal(len(rows))
        if fn == "ROWPOINTS":
            return sum((row.points for _, row in rows), ZERO)
        if fn == "MET":
            states = [row_met(row) for _, row in rows]
            if None in states:
                raise MissingInput((f"MET({section or ''})",))
            return Decimal(states.count(True))
        total = ZERO  # ROWSCORE
        for code, row in rows:
            leaf = (self.sections or {}).get(code)
            scoring, grades = ("proportional", ())
            if leaf is not None:
                scoring, grades = row_scoring(leaf.params), tuple(leaf.params.get("grades") or ())
            result = score_row(row, scoring, self.r, grades)
            if result.computed is None:
                raise MissingInput((f"ROWSCORE({section or ''})",))
            total += result.computed
        return total


def _ratio(
    fig: Figures, r: Rounding, label: str, num_keys: list[str], den_keys: list[str]
) -> tuple[Decimal | None, str]:
    """label＝a÷b×100%＝x%, with warnings for a missing input or a zero denominator."""
    num, den = fig.sum(num_keys), fig.sum(den_keys)
    if num is None or den is None:
        return None, ""
    if den == 0:
        names = "、".join(fig.label(k) for k in den_keys)
        fig.warnings.append(
            Warning("zero_denominator", f"{label}的分母（{names}）为零", den_keys[0])
        )
        return None, ""
    value = r.percent(num, den)
    return (
        value,
        f"{label}＝{fig.text(num_keys)}÷{fig.text(den_keys)}×100%＝{fmt.rate(value, r.rate_places)}",
    )


def _rate(
    ind: Indicator, data: ScoringInput, fig: Figures, r: Rounding
) -> tuple[Decimal | None, str]:
    """The indicator's rate in percent and its text: from the `rate` formula where the rubric
    gives one, else numerator ÷ denominator × 100%."""
    p = ind.params
    label = p.get("label") or ind.name
    if "rate" not in p:
        return _ratio(fig, r, label, _keys(p, "numerator"), _keys(p, "denominator"))
    expr = formula(p["rate"])
    env = DataEnv(data, r)
    value = fig.evaluate(expr, env)
    if value is None:
        return None, ""
    value = r.rate(Decimal(value))
    shown = expr.render(env, data.labels)
    if len(expr.names()) == 1 and shown == fmt.num(Decimal(env.value(next(iter(expr.names()))))):
        return value, f"{label}＝{fmt.rate(value, r.rate_places)}"
    return value, f"{label}＝{shown}＝{fmt.rate(value, r.rate_places)}"


def _rate_inputs(params: Mapping[str, Any]) -> list[str]:
    if "rate" in params:
        return sorted(formula(params["rate"]).names())
    return _keys(params, "numerator") + _keys(params, "denominator")


def _check_rate(params: Mapping[str, Any]) -> None:
    if "rate" in params:
        if "numerator" in params or "denominator" in params:
            raise ParamError("rate 与 numerator/denominator 只能二选一")
        return
    _keys(params, "numerator")
    _keys(params, "denominator")


def formula(value: Any) -> Expr:
    """A parameter that is a formula: parsed by the loader; text (from code that builds an
    Indicator directly) is parsed here."""
    return value if isinstance(value, Expr) else parse(str(value))


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


# ---------------------------------------------------------------------------- over 100%

OVER_POLICIES = ("cap", "zero", "deduct")


def _check_over(params: Mapping[str, Any]) -> None:
    policy = params.get("over_policy", "cap")
    if policy not in OVER_POLICIES:
        raise ParamError("over_policy 应为 cap、zero 或 deduct")
    if policy == "deduct":
        if _dec(params, "over_step") <= 0 or _dec(params, "over_deduction") <= 0:
            raise ParamError("over_step 与 over_deduction 应为正数")
    elif "over_step" in params or "over_deduction" in params:
        raise ParamError("over_step、over_deduction 只用于 over_policy: deduct")


def _over(
    params: Mapping[str, Any], rate: Decimal, value: Decimal, r: Rounding
) -> tuple[Decimal, str]:
    """The score after the over-execution policy, and the sentence that says so ("" if none)."""
    if rate <= HUNDRED:
        return value, ""
    policy = params.get("over_policy", "cap")
    if policy == "zero":
        return ZERO, f"；{fmt.rate(rate, r.rate_places)}超过100%，本项不得分"
    if policy == "deduct":
        step, deduction = _dec(params, "over_step"), _dec(params, "over_deduction")
        steps = math.ceil((rate - HUNDRED) / step)
        after = r.score(max(ZERO, value - steps * deduction))
        return after, (
            f"；超过100%的部分每{fmt.num(step)}%（含）扣{fmt.num(deduction)}分，共{steps}档，"
            f"得分＝{fmt.num(value)}−{steps}×{fmt.num(deduction)}＝{fmt.num(after)}"
        )
    return value, ""


OVER_FIELDS = {
    "over_policy": F(
        "str",
        "执行率超过100%时：cap 按100%计（默认）、zero 不得分、deduct 扣分",
        enum=OVER_POLICIES,
    ),
    "over_step": F("number", "over_policy: deduct 时，超过100%的部分每多少个百分点为一档"),
    "over_deduction": F("number", "over_policy: deduct 时，每档扣多少分"),
}
RATE_FIELDS = {
    "label": F("str", "比率的名称，写入评分依据，如“预算执行率”"),
    "rate": F(
        "expr", "比率（百分数）的公式，如 final / budget * 100；与 numerator/denominator 二选一"
    ),
    "numerator": F("any", "分子：一个输入项，或多个输入项之和（列表）"),
    "denominator": F("any", "分母：一个输入项，或多个输入项之和（列表）"),
}


# ---------------------------------------------------------------------------- the methods


class Method:
    name: ClassVar[str]
    label: ClassVar[str]
    judgement: ClassVar[bool] = False
    fields: ClassVar[dict[str, F]] = {}  # the parameters it takes, their shape and meaning
    # parameters that are formulas (parsed by the loader), with the extra names they may use
    formulas: ClassVar[dict[str, tuple[str, ...]]] = {}

    @property
    def params(self) -> frozenset[str]:
        return frozenset(self.fields)

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
    fields: ClassVar[dict[str, F]] = {
        **RATE_FIELDS,
        "floor": F("number", "低于此比率（%）不得分", required=True),
        "ceiling": F("number", "达到此比率（%）得满分", required=True),
        **OVER_FIELDS,
    }
    formulas: ClassVar[dict[str, tuple[str, ...]]] = {"rate": ()}

    def check(self, params, points):
        _str(params, "label")
        _check_rate(params)
        _check_over(params)
        if not _dec(params, "floor") < _dec(params, "ceiling"):
            raise ParamError("floor 应小于 ceiling")

    def inputs(self, params):
        return _rate_inputs(params)

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        rate, text = _rate(ind, data, fig, r)
        if rate is None:
            return Result(None, "", fig.warnings)
        floor, ceiling = _dec(p, "floor"), _dec(p, "ceiling")
        if rate > HUNDRED and p.get("over_policy", "cap") != "cap":
            value, note = _over(p, rate, ind.points, r)
            return Result(value, f"{text}{note}", fig.warnings)
        if rate >= ceiling:
            return Result(ind.points, f"{text}；≥{fmt.num(ceiling)}%，得满分{fmt.num(ind.points)}")
        if rate < floor:
            return Result(ZERO, f"{text}；低于{fmt.num(floor)}%，不得分")
        value = r.score((rate - floor) / (ceiling - floor) * ind.points)
        return Result(
            value,
            f"{text}；得分＝({fmt.rate(rate, r.rate_places)}−{fmt.num(floor)}%)÷({fmt.num(ceiling)}%−"
            f"{fmt.num(floor)}%)×{fmt.num(ind.points)}＝{fmt.num(value)}",
        )


class StepDeduction(Method):
    """|actual − budget| ÷ budget; full at 0, minus `deduction` for each started `step` %."""

    name = "step_deduction"
    label = "逐档扣分"
    fields: ClassVar[dict[str, F]] = {
        "label": F("str", "差异率的名称，如“预算调整率”", required=True),
        "actual": F("str", "实际数的输入项", required=True),
        "budget": F("str", "基数（预算数）的输入项", required=True),
        "step": F("number", "每多少个百分点为一档", required=True),
        "deduction": F("number", "每档扣多少分", required=True),
    }

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
            f"×100%＝{fmt.rate(rate, r.rate_places)}"
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
    fields: ClassVar[dict[str, F]] = {
        **RATE_FIELDS,
        "bands": F(
            "list",
            "各档：op（>= > <= <）、bound（%）、score；按顺序取第一个满足的档",
            required=True,
            items="map",
        ),
        "otherwise": F("number", "不满足任何一档时的得分，默认0"),
        "max_rate": F("number", "比率超过此值（%）时提示核对数据"),
    }
    formulas: ClassVar[dict[str, tuple[str, ...]]] = {"rate": ()}

    def check(self, params, points):
        _str(params, "label")
        _check_rate(params)
        bands = params.get("bands")
        if not isinstance(bands, list) or not bands:
            raise ParamError("缺少参数 bands")
        for i, band in enumerate(bands):
            if not isinstance(band, dict) or band.get("op") not in _BAND_OPS:
                raise ParamError(f"bands[{i}] 应有 op（>= > <= <）、bound 与 score")
            unknown = set(band) - {"op", "bound", "score"}
            if unknown:
                raise ParamError(
                    f"bands[{i}].{sorted(unknown)[0]}: 未知字段（此处可用：op、bound、score）"
                )
            _dec(band, "bound")
            if not ZERO <= _dec(band, "score") <= points:
                raise ParamError(f"分档得分应在0到{points}之间")
        if not ZERO <= _dec(params, "otherwise", default=ZERO) <= points:
            raise ParamError(f"otherwise 应在0到{points}之间")
        if "max_rate" in params:
            _dec(params, "max_rate")

    def inputs(self, params):
        return _rate_inputs(params)

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        rate, text = _rate(ind, data, fig, r)
        if rate is None:
            return Result(None, "", fig.warnings)
        if "max_rate" in p and rate > _dec(p, "max_rate"):
            fig.warnings.append(
                Warning(
                    "out_of_range",
                    f"{p['label']}{fmt.rate(rate, r.rate_places)}超过{fmt.num(_dec(p, 'max_rate'))}%，请核对数据",
                    _rate_inputs(p)[0] if _rate_inputs(p) else "",
                )
            )
        for band in p["bands"]:
            if _BAND_OPS[band["op"]](rate, _dec(band, "bound")):
                value = _dec(band, "score")
                cond = f"{fmt.rate(rate, r.rate_places)}{_BAND_SIGNS[band['op']]}{fmt.num(_dec(band, 'bound'))}%"
                return Result(value, f"{text}；{cond}，得{fmt.num(value)}分", fig.warnings)
        value = _dec(p, "otherwise", default=ZERO)
        return Result(value, f"{text}；不满足各档条件，得{fmt.num(value)}分", fig.warnings)


class Proportional(Method):
    """Rate × points, never above full; above 100% by the over-execution policy."""

    name = "proportional"
    label = "按比例计分"
    fields: ClassVar[dict[str, F]] = {
        **RATE_FIELDS,
        "zero_if_over": F("bool", "旧写法，等同 over_policy: zero（实际大于计划时不得分）"),
        **OVER_FIELDS,
    }
    formulas: ClassVar[dict[str, tuple[str, ...]]] = {"rate": ()}

    def check(self, params, points):
        _str(params, "label")
        _check_rate(params)
        _check_over(params)
        if not isinstance(params.get("zero_if_over", False), bool):
            raise ParamError("zero_if_over 应为 true 或 false")
        if params.get("zero_if_over") and "over_policy" in params:
            raise ParamError("zero_if_over 与 over_policy 只能二选一")

    def inputs(self, params):
        return _rate_inputs(params)

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        rate, text = _rate(ind, data, fig, r)
        if rate is None:
            return Result(None, "", fig.warnings)
        if p.get("zero_if_over") and rate > HUNDRED:
            return Result(ZERO, f"{text}；实际金额大于计划金额，本项不得分")
        capped = min(rate, HUNDRED)
        value = r.score(capped / HUNDRED * ind.points)
        basis = f"{text}；得分＝{fmt.rate(capped, r.rate_places)}×{fmt.num(ind.points)}＝{fmt.num(value)}"
        if rate > HUNDRED and p.get("over_policy", "cap") != "cap":
            value, note = _over(p, rate, value, r)
            basis = f"{text}{note}" if p["over_policy"] == "zero" else f"{basis}{note}"
        return Result(value, basis, fig.warnings)


class ExternalRate(Method):
    """A rate notified by the finance bureau × points; full at 100% or more."""

    name = "external_rate"
    label = "通报执行率计分"
    fields: ClassVar[dict[str, F]] = {
        "label": F("str", "比率的名称", required=True),
        "rate": F("expr", "通报的比率（%）：一个输入项，或公式", required=True),
        **OVER_FIELDS,
    }
    formulas: ClassVar[dict[str, tuple[str, ...]]] = {"rate": ()}

    def check(self, params, points):
        _str(params, "label")
        _check_over(params)

    def inputs(self, params):
        return sorted(formula(params["rate"]).names())

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        rate = fig.evaluate(formula(p["rate"]), DataEnv(data, r))
        if rate is None:
            return Result(None, "", fig.warnings)
        rate = r.rate(Decimal(rate))
        text = f"{p['label']}（财政局通报）＝{fmt.rate(rate, r.rate_places)}"
        if rate > HUNDRED and p.get("over_policy", "cap") != "cap":
            value, note = _over(p, rate, ind.points, r)
            return Result(value, f"{text}{note}", fig.warnings)
        if rate >= HUNDRED:
            return Result(ind.points, f"{text}；达到100%，得满分{fmt.num(ind.points)}")
        value = r.score(rate / HUNDRED * ind.points)
        return Result(
            value,
            f"{text}；得分＝{fmt.rate(rate, r.rate_places)}×{fmt.num(ind.points)}＝{fmt.num(value)}",
        )


class Formula(Method):
    """The score is a formula of the rubric's own: over the inputs, `rate` (the optional rate
    formula's value, in %) and `points` (the indicator's points); kept within min and points."""

    name = "formula"
    label = "公式计分"
    fields: ClassVar[dict[str, F]] = {
        "label": F("str", "比率的名称，写入评分依据"),
        "rate": F("expr", "可选：先算出的比率（%），在 score 中以 rate 引用"),
        "score": F("expr", "得分公式，可用输入项、rate、points", required=True),
        "min": F("number", "得分下限，默认0（可为负，用于扣分项）"),
    }
    formulas: ClassVar[dict[str, tuple[str, ...]]] = {"rate": (), "score": ("rate", "points")}

    def check(self, params, points):
        if "min" in params and _dec(params, "min") > points:
            raise ParamError("min 不应大于分值")
        if "rate" not in params and "rate" in formula(params["score"]).names():
            raise ParamError("score 用到了 rate，但没有给出 rate 公式")

    def inputs(self, params):
        names = set(formula(params["score"]).names()) - {"rate", "points"}
        if "rate" in params:
            names |= formula(params["rate"]).names()
        return sorted(names)

    def min_score(self, ind):
        return _dec(ind.params, "min", default=ZERO)

    def score(self, ind, data, r):
        p = ind.params
        fig = Figures(data)
        parts = []
        rate = None
        if "rate" in p:
            rate, text = _rate(ind, data, fig, r)
            if rate is None:
                return Result(None, "", fig.warnings)
            parts.append(text)
        env = DataEnv(data, r, extra={"rate": rate, "points": ind.points})
        score_expr = formula(p["score"])
        raw = fig.evaluate(score_expr, env)
        if raw is None:
            return Result(None, "", fig.warnings)
        raw = Decimal(raw)
        value = r.score(_clamp(raw, self.min_score(ind), ind.points))
        shown = score_expr.render(env, data.labels)
        line = f"得分＝{shown}＝{fmt.num(r.score(raw))}"
        if value != r.score(raw):
            line += f"，按{fmt.num(self.min_score(ind))}～{fmt.num(ind.points)}分计{fmt.num(value)}"
        parts.append(line)
        return Result(value, "；".join(parts), fig.warnings)


def _check_grades(grades: Any, what: str = "grades") -> None:
    if not isinstance(grades, list) or len(grades) < 2:
        raise ParamError(f"{what} 至少应有两个等级")
    keys = set()
    for i, g in enumerate(grades):
        if not isinstance(g, dict):
            raise ParamError(f"{what}[{i}] 应有 key、label 与 coefficient")
        unknown = set(g) - {"key", "label", "coefficient"}
        if unknown:
            raise ParamError(
                f"{what}[{i}].{sorted(unknown)[0]}: 未知字段（此处可用：key、label、coefficient）"
            )
        keys.add(_str(g, "key"))
        _str(g, "label")
        if not ZERO <= _dec(g, "coefficient") <= 1:
            raise ParamError(f"{what}[{i}].coefficient 应在0到1之间")
    if len(keys) != len(grades):
        raise ParamError(f"{what} 的 key 重复")


class Coefficient(Method):
    """得分 = 得分系数 × 权重 (the points). The coefficient comes from the rate's band (numeric
    `bands`: the first whose `min` the rate reaches) or from the grade the department chooses
    (qualitative `grades`, e.g. 好/较好/一般/差), which needs a reason."""

    name = "coefficient"
    label = "得分系数计分"
    fields: ClassVar[dict[str, F]] = {
        **RATE_FIELDS,
        "bands": F(
            "list",
            "按比率取系数：每档 min（比率不低于此值，%）与 coefficient；按顺序取第一个满足的档",
            items="map",
        ),
        "otherwise": F("number", "比率低于各档时的系数，默认0"),
        "grades": F(
            "list",
            "定性评级：每级 key、label（如 好、较好、一般、差）与 coefficient；由填报人选择并说明理由",
            items="map",
        ),
        **OVER_FIELDS,
    }
    formulas: ClassVar[dict[str, tuple[str, ...]]] = {"rate": ()}

    def check(self, params, points):
        _check_over(params)
        if ("bands" in params) == ("grades" in params):
            raise ParamError("bands（按比率）与 grades（定性评级）须给出其一")
        if "grades" in params:
            if any(k in params for k in ("rate", "numerator", "denominator", "label")):
                raise ParamError("定性评级（grades）不用比率参数")
            _check_grades(params["grades"])
            return
        _str(params, "label")
        _check_rate(params)
        bands = params["bands"]
        if not isinstance(bands, list) or not bands:
            raise ParamError("bands 至少应有一档")
        previous = None
        for i, band in enumerate(bands):
            if not isinstance(band, dict) or set(band) != {"min", "coefficient"}:
                raise ParamError(f"bands[{i}] 应恰有 min 与 coefficient")
            low = _dec(band, "min")
            if not ZERO <= _dec(band, "coefficient") <= 1:
                raise ParamError(f"bands[{i}].coefficient 应在0到1之间")
            if previous is not None and low >= previous:
                raise ParamError("bands 应按 min 从高到低排列")
            previous = low
        if not ZERO <= _dec(params, "otherwise", default=ZERO) <= 1:
            raise ParamError("otherwise 应在0到1之间")

    def inputs(self, params):
        return [] if "grades" in params else _rate_inputs(params)

    def score(self, ind, data, r):
        p = ind.params
        if "grades" in p:
            answer = data.answers.get(ind.code)
            key = answer.choices.get("grade") if answer else None
            grade = next((g for g in p["grades"] if g["key"] == key), None)
            if grade is None:
                return Result(None, "", [Warning("input_missing", "尚未选择评级", "choices")])
            coefficient = _dec(grade, "coefficient")
            value = r.score(coefficient * ind.points)
            warnings = []
            if not (answer and answer.reason.strip()):
                warnings.append(Warning("reason_required", "定性评级须填写理由", "reason"))
            basis = (
                f"评级为“{grade['label']}”，得分系数{fmt.num(coefficient)}；"
                f"得分＝{fmt.num(coefficient)}×{fmt.num(ind.points)}＝{fmt.num(value)}"
            )
            if answer and answer.reason.strip():
                basis += f"。理由：{answer.reason.strip()}"
            return Result(value, basis, warnings)
        fig = Figures(data)
        rate, text = _rate(ind, data, fig, r)
        if rate is None:
            return Result(None, "", fig.warnings)
        band = next((b for b in p["bands"] if rate >= _dec(b, "min")), None)
        if band is None:
            coefficient = _dec(p, "otherwise", default=ZERO)
            cond = "低于各档"
        else:
            coefficient = _dec(band, "coefficient")
            cond = f"≥{fmt.num(_dec(band, 'min'))}%"
        value = r.score(coefficient * ind.points)
        basis = (
            f"{text}；{cond}，得分系数{fmt.num(coefficient)}；"
            f"得分＝{fmt.num(coefficient)}×{fmt.num(ind.points)}＝{fmt.num(value)}"
        )
        if rate > HUNDRED and p.get("over_policy", "cap") != "cap":
            value, note = _over(p, rate, value, r)
            basis = f"{text}{note}" if p["over_policy"] == "zero" else f"{basis}{note}"
        return Result(value, basis, fig.warnings)


# ------------------------------------------------------------------ target rows and their ratio

ROW_SCORING = ("all_or_nothing", "proportional", "coefficient")


def row_scoring(params: Mapping[str, Any]) -> str:
    """The section's row scorer; the older `partial: zero|proportional` is read as well."""
    if "row_scoring" in params:
        return params["row_scoring"]
    return "all_or_nothing" if params.get("partial") == "zero" else "proportional"


def row_met(row: TargetRow) -> bool | None:
    """Whether a target row meets its target: by its numbers (or dates) where both are given,
    else by the filer's 已完成 tick; None while neither is known."""
    op = row.operator
    if op == "date":
        if row.target_date is not None and row.actual_date is not None:
            return row.actual_date <= row.target_date
        return row.achieved
    if op == "text":
        return row.achieved
    if row.target_value is not None and row.actual_value is not None:
        a, t = row.actual_value, row.target_value
        if op == "between":
            high = row.target_max if row.target_max is not None else t
            return t <= a <= high
        return {
            ">=": a >= t,
            "<=": a <= t,
            "=": a == t,
            ">": a > t,
            "<": a < t,
        }[op]
    return row.achieved


def _row_numbers(row: TargetRow) -> str:
    parts = []
    if row.operator == "date":
        if row.target_date is not None:
            parts.append(f"目标{row.target_date:%Y-%m-%d}前")
        if row.actual_date is not None:
            parts.append(f"实际{row.actual_date:%Y-%m-%d}")
        return "，".join(parts)
    if row.target_value is not None:
        if row.operator == "between" and row.target_max is not None:
            target = f"{fmt.num(row.target_value)}～{fmt.num(row.target_max)}{row.unit}"
        else:
            sign = OPERATORS.get(row.operator, row.operator)
            target = f"{sign}{fmt.num(row.target_value)}{row.unit}"
        parts.append(f"目标{target}")
    if row.actual_value is not None:
        parts.append(f"实际{fmt.num(row.actual_value)}{row.unit}")
    return "，".join(parts)


_PUNCTUATION = "。.；;，,、！!"


def restates(actual: str, target: str) -> bool:
    """Whether an actual merely restates the target's words: the same text once width
    (NFKC: full-width digits and letters), spaces and end punctuation are set aside."""
    import unicodedata

    def plain(text: str) -> str:
        text = "".join(unicodedata.normalize("NFKC", text).split())
        return text.rstrip(_PUNCTUATION)

    a = plain(actual)
    return bool(a) and a == plain(target)


def score_row(
    row: TargetRow, partial: str, r: Rounding, grades: tuple[Mapping[str, Any], ...] = ()
) -> Result:
    """Met gives full points. Not met: 0 (all_or_nothing, or the older `zero`); points ×
    actual ÷ target (target ÷ actual for an upper bound) where `proportional`; the chosen
    grade's coefficient × points where `coefficient`, and for a qualitative (text) row with a
    grade chosen wherever the section has grades."""
    warnings: list[Warning] = []
    numbers = _row_numbers(row)
    prefix = f"{numbers}，" if numbers else ""
    actual_text = row.actual_text.strip()
    # the same words are a restatement unless the numbers say the target was met exactly
    exact = row.actual_value is not None and row.actual_value == row.target_value
    if restates(actual_text, row.target_text) and not exact:
        warnings.append(
            Warning(
                "restated_target",
                f"“{row.name}”的实际完成指标值与年度指标值文字相同，请写明实际完成情况（如实际数）",
                "actual_text",
            )
        )
    # a qualitative row under a numeric scorer takes its grade where the section has grades
    graded = partial == "coefficient" or (bool(grades) and row.operator == "text" and row.grade)
    if graded:
        grade = next((g for g in grades if g["key"] == row.grade), None)
        if grade is None:
            warnings.append(Warning("input_missing", f"“{row.name}”未选择完成等级", "grade"))
            return Result(None, numbers, warnings)
        c = _dec(grade, "coefficient")
        value = r.score(c * row.points)
        return Result(
            value,
            f"{prefix}完成等级“{grade['label']}”，得分＝{fmt.num(c)}×{fmt.num(row.points)}"
            f"＝{fmt.num(value)}",
            warnings,
        )
    met = row_met(row)
    numbers_given = row.target_value is not None and row.actual_value is not None
    if numbers_given and row.achieved is not None and row.achieved != met:
        warnings.append(
            Warning("achieved_conflict", f"“{row.name}”勾选的完成情况与实际完成值不符", "achieved")
        )
    if met is None:
        warnings.append(Warning("input_missing", f"“{row.name}”未填写实际完成情况", "actual_value"))
        return Result(None, numbers, warnings)
    if met:
        return Result(row.points, f"{prefix}已完成，得满分{fmt.num(row.points)}", warnings)
    a, t = row.actual_value, row.target_value
    proportional = partial == "proportional" and a is not None and t is not None
    if proportional and row.operator in (">=", ">", "<=", "<"):
        if row.operator in (">=", ">") and t > 0:
            value = r.score(_clamp(row.points * a / t, ZERO, row.points))
            formula = f"{fmt.num(row.points)}×{fmt.num(a)}÷{fmt.num(t)}"
        elif row.operator in ("<=", "<") and a > 0:
            value = r.score(_clamp(row.points * t / a, ZERO, row.points))
            formula = f"{fmt.num(row.points)}×{fmt.num(t)}÷{fmt.num(a)}"
        else:
            value, formula = ZERO, "0"
        return Result(value, f"{prefix}未完成，得分＝{formula}＝{fmt.num(value)}", warnings)
    return Result(ZERO, f"{prefix}未完成，不得分", warnings)


class TargetRows(Method):
    """A section of target rows the department enters (e.g. 履职效能, or 产出/效益/满意度):
    in tasks (`layout: tasks`, a task line over its rows) or as a flat list (`layout: rows`),
    each row scored by the section's `row_scoring`. The engine expands the leaf into lines."""

    name = "target_rows"
    label = "年度指标值对比实际完成值"
    fields: ClassVar[dict[str, F]] = {
        "layout": F(
            "str",
            "tasks：任务（二级）下分指标行（三级）；rows：直接列指标行",
            enum=("tasks", "rows"),
        ),
        "row_scoring": F(
            "str",
            "指标行计分：all_or_nothing 完成得满分否则0；proportional 未完成按完成比例；coefficient 按所选完成等级的系数",
            enum=ROW_SCORING,
        ),
        "partial": F(
            "str",
            "旧写法：proportional 或 zero（等同 row_scoring: all_or_nothing）",
            enum=("proportional", "zero"),
        ),
        "grades": F(
            "list",
            "完成等级：key、label、coefficient。row_scoring: coefficient 时每行按所选等级计分；其他计分方式下用于定性（text）指标行",
            items="map",
        ),
        "row_label": F("str", "指标行的称呼，如“产出指标”，用于提示语"),
    }

    def check(self, params, points):
        if "row_scoring" in params and "partial" in params:
            raise ParamError("row_scoring 与 partial 只能二选一")
        if row_scoring(params) == "coefficient" or "grades" in params:
            _check_grades(params.get("grades"))

    def score(self, ind, data, r):  # the engine scores the rows; see engine._rows_lines
        raise NotImplementedError


class TargetRatio(Method):
    """绩效目标完成率 = rows met ÷ all rows, × points; counted from the target rows (all
    sections, or the ones listed in `sections`)."""

    name = "target_ratio"
    label = "目标完成率计分"
    fields: ClassVar[dict[str, F]] = {
        "label": F("str", "比率的名称，如“绩效目标完成率”", required=True),
        "sections": F("list", "只计这些 target_rows 指标（编码）的指标行；默认全部", items="str"),
    }

    def check(self, params, points):
        _str(params, "label")

    def score(self, ind, data, r):
        wanted = ind.params.get("sections")
        rows = [
            row for task in data.tasks if not wanted or task.section in wanted for row in task.rows
        ]
        label = ind.params["label"]
        if not rows:
            return Result(None, "", [Warning("input_missing", "尚未填写绩效指标", "tasks")])
        states = [row_met(row) for row in rows]
        if None in states:
            n = states.count(None)
            return Result(
                None, "", [Warning("input_missing", f"有{n}项绩效指标未填写完成情况", "tasks")]
            )
        met = states.count(True)
        rate = r.percent(Decimal(met), Decimal(len(rows)))
        value = r.score(rate / HUNDRED * ind.points)
        return Result(
            value,
            f"{label}＝已实现目标数÷申报目标数×100%＝{met}÷{len(rows)}×100%＝{fmt.rate(rate, r.rate_places)}；"
            f"得分＝{fmt.rate(rate, r.rate_places)}×{fmt.num(ind.points)}＝{fmt.num(value)}",
        )


# ---------------------------------------------------------------------------- judgements


class Checklist(Method):
    """Each criterion of the 评分标准 is an item with options and their scores (negative for
    a deduction); score = base + the chosen options, kept within 0 and the points."""

    name = "checklist"
    label = "逐项核对计分"
    fields: ClassVar[dict[str, F]] = {
        "base": F("number", "基础分，默认0"),
        "items": F(
            "list",
            "核对项：key、text 与 options（每个选项 key、label、score）",
            required=True,
            items="map",
        ),
    }

    def check(self, params, points):
        if not ZERO <= _dec(params, "base", default=ZERO) <= points:
            raise ParamError(f"base 应在0到{points}之间")
        items = params.get("items")
        if not isinstance(items, list) or not items:
            raise ParamError("缺少参数 items")
        keys = set()
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ParamError("items 的每一项应有 key、text 与 options")
            unknown = set(item) - {"key", "text", "options"}
            if unknown:
                raise ParamError(
                    f"items[{i}].{sorted(unknown)[0]}: 未知字段（此处可用：key、text、options）"
                )
            key = _str(item, "key")
            _str(item, "text")
            if key in keys:
                raise ParamError(f"核对项 {key} 重复")
            keys.add(key)
            options = item.get("options")
            if not isinstance(options, list) or len(options) < 2:
                raise ParamError(f"核对项 {key} 至少应有两个选项")
            option_keys = set()
            for j, option in enumerate(options):
                if not isinstance(option, dict):
                    raise ParamError(f"核对项 {key} 的选项应有 key、label 与 score")
                unknown = set(option) - {"key", "label", "score"}
                if unknown:
                    raise ParamError(
                        f"items[{i}].options[{j}].{sorted(unknown)[0]}: 未知字段（此处可用：key、label、score）"
                    )
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
    fields: ClassVar[dict[str, F]] = {
        "per_event": F("number", "每项受表彰加、每项受批评扣的分数", required=True),
        "max_bonus": F("number", "加分上限（不超过本项分值）", required=True),
        "max_penalty": F("number", "扣分上限", required=True),
    }

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
    fields: ClassVar[dict[str, F]] = {}
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
        Formula(),
        Coefficient(),
        TargetRows(),
        TargetRatio(),
        Checklist(),
        BonusPenalty(),
        Manual(),
    )
}
ROW_METHOD = "target_rows"

__all__ = [
    "METHODS",
    "ROW_METHOD",
    "DataEnv",
    "Method",
    "ParamError",
    "Result",
    "Task",
    "row_met",
    "row_scoring",
    "score_row",
]
