"""Spreadsheets in and out: the dashboard export (.xlsx and CSV) and the import of the
finance bureau's notified figures. Bad files give a Chinese message, never an exception."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .parsing import InputError, parse_percent
from .services import EventInput, ImportRow

IMPORT_HEADERS = (
    "单位编码",
    "单位名称",
    "一般公共预算项目支出年度平均执行率（%）",
    "受表彰事项",
    "受批评事项",
)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What an uploaded workbook may make the server do: read at most these, whatever the file
# declares (its dimension, its row numbers, its zip headers). docs/evaluation-data.md lists them.
MAX_IMPORT_BYTES = 5 * 1024 * 1024  # the .xlsx file as uploaded
MAX_UNPACKED_BYTES = 30 * 1024 * 1024  # all its zip members together, uncompressed
MAX_ZIP_MEMBERS = 500
MAX_IMPORT_ROWS = 3000  # data rows of the finance bureau's sheet: one per department
MAX_BLANK_ROWS = 1000  # blank rows tolerated among them (formatted but empty)

# A cell that starts with one of these is taken for a formula by Excel, LibreOffice and WPS
# (OWASP "CSV injection"): what a user typed is written as text, never as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """True for text a spreadsheet would run as a formula; numbers are never formula-like."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def append_row(ws, values: Iterable) -> None:
    """Append one row to an openpyxl sheet, text that starts like a formula as a text cell
    (with Excel's quote prefix, so it stays text when edited); numbers stay numbers. Every
    .xlsx the system writes goes through this function or put_cell()."""
    values = list(values)
    if isinstance(ws, WriteOnlyWorksheet):  # no cells to revisit: write text cells as such
        if any(formula_like(v) for v in values):
            values = [_text_cell(ws, v) if formula_like(v) else v for v in values]
        ws.append(values)
        return
    ws.append(values)
    if any(formula_like(v) for v in values):
        for cell, value in zip(ws[ws.max_row], values, strict=False):
            if formula_like(value):
                put_cell(cell, value)


def _text_cell(ws, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws)
    put_cell(cell, value)
    return cell


def put_cell(cell, value) -> None:
    """Set one cell's value; text that starts like a formula is kept as text."""
    cell.value = value
    if formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True


