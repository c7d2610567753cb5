"""Read stock: rows per SKU and warehouse (or per batch, or totals across warehouses) with every
bucket and computed quantity, filtered and ordered by template expressions, all in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from ..spec.expressions import (
    FUNCTIONS,
    ExpressionError,
    FunctionRegistry,
    SqlTerm,
    check,
    compile_sql,
    from_scaled,
    parse,
)
from ..spec.model import Template
from ..spec.scopes import sku_record, stock_scope
from ..spec.types import BOOL
from .columns import bucket_column
from .rows import Level, RowSource
from .units import QTY_SCALE


class QueryError(ValueError):
    """A `where` or `order` expression that cannot be used; `offset` points into its text."""

    def __init__(self, part: str, message: str, offset: int = 0, hint: str | None = None) -> None:
        self.part, self.message, self.offset, self.hint = part, message, offset, hint
        super().__init__(f"{part}: {message}" + (f" ({hint})" if hint else ""))


@dataclass(frozen=True)
class StockRow:
    sku: str
    warehouse: str | None
    batch: str | None
    buckets: dict[str, Decimal]
    quantities: dict[str, Decimal | None]


@dataclass(frozen=True)
class StockPage:
    items: list[StockRow]
    page: int
    per_page: int
    total: int


def query_stock(
    connection: Connection,
    template: Template,
    *,
    sku: str | None = None,
    warehouse: str | None = None,
    where: str | None = None,
    order: str | None = None,
    page: int = 1,
    per_page: int = 50,
    level: Level = "warehouse",
    functions: FunctionRegistry = FUNCTIONS,
    now: datetime | None = None,
) -> StockPage:
    """One page of stock rows and the number of rows matching in all.

    `now` is the moment `today()` and `now()` stand for (default: the clock).
    """
    source = RowSource(template, level, now=now)
    buckets = list(template.stock.buckets)
    quantities = source.quantities
    sku_table, warehouse_table = source.sku, source.warehouse
    scope = stock_scope(
        buckets,
        list(quantities),
        sku_record(template.sku.fields),
        batch=level == "batch",
        row=True,
    )
    if level == "total":
        scope.pop("warehouse")
    conditions = source.conditions()
    if where:
        conditions.append(_compile("where", where, scope, source, functions, BOOL).expr)
    ordering: list[ColumnElement[Any]] = []
    if order:
        for part in _split_order(order):
            text, descending = part
            term = _compile("order", text, scope, source, functions, None)
            ordering.append(term.expr.desc() if descending else term.expr.asc())
    base = source.base
    if ordering:
        # Ties broken by the row's id, so an index on the ordered column (the stored
        # quantities have one) can walk in order and stop after one page.
        ordering.append(base.c.id.asc() if level != "total" else base.c.sku_id.asc())
    else:
        ordering.append(sku_table.c.code.asc())
        if level != "total":
            ordering.append(warehouse_table.c.code.asc())
    # Built after compiling: a function may have joined an aggregate to the rows.
    query: Select[Any] = select(
        sku_table.c.code.label("sku_code"),
        *[source.buckets[b].expr.label(bucket_column(b)) for b in buckets],
        *[q.expr.label(f"q_{n}") for n, q in quantities.items()],
    ).select_from(source.from_clause())
    if level != "total":
        query = query.add_columns(warehouse_table.c.code.label("warehouse_code"))
        if level == "batch":
            query = query.add_columns(source.batch.c.code.label("batch_code"))
        if warehouse is not None:
            query = query.where(warehouse_table.c.code == warehouse)
    if sku is not None:
        query = query.where(sku_table.c.code == sku)
    query = query.where(*conditions)
    page, per_page = max(page, 1), min(max(per_page, 1), 1000)
    paged = query.order_by(*ordering).limit(per_page).offset((page - 1) * per_page)
    rows = connection.execute(paged).all()
    # Counted on its own: a count over the page query's window would make the database
    # evaluate and sort every matching row before it could return the first page.
    total = _count(connection, query)
    items = [
        StockRow(
            sku=r.sku_code,
            warehouse=getattr(r, "warehouse_code", None),
            batch=getattr(r, "batch_code", None),
            buckets={b: Decimal(r._mapping[bucket_column(b)]) / QTY_SCALE for b in buckets},
            quantities={
                n: from_scaled(r._mapping[f"q_{n}"], q.scale) for n, q in quantities.items()
            },
        )
        for r in rows
    ]
    return StockPage(items, page, per_page, int(total))


def _count(connection: Connection, query: Select[Any]) -> int:
    """How many rows the (unpaged) query matches."""
    counted = query.with_only_columns(func.count(), maintain_column_froms=True)
    return int(connection.execute(counted).scalar_one())


def _compile(
    part: str,
    text: str,
    scope: dict[str, Any],
    resolve: Any,
    functions: FunctionRegistry,
    expect: Any,
) -> SqlTerm:
    try:
        expr = parse(text, functions)
        found = check(expr, scope, functions)
        if expect is not None and found != expect:
            raise QueryError(
                part,
                f"'{text}' is not a condition",
                0,
                "compare something, e.g. sellable < sku.min_stock",
            )
        if part == "order" and not expr.references:
            # A constant sorts nothing (and PostgreSQL refuses ORDER BY NULL or true).
            raise QueryError(
                part, f"'{text}' is the same for every row", 0, "order by sellable, sku.code, …"
            )
        return compile_sql(expr, resolve, functions)
    except ExpressionError as exc:
        raise QueryError(part, exc.message, exc.offset, exc.hint) from None


def _split_order(order: str) -> list[tuple[str, bool]]:
    """'sellable desc, sku.code' -> [('sellable', True), ('sku.code', False)]; '-x' is desc."""
    parts, pieces, depth, start = [], [], 0, 0
    for i, char in enumerate(order):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            pieces.append(order[start:i])
            start = i + 1
    pieces.append(order[start:])
    for raw in pieces:
        text = raw.strip()
        descending = False
        lowered = text.lower()
        if lowered.endswith(" desc"):
            text, descending = text[:-5].strip(), True
        elif lowered.endswith(" asc"):
            text = text[:-4].strip()
        elif text.startswith("-"):
            text, descending = text[1:].strip(), True
        if text:
            parts.append((text, descending))
    return parts
