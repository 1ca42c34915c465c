"""The .xlsx template of one evaluation, generated from its rubric, and reading a filled one back.

Sheet 输入项: one row per input the rubric declares (derived ones excluded), pre-filled with the
evaluation's values; sheet 绩效指标: one row per target row; sheet 说明: which evaluation and
rubric the template belongs to, and how to fill it. `read_template()` turns a filled template
into the same structure as the JSON import (evaluations/transfer.py), with each JSON path's cell
(`绩效指标!D5`) so that the import's messages name the cell. Bounded: file size, the unpacked
size, the number of rows; formulas are not evaluated (the values Excel stored are read).
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from rubric.methods import OPERATOR_WORDS, OPERATORS

from . import tabular, transfer
from .models import Evaluation
from .transfer import Problem, TransferError

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_FORMAT = "evaluation-data-xlsx 1"
SHEET_INPUTS, SHEET_ROWS, SHEET_INFO = "输入项", "绩效指标", "说明"
INPUT_HEADERS = ("分组", "标识", "名称", "单位", "数值", "说明（含数据来源）")
VALUE_COLUMN = 5  # 数值
# (header, row field); "section" and "task" are the row's place, the rest transfer.ROW_CATALOGUE
ROW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("所属指标", "section"),
    ("任务", "task"),
    ("指标名称", "name"),
    ("分值", "points"),
    ("运算符", "operator"),
    ("年度指标值", "target_text"),
    ("年度指标值（数值）", "target_value"),
    ("上限", "target_max"),
    ("目标日期", "target_date"),
    ("实际完成值", "actual_text"),
    ("实际完成值（数值）", "actual_value"),
    ("实际日期", "actual_date"),
    ("是否完成", "achieved"),
    ("单位", "unit"),
    ("年初指标值", "initial_target_text"),
    ("核心指标", "core"),
    ("完成等级", "grade"),
    ("自评分", "claimed"),
    ("自评分说明", "claimed_reason"),
    ("备注", "note"),
)
BOLD = Font(bold=True)
READONLY = PatternFill("solid", fgColor="EEEEEE")


# ---------------------------------------------------------------------------- out


def _operator_text(code: str) -> str:
    return OPERATORS.get(code, code)


def build_template(evaluation: Evaluation) -> bytes:
    """The template, pre-filled with the evaluation's current data (read it with
    selectors.evaluations_for_scoring())."""
    rubric = evaluation.rubric.spec
    data = transfer.export_data(evaluation)
    wb = Workbook()
    _inputs_sheet(wb.active, rubric, data)
    _rows_sheet(wb.create_sheet(SHEET_ROWS), rubric, data)
    _info_sheet(wb.create_sheet(SHEET_INFO), evaluation)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _header(ws, headers, widths) -> None:
    tabular.append_row(ws, headers)
    for cell in ws[1]:
        cell.font = BOLD
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"


def _inputs_sheet(ws, rubric, data) -> None:
    ws.title = SHEET_INPUTS
    _header(ws, INPUT_HEADERS, (18, 30, 34, 8, 16, 70))
    groups = {g.key: g.title for g in rubric.input_groups}
    for spec in rubric.inputs:
        if spec.derived:
            continue
        notes = [spec.help] if spec.help else []
        if spec.data_source:
            notes.append(f"数据来源：{spec.data_source}")
        if spec.type == "number":
            bounds = []
            if spec.minimum is not None:
                bounds.append(f"不小于{spec.minimum}")
            if spec.maximum is not None:
                bounds.append(f"不大于{spec.maximum}")
            notes.append(
                f"最多{spec.decimals}位小数" + (f"，{'、'.join(bounds)}" if bounds else "")
            )
        if spec.source == "finance_bureau":
            notes.append("由财政局填报，此处修改无效")
        if not spec.required:
            notes.append("可不填")
        value = data["inputs"].get(spec.key)
        tabular.append_row(
            ws,
            [
                groups.get(spec.group, spec.group),
                spec.key,
                spec.label,
                spec.unit,
                _input_cell(spec, value),
                "；".join(n for n in notes if n),
            ],
        )
        row = ws.max_row
        cell = ws.cell(row=row, column=VALUE_COLUMN)
        if spec.type == "number":
            cell.number_format = "0" if spec.decimals == 0 else "0." + "0" * spec.decimals
        if spec.source == "finance_bureau":
            for c in ws[row]:
                c.fill = READONLY
        ws.cell(row=row, column=6).alignment = Alignment(wrap_text=True, vertical="top")


def _input_cell(spec, value: Any) -> Any:
    if value is None:
        return None
    if spec.type == "number":
        return Decimal(value)
    if spec.type == "bool":
        return "是" if value else "否"
    if spec.type == "date":
        return datetime.date.fromisoformat(value)
    return value


def _rows_sheet(ws, rubric, data) -> None:
    widths = (16, 36, 30, 8, 8, 30, 12, 10, 12, 30, 12, 12, 10, 8, 30, 10, 10, 8, 30, 30)
    _header(ws, [h for h, _ in ROW_COLUMNS], widths)
    names = {s.code: s.name for s in rubric.target_sections()}
    for code, tasks in data["target_rows"].items():
        for task in tasks:
            for row in task["rows"]:
                values = []
                for _, name in ROW_COLUMNS:
                    if name == "section":
                        values.append(f"{code} {names.get(code, '')}".strip())
                    elif name == "task":
                        values.append(task["name"])
                    else:
                        values.append(_cell_value(name, row.get(name)))
                tabular.append_row(ws, values)
    last = max(ws.max_row, 2) + transfer.MAX_ROWS
    column = {name: get_column_letter(i) for i, (_, name) in enumerate(ROW_COLUMNS, start=1)}
    operators = ",".join(_operator_text(c) for c in transfer.row_operators())
    sections = ",".join(f"{c} {n}" for c, n in names.items())
    lists = (
        ("operator", operators),
        ("achieved", "是,否"),
        ("core", "是,否"),
        ("section", sections),
    )
    for name, choices in lists:
        if not choices or len(choices) > 250:  # Excel's limit for an inline list
            continue
        dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        dv.add(f"{column[name]}2:{column[name]}{last}")
        ws.add_data_validation(dv)
    for name in ("target_date", "actual_date"):
        for cells in ws[f"{column[name]}2:{column[name]}{ws.max_row}"]:
            for c in cells:
                c.number_format = "yyyy-mm-dd"


def _cell_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    spec = transfer.ROW_BY_NAME[name]
    if spec.type == "decimal":
        return Decimal(value)
    if spec.type == "date":
        return datetime.date.fromisoformat(value)
    if spec.type == "bool":
        return "是" if value else "否"
    if spec.type == "operator":
        return _operator_text(value)
    return value


def _info_sheet(ws, evaluation: Evaluation) -> None:
    rubric = evaluation.rubric
    rows = [
        ("模板格式", TEMPLATE_FORMAT),
        ("单位编码", evaluation.department.code),
        ("单位名称", evaluation.department.name),
        ("年度", evaluation.fiscal_year.year),
        ("项目名称", evaluation.project or "（部门整体支出绩效自评）"),
        ("评分体系", rubric.key),
        ("评分体系名称", rubric.title),
        (
            "填写说明",
            "在“输入项”表的“数值”列填写收支数据（金额单位见“单位”列，百分比填数字，如 97.84）。",
        ),
        ("", "在“绩效指标”表每行填写一个指标；同一任务的各行“所属指标”和“任务”相同。"),
        (
            "",
            "“运算符”可填 ≥、≤、＝ 等；“是否完成”填 是 或 否。公式单元格按 Excel 保存的计算结果读取。",
        ),
        (
            "",
            "上传后将替换本自评的部门收支数据和全部绩效指标；有任何错误则不作改动并列出出错的单元格。",
        ),
        ("", "灰色行为财政局填报的数据，仅供参考，修改无效。请勿修改“标识”列和本页内容。"),
    ]
    for row in rows:
        tabular.append_row(ws, row)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 100
    for cells in ws["A1:A5"]:
        for c in cells:
            c.font = BOLD


# ---------------------------------------------------------------------------- in


def _refuse(message: str) -> TransferError:
    return TransferError([Problem("", message)])


def _open(data: bytes):
    """The workbook, within the limits every spreadsheet upload has (tabular.open_xlsx)."""
    try:
        return tabular.open_xlsx(
            data, unreadable="不是 .xlsx 文件：请上传由本系统下载的模板（Excel 工作簿 .xlsx）"
        )
    except tabular.ImportError_ as exc:
        raise _refuse(str(exc)) from exc


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(cell) -> Any:
    """A numeric cell as a Decimal string (a percentage-formatted cell × 100); text as typed."""
    value = cell.value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        number = Decimal(str(value))
        if "%" in (getattr(cell, "number_format", "") or ""):
            number *= 100
        return (
            str(int(number)) if number == number.to_integral() else format(number.normalize(), "f")
        )
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _sheet(wb, title: str):
    if title not in wb.sheetnames:
        raise _refuse(f"模板中缺少工作表“{title}”，请上传由本系统下载的模板")
    return wb[title]


def _rows(ws, width: int):
    """The sheet's non-blank rows after the header, as (row number, cells): only `width`
    columns and a bounded number of rows are read (tabular.bounded_rows)."""
    try:
        yield from tabular.bounded_rows(ws, width=width, max_rows=transfer.MAX_ROWS, min_row=2)
    except tabular.ImportError_ as exc:
        raise _refuse(f"工作表“{ws.title}”：{exc}") from exc


def read_template(data: bytes) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """A filled template as (raw data like the JSON import's `inputs` and `target_rows`,
    meta {department, year, rubric}, locations {JSON path: cell}); raises TransferError."""
    wb = _open(data)
    try:
        meta = _read_info(_sheet(wb, SHEET_INFO))
        locations: dict[str, str] = {}
        problems: list[Problem] = []
        inputs = _read_inputs(_sheet(wb, SHEET_INPUTS), locations, problems)
        target_rows = _read_rows(_sheet(wb, SHEET_ROWS), locations, problems)
    finally:
        wb.close()
    if problems:
        raise TransferError(problems)
    return {"inputs": inputs, "target_rows": target_rows}, meta, locations


def _read_info(ws) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for number, row in enumerate(ws.iter_rows(max_col=2, values_only=True), start=1):
        if number > 50:
            break
        row = [*row, None, None]
        if row[0]:
            found[str(row[0]).strip()] = row[1]
    if found.get("模板格式") != TEMPLATE_FORMAT:
        raise _refuse("“说明”页的模板格式不符，请上传由本系统下载的模板")
    year = found.get("年度")
    return {
        "department": _text(found.get("单位编码")),
        "year": int(year) if isinstance(year, (int, float)) else _text(year),
        "rubric": _text(found.get("评分体系")),
        # a template from before project names were written: the 部门整体 one
        "project": ""
        if found.get("项目名称") in (None, "（部门整体支出绩效自评）")
        else _text(found.get("项目名称")),
    }


def _read_inputs(ws, locations: dict[str, str], problems: list[Problem]) -> dict[str, Any]:
    header = [_text(c.value) for c in next(ws.iter_rows(max_row=1, max_col=6), ())]
    if header[:2] != list(INPUT_HEADERS[:2]) or len(header) < VALUE_COLUMN:
        raise _refuse(f"“{SHEET_INPUTS}”表头不符，请勿修改模板的表头和列顺序")
    inputs: dict[str, Any] = {}
    for number, cells in _rows(ws, len(INPUT_HEADERS)):
        key = _text(cells[1].value if cells[1] is not None else None)
        where = f"{SHEET_INPUTS}!E{number}"
        if not key:
            problems.append(
                Problem(f"{SHEET_INPUTS}!B{number}", "缺少“标识”（请勿修改或删除该列）")
            )
            continue
        if key in inputs:
            problems.append(Problem(f"{SHEET_INPUTS}!B{number}", f"标识 {key} 重复"))
            continue
        cell = cells[VALUE_COLUMN - 1]
        inputs[key] = _number(cell) if cell is not None else None
        locations[transfer._key_path("inputs", key)] = where
    return inputs


def _read_rows(ws, locations: dict[str, str], problems: list[Problem]) -> dict[str, list]:
    headers = [_text(c.value) for c in next(ws.iter_rows(max_row=1, max_col=len(ROW_COLUMNS)), ())]
    if headers != [h for h, _ in ROW_COLUMNS]:
        raise _refuse(f"“{SHEET_ROWS}”表头不符，请勿修改模板的表头和列顺序")
    operators = {}
    for code in transfer.row_operators():
        operators.update({code: code, OPERATORS.get(code, code): code})
        if code in OPERATOR_WORDS:
            operators[OPERATOR_WORDS[code]] = code
    operators.update({"≥": ">=", "≤": "<=", "=": "=", "＝": "=", "＞": ">", "＜": "<"})
    letters = {name: get_column_letter(i) for i, (_, name) in enumerate(ROW_COLUMNS, start=1)}
    tasks: dict[tuple[str, str], list] = {}
    target_rows: dict[str, list] = {}
    previous: tuple[str, str] = ("", "")
    count = 0
    for number, cells in _rows(ws, len(ROW_COLUMNS)):
        count += 1
        if count > transfer.MAX_ROWS:
            raise _refuse(f"“{SHEET_ROWS}”行数过多（最多 {transfer.MAX_ROWS} 行）")
        values = {name: cells[i] for i, (_, name) in enumerate(ROW_COLUMNS)}

        def text(name: str, values=values) -> str:
            cell = values[name]
            return _text(cell.value if cell is not None else None)

        section = text("section").split(" ")[0] or previous[0]
        task_name = text("task") or previous[1]
        if not section:
            problems.append(Problem(f"{SHEET_ROWS}!A{number}", "缺少“所属指标”"))
            continue
        if not task_name:
            problems.append(Problem(f"{SHEET_ROWS}!B{number}", "缺少“任务”"))
            continue
        previous = (section, task_name)
        section_tasks = target_rows.setdefault(section, [])
        if (section, task_name) not in tasks:
            task = {"name": task_name, "rows": []}
            section_tasks.append(task)
            tasks[(section, task_name)] = task
            t = len(section_tasks) - 1
            base = f"{transfer._key_path('target_rows', section)}[{t}]"
            locations[f"{base}.name"] = f"{SHEET_ROWS}!B{number}"
            locations[transfer._key_path("target_rows", section)] = f"{SHEET_ROWS}!A{number}"
        task = tasks[(section, task_name)]
        t = target_rows[section].index(task)
        path = f"{transfer._key_path('target_rows', section)}[{t}].rows[{len(task['rows'])}]"
        row: dict[str, Any] = {}
        for _, name in ROW_COLUMNS[2:]:
            cell = values[name]
            where = f"{SHEET_ROWS}!{letters[name]}{number}"
            locations[f"{path}.{name}"] = where
            kind = transfer.ROW_BY_NAME[name].type
            if kind == "decimal":
                row[name] = _number(cell) if cell is not None else None
            elif kind == "date":
                value = cell.value if cell is not None else None
                row[name] = value.date() if isinstance(value, datetime.datetime) else _text(value)
            elif kind == "bool":
                row[name] = text(name) or None  # 是 / 否, checked by transfer.validate
            elif kind == "operator":
                word = text(name)
                if word:
                    row[name] = operators.get(word, word)
            else:
                row[name] = text(name)
        locations[path] = f"{SHEET_ROWS}!{number}行"
        task["rows"].append(row)
    return target_rows
