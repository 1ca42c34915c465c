"""The 自评报告 and its 附件 自评表 as one PDF, rendered by WeasyPrint from Django templates.

Every figure the report states (amounts, rates, the score) comes from the same data and the
same engine as the table, through `report_context`; the templates only lay it out.
`render_pdf` is the one entry point; it raises ReportError, never a WeasyPrint exception.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from rubric import fmt, templates
from rubric.methods import ROW_METHOD
from rubric.spec import Line, ScoreSheet

from . import typesetting
from .models import Evaluation
from .scoring import header_table, score_evaluation

log = logging.getLogger(__name__)


class ReportError(Exception):
    """The PDF could not be rendered; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------- the 自评表 rows


@dataclass
class Cell:
    text: str
    points: Decimal | None = None
    rowspan: int = 1
    continued: bool = False  # the group began on an earlier page: “资金管理（续）”


@dataclass
class TableRow:
    line: Line
    label: str = ""  # the 三级指标 cell
    level1: Cell | None = None  # None where the cell above spans this row
    level2: Cell | None = None
    definition: str = ""
    criteria: str = ""
    remark: str = ""
    basis: str = ""
    duty: bool = False
    index: int = 0  # the row's place in the whole table (the <tr>'s data-row)


def _score_note(line: Line) -> str:
    """Where computed, claimed and reviewed differ, the 评分依据 cell says so."""
    notes = []
    if line.computed is not None and line.claimed is not None and line.claimed != line.computed:
        notes.append(f"按规则计算得分{fmt.num(line.computed)}，自评分{fmt.num(line.claimed)}")
        if line.reason:
            notes.append(f"自评说明：{line.reason}")
    if line.reviewed is not None:
        notes.append(f"复核分{fmt.num(line.reviewed)}（{line.reviewed_reason}）")
    return "；".join(notes)


def table_rows(sheet: ScoreSheet) -> list[TableRow]:
    """One row per leaf line (and per target row), with the 一级/二级 cells spanning their
    rows as in the seed. Any depth: below the second level, the names between the second level
    and the leaf are written into the 三级 cell (“a／b”); a leaf at the first or second level
    leaves the cells below it empty. Target-row sections (target_rows) give one row per row,
    headed 年度指标值 / 实际完成指标值."""
    rows: list[TableRow] = []
    for top in sheet.rubric.indicators:
        top_line = sheet.line(top.code)
        if top.is_leaf:
            if top.method == ROW_METHOD:
                group = _section_rows(sheet, top_line, by_task=True)
            else:
                group = [_leaf_row(sheet, top, "", level2=Cell("", None, 1))]
        else:
            group = []
            for child in top.children:
                child_line = sheet.line(child.code)
                if child.is_leaf and child.method == ROW_METHOD:
                    sub = _section_rows(sheet, child_line, by_task=False)
                elif child.is_leaf:
                    sub = [_leaf_row(sheet, child, child.name, level2=Cell("", None, 1))]
                else:
                    sub = []
                    for leaf, path in _leaves_with_path(child, ()):
                        if leaf.method == ROW_METHOD:
                            sub.extend(
                                _section_rows(
                                    sheet, sheet.line(leaf.code), by_task=False, path=path
                                )
                            )
                        else:
                            sub.append(_leaf_row(sheet, leaf, "／".join((*path, leaf.name))))
                    if sub:
                        sub[0].level2 = Cell(child_line.name, child_line.points, len(sub))
                group.extend(sub)
        if group:
            group[0].level1 = Cell(top_line.name, top_line.points, len(group))
        rows.extend(group)
    for index, row in enumerate(rows):
        row.index = index
    return rows


def _leaves_with_path(node, path: tuple[str, ...]):
    """The leaves under a second-level node, each with the names between them (exclusive)."""
    for child in node.children:
        if child.is_leaf:
            yield child, path
        else:
            yield from _leaves_with_path(child, (*path, child.name))


def _leaf_row(sheet: ScoreSheet, leaf, label: str, level2: Cell | None = None) -> TableRow:
    line = sheet.line(leaf.code)
    return TableRow(
        line=line,
        label=label,
        level2=level2,
        definition=leaf.definition,
        criteria=leaf.criteria,
        remark=leaf.remark,
        basis="；".join(x for x in (line.basis, _score_note(line)) if x),
    )


