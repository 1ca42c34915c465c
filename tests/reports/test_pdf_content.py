"""The seed case's PDF read back as text: the report's headings and figures (all from the data,
none of the seed report's contradictory ones), the 自评表, the page layout, the fonts, the
草稿 watermark, and the 评分依据 notes where claimed, computed and reviewed scores differ."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from html import unescape

import pytest
from django.db import transaction
from django.test.utils import override_settings

from .conftest import FAST_HASHERS, seed_evaluation
from .pdftools import (
    TITLE,
    UNIT_NAME,
    flat,
    font_files,
    missing_glyphs,
    page_sizes,
    pdffonts,
    pdftotext_pages,
    pypdf_fonts,
    pypdf_pages,
)

EXTRACTORS = {"pdftotext": pdftotext_pages, "pypdf": pypdf_pages}

HEADINGS = (
    "一、基本情况",
    "（一）部门概况",
    "（二）年度总体工作和重点工作任务",
    "（三）部门整体收支情况",
    "（四）部门整体绩效管理情况",
    "二、综合评价分析",
    "（一）自评结论综述",
    "（二）各项工作任务绩效目标完成情况分析",
    "（三）主要工作成效",
    "三、存在的主要问题",
    "四、下一步改进措施",
    "五、附件",
)
COLUMNS = (
    "一级指标分值二级指标分值三级指标分值指标解释评分标准得分/自评分"
    "评分依据、未达标原因、改进措施备注"
)
DUTY_COLUMNS = (
    "一级指标分值二级指标分值三级指标分值年度指标值实际完成指标值得分/自评分"
    "评分依据、未达标原因、改进措施备注"
)
# The report's figure sentences for the seed data (万元, rates to two places).
SEED_SENTENCES = (
    "2022年年初预算批复金额为2959.47万元，全年预算为1997.16万元",
    "2022年决算收入金额为1957.86万元，其中，其他收入为28.55万元",
    "2022年支出决算总额为1954.07万元，部门整体预算完成率97.84%",
    "其中基本支出1496.13万元（人员经费1356.00万元、公用经费140.12万元），基本支出预算完成率99.89%",
    "项目支出457.94万元，项目支出预算完成率91.69%",
    "2022年度政府采购计划金额1.25万元，实际采购金额1.21万元，政府采购执行率96.80%",
    "2022年末资产总额为72.06万元，其中固定资产原值148.50万元、净值37.34万元，"
    "在用固定资产148.50万元，固定资产利用率100.00%",
    "2022年部门整体绩效自评得分为97.61分，等级为“优”",
)
# What the seed report itself wrote against its own table (see evaluations/demo/nansha_2022.yaml).
CONTRADICTED = ("99.8%", "99.98%", "429.65", "86.03%")
EMPTY_BOXES = ("\ufffd", "\u25a1", "\u25af", "\u2610", "\u25fb", "\u2b1c")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def _cents(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _pct(num: Decimal, den: Decimal) -> str:
    return _cents(num / den * 100) + "%"


@pytest.fixture(scope="module", params=sorted(EXTRACTORS))
def draft_text(request, seed_pdfs) -> str:
    """The whole draft's text without whitespace, by pdftotext and by pypdf."""
    return flat("".join(EXTRACTORS[request.param](seed_pdfs.draft)))


@pytest.fixture(scope="module")
def raw_pages(seed_pdfs) -> list[str]:
    return pdftotext_pages(seed_pdfs.draft)


@pytest.fixture(scope="module")
def reviewed_text(django_db_setup, django_db_blocker) -> str:
    """The final PDF after a 复核分 of 1.57 (reason 按计算规则核减) on 1.1.1 预算完成率."""
    from django.contrib.auth import get_user_model

    from evaluations import reports
    from evaluations.models import ReviewedScore

    def review(evaluation) -> None:
        ReviewedScore.objects.create(
            evaluation=evaluation,
            code="1.1.1",
            score=Decimal("1.57"),
            reason="按计算规则核减",
            reviewer=get_user_model().objects.get(username="reviewer"),
        )

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        pdf = reports.render_pdf(seed_evaluation(review), draft=False)
        transaction.set_rollback(True)
    return flat("".join(pdftotext_pages(pdf)))


