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
    hint: str = "",
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
        raise InputError(hint or f"请输入有效的{what}，例如 {example}")
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


PERCENT_HINT = "请输入百分比数值，例如 97.5 或 97.5%"


def parse_percent(
    text: str | None,
    *,
    places: int = 2,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = Decimal(100),
) -> Decimal | None:
    """A percentage, typed any common way: '97.5%', '97.5 %', '97.5％' (full width), '97.5'
    and '百分之九十七点五' all mean 97.5%. A bare number in a percent field is read as the
    percentage itself: '0.975' is 0.975%, never 97.5% (people type rates as they read them,
    and guessing would turn a real 0.98% into 98%)."""
    if text is None:
        return None
    raw = _normalise(str(text))
    if raw.startswith("百分之"):
        raw = _chinese_number(raw[3:])
    elif raw.endswith("%") and raw.count("%") > 1:
        raise InputError(f"{PERCENT_HINT}（百分号只能有一个）")
    return parse_decimal(
        raw,
        places=places,
        suffixes=("%",),
        minimum=minimum,
        maximum=maximum,
        what="百分比",
        hint=PERCENT_HINT,
    )


_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_CN_DIGITS["两"] = 2


def _chinese_number(text: str) -> str:
    """'九十七点五' → '97.5': the Chinese numerals of a percentage (0 to 100, decimals
    after 点 digit by digit). Anything else is refused with the percent hint."""
    whole, point, frac = text.partition("点")
    bad_frac = any(c not in _CN_DIGITS for c in frac) or (point and not frac)
    if not whole or bad_frac or whole.count("十") > 1:
        raise InputError(PERCENT_HINT)
    value, current = 0, None
    for c in whole:
        if c in _CN_DIGITS:
            if current is not None:  # 二三: two digits in a row
                raise InputError(PERCENT_HINT)
            current = _CN_DIGITS[c]
        elif c == "十":
            value += (1 if current is None else current) * 10
            current = None
        elif c == "百" and current == 1 and value == 0:
            value, current = 100, None
        else:
            raise InputError(PERCENT_HINT)
    value += current or 0
    return str(value) + ("." + "".join(str(_CN_DIGITS[c]) for c in frac) if frac else "")


def parse_score(text: str | None, *, minimum: Decimal, maximum: Decimal) -> Decimal | None:
    return parse_decimal(
        text, suffixes=("分",), minimum=minimum, maximum=maximum, what="分数", example="1.5"
    )


PHONE_HINT = "请输入有效的联系电话，例如 020-84981234 或 13812345678"
# A landline with its area code (020-84981234, (020)84981234, 0757 2233 4455), optionally an
# extension (转123, -123, ext.123), a mobile number, or a 400/800 service number; +86 allowed.
_LANDLINE = re.compile(r"0\d{2,3}-?[2-9]\d{6,7}(?:(?:-|转|ext\.?|#)\d{1,6})?")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SERVICE = re.compile(r"[48]00-?\d{3}-?\d{4}")


def parse_phone(text: str | None) -> str:
    """A Chinese telephone number as typed ('020-8498 1234', '（020）84981234', '138 1234
    5678'): full-width forms and spaces tidied away, the digits and separators kept as typed.
    '' stays ''; anything that is not a phone number raises InputError."""
    raw = _normalise(text or "")
    if raw == "":
        return ""
    plain = re.sub(r"^\((0\d{2,3})\)", r"\1-", raw)
    plain = re.sub(r"^(?:\+?86-?)", "", plain)
    if not (_LANDLINE.fullmatch(plain) or _MOBILE.fullmatch(plain) or _SERVICE.fullmatch(plain)):
        raise InputError(PHONE_HINT)
    return plain
