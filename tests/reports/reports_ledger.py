"""A ledger written by hand for report tests: movements posted through the stock engine at
chosen local moments (Asia/Shanghai, the test shop's zone), and the reports read back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from stockform.database import Prepared
from stockform.db import READ_ONLY
from stockform.reports.period import Period, make_period
from stockform.stock.ledger import Move, Place, post
from stockform.stock.service import Stock
from stockform.stock.units import to_money, to_qty

ZONE = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")
Where = tuple[str, str] | None  # (warehouse, bucket); None is outside


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A moment of a local day in the shop's zone, as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


class Ledger:
    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.template = prepared.template
        self.stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)

    def sku(self, code: str, category: str | None = None, **fields: Any) -> None:
        if category is not None:
            fields["category"] = category
        self.stock.create_sku(code=code, name=code.title(), **fields)

    def move(
        self,
        when: datetime,
        code: str,
        qty: int | str,
        source: Where,
        target: Where,
        kind: str,
        unit_cost: str | None = None,
        batch: str | None = None,
        expiry: date | None = None,
    ) -> None:
        """Post one movement at `when` (its effective and recorded moment)."""
        from stockform.stock import catalog

        with self.prepared.engine.begin() as connection:
            sku_id = catalog.sku_id(connection, code)
            batch_id = (
                catalog.ensure_batch(
                    connection, self.template, sku_id, batch, expiry=expiry, now=when
                )
                if batch
                else 0
            )
            places = [
                None if p is None else Place(catalog.warehouse_id(connection, p[0]), p[1])
                for p in (source, target)
            ]
            move = Move(
                sku_id,
                to_qty(qty),
                places[0],
                places[1],
                batch_id=batch_id,
                kind=kind,
                unit_cost=None if unit_cost is None else to_money(unit_cost),
            )
            post(connection, self.template, [move], now=when, history=True)

    def receive(
        self, when: datetime, code: str, qty: int, warehouse: str, cost: str, **kw: Any
    ) -> None:
        self.move(when, code, qty, None, (warehouse, "available"), "receipt", cost, **kw)

    def sell(self, when: datetime, code: str, qty: int, warehouse: str, **kw: Any) -> None:
        self.move(when, code, qty, (warehouse, "available"), None, "sale", **kw)

    def read(self, report: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.prepared.engine.connect().execution_options(**READ_ONLY) as connection:
            return report(connection, self.template, *args, **kwargs)


def period(first: date, last: date) -> Period:
    return make_period(ZONE, first, last)


def d(text: str) -> Decimal:
    return Decimal(text)
