"""Numbers as people type them: full-width digits, thousands separators, a % or 万元 suffix.

Pure functions; each raises InputError with a Chinese message that the form shows next to the
field. Nothing here rounds silently: more decimals than allowed is an error, not a guess.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation


class InputError(ValueError):
    pass


_SPACES = re.compile(r"\s+")
# ASCII digits only ([0-9], never \d, which in Python matches every script's digits): after
# full-width digits are mapped to ASCII, any other digit (Arabic-Indic ١٩٥٤, Devanagari,
# mathematical bold 𝟏𝟗𝟓𝟒 …) is refused with its own message rather than read as a number.
_THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?:[^0-9]|$))")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


# Full-width forms (U+FF01–FF5E) to ASCII, the ideographic space to a space, and the Chinese
# full stop and minus signs people type. Nothing else is mapped: NFKC would also turn
# superscripts and circled digits into digits (10² → 102), which must be refused, not read.
_WIDE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDE.update({0x3000: 0x20, ord("。"): ord("."), ord("−"): ord("-")})


def _normalise(text: str) -> str:
    return _SPACES.sub("", text.translate(_WIDE))


def parse_decimal(
    text: str | None,
    *,
    places: int = 2,
    suffixes: tuple[str, ...] = (),
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    what: str = "数值",
    example: str = "1954.07",
) -> Decimal | None:
    """'' → None; '１,９５４.０７' → Decimal('1954.07'); errors name what was expected."""
    if text is None:
        return None
    raw = _normalise(str(text))
    if raw == "":
        return None
    for suffix in suffixes:
        if raw.endswith(suffix):
            raw = raw[: -len(suffix)]
            break
    if any(ch.isdigit() for ch in raw if ord(ch) > 127):
        raise InputError(f"{what}只能用 0～9 的数字（半角或全角），不能用其他文字的数字或符号")
    if "," in raw:
        if not _THOUSANDS.search(raw) or not re.fullmatch(
            r"[+-]?[0-9]{1,3}(,[0-9]{3})*(\.[0-9]*)?", raw
        ):
            raise InputError(f"请输入有效的{what}：千位分隔符的位置不对")
        raw = raw.replace(",", "")
    if not _NUMBER.fullmatch(raw):
        raise InputError(f"请输入有效的{what}，例如 {example}")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above admits only numbers
        raise InputError(f"请输入有效的{what}") from exc
    if value.adjusted() >= 12:  # before any arithmetic: a 30-digit number must not reach quantize
        raise InputError(f"{what}过大")
    step = Decimal(1).scaleb(-places)
    if value != value.quantize(step, rounding="ROUND_DOWN"):
        raise InputError(f"{what}最多保留{places}位小数")
    if minimum is not None and value < minimum:
        raise InputError(f"{what}不能为负数" if minimum == 0 else f"{what}不能小于{minimum}")
    if maximum is not None and value > maximum:
        raise InputError(f"{what}不能大于{maximum}")
    value = value.quantize(step)
    return abs(value) if value == 0 else value  # never a “-0.00”


def parse_amount(text: str | None) -> Decimal | None:
    """An amount in 万元, ≥ 0, at most 2 decimals."""
    return parse_decimal(text, suffixes=("万元", "万"), minimum=Decimal(0), what="金额（万元）")


def parse_percent(text: str | None) -> Decimal | None:
    """A percentage: '97.5%' and '97.5' both mean 97.5%."""
    return parse_decimal(
        text,
        suffixes=("%",),
        minimum=Decimal(0),
        maximum=Decimal(100),
        what="百分比",
        example="97.5%",
    )


def parse_score(text: str | None, *, minimum: Decimal, maximum: Decimal) -> Decimal | None:
    return parse_decimal(
        text, suffixes=("分",), minimum=minimum, maximum=maximum, what="分数", example="1.5"
    )
