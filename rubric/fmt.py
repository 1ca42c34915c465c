"""Number formatting for the 评分依据 texts (full-width operators, as the seed table writes them)."""

from __future__ import annotations

from decimal import Decimal


def num(value: Decimal) -> str:
    """A score or count without trailing zeros: 2, 1.5, 0.97."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def amount(value: Decimal) -> str:
    """An amount in 万元, always 2 decimals: 1954.07, 0.00."""
    return f"{value:.2f}"


def rate(value: Decimal, places: int = 2) -> str:
    """A percentage with the rubric's rate places (2 unless it says otherwise): 97.84%."""
    return f"{value:.{places}f}%"


def input_value(spec, value, *, in_sentence: bool = False) -> str:
    """An input's value with the rubric's decimals; 是/否; a date as 2022-09-30; "" for none.

    Beside its label: thousands separators for money, % for a rate, the unit of a count (万元
    is in the heading). In a report sentence (`in_sentence`): no separators and no unit but %,
    since the sentence writes its own ("…{initial_budget}万元")."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        decimals = getattr(spec, "decimals", 2)
        unit = getattr(spec, "unit", "万元")
        money = unit in ("万元", "元")
        text = f"{value:,.{decimals}f}" if money and not in_sentence else f"{value:.{decimals}f}"
        if in_sentence:
            return text + "%" if unit == "%" else text
        return text + ("" if unit == "万元" else unit)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
