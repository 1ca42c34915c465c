"""Reading the rendered PDFs back: text per page (pdftotext and pypdf), page sizes, the fonts
(pdffonts and pypdf) and the glyphs a font did not have (tofu)."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from html import unescape

import pypdf
from pypdf.generic import ContentStream

SEED_DEPARTMENT = "nansha-cppcc-office"
UNIT_NAME = "中国人民政治协商会议广州市南沙区委员会办公室"
TITLE = f"{UNIT_NAME}2022年部门整体支出绩效自评报告"
DOWNLOAD_NAME = f"2022年度部门整体支出绩效自评报告-{UNIT_NAME}.pdf"

_WHITESPACE = re.compile(r"\s+")  # str patterns: includes U+3000 (the watermark's 草　稿)


def flat(text: str) -> str:
    """The text without any whitespace: line breaks fall anywhere in CJK text."""
    return _WHITESPACE.sub("", text)


def pdftotext_pages(pdf: bytes) -> list[str]:
    """pdftotext -raw (content-stream order: the rotated watermark stays one run) per page."""
    out = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode("utf-8")
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()  # pdftotext ends every page, the last too, with a form feed
    return pages


def pypdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) of each page as displayed: the mediabox, turned by /Rotate."""
    sizes = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        if (page.rotation or 0) % 180:
            w, h = h, w
        sizes.append((w, h))
    return sizes


@dataclass(frozen=True)
class FontRow:
    name: str
    type: str
    emb: str


def pdffonts(pdf: bytes, path) -> list[FontRow]:
    """pdffonts' table, cut at its header's column positions (types contain spaces)."""
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    lines = out.splitlines()
    header = lines[0]
    assert lines[1].startswith("----"), out
    t, e, s = header.index("type"), header.index("emb"), header.index("sub")
    return [
        FontRow(line[:t].strip(), line[t : header.index("encoding")].strip(), line[e:s].strip())
        for line in lines[2:]
        if line.strip()
    ]


def pypdf_fonts(pdf: bytes) -> dict[str, dict]:
    """Every font of every page (and of the page's form XObjects): BaseFont → font dict."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fonts: dict[str, dict] = {}

    def visit(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            fonts[str(font.get("/BaseFont", repr(font)))] = font
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return fonts


def font_files(font) -> list[str]:
    """The embedded font program keys of a font (of its descendant for a Type0 font)."""
    font = font.get_object()
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return []
    descriptor = descriptor.get_object()
    return [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]


def missing_glyphs(pdf: bytes) -> list[tuple[int, bytes]]:
    """(page, string) of every text run that shows a glyph the font does not have: WeasyPrint
    writes such a character (tofu) as the two-byte code FFFF (or 0000, .notdef) of a Type0
    font, and its text extracts as something else (pdftotext maps it to another character)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found = []
    for number, page in enumerate(reader.pages, start=1):
        resources = page.get("/Resources").get_object()
        fonts = {k: v.get_object() for k, v in (resources.get("/Font") or {}).items()}
        two_byte = False
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                two_byte = fonts.get(operands[0], {}).get("/Subtype") == "/Type0"
                continue
            if operator == b"Tj":
                runs = [operands[0]]
            elif operator == b"TJ":
                runs = [x for x in operands[0] if not isinstance(x, int | float)]
            else:
                continue
            for run in runs:
                data = getattr(run, "original_bytes", None)
                if data is None:
                    data = bytes(run)
                if not two_byte:
                    continue
                codes = {data[i : i + 2] for i in range(0, len(data) - 1, 2)}
                if codes & {b"\xff\xff", b"\x00\x00"}:
                    found.append((number, data))
    return found


@dataclass(frozen=True)
class TextLine:
    page: int  # 1-based
    x0: float
    y0: float  # from the top of the page, in pt
    x1: float
    y1: float
    text: str  # without whitespace


def text_lines(pdf: bytes, path) -> list[TextLine]:
    """Every line of text with its box (pdftotext -bbox-layout), page by page in reading order;
    pdftotext cuts a table row into a line per cell."""
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    lines = []
    for number, page in enumerate(re.findall(r"<page .*?</page>", out, re.S), start=1):
        for attrs, body in re.findall(r"<line (.*?)>(.*?)</line>", page, re.S):
            box = dict(re.findall(r'(\w+)="([\d.]+)"', attrs))
            words = re.findall(r"<word [^>]*>(.*?)</word>", body)
            text = flat(unescape("".join(words)))
            lines.append(
                TextLine(
                    number,
                    float(box["xMin"]),
                    float(box["yMin"]),
                    float(box["xMax"]),
                    float(box["yMax"]),
                    text,
                )
            )
    return lines
