"""Slow movers: SKUs with stock at a warehouse that has not gone out for N days.

Going out means a sale (a movement of a sale kind from the warehouse to outside) or a transfer
to another warehouse; counts, losses and moves between buckets do not count. A SKU at a
warehouse is a slow mover on day D when it has stock at the end of D and nothing went out
in the N days up to and including D (never, or last on D - N or before).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection, and_, func, or_, select

from ..spec.model import Template
from ..stock.tables import Movement, table_of
from .flows import SALE_KINDS, Flows, scanned, value_flows
from .numbers import money, quantity
from .period import Period
from .scope import EVERYTHING, Scope, check, sku_condition, sku_info, warehouse_id, warehouse_ids

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class SlowMover:
    sku: str
    name: str
    category: str | None
    warehouse: str
    qty: Decimal
    value: Decimal
    last_out: date | None
    days_without_out: int | None  # None: nothing ever went out


@dataclass(frozen=True)
class SlowMoverReport:
    day: date
    days: int
    rows: list[SlowMover]
    total_value: Decimal


def slow_movers(
    connection: Connection,
    template: Template,
    day: Period,
    days: int = DEFAULT_DAYS,
    scope: Scope = EVERYTHING,
    sale_kinds: Iterable[str] = SALE_KINDS,
    flows: Flows | None = None,
) -> SlowMoverReport:
    """Stock at the end of `day` (a one-day period) that has not gone out for `days` days;
    never moved first, then the longest still, then the most valuable. `flows`: the scope's
    value flows over a period ending with `day`, when already read."""
    check(template, scope)
    m = table_of(Movement)
    goes_out = or_(
        and_(m.c.to_warehouse_id.is_(None), m.c.kind.in_(list(sale_kinds))),
        and_(m.c.to_warehouse_id.isnot(None), m.c.to_warehouse_id != m.c.from_warehouse_id),
    )
    conditions = [
        m.c.effective_at < day.end,
        m.c.from_warehouse_id.isnot(None),
        goes_out,
        *sku_condition(template, scope, m.c.sku_id),
    ]
    only = warehouse_id(connection, scope)
    if only is not None:
        conditions.append(m.c.from_warehouse_id == only)
    sku_id = scanned(m.c.sku_id)
    query = (
        select(sku_id, m.c.from_warehouse_id, func.max(m.c.effective_at))
        .where(*conditions)
        .group_by(sku_id, m.c.from_warehouse_id)
    )
    last_out = {(int(r[0]), int(r[1])): r[2] for r in connection.execute(query)}
    places = (flows or value_flows(connection, template, day, scope, sale_kinds)).places
    held = {place: flow for place, flow in places.items() if flow.closing_qty > 0}
    info = sku_info(connection, template, (sku for sku, _ in held))
    codes = warehouse_ids(connection)
    cutoff = day.last - timedelta(days=days)
    rows = []
    for (sku_id, wh), flow in held.items():
        moment = last_out.get((sku_id, wh))
        out_day = moment.astimezone(day.zone).date() if moment is not None else None
        if out_day is not None and out_day > cutoff:
            continue
        sku = info[sku_id]
        rows.append(
            SlowMover(
                sku.code,
                sku.name,
                sku.category,
                codes[wh],
                quantity(flow.closing_qty),
                money(flow.closing_value),
                out_day,
                None if out_day is None else (day.last - out_day).days,
            )
        )
    rows.sort(
        key=lambda r: (
            r.days_without_out is not None,
            -(r.days_without_out or 0),
            -r.value,
            r.sku,
            r.warehouse,
        )
    )
    return SlowMoverReport(day.last, days, rows, sum((r.value for r in rows), Decimal(0)))
