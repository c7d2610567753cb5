"""A replenishment plan: the rows' figures (figures.py) and what is on its way (pipeline.py)
turned into levels, transfers and orders (ordering.py), as the public dataclasses of
replenishment.py."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from typing import Any, NamedTuple, overload

from sqlalchemy import Connection, select

from ..spec.issues import did_you_mean
from ..spec.model import DEFAULT_LEVEL, Replenishment, Template
from ..stock.tables import Sku, Warehouse, table_of
from .demand import average, deviation, window
from .drafting import settings_of, sku_candidates
from .errors import ReplenishmentError
from .figures import CATEGORY, Figures, Narrowing, Reading, read_figures, thousandths
from .ordering import (
    Demand,
    Levels,
    Transfer,
    allocate,
    levels,
    order_quantity,
    shortfall,
    step,
    surplus,
    z_score,
)
from .pipeline import Pipeline, pipeline
from .replenishment import Filter, Plan, Suggestion, TransferSuggestion

# A plan for one warehouse reads the other warehouses of its short SKUs, by id up to this
# many SKUs; past it, all of them (a long IN list costs more than it saves).
MAX_LISTED_SKUS = 5000


class Row(NamedTuple):
    """One (SKU, warehouse) being planned; quantities in thousandths."""

    figures: Figures
    level: tuple[Decimal, Decimal]  # service level, z
    levels: Levels
    stock: int
    on_order: int
    incoming: int
    outgoing: int
    position: int
    need: int
    minimum: int | None
    maximum: int | None
    multiple: int | None


class Calculator:
    """The arithmetic of a plan's rows, with the readers and constants they share."""

    def __init__(self, settings: Replenishment, reading: Reading, flow: Pipeline) -> None:
        self.settings, self.reading, self.flow = settings, reading, flow
        self.stock = thousandths(reading.stock, up=False)
        self.low, self.high = thousandths(reading.min_level), thousandths(reading.max_level)
        self.multiple = thousandths(reading.multiple)
        # z per category, once: the quantile is the costly part of a service level.
        self.levels: dict[str | None, tuple[Decimal, Decimal, int]] = {}
        for category in (DEFAULT_LEVEL, *settings.service_levels):
            level = settings.service_level(category)
            z = z_score(level)
            self.levels[category] = (level, z, int(z.scaleb(4)))
        self.decimals: dict[int, Decimal] = {}
        self.leads: dict[Any, Decimal] = {}

    def row(self, f: Figures) -> Row:
        level, z, z4 = self.levels.get(f.category) or self.levels[DEFAULT_LEVEL]
        demand = Demand(self.settings.history_days, int(f.total or 0), int(f.squares or 0))
        minimum, maximum = self.low(f.min_level), self.high(f.max_level)
        multiple = self.multiple(f.multiple)
        found = levels(
            demand,
            z4,
            (max(int(f.lead_time or 0), 0), self.reading.lead_time),
            step(f.precision),
            minimum,
            maximum,
            self.settings.cover_days,
        )
        place = (f.sku, f.warehouse)
        flow = self.flow
        stock = self.stock(f.stock) or 0
        on_order, incoming, outgoing = (
            flow.on_order.get(place, 0),
            flow.incoming.get(place, 0),
            flow.outgoing.get(place, 0),
        )
        position = stock + on_order + incoming - outgoing
        return Row(
            f,
            (level, z),
            found,
            stock,
            on_order,
            incoming,
            outgoing,
            position,
            shortfall(found, position),
            minimum,
            maximum,
            multiple if multiple is not None and multiple > 0 else None,
        )

    def decimal(self, thousandths: int | None) -> Decimal | None:
        """A quantity as a Decimal in units; the few distinct ones made once."""
        if thousandths is None:
            return None
        found = self.decimals.get(thousandths)
        if found is None:
            found = self.decimals[thousandths] = Decimal(thousandths) / 1000
        return found

    def suggestion(self, row: Row, transfer_in: int) -> Suggestion:
        f, found, dec = row.figures, row.levels, self.decimal
        order = order_quantity(
            row.need - transfer_in,
            row.position,
            transfer_in,
            row.maximum,
            row.multiple,
            step(f.precision),
        )
        lead = self.leads.get(f.lead_time)
        if lead is None:
            value = max(Decimal(f.lead_time or 0) / self.reading.lead_time, Decimal(0))
            lead = self.leads[f.lead_time] = value
        days, total, squares = self.settings.history_days, int(f.total or 0), int(f.squares or 0)
        return _build(
            Suggestion,
            sku=f.sku,
            sku_name=f.sku_name,
            warehouse=f.warehouse,
            category=f.category,
            unit=f.unit,
            history_days=days,
            average_daily_demand=average(days, total),
            demand_deviation=deviation(days, total, squares),
            lead_time_days=lead,
            service_level=row.level[0],
            z=row.level[1],
            safety_stock=dec(found.safety_stock),
            current_safety_stock=None
            if f.current_safety_stock is None
            else Decimal(f.current_safety_stock) / self.reading.safety_stock,
            reorder_point=dec(found.reorder_point),
            min_level=dec(row.minimum),
            max_level=dec(row.maximum),
            multiple=dec(row.multiple),
            stock=dec(row.stock),
            on_order=dec(row.on_order),
            incoming=dec(row.incoming),
            outgoing=dec(row.outgoing),
            position=dec(row.position),
            order_qty=dec(order),
            transfer_in=dec(transfer_in),
        )


