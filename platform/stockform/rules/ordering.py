"""The arithmetic of replenishment: safety stock, reorder point, the level that triggers an
order and the one to order up to, transfers between warehouses of one SKU, and order
quantities in multiples.

Quantities are integers in thousandths of the SKU's unit (as the ledger keeps them), and every
level is computed exactly from the demand sums: a plan does this for every (SKU, warehouse),
half a million rows in a large shop, where Decimal square roots would cost seconds. "Rounded
up" means up to a whole `step`, the SKU's smallest quantity (1000 at precision 0).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from math import isqrt
from typing import NamedTuple

Z_PLACES = Decimal("0.0001")
Z_SCALE = 10_000  # z is kept to 4 decimals
STEPS = (1000, 100, 10, 1)  # by precision, 0 to 3


@lru_cache(maxsize=64)
def z_score(level: Decimal) -> Decimal:
    """The standard normal quantile of a service level, to 4 decimals (0.95 -> 1.6449).

    The standard library computes it only in binary floating point; the float is turned into
    a Decimal at once and rounded to 4 places, the precision of a printed z table, so every
    figure after it is exact arithmetic on a number a person can check by hand.
    """
    z = statistics.NormalDist().inv_cdf(float(level))
    return Decimal(z).quantize(Z_PLACES)


def step(precision: int) -> int:
    """The smallest quantity of a SKU in thousandths: 1000 at precision 0, 1 at precision 3."""
    return STEPS[precision]


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def round_up(value: int, unit: int) -> int:
    """value rounded up to a whole number of unit."""
    return ceil_div(value, unit) * unit


class Demand(NamedTuple):
    """n days of demand: Σx and Σx² with x in thousandths."""

    days: int
    total: int
    squares: int


class Levels(NamedTuple):
    safety_stock: int  # z × s × √L, rounded up
    reorder_point: int  # d × L + safety stock, rounded up
    trigger: int  # max(reorder point, min or 0): at or below it, stock is short
    target: int  # what an order fills up to: max, or trigger + d × cover days


def safety_stock(demand: Demand, z: int, lead: tuple[int, int], unit: int) -> int:
    """z × s × √L rounded up to unit, exactly: z in ten-thousandths, L = lead[0] / lead[1] days.

    s² = (nΣx² − (Σx)²) / (n(n − 1)), so (z × s × √L)² is a fraction of integers, and the
    result is the least k × unit whose square is not below it.
    """
    n, total, squares = demand
    spread = n * squares - total * total
    if n < 2 or spread <= 0 or z <= 0 or lead[0] <= 0:
        return 0
    wanted = z * z * spread * lead[0]
    per = unit * unit * Z_SCALE * Z_SCALE * n * (n - 1) * lead[1]
    k = isqrt(wanted // per)
    while k * k * per < wanted:
        k += 1
    return k * unit


@lru_cache(maxsize=65536)
def levels(
    demand: Demand,
    z: int,
    lead: tuple[int, int],
    unit: int,
    minimum: int | None,
    maximum: int | None,
    cover_days: int,
) -> Levels:
    """The levels of one (SKU, warehouse) from its demand and settings (rows with the same
    figures are many: slow movers with a sale or two and the same lead time)."""
    n, total, _ = demand
    safety = safety_stock(demand, z, lead, unit)
    # d × L = Σx × L / n; with safety stock a whole number of units, rounding the sum up is
    # rounding d × L up and adding it.
    usage = round_up(total * max(lead[0], 0), n * lead[1] * unit) // (n * lead[1]) if total else 0
    reorder = usage + safety
    trigger = max(reorder, minimum or 0)
    if maximum is not None and maximum > trigger:
        target = maximum
    else:
        target = round_up(trigger * n + total * cover_days, n * unit) // n
    return Levels(safety, reorder, trigger, target)


def shortfall(found: Levels, position: int) -> int:
    """How much short of its target a place is when its position is at or below the trigger."""
    if found.trigger > 0 and position <= found.trigger:
        return max(found.target - position, 0)
    return 0


def surplus(found: Levels, position: int, stock: int) -> int:
    """What a place above its target can give: no more than the stock it holds itself."""
    if position <= found.target:
        return 0
    return max(min(stock, position - found.target), 0)


class Transfer(NamedTuple):
    from_warehouse: str
    to_warehouse: str
    qty: int


def allocate(needs: Sequence[tuple[str, int]], offers: Sequence[tuple[str, int]]) -> list[Transfer]:
    """Transfers of one SKU: each short warehouse (in the order given) takes its need from the
    warehouses offering the most first (ties by warehouse code)."""
    left = {code: qty for code, qty in offers if qty > 0}
    transfers = []
    for target, need in needs:
        for source in sorted(left, key=lambda code: (-left[code], code)):
            if need <= 0:
                break
            qty = min(need, left[source])
            if qty <= 0:
                continue
            transfers.append(Transfer(source, target, qty))
            left[source] -= qty
            need -= qty
    return transfers


def order_quantity(
    need: int,
    position: int,
    transfers_in: int,
    maximum: int | None,
    multiple: int | None,
    unit: int,
) -> int:
    """The order for what transfers leave short: rounded up to the multiple, or down when that
    would pass the max, but never below one multiple; 0 when nothing is short."""
    if need <= 0:
        return 0
    if multiple is None:
        return round_up(need, unit)
    qty = round_up(need, multiple)
    if maximum is not None and position + transfers_in + qty > maximum:
        qty = max((maximum - position - transfers_in) // multiple * multiple, multiple)
    return qty
