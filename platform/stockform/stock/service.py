"""`Stock`: the stock engine for one database and one template, each call its own transaction.

Documents post through the lower-level functions inside their own transactions; this facade
serves the API, the CLI, tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine

from ..db import READ_ONLY
from ..spec.model import Template
from . import catalog, expired, journal, lock_records, locks, query, verify
from .ledger import Move, Place, post
from .locks import LockRequest, LockResult
from .query import StockPage, StockRow
from .units import QuantityError, to_money, to_qty

Number = Decimal | int | str


class Stock:
    """Receive, move, lock, release, consume and read stock of one template's database."""

    def __init__(self, engine: Engine, template: Template, version_id: int | None = None) -> None:
        self.engine = engine
        self.template = template
        self.version_id = version_id

    def _read(self) -> Connection:
        """A read-only connection: on SQLite it does not take the write lock."""
        return self.engine.connect().execution_options(**READ_ONLY)

    # -- catalogue
    def create_sku(self, **values: Any) -> int:
        with self.engine.begin() as connection:
            return catalog.create_sku(connection, self.template, values)

    def skus(self, **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """A page of SKUs (filters: code, barcode, q, page, per_page) and the total."""
        with self._read() as connection:
            return catalog.list_skus(connection, self.template, **filters)

    def sku(self, code: str) -> dict[str, Any]:
        with self._read() as connection:
            return catalog.get_sku(connection, self.template, code)

    def update_sku(self, code: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        with self.engine.begin() as connection:
            return catalog.update_sku(connection, self.template, code, changes)

    def warehouses(self) -> list[dict[str, Any]]:
        with self._read() as connection:
            return catalog.list_warehouses(connection)

    def ids(self, sku: str, warehouse: str) -> tuple[int, int, int]:
        """SKU id, warehouse id and the SKU's precision."""
        with self._read() as connection:
            return catalog.place_ids(connection, sku, warehouse)

    # -- movements
    def receive(
        self,
        sku: str,
        warehouse: str,
        qty: Number,
        *,
        unit_cost: Number | None = None,
        bucket: str = "available",
        batch: str | None = None,
        expiry: date | None = None,
        kind: str = "receipt",
        user: str | None = None,
        effective_at: datetime | None = None,
        history: bool = False,
        **origin: Any,
    ) -> str:
        """Goods from outside into a bucket (a receipt, a return, a count gain)."""
        sku_id, warehouse_id, precision = self.ids(sku, warehouse)
        with self.engine.begin() as connection:
            batch_id = (
                catalog.ensure_batch(
                    connection,
                    self.template,
                    sku_id,
                    batch,
                    expiry=expiry,
                    now=effective_at or datetime.now(UTC),
                )
                if batch
                else 0
            )
            move = Move(
                sku_id,
                to_qty(qty, precision),
                None,
                Place(warehouse_id, bucket),
                batch_id=batch_id,
                kind=kind,
                unit_cost=None if unit_cost is None else to_money(unit_cost),
                effective_at=effective_at,
                **origin,
            )
            return post(
                connection,
                self.template,
                [move],
                user=user,
                history=history,
                template_version=self.version_id,
            )

    def move(
        self,
        sku: str,
        qty: Number,
        source: tuple[str, str] | None,
        target: tuple[str, str] | None,
        *,
        kind: str = "adjustment",
        batch: str | None = None,
        user: str | None = None,
        **origin: Any,
    ) -> str:
        """Move between (warehouse, bucket) places; None is outside."""
        warehouse = (source or target or ("", ""))[0]
        sku_id, _, precision = self.ids(sku, warehouse)
        with self.engine.begin() as connection:
            batch_id = catalog.sku_batch(connection, sku_id, batch) if batch else 0
            places = [
                None if p is None else Place(catalog.warehouse_id(connection, p[0]), p[1])
                for p in (source, target)
            ]
            move = Move(
                sku_id,
                to_qty(qty, precision),
                places[0],
                places[1],
                batch_id=batch_id,
                kind=kind,
                **origin,
            )
            return post(
                connection, self.template, [move], user=user, template_version=self.version_id
            )

    # -- locks
    def lock(
        self,
        sku: str,
        warehouse: str,
        qty: Number,
        *,
        rule: str | None = None,
        reference: str | None = None,
        expires_in: timedelta | None = None,
        user: str | None = None,
        now: datetime | None = None,
        **owner: Any,
    ) -> LockResult:
        """Lock qty of a SKU at a warehouse, both named by code, in one transaction."""
        now = now or datetime.now(UTC)
        try:
            scaled = to_qty(qty)  # whether the SKU allows so fine a quantity, the lock checks
        except QuantityError:
            scaled = 0  # refused by the long way, once it knows the codes
        request = LockRequest(
            0, 0, scaled, rule=rule, reference=reference, expires_in=expires_in, **owner
        )
        # First as one statement that finds the row by the codes; it declines what the long
        # way must decide. On PostgreSQL that statement is a transaction of its own: one round
        # trip in all, no BEGIN, no COMMIT.
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                done = locks.lock_by_code(
                    connection, self.template, sku, warehouse, request, user=user, now=now
                )
            return done or self._lock_the_long_way(sku, warehouse, qty, request, user, now)
        with self.engine.begin() as connection:
            done = locks.lock_by_code(
                connection, self.template, sku, warehouse, request, user=user, now=now
            )
            return done or self._lock_the_long_way(
                sku, warehouse, qty, request, user, now, connection
            )

    def _lock_the_long_way(
        self,
        sku: str,
        warehouse: str,
        qty: Number,
        request: LockRequest,
        user: str | None,
        now: datetime,
        connection: Connection | None = None,
    ) -> LockResult:
        if connection is None:
            with self.engine.begin() as connection:
                return self._lock_the_long_way(sku, warehouse, qty, request, user, now, connection)
        sku_id, warehouse_id, precision = catalog.place_ids(connection, sku, warehouse)
        request = replace(
            request, sku_id=sku_id, warehouse_id=warehouse_id, qty=to_qty(qty, precision)
        )
        return locks.acquire(connection, self.template, [request], user=user, now=now)[0]

    def lock_many(
        self,
        requests: Sequence[LockRequest],
        *,
        user: str | None = None,
        now: datetime | None = None,
    ) -> list[LockResult]:
        """Lock every line or none."""
        with self.engine.begin() as connection:
            return locks.acquire(connection, self.template, requests, user=user, now=now)

    def release(self, lock_id: int, qty: Number | None = None, **kw: Any) -> LockResult:
        with self.engine.begin() as connection:
            return locks.release(connection, self.template, lock_id, self._qty(qty), **kw)

    def consume(self, lock_id: int, qty: Number | None = None, **kw: Any) -> LockResult:
        with self.engine.begin() as connection:
            return locks.consume(connection, self.template, lock_id, self._qty(qty), **kw)

    def keep(self, lock_id: int) -> LockResult:
        with self.engine.begin() as connection:
            return locks.keep(connection, lock_id)

    def lock_record(self, lock_id: int) -> lock_records.LockRecord:
        with self._read() as connection:
            return lock_records.lock_record(connection, lock_id)

    def find_locks(self, **filters: Any) -> tuple[list[lock_records.LockRecord], int]:
        """A page of locks (filters: reference, sku, warehouse, status, page, per_page)."""
        with self._read() as connection:
            return lock_records.find_locks(connection, **filters)

    def sweep(self, now: datetime | None = None, batch_size: int = 500) -> int:
        """Release every expired lock, a batch per transaction; returns how many."""
        now = now or datetime.now(UTC)
        total = 0
        while True:
            with self.engine.begin() as connection:
                done = locks.release_expired(connection, self.template, now, limit=batch_size)
            total += done
            if done < batch_size:
                return total

    def expire_batches(
        self, now: datetime | None = None, batch_size: int = 500, timezone: str | None = None
    ) -> int:
        """Move expired batches' promisable goods to the template's `expired_to` bucket, a
        batch of rows per transaction; returns how many rows moved (see `expired.py`)."""
        now = now or datetime.now(UTC)
        total = 0
        while True:
            with self.engine.begin() as connection:
                done = expired.expire_batches(
                    connection, self.template, now, limit=batch_size, timezone=timezone
                )
            total += done
            if done < batch_size:
                return total

    @staticmethod
    def _qty(qty: Number | None) -> int | None:
        return None if qty is None else to_qty(qty)

    # -- reading
    def query(self, **kwargs: Any) -> StockPage:
        with self._read() as connection:
            return query.query_stock(connection, self.template, **kwargs)

    def entries(self, after: int = 0, **filters: Any) -> list[journal.Entry]:
        """The ledger after a movement id, in posting order (filters: sku, warehouse, limit)."""
        # A transaction of its own: on PostgreSQL it waits for open postings to commit.
        with self._read() as connection:
            return journal.entries_after(connection, after, **filters)

    def row(self, sku: str, warehouse: str) -> StockRow:
        page = self.query(sku=sku, warehouse=warehouse)
        if not page.items:
            return StockRow(
                sku, warehouse, None, dict.fromkeys(self.template.stock.buckets, Decimal(0)), {}
            )
        return page.items[0]

    def drift(self) -> list[verify.Drift]:
        with self._read() as connection:
            return verify.find_drift(connection, self.template)

    def repair(self, user: str | None = None) -> list[verify.Drift]:
        with self.engine.begin() as connection:
            return verify.repair(connection, self.template, user)


def figures(row: StockRow) -> Mapping[str, Decimal | None]:
    """Buckets and quantities of a row in one map, for display and tests."""
    return {**row.buckets, **row.quantities}