def _build(cls: type[Suggestion], **values: Any) -> Suggestion:
    """A Suggestion without its generated __init__: a frozen dataclass sets 24 fields one
    `object.__setattr__` at a time, a fifth of a whole plan's time over 500k rows."""
    made = object.__new__(cls)
    made.__dict__.update(values)
    return made


def make_plan(
    connection: Connection,
    template: Template,
    now: datetime,
    which: Filter,
    needing_action_only: bool,
) -> Plan:
    settings = settings_of(template)
    narrowing = _narrowing(connection, template, which)
    with _collector_paused():
        return _plan(connection, template, now, settings, narrowing, needing_action_only)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a plan holds its rows: half a million new tuples
    set it off again and again, each time walking every one of them (a fifth of the time).
    The rows hold no cycles; what others make meanwhile is collected right after."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _plan(
    connection: Connection,
    template: Template,
    now: datetime,
    settings: Replenishment,
    narrowing: Narrowing,
    needing_action_only: bool,
) -> Plan:
    span = window(now, settings.history_days, template.info.timezone)
    flow = pipeline(connection, template)
    figures, reading = read_figures(connection, template, settings, now, span, narrowing)
    calculator = Calculator(settings, reading, flow)
    rows = [calculator.row(f) for f in figures]
    others: list[Row] = []
    if narrowing.warehouses is not None:
        # Transfers into the chosen warehouse come from the others: read those of its short
        # SKUs, so they are shared out exactly as in a plan of every warehouse.
        short = {r.figures.sku_id for r in rows if r.need > 0}
        if short:
            here = set(narrowing.warehouses)
            listed = sorted(short) if len(short) <= MAX_LISTED_SKUS else narrowing.skus
            wider = Narrowing(skus=listed, category=narrowing.category)
            more, _ = read_figures(connection, template, settings, now, span, wider)
            others = [
                calculator.row(f) for f in more if f.warehouse_id not in here and f.sku_id in short
            ]
    moved = _transfers(rows, others)
    transfer_in: dict[tuple[str, str], int] = {}
    for sku, transfer in moved:
        key = (sku, transfer.to_warehouse)
        transfer_in[key] = transfer_in.get(key, 0) + transfer.qty
    # A row needs action exactly when it is short: what transfers do not bring is ordered.
    acting = [r for r in rows if r.need > 0]
    listing = acting if needing_action_only else [*acting, *(r for r in rows if r.need <= 0)]
    wanted = {(r.figures.sku, r.figures.warehouse) for r in acting}
    return Plan(
        as_of=now,
        suggestions=Suggestions(listing, calculator, transfer_in),
        transfers=[
            TransferSuggestion(sku, t.from_warehouse, t.to_warehouse, Decimal(t.qty) / 1000)
            for sku, t in moved
            if (sku, t.to_warehouse) in wanted
        ],
    )


