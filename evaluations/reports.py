"""The 自评报告 and its 附件 自评表 as one PDF, rendered by WeasyPrint from Django templates.

Every figure the report states (amounts, rates, the score) comes from the same data and the
same engine as the table, through `report_context`; the templates only lay it out.
`render_pdf` is the one entry point; it raises ReportError, never a WeasyPrint exception.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from rubric import fmt
from rubric.spec import Line, ScoreSheet

from . import sections as catalogue
from .models import Evaluation
from .scoring import figures_of, header_rates, score_evaluation

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
    """One row per leaf line, with the 一级/二级 cells spanning their leaves as in the seed."""
    lines = list(sheet.lines)
    rows: list[TableRow] = []
    for top in sheet.rubric.indicators:
        top_line = sheet.line(top.code)
        if top.is_leaf and top.method == "duty_targets":
            group = _duty_rows(sheet, top_line, lines)
        else:
            group = []
            for child in top.children or (top,):
                child_line = sheet.line(child.code)
                leaves = [n for n in child.walk() if n.is_leaf] if child.children else [child]
                for i, leaf in enumerate(leaves):
                    line = sheet.line(leaf.code)
                    group.append(
                        TableRow(
                            line=line,
                            label=line.name,
                            level2=Cell(child_line.name, child_line.points, len(leaves))
                            if i == 0 and child is not leaf
                            else None,
                            definition=leaf.definition,
                            criteria=leaf.criteria,
                            remark=leaf.remark,
                            basis="；".join(x for x in (line.basis, _score_note(line)) if x),
                        )
                    )
        if group:
            group[0].level1 = Cell(top_line.name, top_line.points, len(group))
        rows.extend(group)
    return rows


def _duty_rows(sheet: ScoreSheet, top_line: Line, lines: list[Line]) -> list[TableRow]:
    prefix = top_line.code + "."
    out: list[TableRow] = []
    tasks = [ln for ln in lines if ln.code.startswith(prefix) and ln.code.count(".") == 1]
    for task in tasks:
        task_rows = [ln for ln in lines if ln.code.startswith(task.code + ".")]
        for i, line in enumerate(task_rows):
            row = line.row
            out.append(
                TableRow(
                    line=line,
                    label=f"指标{i + 1}",
                    level2=Cell(task.name, task.points, len(task_rows)) if i == 0 else None,
                    definition=(row.target_text if row else "") or "",
                    criteria=(row.actual_text if row else "") or "",
                    remark="",
                    basis="；".join(x for x in (line.basis, _score_note(line)) if x),
                    duty=True,
                )
            )
    if not out:
        out.append(
            TableRow(
                line=top_line, label=top_line.name, definition="（未填写履职效能任务）", duty=True
            )
        )
    return out


def table_segments(rows: list[TableRow]) -> list[dict[str, Any]]:
    """The table in runs of rows that share a header: the 履职效能 rows are headed
    年度指标值 / 实际完成指标值, the others 指标解释 / 评分标准; each run is its own table so
    that the header repeated on a new page is the right one."""
    segments: list[dict[str, Any]] = []
    for row in rows:
        if not segments or segments[-1]["duty"] != row.duty:
            segments.append({"duty": row.duty, "rows": []})
        segments[-1]["rows"].append(row)
    return segments


# ---------------------------------------------------------------------------- the report text


def _a(value: Decimal | None) -> str:
    return "—" if value is None else fmt.amount(value)


def _r(value: Decimal | None) -> str:
    return "—" if value is None else fmt.rate(value)


@dataclass
class ReportData:
    evaluation: Evaluation
    sheet: ScoreSheet
    texts: dict[str, str]
    figures: dict[str, Decimal | None]
    header: list[Any]
    rows: list[TableRow]
    generated: dict[str, str] = field(default_factory=dict)


def report_context(evaluation: Evaluation, *, draft: bool) -> dict[str, Any]:
    """Everything the PDF templates show, computed here once."""
    sheet = score_evaluation(evaluation)
    figures = figures_of(evaluation)
    header = header_rates(figures, sheet.rubric.rounding)
    rates = {c.final_key: c.rate for c in header}
    texts = {s.key: s.text for s in evaluation.sections.all()}
    d = evaluation.department
    year = evaluation.fiscal_year.year
    f = figures
    unit = d.short_name or d.name
    r = sheet.rubric.rounding

    def rate_of(num: str, den: str) -> Decimal | None:
        if f.get(num) is None or not f.get(den):
            return None
        return r.percent(f[num], f[den])

    e = evaluation  # the year's own staffing numbers
    staff = (
        f"截至{year}年12月31日，本单位财政核定编制{e.staff_total}人"
        f"（行政（参公）编制{e.staff_administrative}人、公益一类编制{e.staff_public_1}人、"
        f"公益二类编制{e.staff_public_2}人），实有在职人员{e.staff_actual}人；其他人员{e.staff_other}人。"
    )
    generated = {
        "organization": f"本单位设内设机构{e.internal_units}个，下属单位{e.subordinate_units}个。{staff}",
        "finance": (
            f"{year}年年初预算批复金额为{_a(f.get('initial_budget'))}万元，全年预算为"
            f"{_a(f.get('adjusted_budget_total'))}万元；{year}年决算收入金额为"
            f"{_a(f.get('revenue_final_total'))}万元，其中，其他收入为{_a(f.get('revenue_final_other'))}万元。"
        ),
        "expenditure": (
            f"{year}年支出决算总额为{_a(f.get('expenditure_final_total'))}万元，部门整体预算完成率"
            f"{_r(rates.get('expenditure_final_total'))}。其中基本支出{_a(f.get('expenditure_final_basic'))}万元"
            f"（人员经费{_a(f.get('expenditure_final_personnel'))}万元、公用经费"
            f"{_a(f.get('expenditure_final_operating'))}万元），基本支出预算完成率"
            f"{_r(rates.get('expenditure_final_basic'))}；项目支出{_a(f.get('expenditure_final_project'))}万元，"
            f"项目支出预算完成率{_r(rates.get('expenditure_final_project'))}。"
        ),
        "score": (
            f"根据{year}年部门整体支出绩效自评情况，经过组织自评，{unit}{year}年部门整体绩效自评得分为"
            f"{fmt.amount(sheet.totals.final)}分，等级为“{sheet.grade}”。"
        ),
        "procurement": (
            f"{year}年度政府采购计划金额{_a(f.get('procurement_planned'))}万元，实际采购金额"
            f"{_a(f.get('procurement_actual'))}万元，政府采购执行率"
            f"{_r(rate_of('procurement_actual', 'procurement_planned'))}。"
        ),
        "assets": (
            f"{year}年末资产总额为{_a(f.get('assets_total'))}万元，其中固定资产原值"
            f"{_a(f.get('fixed_assets_original'))}万元、净值{_a(f.get('fixed_assets_net'))}万元，"
            f"在用固定资产{_a(f.get('fixed_assets_in_use'))}万元，固定资产利用率"
            f"{_r(rate_of('fixed_assets_in_use', 'fixed_assets_original'))}。"
        ),
    }
    chapters = _chapters(texts, generated)
    return {
        "evaluation": evaluation,
        "department": d,
        "year": year,
        "title": f"{d.name}{year}年部门整体支出绩效自评报告",
        "sheet": sheet,
        "header": header,
        "segments": table_segments(table_rows(sheet)),
        "chapters": chapters,
        "signature_unit": unit,
        "report_date": evaluation.report_date,
        "draft": draft,
    }


# Generated sentences placed after (or before) the filer's text of a section.
_AFTER = {
    "organization": "organization",
    "analysis_procurement": "procurement",
    "analysis_assets": "assets",
}
_BEFORE = {"conclusion": "score"}


def _chapters(texts: dict[str, str], generated: dict[str, str]) -> list[dict[str, Any]]:
    """The report's chapters → headings → paragraphs, in the seed report's order."""
    chapters: list[dict[str, Any]] = []
    for section in catalogue.SECTIONS:
        if not chapters or chapters[-1]["title"] != section.chapter:
            chapters.append({"title": section.chapter, "blocks": []})
        blocks = chapters[-1]["blocks"]
        heading = section.heading
        sub = ""
        if section.key.startswith("analysis_"):
            sub = section.title.split("：")[0]
        paragraphs = _paragraphs(texts.get(section.key, ""))
        if section.key in _BEFORE:
            paragraphs.insert(0, generated[_BEFORE[section.key]])
        if section.key in _AFTER:
            paragraphs.append(generated[_AFTER[section.key]])
        if section.key == "finance_summary":
            paragraphs += [generated["finance"], generated["expenditure"]]
        if section.key == "analysis_performance_goals":
            paragraphs.insert(0, "①绩效目标设置情况")
        if section.key == "analysis_performance_monitoring":
            paragraphs.insert(0, "②绩效监督管理运行情况")
            sub = ""
        if section.key == "duties" and paragraphs:
            paragraphs.insert(0, "其主要职责是：")
        blocks.append(
            {"heading": heading, "sub": sub, "paragraphs": paragraphs, "key": section.key}
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
    chapters.append(
        {
            "title": "五、附件",
            "blocks": [
                {
                    "heading": "",
                    "sub": "",
                    "paragraphs": ["部门整体支出绩效自评表。"],
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


def render_pdf(evaluation: Evaluation, *, draft: bool) -> bytes:
    """The PDF bytes. The evaluation must come prefetched (selectors.evaluations_for_scoring)."""
    try:
        from weasyprint import HTML

        html = render_html(evaluation, draft=draft)
        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
            pdf_identifier=f"evaluation-{evaluation.pk}".encode(),
        )
    except ReportError:
        raise
    except Exception as exc:  # WeasyPrint and its libraries raise many kinds; one domain error
        log.exception("PDF 生成失败：evaluation %s", evaluation.pk)
        raise ReportError(f"PDF 生成失败：{type(exc).__name__}。请稍后重试或联系管理员。") from exc
