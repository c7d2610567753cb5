"""Warnings open once, stay single while their condition holds, close by themselves, come back
after a snooze; acknowledging and snoozing keep a history; messages use the template's labels;
evaluating some rows leaves the others alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from rules_support import sell
from sqlalchemy import select, text

from stockform.cli import main
from stockform.database import Prepared, prepare
from stockform.rules.actions import WarningNotFound, WarningStateError, acknowledge, snooze
from stockform.rules.hooks import after_codes, after_document, after_skus, evaluate_all
from stockform.rules.messages import render
from stockform.rules.tables import WarningEvent, WarningRecord
from stockform.rules.warnings import Outcome, evaluate
from stockform.stock.service import Stock
from stockform.stock.tables import table_of

# Postings without a moment of their own happen now, so the evaluations happen now too.
NOW = datetime.now(UTC)
TODAY = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()  # the template's time zone


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def run(prepared: Prepared, now: datetime = NOW, **kwargs: Any) -> Outcome:
    with prepared.engine.begin() as connection:
        return evaluate(connection, prepared.template, now, **kwargs)


def warnings(prepared: Prepared, *states: str) -> list[tuple[str, str, str, str]]:
    """(rule, SKU, warehouse, state) of every warning (in the given states), sorted."""
    query = text(
        "SELECT w.rule, s.code, h.code, w.state FROM sf_warning w JOIN sf_sku s "
        "ON s.id = w.sku_id JOIN sf_warehouse h ON h.id = w.warehouse_id"
    )
    with prepared.engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(query)]
    return sorted(r for r in rows if not states or r[3] in states)  # type: ignore[misc]


def events(prepared: Prepared) -> list[tuple[int, str, str | None, str | None]]:
    table = table_of(WarningEvent)
    with prepared.engine.connect() as connection:
        return [
            tuple(r)  # type: ignore[misc]
            for r in connection.execute(
                select(table.c.warning_id, table.c.event, table.c.user, table.c.comment).order_by(
                    table.c.id
                )
            )
        ]


def warning_id(prepared: Prepared, rule: str, sku: str, warehouse: str) -> int:
    with prepared.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT w.id FROM sf_warning w JOIN sf_sku s ON s.id = w.sku_id "
                    "JOIN sf_warehouse h ON h.id = w.warehouse_id WHERE w.rule = :rule "
                    "AND s.code = :sku AND h.code = :warehouse AND w.state != 'closed'"
                ),
                {"rule": rule, "sku": sku, "warehouse": warehouse},
            ).scalar_one()
        )


def test_open_once_stay_single_close_when_it_stops(prepared: Prepared, stock: Stock) -> None:
    stock.receive("T-1", "SH", 5, effective_at=ago(days=1), history=True)
    first = run(prepared)
    # T-1 (min 10): 5 at SH and 0 at BJ are low; F-1 has no minimum.
    assert warnings(prepared) == [
        ("low_stock", "T-1", "BJ", "open"),
        ("low_stock", "T-1", "SH", "open"),
    ]
    assert (first.opened, first.closed, first.holding) == (2, 0, 2)
    again = run(prepared)
    assert (again.opened, again.closed, again.holding) == (0, 0, 2)
    stock.receive("T-1", "SH", 60)
    later = run(prepared)
    assert (later.opened, later.closed) == (1, 1)
    assert warnings(prepared) == [
        ("low_stock", "T-1", "BJ", "open"),
        ("low_stock", "T-1", "SH", "closed"),
        ("overstock", "T-1", "SH", "open"),
    ]
    # Low again: a new warning opens; the closed one stays closed, in the history.
    sell(stock, "T-1", "SH", 60)
    run(prepared)
    assert warnings(prepared, "open") == [
        ("low_stock", "T-1", "BJ", "open"),
        ("low_stock", "T-1", "SH", "open"),
    ]
    assert histories(prepared) == [
        ("low_stock", "T-1", "BJ", ["opened"]),
        ("low_stock", "T-1", "SH", ["opened"]),  # the second, opened when low again
        ("low_stock", "T-1", "SH", ["opened", "closed"]),
        ("overstock", "T-1", "SH", ["opened", "closed"]),
    ]


def histories(prepared: Prepared) -> list[tuple[str, str, str, list[str]]]:
    """(rule, SKU, warehouse, its events in order) of every warning, sorted."""
    found: dict[int, list[str]] = {}
    for warning, event, _user, _comment in events(prepared):
        found.setdefault(warning, []).append(event)
    query = text(
        "SELECT w.id, w.rule, s.code, h.code FROM sf_warning w JOIN sf_sku s "
        "ON s.id = w.sku_id JOIN sf_warehouse h ON h.id = w.warehouse_id"
    )
    with prepared.engine.connect() as connection:
        keys = {r[0]: (r[1], r[2], r[3]) for r in connection.execute(query)}
    return sorted((*keys[w], done) for w, done in found.items())


def test_messages_fill_placeholders_with_the_templates_labels(
    prepared: Prepared, stock: Stock
) -> None:
    stock.receive("T-1", "SH", 5)
    run(prepared)
    with prepared.engine.connect() as connection:
        row = connection.execute(
            select(table_of(WarningRecord)).where(
                table_of(WarningRecord).c.id == warning_id(prepared, "low_stock", "T-1", "SH")
            )
        ).one()
    # Stored in the template's first locale (en); the values let a page use another.
    assert row.message == "Only 5 of T-1 (Home) at Shanghai"
    assert row.placeholders["sellable"] == "5"
    rule = prepared.template.stock.warnings["low_stock"]
    assert render(prepared.template, rule, row.placeholders, "zh") == "上海的T-1（家居）仅剩 5"
    # The message follows the stock while the warning stays the same one.
    sell(stock, "T-1", "SH", 2)
    run(prepared)
    with prepared.engine.connect() as connection:
        message = connection.execute(
            select(table_of(WarningRecord).c.message).where(table_of(WarningRecord).c.id == row.id)
        ).scalar_one()
    assert message == "Only 3 of T-1 (Home) at Shanghai"


def test_acknowledge_and_snooze_keep_a_history(prepared: Prepared, stock: Stock) -> None:
    run(prepared)
    low = warning_id(prepared, "low_stock", "T-1", "SH")
    with prepared.engine.begin() as connection:
        acknowledge(connection, low, "ann", "ordered 20", now=NOW)
    with prepared.engine.begin() as connection, pytest.raises(WarningStateError) as twice:
        acknowledge(connection, low, "bob", now=NOW)
    assert "acknowledged already by ann" in str(twice.value)
    run(prepared)  # still holding: acknowledged stays acknowledged
    assert ("low_stock", "T-1", "SH", "acknowledged") in warnings(prepared)
    with prepared.engine.begin() as connection:
        snooze(connection, low, "bob", NOW + timedelta(days=2), "after the fair", now=NOW)
    run(prepared, NOW + timedelta(days=1))  # not yet due
    assert ("low_stock", "T-1", "SH", "snoozed") in warnings(prepared)
    outcome = run(prepared, NOW + timedelta(days=2, seconds=1))
    assert outcome.reopened == 1
    assert ("low_stock", "T-1", "SH", "open") in warnings(prepared)
    mine = [e for e in events(prepared) if e[0] == low]
    assert mine == [
        (low, "opened", None, None),
        (low, "acknowledged", "ann", "ordered 20"),
        (low, "snoozed", "bob", "after the fair"),
        (low, "reopened", None, None),
    ]
    with prepared.engine.begin() as connection, pytest.raises(ValueError):
        snooze(connection, low, "bob", NOW - timedelta(days=1), now=NOW)
    with prepared.engine.begin() as connection, pytest.raises(WarningNotFound):
        acknowledge(connection, 999_999, "ann")


def test_a_snoozed_warning_closes_when_its_condition_stops(
    prepared: Prepared, stock: Stock
) -> None:
    run(prepared)
    low = warning_id(prepared, "low_stock", "T-1", "SH")
    with prepared.engine.begin() as connection:
        snooze(connection, low, "bob", NOW + timedelta(days=7), now=NOW)
    stock.receive("T-1", "SH", 20)
    assert run(prepared).closed == 1
    with prepared.engine.begin() as connection, pytest.raises(WarningStateError):
        acknowledge(connection, low, "ann")


def test_batches_and_time_based_rules(prepared: Prepared, stock: Stock) -> None:
    for code, days in (("L1", 10), ("L2", 52)):
        stock.receive(
            "F-1",
            "SH",
            4,
            batch=code,
            expiry=TODAY + timedelta(days=days),
            effective_at=ago(days=60),
            history=True,
        )
    run(prepared)
    assert warnings(prepared, "open") == [
        ("expiring", "F-1", "SH", "open"),  # L1: 10 days
        ("low_stock", "T-1", "BJ", "open"),
        ("low_stock", "T-1", "SH", "open"),
        ("slow_moving", "F-1", "SH", "open"),  # nothing out for 60 days
    ]
    with prepared.engine.connect() as connection:
        message = connection.execute(
            select(table_of(WarningRecord).c.message).where(
                table_of(WarningRecord).c.rule == "expiring"
            )
        ).scalar_one()
    expiry = (TODAY + timedelta(days=10)).isoformat()
    assert message == f"Batch L1 of F-1 at SH expires on {expiry}"
    sell(stock, "F-1", "SH", 4, batch="L1")
    outcome = run(prepared)
    assert outcome.closed == 2  # L1 is gone; something went out today
    # Selling fast: 30 in the last 7 days against 30 in 30 (2 a day): 30/7 > 2 * 1.
    stock.receive("T-1", "SH", 100)
    sell(stock, "T-1", "SH", 30)
    run(prepared, datetime.now(UTC))  # the sale is after NOW
    assert ("selling_fast", "T-1", "SH", "open") in warnings(prepared)


def test_evaluating_some_rows_leaves_the_others_alone(prepared: Prepared, stock: Stock) -> None:
    run(prepared)
    stock.receive("T-1", "SH", 20)
    stock.receive("T-1", "BJ", 20)
    with prepared.engine.connect() as connection:
        sku_id, sh = connection.execute(
            text(
                "SELECT s.id, w.id FROM sf_sku s, sf_warehouse w "
                "WHERE s.code = 'T-1' AND w.code = 'SH'"
            )
        ).one()
    outcome = run(prepared, rows=[(sku_id, sh)])
    assert (outcome.closed, outcome.holding) == (1, 0)
    assert warnings(prepared, "open") == [("low_stock", "T-1", "BJ", "open")]
    assert run(prepared, rows=[]).holding == 0  # nothing to do
    after_codes(prepared.engine, prepared.template, [("T-1", "BJ"), ("NOPE", "BJ")], NOW)
    assert warnings(prepared, "open") == []


def test_after_a_sku_changes_its_rows_at_every_warehouse_are_evaluated(
    prepared: Prepared, stock: Stock
) -> None:
    stock.receive("T-1", "SH", 20)
    stock.receive("T-1", "BJ", 30)
    run(prepared)
    assert warnings(prepared, "open") == []
    stock.update_sku("T-1", {"min_stock": "25"})  # BJ's 30 is still enough; SH's 20 is not
    stock.update_sku("F-1", {"min_stock": "5"})  # F-1 is short everywhere, but not asked about
    outcome = after_skus(prepared.engine, prepared.template, ["T-1", "NOPE"], NOW)
    assert outcome is not None and (outcome.opened, outcome.holding) == (1, 1)
    assert warnings(prepared, "open") == [("low_stock", "T-1", "SH", "open")]
    assert after_skus(prepared.engine, prepared.template, [], NOW) is None


def test_after_a_document_the_rows_it_moved_are_evaluated(prepared: Prepared, stock: Stock) -> None:
    stock.receive("T-1", "SH", 20, document_form="receipt", document_id=7)
    stock.receive("F-1", "BJ", 1, batch="X", expiry=TODAY + timedelta(days=300))
    outcome = after_document(prepared.engine, prepared.template, "receipt", 7, NOW)
    assert outcome is not None and outcome.holding == 0  # T-1 at SH is fine now
    assert warnings(prepared) == []  # nothing else was looked at
    assert after_document(prepared.engine, prepared.template, "receipt", 8, NOW) is None


def test_the_sweep_evaluates_every_row_a_range_of_skus_at_a_time(
    prepared: Prepared, stock: Stock
) -> None:
    for n in range(5):
        stock.create_sku(code=f"X-{n}", min_stock="1")
    chunked = evaluate_all(prepared.engine, prepared.template, NOW, chunk=2)
    assert (chunked.opened, chunked.holding) == (12, 12)  # 6 SKUs below their minimum x 2
    assert run(prepared).holding == 12


def test_a_rule_removed_from_the_template_closes_its_warnings(
    prepared: Prepared, stock: Stock, rules_folder: Any
) -> None:
    run(prepared)
    path = rules_folder / "template.yaml"
    source = path.read_text(encoding="utf-8")
    start = source.index("    low_stock:")
    end = source.index("    overstock:")
    path.write_text(source[:start] + source[end:].replace("version: 1", "version: 2"), "utf-8")
    again = prepare(prepared.engine.url.render_as_string(hide_password=False), rules_folder)
    with again.engine.begin() as connection:
        outcome = evaluate(connection, again.template, NOW)
    again.engine.dispose()
    assert outcome.closed == 2


def test_stockform_sweep_evaluates_every_warning(prepared: Prepared, stock: Stock) -> None:
    stock.receive("T-1", "SH", 60)
    url = prepared.engine.url.render_as_string(hide_password=False)
    first = CliRunner().invoke(main, ["sweep", "--db", url])
    assert first.exit_code == 0, first.output
    # T-1: 60 at SH is over its maximum of 50, and 0 at BJ is under its minimum of 10.
    assert "warnings: 2 opened, 0 reopened, 0 closed, 2 holding" in first.output
    again = CliRunner().invoke(main, ["sweep", "--db", url])
    assert "warnings: 0 opened, 0 reopened, 0 closed, 2 holding" in again.output
