"""Issue 15 items 1, 3 and 8: an uploaded workbook makes the server read only the cells it
needs, whatever the file declares; what the system writes to a spreadsheet never becomes a
formula; only ASCII and full-width digits are read as numbers."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from evaluations import parsing, tabular

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_PART = "xl/worksheets/sheet1.xml"
CODE = "nansha-cppcc-office"


def _with_sheet(sheet_xml: str | bytes, *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The import template with its sheet part replaced (a hand-crafted file)."""
    template = tabular.xlsx_bytes("t", tabular.IMPORT_HEADERS, [(CODE, "x", 97.5)])
    source = zipfile.ZipFile(io.BytesIO(template))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as target:
        for name in source.namelist():
            target.writestr(name, sheet_xml if name == SHEET_PART else source.read(name))
    return out.getvalue()


def _row(number: int, *cells: tuple[str, str]) -> str:
    inner = "".join(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>' for ref, text in cells)
    return f'<row r="{number}">{inner}</row>'


HEADER_ROW = _row(1, *((f"{c}1", h) for c, h in zip("ABCDE", tabular.IMPORT_HEADERS, strict=True)))


def _sheet(*rows: str, dimension: str = "A1:XFD1048576") -> str:
    return (
        f'<worksheet xmlns="{NS}"><dimension ref="{dimension}"/>'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


@pytest.fixture
def cells_read(monkeypatch):
    """Counts the cells openpyxl hands out while reading a sheet; fails past a budget (so that
    an unbounded reader fails fast instead of running for minutes)."""
    count = {"cells": 0}
    original = ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            count["cells"] += len(row)
            if count["cells"] > 200_000:
                raise AssertionError("unbounded read: more than 200,000 cells")
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counting)
    return count


def test_a_sheet_declaring_16384_columns_is_read_cheaply(cells_read):
    """A ~20 KB workbook declaring A1:XFD1048576, with cells far to the right, padded every row
    to 16,384 cells (1.4 GB of memory, tens of seconds of CPU). Only 5 columns are read now."""
    far = [(f"XFD{n}", "填充") for n in range(2, 3)]
    rows = [HEADER_ROW] + [
        _row(n, (f"A{n}", f"dept-{n}"), (f"C{n}", "90"), *((f"XF{c}{n}", "x") for c in "ABC"))
        for n in range(2, 400)
    ]
    rows.append(_row(400, *far))
    data = _with_sheet(_sheet(*rows))
    assert len(data) < 40_000
    result = tabular.parse_notified(data, rate_key="rate")
    assert len(result) == 398
    assert all(r.problem == "" and r.values["rate"] == 90 for r in result)
    assert cells_read["cells"] <= 5 * (400 + tabular.MAX_BLANK_ROWS)


def test_a_row_numbered_a_million_is_refused_after_a_bounded_read(cells_read):
    data = _with_sheet(_sheet(HEADER_ROW, _row(2, ("A2", CODE)), _row(1048576, ("A1048576", CODE))))
    with pytest.raises(tabular.ImportError_, match="工作表行数过多"):
        tabular.parse_notified(data)
    assert cells_read["cells"] <= 5 * (3 + tabular.MAX_IMPORT_ROWS + tabular.MAX_BLANK_ROWS)


def test_too_many_data_rows_are_refused(monkeypatch, cells_read):
    monkeypatch.setattr(tabular, "MAX_IMPORT_ROWS", 10)
    rows = [_row(n, (f"A{n}", f"d{n}")) for n in range(2, 20)]
    with pytest.raises(tabular.ImportError_, match="最多 10 行数据"):
        tabular.parse_notified(_with_sheet(_sheet(HEADER_ROW, *rows)))


def test_a_zip_bomb_is_refused_from_its_directory():
    """40 MB of blanks compress to ~40 KB: refused by the members' declared sizes, unread."""
    padding = " " * (40 * 1024 * 1024)
    data = _with_sheet(_sheet(HEADER_ROW, padding, dimension="A1:E2"))
    assert len(data) < 200_000
    with pytest.raises(tabular.ImportError_, match="文件解压后过大"):
        tabular.open_xlsx(data)


def test_too_many_zip_members_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(tabular.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"x/{n}", "")
    with pytest.raises(tabular.ImportError_, match="文件结构异常"):
        tabular.open_xlsx(out.getvalue())


def test_a_too_large_file_is_refused_before_unzipping():
    with pytest.raises(tabular.ImportError_, match="文件过大"):
        tabular.open_xlsx(b"PK\x03\x04" + b"\x00" * tabular.MAX_IMPORT_BYTES)


def test_the_filers_template_reader_shares_the_limits():
    from evaluations import transfer, xlsx_template

    padding = " " * (40 * 1024 * 1024)
    with pytest.raises(transfer.TransferError, match="文件解压后过大"):
        xlsx_template.read_template(_with_sheet(_sheet(HEADER_ROW, padding, dimension="A1:E2")))


# ---------------------------------------------------------------------------- safe exports

HOSTILE = [
    '=HYPERLINK("http://evil.example","点此")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_xlsx_cells_that_look_like_formulas_are_text(text):
    data = tabular.xlsx_bytes("t", ["名称", "金额"], [(text, 12), ("普通文字", -3.5)])
    ws = load_workbook(io.BytesIO(data)).active
    cell = ws["A2"]
    # XML reads a carriage return back as a line feed; the cell stays text either way
    assert cell.value in (text, text.replace("\r", "\n"))
    assert cell.data_type == "s" and cell.quotePrefix
    assert ws["B2"].value == 12 and ws["B2"].data_type == "n"  # numbers stay numbers
    assert ws["B3"].value == -3.5 and ws["B3"].data_type == "n"
    assert ws["A3"].data_type == "s" and not ws["A3"].quotePrefix
    raw = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in raw  # no formula anywhere in the file


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_fields_that_look_like_formulas_are_quoted_as_text(text):
    data = tabular.csv_bytes(["名称", "金额"], [(text, 12), ("普通", None)])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == ["'" + text, "12"]
    assert rows[2] == ["普通", ""]


def test_the_score_table_workbook_keeps_names_as_text():
    from types import SimpleNamespace

    totals = SimpleNamespace(computed=90, claimed=91, reviewed=None, final=91)
    line = SimpleNamespace(
        code="2.1",
        name="=cmd|' /C calc'!A0",
        level=2,
        points=5,
        computed=4,
        claimed=4,
        reviewed=None,
        final=4,
        basis="-1+1",
        warnings=[],
    )
    department = SimpleNamespace(code="d", name="@部门", short_name="")
    evaluation = SimpleNamespace(
        department=department, project="", get_status_display=lambda: "填报中"
    )
    sheet = SimpleNamespace(totals=totals, grade="优", lines=[line])
    wb = load_workbook(io.BytesIO(tabular.score_tables_xlsx("2022年度", [(evaluation, sheet)])))
    summary = wb["汇总"]
    assert summary["B2"].value == "@部门" and summary["B2"].data_type == "s"
    assert summary["D2"].value == 90 and summary["D2"].data_type == "n"
    ws = wb.worksheets[1]
    assert ws["B3"].value == "=cmd|' /C calc'!A0" and ws["B3"].data_type == "s"
    assert ws["I3"].value == "-1+1" and ws["I3"].data_type == "s"


# ---------------------------------------------------------------------------- digits


@pytest.mark.parametrize(
    "text",
    ["١٩٥٤.٠٧", "𝟏𝟗𝟓𝟒", "۱۲", "१२३", "٩٧٫٥", "12٣", "𝟗𝟕.𝟓%"],
)
def test_only_ascii_and_full_width_digits_are_numbers(text):
    with pytest.raises(parsing.InputError, match="0～9"):
        parsing.parse_decimal(text)
    with pytest.raises(parsing.InputError):
        parsing.parse_percent(text)


@pytest.mark.parametrize(("text", "value"), [("１９５４.０７", "1954.07"), ("97.5", "97.5")])
def test_ascii_and_full_width_digits_still_read(text, value):
    from decimal import Decimal

    assert parsing.parse_decimal(text) == Decimal(value)


# ---------------------------------------------------------------------------- the writers


def test_the_filers_template_keeps_formula_like_names_as_text(seeded):
    """A task or row name typed as a formula reached the reviewer's workbook live."""
    from evaluations import xlsx_template
    from evaluations.models import DutyIndicator, DutyTask, Evaluation
    from evaluations.selectors import evaluations_for_scoring

    evaluation = Evaluation.objects.get(department__code=CODE, fiscal_year__year=2022)
    task = DutyTask.objects.filter(evaluation=evaluation).first()
    DutyTask.objects.filter(pk=task.pk).update(name="=cmd|' /C calc'!A0")
    DutyIndicator.objects.filter(task=task).update(note='=HYPERLINK("http://evil")')
    body = xlsx_template.build_template(evaluations_for_scoring().get(pk=evaluation.pk))
    ws = load_workbook(io.BytesIO(body))[xlsx_template.SHEET_ROWS]
    names = [c for c in ws["B"] if c.value == "=cmd|' /C calc'!A0"]
    assert names and all(c.data_type == "s" and c.quotePrefix for c in names)
    raw = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in raw
    # read back as text, as typed
    data, _, _ = xlsx_template.read_template(body)
    tasks = [t for rows in data["target_rows"].values() for t in rows]
    assert "=cmd|' /C calc'!A0" in [t["name"] for t in tasks]


def test_the_dashboard_exports_keep_department_names_as_text(seeded, client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from evaluations.models import Department

    Department.objects.filter(code=CODE).update(name="=cmd|' /C calc'!A0")
    client.force_login(get_user_model().objects.get(username="reviewer"))
    url = reverse("review:dashboard", args=["nansha", 2022])
    body = client.get(url, {"export": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert [r[1] for r in rows if r[0] == CODE] == ["'=cmd|' /C calc'!A0"]
    ws = load_workbook(io.BytesIO(client.get(url, {"export": "xlsx"}).content)).active
    cell = next(r[1] for r in ws.iter_rows(min_row=2) if r[0].value == CODE)
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s"
    total = next(r[4] for r in ws.iter_rows(min_row=2) if r[0].value == CODE)
    assert total.data_type == "n"  # numbers stay numbers


def test_the_filers_template_reads_a_bounded_number_of_rows(seeded, cells_read):
    from evaluations import transfer, xlsx_template
    from evaluations.models import Evaluation
    from evaluations.selectors import evaluations_for_scoring

    evaluation = Evaluation.objects.get(department__code=CODE, fiscal_year__year=2022)
    body = xlsx_template.build_template(evaluations_for_scoring().get(pk=evaluation.pk))
    source = zipfile.ZipFile(io.BytesIO(body))
    sheet = source.read("xl/worksheets/sheet2.xml").decode()
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = sheet.replace("</sheetData>", far + "</sheetData>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            part = sheet if name == "xl/worksheets/sheet2.xml" else source.read(name)
            target.writestr(name, part)
    with pytest.raises(transfer.TransferError, match="行数过多"):
        xlsx_template.read_template(out.getvalue())
    assert cells_read["cells"] < 100_000
