"""Consistency checks declared by a rubric version (`checks:` in its data file).

Each check is an assertion over the rubric's inputs, e.g. ``expenditure_final_basic +
expenditure_final_project = expenditure_final_total``, with a message, a severity (blocking or
warning), an optional tolerance and an optional condition (`when`). Pure Python and Decimal; no
Django. `build_check` compiles one entry of the file (the loader calls it and names the node);
`evaluate_checks` runs them all over an evaluation's input values and returns the findings,
each with the numbers written out:

    基本支出构成：人员经费＋公用经费＝1356.00＋140.12＝1496.12，与支出决算·基本支出1496.13不一致（相差0.01）

Rules:
- a check whose inputs (or whose `when`'s inputs) have no value is skipped, not a finding;
  write ``COALESCE(x, 0)`` for an input that may be left empty and then counts as 0;
- `tolerance` applies to a comparison at the top of the assertion: ``a = b`` holds when
  |a−b| ≤ tolerance, ``a <= b`` when a ≤ b + tolerance, ``a >= b`` when a ≥ b − tolerance;
- a division by zero (or a value of the wrong type) skips the check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from . import expr as expression
from .spec import Check, InputSpec, Rubric

SEVERITIES = ("blocking", "warning")
TOLERANT_OPS = ("=", "<=", ">=")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*$")
_COALESCE = re.compile(
    r"^\s*COALESCE\s*[(（]\s*([a-z_][a-z0-9_]*)\s*[,，]\s*([0-9０-９]+(?:[.．][0-9０-９]+)?)\s*[)）]\s*$",
    re.I,
)
_COMP = re.compile(r"[<>＜＞][=＝]|[<＜][>＞]|[=＝][=＝]|[!！][=＝]|[=<>≥≤≠＝＜＞]")
_COMP_CANON = expression.COMPARISONS  # one table of comparison spellings: rubric/expr.py
_FULL = str.maketrans("＝＜＞！０１２３４５６７８９．", "=<>!0123456789.")
_OPEN, _CLOSE = "(（", ")）"
_OPERAND_END = set('0123456789０１２３４５６７８９)）"”') | set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
)


class CheckError(ValueError):
    """A check entry that cannot be built; the message starts with its field (assert: …)."""


@dataclass(frozen=True)
class Finding:
    """A check that does not hold for an evaluation's inputs."""

    key: str  # the check's key in the rubric
    field: str  # the input the finding is shown next to
    severity: str  # blocking | warning
    message: str  # title：detail, with the numbers
    title: str = ""  # the rubric's message, placeholders filled
    detail: str = ""  # the formula with the numbers

    @property
    def code(self) -> str:
        return self.key

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"


# ---------------------------------------------------------------------------- building


def build_check(spec: Mapping[str, Any], inputs: tuple[InputSpec, ...]) -> Check:
    """One `checks:` entry (shape already checked by the loader) -> Check. Raises CheckError
    whose message names the field: ``assert: 公式有误：…``."""
    usable = {i.key: i.type for i in inputs if i.type in ("number", "bool", "text")}
    declared = {i.key for i in inputs}
    expr = _parse(spec["assert"], "assert", usable)
    when = _parse(spec["when"], "when", usable) if spec.get("when") is not None else None
    tolerance = Decimal(0)
    if spec.get("tolerance") is not None:
        tolerance = Decimal(str(spec["tolerance"]))
        if not tolerance.is_finite() or tolerance < 0:
            raise CheckError("tolerance: 应为不小于0的数值")
        parts = _comparison(expr.source, tuple(sorted(expr.input_types().items())))
        if tolerance and (parts is None or parts[1] not in TOLERANT_OPS):
            raise CheckError(
                "tolerance: 只有最外层为“=”“<=”“>=”比较（如 a + b = c）的检查才能设容差"
            )
    field = spec.get("field") or _first_name(expr)
    if field not in declared:
        raise CheckError(f"field: 输入项 {field!r} 未在 inputs 中声明")
    message = spec["message"].strip()
    if not message:
        raise CheckError("message: 不能为空")
    for name in _PLACEHOLDER.findall(message):
        if name not in declared:
            raise CheckError(f"message: 占位符 {{{name}}} 不是已声明的输入项")
    return Check(
        key=spec["key"],
        expr=expr,
        message=message,
        severity=spec.get("severity", "warning"),
        tolerance=tolerance,
        field=field,
        when=when,
    )


def _parse(value: Any, where: str, types: dict[str, str]) -> expression.Expr:
    text = value if isinstance(value, str) else str(value)
    try:
        return expression.parse(text, known=set(types), types=types, expect="bool")
    except expression.ExprError as exc:
        raise CheckError(f"{where}: 公式有误：{exc}") from exc