def _section_rows(
    sheet: ScoreSheet, section: Line, *, by_task: bool, path: tuple[str, ...] = ()
) -> list[TableRow]:
    """The rows of a target-rows section. At the first level (`by_task`) a task spans its rows
    in the 二级 cell, as the seed's 履职效能; deeper, the task's name leads the 三级 cell."""
    prefix = section.code + "."
    below = [ln for ln in sheet.lines if ln.code.startswith(prefix)]
    out: list[TableRow] = []
    task: Line | None = None
    first_of_task: TableRow | None = None
    count = 0
    for line in below:
        if line.row is None:  # a task's subtotal line
            task, first_of_task, count = line, None, 0
            continue
        count += 1
        row = line.row
        if by_task:
            # the seed writes the row's name into its 年度指标值 text and numbers the 三级 cell
            label = f"指标{count}" if (row.target_text or "").startswith(line.name) else line.name
        else:
            label = "／".join(x for x in (*path, task.name if task else "", line.name) if x)
        item = TableRow(
            line=line,
            label=label,
            definition=row.target_text or "",
            criteria=row.actual_text or "",
            remark="核心指标" if row.core else "",
            basis="；".join(x for x in (line.basis, _score_note(line)) if x),
            duty=True,
        )
        if by_task and task is not None:  # the task spans its rows
            if first_of_task is None:
                first_of_task, item.level2 = item, Cell(task.name, task.points, 1)
            else:
                first_of_task.level2.rowspan += 1
        elif by_task:  # rows without tasks (layout: rows): one empty 二级 cell spans them
            if not out:
                item.level2 = Cell("", None, 1)
            else:
                out[0].level2.rowspan += 1
        out.append(item)
    if not out:
        name = section.indicator.params.get("row_label") if section.indicator else ""
        out.append(
            TableRow(
                line=section,
                label="" if by_task else section.name,
                level2=Cell("", None, 1) if by_task else None,
                definition=f"（未填写{name or section.name}）",
                duty=True,
            )
        )
    return out


def table_segments(rows: list[TableRow]) -> list[dict[str, Any]]:
    """The table in runs of rows that share a header: target rows are headed 年度指标值 /
    实际完成指标值, the others 指标解释 / 评分标准; each run is its own table so that the header
    repeated on a new page is the right one. A 一级/二级 cell spanning rows of two runs is
    repeated at the top of the second run with the rows left."""
    segments: list[dict[str, Any]] = []
    open_cells: dict[str, tuple[Cell, int]] = {}  # level -> (cell, rows left after this one)
    for row in rows:
        for level in ("level1", "level2"):
            cell = getattr(row, level)
            if cell is not None:
                open_cells[level] = (cell, cell.rowspan)
        if not segments or segments[-1]["duty"] != row.duty:
            segments.append({"duty": row.duty, "rows": []})
            if segments[-1] is not segments[0]:
                for level in ("level1", "level2"):
                    cell, left = open_cells.get(level, (None, 0))
                    if cell is not None and getattr(row, level) is None and left > 0:
                        cell.rowspan -= left  # the part in the runs before
                        setattr(row, level, Cell(cell.text, cell.points, left))
                        open_cells[level] = (getattr(row, level), left)
        for level in ("level1", "level2"):
            cell, left = open_cells.get(level, (None, 0))
            if cell is not None:
                open_cells[level] = (cell, left - 1)
        segments[-1]["rows"].append(row)
    return segments


# ---------------------------------------------------------------------------- the report text


def _a(value: Decimal | None) -> str:
    return "—" if value is None else fmt.amount(value)


def _r(value: Decimal | None) -> str:
    return "—" if value is None else fmt.rate(value)


def report_context(evaluation: Evaluation, *, draft: bool) -> dict[str, Any]:
    """Everything the PDF templates show, computed here once."""
    sheet = score_evaluation(evaluation)
    header = header_table(sheet)
    texts = {s.key: s.text for s in evaluation.sections.all()}
    d = evaluation.department
    year = evaluation.fiscal_year.year
    unit = d.short_name or d.name
    values = template_values(evaluation, sheet)
    chapters = _chapters(sheet.rubric.report, texts, values)
    title = templates.fill(sheet.rubric.report.title, values)
    return {
        "evaluation": evaluation,
        "department": d,
        "year": year,
        "title": title,
        "title_lines": typesetting.title_lines(title, (d.name, unit, evaluation.project)),
        "evaluation_name": sheet.rubric.evaluation_name,
        "description": f"{d.name}{year}年度{sheet.rubric.evaluation_name}"
        + (f"（{evaluation.project}）" if evaluation.project else "")
        + "：自评报告及自评表",
        "font_faces": typesetting.font_face_css(),
        "table_title": f"{sheet.rubric.evaluation_name}表"
        + (f"（{evaluation.project}）" if evaluation.project else ""),
        "sheet": sheet,
        "header": header,
        "segments": table_segments(table_rows(sheet)),
        "chapters": chapters,
        "signature_unit": evaluation.signed_unit or unit,
        "report_date": evaluation.report_date,
        "report_date_text": chinese_date(evaluation.report_date),
        "contact_name": evaluation.contact_name,
        "contact_phone": evaluation.contact_phone,
        "draft": draft,
    }


