"""Example inputs for a rubric file, as plain JSON: what `python manage.py rubric score` reads
and what the worked examples in docs/rubric-format.md give. Pure Python, no Django.

The format (numbers as strings, so that 0.1 stays 0.1)::

    {
      "inputs":  {"expenditure_final_total": "1954.07", "has_plan": true, "note": "…"},
      "answers": {"1.2": {"choices": {"duty": "yes"}, "claimed": "3", "reason": "…"}},
      "rows":    {"2": [{"task": "任务一", "name": "培训人次", "points": "5", "operator": ">=",
                         "target_value": "100", "actual_value": "120", "unit": "人次"}]},
      "events":  [{"kind": "bonus", "description": "受财政局通报表扬"}]
    }

Every part is optional. `inputs` gives the rubric's inputs by key (null: no value); `answers`
the filer's answers by indicator code (ticked checklist options or the chosen grade under
`choices`, the claimed score 自评分 and its reason); `rows` the target rows of each
target_rows indicator by its code, rows of one `task` grouped in order of first appearance;
`events` the bonus and penalty events. With the rubric given, every key and code is checked
against it and each input is read by its unit (a number, yes/no, a date or text).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .spec import Answer, Event, Rubric, ScoringInput, TargetRow, Task

TOP = ("inputs", "answers", "rows", "events")
ANSWER = ("choices", "claimed", "reason", "reviewed", "reviewed_reason")
ROW = (
    "task",
    "key",
    "name",
    "points",
    "operator",
    "unit",
    "target_value",
    "target_max",
    "target_text",
    "target_date",
    "initial_target_text",
    "actual_value",
    "actual_text",
    "actual_date",
    "achieved",
    "grade",
    "core",
    "claimed",
    "reason",
    "reviewed",
    "reviewed_reason",
)
EVENT = ("kind", "description")
EVENT_KINDS = ("bonus", "penalty")
ROW_OPERATORS = (">=", "<=", "=", ">", "<", "between", "date", "text")
_YES = {"是": True, "否": False, "yes": True, "no": False, "true": True, "false": False}


class ExampleInputError(ValueError):
    """The example inputs are not in the format above; the message names the place."""


def load(path: str | Path, rubric: Rubric | None = None) -> ScoringInput:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ExampleInputError(f"无法读取文件 {path}：{exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ExampleInputError(f"文件 {path} 不是 UTF-8 编码的文本") from exc
    return parse_text(text, rubric, str(path))


def parse_text(text: str, rubric: Rubric | None = None, name: str = "输入数据") -> ScoringInput:
    try:
        content = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExampleInputError(f"{name} 不是有效的 JSON：第{exc.lineno}行：{exc.msg}") from exc
    return scoring_input(content, rubric)


def scoring_input(content: Any, rubric: Rubric | None = None) -> ScoringInput:
    """The ScoringInput the engine takes, from the plain JSON content (see the module doc)."""
    if content is None:
        content = {}
    _mapping(content, "", TOP)
    return ScoringInput(
        figures=_inputs(content.get("inputs") or {}, rubric),
        answers=_answers(content.get("answers") or {}, rubric),
        tasks=_tasks(content.get("rows") or {}, rubric),
        events=_events(content.get("events") or [], rubric),
    )


# ---------------------------------------------------------------------------- parts


def _inputs(raw: Any, rubric: Rubric | None) -> dict[str, Any]:
    _mapping(raw, "inputs")
    specs = rubric.inputs_by_key if rubric is not None else None
    out: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"inputs.{key}"
        kind = "number"
        if specs is not None:
            spec = specs.get(key)
            if spec is None:
                raise ExampleInputError(f"{where}: 评分体系中没有此输入项")
            if spec.derived:
                raise ExampleInputError(f"{where}: 此输入项由公式计算，不应填写")
            kind = spec.type
        if value is None:
            out[key] = None
        elif kind == "bool" or (specs is None and isinstance(value, bool)):
            out[key] = _bool(value, where)
        elif kind == "date":
            out[key] = _date(value, where)
        elif kind == "text":
            if not isinstance(value, str):
                raise ExampleInputError(f"{where}: 应为文字")
            out[key] = value
        elif specs is None and isinstance(value, str) and _is_number(value) is None:
            out[key] = value  # text, where no rubric says what the input is
        else:
            out[key] = _number(value, where)
    return out


def _answers(raw: Any, rubric: Rubric | None) -> dict[str, Answer]:
    _mapping(raw, "answers")
    out = {}
    for code, answer in raw.items():
        where = f"answers.{code}"
        if rubric is not None:
            node = rubric.find(str(code))
            if node is None or not node.is_leaf:
                raise ExampleInputError(f"{where}: 评分体系中没有此末级指标")
        _mapping(answer, where, ANSWER)
        choices = answer.get("choices") or {}
        _mapping(choices, f"{where}.choices")
        for item, option in choices.items():
            if not isinstance(option, str):
                raise ExampleInputError(f"{where}.choices.{item}: 应为选项的 key（文字）")
        out[str(code)] = Answer(
            choices=dict(choices),
            claimed=_optional_number(answer.get("claimed"), f"{where}.claimed"),
            reason=_text(answer.get("reason"), f"{where}.reason"),
            reviewed=_optional_number(answer.get("reviewed"), f"{where}.reviewed"),
            reviewed_reason=_text(answer.get("reviewed_reason"), f"{where}.reviewed_reason"),
        )
    return out


def _tasks(raw: Any, rubric: Rubric | None) -> tuple[Task, ...]:
    _mapping(raw, "rows")
    sections = {n.code for n in rubric.target_sections()} if rubric is not None else None
    tasks: list[Task] = []
    for code, rows in raw.items():
        where = f"rows.{code}"
        if sections is not None and code not in sections:
            known = "、".join(sorted(sections)) or "无"
            raise ExampleInputError(
                f"{where}: 评分体系中没有以 target_rows 计分的指标 {code}（可用：{known}）"
            )
        if not isinstance(rows, list):
            raise ExampleInputError(f"{where}: 应为指标行的列表")
        grouped: dict[str, list[TargetRow]] = {}
        for i, row in enumerate(rows):
            task, target = _row(row, f"{where}[{i}]")
            grouped.setdefault(task, []).append(target)
        tasks.extend(Task(name, tuple(rs), section=str(code)) for name, rs in grouped.items())
    return tuple(tasks)


def _row(raw: Any, where: str) -> tuple[str, TargetRow]:
    _mapping(raw, where, ROW)
    for key in ("name", "points"):
        if raw.get(key) is None:
            raise ExampleInputError(f"{where}.{key}: 缺少必填字段")
    operator = raw.get("operator", ">=")
    if operator not in ROW_OPERATORS:
        raise ExampleInputError(
            f"{where}.operator: 应为 {'、'.join(ROW_OPERATORS)} 之一，这里是 {operator!r}"
        )
    achieved = raw.get("achieved")
    if achieved is not None:
        achieved = _bool(achieved, f"{where}.achieved")
    core = raw.get("core", False)
    if not isinstance(core, bool):
        raise ExampleInputError(f"{where}.core: 应为 true 或 false")
    texts = {
        k: _text(raw.get(k), f"{where}.{k}")
        for k in (
            "key",
            "unit",
            "target_text",
            "actual_text",
            "initial_target_text",
            "grade",
            "reason",
            "reviewed_reason",
        )
    }
    row = TargetRow(
        name=_text(raw["name"], f"{where}.name"),
        points=_number(raw["points"], f"{where}.points"),
        operator=operator,
        target_value=_optional_number(raw.get("target_value"), f"{where}.target_value"),
        target_max=_optional_number(raw.get("target_max"), f"{where}.target_max"),
        target_date=_optional_date(raw.get("target_date"), f"{where}.target_date"),
        actual_value=_optional_number(raw.get("actual_value"), f"{where}.actual_value"),
        actual_date=_optional_date(raw.get("actual_date"), f"{where}.actual_date"),
        achieved=achieved,
        core=core,
        claimed=_optional_number(raw.get("claimed"), f"{where}.claimed"),
        reviewed=_optional_number(raw.get("reviewed"), f"{where}.reviewed"),
        **texts,
    )
    return _text(raw.get("task"), f"{where}.task"), row


def _events(raw: Any, rubric: Rubric | None) -> tuple[Event, ...]:
    if not isinstance(raw, list):
        raise ExampleInputError("events: 应为事项的列表")
    out = []
    for i, event in enumerate(raw):
        where = f"events[{i}]"
        _mapping(event, where, EVENT)
        kind = event.get("kind")
        if kind not in EVENT_KINDS:
            raise ExampleInputError(
                f"{where}.kind: 应为 bonus（加分）或 penalty（扣分），这里是 {kind!r}"
            )
        out.append(Event(kind, _text(event.get("description"), f"{where}.description")))
    return tuple(out)


# ---------------------------------------------------------------------------- values


def _mapping(value: Any, where: str, keys: tuple[str, ...] | None = None) -> None:
    if not isinstance(value, Mapping):
        raise ExampleInputError(f"{where or '输入数据'}: 应为映射（JSON 对象）")
    if keys is not None:
        for key in value:
            if key not in keys:
                at = f"{where}.{key}" if where else str(key)
                raise ExampleInputError(f"{at}: 未知字段（此处可用：{'、'.join(keys)}）")


def _is_number(value: str) -> Decimal | None:
    try:
        result = Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ExampleInputError(f'{where}: 应为数值（写成文字，如 "123.45"）')
    result = _is_number(str(value))
    if result is None:
        raise ExampleInputError(f"{where}: 应为数值，这里是 {value!r}")
    return result


def _optional_number(value: Any, where: str) -> Decimal | None:
    return None if value is None or value == "" else _number(value, where)


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _YES:
        return _YES[value.strip().lower()]
    raise ExampleInputError(f"{where}: 应为 true 或 false（是、否）")


def _date(value: Any, where: str) -> datetime.date:
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ExampleInputError(f"{where}: 应为日期，写作 2022-09-30")


def _optional_date(value: Any, where: str) -> datetime.date | None:
    return None if value is None or value == "" else _date(value, where)


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ExampleInputError(f"{where}: 应为文字")
    return value
