"""Read the ledger in posting order, after a cursor that never skips a late commit.

Movement ids come from a sequence when the row is inserted, not when its transaction commits.
On PostgreSQL a transaction that took id 7 may commit after one that took id 8; a reader that
saw 8 and moved its cursor past it would never see 7. So the reader first waits until no
transaction that writes movements is still open (a SHARE lock on the table conflicts with the
ROW EXCLUSIVE lock every insert holds until its commit): what it then reads is a prefix of the
ledger that can no longer grow in the middle. Later postings get higher ids. SQLite has one
writer at a time, so ids already commit in order there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, or_, select, text

from .tables import Batch, Movement, Sku, Warehouse, table_of
from .units import money_decimal, qty_decimal


@dataclass(frozen=True)
class Entry:
    """One movement as people read it: codes instead of ids, exact decimals."""

    id: int
    posting_id: str
    kind: str
    sku: str
    batch: str | None
    qty: Decimal
    from_warehouse: str | None
    from_bucket: str | None
    to_warehouse: str | None
    to_bucket: str | None
    unit_cost: Decimal | None
    document_form: str | None
    document_id: int | None
    line_id: int | None
    reference: str | None
    lock_id: int | None
    reverses_id: int | None
    user: str | None
    recorded_at: datetime
    effective_at: datetime
    note: str | None


def entries_after(
    connection: Connection,
    after: int = 0,
    *,
    sku: str | None = None,
    warehouse: str | None = None,
    limit: int = 100,
) -> list[Entry]:
    """Up to limit movements with an id above after, oldest first.

    Call it in a transaction of its own (it may wait for open postings on PostgreSQL).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE sf_movement IN SHARE MODE"))
    movement, skus, batches = table_of(Movement), table_of(Sku), table_of(Batch)
    source = table_of(Warehouse).alias("source")
    target = table_of(Warehouse).alias("target")
    query = (
        select(
            movement,
            skus.c.code.label("sku_code"),
            batches.c.code.label("batch_code"),
            source.c.code.label("source_code"),
            target.c.code.label("target_code"),
        )
        .join(skus, skus.c.id == movement.c.sku_id)
        .outerjoin(batches, batches.c.id == movement.c.batch_id)
        .outerjoin(source, source.c.id == movement.c.from_warehouse_id)
        .outerjoin(target, target.c.id == movement.c.to_warehouse_id)
        .where(movement.c.id > after)
        .order_by(movement.c.id)
        .limit(limit)
    )
    if sku is not None:
        query = query.where(skus.c.code == sku)
    if warehouse is not None:
        query = query.where(or_(source.c.code == warehouse, target.c.code == warehouse))
    return [_entry(row._mapping) for row in connection.execute(query)]


def _entry(row: Mapping[Any, Any]) -> Entry:
    return Entry(
        id=row["id"],
        posting_id=row["posting_id"],
        kind=row["kind"],
        sku=row["sku_code"],
        batch=row["batch_code"],
        qty=qty_decimal(row["qty"]),
        from_warehouse=row["source_code"],
        from_bucket=row["from_bucket"],
        to_warehouse=row["target_code"],
        to_bucket=row["to_bucket"],
        unit_cost=None if row["unit_cost"] is None else money_decimal(row["unit_cost"]),
        document_form=row["document_form"],
        document_id=row["document_id"],
        line_id=row["line_id"],
        reference=row["reference"],
        lock_id=row["lock_id"],
        reverses_id=row["reverses_id"],
        user=row["user"],
        recorded_at=row["recorded_at"],
        effective_at=row["effective_at"],
        note=row["note"],
    )