def csv_value(value):
    """A CSV field: a formula-like text gets a leading apostrophe (CSV has no text type)."""
    if value is None:
        return ""
    return "'" + value if formula_like(value) else value


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    append_row(ws, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        append_row(ws, [float(v) if isinstance(v, Decimal) else v for v in row])
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
    writer.writerow([csv_value(v) for v in headers])
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
    # UTF-8 with BOM so that Excel on Chinese Windows opens it without mojibake.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class ImportError_(ValueError):
    """The sheet cannot be imported at all (not a workbook, too large, wrong header)."""


UNREADABLE = "无法读取该文件，请上传由本系统模板填写的 .xlsx 文件"


def open_xlsx(data: bytes, *, unreadable: str = UNREADABLE):
    """A read-only openpyxl workbook (formula cells read as their saved results), after
    checking the file and its zip directory against the limits above. The declared member
    sizes can be trusted as upper bounds: zipfile stops reading a member at its declared
    size and refuses it when the content differs (CRC)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportError_(f"文件过大（{len(data) // 1024} KB），上限 5 MB")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ImportError_(unreadable) from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportError_(f"文件结构异常（含 {len(members)} 个部件），无法读取")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportError_(
            f"文件解压后过大（{unpacked // 1048576} MB，上限 {MAX_UNPACKED_BYTES // 1048576} MB），"
            "无法读取；请删除多余的工作表、格式或图片后再上传"
        )
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise ImportError_(unreadable)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a crafted workbook fails in many ways (zip, XML, openpyxl)
        raise ImportError_(unreadable) from exc


def bounded_rows(ws, *, width: int, max_rows: int, min_row: int = 1):
    """(row number, cells) of the sheet's non-blank rows, reading only the first `width`
    columns and at most `max_rows` non-blank plus MAX_BLANK_ROWS blank rows: never the
    sheet's declared dimension, which a crafted file sets to 16,384 columns and a million
    rows. More rows than that is refused, not silently cut."""
    last = min_row + max_rows + MAX_BLANK_ROWS  # reaching it: the sheet has rows past the limit
    too_many = f"工作表行数过多：最多 {max_rows} 行数据，请分批导入"
    found = 0
    for number, cells in enumerate(
        ws.iter_rows(min_row=min_row, max_row=last, max_col=width), start=min_row
    ):
        if number >= last:
            raise ImportError_(too_many)
        cells = list(cells)[:width]
        cells += [None] * (width - len(cells))
        if all(c is None or c.value in (None, "") for c in cells):
            continue
        found += 1
        if found > max_rows:
            raise ImportError_(too_many)
        yield number, cells


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


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def parse_notified(
    data: bytes, known_codes: set[str] | None = None, rate_key: str | None = None
) -> list[ImportRow]:
    """Rows of the import sheet: 单位编码, 单位名称, 执行率, 受表彰事项, 受批评事项.
    A blank cell leaves that value as it is; “无” in an events cell clears the events.
    A file that cannot be read at all raises ImportError_; a row that cannot be read is
    returned with its `problem` (a reason for the user), so that the other rows can be applied."""
    wb = open_xlsx(data)
    try:
        if not wb.worksheets:
            raise ImportError_(UNREADABLE)
        ws = wb.worksheets[0]
        width = len(IMPORT_HEADERS)
        header_row = next(ws.iter_rows(min_row=1, max_row=1, max_col=width), ())
        header = [_text(c.value) for c in list(header_row)[:2]]
        if header != list(IMPORT_HEADERS[:2]):
            raise ImportError_(
                "表头不符：第一行应为“单位编码、单位名称、执行率、受表彰事项、受批评事项”"
            )
        result = []
        for number, cells in bounded_rows(ws, width=width, max_rows=MAX_IMPORT_ROWS, min_row=2):
            result.append(_notified_row(number, cells, known_codes, rate_key))
    except ImportError_:
        raise
    except Exception as exc:  # openpyxl parses the sheet's XML lazily, while iterating
        raise ImportError_(UNREADABLE) from exc
    finally:
        wb.close()
    if not result:
        raise ImportError_("表中没有可导入的数据行")
    return result


def _notified_row(number: int, cells, known_codes, rate_key) -> ImportRow:
    values_ = [c.value if c is not None else None for c in cells]
    code, name = _text(values_[0]), _text(values_[1])
    if not code:
        return ImportRow(number, "", {}, None, name=name, problem="缺少单位编码")
    if known_codes is not None and code not in known_codes:
        return ImportRow(
            number, code, {}, None, name=name, problem=f"没有单位编码为 {code} 的本年度自评"
        )
    values = {}
    if values_[2] not in (None, "") and rate_key is not None:
        try:
            values[rate_key] = parse_percent(_rate_text(cells[2]))
        except InputError as exc:
            return ImportRow(number, code, {}, None, name=name, problem=f"执行率：{exc}")
    events = None
    if values_[3] not in (None, "") or values_[4] not in (None, ""):
        events = _events(values_[3] or "", "bonus") + _events(values_[4] or "", "penalty")
    return ImportRow(number, code, values, events, name=name)


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
        append_row(
            summary,
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
            ],
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
        append_row(ws, [f"{evaluation.department.name}{project} {title}"])
        append_row(ws, SCORE_HEADERS)
        for line in sheet.lines:
            append_row(
                ws,
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
                ],
            )
        append_row(
            ws, ["总分", "", "", 100, _f(t.computed), _f(t.claimed), _f(t.reviewed), _f(t.final)]
        )
        ws.close()  # its rows are on disk; the workbook keeps no open file per department
        count += 1
    return count


def _f(value):
    return None if value is None else float(value)
