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


def rate(value: Decimal) -> str:
    """A percentage, always 2 decimals: 97.84%."""
    return f"{value:.2f}%"
