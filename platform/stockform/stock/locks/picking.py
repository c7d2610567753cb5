"""Which batches a lock takes: the balance rows of a place, what of them may still be
promised (never an expired batch), and the template's picking rule (FIFO or FEFO)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, select

from ...spec.model import LockRule, Template
from ..columns import bucket_column, stock_tables
from ..tables import Batch, table_of


def locked_rows(
    connection: Connection, template: Template, sku_id: int, warehouse_id: int
) -> list[dict[str, Any]]:
    """The balance rows of a SKU at a warehouse, total (batch 0) first; locked for update on
    PostgreSQL, so that the check and the picking see what the commit will change."""
    balance = stock_tables(template).balance
    query = (
        select(balance)
        .where(balance.c.sku_id == sku_id, balance.c.warehouse_id == warehouse_id)
        .order_by(balance.c.batch_id)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return [dict(r._mapping) for r in connection.execute(query)]


def without_expired(
    connection: Connection,
    rule: LockRule,
    rows: list[dict[str, Any]],
    sums: dict[str, int],
    now: datetime,
) -> dict[str, int]:
    """sums without the expired batches' goods in the rule's source bucket: `pick` never
    takes them, so the check (and a refusal's figures) must not count them as promisable."""
    column = bucket_column(rule.from_bucket)
    held = {r["batch_id"]: r[column] for r in rows if r["batch_id"] and r[column] > 0}
    if not held:
        return sums
    table = table_of(Batch)
    expired = connection.execute(
        select(table.c.id).where(table.c.id.in_(list(held)), table.c.expiry < now.date())
    ).scalars()
    gone = sum(held[batch_id] for batch_id in expired)
    return {**sums, rule.from_bucket: sums[rule.from_bucket] - gone} if gone else sums


def pick(
    connection: Connection,
    template: Template,
    rule: LockRule,
    rows: list[dict[str, Any]],
    qty: int,
    batch_id: int | None,
    now: datetime,
) -> list[tuple[int, int]]:
    """(batch, qty) to take, following the template's picking rule; expired batches never."""
    column = bucket_column(rule.from_bucket)
    batch_rows = [r for r in rows if r["batch_id"]]
    candidates = [r for r in batch_rows if r[column] > 0]
    # Row 0 is the total; what no batch row accounts for was received without a batch.
    unbatched = sum(r[column] for r in rows if not r["batch_id"]) - sum(
        r[column] for r in batch_rows
    )
    if unbatched > 0:
        candidates.append({"batch_id": 0, column: unbatched})
    if batch_id is not None:
        candidates = [r for r in candidates if r["batch_id"] == batch_id]
    batch_ids = [r["batch_id"] for r in candidates if r["batch_id"]]
    info: dict[int, tuple[date | None, datetime]] = {}
    if batch_ids:
        table = table_of(Batch)
        info = {
            b.id: (b.expiry, b.received_at)
            for b in connection.execute(
                select(table.c.id, table.c.expiry, table.c.received_at).where(
                    table.c.id.in_(batch_ids)
                )
            )
        }
        today = now.date()
        candidates = [
            r
            for r in candidates
            if not r["batch_id"] or (info[r["batch_id"]][0] or date.max) >= today
        ]

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        expiry, received = info.get(row["batch_id"], (None, None))
        if template.sku.tracking.picking == "FEFO":
            return (
                expiry or date.max,
                received or datetime.min.replace(tzinfo=UTC),
                row["batch_id"],
            )
        return (received or datetime.min.replace(tzinfo=UTC), row["batch_id"])

    picks, left = [], qty
    for row in sorted(candidates, key=order):
        if left == 0:
            break
        take = min(left, row[column])
        picks.append((row["batch_id"], take))
        left -= take
    return picks
