"""The dashboard (`/dashboard`, the page after signing in): the headline figures of a period as
tiles, each linking to the report page that explains it with the same filters, and four charts
drawn on the server. Every figure comes from `stockform.reports.dashboard`; warnings per level
from `stockform.rules.listing` (reports may not import rules, so this page puts them together).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from ..db import READ_ONLY
from ..reports.dashboard import TOP_SLOW_MOVERS, Dashboard, summary
from ..reports.errors import ReportError
from ..reports.period import Period
from ..reports.scope import Scope, categories, has_categories
from ..rules.listing import count_by_level
from ..spec.model import Template
from . import errors
from .auth import login_required
from .charts import bar_chart, line_chart
from .context import require_actor, runtime, template
from .report_tables import Query, category_label
from .reports import read_query
from .values import money, number

bp = Blueprint("dashboard", __name__)
errors.install(bp)


@dataclass(frozen=True)
class Tile:
    title: str
    value: str
    link: str
    note: str = ""
    level: str = ""  # a warning level, for its colour


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    link: str
    empty: str  # what the page says when there is nothing to draw


def _link(path: str, **values: str | None) -> str:
    query = urlencode([(k, v) for k, v in values.items() if v])
    return path + (f"?{query}" if query else "")


def _days(value: Decimal | None) -> str:
    return "—" if value is None else _("%(n)s days", n=number(value))


def _tiles(board: Dashboard, query: Query, warnings: dict[str, int], tpl: Template) -> list[Tile]:
    period = board.period
    scope = {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "warehouse": query.warehouse,
        "category": query.category,
    }
    stock_where = _locked_condition(tpl, query.category)
    level_names = {"info": _("Info"), "warning": _("Warning"), "critical": _("Critical")}
    return [
        Tile(
            _("Physical stock value"),
            money(board.physical_value),
            _link("/reports/stock-value", **scope),
            _("at the end of %(day)s", day=period.last.isoformat()),
        ),
        Tile(
            _("Sellable stock value"),
            "—" if board.sellable_value is None else money(board.sellable_value),
            _link("/reports/stock-trend", **scope),
            _("sellable quantity × unit cost"),
        ),
        Tile(
            _("Turnover"),
            "—" if board.turnover is None else number(board.turnover),
            _link("/reports/turnover", **scope),
            _("cost of goods sold %(cogs)s", cogs=money(board.cogs)),
        ),
        Tile(
            _("Days of inventory"),
            _days(board.days_of_inventory),
            _link("/reports/turnover", **scope),
            _("average value %(value)s", value=money(board.average_inventory_value)),
        ),
        Tile(
            _("Open locks"),
            str(board.open_locks),
            _link("/stock", where=stock_where, warehouse=query.warehouse),
            _("worth %(value)s", value=money(board.open_locks_value))
            + (_(", %(n)s expired", n=board.expired_locks) if board.expired_locks else ""),
        ),
        *(
            Tile(
                level_names.get(level, level),
                str(count),
                _link("/warnings", level=level, warehouse=query.warehouse),
                _("open warnings"),
                level,
            )
            for level, count in warnings.items()
        ),
    ]


def _locked_condition(tpl: Template, category: str | None) -> str | None:
    """The stock list's condition for rows holding locked stock (of the category)."""
    buckets = sorted({rule.to_bucket for rule in tpl.stock.lock_rules.values()})
    if not buckets:
        return None
    held = " or ".join(f"{bucket} > 0" for bucket in buckets)
    if category is None:
        return held
    return f"({held}) and sku.category == '{category}'"


def _charts(board: Dashboard, query: Query, tpl: Template) -> list[Chart]:
    period = board.period
    scope = {"warehouse": query.warehouse, "category": query.category}
    span = {"from": period.first.isoformat(), "to": period.last.isoformat(), **scope}
    on_day = {"date": period.last.isoformat(), **scope}
    ages = {
        "0-30": _("0–30 days"),
        "31-60": _("31–60 days"),
        "61-90": _("61–90 days"),
        "over_90": _("Over 90 days"),
    }
    trend_title = _("Stock value by day")
    days_title = _("Days of inventory by category")
    ageing_title = _("Stock value by age")
    movers_title = _("The %(n)s slowest movers and the value they hold", n=TOP_SLOW_MOVERS)
    values = [value for _day, value in board.value_by_day]
    return [
        Chart(
            trend_title,
            line_chart(
                trend_title,
                period.first.isoformat(),
                period.last.isoformat(),
                [(_("Stock value"), values)],
            ),
            _link("/reports/stock-value", **span),
            _("A period of one day has no line to draw."),
        ),
        Chart(
            days_title,
            bar_chart(
                days_title,
                [
                    (category_label(tpl, bar.key) or _("None"), bar.value, _days(bar.value))
                    for bar in board.days_by_category
                ],
            ),
            _link("/reports/turnover", group="category", **span),
            _("No categories with stock or sales in this period.")
            if has_categories(tpl)
            else _("This template's SKUs have no category."),
        ),
        Chart(
            ageing_title,
            bar_chart(
                ageing_title,
                [(ages[bar.key], bar.value, money(bar.value)) for bar in board.value_by_age],
            ),
            _link("/reports/ageing", **on_day),
            "",
        ),
        Chart(
            movers_title,
            bar_chart(
                movers_title,
                [(f"{r.sku} · {r.warehouse}", r.value, money(r.value)) for r in board.slow_movers],
            ),
            _link("/reports/slow-movers", **on_day),
            _("No slow movers: everything in stock went out in the last 30 days."),
        ),
    ]


@bp.get("/dashboard")
@login_required
def index() -> tuple[str, int]:
    tpl, actor = template(), require_actor()
    problem, tiles, charts, period = None, [], [], None
    try:
        query = read_query()
        chosen: Period = query.period()
        # Warehouse and category only: the dashboard has no SKU filter (nor does its API).
        scope = Scope(warehouse=query.warehouse, category=query.category)
        with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
            board = summary(connection, tpl, chosen, scope, datetime.now(UTC))
            warnings = count_by_level(connection, tpl, actor, warehouse=query.warehouse)
        tiles, charts, period = (
            _tiles(board, query, warnings, tpl),
            _charts(board, query, tpl),
            chosen,
        )
    except ReportError as exc:
        problem = exc.message
    return (
        render_template(
            "dashboard.html",
            problem=problem,
            tiles=tiles,
            charts=charts,
            period=period,
            args=request.args,
            categories=categories(tpl) if has_categories(tpl) else [],
            category_label=lambda value: category_label(tpl, value),
        ),
        400 if problem else 200,
    )