@pytest.fixture(scope="module")
def long_duty_pages(django_db_setup, django_db_blocker) -> list[str]:
    """The seed draft with three more 履职效能 tasks of eight rows each: enough rows that they
    certainly run over a page break, wherever the breaks fall."""
    from evaluations import reports
    from evaluations.models import DutyIndicator, DutyTask

    def lengthen(evaluation) -> None:
        for t in range(5, 8):
            task = DutyTask.objects.create(
                evaluation=evaluation, position=t, name=f"任务{t}-补充任务"
            )
            DutyIndicator.objects.bulk_create(
                DutyIndicator(
                    task=task,
                    position=i,
                    name=f"补充指标{i}",
                    target_text=f"补充指标{i}不少于{i}次",
                    target_value=Decimal(i),
                    unit="次",
                    actual_text=f"完成{i}次",
                    achieved=True,
                    points=Decimal("1"),
                )
                for i in range(1, 9)
            )

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        pdf = reports.render_pdf(seed_evaluation(lengthen), draft=True)
        transaction.set_rollback(True)
    return pdftotext_pages(pdf)


# ---------------------------------------------------------------------------- the report text


def test_unit_name_and_title(draft_text):
    assert UNIT_NAME in draft_text
    assert TITLE in draft_text
    assert draft_text.startswith(("草稿" + TITLE, TITLE))


def test_section_headings_in_the_seed_reports_order(draft_text):
    position = draft_text.index(TITLE)
    for heading in HEADINGS:
        found = draft_text.find(heading, position)
        assert found > position, f"{heading} missing or out of order"
        position = found
    assert position < draft_text.index("部门整体支出绩效自评表（2022年度）")


def test_total_in_the_report_sentence_and_the_total_row(draft_text, seed_pdfs):
    assert seed_pdfs.total == Decimal("97.61")
    assert seed_pdfs.grade == "优"
    assert "部门整体绩效自评得分为97.61分，等级为“优”" in draft_text
    assert "总分10097.61等级：优" in draft_text


def test_figure_sentences_are_the_seed_figures(draft_text):
    for sentence in SEED_SENTENCES:
        assert sentence in draft_text


def test_figure_sentences_agree_with_the_data(draft_text, seed_pdfs):
    """The same sentences, built here from the evaluation's figures with independent
    arithmetic: the report states the data, not the seed report's own text."""
    f = seed_pdfs.figures
    a = {k: _cents(v) for k, v in f.items() if v is not None}
    built = (
        f"2022年年初预算批复金额为{a['initial_budget']}万元，全年预算为{a['adjusted_budget_total']}万元",
        f"2022年决算收入金额为{a['revenue_final_total']}万元，其中，其他收入为{a['revenue_final_other']}万元",
        f"2022年支出决算总额为{a['expenditure_final_total']}万元，部门整体预算完成率"
        f"{_pct(f['expenditure_final_total'], f['adjusted_budget_total'])}",
        f"其中基本支出{a['expenditure_final_basic']}万元（人员经费{a['expenditure_final_personnel']}万元、"
        f"公用经费{a['expenditure_final_operating']}万元），基本支出预算完成率"
        f"{_cents(seed_pdfs.rates['expenditure_final_basic'])}%",
        f"项目支出{a['expenditure_final_project']}万元，项目支出预算完成率"
        f"{_cents(seed_pdfs.rates['expenditure_final_project'])}%",
        f"2022年度政府采购计划金额{a['procurement_planned']}万元，实际采购金额{a['procurement_actual']}"
        f"万元，政府采购执行率{_pct(f['procurement_actual'], f['procurement_planned'])}",
        f"2022年末资产总额为{a['assets_total']}万元，其中固定资产原值{a['fixed_assets_original']}万元、"
        f"净值{a['fixed_assets_net']}万元，在用固定资产{a['fixed_assets_in_use']}万元，固定资产利用率"
        f"{_pct(f['fixed_assets_in_use'], f['fixed_assets_original'])}",
        f"2022年部门整体绩效自评得分为{_cents(seed_pdfs.total)}分，等级为“{seed_pdfs.grade}”",
    )
    assert built == SEED_SENTENCES
    total_rate = _pct(f["expenditure_final_total"], f["adjusted_budget_total"])
    assert _cents(seed_pdfs.rates["expenditure_final_total"]) + "%" == total_rate == "97.84%"


