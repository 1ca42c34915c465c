"""Spreadsheets in and out: the dashboard export (.xlsx and CSV) and the import of the
finance bureau's notified figures. Bad files give a Chinese message, never an exception."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils.exceptions import InvalidFileException

from .parsing import InputError, parse_percent
from .services import EventInput, ImportRow

RATE_KEY = "project_execution_rate_notified"
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


def parse_notified(data: bytes) -> list[ImportRow]:
    """Rows of the import sheet: 单位编码, 单位名称, 执行率, 受表彰事项, 受批评事项.
    A blank cell leaves that value as it is; “无” in an events cell clears the events."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportError_("文件过大（上限5MB）")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        TypeError,
    ) as exc:
        raise ImportError_("无法读取该文件，请上传由本系统模板填写的 .xlsx 文件") from exc
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    if not rows or [str(c or "").strip() for c in rows[0][:2]] != list(IMPORT_HEADERS[:2]):
        raise ImportError_(
            "表头不符：第一行应为“单位编码、单位名称、执行率、受表彰事项、受批评事项”"
        )
    result, problems = [], []
    for number, cells in enumerate(rows[1:], start=2):
        cells = list(cells) + [None] * (5 - len(cells))
        code = str(cells[0] or "").strip()
        if not code and not any(cells[1:5]):
            continue
        if not code:
            problems.append(f"第{number}行：缺少单位编码")
            continue
        values = {}
        if cells[2] not in (None, ""):
            try:
                values[RATE_KEY] = parse_percent(str(cells[2]))
            except InputError as exc:
                problems.append(f"第{number}行：执行率{exc}")
                continue
        events = None
        if cells[3] not in (None, "") or cells[4] not in (None, ""):
            events = _events(cells[3] or "", "bonus") + _events(cells[4] or "", "penalty")
        result.append(ImportRow(number, code, values, events))
    if problems:
        raise ImportError_("；".join(problems))
    if not result:
        raise ImportError_("表中没有可导入的数据行")
    return result
