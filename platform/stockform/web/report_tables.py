"""Each report page: which filters it shows and how its report becomes a table whose column
titles are in the reader's language (the same table the page draws and the exports write)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import Connection

from ..reports.abc import abc
from ..reports.ageing import AGES, AgeingRow, ageing
from ..reports.errors import ReportError
from ..reports.export import Column, Table
from ..reports.movers import DEFAULT_DAYS, slow_movers
from ..reports.period import Period, as_of, make_period
from ..reports.scope import CATEGORY, GROUPS, Group, Scope
from ..reports.stockouts import stock_outs
from ..reports.trend import stock_trend
from ..reports.turnover import TurnoverRow, turnover
from ..reports.valuation import ValueRow, stock_value
from ..spec.model import Template
from .context import zone
from .helpers import quantity_label
from .i18n import label


@dataclass(frozen=True)
class Query:
    """What the page's filters asked for (None: the report's default)."""

    first: date | None = None
    last: date | None = None
    day: date | None = None
    sku: str | None = None
    warehouse: str | None = None
    category: str | None = None
    group: str = "sku"
    days: int | None = None
    quantity: str | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.sku, self.warehouse, self.category)

    def period(self) -> Period:
        return make_period(zone(), self.first, self.last)


@dataclass(frozen=True)
class ReportPage:
    title: Any  # a lazy translation
    description: Any
    filters: tuple[str, ...]
    build: Callable[[Connection, Template, Query], Table]


def category_label(template: Template, value: str | None) -> str:
    """A category's label in the reader's language ('' for none)."""
    spec = template.sku.fields.get(CATEGORY)
    for choice in spec.options if spec is not None else ():
        if choice.value == value:
            return label(choice.label)
    return value or ""


def key_column(group: str) -> Column:
    titles = {"sku": _("SKU"), "category": _("Category"), "warehouse": _("Warehouse")}
    return Column(group, titles[group])


def period_title(title: str, period: Period) -> str:
    return f"{title} {period.first.isoformat()} – {period.last.isoformat()}"


def _turnover(connection: Connection, template: Template, query: Query) -> Table:
    period, group = query.period(), _group(query)
    report = turnover(connection, template, period, query.scope, group)

    def values(row: TurnoverRow, key: str) -> list[Any]:
        return [key, row.cogs, row.average_inventory_value, row.turnover, row.days_of_inventory]

    return Table(
        period_title(_("Turnover"), period),
        [
            key_column(group),
            Column("cogs", _("Cost of goods sold"), "money"),
            Column("average_inventory_value", _("Average inventory value"), "money"),
            Column("turnover", _("Turnover"), "ratio"),
            Column("days_of_inventory", _("Days of inventory"), "days"),
        ],
        [values(row, _key_name(template, group, row.key)) for row in report.rows],
        values(report.total, _("Total")),
        (
            _(
                "Average inventory value: the mean of the %(days)s daily closing stock values.",
                days=period.days,
            ),
        ),
    )


def _key_name(template: Template, group: Group, key: str) -> str:
    """A row's key as shown: a category by its label, a SKU or warehouse by its code."""
    return category_label(template, key) if group == "category" else key


def _group(query: Query) -> Group:
    for known in GROUPS:
        if query.group == known:
            return known
    raise ReportError("group", _("'%(value)s' is not a grouping", value=query.group))


def _stock_value(connection: Connection, template: Template, query: Query) -> Table:
    period, group = query.period(), _group(query)
    report = stock_value(connection, template, period, query.scope, group)

    def values(row: ValueRow, key: str) -> list[Any]:
        return [
            key,
            row.opening_qty,
            row.opening_value,
            row.closing_qty,
            row.closing_value,
            row.sold_qty,
            row.cogs,
        ]

    return Table(
        period_title(_("Stock value"), period),
        [
            key_column(group),
            Column("opening_qty", _("Opening quantity"), "qty"),
            Column("opening_value", _("Opening value"), "money"),
            Column("closing_qty", _("Closing quantity"), "qty"),
            Column("closing_value", _("Closing value"), "money"),
            Column("sold_qty", _("Quantity sold"), "qty"),
            Column("cogs", _("Cost of goods sold"), "money"),
        ],
        [values(row, _key_name(template, group, row.key)) for row in report.rows],
        values(report.total, _("Total")),
    )


def _abc(connection: Connection, template: Template, query: Query) -> Table:
    period = query.period()
    report = abc(connection, template, period, query.scope)
    counts = ", ".join(f"{k}: {n}" for k, n in report.counts.items())
    return Table(
        period_title(_("ABC analysis"), period),
        [
            Column("sku", _("SKU")),
            Column("name", _("Name")),
            Column("category", _("Category")),
            Column("consumed_qty", _("Quantity sold"), "qty"),
            Column("consumption_value", _("Consumption value"), "money"),
            Column("share", _("Share"), "percent"),
            Column("cumulative_share", _("Cumulative share"), "percent"),
            Column("class", _("Class")),
        ],
        [
            [
                r.sku,
                r.name,
                category_label(template, r.category),
                r.consumed_qty,
                r.consumption_value,
                r.share,
                r.cumulative_share,
                r.abc_class,
            ]
            for r in report.rows
        ],
        [_("Total"), "", "", None, report.total_value, None, None, ""],
        (
            _("A: the top 80% of consumption value; B: the next 15%; C: the rest."),
            _("SKUs per class: %(counts)s", counts=counts),
        ),
    )


