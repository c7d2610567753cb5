"""Stock ageing by receipt date: how long the stock on hand at the end of a day has been there.

Stock on hand is every bucket of the warehouse, as for the stock value. Its age:

- SKUs tracked by batch: each batch's quantity at the warehouse is as old as the batch
  (`received_at`, its first receipt from outside).
- Other SKUs, first in, first out: what is on hand is the most recent goods that came into
  the warehouse (from outside or from another warehouse: a transfer counts as a receipt at the
  warehouse it enters), each as old as its movement; the newest receipts are counted first
  until they cover the quantity on hand.

Ages are whole days between the local receipt day and the report's day, in the buckets
0–30, 31–60, 61–90 and over 90 days. The value of each age bucket is its share of the
quantity times the warehouse's stock value of the SKU (so the buckets add up to the value).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from ..spec.model import Template
from ..stock.costing import div_round
from ..stock.tables import Batch, Movement, table_of
from .flows import Flows, value_flows
from .numbers import money, quantity
from .period import Period
from .scope import EVERYTHING, Group, Scope, check, sku_condition, warehouse_id
from .turnover import grouping

AGES = ("0-30", "31-60", "61-90", "over_90")
LIMITS = (30, 60, 90)  # the last day of each bucket but the last


def age_bucket(days: int) -> str:
    for name, limit in zip(AGES, LIMITS, strict=False):
        if days <= limit:
            return name
    return AGES[-1]


@dataclass
class Aged:
    """Quantity (thousandths) and value (10^-7) per age bucket of one place or group."""

    qty: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AGES, 0))
    value: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AGES, 0))

    def add(self, other: Aged) -> None:
        for age in AGES:
            self.qty[age] += other.qty[age]
            self.value[age] += other.value[age]


@dataclass(frozen=True)
class AgeingRow:
    key: str
    qty: Decimal
    value: Decimal
    ages: dict[str, tuple[Decimal, Decimal]]  # age bucket -> (qty, value)


@dataclass(frozen=True)
class AgeingReport:
    day: date
    group: Group
    rows: list[AgeingRow]
    total: AgeingRow


def _on_hand(
    connection: Connection, template: Template, day: Period, scope: Scope
) -> tuple[dict[tuple[int, int, int], int], list[tuple[int, int, int, datetime, int]]]:
    """Quantity on hand per (sku, warehouse, batch) at the end of the day, and for stock without
    batches the receipts that make it up: (sku, warehouse, 0, moment, qty)."""
    m = table_of(Movement)
    only = warehouse_id(connection, scope)
    crossing = or_(
        m.c.from_warehouse_id.is_(None),
        m.c.to_warehouse_id.is_(None),
        m.c.from_warehouse_id != m.c.to_warehouse_id,
    )
    common = [m.c.effective_at < day.end, crossing, *sku_condition(template, scope, m.c.sku_id)]

    def side(column: Any, sign: int) -> Select[Any]:
        conditions = [*common, column.isnot(None)]
        if only is not None:
            conditions.append(column == only)
        return select(
            m.c.sku_id,
            column.label("warehouse_id"),
            m.c.batch_id,
            (m.c.qty * literal(sign)).label("qty"),
        ).where(*conditions)

    sides = union_all(side(m.c.to_warehouse_id, 1), side(m.c.from_warehouse_id, -1)).subquery()
    held = (
        select(
            sides.c.sku_id,
            sides.c.warehouse_id,
            sides.c.batch_id,
            func.sum(sides.c.qty).label("qty"),
        )
        .group_by(sides.c.sku_id, sides.c.warehouse_id, sides.c.batch_id)
        .having(func.sum(sides.c.qty) > 0)
        .cte("held")
    )
    on_hand = {
        (int(r[0]), int(r[1]), int(r[2])): int(r[3]) for r in connection.execute(select(held))
    }
    inflow_conditions = [*common, m.c.to_warehouse_id.isnot(None), m.c.batch_id == 0]
    if only is not None:
        inflow_conditions.append(m.c.to_warehouse_id == only)
    newer = func.sum(m.c.qty).over(
        # sku_id + 0: not walked through the SKU index in random table order (flows.scanned).
        partition_by=(m.c.sku_id + literal_column("0"), m.c.to_warehouse_id),
        order_by=(m.c.effective_at.desc(), m.c.id.desc()),
    )
    inflows = (
        select(m.c.sku_id, m.c.to_warehouse_id, m.c.effective_at, m.c.qty, newer.label("newer"))
        .where(*inflow_conditions)
        .subquery()
    )
    needed = (
        select(
            inflows.c.sku_id,
            inflows.c.to_warehouse_id,
            inflows.c.effective_at,
            inflows.c.qty,
            inflows.c.newer,
            held.c.qty,
        )
        .join(
            held,
            and_(
                held.c.sku_id == inflows.c.sku_id,
                held.c.warehouse_id == inflows.c.to_warehouse_id,
                held.c.batch_id == 0,
            ),
        )
        .where(inflows.c.newer - inflows.c.qty < held.c.qty)
    )
    receipts = []
    for sku_id, wh, moment, qty, newer_qty, held_qty in connection.execute(needed):
        # The oldest receipt still needed counts only the part not covered by newer ones.
        part = min(int(qty), int(held_qty) - (int(newer_qty) - int(qty)))
        receipts.append((int(sku_id), int(wh), 0, moment, part))
    return on_hand, receipts


def ageing(
    connection: Connection,
    template: Template,
    day: Period,
    scope: Scope = EVERYTHING,
    group: Group = "sku",
    flows: Flows | None = None,
) -> AgeingReport:
    """Quantity and value on hand at the end of `day` (a one-day period) by age, per group.

    `flows`: value flows of the scope over any period ending with `day`, already read (the
    dashboard's), so the ledger is not summed again."""
    check(template, scope, group)
    on_hand, receipts = _on_hand(connection, template, day, scope)
    zone, last = day.zone, day.last
    per_place: dict[tuple[int, int], Aged] = defaultdict(Aged)
    covered: dict[tuple[int, int], int] = defaultdict(int)
    for sku_id, wh, _batch, moment, part in receipts:
        age = (last - moment.astimezone(zone).date()).days
        per_place[(sku_id, wh)].qty[age_bucket(age)] += part
        covered[(sku_id, wh)] += part
    batch = table_of(Batch)
    batch_ids = sorted({b for (_s, _w, b) in on_hand if b})
    received = {}
    for chunk in range(0, len(batch_ids), 5000):
        found = connection.execute(
            select(batch.c.id, batch.c.received_at).where(
                batch.c.id.in_(batch_ids[chunk : chunk + 5000])
            )
        )
        received.update({int(r[0]): r[1] for r in found})
    for (sku_id, wh, batch_id), qty in on_hand.items():
        if batch_id:
            age = (last - received[batch_id].astimezone(zone).date()).days
            per_place[(sku_id, wh)].qty[age_bucket(age)] += qty
        elif qty > covered[(sku_id, wh)]:
            # More on hand than ever came in (a bucket allowed below zero): age unknown, oldest.
            per_place[(sku_id, wh)].qty[AGES[-1]] += qty - covered[(sku_id, wh)]
    values = (flows or value_flows(connection, template, day, scope)).places
    for place, aged in per_place.items():
        total_qty = sum(aged.qty.values())
        value = values[place].closing_value if place in values else 0
        for bucket in AGES:
            share = aged.qty[bucket]
            aged.value[bucket] = div_round(value * share, total_qty) if total_qty else 0
    key_of = grouping(connection, template, per_place, group)
    grouped: dict[str, Aged] = {}
    total = Aged()
    for place, aged in per_place.items():
        grouped.setdefault(key_of(place), Aged()).add(aged)
        total.add(aged)
    rows = [_row(key, aged) for key, aged in sorted(grouped.items()) if any(aged.qty.values())]
    return AgeingReport(last, group, rows, _row("", total))


def _row(key: str, aged: Aged) -> AgeingRow:
    return AgeingRow(
        key,
        quantity(sum(aged.qty.values())),
        money(sum(aged.value.values())),
        {age: (quantity(aged.qty[age]), money(aged.value[age])) for age in AGES},
    )
