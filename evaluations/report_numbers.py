"""Numbers typed into the report's free-text sections, checked against the evaluation's own
figures and results (issue 11, 4a).

The seed's report gave 年初预算 as both 2959.47 and 2959.46, the 预算完成率 as 99.8%, 99.98% and
(in the table) 97.84%, the 项目支出 as 457.94 and 429.65, the 政府采购 amount as 30.71 against
the table's 1.21. The generated paragraphs of the report cannot disagree with the figures; the
typed ones can, and this module flags where they do — a warning next to the section, never a
block.

The rule
--------
1. A *mention* is a number written with a unit the evaluation has figures in: 万元 or 元
   (amounts), % (rates), 分 (scores); a number right after 得分/总分/自评分 (e.g. 「自评得分为
   97.61」) is a score too. Numbers with other units (2022年, 23人, 98件, 80多次) are never
   checked, nor approximate ones (近30万元, 约2000万元, 30万元左右/以上).
2. The *known figures* are the rubric's number inputs in 万元, 元 and % (derived rates such as
   部门整体预算完成率 included, from the score sheet's values), the rates the engine reports on
   its lines (Line.rate), the target rows' 年度指标值 and 实际完成值 in 万元 and %, the total
   scores (计算、自评、复核、最终) and each indicator's score.
3. A mention that equals a known figure of its unit — at the precision it is written with
   (1356万元 equals 1356.00) — is fine.
4. Otherwise it is flagged when
   a. it is *close* to a known figure of its unit: within 1% of it (amounts, total scores); or
   b. the words just before it (its clause, back to the previous ，。；、 or at most 30
      characters) *name* a known figure of its unit — they contain the figure's label or a
      short form of it (the part after ·, the label without 合计/总额/金额/数) — the longest
      such name wins. Rates and indicator scores are flagged only this way: rates cluster
      near 100% and scores are small numbers, so closeness alone says little about them.
   The finding names the figure it disagrees with (the closest in value among those found).
5. Work is bounded: at most MAX_TEXT characters of each section and MAX_MENTIONS numbers in
   all are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

MAX_TEXT = 20_000  # characters read from each section
MAX_MENTIONS = 400  # numbers read in all
CLOSE = Decimal("0.01")  # a relative difference up to 1% is "close"
CONTEXT = 30  # characters before a number that may name it

AMOUNT_UNITS = {"万元": "万元", "元": "元"}
RATE, SCORE = "%", "分"
_DIGITS = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_NUMBER = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d])\s*"
    r"(万元|亿元|元|%|个百分点|分(?![之钟析配别类解期批局行数值]))?"
)
_APPROX_BEFORE = ("近", "约", "超", "逾", "超过", "将近", "大约", "多达", "不足", "不到", "近乎")
_APPROX_AFTER = ("以上", "以下", "左右", "余", "多", "上下")
_SCORE_WORDS = re.compile(r"(得分|总分|自评分|评分)(为|是|：|:)?\s*$")
_BOUNDARY = re.compile(r"[，。；！？、\n（）()；,;]")
_SUFFIXES = ("合计", "总额", "金额", "总计", "数")


@dataclass(frozen=True)
class Figure:
    """A number the evaluation knows: an input, a rate or a score."""

    label: str
    value: Decimal
    unit: str  # 万元 | 元 | % | 分
    names: tuple[str, ...]  # the words that name it in a sentence
    places: int = 2
    total: bool = False  # a total score (checked for closeness too)

    @property
    def shown(self) -> str:
        text = _quantize(self.value, self.places)
        return f"{text}{self.unit}"


@dataclass(frozen=True)
class Mention:
    """A number typed in a text, with its unit and the words before it."""

    value: Decimal
    places: int
    unit: str
    typed: str  # as written, e.g. 2959.46万元
    clause: str  # the words before it in its clause
    start: int


@dataclass(frozen=True)
class NumberFinding:
    section: str  # the report section's key
    title: str  # its title
    step: str  # the filing step it is written on
    typed: str
    excerpt: str
    figure: str  # the figure's label
    figure_value: str  # the figure as shown, e.g. 2959.47万元
    kind: str  # close | named
    message: str


# ---------------------------------------------------------------------------- the known figures


def names_of(label: str) -> tuple[str, ...]:
    """The words that name a figure: its label and its short forms."""
    base = label.replace("其中：", "").replace("其中", "").strip()
    forms = {base}
    if "·" in base:
        forms.add(base.split("·")[-1])
        forms.add(base.replace("·", ""))
    for form in list(forms):
        for suffix in _SUFFIXES:
            if form.endswith(suffix) and len(form) - len(suffix) >= 2:
                forms.add(form[: -len(suffix)])
    return tuple(sorted((f for f in forms if len(f) >= 2), key=len, reverse=True))


def known_figures(sheet) -> list[Figure]:
    """The figures a typed number is compared with: from the score sheet (its rubric's inputs
    and values, its lines and totals). Pure: plain objects in, no database."""
    rubric = sheet.rubric
    out: list[Figure] = []
    for spec in rubric.inputs:
        value = sheet.values.get(spec.key)
        unit = spec.unit if spec.unit in ("万元", "元", RATE) else ""
        if unit and isinstance(value, Decimal):
            out.append(Figure(_label(spec.label), value, unit, names_of(spec.label), spec.decimals))
    for line in sheet.lines:
        rate = getattr(line, "rate", None)
        if isinstance(rate, Decimal):
            out.append(Figure(line.name, rate, RATE, names_of(line.name)))
        row = line.row
        if row is not None and row.unit in ("万元", "元", RATE, "％"):
            unit = RATE if row.unit in (RATE, "％") else row.unit
            for what, value in (("实际完成值", row.actual_value), ("年度指标值", row.target_value)):
                if isinstance(value, Decimal):
                    out.append(Figure(f"{row.name}{what}", value, unit, names_of(row.name)))
        if line.final is not None and line.row is None:
            out.append(Figure(f"{line.name}得分", line.final, SCORE, names_of(line.name)))
    totals = sheet.totals
    total_names = ("自评得分", "自评总分", "综合得分", "总分", "得分", "自评分")
    for label, value in (
        ("自评得分", totals.claimed),
        ("计算得分", totals.computed),
        ("复核得分", totals.reviewed),
        ("最终得分", totals.final),
    ):
        if isinstance(value, Decimal):
            out.append(Figure(label, value, SCORE, total_names, total=True))
    return out


def _label(label: str) -> str:
    return label.replace("其中：", "")


# ---------------------------------------------------------------------------- reading a text


def mentions(text: str, limit: int = MAX_MENTIONS) -> list[Mention]:
    """The checkable numbers of a text (at most `limit`, from its first MAX_TEXT characters)."""
    body = text[:MAX_TEXT].translate(_DIGITS)
    out: list[Mention] = []
    for m in _NUMBER.finditer(body):
        if len(out) >= limit:
            break
        whole, frac, unit = m.group(1), m.group(2), m.group(3)
        before = body[max(0, m.start() - CONTEXT) : m.start()]
        cut = list(_BOUNDARY.finditer(before))
        clause = before[cut[-1].end() :] if cut else before
        if unit is None and _SCORE_WORDS.search(clause):
            unit = SCORE
        if unit not in ("万元", "元", RATE, SCORE):
            continue
        if clause.rstrip().endswith(_APPROX_BEFORE) or body[m.end() :].startswith(_APPROX_AFTER):
            continue
        try:
            value = Decimal(whole.replace(",", "") + (f".{frac}" if frac else ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits digits only
            continue
        typed = body[m.start() : m.end()].strip().replace(" ", "")
        if m.group(3) is None:
            typed += "分"
        out.append(Mention(value, len(frac or ""), unit, typed, clause.strip(), m.start()))
    return out


def _quantize(value: Decimal, places: int) -> str:
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q:.{places}f}"


def _equal(m: Mention, f: Figure) -> bool:
    return Decimal(_quantize(f.value, m.places)) == m.value


def _close(m: Mention, f: Figure) -> bool:
    if f.value == 0:
        return False
    return abs(m.value - f.value) <= abs(f.value) * CLOSE


def _named(m: Mention, figures: Iterable[Figure]) -> list[Figure]:
    best, found = 0, []
    for f in figures:
        length = max((len(n) for n in f.names if n in m.clause), default=0)
        if length and length > best:
            best, found = length, [f]
        elif length and length == best:
            found.append(f)
    return found


def judge(m: Mention, figures: list[Figure]) -> tuple[str, Figure] | None:
    """("close" | "named", the figure it disagrees with), or None when it is fine."""
    same = [f for f in figures if f.unit == m.unit]
    if any(_equal(m, f) for f in same):
        return None
    if m.unit not in (RATE,):
        close = [f for f in same if _close(m, f) and (m.unit != SCORE or f.total)]
        if close:
            return "close", min(close, key=lambda f: abs(f.value - m.value))
    named = _named(m, same)
    if named:
        return "named", min(named, key=lambda f: abs(f.value - m.value))
    return None


# ---------------------------------------------------------------------------- the report


def check_texts(
    texts: Mapping[str, str], sections: Iterable[Any], figures: list[Figure]
) -> list[NumberFinding]:
    """Findings for the typed texts (section key -> text) of `sections` (the rubric's report
    sections, in order: key, title, step)."""
    out: list[NumberFinding] = []
    budget = MAX_MENTIONS
    for section in sections:
        text = texts.get(section.key) or ""
        if not text.strip() or budget <= 0:
            continue
        found = mentions(text, budget)
        budget -= len(found)
        for m in found:
            verdict = judge(m, figures)
            if verdict is None:
                continue
            kind, figure = verdict
            lead = m.clause if len(m.clause) <= 20 else "…" + m.clause[-20:].lstrip()
            excerpt = f"{lead}{m.typed}"
            diff = ""
            if kind == "close":
                diff = f"（相差{_quantize(abs(m.value - figure.value), figure.places)}）"
            message = (
                f"报告正文“{section.title}”：“{excerpt}”中的{m.typed}与{figure.label}"
                f"{figure.shown}不一致{diff}，请核对"
            )
            out.append(
                NumberFinding(
                    section=section.key,
                    title=section.title,
                    step=getattr(section, "step", "report"),
                    typed=m.typed,
                    excerpt=excerpt,
                    figure=figure.label,
                    figure_value=figure.shown,
                    kind=kind,
                    message=message,
                )
            )
    return out


def check_evaluation(evaluation, sheet) -> list[NumberFinding]:
    """The findings for an evaluation's typed report sections (prefetched), against its score
    sheet."""
    texts = {s.key: s.text for s in evaluation.sections.all()}
    return check_texts(texts, sheet.rubric.report.sections, known_figures(sheet))
