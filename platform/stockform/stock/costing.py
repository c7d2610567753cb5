"""Cost of goods: moving average per SKU and warehouse by default, FIFO layers where the template
says. Posting needs it, because goods going out carry their cost into the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, update

from ..db import insert_for
from ..spec.model import Template
from .tables import CostLayer, Valuation, table_of
from .units import QTY_SCALE

if TYPE_CHECKING:
    from .ledger import Move


def div_round(numerator: int, denominator: int) -> int:
    """Integer division rounding half away from zero: exact money, no floats."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def value_of(qty: int, unit_cost: int) -> int:
    """Value (ten-thousandths) of qty (thousandths) at unit_cost (ten-thousandths per unit)."""
    return div_round(qty * unit_cost, QTY_SCALE)


class _Books:
    """The valuation rows a posting touches, read once (locked on PostgreSQL), written once."""

    def __init__(self, connection: Connection, keys: list[tuple[int, int]]) -> None:
        self.connection = connection
        table = table_of(Valuation)
        for sku_id, warehouse_id in keys:
            connection.execute(
                insert_for(connection, table)
                .values(sku_id=sku_id, warehouse_id=warehouse_id, qty=0, value=0)
                .on_conflict_do_nothing(index_elements=["sku_id", "warehouse_id"])
            )
        self.rows: dict[tuple[int, int], list[int]] = {}
        for sku_id, warehouse_id in keys:
            query = select(table.c.qty, table.c.value).where(
                table.c.sku_id == sku_id, table.c.warehouse_id == warehouse_id
            )
            if connection.dialect.name == "postgresql":
                query = query.with_for_update()
            qty, value = connection.execute(query).one()
            self.rows[(sku_id, warehouse_id)] = [qty, value]

    def average(self, key: tuple[int, int]) -> int | None:
        qty, value = self.rows[key]
        return div_round(value * QTY_SCALE, qty) if qty > 0 else None

    def save(self, now: datetime) -> None:
        table = table_of(Valuation)
        for (sku_id, warehouse_id), (qty, value) in self.rows.items():
            self.connection.execute(
                update(table)
                .where(table.c.sku_id == sku_id, table.c.warehouse_id == warehouse_id)
                .values(qty=qty, value=value, last_effective_at=now)
            )


def value_moves(
    connection: Connection,
    template: Template,
    moves: Sequence[Move],
    now: datetime,
    posting_id: str = "",
) -> list[int | None]:
    """The unit cost of each move (None for moves inside one warehouse); updates valuations."""
    keys: set[tuple[int, int]] = set()
    crossing = []
    for move in moves:
        out_wh, in_wh = _ends(move)
        crossing.append((out_wh, in_wh))
        keys.update((move.sku_id, wh) for wh in (out_wh, in_wh) if wh is not None)
    if not keys:
        return [None] * len(moves)
    books = _Books(connection, sorted(keys))
    fifo = template.sku.costing == "fifo"
    costs: list[int | None] = []
    for move, (out_wh, in_wh) in zip(moves, crossing, strict=True):
        cost: int | None = None
        out_value: int | None = None
        pieces: list[tuple[int, int]] = []  # FIFO: (qty, unit cost) taken from each layer
        if out_wh is not None:
            key = (move.sku_id, out_wh)
            if fifo:
                pieces = _take_fifo(connection, key, move.qty, books)
                out_value = sum(value_of(q, c) for q, c in pieces)
            else:
                out_value = _take_average(key, move.qty, books)
            books.rows[key][0] -= move.qty
            books.rows[key][1] -= out_value
            cost = div_round(out_value * QTY_SCALE, move.qty)
        if in_wh is not None:
            key = (move.sku_id, in_wh)
            if cost is None:
                cost = move.unit_cost if move.unit_cost is not None else books.average(key) or 0
            books.rows[key][0] += move.qty
            # A transfer carries exactly the value that left the other warehouse: re-deriving
            # it from the rounded unit cost would create or destroy value.
            books.rows[key][1] += out_value if out_value is not None else value_of(move.qty, cost)
            if fifo:
                # A transfer keeps the layers it took (their costs and order), so the value
                # on the shelf stays exactly what left the other warehouse.
                connection.execute(
                    table_of(CostLayer).insert(),
                    [
                        {
                            "sku_id": move.sku_id,
                            "warehouse_id": in_wh,
                            "posting_id": posting_id,
                            "qty_left": qty,
                            "unit_cost": unit_cost,
                        }
                        for qty, unit_cost in (pieces or [(move.qty, cost)])
                    ],
                )
        costs.append(cost)
    books.save(now)
    return costs


def _ends(move: Move) -> tuple[int | None, int | None]:
    """The warehouse goods leave and the one they enter, when they cross a warehouse's walls."""
    source = move.source.warehouse_id if move.source else None
    target = move.target.warehouse_id if move.target else None
    if source == target:
        return None, None
    return source, target


def _take_average(key: tuple[int, int], qty: int, books: _Books) -> int:
    on_hand, value = books.rows[key]
    if on_hand <= 0:
        return 0
    if qty >= on_hand:
        # The last units carry whatever value is left, so no rounding residue stays behind.
        return value if qty == on_hand else value + value_of(qty - on_hand, books.average(key) or 0)
    return div_round(value * qty, on_hand)


def _take_fifo(
    connection: Connection, key: tuple[int, int], qty: int, books: _Books
) -> list[tuple[int, int]]:
    """Take qty from the oldest layers; returns the (qty, unit cost) pieces taken."""
    table = table_of(CostLayer)
    query = (
        select(table.c.id, table.c.qty_left, table.c.unit_cost)
        .where(table.c.sku_id == key[0], table.c.warehouse_id == key[1], table.c.qty_left > 0)
        .order_by(table.c.id)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    pieces: list[tuple[int, int]] = []
    left, last_cost = qty, 0
    for layer_id, layer_qty, unit_cost in connection.execute(query).all():
        if left == 0:
            break
        used = min(left, layer_qty)
        pieces.append((used, unit_cost))
        left -= used
        last_cost = unit_cost
        connection.execute(
            update(table).where(table.c.id == layer_id).values(qty_left=layer_qty - used)
        )
    if left:
        pieces.append((left, last_cost or books.average(key) or 0))
    return pieces
