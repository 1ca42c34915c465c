"""The PDF as a 公文 after GB/T 9704-2012, measured on the seed case's rendered PDF: the fonts
(FandolFang body, FandolKai （一）, a 黑体 一、, a heavy serif title), 28 characters a line
with a flush right edge, 22 lines a page, the title broken between words, the page numbers
“— 1 —” alternating outside 7 mm below the text block, the 附件 label in 3号黑体, the 自评表's
group names repeated with （续） on every page, header cells never broken inside a word; and
the archival markers (PDF/A-3b, tagged, XMP). The pages looked at are kept as PNGs in the test
output (see test_pages_as_png)."""

from __future__ import annotations

import io
import itertools
import os
import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pypdf
import pytest
from django.db import transaction
from django.test.utils import override_settings

from evaluations import typesetting
from evaluations.reports import Cell, TableRow, continue_groups

from .conftest import FAST_HASHERS, seed_evaluation
from .pdftools import TITLE, UNIT_NAME, flat, page_sizes, pypdf_fonts, text_lines

MM = 72 / 25.4
BLOCK = 156 * MM  # 版心宽 442.2 pt
BLOCK_BOTTOM = 297 * MM - 35 * MM  # portrait pages
ONLY_CHINESE = re.compile(r"^[\u3400-\u9fff\uff01-\uff5e\u3001-\u303f“”‘’—…·]+$")


@pytest.fixture(scope="module")
def final_lines(seed_pdfs, tmp_path_factory):
    return text_lines(seed_pdfs.final, tmp_path_factory.mktemp("lines") / "final.pdf")


@pytest.fixture(scope="module")
def report_pages(seed_pdfs) -> list[int]:
    """The portrait pages (the 自评报告), 1-based."""
    return [i for i, (w, h) in enumerate(page_sizes(seed_pdfs.final), start=1) if w < h]


def _left(page: int) -> float:
    """The text block's left edge: 订口 28 mm on odd pages, 26 mm on even pages."""
    return (28 if page % 2 else 26) * MM


def _body_lines(final_lines, report_pages):
    """The report's lines of text inside the text block (not the page numbers)."""
    pages = set(report_pages)
    return [ln for ln in final_lines if ln.page in pages and ln.y1 < BLOCK_BOTTOM + 1]


# ---------------------------------------------------------------------------- fonts


def test_fonts_embedded_are_the_gbt9704_faces(seed_pdfs):
    names = " ".join(pypdf_fonts(seed_pdfs.final))
    assert "FandolFang" in names  # 仿宋: the body
    assert "FandolKai" in names  # 楷体: （一）
    assert "Noto-Sans-CJK-SC-Bold" in names  # 黑体: 一、 and 附件
    assert "Noto-Serif-CJK-SC-Bold" in names  # the title's heavy serif


def test_font_faces_point_at_the_debian_fandol_files():
    css = typesetting.font_face_css()
    assert typesetting.missing_fonts() == [], "texlive-lang-chinese (scripts/bootstrap.sh)"
    assert 'font-family: "FandolFang"' in css and "FandolFang-Regular.otf" in css
    assert 'font-family: "FandolKai"' in css


def test_missing_font_files_are_left_out(tmp_path):
    assert typesetting.font_face_css(tmp_path) == ""
    assert typesetting.missing_fonts(tmp_path) == [
        "FandolFang-Regular.otf",
        "FandolKai-Regular.otf",
    ]


# ---------------------------------------------------------------------------- the text block


def test_full_lines_of_chinese_hold_28_characters(final_lines, report_pages):
    """A line that starts at the block's left edge and holds Chinese only has 28 characters
    when the paragraph goes on after it (27, spread to the edge, where the line-breaking rules
    of punctuation move a character down); nowhere more than 28."""
    lines = _body_lines(final_lines, report_pages)
    full = []
    for line, after in itertools.pairwise(lines):
        if not ONLY_CHINESE.match(line.text):
            continue
        assert len(line.text) <= 28, line
        starts_left = abs(line.x0 - _left(line.page)) < 0.5
        continued = after.page == line.page and abs(after.x0 - _left(after.page)) < 0.5
        if starts_left and continued:
            full.append(line)
            if len(line.text) != 28:  # 禁则: a “，” never begins a line, so 案 went down with it
                assert len(line.text) == 27, line
                assert after.text[1] in typesetting.CLOSING or line.text[-1] in typesetting.OPENING
    assert len(full) > 100
    assert sum(len(ln.text) == 28 for ln in full) > 0.8 * len(full)


