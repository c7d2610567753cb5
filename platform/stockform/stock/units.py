"""Exact quantities and money: integers in thousandths of the unit and ten-thousandths of money."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..spec.numbers import LARGEST
from ..spec.phrases import Phrase, phrase, too_large

QTY_SCALE = 1000
MONEY_SCALE = 10000
# Scaled values live in 64-bit integer columns; sums and products of a few of them must fit
# too, so a single value stays well below 2**63. Number fields hold no larger either.
LIMIT = LARGEST


class QuantityError(ValueError):
    """A quantity or amount that cannot be stored exactly; the message says why."""


def to_qty(value: Decimal | int | str, precision: int = 3) -> int:
    """A quantity as thousandths; refuses more decimals than the SKU's precision allows."""
    number = _decimal(value)
    scaled = number * QTY_SCALE
    if scaled != scaled.to_integral_value():
        raise QuantityError(_more_decimals(value, 3))
    step = 10 ** (3 - precision)
    result = int(scaled)
    _refuse_huge(value, result, QTY_SCALE)
    if result % step:
        raise QuantityError(finer_than_sku(value, precision))
    return result


def to_money(value: Decimal | int | str) -> int:
    """An amount as ten-thousandths of the currency unit."""
    scaled = _decimal(value) * MONEY_SCALE
    if scaled != scaled.to_integral_value():
        raise QuantityError(_more_decimals(value, 4))
    _refuse_huge(value, int(scaled), MONEY_SCALE)
    return int(scaled)


def _refuse_huge(value: object, scaled: int, scale: int) -> None:
    if abs(scaled) > LIMIT * scale:
        raise QuantityError(too_large(value, LIMIT))


def qty_decimal(scaled: int) -> Decimal:
    return Decimal(scaled) / QTY_SCALE


def finer_than_sku(value: object, precision: int) -> Phrase:
    allowed = (
        phrase("whole units") if precision == 0 else phrase("%(places)s decimals", places=precision)
    )
    return phrase(
        "%(number)s is finer than this SKU allows (%(allowed)s)", number=value, allowed=allowed
    )


def _more_decimals(value: object, places: int) -> Phrase:
    return phrase("%(number)s has more than %(places)s decimals", number=value, places=places)


def money_decimal(scaled: int) -> Decimal:
    return Decimal(scaled) / MONEY_SCALE


def _decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float | bool):
        raise QuantityError("quantities are exact: pass a Decimal, an int or a decimal string")
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise QuantityError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise QuantityError(f"{value!r} is not a number")
    return number