def _first_name(expr: expression.Expr) -> str:
    names = expr.names()
    for m in _IDENT.finditer(expr.source):
        if m.group(0) in names:
            return m.group(0)
    return ""


# ---------------------------------------------------------------------------- the formula's parts


def _scan(text: str):
    """(index, char, depth) for each character outside string literals."""
    depth, close = 0, None
    for i, c in enumerate(text):
        if close is not None:
            if c == close:
                close = None
            continue
        if c == '"':
            close = '"'
        elif c == "“":
            close = "”"
        elif c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        yield i, c, depth


def _body(text: str) -> str:
    stripped = text.lstrip()
    if stripped[:1] in ("=", "＝") and stripped[1:2] not in ("=", "＝"):
        return stripped[1:]
    return text


@lru_cache(maxsize=512)
def _comparison(
    text: str, types: tuple[tuple[str, str], ...]
) -> tuple[expression.Expr, str, expression.Expr] | None:
    """A number comparison at the top of the formula: (left, operator, right), or None."""
    body = _body(text)
    for i, c, depth in _scan(body):
        if depth != 0 or c not in "=<>≥≤≠＝＜＞!！":
            continue
        m = _COMP.match(body, i)
        if m is None:
            continue
        op = _COMP_CANON[m.group(0).translate(_FULL)]
        try:
            left = expression.parse(body[:i], types=dict(types))
            right = expression.parse(body[m.end() :], types=dict(types))
        except expression.ExprError:
            return None
        if left.result_type() != "number" or right.result_type() != "number":
            return None
        return left, op, right
    return None


@lru_cache(maxsize=512)
def _terms(text: str) -> tuple[tuple[str, str], ...]:
    """The formula as (sign, term) pairs split at the + and − outside brackets."""
    out: list[tuple[str, str]] = []
    sign, start, prev = "+", 0, ""
    for i, c, depth in _scan(text):
        if depth == 0 and c in "+-＋－−" and prev in _OPERAND_END:
            out.append((sign, text[start:i]))
            sign, start = ("+" if c in "+＋" else "-"), i + 1
        if not c.isspace():
            prev = c
    out.append((sign, text[start:]))
    return tuple(out)


# ---------------------------------------------------------------------------- evaluating


def evaluate_checks(rubric: Rubric, values: Mapping[str, Any]) -> list[Finding]:
    """The findings of the rubric's checks over `values` (input key -> Decimal, bool, text or
    None; derived inputs included where the caller has them), in the rubric's order."""
    specs = rubric.inputs_by_key
    env = expression.MapEnv({k: v for k, v in values.items() if _usable(v)})
    findings = range_findings(rubric, values)
    for check in rubric.checks:
        finding = _run(check, env, specs)
        if finding is not None:
            findings.append(finding)
    return findings


def range_findings(rubric: Rubric, values: Mapping[str, Any]) -> list[Finding]:
    """A number outside the range its input declares (min, default 0; max, default 100 for a
    percentage): `negative` below 0, `out_of_range` otherwise. Derived inputs are skipped."""
    out = []
    for spec in rubric.inputs:
        v = values.get(spec.key)
        if spec.derived or spec.type != "number" or not isinstance(v, Decimal):
            continue
        name, unit = label(spec), ("%" if spec.unit == "%" else "")
        if spec.minimum is not None and v < spec.minimum:
            if spec.minimum == 0:
                out.append(Finding("negative", spec.key, "warning", f"{name}不应为负数"))
                continue
        elif spec.maximum is None or v <= spec.maximum:
            continue
        low = "" if spec.minimum is None else f"{_plain(spec.minimum)}{unit}"
        high = "" if spec.maximum is None else f"{_plain(spec.maximum)}{unit}"
        message = (
            f"{name}应在{low}～{high}之间"
            if low and high
            else (f"{name}不应小于{low}" if low else f"{name}不应大于{high}")
        )
        out.append(Finding("out_of_range", spec.key, "warning", message))
    return out


def _plain(v: Decimal) -> str:
    return format(v.normalize(), "f") if v != v.to_integral_value() else str(int(v))


def _usable(v: Any) -> bool:
    return isinstance(v, (Decimal, bool, str)) or (isinstance(v, int) and not isinstance(v, bool))