def test_every_line_a_paragraph_continues_after_ends_flush(final_lines, report_pages):
    """Inter-character justification: every line followed by more of its paragraph ends at
    the block's right edge (± 1 pt, a 16th of a character: the last glyph is 16 pt wide, its
    advance 15.79 pt), digits and Latin letters included."""
    lines = _body_lines(final_lines, report_pages)
    checked, ragged = 0, []
    for line, after in itertools.pairwise(lines):
        left = _left(line.page)
        if after.page != line.page or abs(after.x0 - left) > 0.5 or len(line.text) < 10:
            continue  # the paragraph's last line (the next begins indented) or a page end
        checked += 1
        if abs(line.x1 - (left + BLOCK)) > 1:
            ragged.append(line)
    assert checked > 150
    assert ragged == []


def test_indented_first_lines_hold_26_characters(final_lines, report_pages):
    lines = _body_lines(final_lines, report_pages)
    indented = [
        ln
        for ln in lines
        if abs(ln.x0 - (_left(ln.page) + 2 * BLOCK / 28)) < 0.5
        and ONLY_CHINESE.match(ln.text)
        and abs(ln.x1 - (_left(ln.page) + BLOCK)) < 1
    ]
    assert indented
    assert {len(ln.text) for ln in indented} <= {25, 26}  # 25: see the test above (禁则)
    assert sum(len(ln.text) == 26 for ln in indented) > 0.8 * len(indented)


def test_22_lines_a_page(final_lines, report_pages):
    """Lines on a grid 28.95 pt apart (22 in the 225 mm block); a full page holds 22. (The
    boxes' tops differ by font, 黑体 and 楷体 headings against 仿宋: ± 5 pt.)"""
    counts = {}
    for page in report_pages[1:-1]:
        ys = sorted({round(ln.y0, 1) for ln in _body_lines(final_lines, [page])})
        for a, b in itertools.pairwise(ys):
            lines = round((b - a) / typesetting.LINE_PITCH_PT)
            assert lines >= 1 and abs(b - a - lines * typesetting.LINE_PITCH_PT) < 5, (page, a, b)
        top, bottom = ys[0], ys[-1]
        counts[page] = round((bottom - top) / typesetting.LINE_PITCH_PT) + 1
    # never more than 22; fewer where a heading or a paragraph's last lines (widows) went on
    assert max(counts.values()) == 22
    assert sum(c == 22 for c in counts.values()) >= 3


# ---------------------------------------------------------------------------- the title


def test_title_breaks_between_words():
    title = TITLE
    assert typesetting.title_lines(title, (UNIT_NAME,)) == [
        "中国人民政治协商会议",
        "广州市南沙区委员会办公室",
        "2022年部门整体支出绩效自评报告",
    ]


@pytest.mark.parametrize(
    ("title", "names", "lines"),
    [
        (
            "示范县农业农村局2023年高标准农田建设项目绩效自评报告",
            ("示范县农业农村局", "高标准农田建设项目"),
            ["示范县农业农村局2023年", "高标准农田建设项目绩效自评报告"],
        ),
        (
            "广州市市场监督管理局2022年部门整体支出绩效自评报告",
            ("广州市市场监督管理局",),
            ["广州市市场监督管理局", "2022年部门整体支出绩效自评报告"],
        ),
        ("短标题", (), ["短标题"]),
    ],
)
def test_title_lines_of_other_units(title, names, lines):
    assert typesetting.title_lines(title, names) == lines


@pytest.mark.parametrize(
    "title",
    [
        TITLE,
        "关于2022年第3季度ABC项目的自评报告（修订稿）",
        "某某市5G网络建设项目绩效自评报告",
        "一个很长很长很长很长很长很长很长很长很长很长很长很长很长很长的单词",
        "",
    ],
)
def test_title_lines_keep_every_character(title):
    assert "".join(typesetting.title_lines(title, ("某某市",))) == title


def test_name_words_never_cut_a_two_character_place():
    assert typesetting.name_words("广州市市场监督管理局") == ["广州市", "市场监督管理局"]
    assert typesetting.name_words(UNIT_NAME) == [
        "中国人民政治协商会议",
        "广州市",
        "南沙区",
        "委员会",
        "办公室",
    ]


def test_title_in_the_pdf_is_the_three_lines(final_lines):
    first = [ln.text for ln in final_lines if ln.page == 1][:3]
    assert first == typesetting.title_lines(TITLE, (UNIT_NAME,))


# ---------------------------------------------------------------------------- justification


