"""The rule functions in SQL on SQLite and PostgreSQL, against values worked out by hand, and
against their plain Python forms (one row at a time); today(), now() and days_between() in
SQL, with the template's time zone deciding what today is."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from rules_support import at, sell
from sqlalchemy import select

from stockform.database import Prepared
from stockform.db import READ_ONLY
from stockform.rules.facts import row_facts
from stockform.rules.functions import FUNCTIONS, announce_windows
from stockform.spec.expressions import compile_python, compile_sql, from_scaled, parse
from stockform.stock.rows import Level, RowSource
from stockform.stock.service import Stock

D = Decimal
NOW = at("2026-03-10T12:00:00+00:00")  # 20:00 in Shanghai: today is 2026-03-10 there


def values(
    prepared: Prepared, text: str, now: datetime = NOW, level: Level = "warehouse"
) -> dict[tuple[str, ...], Any]:
    """text computed by the database on every row: (SKU, warehouse[, batch]) -> value."""
    source = RowSource(prepared.template, level, now=now)
    expr = parse(text, FUNCTIONS)
    announce_windows(source, [expr])
    term = compile_sql(expr, source, FUNCTIONS)
    keys = [source.sku.c.code, source.warehouse.c.code]
    if level == "batch":
        keys.append(source.batch.c.code)
    query = (
        select(*keys, term.expr.label("value"))
        .select_from(source.from_clause())
        .where(*source.conditions())
    )
    with prepared.engine.connect().execution_options(**READ_ONLY) as connection:
        rows = connection.execute(query).all()
    read = (lambda v: from_scaled(v, term.scale)) if term.kind == "number" else (lambda v: v)
    return {tuple(r[:-1]): read(r[-1]) for r in rows}


@pytest.fixture
def history(stock: Stock) -> Stock:
    """T-1: 100 in at SH on 1 Jan; sold 10 (20 Feb), 3 (1 Mar), 5 (5 Mar, 06:00); 20 sent to
    BJ on 8 Mar (not outbound); a lock (not outbound). F-1: batches L1 (expires 20 Mar) and
    L2 (30 Apr) in at SH on 1 Mar."""
    stock.receive("T-1", "SH", 100, effective_at=at("2026-01-01T00:00:00+00:00"), history=True)
    sell(stock, "T-1", "SH", 10, "2026-02-20T12:00:00+00:00")
    sell(stock, "T-1", "SH", 3, "2026-03-01T18:00:00+00:00")
    sell(stock, "T-1", "SH", 5, "2026-03-05T06:00:00+00:00")
    stock.move(
        "T-1",
        20,
        ("SH", "available"),
        ("BJ", "available"),
        kind="transfer",
        effective_at=at("2026-03-08T00:00:00+00:00"),
    )
    stock.lock("T-1", "SH", 2, now=at("2026-03-09T00:00:00+00:00"))
    for code, expiry, qty in (("L1", date(2026, 3, 20), 10), ("L2", date(2026, 4, 30), 5)):
        stock.receive(
            "F-1",
            "SH",
            qty,
            batch=code,
            expiry=expiry,
            effective_at=at("2026-03-01T00:00:00+00:00"),
            history=True,
        )
    return stock


def test_days_since_last_out(prepared: Prepared, history: Stock) -> None:
    assert values(prepared, "days_since_last_out()") == {
        # Last out 5 Mar 06:00; now 10 Mar 12:00: 5 days and 6 hours.
        ("T-1", "SH"): D(5),
        # Nothing went out at BJ: since the transfer arrived, 8 Mar 00:00: 2 days 12 hours.
        ("T-1", "BJ"): D(2),
        # Nothing out at SH since the batches came in on 1 Mar 00:00: 9 days 12 hours.
        ("F-1", "SH"): D(9),
        ("F-1", "BJ"): None,  # never any stock there
    }
    # 18 hours later the days are whole days still: 5 days 24 hours is 6.
    later = values(prepared, "days_since_last_out()", at("2026-03-11T06:00:00+00:00"))
    assert later[("T-1", "SH")] == D(6)


def test_sales_velocity(prepared: Prepared, history: Stock) -> None:
    seven = values(prepared, "sales_velocity(7)")
    thirty = values(prepared, "sales_velocity(30)")
    # The last 7 days (3 Mar 12:00 to 10 Mar 12:00): 5 sold; 5 / 7 to six places.
    assert seven[("T-1", "SH")] == D("0.714285")
    # The last 30 days (8 Feb 12:00 on): 10 + 3 + 5 = 18; 18 / 30.
    assert thirty[("T-1", "SH")] == D("0.6")
    assert seven[("T-1", "BJ")] == thirty[("T-1", "BJ")] == D(0)  # a transfer is not a sale
    # A window that no sale falls in; one whose edge is a sale's moment (not counted).
    assert values(prepared, "sales_velocity(1)")[("T-1", "SH")] == D(0)
    edge = at("2026-03-12T06:00:00+00:00")  # 7 days after the sale of 5 exactly
    assert values(prepared, "sales_velocity(7)", edge)[("T-1", "SH")] == D(0)
    # Several windows in one expression share one pass over the movements.
    both = values(prepared, "sales_velocity(7) > 1 * sales_velocity(30)")
    assert both[("T-1", "SH")] is True


def test_days_to_expiry(prepared: Prepared, history: Stock) -> None:
    assert values(prepared, "days_to_expiry()", level="batch") == {
        ("F-1", "SH", "L1"): D(10),  # 20 Mar - 10 Mar
        ("F-1", "SH", "L2"): D(51),  # 30 Apr - 10 Mar
    }
    # Per warehouse: the earliest batch that still holds stock there.
    per_warehouse = values(prepared, "days_to_expiry()")
    assert per_warehouse[("F-1", "SH")] == D(10)
    assert per_warehouse[("T-1", "SH")] is None  # no batches
    sell(history, "F-1", "SH", 10, "2026-03-09T00:00:00+00:00", batch="L1")
    assert values(prepared, "days_to_expiry()")[("F-1", "SH")] == D(51)


def test_today_is_the_date_in_the_templates_time_zone(prepared: Prepared, history: Stock) -> None:
    # 17:00 UTC is 01:00 the next day in Shanghai.
    evening = at("2026-03-10T17:00:00+00:00")
    assert values(prepared, "days_to_expiry()", evening, "batch")[("F-1", "SH", "L1")] == D(9)
    assert values(prepared, "days_between(today(), batch.expiry)", evening, "batch") == {
        ("F-1", "SH", "L1"): D(9),
        ("F-1", "SH", "L2"): D(50),
    }
    assert values(prepared, "today()", evening)[("T-1", "SH")] == date(2026, 3, 11)
    assert values(prepared, "now() == now()", evening)[("T-1", "SH")] is True


def test_the_python_forms_agree_row_by_row(prepared: Prepared, history: Stock) -> None:
    texts = ["days_since_last_out()", "sales_velocity(7)", "sales_velocity(30)", "days_to_expiry()"]
    with prepared.engine.connect().execution_options(**READ_ONLY) as connection:
        ids = {
            (s, w): (sku_id, wh_id)
            for s, w, sku_id, wh_id in connection.exec_driver_sql(
                "SELECT s.code, w.code, s.id, w.id FROM sf_sku s, sf_warehouse w"
            )
        }
        for text in texts:
            function = compile_python(parse(text, FUNCTIONS), FUNCTIONS)
            for (sku, warehouse), value in values(prepared, text).items():
                sku_id, warehouse_id = ids[(sku, warehouse)]
                facts = row_facts(connection, prepared.template, (sku_id, warehouse_id, 0), NOW)
                assert function({"$row": facts}) == value, (text, sku, warehouse)
    assert compile_python(parse("days_since_last_out()", FUNCTIONS), FUNCTIONS)({}) is None