def _ageing(connection: Connection, template: Template, query: Query) -> Table:
    day, group = as_of(zone(), query.day), _group(query)
    report = ageing(connection, template, day, query.scope, group)
    titles = {
        "0-30": _("0–30 days"),
        "31-60": _("31–60 days"),
        "61-90": _("61–90 days"),
        "over_90": _("Over 90 days"),
    }
    columns = [key_column(group)]
    for age in AGES:
        columns.append(Column(f"qty_{age}", titles[age], "qty"))
    columns += [Column("qty", _("Quantity"), "qty"), Column("value", _("Value"), "money")]
    columns += [Column(f"value_{age}", f"{_('Value')} {titles[age]}", "money") for age in AGES]

    def values(row: AgeingRow, key: str) -> list[Any]:
        return [
            key,
            *(row.ages[age][0] for age in AGES),
            row.qty,
            row.value,
            *(row.ages[age][1] for age in AGES),
        ]

    return Table(
        f"{_('Stock ageing')} {report.day.isoformat()}",
        columns,
        [values(row, _key_name(template, group, row.key)) for row in report.rows],
        values(report.total, _("Total")),
        (_("Batches are as old as their first receipt; other stock goes first in, first out."),),
    )


def _slow_movers(connection: Connection, template: Template, query: Query) -> Table:
    day = as_of(zone(), query.day)
    days = query.days or DEFAULT_DAYS
    report = slow_movers(connection, template, day, days, query.scope)
    return Table(
        f"{_('Slow movers')} {report.day.isoformat()}",
        [
            Column("sku", _("SKU")),
            Column("name", _("Name")),
            Column("category", _("Category")),
            Column("warehouse", _("Warehouse")),
            Column("qty", _("Quantity"), "qty"),
            Column("value", _("Value"), "money"),
            Column("last_out", _("Last out"), "date"),
            Column("days_without_out", _("Days without going out"), "integer"),
        ],
        [
            [
                r.sku,
                r.name,
                category_label(template, r.category),
                r.warehouse,
                r.qty,
                r.value,
                r.last_out,
                r.days_without_out,
            ]
            for r in report.rows
        ],
        [_("Total"), "", "", "", None, report.total_value, None, None],
        (_("Nothing sold or transferred out for %(days)s days or more.", days=days),),
    )


def _stock_outs(connection: Connection, template: Template, query: Query) -> Table:
    period = query.period()
    report = stock_outs(connection, template, period, query.scope, query.quantity)
    return Table(
        period_title(_("Stock-outs"), period),
        [
            Column("sku", _("SKU")),
            Column("name", _("Name")),
            Column("category", _("Category")),
            Column("warehouse", _("Warehouse")),
            Column("days_out", _("Days out"), "integer"),
            Column("first_out", _("First day out"), "date"),
            Column("last_out", _("Last day out"), "date"),
            Column("out_at_end", _("Out at the end")),
            Column("at_end", quantity_label(report.quantity), "qty"),
        ],
        [
            [
                r.sku,
                r.name,
                category_label(template, r.category),
                r.warehouse,
                r.days_out,
                r.first_out,
                r.last_out,
                _("Yes") if r.out_at_end else _("No"),
                r.at_end,
            ]
            for r in report.rows
        ],
        None,
        (
            _(
                "Days that ended with %(quantity)s at 0 or less.",
                quantity=quantity_label(report.quantity),
            ),
        ),
    )


def _stock_trend(connection: Connection, template: Template, query: Query) -> Table:
    period = query.period()
    report = stock_trend(connection, template, period, query.scope)
    names = [*template.stock.quantities, *template.stock.buckets]
    return Table(
        period_title(_("Stock over time"), period),
        [
            Column("date", _("Date"), "date"),
            *(Column(n, quantity_label(n), "qty") for n in names),
        ],
        [[day.day, *({**day.quantities, **day.buckets}[n] for n in names)] for day in report.days],
    )


PAGES: dict[str, ReportPage] = {
    "turnover": ReportPage(
        lazy_gettext("Turnover"),
        lazy_gettext(
            "Cost of goods sold ÷ average inventory value, and days of inventory, over a period."
        ),
        ("period", "sku", "warehouse", "category", "group"),
        _turnover,
    ),
    "stock-value": ReportPage(
        lazy_gettext("Stock value"),
        lazy_gettext(
            "Quantity and value at the start and end of a period, and the cost of goods sold."
        ),
        ("period", "sku", "warehouse", "category", "group"),
        _stock_value,
    ),
    "abc": ReportPage(
        lazy_gettext("ABC analysis"),
        lazy_gettext("SKUs ranked by consumption value: A, B and C."),
        ("period", "sku", "warehouse", "category"),
        _abc,
    ),
    "ageing": ReportPage(
        lazy_gettext("Stock ageing"),
        lazy_gettext("Stock on hand by days since it was received."),
        ("date", "sku", "warehouse", "category", "group"),
        _ageing,
    ),
    "slow-movers": ReportPage(
        lazy_gettext("Slow movers"),
        lazy_gettext("Stock that has not been sold or transferred out for a while."),
        ("date", "days", "sku", "warehouse", "category"),
        _slow_movers,
    ),
    "stock-outs": ReportPage(
        lazy_gettext("Stock-outs"),
        lazy_gettext("Days on which a SKU had nothing sellable at a warehouse."),
        ("period", "sku", "warehouse", "category", "quantity"),
        _stock_outs,
    ),
    "stock-trend": ReportPage(
        lazy_gettext("Stock over time"),
        lazy_gettext("Sellable against physical stock, day by day."),
        ("period", "sku", "warehouse", "category"),
        _stock_trend,
    ),
}
