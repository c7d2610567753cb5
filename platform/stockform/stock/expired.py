"""Goods of expired batches leave the buckets stock is promised from, moved by the sweep.

Locks never take an expired batch (see `locks.picking`), but until its goods move, the stored
figures still count them: `sellable` would promise stock no lock can take. With
`sku.tracking.expired_to: <bucket>` in the template, `expire_batches` moves what an expired
batch still holds in each lock rule's source bucket (`available` without rules) into that
bucket as `expiry` movements: physical stock keeps them when the bucket is part of it, and
sellable stops counting them. Goods already locked stay locked; if such a lock is released, the
next sweep moves them. A batch is expired from the day after its expiry date, in the
template's timezone (the day a lock stops taking it).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, or_, select

from ..spec.model import Template
from .columns import bucket_column, stock_tables
from .ledger import Move, Place, post
from .tables import Batch, table_of

KIND = "expiry"


def source_buckets(template: Template) -> list[str]:
    """The buckets stock is promised from: every lock rule's source."""
    sources = {rule.from_bucket for rule in template.stock.lock_rules.values()} or {"available"}
    return sorted(b for b in sources if b in template.stock.buckets)


def expire_batches(
    connection: Connection,
    template: Template,
    now: datetime,
    *,
    limit: int = 500,
    timezone: str | None = None,
    user: str | None = None,
) -> int:
    """Move up to `limit` expired batch rows' promisable goods into the template's
    `expired_to` bucket, in the caller's transaction; returns how many rows moved."""
    target = template.sku.tracking.expired_to
    if target is None:
        return 0
    today = now.astimezone(ZoneInfo(timezone or template.info.timezone)).date()
    balance, batch = stock_tables(template).balance, table_of(Batch)
    buckets = source_buckets(template)
    columns = [balance.c[bucket_column(b)] for b in buckets]
    query = (
        select(balance.c.sku_id, balance.c.warehouse_id, balance.c.batch_id, *columns)
        .join(batch, and_(batch.c.id == balance.c.batch_id, batch.c.sku_id == balance.c.sku_id))
        .where(balance.c.batch_id != 0, batch.c.expiry < today, or_(*(c > 0 for c in columns)))
        .order_by(balance.c.sku_id, balance.c.warehouse_id, balance.c.batch_id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        # Several sweeps may run at once (one per host): each takes rows the others do not.
        query = query.with_for_update(of=balance, skip_locked=True)
    moves = [
        Move(
            row.sku_id,
            qty,
            Place(row.warehouse_id, bucket),
            Place(row.warehouse_id, target),
            batch_id=row.batch_id,
            kind=KIND,
        )
        for row in connection.execute(query)
        for bucket, qty in zip(buckets, row[3:], strict=True)
        if qty > 0
    ]
    if moves:
        post(connection, template, moves, user=user, now=now)
    return len({(m.sku_id, m.source.warehouse_id, m.batch_id) for m in moves if m.source})
