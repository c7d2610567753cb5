"""Rows of stock as SQL: one row per SKU and warehouse (or per batch, or per SKU across
warehouses), and every name a stock expression may use on such a row.

A `RowSource` is the resolver `compile_sql` receives. Besides buckets, quantities, `sku.*`,
`warehouse.*` and `batch.*` it provides the moment of evaluation (`("$today",)`, `("$now",)`,
so `today()` and `days_between(today(), batch.expiry)` run in SQL) and the row's keys
(`("$row", "sku_id")`). Functions that need more of a row — its movements, say — `join` one
aggregated subquery to every row, once, instead of a subquery per row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, FromClause, and_, func, literal, select

from ..spec.expressions import SqlTerm
from ..spec.model import Template
from .columns import bucket_column, field_column, field_storage, stock_tables
from .materialize import quantity_column, scales
from .tables import Batch, UtcDateTime, Warehouse, table_of
from .units import QTY_SCALE

Level = Literal["warehouse", "batch", "total"]
KEYS = ("sku_id", "warehouse_id", "batch_id")
# A condition on a column of ids (sku_id, warehouse_id): `lambda c: c.in_([3, 4])`.
SkuFilter = Callable[[ColumnElement[Any]], ColumnElement[bool]]
_SCALES: dict[str, dict[str, int]] = {}


class RowSource:
    """Stock rows of one level, and a resolver for the names expressions use on them.

    `sku_filter` and `warehouse_filter` narrow the rows to some SKUs and warehouses (each a
    condition on a column of ids); functions that join aggregates narrow their own queries
    the same way (`narrowing`), so a handful of rows never aggregates the whole ledger.
    """

    def __init__(
        self,
        template: Template,
        level: Level = "warehouse",
        *,
        now: datetime | None = None,
        timezone: str | None = None,
        sku_filter: SkuFilter | None = None,
        warehouse_filter: SkuFilter | None = None,
    ) -> None:
        self.template = template
        self.level = level
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.today = self.now.astimezone(ZoneInfo(timezone or template.info.timezone)).date()
        self.sku_filter = sku_filter
        self.warehouse_filter = warehouse_filter
        tables = stock_tables(template)
        self.sku = tables.sku
        self.warehouse = table_of(Warehouse)
        self.batch = table_of(Batch)
        balance = tables.balance
        buckets = list(template.stock.buckets)
        if level == "total":
            totals = select(
                balance.c.sku_id,
                *[func.sum(balance.c[bucket_column(b)]).label(bucket_column(b)) for b in buckets],
                # Across warehouses each quantity is the sum of the warehouses' own figures.
                *[
                    func.sum(balance.c[quantity_column(q)]).label(quantity_column(q))
                    for q in template.stock.quantities
                ],
            ).where(balance.c.batch_id == 0)
            if sku_filter is not None:
                totals = totals.where(sku_filter(balance.c.sku_id))
            self.base: FromClause = totals.group_by(balance.c.sku_id).subquery("totals")
        else:
            self.base = balance
        self.buckets = {b: SqlTerm(self.base.c[bucket_column(b)], QTY_SCALE) for b in buckets}
        # Quantities are kept on the balance row (see materialize.py): reading the column lets
        # an index serve `order` and keeps lists fast at 100k SKUs.
        self.quantities = {
            n: SqlTerm(self.base.c[quantity_column(n)], scale)
            for n, scale in _quantity_scales(template).items()
        }
        self._joins: dict[str, tuple[FromClause, ColumnElement[bool]]] = {}
        # What a caller knows ahead for the functions it will compile (say, every window a
        # rule asks sales of), so they can build one aggregate instead of one per call.
        self.extras: dict[str, Any] = {}

    # -- the resolver
    def __call__(self, path: tuple[str, ...]) -> SqlTerm:
        """The SQL of a name path on this row; LookupError when there is none."""
        head = path[0]
        if len(path) == 1 and head in self.buckets:
            return self.buckets[head]
        if len(path) == 1 and head in self.quantities:
            return self.quantities[head]
        if head == "sku" and len(path) <= 2:
            return self._sku_field(path[1] if len(path) == 2 else "code")
        if head == "warehouse" and self.level != "total" and len(path) <= 2:
            name = path[1] if len(path) == 2 else "code"
            if name in ("code", "name"):
                return SqlTerm(self.warehouse.c[name])
        if head == "batch" and self.level == "batch" and len(path) <= 2:
            name = path[1] if len(path) == 2 else "code"
            if name in ("code", "expiry"):
                return SqlTerm(self.batch.c[name])
        if path == ("$today",):
            return SqlTerm(literal(self.today, type_=Date()))
        if path == ("$now",):
            return SqlTerm(literal(self.now, type_=UtcDateTime()))
        if head == "$row" and len(path) == 2 and path[1] in self.keys():
            return SqlTerm(self.keys()[path[1]])
        raise LookupError(".".join(path))

    def _sku_field(self, name: str) -> SqlTerm:
        if name in self.template.sku.fields:
            storage = field_storage(self.template.sku.fields[name].type)
            return SqlTerm(self.sku.c[field_column(name)], storage.scale)
        if name in ("code", "name", "unit", "barcode", "precision"):
            return SqlTerm(self.sku.c[name])
        raise LookupError(f"sku.{name}")

    # -- the rows
    def keys(self) -> dict[str, ColumnElement[Any]]:
        """The row's key columns: sku_id, and warehouse_id and batch_id below the total."""
        found: dict[str, ColumnElement[Any]] = {"sku_id": self.base.c.sku_id}
        if self.level != "total":
            found["warehouse_id"] = self.base.c.warehouse_id
            found["batch_id"] = self.base.c.batch_id
        return found

    def join(
        self,
        name: str,
        build: Callable[[], FromClause],
        on: tuple[str, ...] = ("sku_id", "warehouse_id"),
    ) -> FromClause:
        """An aggregate joined (left outer) to every row on the named keys, built once."""
        if name not in self._joins:
            joined = build()
            keys = self.keys()
            missing = [k for k in on if k not in keys]
            if missing:
                raise LookupError(f"{name} needs rows by {', '.join(missing)}")
            condition = and_(*[joined.c[key] == keys[key] for key in on])
            self._joins[name] = (joined, condition)
        return self._joins[name][0]

    def from_clause(self) -> FromClause:
        """The rows joined to their SKU (warehouse, batch) and every joined aggregate."""
        source = self.base.join(self.sku, self.sku.c.id == self.base.c.sku_id)
        if self.level != "total":
            source = source.join(self.warehouse, self.warehouse.c.id == self.base.c.warehouse_id)
        if self.level == "batch":
            source = source.join(self.batch, self.batch.c.id == self.base.c.batch_id)
        for joined, condition in self._joins.values():
            source = source.outerjoin(joined, condition)
        return source

    def conditions(self) -> list[ColumnElement[bool]]:
        """What makes a balance row a row of this level (and of the chosen SKUs)."""
        found: list[ColumnElement[bool]] = []
        if self.level == "warehouse":
            found.append(self.base.c.batch_id == 0)
        elif self.level == "batch":
            found.append(self.base.c.batch_id != 0)
        if self.level != "total":
            found += self.narrowing(self.base.c.sku_id, self.base.c.warehouse_id)
        return found

    def narrowing(
        self, sku_id: ColumnElement[Any], warehouse_id: ColumnElement[Any] | None = None
    ) -> list[ColumnElement[bool]]:
        """Conditions keeping another query (an aggregate joined to the rows) to the rows'
        SKUs and warehouses."""
        found = []
        if self.sku_filter is not None:
            found.append(self.sku_filter(sku_id))
        if self.warehouse_filter is not None and warehouse_id is not None:
            found.append(self.warehouse_filter(warehouse_id))
        return found


def _quantity_scales(template: Template) -> dict[str, int]:
    if template.fingerprint not in _SCALES:
        _SCALES[template.fingerprint] = scales(template)
    return _SCALES[template.fingerprint]
