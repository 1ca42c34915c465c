"""The one place where numbers are rounded, by the rubric version's rule."""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal

MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "down": decimal.ROUND_DOWN,  # truncate (截尾)
    "up": decimal.ROUND_UP,  # away from zero (进一)
}

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Rounding:
    rate_places: int = 2
    score_places: int = 2
    mode: str = "half_up"  # for scores, and for rates unless rate_mode says otherwise
    rate_mode: str = ""

    @staticmethod
    def _q(value: Decimal, places: int, mode: str) -> Decimal:
        return value.quantize(Decimal(1).scaleb(-places), rounding=MODES[mode])

    def rate(self, value: Decimal) -> Decimal:
        """A percentage (97.84 means 97.84%)."""
        return self._q(value, self.rate_places, self.rate_mode or self.mode)

    def score(self, value: Decimal) -> Decimal:
        return self._q(value, self.score_places, self.mode)

    def percent(self, numerator: Decimal, denominator: Decimal) -> Decimal:
        """numerator ÷ denominator × 100%, rounded as a rate. The caller checks the denominator."""
        return self.rate(numerator / denominator * HUNDRED)


def money(value: Decimal) -> Decimal:
    """Amounts are 万元 with 2 decimals everywhere."""
    return value.quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