def chinese_date(day: datetime.date | None) -> str:
    """2023-06-14 → '2023年6月14日' (the date as a Chinese official document writes it)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def template_values(evaluation: Evaluation, sheet: ScoreSheet) -> dict[str, str]:
    """What the rubric's report templates may name: every input (as the engine holds it,
    derived rates included) and the context names of rubric.templates.CONTEXT."""
    e, d = evaluation, evaluation.department
    declared = sheet.rubric.inputs_by_key
    values = {
        k: fmt.input_value(declared.get(k), v, in_sentence=True) for k, v in sheet.values.items()
    }
    values.update(
        department=d.name,
        unit=d.short_name or d.name,
        year=str(e.fiscal_year.year),
        evaluation_name=sheet.rubric.evaluation_name,
        project=e.project,
        total=fmt.amount(sheet.totals.final),
        claimed_total=fmt.amount(sheet.totals.claimed),
        computed_total=fmt.amount(sheet.totals.computed),
        grade=sheet.grade,
        internal_units=str(e.internal_units),
        subordinate_units=str(e.subordinate_units),
        staff_total=str(e.staff_total),
        staff_administrative=str(e.staff_administrative),
        staff_public_1=str(e.staff_public_1),
        staff_public_2=str(e.staff_public_2),
        staff_actual=str(e.staff_actual),
        staff_other=str(e.staff_other),
        overall_goal=e.overall_goal,
        goal_completion=e.goal_completion,
    )
    return values


def _chapters(report, texts: dict[str, str], values: dict[str, str]) -> list[dict[str, Any]]:
    """The report's chapters → headings → paragraphs, as the rubric's `report` says: each
    section's generated paragraphs (templates) around the department's text."""
    chapters: list[dict[str, Any]] = []
    for section in report.sections:
        if not chapters or chapters[-1]["title"] != section.chapter:
            chapters.append({"title": section.chapter, "blocks": []})
        paragraphs = _paragraphs(texts.get(section.key, ""))
        if paragraphs and section.lead:
            paragraphs.insert(0, section.lead)
        paragraphs = [
            *(templates.fill(t, values) for t in section.before),
            *paragraphs,
            *(templates.fill(t, values) for t in section.after),
        ]
        chapters[-1]["blocks"].append(
            {
                "heading": section.heading,
                "sub": section.sub,
                "paragraphs": paragraphs,
                "key": section.key,
            }
        )
    # Show each heading once, at its first block.
    for chapter in chapters:
        seen_heading, seen_sub = set(), set()
        for block in chapter["blocks"]:
            if block["heading"] in seen_heading:
                block["heading"] = ""
            else:
                seen_heading.add(block["heading"])
            if block["sub"] in seen_sub:
                block["sub"] = ""
            else:
                seen_sub.add(block["sub"])
    if report.annex:
        chapters.append(
            {
                "title": report.annex_title,
                "blocks": [
                    {
                        "heading": "",
                        "sub": "",
                        "paragraphs": [templates.fill(report.annex, values)],
                        "key": "annex",
                    }
                ],
            }
        )
    return chapters


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n") if p.strip()]


# ---------------------------------------------------------------------------- rendering


def render_html(evaluation: Evaluation, *, draft: bool) -> str:
    return render_to_string("reports/evaluation.html", report_context(evaluation, draft=draft))


# The published file is archival: PDF/A-3b (ISO 19005-3, conformance level B), tagged.
PDF_VARIANT = "pdf/a-3b"
_CONTINUATION_PASSES = 3


def continue_groups(segments: list[dict[str, Any]], page_starts: set[int]) -> None:
    """Where a page begins inside a 一级/二级 group (its rowspanned cell started on an earlier
    page), end the group's cell on the page before and head the rows left with the group's
    name and （续）, e.g. “资金管理（续）”: no page shows rows without their group."""
    for segment in segments:
        rows = segment["rows"]
        for k, row in enumerate(rows):
            if k == 0 or row.index not in page_starts:
                continue
            for level in ("level1", "level2"):
                if getattr(row, level) is not None:
                    continue
                for j in range(k - 1, -1, -1):
                    cell = getattr(rows[j], level)
                    if cell is not None:
                        break
                else:
                    continue
                left = j + cell.rowspan - k
                if left <= 0:
                    continue
                cell.rowspan = k - j
                setattr(row, level, Cell(cell.text, cell.points, left, continued=bool(cell.text)))


def _page_starts(document) -> set[int]:
    """The table rows (data-row) that begin a page of a laid-out WeasyPrint document."""
    starts: set[int] = set()
    seen: set[int] = set()
    for page in document.pages:
        first = None
        on_page = set()
        for box in page._page_box.descendants():
            if getattr(box, "element_tag", "") != "tr" or box.element is None:
                continue
            value = box.element.get("data-row")
            if value is None:
                continue
            index = int(value)
            on_page.add(index)
            if first is None:
                first = index
        if first is not None and first not in seen:  # not the rest of a row split over pages
            starts.add(first)
        seen |= on_page
    return starts


def _add_xmp(metadata, context: dict[str, Any]) -> None:
    """XMP beyond WeasyPrint's (dc:title, dc:creator = the unit, dc:description, pdf:Keywords):
    the fiscal year as dc:coverage, the unit as dc:publisher, the language; Dublin Core, so no
    PDF/A extension schema is needed. Written into WeasyPrint's own rdf:RDF (one per packet)."""
    from xml.etree.ElementTree import SubElement, fromstring, tostring

    rdf_ns, dc_ns = (
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://purl.org/dc/elements/1.1/",
    )
    generate = metadata.generate_rdf_metadata

    def generate_with_ours(*args: Any, **kwargs: Any) -> bytes:
        rdf = fromstring(generate(*args, **kwargs))
        description = SubElement(rdf, f"{{{rdf_ns}}}Description", {f"{{{rdf_ns}}}about": ""})
        SubElement(description, f"{{{dc_ns}}}coverage").text = f"{context['year']}年度"
        for name, value in (("publisher", context["department"].name), ("language", "zh-CN")):
            bag = SubElement(SubElement(description, f"{{{dc_ns}}}{name}"), f"{{{rdf_ns}}}Bag")
            SubElement(bag, f"{{{rdf_ns}}}li").text = value
        return tostring(rdf, encoding="utf-8")

    metadata.generate_rdf_metadata = generate_with_ours


