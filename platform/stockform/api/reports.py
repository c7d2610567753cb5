"""Reports: GET /reports/<name>, JSON with exact decimal strings (stockform.reports computes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Response, current_app
from sqlalchemy import Connection

from ..db import READ_ONLY
from ..reports.abc import AbcRow, abc
from ..reports.ageing import AgeingRow, ageing
from ..reports.dashboard import summary
from ..reports.errors import ReportError
from ..reports.movers import DEFAULT_DAYS, SlowMover, slow_movers
from ..reports.period import MAX_DAYS, Period, as_of, make_period
from ..reports.scope import Group, Scope, groups
from ..reports.stockouts import StockOut, stock_outs
from ..reports.trend import stock_trend
from ..reports.turnover import TurnoverRow, turnover
from ..reports.valuation import ValueRow, stock_value
from ..rules.listing import count_by_level
from .context import actor, bp, decimal_text, jsonify, paging, query_int, query_text, runtime
from .context import takes_query as takes
from .errors import ApiError

T = TypeVar("T")
PERIOD = ("from", "to")
SCOPE = ("sku", "warehouse", "category")
PAGE = ("page", "per_page")


def zone() -> ZoneInfo:
    configured = current_app.config.get("STOCKFORM_TIMEZONE")
    return ZoneInfo(configured or runtime().template.info.timezone)


def query_date(name: str) -> date | None:
    raw = query_text(name)
    if raw is None:
        return None
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise ApiError.invalid(name, f"'{raw}' is not a date such as 2026-01-31")


def query_period() -> Period:
    return make_period(zone(), query_date("from"), query_date("to"))


def query_scope() -> Scope:
    return Scope(query_text("sku"), query_text("warehouse"), query_text("category"))


def query_group() -> Group:
    raw = query_text("group") or "sku"
    allowed = groups(runtime().template)
    for group in allowed:
        if raw == group:
            return group
    raise ApiError.invalid("group", f"'{raw}' is not one of {', '.join(allowed)}")


@contextmanager
def reading() -> Iterator[Connection]:
    """A read-only connection; a parameter the report refuses becomes validation_failed."""
    try:
        with runtime().engine.connect().execution_options(**READ_ONLY) as connection:
            yield connection
    except ReportError as exc:
        raise ApiError.invalid(exc.parameter, exc.message) from None


def paged(rows: Sequence[T], convert: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    page, per_page = paging()
    start = (page - 1) * per_page
    return {
        "items": [convert(row) for row in rows[start : start + per_page]],
        "page": page,
        "per_page": per_page,
        "total": len(rows),
    }


def period_json(period: Period) -> dict[str, Any]:
    return {"from": period.first.isoformat(), "to": period.last.isoformat(), "days": period.days}


def text(value: Decimal | None) -> str | None:
    return decimal_text(value)


def _grouped(
    period: Period, group: str | None, report: Any, as_json: Callable[[Any, str | None], Any]
) -> Response:
    """A report grouped by SKU, category or warehouse: a page of rows and their summary."""
    return jsonify(
        {
            **period_json(period),
            "group": group,
            **paged(report.rows, lambda row: as_json(row, group)),
            "summary": as_json(report.total, None),
        }
    )


def _turnover_json(row: TurnoverRow, key: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {key: row.key} if key else {}
    found.update(
        cogs=text(row.cogs),
        average_inventory_value=text(row.average_inventory_value),
        turnover=text(row.turnover),
        days_of_inventory=text(row.days_of_inventory),
    )
    return found


@bp.get("/reports/turnover")
@takes(*PERIOD, *SCOPE, "group", *PAGE)
def turnover_report() -> Response:
    with reading() as connection:
        period, scope, group = query_period(), query_scope(), query_group()
        report = turnover(connection, runtime().template, period, scope, group)
    return _grouped(period, group, report, _turnover_json)


def _value_json(row: ValueRow, key: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {key: row.key} if key else {}
    found.update(
        opening_qty=text(row.opening_qty),
        opening_value=text(row.opening_value),
        closing_qty=text(row.closing_qty),
        closing_value=text(row.closing_value),
        sold_qty=text(row.sold_qty),
        cogs=text(row.cogs),
    )
    return found


@bp.get("/reports/stock-value")
@takes(*PERIOD, *SCOPE, "group", *PAGE)
def stock_value_report() -> Response:
    with reading() as connection:
        period, scope, group = query_period(), query_scope(), query_group()
        report = stock_value(connection, runtime().template, period, scope, group)
    return _grouped(period, group, report, _value_json)


def _abc_json(row: AbcRow) -> dict[str, Any]:
    return {
        "sku": row.sku,
        "name": row.name,
        "category": row.category,
        "consumed_qty": text(row.consumed_qty),
        "consumption_value": text(row.consumption_value),
        "share": text(row.share),
        "cumulative_share": text(row.cumulative_share),
        "class": row.abc_class,
    }


@bp.get("/reports/abc")
@takes(*PERIOD, *SCOPE, *PAGE)
def abc_report() -> Response:
    with reading() as connection:
        period, scope = query_period(), query_scope()
        report = abc(connection, runtime().template, period, scope)
    return jsonify(
        {
            **period_json(period),
            **paged(report.rows, _abc_json),
            "total_value": text(report.total_value),
            "counts": report.counts,
        }
    )


def _ageing_json(row: AgeingRow, key: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {key: row.key} if key else {}
    found.update(
        qty=text(row.qty),
        value=text(row.value),
        ages={age: {"qty": text(q), "value": text(v)} for age, (q, v) in row.ages.items()},
    )
    return found


@bp.get("/reports/ageing")
@takes("date", *SCOPE, "group", *PAGE)
def ageing_report() -> Response:
    with reading() as connection:
        day, scope, group = as_of(zone(), query_date("date")), query_scope(), query_group()
        report = ageing(connection, runtime().template, day, scope, group)
    return jsonify(
        {
            "date": report.day.isoformat(),
            "group": group,
            **paged(report.rows, lambda row: _ageing_json(row, group)),
            "summary": _ageing_json(report.total, None),
        }
    )


def _mover_json(row: SlowMover) -> dict[str, Any]:
    return {
        "sku": row.sku,
        "name": row.name,
        "category": row.category,
        "warehouse": row.warehouse,
        "qty": text(row.qty),
        "value": text(row.value),
        "last_out": row.last_out.isoformat() if row.last_out else None,
        "days_without_out": row.days_without_out,
    }


@bp.get("/reports/slow-movers")
@takes("date", "days", *SCOPE, *PAGE)
def slow_movers_report() -> Response:
    with reading() as connection:
        day, scope = as_of(zone(), query_date("date")), query_scope()
        days = query_int("days", DEFAULT_DAYS, high=MAX_DAYS)
        report = slow_movers(connection, runtime().template, day, days, scope)
    return jsonify(
        {
            "date": report.day.isoformat(),
            "days": report.days,
            **paged(report.rows, _mover_json),
            "total_value": text(report.total_value),
        }
    )


def _stock_out_json(row: StockOut) -> dict[str, Any]:
    return {
        "sku": row.sku,
        "name": row.name,
        "category": row.category,
        "warehouse": row.warehouse,
        "days_out": row.days_out,
        "first_out": row.first_out.isoformat(),
        "last_out": row.last_out.isoformat(),
        "out_at_end": row.out_at_end,
        "at_end": text(row.at_end),
    }


@bp.get("/reports/stock-outs")
@takes(*PERIOD, *SCOPE, "quantity", *PAGE)
def stock_outs_report() -> Response:
    with reading() as connection:
        period, scope = query_period(), query_scope()
        report = stock_outs(connection, runtime().template, period, scope, query_text("quantity"))
    return jsonify(
        {**period_json(period), "quantity": report.quantity, **paged(report.rows, _stock_out_json)}
    )


@bp.get("/reports/stock-trend")
@takes(*PERIOD, *SCOPE)
def stock_trend_report() -> Response:
    with reading() as connection:
        period, scope = query_period(), query_scope()
        report = stock_trend(connection, runtime().template, period, scope)
    items = [
        {
            "date": day.day.isoformat(),
            "buckets": {n: text(v) for n, v in day.buckets.items()},
            "quantities": {n: text(v) for n, v in day.quantities.items()},
        }
        for day in report.days
    ]
    return jsonify({**period_json(period), "items": items})


@bp.get("/reports/dashboard")
@takes(*PERIOD, "warehouse", "category")
def dashboard_report() -> Response:
    """The dashboard's figures and chart series; warnings per level as the token's user sees."""
    with reading() as connection:
        period, scope = query_period(), query_scope()
        board = summary(connection, runtime().template, period, scope, datetime.now(UTC))
        warnings = count_by_level(
            connection, runtime().template, actor(), warehouse=scope.warehouse
        )
    return jsonify(
        {
            **period_json(period),
            "physical_value": text(board.physical_value),
            "sellable_value": text(board.sellable_value),
            "cogs": text(board.cogs),
            "average_inventory_value": text(board.average_inventory_value),
            "turnover": text(board.turnover),
            "days_of_inventory": text(board.days_of_inventory),
            "open_locks": {
                "count": board.open_locks,
                "value": text(board.open_locks_value),
                "expired": board.expired_locks,
            },
            "warnings": warnings,
            "value_by_day": [
                {"date": day.isoformat(), "value": text(value)} for day, value in board.value_by_day
            ],
            "days_by_category": [
                {"category": bar.key, "days_of_inventory": text(bar.value)}
                for bar in board.days_by_category
            ],
            "value_by_age": {bar.key: text(bar.value) for bar in board.value_by_age},
            "slow_movers": [_mover_json(row) for row in board.slow_movers],
        }
    )
