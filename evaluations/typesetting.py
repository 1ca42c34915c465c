"""Typesetting of the PDF after GB/T 9704-2012, in plain Python (no Django, no WeasyPrint):
the fonts, the inter-character justification of the body text, the title's line breaks
between words and the header cells' words that never break inside.

The text block is 156 mm wide and holds 28 characters of 三号 (16 pt) 仿宋 a line: the
characters are drawn 156 mm ÷ 28 apart (a negative letter-spacing, `LETTER_SPACING_PT`), and
every full line ends flush at the right edge. WeasyPrint justifies a line by widening its
spaces only, so `justifiable` puts a space between two characters wherever Chinese text may
break anyway; the stylesheet gives those spaces no width of their own (word-spacing), and
justification spreads a line's slack over them: inter-character justification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

# ---------------------------------------------------------------------------- the text block

TEXT_BLOCK_MM = 156  # 版心宽
BODY_PT = 16  # 三号
CHARS_PER_LINE = 28
LINES_PER_PAGE = 22
TEXT_BLOCK_HEIGHT_MM = 225  # 版心高
_PT_PER_MM = 72 / 25.4
# 156 mm ÷ 28 = 15.793 pt per character: −0.207 pt; −0.21 keeps 28 characters within the
# line whatever Pango's rounding of the advances.
LETTER_SPACING_PT = -0.21
LINE_PITCH_PT = 28.95  # 225 mm ÷ 22 = 28.99 pt; 22 × 28.95 pt fits the block

# ---------------------------------------------------------------------------- fonts

# Debian's texlive-lang-chinese (scripts/bootstrap.sh) ships the Fandol fonts here; they are
# outside fontconfig's paths, so the stylesheet loads them with @font-face.
FANDOL_DIR = Path("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol")


@dataclass(frozen=True)
class FontFace:
    family: str  # the name the stylesheet uses
    file: str  # the file name in the font directory


FONT_FACES = (
    FontFace("FandolFang", "FandolFang-Regular.otf"),  # 仿宋: the body
    FontFace("FandolKai", "FandolKai-Regular.otf"),  # 楷体: （一） headings
)


def font_face_css(directory: Path = FANDOL_DIR) -> str:
    """The @font-face rules of the fonts found in `directory` (a missing file is left out:
    the stylesheet's font stacks then fall back to Noto CJK)."""
    rules = []
    for face in FONT_FACES:
        path = directory / face.file
        if path.is_file():
            rules.append(
                f'@font-face {{ font-family: "{face.family}"; src: url("{path.as_uri()}"); }}'
            )
    return "\n".join(rules)


def missing_fonts(directory: Path = FANDOL_DIR) -> list[str]:
    return [face.file for face in FONT_FACES if not (directory / face.file).is_file()]


# ---------------------------------------------------------------------------- justification

_IDEOGRAPH = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# GB/T 15834 punctuation that never begins a line (closing) / never ends one (opening)
CLOSING = "，。、；：！？）》」』〉】〕”’…—·％"
OPENING = "（《「『〈【〔“‘"
OWN_SPACE = "\u2005"  # a quarter em, a line may break after it; not a word separator
_OWN_SPACES = re.compile(r"[ \t\u00a0]+")
_BEFORE = re.compile(f"[{_IDEOGRAPH}{re.escape(CLOSING)}]")
_AFTER = re.compile(f"[{_IDEOGRAPH}{re.escape(OPENING)}]")


def justifiable(text: str) -> str:
    """The text with a space wherever a line may break between two Chinese characters (or
    after closing / before opening punctuation): the stretchable points of justification.
    Nothing else changes: no space inside a number, a Latin word, or before a “，”. The text's
    own spaces become one FOUR-PER-EM SPACE each: the stylesheet gives a space no width of
    its own, and “Excel 表格” must keep its gap."""
    text = _OWN_SPACES.sub(OWN_SPACE, text or "")
    if not text:
        return text
    out = [text[0]]
    for a, b in pairwise(text):
        if _BEFORE.match(a) and _AFTER.match(b) and a not in "—…":
            out.append(" ")
        out.append(b)
    return "".join(out)


# ---------------------------------------------------------------------------- the title

TITLE_PT = 22  # 二号
TITLE_LINE_EMS = TEXT_BLOCK_MM * _PT_PER_MM / TITLE_PT  # 20.1 characters a line

# Where a unit's or a project's name may break: after these words (a single character only
# after a name of two or more characters: 广州市|南沙区, never 市|场监督管理局).
_NAME_ENDINGS = (
    "委员会",
    "办公室",
    "会议",
    "人民政府",
    "政府",
    "自治区",
    "中心",
    "项目",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "州",
    "镇",
    "乡",
    "局",
    "厅",
)
# The literal words of a title template such as “{department}{year}年部门整体支出绩效自评报告”
_TITLE_WORDS = re.compile(r"\d+(?:年度?)?|部门整体支出|项目支出|绩效自评报告|绩效自评|\D")


def name_words(name: str) -> list[str]:
    """A unit's name cut into words at the endings of its parts:
    中国人民政治协商会议|广州市|南沙区|委员会|办公室."""
    words, start, i = [], 0, 0
    while i < len(name):
        for ending in _NAME_ENDINGS:
            end = i + len(ending)
            if name.startswith(ending, i) and (len(ending) > 1 or end - start >= 3):
                words.append(name[start:end])
                start = i = end
                break
        else:
            i += 1
    if start < len(name):
        words.append(name[start:])
    return [w for w in words if w]


# A break before these words of a name splits an organ from its office (委员会|办公室): avoided.
_BOUND_WORDS = ("办公室", "委员会")


def _width(text: str) -> float:
    """Width in ems: Chinese characters 1, digits and Latin letters ½."""
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in text)


