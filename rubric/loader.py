"""Reads a rubric version's data file, validates it, and builds the immutable Rubric.

Validation refuses a file with a message that names the node: children's points must sum to
the parent's, the total must be 100, codes unique, every leaf has a known method with the
parameters it takes, and every input it names exists in the catalogue (rubric/inputs.py).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .inputs import BY_KEY as FIGURES
from .methods import METHODS, ParamError
from .rounding import MODES, Rounding
from .spec import Grade, Indicator, Rubric

VERSIONS_DIR = Path(__file__).parent / "versions"
TOTAL_POINTS = Decimal(100)
MAX_DEPTH = 3


class RubricError(ValueError):
    """The data file is not a valid rubric version; the message says where and why."""


def load_file(path: str | Path) -> tuple[Rubric, dict[str, Any]]:
    """Parse and validate a data file; return the rubric and its plain content (for storage)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(f"无法读取文件 {path}：{exc.strerror}") from exc
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RubricError(f"文件 {path} 不是有效的 YAML：{exc}") from exc
    return parse(content), content


def parse(content: Any) -> Rubric:
    if not isinstance(content, dict):
        raise RubricError("评分体系文件的顶层应为映射（key、jurisdiction、year、indicators…）")
    for key in ("key", "jurisdiction", "title", "source"):
        if not isinstance(content.get(key), str) or not content[key].strip():
            raise RubricError(f"缺少字段 {key}")
    year = content.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise RubricError("year 应为四位年份")
    rounding = _rounding(content.get("rounding") or {})
    grades = _grades(content.get("grades") or [])
    nodes = content.get("indicators")
    if not isinstance(nodes, list) or not nodes:
        raise RubricError("缺少指标树 indicators")
    seen: set[str] = set()
    indicators = tuple(_node(n, 1, seen, f"indicators[{i}]") for i, n in enumerate(nodes))
    total = sum((n.points for n in indicators), Decimal(0))
    if total != TOTAL_POINTS:
        raise RubricError(f"一级指标分值合计为 {total}，应为 100")
    duty = [n for node in indicators for n in node.walk() if n.method == "duty_targets"]
    if len(duty) > 1:
        raise RubricError("只能有一个指标使用 duty_targets（履职效能）方法")
    return Rubric(
        key=content["key"].strip(),
        jurisdiction=content["jurisdiction"].strip(),
        year=year,
        title=content["title"].strip(),
        source=content["source"].strip(),
        rounding=rounding,
        grades=grades,
        indicators=indicators,
        note=str(content.get("note") or "").strip(),
    )


def digest(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON form: the identity of a version's content."""
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def shipped_versions() -> list[Path]:
    return sorted(VERSIONS_DIR.glob("*.yaml"))


# ---------------------------------------------------------------------------- parts


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise RubricError(f"{where} 应为数值")
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise RubricError(f"{where} 应为数值：{value!r}") from exc
    if not result.is_finite():
        raise RubricError(f"{where} 应为有限数值")
    return result


def _decimals(value: Any) -> Any:
    """Numbers in parameters become Decimal (via their text, so 0.1 stays 0.1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    return value


def _rounding(spec: Any) -> Rounding:
    if not isinstance(spec, dict):
        raise RubricError("rounding 应为映射")
    mode = spec.get("mode", "half_up")
    if mode not in MODES:
        raise RubricError(f"rounding.mode 应为 {'、'.join(MODES)} 之一")
    places = {}
    for key in ("rate_places", "score_places"):
        value = spec.get(key, 2)
        if not isinstance(value, int) or not 0 <= value <= 6:
            raise RubricError(f"rounding.{key} 应为 0 到 6 的整数")
        places[key] = value
    return Rounding(mode=mode, **places)


def _grades(spec: Any) -> tuple[Grade, ...]:
    if not isinstance(spec, list):
        raise RubricError("grades 应为列表")
    grades = []
    for i, g in enumerate(spec):
        if not isinstance(g, dict) or not isinstance(g.get("name"), str):
            raise RubricError(f"grades[{i}] 应有 min 与 name")
        grades.append(Grade(_decimal(g.get("min"), f"grades[{i}].min"), g["name"]))
    return tuple(sorted(grades, key=lambda g: g.minimum, reverse=True))


def _node(spec: Any, level: int, seen: set[str], where: str) -> Indicator:
    if not isinstance(spec, dict):
        raise RubricError(f"{where}：指标应为映射")
    code = spec.get("code")
    if not isinstance(code, str) or not code.strip():
        raise RubricError(f"{where}：缺少指标编码 code")
    name = spec.get("name")
    label = f"指标 {code}（{name}）" if isinstance(name, str) else f"指标 {code}"
    if not isinstance(name, str) or not name.strip():
        raise RubricError(f"{label}：缺少指标名称 name")
    if code in seen:
        raise RubricError(f"{label}：指标编码重复")
    seen.add(code)
    if level > MAX_DEPTH:
        raise RubricError(f"{label}：指标层级超过{MAX_DEPTH}级")
    points = _decimal(spec.get("points"), f"{label}：分值 points")
    if points <= 0:
        raise RubricError(f"{label}：分值应大于0")
    texts = {}
    for key in ("definition", "criteria", "remark"):
        value = spec.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise RubricError(f"{label}：{key} 应为文本")
        texts[key] = value.strip()
    evidence = spec.get("evidence_required", False)
    if not isinstance(evidence, bool):
        raise RubricError(f"{label}：evidence_required 应为 true 或 false")

    children_spec = spec.get("children") or []
    if not isinstance(children_spec, list):
        raise RubricError(f"{label}：children 应为列表")
    if children_spec:
        if "method" in spec:
            raise RubricError(f"{label}：有下级指标的节点不能指定评分方法")
        children = tuple(
            _node(c, level + 1, seen, f"{label}的第{i + 1}个下级")
            for i, c in enumerate(children_spec)
        )
        total = sum((c.points for c in children), Decimal(0))
        if total != points:
            raise RubricError(f"{label}：下级指标分值合计为 {total}，与本级分值 {points} 不一致")
        return Indicator(
            code=code,
            name=name,
            points=points,
            level=level,
            children=children,
            evidence_required=evidence,
            **texts,
        )

    method_name = spec.get("method")
    if method_name not in METHODS:
        known = "、".join(METHODS)
        raise RubricError(f"{label}：未知的评分方法 {method_name!r}（可用：{known}）")
    if not texts["criteria"]:
        raise RubricError(f"{label}：末级指标应有评分标准 criteria")
    params = spec.get("params") or {}
    if not isinstance(params, dict):
        raise RubricError(f"{label}：params 应为映射")
    params = _decimals(params)
    method = METHODS[method_name]
    unknown = sorted(set(params) - method.params)
    if unknown:
        raise RubricError(
            f"{label}：评分方法 {method_name} 没有参数 {'、'.join(unknown)}"
            f"（可用：{'、'.join(sorted(method.params)) or '无'}）"
        )
    try:
        method.check(params, points)
        inputs = method.inputs(params)
    except ParamError as exc:
        raise RubricError(f"{label}：评分方法 {method_name} 的参数有误：{exc}") from exc
    for key in inputs:
        if key not in FIGURES:
            raise RubricError(f"{label}：引用了不存在的输入项 {key!r}")
    return Indicator(
        code=code,
        name=name,
        points=points,
        level=level,
        evidence_required=evidence,
        method=method_name,
        params=params,
        **texts,
    )