def test_justifiable_spaces_only_where_chinese_breaks():
    assert typesetting.justifiable("区政协机关") == "区 政 协 机 关"
    # no space inside numbers, before closing or after opening punctuation
    assert typesetting.justifiable("设办公室1个，（行政）") == "设 办 公 室1个， （行 政）"
    assert typesetting.justifiable("1954.07万元") == "1954.07万 元"
    assert typesetting.justifiable("") == ""
    # the text's own spaces stay visible (a space has no width of its own in the report)
    assert typesetting.justifiable("Word  Excel 表格") == "Word\u2005Excel\u2005表 格"


# ---------------------------------------------------------------------------- page numbers


def test_page_numbers_alternate_outside_7mm_below_the_block(final_lines, seed_pdfs):
    sizes = page_sizes(seed_pdfs.final)
    numbers = {ln.page: ln for ln in final_lines if re.fullmatch(r"—\d+—", ln.text)}
    assert sorted(numbers) == list(range(1, len(sizes) + 1))
    for page, line in numbers.items():
        assert line.text == f"—{page}—"
        width, height = sizes[page - 1]
        if width < height:  # the report: the text block's edges, one 四号 character in
            left = _left(page)
            if page % 2:
                assert abs(line.x1 - (left + BLOCK - 14)) < 1, line
            else:
                assert abs(line.x0 - (left + 14)) < 1, line
            # the dash's top: the line's top + (ascent 1.151 − dash top 0.293) × 14 pt
            dash_top = line.y0 + (1.151 - 0.293) * 14
            assert abs(dash_top - (BLOCK_BOTTOM + 7 * MM)) < 1, line
            assert abs((line.y1 - line.y0) - 1.437 * 14) < 0.2  # 四号: 14 pt
        elif page % 2:
            assert line.x0 > width / 2, line
        else:
            assert line.x1 < width / 2, line


def test_page_number_text_has_the_dashes(seed_pdfs):
    out = subprocess.run(
        ["pdftotext", "-raw", "-f", "1", "-l", "2", "-", "-"],
        input=seed_pdfs.final,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "— 1 —" in out and "— 2 —" in out


# ---------------------------------------------------------------------------- the 附件


def test_annex_label_is_3hao_heiti(final_lines, seed_pdfs):
    sizes = page_sizes(seed_pdfs.final)
    first_table = next(i for i, (w, h) in enumerate(sizes, start=1) if w > h)
    label = next(ln for ln in final_lines if ln.page == first_table)
    assert label.text == "附件"
    assert abs((label.y1 - label.y0) - 1.437 * 16) < 0.3  # 16 pt in Noto Sans CJK's box
    assert abs(label.x0 - 15 * MM) < 0.5  # 顶格


@pytest.fixture(scope="module")
def seed_layout(django_db_setup, django_db_blocker):
    """The seed's final document laid out (no PDF written): its pages' boxes."""
    from evaluations import reports

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        document, _ = reports.layout_pdf(seed_evaluation(), draft=False)
        transaction.set_rollback(True)
    return document


def _first_row_cells(page) -> tuple[int, dict[str, str]] | None:
    for box in page._page_box.descendants():
        if getattr(box, "element_tag", "") == "tr" and box.element.get("data-row"):
            cells = {}
            for cell in box.children:
                classes = (cell.element.get("class") or "").split()
                text = "".join(
                    b.text for b in cell.descendants() if getattr(b, "text", None) is not None
                )
                for name in ("l1", "l2"):
                    if name in classes:
                        cells[name] = flat(text)
            return int(box.element.get("data-row")), cells
    return None


def test_every_table_page_names_its_groups(seed_layout):
    """The first row of every 自评表 page has its own 一级 and 二级 cells: the group's name,
    with （续） where the group began on an earlier page."""
    firsts = [x for x in map(_first_row_cells, seed_layout.pages) if x is not None]
    assert len(firsts) >= 5
    continued = 0
    for index, cells in firsts:
        assert set(cells) == {"l1", "l2"}, (index, cells)
        assert cells["l1"], index
        continued += cells["l1"].endswith("（续）")
    assert continued >= 3


def test_continued_groups_in_the_pdf_text(draft_text_flat):
    assert "管理效能（续）" in draft_text_flat


@pytest.fixture(scope="module")
def draft_text_flat(seed_pdfs) -> str:
    return flat(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(seed_pdfs.draft)).pages)
    )


