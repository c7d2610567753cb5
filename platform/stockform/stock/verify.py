"""Replay the ledger and compare every balance: `stockform verify` must report zero drift."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select, update

from ..spec.model import Template
from . import activity
from .columns import bucket_column, stock_tables
from .ledger import _insert_balance
from .materialize import assignments, recompute
from .tables import Event, Movement, table_of

Key = tuple[int, int, int]
KEPT_SUFFIX = " (kept)"


@dataclass(frozen=True)
class Drift:
    """A balance that differs from what its movements add up to; a kept time (activity.py)
    may be None, for no such movement."""

    sku_id: int
    warehouse_id: int
    batch_id: int
    bucket: str
    recorded: int | None
    replayed: int | None

    def __str__(self) -> str:
        if self.bucket.endswith(KEPT_SUFFIX):
            return (
                f"sku {self.sku_id} warehouse {self.warehouse_id} batch {self.batch_id} "
                f"{self.bucket}: stored {_or_none(self.recorded)}, the ledger gives "
                f"{_or_none(self.replayed)} (seconds since 1970)"
            )
        if self.bucket.endswith("(computed)"):
            return (
                f"sku {self.sku_id} warehouse {self.warehouse_id} batch {self.batch_id} "
                f"{self.bucket}: stored {self.recorded}, its formula gives {self.replayed}"
            )
        return (
            f"sku {self.sku_id} warehouse {self.warehouse_id} batch {self.batch_id} "
            f"{self.bucket}: balance {self.recorded}, ledger {self.replayed} "
            "(thousandths)"
        )


def _or_none(value: int | None) -> str:
    return "none" if value is None else str(value)


def replay(connection: Connection) -> dict[Key, dict[str, int]]:
    """Balances as the ledger alone says they are; batch 0 holds each SKU's warehouse total."""
    table = table_of(Movement)
    result: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for warehouse, bucket, sign in (
        (table.c.to_warehouse_id, table.c.to_bucket, 1),
        (table.c.from_warehouse_id, table.c.from_bucket, -1),
    ):
        query = (
            select(table.c.sku_id, warehouse, table.c.batch_id, bucket, func.sum(table.c.qty))
            .where(bucket.is_not(None))
            .group_by(table.c.sku_id, warehouse, table.c.batch_id, bucket)
        )
        for sku_id, warehouse_id, batch_id, name, total in connection.execute(query):
            for batch in {0, batch_id}:
                result[(sku_id, warehouse_id, batch)][name] += sign * int(total)
    return result


def find_drift(connection: Connection, template: Template) -> list[Drift]:
    """Every balance cell (of the template's buckets) that its movements do not explain."""
    expected = replay(connection)
    balance = stock_tables(template).balance
    buckets = list(template.stock.buckets)
    drifts = []
    seen: set[Key] = set()
    for row in connection.execute(select(balance)):
        values = row._mapping
        key = (values["sku_id"], values["warehouse_id"], values["batch_id"])
        seen.add(key)
        for bucket in buckets:
            want = expected.get(key, {}).get(bucket, 0)
            have = values[bucket_column(bucket)]
            if want != have:
                drifts.append(Drift(*key, bucket, have, want))
    for key, sums in expected.items():
        if key not in seen:
            drifts.extend(Drift(*key, b, 0, v) for b, v in sums.items() if v and b in buckets)
    drifts.extend(_stale_quantities(connection, template))
    drifts.extend(_stale_kept(connection, template))
    return sorted(drifts, key=lambda d: (d.sku_id, d.warehouse_id, d.batch_id, d.bucket))


def _stale_quantities(connection: Connection, template: Template) -> list[Drift]:
    """Quantity columns that disagree with their formula over the row's buckets."""
    balance = stock_tables(template).balance
    found: list[Drift] = []
    for column, expr in assignments(template).items():
        rows = connection.execute(
            select(
                balance.c.sku_id,
                balance.c.warehouse_id,
                balance.c.batch_id,
                balance.c[column],
                expr,
            ).where(balance.c[column].is_distinct_from(expr))
        )
        found.extend(Drift(r[0], r[1], r[2], f"{column[2:]} (computed)", r[3], r[4]) for r in rows)
    return found


def _stale_kept(connection: Connection, template: Template) -> list[Drift]:
    """Kept last-out and first-in times of batch-0 rows that the ledger does not give; a
    SKU at a warehouse with such movements but no row shows stored as none."""
    expected = activity.replayed(connection)
    balance = stock_tables(template).balance
    columns = [balance.c[name] for name in activity.KEPT]
    rows = connection.execute(
        select(balance.c.sku_id, balance.c.warehouse_id, *columns).where(balance.c.batch_id == 0)
    )
    stored: dict[tuple[int, int], tuple[int | None, int | None]] = {
        (r[0], r[1]): (r[2], r[3]) for r in rows
    }
    found: list[Drift] = []
    for sku_id, warehouse_id in stored.keys() | expected.keys():
        key = (sku_id, warehouse_id)
        have, want = stored.get(key, (None, None)), expected.get(key, (None, None))
        found.extend(
            Drift(sku_id, warehouse_id, 0, name + KEPT_SUFFIX, h, w)
            for name, h, w in zip(activity.KEPT, have, want, strict=True)
            if h != w
        )
    return found


def repair(connection: Connection, template: Template, user: str | None = None) -> list[Drift]:
    """Rewrite drifted balances from the ledger, and record that it was done."""
    drifts = find_drift(connection, template)
    balance = stock_tables(template).balance
    for drift in drifts:
        key = (drift.sku_id, drift.warehouse_id, drift.batch_id)
        if drift.bucket.endswith(KEPT_SUFFIX):
            _insert_balance(connection, template, key)  # rebuilt below, for every row at once
            continue
        if drift.bucket.endswith("(computed)"):
            continue  # recomputed below, after the buckets are right
        _insert_balance(connection, template, key)
        connection.execute(
            update(balance)
            .where(
                balance.c.sku_id == drift.sku_id,
                balance.c.warehouse_id == drift.warehouse_id,
                balance.c.batch_id == drift.batch_id,
            )
            .values({bucket_column(drift.bucket): drift.replayed})
        )
    recompute(connection, template)
    if any(d.bucket.endswith(KEPT_SUFFIX) for d in drifts):
        activity.rebuild(connection, template)
    if drifts:
        connection.execute(
            table_of(Event).insert(),
            {
                "kind": "balances_repaired",
                "at": datetime.now(UTC),
                "user": user,
                "detail": {"rows": [str(d) for d in drifts]},
            },
        )
    return drifts