def layout_pdf(evaluation: Evaluation, *, draft: bool):
    """The laid-out WeasyPrint document and its options. The 自评表 is laid out first on its
    own (its landscape pages do not depend on the report's), so that the rows beginning a
    page carry their group's name (continue_groups); the whole document is then laid out and
    checked again (a “（续）” cell may move a later page break)."""
    from weasyprint import HTML

    from .pdf_fetcher import report_url_fetcher

    if missing := typesetting.missing_fonts():
        log.warning(
            "PDF 字体缺失（%s）：以 Noto CJK 代替；请安装 texlive-lang-chinese",
            "、".join(missing),
        )
    context = report_context(evaluation, draft=draft)
    options = {
        "pdf_identifier": f"evaluation-{evaluation.pk}".encode(),
        "pdf_variant": PDF_VARIANT,
        "pdf_tags": True,
    }

    def layout(**extra: Any):
        html = render_to_string("reports/evaluation.html", {**context, **extra})
        return HTML(
            string=html, base_url=str(settings.BASE_DIR), url_fetcher=report_url_fetcher()
        ).render(**options)

    sheet = context["sheet"]
    starts = _page_starts(layout(annex_only=True))
    for _ in range(_CONTINUATION_PASSES):
        segments = table_segments(table_rows(sheet))
        continue_groups(segments, starts)
        document = layout(segments=segments)
        found = _page_starts(document)
        if found == starts:
            break
        starts = found
    _add_xmp(document.metadata, context)
    return document, options


def render_pdf(evaluation: Evaluation, *, draft: bool) -> bytes:
    """The PDF bytes: PDF/A-3b, tagged, with XMP metadata (layout_pdf). The evaluation must
    come prefetched (selectors.evaluations_for_scoring)."""
    try:
        document, options = layout_pdf(evaluation, draft=draft)
        return document.write_pdf(**options)
    except ReportError:
        raise
    except Exception as exc:  # WeasyPrint and its libraries raise many kinds; one domain error
        log.exception("PDF 生成失败：evaluation %s", evaluation.pk)
        raise ReportError(f"PDF 生成失败：{type(exc).__name__}。请稍后重试或联系管理员。") from exc
