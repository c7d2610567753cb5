"""Exact report figures: money from value sums, ratios and days as quantized decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

from ..stock.costing import div_round
from ..stock.units import MONEY_SCALE, QTY_SCALE, money_decimal, qty_decimal

RATIO_PLACES = Decimal("0.0001")  # turnover, shares
DAYS_PLACES = Decimal("0.01")  # days of inventory
PERCENT_PLACES = Decimal("0.01")


def money(value: int, divisor: int = 1) -> Decimal:
    """A value in 10^-7 of the currency (qty × unit cost), divided by divisor, as money:
    rounded half away from zero to the ten-thousandth the stock layer keeps."""
    return money_decimal(div_round(value, QTY_SCALE * divisor))


def quantity(scaled: int) -> Decimal:
    return qty_decimal(scaled)


def ratio(numerator: int, denominator: int, places: Decimal = RATIO_PLACES) -> Decimal:
    """numerator / denominator, exact until rounded half up to places."""
    with localcontext() as context:
        context.prec = 60
        return (Decimal(numerator) / Decimal(denominator)).quantize(places, ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal:
    return ratio(part * 100, whole, PERCENT_PLACES) if whole else Decimal(0)


__all__ = ["MONEY_SCALE", "money", "percent", "quantity", "ratio"]
