"""Stock day by day, rebuilt from the ledger: the buckets of every SKU at every warehouse at the
end of each day of a period, and the template's computed quantities (physical, sellable…) of
them. Two reports read it: stock-outs and stock over time.

One SQL pass sums the movements per SKU, warehouse, bucket and day (everything before the
period in one opening sum); the days are then replayed in Python, evaluating a row's
quantities only on the days it changed. Quantities use the SKU fields as they are now (the
engine keeps no history of a SKU's safety stock), per warehouse, so a total across
warehouses adds each warehouse's own figure, as everywhere else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, func, literal, or_, select

from ..spec.model import Template
from ..stock.catalog import sku_record
from ..stock.columns import stock_tables
from ..stock.quantities import evaluate
from ..stock.tables import Movement, table_of
from ..stock.units import qty_decimal
from .flows import scanned
from .period import Period, day_index
from .scope import Scope, sku_condition, warehouse_id, warehouse_ids

Place = tuple[int, int]  # sku_id, warehouse_id
Deltas = dict[Place, dict[str, int]]


@dataclass(frozen=True)
class DayState:
    """The end of one day: every tracked place's buckets (thousandths) and quantities, and
    which places changed that day."""

    index: int
    buckets: dict[Place, dict[str, int]]
    quantities: dict[Place, dict[str, Decimal | None]]
    changed: set[Place]


def _deltas(
    connection: Connection, template: Template, period: Period, scope: Scope
) -> tuple[Deltas, dict[int, Deltas]]:
    """Bucket changes per place: before the period, and per day of it."""
    m = table_of(Movement)
    only = warehouse_id(connection, scope)
    k = day_index(m.c.effective_at, period)
    day = case((m.c.effective_at >= period.start, k), else_=literal(-1))
    conditions = [m.c.effective_at < period.end, *sku_condition(template, scope, m.c.sku_id)]
    if only is not None:
        conditions.append(or_(m.c.from_warehouse_id == only, m.c.to_warehouse_id == only))
    keys = (
        scanned(m.c.sku_id),
        m.c.from_warehouse_id,
        m.c.from_bucket,
        m.c.to_warehouse_id,
        m.c.to_bucket,
    )
    query = (
        select(*keys, day.label("day"), func.sum(m.c.qty)).where(*conditions).group_by(*keys, day)
    )
    opening: Deltas = defaultdict(lambda: defaultdict(int))
    per_day: dict[int, Deltas] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for sku_id, source, source_bucket, target, target_bucket, index, qty in connection.execute(
        query
    ):
        into = opening if index < 0 else per_day[int(index)]
        if source is not None and (only is None or source == only):
            into[(sku_id, source)][source_bucket] -= int(qty)
        if target is not None and (only is None or target == only):
            into[(sku_id, target)][target_bucket] += int(qty)
    return opening, per_day


def replay(
    connection: Connection, template: Template, period: Period, scope: Scope
) -> Iterator[DayState]:
    """The end of every day of the period, first to last (the same dicts, updated in place:
    read each state before asking for the next)."""
    opening, per_day = _deltas(connection, template, period, scope)
    places = set(opening) | {place for deltas in per_day.values() for place in deltas}
    skus = sku_records(connection, template, {sku for sku, _ in places})
    codes = warehouse_ids(connection)
    buckets: dict[Place, dict[str, int]] = {}
    quantities: dict[Place, dict[str, Decimal | None]] = {}

    def apply(deltas: Deltas) -> set[Place]:
        for place, change in deltas.items():
            row = buckets.setdefault(place, dict.fromkeys(template.stock.buckets, 0))
            for bucket, qty in change.items():
                row[bucket] = row.get(bucket, 0) + qty
            found: dict[str, Decimal | None] = {}
            found.update(evaluate(template, row, skus[place[0]], {"code": codes[place[1]]}))
            quantities[place] = found
        return set(deltas)

    # Places with stock from before the period count as changed on its first day.
    changed = apply(opening)
    for index in range(period.days):
        changed |= apply(per_day.get(index, {}))
        yield DayState(index, buckets, quantities, changed)
        changed = set()


def sku_records(connection: Connection, template: Template, ids: set[int]) -> dict[int, Any]:
    """The SKU records (fields as quantities see them) of the SKUs with these ids."""
    sku = stock_tables(template).sku
    found: dict[int, Any] = {}
    wanted = sorted(ids)
    for chunk in range(0, len(wanted), 5000):
        rows = connection.execute(select(sku).where(sku.c.id.in_(wanted[chunk : chunk + 5000])))
        for row in rows:
            found[int(row.id)] = sku_record(template, row._mapping)
    return found


def figure(state: DayState, place: Place, name: str) -> Decimal | None:
    """A bucket or computed quantity of a place at the end of the state's day."""
    if name in state.quantities.get(place, {}):
        return state.quantities[place][name]
    return qty_decimal(state.buckets.get(place, {}).get(name, 0))