def test_continue_groups_splits_the_spanning_cells():
    def row(i, l1=None, l2=None):
        return TableRow(line=None, index=i, level1=l1, level2=l2)

    rows = [
        row(0, Cell("管理效能", 45, 4), Cell("资金管理", 18, 3)),
        row(1),
        row(2),
        row(3, None, Cell("资产管理", 4, 1)),
    ]
    continue_groups([{"duty": False, "rows": rows}], {2})
    assert (rows[0].level1.rowspan, rows[0].level2.rowspan) == (2, 2)
    assert rows[2].level1 == Cell("管理效能", 45, 2, continued=True)
    assert rows[2].level2 == Cell("资金管理", 18, 1, continued=True)
    assert rows[3].level2 == Cell("资产管理", 4, 1)
    # a page beginning on a group's own first row changes nothing
    continue_groups([{"duty": False, "rows": rows}], {3})
    assert rows[3].level2 == Cell("资产管理", 4, 1)


# ---------------------------------------------------------------------------- header cells


HEADER_LABELS = (
    "一级指标",
    "分值",
    "二级指标",
    "三级指标",
    "指标解释",
    "评分标准",
    "年度指标值",
    "实际完成指标值",
    "得分/自评分",
    "评分依据、未达标原因、改进措施",
    "备注",
)


def test_cell_words():
    assert typesetting.cell_words("评分依据、未达标原因、改进措施") == [
        "评分依据、",
        "未达标原因、",
        "改进措施",
    ]
    assert typesetting.cell_words("供职人数（编制总数）合计") == [
        "供职人数",
        "（编制总数）",
        "合计",
    ]
    # a space at a word's edge goes: the words are inline blocks
    assert typesetting.cell_words("公益一类 / 公益二类编制数") == ["公益一类 /", "公益二类编制数"]


def test_header_cells_never_break_inside_a_word(final_lines, report_pages):
    """On every page that repeats the 自评表's header, each line of a header cell is whole
    words of its label (typesetting.cell_words): “一级指标”, never “一级指 / 标”."""
    whole = set()
    for label in HEADER_LABELS:
        words = typesetting.cell_words(label)
        whole |= {
            "".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)
        }
    table = [ln for ln in final_lines if ln.page not in set(report_pages)]
    heads = [ln for ln in table if ln.text == "一级指标"]
    assert len(heads) >= 5
    for head in heads:
        band = [ln for ln in table if ln.page == head.page and abs(ln.y0 - head.y0) < 15]
        assert len(band) >= 11
        assert [ln.text for ln in band if ln.text not in whole] == [], head.page


# ---------------------------------------------------------------------------- archival


def _catalog(pdf: bytes):
    return pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]


def test_pdfa_and_xmp_metadata(seed_pdfs):
    catalog = _catalog(seed_pdfs.final)
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp
    assert 'pdfaid:conformance="B"' in xmp
    assert TITLE in xmp  # dc:title
    assert UNIT_NAME in xmp  # dc:creator (the unit) and dc:publisher
    assert "<dc:coverage>2022年度</dc:coverage>" in xmp
    assert "部门整体支出绩效自评" in xmp  # keywords / description
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    # one well-formed packet with one rdf:RDF, as XMP wants
    assert xmp.count("<rdf:RDF") == 1
    packet = xmp[xmp.index("<x:xmpmeta") : xmp.index("</x:xmpmeta>") + len("</x:xmpmeta>")]
    ElementTree.fromstring(packet)


def test_tagged_structure(seed_pdfs):
    catalog = _catalog(seed_pdfs.final)
    assert catalog["/MarkInfo"]["/Marked"] is True or catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "zh-CN"


def test_the_draft_is_pdfa_too(seed_pdfs):
    xmp = _catalog(seed_pdfs.draft)["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp


# ---------------------------------------------------------------------------- the pages


def test_pages_as_png(seed_pdfs, tmp_path_factory):
    """Every page at 60 dpi and page 1 at 150 dpi, as PNGs in the test output: the pages
    compared with the seed's layout and the standard. PDF_PAGES_DIR=… keeps them there
    (pytest's own temporary folders are pruned after three runs)."""
    if os.environ.get("PDF_PAGES_DIR"):
        out = Path(os.environ["PDF_PAGES_DIR"])
        out.mkdir(parents=True, exist_ok=True)
    else:
        out = tmp_path_factory.mktemp("pdf-pages")
    (out / "seed-final.pdf").write_bytes(seed_pdfs.final)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "seed-final.pdf", "page"], cwd=out, check=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "seed-final.pdf", "zoom"],
        cwd=out,
        check=True,
    )
    pngs = sorted(Path(out).glob("page-*.png"))
    print(f"PNG pages of the seed PDF: {out}")
    assert len(pngs) == len(page_sizes(seed_pdfs.final))
    assert all(p.stat().st_size > 5000 for p in pngs)
