"""Facts about rows of stock that live in the ledger and the batches, as aggregated subqueries
keyed by (sku_id, warehouse_id), and the same facts for one row in plain Python (the Python
forms of the rule functions, and a check on the SQL)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Connection,
    FromClause,
    and_,
    case,
    cast,
    func,
    or_,
    select,
)

from ..spec.expressions import exact
from ..spec.model import Template
from ..stock import activity
from ..stock.columns import bucket_column, stock_tables
from ..stock.rows import RowSource
from ..stock.tables import Batch, Movement, table_of
from ..stock.units import QTY_SCALE

DAY = timedelta(days=1)


def window_column(days: int) -> str:
    return f"out_{days}"


def outbound(source: RowSource, windows: Iterable[int], name: str) -> FromClause:
    """Per SKU and warehouse: the quantity that left it to outside in each window of days
    before now, in one pass over the outbound movements of the longest window.

    Written so the partial index ix_sf_movement_out (outbound movements only, by warehouse
    and SKU, with their time and quantity) serves it alone: grouped in the index's order,
    no table row read; rows with nothing in the longest window are left out of the groups.
    """
    m, now = table_of(Movement), source.now
    days = sorted(set(windows))
    # PostgreSQL sums BIGINTs as NUMERIC: cast back, so dividing stays integer division.
    sums = [
        cast(
            func.sum(case((m.c.effective_at > now - window * DAY, m.c.qty), else_=0)),
            BigInteger,
        ).label(window_column(window))
        for window in days
    ]
    query = (
        select(m.c.from_warehouse_id.label("warehouse_id"), m.c.sku_id, *sums)
        .where(
            m.c.to_warehouse_id.is_(None),
            m.c.from_warehouse_id.is_not(None),
            m.c.effective_at > now - days[-1] * DAY,
            m.c.effective_at <= now,
        )
        .group_by(m.c.from_warehouse_id, m.c.sku_id)
    )
    # The partial index is ordered by warehouse, then SKU: a sweep's warehouse and range of
    # SKUs, or a posting's rows, are a range of it.
    return query.where(*source.narrowing(m.c.sku_id, m.c.from_warehouse_id)).subquery(name)


def kept(source: RowSource) -> FromClause:
    """Per SKU and warehouse: the kept last-out and first-in times of its batch-0 row (see
    stock.activity), for rows of another level."""
    balance = stock_tables(source.template).balance
    query = select(
        balance.c.sku_id,
        balance.c.warehouse_id,
        balance.c[activity.LAST_OUT],
        balance.c[activity.FIRST_IN],
    ).where(balance.c.batch_id == 0)
    narrowing = source.narrowing(balance.c.sku_id, balance.c.warehouse_id)
    return query.where(*narrowing).subquery("rules_kept")


def earliest_expiry(source: RowSource) -> FromClause:
    """Per SKU and warehouse: the earliest expiry among batches that hold stock there."""
    template = source.template
    balance = stock_tables(template).balance
    batch = table_of(Batch)
    holding = or_(*[balance.c[bucket_column(b)] != 0 for b in template.stock.buckets])
    query = (
        select(
            balance.c.sku_id,
            balance.c.warehouse_id,
            func.min(batch.c.expiry).label("expiry"),
        )
        .select_from(balance.join(batch, batch.c.id == balance.c.batch_id))
        .where(balance.c.batch_id != 0, holding)
        .group_by(balance.c.sku_id, balance.c.warehouse_id)
    )
    narrowing = source.narrowing(balance.c.sku_id, balance.c.warehouse_id)
    return query.where(*narrowing).subquery("rules_earliest_expiry")


@dataclass(frozen=True)
class Facts:
    """The rule functions' facts for one row, read with plain queries (RowFacts)."""

    connection: Connection
    template: Template
    sku_id: int
    warehouse_id: int
    batch_id: int
    now: datetime
    today: date

    def _movements(self) -> list[Any]:
        m = table_of(Movement)
        touching = or_(
            m.c.from_warehouse_id == self.warehouse_id, m.c.to_warehouse_id == self.warehouse_id
        )
        return list(
            self.connection.execute(
                select(m.c.from_warehouse_id, m.c.to_warehouse_id, m.c.qty, m.c.effective_at)
                .where(m.c.sku_id == self.sku_id, touching)
                .order_by(m.c.id)
            )
        )

    def days_since_last_out(self) -> Decimal | None:
        rows = self._movements()
        out = [
            r.effective_at
            for r in rows
            if r.to_warehouse_id is None and r.from_warehouse_id == self.warehouse_id
        ]
        arrivals = [
            r.effective_at
            for r in rows
            if r.to_warehouse_id == self.warehouse_id and r.from_warehouse_id != self.warehouse_id
        ]
        since = max(out) if out else min(arrivals, default=None)
        if since is None:
            return None
        elapsed = int(self.now.timestamp()) - int(since.timestamp())
        # Whole days, truncated toward zero as the database divides.
        days = abs(elapsed) // 86400
        return Decimal(days if elapsed >= 0 else -days)

    def sales_velocity(self, days: int) -> Decimal | None:
        start = self.now - days * DAY
        sold = sum(
            r.qty
            for r in self._movements()
            if r.to_warehouse_id is None
            and r.from_warehouse_id == self.warehouse_id
            and start < r.effective_at <= self.now
        )
        return exact.divide(Decimal(sold) / QTY_SCALE, Decimal(days))

    def days_to_expiry(self) -> Decimal | None:
        batch = table_of(Batch)
        if self.batch_id:
            expiry = self.connection.execute(
                select(batch.c.expiry).where(batch.c.id == self.batch_id)
            ).scalar()
        else:
            balance = stock_tables(self.template).balance
            holding = or_(*[balance.c[bucket_column(b)] != 0 for b in self.template.stock.buckets])
            expiry = self.connection.execute(
                select(func.min(batch.c.expiry))
                .select_from(balance.join(batch, batch.c.id == balance.c.batch_id))
                .where(
                    and_(
                        balance.c.sku_id == self.sku_id,
                        balance.c.warehouse_id == self.warehouse_id,
                        balance.c.batch_id != 0,
                        holding,
                    )
                )
            ).scalar()
        return None if expiry is None else Decimal((expiry - self.today).days)


def row_facts(
    connection: Connection,
    template: Template,
    key: tuple[int, int, int],
    now: datetime,
    timezone: str | None = None,
) -> Facts:
    """The facts of the row (sku_id, warehouse_id, batch_id) at now."""
    today = now.astimezone(ZoneInfo(timezone or template.info.timezone)).date()
    return Facts(connection, template, *key, now=now, today=today)