def test_every_stated_figure_is_the_datas(draft_text):
    assert set(re.findall(r"支出决算总额为([\d.]+)万元", draft_text)) == {"1954.07"}
    assert set(re.findall(r"项目支出([\d.]+)万元", draft_text)) == {"457.94"}
    assert set(re.findall(r"基本支出([\d.]+)万元", draft_text)) == {"1496.13"}
    assert set(re.findall(r"预算完成率([\d.]+)%", draft_text)) == {"97.84", "99.89", "91.69"}
    assert set(re.findall(r"得分为([\d.]+)分", draft_text)) == {"97.61"}


@pytest.mark.parametrize("wrong", CONTRADICTED)
def test_none_of_the_seed_reports_contradictory_figures(draft_text, wrong):
    assert wrong not in draft_text


# ---------------------------------------------------------------------------- the 自评表


def test_budget_completion_basis(draft_text):
    assert "预算完成率＝1954.07÷1997.16×100%＝97.84%" in draft_text


def test_table_column_headers(draft_text):
    assert COLUMNS in draft_text


def test_duty_subheader_just_before_the_duty_rows(draft_text):
    assert DUTY_COLUMNS + "履职效能50" in draft_text
    assert draft_text.index(COLUMNS) < draft_text.index(DUTY_COLUMNS)


def test_pages_continuing_the_duty_rows_are_headed_by_the_duty_columns(long_duty_pages):
    """Every 自评表 page whose first rows are 履职效能 rows (指标1, 指标2 …) is headed by the
    年度指标值 / 实际完成指标值 columns, not by 指标解释 / 评分标准."""
    pages = [flat(text) for text in long_duty_pages]
    start = next(i for i, text in enumerate(pages) if DUTY_COLUMNS in text)
    continuing, wrong = [], []
    for number, text in enumerate(pages[start + 1 :], start=start + 2):
        first = min((text.find(h), h) for h in (COLUMNS, DUTY_COLUMNS) if h in text)
        # the rows may be headed by their groups' names, continued: “履职效能（续）50…”
        after = text[first[0] + len(first[1]) :]
        if re.match(r"(?:[^（）]{1,40}?（续）[\d.]*){0,2}指标\d", after):
            continuing.append(number)
            if first[1] != DUTY_COLUMNS:
                wrong.append(number)
    assert continuing, "the 履职效能 rows should run over a page break here"
    assert wrong == []


def test_header_completion_rate(draft_text):
    assert "全年预算1997.16" in draft_text
    assert "决算1954.07" in draft_text
    assert "完成率97.84%" in draft_text


def test_claimed_and_computed_differ_the_basis_says_so(draft_text, seed_pdfs):
    computed, claimed, final = seed_pdfs.line_111
    assert (computed, claimed, final) == (Decimal("1.57"), Decimal("2"), Decimal("2"))
    assert "×2＝1.57；按规则计算得分1.57，自评分2" in draft_text


def test_reviewed_score_is_the_final_score_with_its_note(reviewed_text):
    assert "按规则计算得分1.57，自评分2；复核分1.57（按计算规则核减）" in reviewed_text
    assert "1.57预算完成率＝1954.07÷1997.16×100%" in reviewed_text  # the 得分 cell
    assert "部门整体绩效自评得分为97.18分" in reviewed_text  # 97.61 − 2 + 1.57
    assert "总分10097.18等级：优" in reviewed_text


