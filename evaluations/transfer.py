"""One evaluation's data as plain JSON, in and out (docs/evaluation-data.md).

`export_data()` reads an evaluation into the documented structure; `read_json()` and
`read_header()` check a file's shape; `validate()` checks everything against the evaluation's
rubric and returns the plain data the import service writes. Every problem is collected, each
with its JSON path (or, for an uploaded .xlsx, its cell), and reported at once: a file is
either imported whole or not at all. No writes here (evaluations/services/transfer.py does them).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rubric.spec import Rubric

from .models import DutyIndicator, Evaluation, FigureValue
from .models.org import Staffing
from .parsing import InputError, parse_decimal, parse_phone
from .services.errors import ServiceError
from .services.text import CONTROL, LIMITS

FORMAT = "evaluation-data"
VERSION = 1
MAX_BYTES = 5 * 1024 * 1024
MAX_TASKS = 200
MAX_ROWS = 2000  # target rows, all sections together
MAX_EVENTS = 200
MAX_TEXT = LIMITS["section"].max_length  # characters of one report section
MAX_GOAL = LIMITS["goal"].max_length
TEXT_REASON = LIMITS["reason"].max_length
TEXT_NOTE = LIMITS["note"].max_length
CONTROL_MESSAGE = "含有不可见的控制字符，请删除后再导入"
MAX_PROBLEMS = 200  # listed; the count says how many more
AMOUNT_LIMIT = Decimal(10) ** 12  # DecimalField(max_digits=14, decimal_places=2)
SCORE_LIMIT = Decimal(10) ** 4  # DecimalField(max_digits=6, decimal_places=2)

TOP_KEYS = (
    "format",
    "version",
    "exported_at",
    "department",
    "year",
    "project",
    "rubric",
    "status",
    "staffing",
    "inputs",
    "input_notes",
    "answers",
    "goals",
    "target_rows",
    "events",
    "sections",
    "report_date",
    "report_meta",
)
# The parts an import replaces when the file has them; a part it lacks is left as it is.
PARTS = (
    "staffing",
    "inputs",
    "answers",
    "goals",
    "target_rows",
    "events",
    "sections",
    "report_date",
    "report_meta",
)
GOAL_FIELDS = {
    "overall_goal": "年度整体绩效目标",
    "goal_completion": "整体绩效目标完成情况",
    "goal_shortfall_reason": "未能完成原因",
}
# 署名单位, 联系人, 联系电话 (with 报告日期, the report's signature; max lengths of the model)
REPORT_META_FIELDS = {"signed_unit": 200, "contact_name": 50, "contact_phone": 40}
STAFFING_FIELDS = Staffing.STAFFING_FIELDS
EVENT_KINDS = {"bonus": "受表彰（加分）", "penalty": "受批评（减分）"}


@dataclass(frozen=True)
class RowField:
    name: str
    type: str  # str | decimal | date | bool | operator
    label: str
    max_length: int = 0


# Every field a target row may have, in the order of the file. A field the database does not
# (yet) hold is exported as nothing and refused on import when given (never silently dropped).
ROW_CATALOGUE: tuple[RowField, ...] = (
    RowField("name", "str", "指标名称", 300),
    RowField("points", "decimal", "分值"),
    RowField("operator", "operator", "运算符"),
    RowField("target_text", "str", "年度指标值", 500),
    RowField("initial_target_text", "str", "年初指标值", 500),
    RowField("target_value", "decimal", "年度指标值（数值）"),
    RowField("target_max", "decimal", "上限"),
    RowField("target_date", "date", "目标日期"),
    RowField("actual_text", "str", "实际完成值", 500),
    RowField("actual_value", "decimal", "实际完成值（数值）"),
    RowField("actual_date", "date", "实际日期"),
    RowField("achieved", "bool", "是否完成"),
    RowField("unit", "str", "单位", 20),
    RowField("core", "bool", "核心指标"),
    RowField("grade", "str", "评价等级", 30),
    RowField("claimed", "decimal", "自评分"),
    RowField("claimed_reason", "str", "自评分说明", LIMITS["reason"].max_length),
    RowField("note", "str", "备注", LIMITS["note"].max_length),
)
ROW_BY_NAME = {f.name: f for f in ROW_CATALOGUE}


def stored_row_fields() -> tuple[RowField, ...]:
    """The row fields the database holds now (DutyIndicator's fields)."""
    names = {f.name for f in DutyIndicator._meta.get_fields()}
    return tuple(f for f in ROW_CATALOGUE if f.name in names)


def row_operators() -> dict[str, str]:
    """The operators a row may have: code -> label (what the database accepts)."""
    return dict(DutyIndicator._meta.get_field("operator").choices)


YES = {"yes", "true", "是", "完成", "已完成", "y", "1", "√", "✓"}
NO = {"no", "false", "否", "未完成", "n", "0", "×", "✗"}


def input_value(spec, figure: FigureValue | None) -> Any:
    """A stored input as Python: Decimal, bool, date or str (None where there is none).
    Numbers are in FigureValue.value; a text, date (ISO) or yes/no (yes, no) input in .text."""
    if figure is None:
        return None
    if spec.type == "number":
        return figure.value
    text = figure.text
    if not text:
        return None
    if spec.type == "bool":
        return text == "yes"
    if spec.type == "date":
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            return None
    return text


def input_fields(spec, value: Any) -> dict[str, Any]:
    """The FigureValue fields holding `value` (the inverse of input_value)."""
    if spec.type == "number":
        return {"value": value, "text": ""}
    if value is None:
        return {"value": None, "text": ""}
    if spec.type == "bool":
        return {"value": None, "text": "yes" if value else "no"}
    if spec.type == "date":
        return {"value": None, "text": value.isoformat()}
    return {"value": None, "text": str(value)}


def section_keys(rubric: Rubric) -> dict[str, str]:
    """The report sections an evaluation under this rubric has: key -> label."""
    return {s.key: s.title for s in rubric.report.sections}


# ---------------------------------------------------------------------------- out


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def export_data(evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation's data as the documented JSON structure (decimals as strings).
    Read it with selectors.evaluations_for_scoring() (prefetched) to keep it to a few queries."""
    rubric = evaluation.rubric.spec
    department = evaluation.department
    region = department.region
    figures = {f.key: f for f in evaluation.figures.all()}
    inputs, notes = {}, {}
    for spec in rubric.inputs:
        if spec.derived:
            continue
        figure = figures.get(spec.key)
        inputs[spec.key] = _plain(input_value(spec, figure))
        if figure is not None and figure.note:
            notes[spec.key] = figure.note
    answers = {}
    for a in sorted(evaluation.answers.all(), key=lambda a: a.code):
        answers[a.code] = {
            "choices": dict(a.choices or {}),
            "claimed": _s(a.claimed),
            "reason": a.claimed_reason,
            "note": a.note,
        }
    sections_ = rubric.target_sections()
    first = sections_[0].code if sections_ else ""
    target_rows: dict[str, list] = {s.code: [] for s in sections_}
    row_fields = stored_row_fields()
    for task in evaluation.tasks.all():
        rows = [
            {f.name: _plain(getattr(row, f.name)) for f in row_fields} for row in task.rows.all()
        ]
        target_rows.setdefault(task.section or first, []).append({"name": task.name, "rows": rows})
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "department": {
            "code": department.code,
            "name": department.name,
            "short_name": department.short_name,
            "unit_type": department.unit_type,
            "region": {
                "code": region.code,
                "name": region.name,
                "finance_bureau": region.finance_bureau,
            },
        },
        "year": evaluation.fiscal_year.year,
        "project": evaluation.project,
        "rubric": evaluation.rubric.key,
        "status": evaluation.status,
        "staffing": evaluation.staffing(),
        "inputs": inputs,
        "input_notes": notes,
        "answers": answers,
        "goals": {name: getattr(evaluation, name) for name in GOAL_FIELDS},
        "target_rows": target_rows,
        "events": [
            {
                "kind": e.kind,
                "description": e.description,
                "occurred_on": _plain(e.occurred_on),
            }
            for e in evaluation.bonus_events.all()
        ],
        "sections": {s.key: s.text for s in sorted(evaluation.sections.all(), key=lambda s: s.key)},
        "report_date": _plain(evaluation.report_date),
        "report_meta": {name: getattr(evaluation, name) for name in REPORT_META_FIELDS},
    }


def dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    path: str  # JSON path (inputs.initial_budget, target_rows["2"][0].rows[1].points) or cell
    message: str

    def __str__(self) -> str:
        return f"{self.path}：{self.message}" if self.path else self.message


class TransferError(ServiceError):
    """The data cannot be imported; `problems` lists every one, each with its path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = [str(p) for p in problems[:MAX_PROBLEMS]]
        more = len(problems) - len(shown)
        tail = [f"……另有 {more} 个问题未列出"] if more > 0 else []
        super().__init__(
            f"数据有 {len(problems)} 个问题，未导入任何内容：\n" + "\n".join(shown + tail)
        )


def _key_path(base: str, key: str) -> str:
    if key.isidentifier():
        return f"{base}.{key}" if base else key
    return f'{base}["{key}"]'


class _Collector:
    def __init__(self, locations: Mapping[str, str] | None = None) -> None:
        self.problems: list[Problem] = []
        self.locations = locations or {}

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.locations.get(path, path), message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise TransferError(self.problems)


# ---------------------------------------------------------------------------- in: shape


def read_json(data: bytes) -> dict[str, Any]:
    """The file's JSON object (numbers with a fraction as Decimal, never float)."""
    if len(data) > MAX_BYTES:
        raise TransferError([Problem("", f"文件过大（{len(data)} 字节），上限 5 MB")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TransferError([Problem("", "文件不是 UTF-8 编码的文本")]) from exc
    try:
        value = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise TransferError(
            [Problem("", f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}")]
        ) from exc
    except RecursionError as exc:
        raise TransferError([Problem("", "JSON 嵌套层数过多")]) from exc
    if not isinstance(value, dict):
        raise TransferError([Problem("", "JSON 的最外层应为对象 {…}")])
    return value


@dataclass(frozen=True)
class Header:
    """Who and what a file is for: the department (and its region), the year, the rubric."""

    department_code: str
    department_name: str
    short_name: str
    unit_type: str
    region_code: str
    region_name: str
    finance_bureau: str
    year: int
    rubric_key: str
    project: str = ""  # blank: the 部门整体 evaluation


def _str_of(c: _Collector, obj: Mapping, key: str, path: str, *, required=True, max_length=200):
    value = obj.get(key)
    if value is None or value == "":
        if required:
            c.add(_key_path(path, key), "缺少此项")
        return ""
    if not isinstance(value, str):
        c.add(_key_path(path, key), "应为文本")
        return ""
    if len(value) > max_length:
        c.add(_key_path(path, key), f"过长（最多 {max_length} 个字符）")
    elif CONTROL.search(value):
        c.add(_key_path(path, key), CONTROL_MESSAGE)
    return value.strip()


def read_header(raw: Mapping[str, Any]) -> Header:
    """The format marker, department, region, year and rubric key, checked for shape."""
    c = _Collector()
    if raw.get("format") != FORMAT:
        c.add("format", f"应为 {FORMAT!r}（本系统导出的自评数据文件）")
    if raw.get("version") != VERSION:
        c.add("version", f"不支持的格式版本 {raw.get('version')!r}，应为 {VERSION}")
    for key in raw:
        if key not in TOP_KEYS:
            c.add(key, "未知字段")
    dept = raw.get("department")
    region: Mapping = {}
    if not isinstance(dept, dict):
        c.add("department", "应为对象，含 code、name、region")
        dept = {}
    else:
        for key in dept:
            if key not in ("code", "name", "short_name", "unit_type", "region"):
                c.add(_key_path("department", key), "未知字段")
        region = dept.get("region") if isinstance(dept.get("region"), dict) else {}
        if not region:
            c.add("department.region", "应为对象，含 code、name")
        for key in region:
            if key not in ("code", "name", "finance_bureau"):
                c.add(_key_path("department.region", key), "未知字段")
    unit_type = _str_of(c, dept, "unit_type", "department", required=False) or "administrative"
    if unit_type not in ("administrative", "public_institution", "other"):
        c.add("department.unit_type", "应为 administrative、public_institution 或 other")
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2200:
        c.add("year", "应为年度，如 2022")
        year = 0
    header = Header(
        department_code=_str_of(c, dept, "code", "department", max_length=50),
        department_name=_str_of(c, dept, "name", "department"),
        short_name=_str_of(c, dept, "short_name", "department", required=False, max_length=100),
        unit_type=unit_type,
        region_code=_str_of(c, region, "code", "department.region", max_length=50),
        region_name=_str_of(c, region, "name", "department.region", max_length=100),
        finance_bureau=_str_of(
            c, region, "finance_bureau", "department.region", required=False, max_length=100
        ),
        year=year,
        rubric_key=_str_of(c, raw, "rubric", "", max_length=80),
        project=" ".join(_str_of(c, raw, "project", "", required=False).split()),
    )
    c.raise_if_any()
    return header


# ---------------------------------------------------------------------------- in: meaning


@dataclass(frozen=True)
class AnswerData:
    choices: dict[str, str]
    claimed: Decimal | None
    reason: str
    note: str


@dataclass(frozen=True)
class TaskData:
    section: str  # the target_rows leaf code
    name: str
    rows: tuple[dict[str, Any], ...]  # stored row field -> value


@dataclass(frozen=True)
class EventData:
    kind: str
    description: str
    occurred_on: datetime.date | None


@dataclass
class EvaluationData:
    """What an import writes. A part that is None is left as it is."""

    staffing: dict[str, int] | None = None
    inputs: dict[str, Any] | None = None  # every non-derived input key -> value
    input_notes: dict[str, str] | None = None
    answers: dict[str, AnswerData] | None = None
    goals: dict[str, str] | None = None
    tasks: list[TaskData] | None = None
    events: list[EventData] | None = None
    sections: dict[str, str] | None = None
    report_date: datetime.date | None = None
    has_report_date: bool = False
    report_meta: dict[str, str] | None = None
    untouched_inputs: frozenset[str] = field(default_factory=frozenset)


def _decimal(
    c: _Collector,
    value: Any,
    path: str,
    *,
    places: int,
    minimum: Decimal | None,
    maximum: Decimal | None,
    what: str,
    limit: Decimal = AMOUNT_LIMIT,
) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal, float)):
        c.add(path, f'{what}应为数值（建议写成字符串，如 "1954.07"）')
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        number = parse_decimal(
            text, places=places, minimum=minimum, maximum=maximum, what=what, suffixes=("%",)
        )
    except (InputError, InvalidOperation) as exc:
        c.add(path, str(exc))
        return None
    if number is not None and abs(number) >= limit:
        c.add(path, f"{what}过大")
        return None
    return number


def _date(c: _Collector, value: Any, path: str) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    c.add(path, "应为日期，格式如 2022-09-30")
    return None


def _text(c: _Collector, value: Any, path: str, *, max_length: int, required=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        c.add(path, "应为文本")
        return ""
    if required and not value.strip():
        c.add(path, "不能为空")
    if len(value) > max_length:
        c.add(path, f"过长（{len(value)} 个字符，最多 {max_length} 个）")
    elif CONTROL.search(value):
        c.add(path, CONTROL_MESSAGE)
    return value


def _mapping(c: _Collector, raw: Mapping, key: str) -> dict | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        c.add(key, "应为对象 {…}")
        return None
    return value


def validate(
    raw: Mapping[str, Any],
    rubric: Rubric,
    *,
    current_inputs: Mapping[str, Any] | None = None,
    sources: tuple[str, ...] = ("department", "finance_bureau"),
    locations: Mapping[str, str] | None = None,
) -> EvaluationData:
    """Check every part of `raw` against the rubric; return the data to write, or raise
    TransferError listing every problem. Inputs whose source is not in `sources` (a filer
    may not set the finance bureau's) must equal `current_inputs` and are left untouched."""
    c = _Collector(locations)
    out = EvaluationData()
    _staffing(c, raw, out)
    _inputs(c, raw, rubric, out, current_inputs or {}, sources)
    _answers(c, raw, rubric, out)
    _goals(c, raw, out)
    _targets(c, raw, rubric, out)
    _events(c, raw, out)
    _sections(c, raw, rubric, out)
    if "report_date" in raw:
        out.has_report_date = True
        out.report_date = _date(c, raw["report_date"], "report_date")
    _report_meta(c, raw, out)
    c.raise_if_any()
    return out


def _staffing(c: _Collector, raw: Mapping, out: EvaluationData) -> None:
    given = _mapping(c, raw, "staffing")
    if given is None:
        return
    out.staffing = {}
    for key, value in given.items():
        path = _key_path("staffing", key)
        if key not in STAFFING_FIELDS:
            c.add(path, f"未知字段（可用：{'、'.join(STAFFING_FIELDS)}）")
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 32767:
            c.add(path, "应为 0 到 32767 的整数")
        else:
            out.staffing[key] = value


def _inputs(c, raw, rubric: Rubric, out, current, sources) -> None:
    given = _mapping(c, raw, "inputs")
    notes = _mapping(c, raw, "input_notes")
    specs = {i.key: i for i in rubric.inputs}
    if given is not None:
        values: dict[str, Any] = {}
        untouched = set()
        for key, value in given.items():
            path = _key_path("inputs", key)
            spec = specs.get(key)
            if spec is None:
                c.add(path, f"评分体系 {rubric.key} 中没有输入项 {key}")
                continue
            if spec.derived:
                c.add(path, f"“{spec.label}”由公式计算，不能导入")
                continue
            number = _input(c, spec, value, path)
            if spec.source not in sources:
                if number != current.get(key):
                    c.add(path, f"“{spec.label}”由财政局填报，不能在此修改")
                untouched.add(key)
                continue
            values[key] = number
        for spec in rubric.inputs:
            if spec.derived or spec.key in values:
                continue
            if spec.source not in sources:
                untouched.add(spec.key)
            else:
                values[spec.key] = None
        out.inputs = values
        out.untouched_inputs = frozenset(untouched)
    if notes is not None:
        out.input_notes = {}
        for key, note in notes.items():
            path = _key_path("input_notes", key)
            spec = specs.get(key)
            if spec is None or spec.derived:
                c.add(path, f"评分体系 {rubric.key} 中没有可填报的输入项 {key}")
                continue
            out.input_notes[key] = _text(c, note, path, max_length=LIMITS["note"].max_length)


def _input(c: _Collector, spec, value: Any, path: str) -> Any:
    """One input's value as its type wants it (Decimal, bool, date, str), or None."""
    if spec.type == "number":
        return _decimal(
            c,
            value,
            path,
            places=spec.decimals,
            minimum=spec.minimum,
            maximum=spec.maximum,
            what=f"“{spec.label}”",
        )
    if value is None or value == "":
        return None
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in YES or word in NO:
            return word in YES
        c.add(path, f"“{spec.label}”应为是或否（true / false）")
        return None
    if spec.type == "date":
        return _date(c, value, path)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        value = str(value)
    return _text(c, value, path, max_length=LIMITS["input_text"].max_length)


def _answers(c: _Collector, raw, rubric: Rubric, out: EvaluationData) -> None:
    from rubric.methods import METHODS

    given = _mapping(c, raw, "answers")
    if given is None:
        return
    out.answers = {}
    for code, answer in given.items():
        path = _key_path("answers", code)
        node = rubric.find(code)
        if node is None:
            c.add(path, f"评分体系 {rubric.key} 中没有指标 {code}")
            continue
        if not node.is_leaf:
            c.add(path, f"指标 {code} 不是末级指标，不能填写自评分")
            continue
        if not isinstance(answer, dict):
            c.add(path, "应为对象，含 choices、claimed、reason、note")
            continue
        for key in answer:
            if key not in ("choices", "claimed", "reason", "note"):
                c.add(_key_path(path, key), "未知字段（可用：choices、claimed、reason、note）")
        choices = answer.get("choices") or {}
        checked: dict[str, str] = {}
        if not isinstance(choices, dict):
            c.add(f"{path}.choices", "应为对象 {核对项: 选项}")
        elif choices and node.method != "checklist":
            c.add(f"{path}.choices", f"指标 {code} 不按核对项计分，不能选择评分标准")
        else:
            items = {i["key"]: i for i in node.params.get("items", ())}
            for item_key, option in choices.items():
                where = _key_path(f"{path}.choices", item_key)
                item = items.get(item_key)
                if item is None:
                    c.add(where, f"指标 {code} 没有核对项 {item_key}")
                    continue
                options = [o["key"] for o in item["options"]]
                if option not in options:
                    c.add(where, f"选项 {option!r} 不存在（可选：{'、'.join(options)}）")
                    continue
                checked[item_key] = option
        method = METHODS.get(node.method or "")
        minimum = method.min_score(node) if method is not None else Decimal(0)
        claimed = _decimal(
            c,
            answer.get("claimed"),
            f"{path}.claimed",
            places=2,
            minimum=minimum,
            maximum=node.points,
            what="自评分",
            limit=SCORE_LIMIT,
        )
        out.answers[code] = AnswerData(
            choices=checked,
            claimed=claimed,
            reason=_text(c, answer.get("reason"), f"{path}.reason", max_length=TEXT_REASON),
            note=_text(c, answer.get("note"), f"{path}.note", max_length=TEXT_NOTE),
        )


def _goals(c: _Collector, raw, out: EvaluationData) -> None:
    given = _mapping(c, raw, "goals")
    if given is None:
        return
    out.goals = {}
    for key, value in given.items():
        path = _key_path("goals", key)
        if key not in GOAL_FIELDS:
            c.add(path, f"未知字段（可用：{'、'.join(GOAL_FIELDS)}）")
            continue
        out.goals[key] = _text(c, value, path, max_length=MAX_GOAL)


def _report_meta(c: _Collector, raw, out: EvaluationData) -> None:
    given = _mapping(c, raw, "report_meta")
    if given is None:
        return
    out.report_meta = {}
    for key, value in given.items():
        path = _key_path("report_meta", key)
        if key not in REPORT_META_FIELDS:
            c.add(path, f"未知字段（可用：{'、'.join(REPORT_META_FIELDS)}）")
            continue
        text = _text(c, value, path, max_length=REPORT_META_FIELDS[key]).strip()
        if key == "contact_phone" and text:
            try:
                text = parse_phone(text)
            except InputError as exc:
                c.add(path, str(exc))
        out.report_meta[key] = text


def _targets(c: _Collector, raw, rubric: Rubric, out: EvaluationData) -> None:
    given = _mapping(c, raw, "target_rows")
    if given is None:
        return
    leaves = {s.code for s in rubric.target_sections()}
    stored = {f.name for f in stored_row_fields()}
    operators = row_operators()
    out.tasks = []
    task_count = row_count = 0
    for code, tasks in given.items():
        base = _key_path("target_rows", code)
        if code not in leaves:
            known = "、".join(sorted(leaves)) or "无"
            c.add(base, f"指标 {code} 不是填报任务及指标的末级指标（可用：{known}）")
            continue
        if not isinstance(tasks, list):
            c.add(base, "应为任务列表 […]")
            continue
        for t, task in enumerate(tasks):
            task_path = f"{base}[{t}]"
            task_count += 1
            if task_count > MAX_TASKS:
                c.add(task_path, f"任务过多（最多 {MAX_TASKS} 个）")
                return
            if not isinstance(task, dict):
                c.add(task_path, "应为对象，含 name 与 rows")
                continue
            for key in task:
                if key not in ("name", "rows"):
                    c.add(_key_path(task_path, key), "未知字段（可用：name、rows）")
            name = _text(c, task.get("name"), f"{task_path}.name", max_length=300, required=True)
            rows = task.get("rows") or []
            if not isinstance(rows, list):
                c.add(f"{task_path}.rows", "应为指标列表 […]")
                continue
            clean_rows = []
            for i, row in enumerate(rows):
                row_count += 1
                if row_count > MAX_ROWS:
                    c.add(f"{task_path}.rows[{i}]", f"指标行过多（最多 {MAX_ROWS} 行）")
                    return
                clean = _row(c, row, f"{task_path}.rows[{i}]", stored, operators)
                if clean is not None:
                    clean_rows.append(clean)
            out.tasks.append(TaskData(section=code, name=name.strip(), rows=tuple(clean_rows)))


def _row(c: _Collector, row, path: str, stored: set[str], operators: dict[str, str]):
    if not isinstance(row, dict):
        c.add(path, "应为对象")
        return None
    clean: dict[str, Any] = {}
    for key, value in row.items():
        where = _key_path(path, key)
        spec = ROW_BY_NAME.get(key)
        if spec is None:
            c.add(where, "未知字段")
            continue
        empty = value is None or value == "" or (spec.type == "bool" and value is False)
        if key not in stored:
            if not empty:
                c.add(where, f"本系统暂不支持“{spec.label}”，请留空")
            continue
        if spec.type == "str":
            clean[key] = _text(c, value, where, max_length=spec.max_length).strip()
        elif spec.type == "operator":
            if value not in operators:
                c.add(where, f"运算符 {value!r} 无效（可用：{'、'.join(operators)}）")
            clean[key] = value
        elif spec.type == "date":
            clean[key] = _date(c, value, where)
        elif spec.type == "bool":
            word = value.strip().lower() if isinstance(value, str) else None
            if isinstance(value, bool) or value is None:
                clean[key] = value
            elif word in YES or word in NO:
                clean[key] = word in YES
            else:
                c.add(where, f"“{spec.label}”应为是或否（true / false），而不是“{value}”")
        else:
            is_score = key in ("points", "claimed")
            clean[key] = _decimal(
                c,
                value,
                where,
                places=2,
                minimum=Decimal(0) if is_score else None,
                maximum=None,
                what=spec.label,
                limit=SCORE_LIMIT if is_score else AMOUNT_LIMIT,
            )
    name = row.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        c.add(f"{path}.name", "缺少指标名称")
    if row.get("points") in (None, ""):
        c.add(f"{path}.points", "缺少分值")
    points, claimed = clean.get("points"), clean.get("claimed")
    if points is not None and claimed is not None and claimed > points:
        c.add(f"{path}.claimed", f"自评分不能大于分值 {points}")
    for spec in ROW_CATALOGUE:  # a field not given takes its empty value
        if spec.name in stored and clean.get(spec.name) is None:
            if spec.type == "str":
                clean[spec.name] = ""
            elif spec.type == "operator":
                clean[spec.name] = ">="
            elif spec.name == "core":
                clean[spec.name] = False
            else:
                clean.setdefault(spec.name, None)
    return clean


def _events(c: _Collector, raw, out: EvaluationData) -> None:
    given = raw.get("events")
    if given is None:
        return
    if not isinstance(given, list):
        c.add("events", "应为事项列表 […]")
        return
    if len(given) > MAX_EVENTS:
        c.add("events", f"加减分事项过多（{len(given)} 项，最多 {MAX_EVENTS} 项）")
        return
    out.events = []
    for i, event in enumerate(given):
        path = f"events[{i}]"
        if not isinstance(event, dict):
            c.add(path, "应为对象，含 kind、description、occurred_on")
            continue
        for key in event:
            if key not in ("kind", "description", "occurred_on"):
                c.add(_key_path(path, key), "未知字段（可用：kind、description、occurred_on）")
        kind = event.get("kind")
        if kind not in EVENT_KINDS:
            c.add(f"{path}.kind", "应为 bonus（受表彰，加分）或 penalty（受批评，减分）")
        description = _text(
            c, event.get("description"), f"{path}.description", max_length=500, required=True
        )
        occurred = _date(c, event.get("occurred_on"), f"{path}.occurred_on")
        out.events.append(EventData(kind=str(kind), description=description, occurred_on=occurred))


def _sections(c: _Collector, raw, rubric: Rubric, out: EvaluationData) -> None:
    given = _mapping(c, raw, "sections")
    if given is None:
        return
    known = section_keys(rubric)
    out.sections = {}
    for key, text in given.items():
        path = _key_path("sections", key)
        if key not in known:
            c.add(path, f"报告中没有章节 {key}（可用：{'、'.join(known)}）")
            continue
        out.sections[key] = _text(c, text, path, max_length=MAX_TEXT)