class Suggestions(Sequence[Suggestion]):
    """A plan's rows as Suggestions, each made when it is read: a page shows 50 of 500,000,
    and making one costs more than all the arithmetic that decided its place in the list."""

    def __init__(
        self, rows: list[Row], calculator: Calculator, transfer_in: dict[tuple[str, str], int]
    ) -> None:
        self.rows, self.calculator, self.transfer_in = rows, calculator, transfer_in

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Suggestion: ...

    @overload
    def __getitem__(self, index: slice) -> list[Suggestion]: ...

    def __getitem__(self, index: int | slice) -> Suggestion | list[Suggestion]:
        if isinstance(index, slice):
            return [self._make(row) for row in self.rows[index]]
        return self._make(self.rows[index])

    def __iter__(self) -> Iterator[Suggestion]:
        return (self._make(row) for row in self.rows)

    def _make(self, row: Row) -> Suggestion:
        key = (row.figures.sku, row.figures.warehouse)
        return self.calculator.suggestion(row, self.transfer_in.get(key, 0))


def _transfers(rows: list[Row], others: list[Row]) -> list[tuple[str, Transfer]]:
    """Every short SKU's transfers from places with surplus, by SKU code."""
    everything = sorted([*rows, *others], key=lambda r: r.figures.sku) if others else rows
    found = []
    # Rows come by SKU code: a SKU's places are next to each other.
    for sku, group in groupby(everything, key=lambda r: r.figures.sku):
        places = list(group)
        if len(places) < 2 or not any(r.need > 0 for r in places):
            continue
        needs = sorted((r.figures.warehouse, r.need) for r in places if r.need > 0)
        offers = [
            (r.figures.warehouse, surplus(r.levels, r.position, r.stock))
            for r in places
            if r.need <= 0
        ]
        found += [(sku, transfer) for transfer in allocate(needs, offers)]
    return found


def _narrowing(connection: Connection, template: Template, which: Filter) -> Narrowing:
    """The filter's codes as ids; ReplenishmentError naming an unknown one."""
    skus = warehouses = None
    if which.sku is not None:
        found = connection.execute(
            select(table_of(Sku).c.id).where(table_of(Sku).c.code == which.sku)
        ).scalar()
        if found is None:
            hint = did_you_mean(which.sku, sku_candidates(connection, which.sku))
            raise ReplenishmentError("sku", f"unknown SKU '{which.sku}'" + _hint(hint))
        skus = [int(found)]
    if which.warehouse is not None:
        found = connection.execute(
            select(table_of(Warehouse).c.id).where(table_of(Warehouse).c.code == which.warehouse)
        ).scalar()
        if found is None or which.warehouse not in template.warehouses:
            hint = did_you_mean(which.warehouse, template.warehouses)
            message = f"unknown warehouse '{which.warehouse}'"
            raise ReplenishmentError("warehouse", message + _hint(hint))
        warehouses = [int(found)]
    if which.category is not None:
        field = template.sku.fields.get(CATEGORY)
        options = [c.value for c in field.options] if field is not None else []
        if which.category not in options:
            hint = did_you_mean(which.category, options)
            message = (
                f"unknown category '{which.category}'"
                if options
                else "this template's SKUs have no category field"
            )
            raise ReplenishmentError("category", message + _hint(hint))
    return Narrowing(skus, warehouses, which.category)


def _hint(hint: str | None) -> str:
    return f" ({hint})" if hint else ""