# ---------------------------------------------------------------------------- glyphs and fonts


@pytest.mark.parametrize("extractor", sorted(EXTRACTORS))
def test_no_replacement_or_empty_box_characters(seed_pdfs, extractor):
    text = "".join(EXTRACTORS[extractor](seed_pdfs.draft))
    for box in EMPTY_BOXES:
        assert box not in text, f"U+{ord(box):04X} in the {extractor} text"
    for char in UNIT_NAME:
        assert char in text


def test_no_glyph_is_missing_from_its_font(seed_pdfs):
    assert missing_glyphs(seed_pdfs.draft) == []
    assert missing_glyphs(seed_pdfs.final) == []


def test_missing_glyph_detector_sees_tofu():
    """The check above can fail: a character no font has (U+10FFFD, private use) is caught."""
    from weasyprint import HTML

    pdf = HTML(string='<p style="font-family: Noto Serif CJK SC">南沙\U0010fffd区</p>').write_pdf()
    assert len(missing_glyphs(pdf)) == 1


def test_every_cjk_character_of_the_html_round_trips(seed_pdfs, raw_pages):
    body = unescape(re.sub(r"<[^>]+>", "", seed_pdfs.html.split("<body>", 1)[1]))
    wanted = set(CJK.findall(body))
    assert set(UNIT_NAME) <= wanted
    assert wanted - set("".join(raw_pages)) == set()


def test_every_font_is_embedded_pdffonts(seed_pdfs, tmp_path):
    rows = pdffonts(seed_pdfs.draft, tmp_path / "draft.pdf")
    assert rows, "no fonts listed"
    assert [r.name for r in rows if r.emb != "yes"] == []


def test_every_font_is_embedded_pypdf(seed_pdfs):
    fonts = pypdf_fonts(seed_pdfs.draft)
    assert fonts
    assert {name: font_files(font) for name, font in fonts.items() if not font_files(font)} == {}


# ---------------------------------------------------------------------------- pages


def test_report_portrait_table_landscape(seed_pdfs, raw_pages):
    sizes = page_sizes(seed_pdfs.draft)
    assert len(sizes) == len(raw_pages) > 2
    table = [
        i
        for i, text in enumerate(raw_pages)
        if "一级指标" in flat(text) or "部门整体支出绩效自评表（2022年度）" in flat(text)
    ]
    assert table, "no 自评表 page"
    first = table[0]
    assert first > 0
    assert table == list(range(first, len(raw_pages))), "the 自评表 pages are the last ones"
    w, h = sizes[0]
    assert w < h
    for i in range(first):
        assert sizes[i][0] < sizes[i][1], f"report page {i + 1} is not portrait"
    for i in table:
        assert sizes[i][0] > sizes[i][1], f"自评表 page {i + 1} is not landscape"


def test_page_numbers(raw_pages):
    assert "— 1 —" in raw_pages[0]
    for number, text in enumerate(raw_pages, start=1):
        assert f"—{number}—" in flat(text)


@pytest.mark.parametrize("extractor", sorted(EXTRACTORS))
def test_draft_says_so_on_every_page(seed_pdfs, extractor):
    pages = EXTRACTORS[extractor](seed_pdfs.draft)
    assert [i for i, text in enumerate(pages, start=1) if "草稿" not in flat(text)] == []


@pytest.mark.parametrize("extractor", sorted(EXTRACTORS))
def test_final_has_no_draft_mark(seed_pdfs, extractor):
    text = flat("".join(EXTRACTORS[extractor](seed_pdfs.final)))
    assert TITLE in text
    assert "草稿" not in text
    assert len(page_sizes(seed_pdfs.final)) == len(page_sizes(seed_pdfs.draft))
