"""Spreadsheets in and out: the dashboard export (.xlsx and CSV) and the import of the
finance bureau's notified figures. Bad files give a Chinese message, never an exception."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from .parsing import InputError, parse_percent
from .services import EventInput, ImportRow

IMPORT_HEADERS = (
    "单位编码",
    "单位名称",
    "一般公共预算项目支出年度平均执行率（%）",
    "受表彰事项",
    "受批评事项",
)
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width * 2))
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    # UTF-8 with BOM so that Excel on Chinese Windows opens it without mojibake.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class ImportError_(ValueError):
    """The sheet cannot be imported; the message lists every problem with its row."""


def _events(text, kind: str) -> list[EventInput]:
    parts = [p.strip() for p in str(text).replace("\n", "；").replace(";", "；").split("；")]
    return [EventInput(kind, p) for p in parts if p and p != "无"]


def _rate_text(cell) -> str:
    """A rate cell as text: a number in a cell formatted as a percentage (Excel stores 97.5% as
    0.975) is multiplied by 100; anything else is read as typed (97.5 or “97.5%”)."""
    value = cell.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "%" in (cell.number_format or ""):
            return str(Decimal(str(value)) * 100)
        return str(Decimal(str(value)))
    return str(value)


def parse_notified(
    data: bytes, known_codes: set[str] | None = None, rate_key: str | None = None
) -> list[ImportRow]:
    """Rows of the import sheet: 单位编码, 单位名称, 执行率, 受表彰事项, 受批评事项.
    A blank cell leaves that value as it is; “无” in an events cell clears the events.
    Every problem (format, unknown 单位编码) is reported at once, each with its row."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportError_("文件过大（上限5MB）")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True)
        rows = list(wb.worksheets[0].iter_rows())
    except Exception as exc:  # a crafted workbook fails in many ways (zip, XML, openpyxl)
        raise ImportError_("无法读取该文件，请上传由本系统模板填写的 .xlsx 文件") from exc
    header = [str(c.value or "").strip() for c in rows[0][:2]] if rows else []
    if header != list(IMPORT_HEADERS[:2]):
        raise ImportError_(
            "表头不符：第一行应为“单位编码、单位名称、执行率、受表彰事项、受批评事项”"
        )
    result, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        cells = list(row)[:5]
        values_ = [c.value for c in cells] + [None] * (5 - len(cells))
        code = str(values_[0] or "").strip()
        if not code and not any(values_[1:5]):
            continue
        if not code:
            problems.append(f"第{number}行：缺少单位编码")
            continue
        if known_codes is not None and code not in known_codes:
            problems.append(f"第{number}行：没有单位编码为 {code} 的本年度自评")
            continue
        values = {}
        if values_[2] not in (None, "") and rate_key is not None:
            try:
                values[rate_key] = parse_percent(_rate_text(cells[2]))
            except InputError as exc:
                problems.append(f"第{number}行：执行率{exc}")
                continue
        events = None
        if values_[3] not in (None, "") or values_[4] not in (None, ""):
            events = _events(values_[3] or "", "bonus") + _events(values_[4] or "", "penalty")
        result.append(ImportRow(number, code, values, events))
    if problems:
        raise ImportError_("；".join(problems))
    if not result:
        raise ImportError_("表中没有可导入的数据行")
    return result


def score_tables_xlsx(title: str, sheets) -> bytes:
    """All score tables of a year in one workbook: a summary sheet, then one sheet a department."""
    out = io.BytesIO()
    score_tables_xlsx_to(out, title, sheets)
    return out.getvalue()


SCORE_HEADERS = [
    "编码",
    "指标",
    "层级",
    "分值",
    "计算分",
    "自评分",
    "复核分",
    "得分",
    "评分依据",
    "提示",
]
SUMMARY_HEADERS = [
    "单位编码",
    "单位名称",
    "状态",
    "计算总分",
    "自评总分",
    "复核总分",
    "最终得分",
    "等级",
    "项目名称",
]


def score_tables_xlsx_to(handle, title: str, sheets: Iterable) -> int:
    """score_tables_xlsx written into `handle` (a file opened for binary writing) by openpyxl's
    write-only mode: each department's sheet goes to disk as it is written and is closed
    before the next, so memory stays flat however many departments `sheets` (an iterable of
    (evaluation, score sheet), consumed once) yields. Returns how many were written."""
    wb = Workbook(write_only=True)
    summary = wb.create_sheet("汇总")
    summary.column_dimensions["B"].width = 40
    bold = Font(bold=True)

    def heading(ws, values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            cell.font = bold
            cells.append(cell)
        return cells

    summary.append(heading(summary, SUMMARY_HEADERS))
    try:
        count = _write_score_sheets(wb, summary, title, sheets)
    except BaseException:
        for ws in wb.worksheets:  # an interrupted export (a cancelled job): release the files
            if not ws.closed:
                ws.close()
        raise
    wb.save(handle)
    return count


def _write_score_sheets(wb, summary, title: str, sheets: Iterable) -> int:
    used: set[str] = {"汇总"}
    count = 0
    for evaluation, sheet in sheets:
        t = sheet.totals
        summary.append(
            [
                evaluation.department.code,
                evaluation.department.name,
                evaluation.get_status_display(),
                _f(t.computed),
                _f(t.claimed),
                _f(t.reviewed),
                _f(t.final),
                sheet.grade,
                evaluation.project,
            ]
        )
        name = evaluation.department.short_name or evaluation.department.name
        if evaluation.project:
            name = f"{name}-{evaluation.project}"
        name = name[:28]
        for ch in "[]:*?/\\":
            name = name.replace(ch, "")
        base, n = name or evaluation.department.code[:28], 2
        while name in used:
            name = f"{base[:26]}-{n}"
            n += 1
        used.add(name)
        ws = wb.create_sheet(name)
        ws.column_dimensions["B"].width = 36
        ws.column_dimensions["I"].width = 60
        project = f" {evaluation.project}" if evaluation.project else ""
        ws.append([f"{evaluation.department.name}{project} {title}"])
        ws.append(SCORE_HEADERS)
        for line in sheet.lines:
            ws.append(
                [
                    line.code,
                    line.name,
                    line.level,
                    _f(line.points),
                    _f(line.computed),
                    _f(line.claimed),
                    _f(line.reviewed),
                    _f(line.final),
                    line.basis,
                    "；".join(w.message for w in line.warnings),
                ]
            )
        ws.append(["总分", "", "", 100, _f(t.computed), _f(t.claimed), _f(t.reviewed), _f(t.final)])
        ws.close()  # its rows are on disk; the workbook keeps no open file per department
        count += 1
    return count


def _f(value):
    return None if value is None else float(value)