def title_words(title: str, names: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """The title cut into the words a line may break between, each with the cost of a break
    before it: 0 between the title's parts (the unit's name, the year, the rest), 1 inside a
    name or a phrase, 3 inside an organ's name (委员会|办公室). Each of `names` (the unit, the
    project) that the title contains is cut by name_words, the rest by _TITLE_WORDS."""
    words: list[tuple[str, int]] = []
    rest = title
    while rest:
        found = [(rest.find(n), n) for n in names if n and n in rest]
        at, name = min(found, key=lambda x: (x[0], -len(x[1])), default=(len(rest), ""))
        words.extend((w, 0 if i == 0 else 1) for i, w in enumerate(_literal_words(rest[:at])))
        if not name:
            break
        words.extend(
            (w, 0 if i == 0 else 3 if w.startswith(_BOUND_WORDS) else 1)
            for i, w in enumerate(name_words(name))
        )
        rest = rest[at + len(name) :]
    return words


def _literal_words(text: str) -> list[str]:
    words: list[str] = []
    single = ""
    for m in _TITLE_WORDS.finditer(text):
        piece = m.group(0)
        if len(piece) == 1 and not piece.isdigit():
            single += piece
            continue
        if single:
            words.append(single)
            single = ""
        words.append(piece)
    if single:
        words.append(single)
    return words


def title_lines(
    title: str, names: tuple[str, ...] = (), capacity: float = TITLE_LINE_EMS
) -> list[str]:
    """The title broken between words only (GB/T 9704 7.3.3: 词意完整，排列对称，长短适宜):
    the fewest lines and the cheapest breaks (title_words), then the most even lines. A word
    longer than a line stays whole on its own line (the renderer wraps it)."""
    words = title_words(title, names)
    if not words:
        return [title]
    n = len(words)
    widths = [_width(w) for w, _ in words]

    @cache
    def split(start: int) -> tuple[int, float, tuple[int, ...]]:
        """(lines + break costs, unevenness, line ends) of the best split of words[start:]."""
        if start == n:
            return 0, 0.0, ()
        options = []
        width = 0.0
        for end in range(start + 1, n + 1):
            width += widths[end - 1]
            if width > capacity and end > start + 1:
                break
            cost, spread, ends = split(end)
            cost += 1 + (words[end][1] if end < n else 0)
            options.append((cost, spread + (capacity - width) ** 2, (end, *ends)))
        return min(options)

    _, _, ends = split(0)
    out, start = [], 0
    for end in ends:
        out.append("".join(w for w, _ in words[start:end]))
        start = end
    return out


# ---------------------------------------------------------------------------- header cells

_CELL_WORD = re.compile(r"[（(《][^）)》]*[）)》][、，/]?|[^（(《、，/]+[、，/]?|.")


def cell_words(text: str) -> list[str]:
    """A header cell's text cut where it may wrap: after 、，/ and around （…）; each piece is
    set unbreakable (评分依据、|未达标原因、|改进措施; 供职人数|（编制总数）|合计)."""
    words = (m.group(0).strip() for m in _CELL_WORD.finditer(text or ""))
    return [w for w in words if w]