def _run(check: Check, env: expression.MapEnv, specs: Mapping[str, InputSpec]) -> Finding | None:
    try:
        if check.when is not None and not check.when.evaluate(env):
            return None
        parts = _comparison(check.expr.source, tuple(sorted(check.expr.input_types().items())))
        if parts is None:
            if check.expr.evaluate(env):
                return None
            detail = f"{check.expr.describe(_labels(specs))}不成立（{check.expr.render(env)}）"
        else:
            left, op, right = parts
            a, b = left.evaluate(env), right.evaluate(env)
            if _holds(a, op, b, check.tolerance):
                return None
            detail = _detail(left, op, right, a, b, env, specs)
    except (expression.MissingInput, expression.ZeroDivisionInExpr, expression.ExprError):
        return None
    title = _fill(check.message, env, specs)
    return Finding(
        key=check.key,
        field=check.field,
        severity=check.severity,
        message=f"{title}：{detail}",
        title=title,
        detail=detail,
    )


def _holds(a: Decimal, op: str, b: Decimal, tolerance: Decimal) -> bool:
    if op == "=":
        return abs(a - b) <= tolerance
    if op == "<=":
        return a <= b + tolerance
    if op == ">=":
        return a >= b - tolerance
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    return a != b


def _labels(specs: Mapping[str, InputSpec]) -> dict[str, str]:
    return {k: label(s) for k, s in specs.items()}


def label(spec: InputSpec) -> str:
    return spec.label.replace("其中：", "")


def _places(names, specs: Mapping[str, InputSpec]) -> int:
    return max((specs[n].decimals for n in names if n in specs), default=2)


def _unit(names, specs: Mapping[str, InputSpec]) -> str:
    units = {specs[n].unit for n in names if n in specs}
    return "%" if units == {"%"} else ""


def _num(v: Decimal, places: int) -> str:
    q = v.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q:.{places}f}".replace("-", "−")


def _side(side: expression.Expr, value: Decimal, env, specs) -> str:
    """「人员经费＋公用经费＝1356.00＋140.12＝1496.12」 or 「支出决算·基本支出1496.13」."""
    names = side.names()
    places, unit = _places(names, specs), _unit(names, specs)
    terms = []
    for sign, term in _terms(_body(side.source)):
        m = _NAME.match(term)
        c = _COALESCE.match(term)
        if m and m.group(1) in specs:
            key, default = m.group(1), None
        elif c and c.group(1) in specs:
            key, default = c.group(1), Decimal(c.group(2).translate(_FULL))
        else:
            terms = []
            break
        v = env.value(key)
        v = v if isinstance(v, Decimal) else (Decimal(v) if isinstance(v, int) else default)
        if v is None:
            terms = []
            break
        terms.append((sign, label(specs[key]), _num(v, specs[key].decimals) + unit))
    total = _num(value, places) + unit
    if len(terms) == 1 and terms[0][0] == "+":
        return f"{terms[0][1]}{total}"
    if terms:
        words = _join([(s, t) for s, t, _ in terms])
        numbers = _join([(s, n) for s, _, n in terms])
        return f"{words}＝{numbers}＝{total}"
    if not names:
        return _plain(value) + unit
    return f"{side.describe(_labels(specs))}＝{side.render(env)}＝{total}"


def _join(pairs: list[tuple[str, str]]) -> str:
    out = ""
    for i, (sign, text) in enumerate(pairs):
        if i == 0:
            out = text if sign == "+" else f"−{text}"
        else:
            out += ("＋" if sign == "+" else "−") + text
    return out


def _detail(left, op, right, a, b, env, specs) -> str:
    names = left.names() | right.names()
    places, unit = _places(names, specs), _unit(names, specs)
    lhs, rhs = _side(left, a, env, specs), _side(right, b, env, specs)
    diff = _num(abs(a - b), places) + unit
    if op == "=":
        return f"{lhs}，与{rhs}不一致（相差{diff}）"
    if op in ("<=", "<"):
        return f"{lhs}超过{rhs}（超出{diff}）" if a > b else f"{lhs}应小于{rhs}"
    if op in (">=", ">"):
        return f"{lhs}低于{rhs}（相差{diff}）" if a < b else f"{lhs}应大于{rhs}"
    return f"{lhs}与{rhs}相等"


def _fill(message: str, env, specs: Mapping[str, InputSpec]) -> str:
    """{input_key} placeholders -> the input's value as shown (空 where it has none)."""

    def one(m: re.Match) -> str:
        key = m.group(1)
        spec = specs.get(key)
        if spec is None:
            return m.group(0)
        v = env.value(key)
        if v is None:
            return "空"
        if isinstance(v, bool):
            return "是" if v else "否"
        if isinstance(v, Decimal):
            return _num(v, spec.decimals) + ("%" if spec.unit == "%" else "")
        return str(v)

    return _PLACEHOLDER.sub(one, message)
