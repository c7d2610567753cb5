"""The indexes a lock and a release write (migration 0005): a migrated database has exactly
the models' indexes, and every query that looked locks or movements up through the old ones
still finds an index."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, event, inspect, select, text

from stockform import migrate
from stockform.db import make_engine
from stockform.rules import tables as rule_tables  # noqa: F401 - the ledger's other indexes
from stockform.stock import cuts, locks
from stockform.stock.ledger import Move, Place
from stockform.stock.service import Stock
from stockform.stock.tables import Base, Movement, table_of

TABLES = ("sf_lock", "sf_movement")
PARTIAL = {
    "ix_sf_lock_active_expiry": ("expires_at",),
    "ix_sf_lock_owner": ("document_form", "document_id"),
    "ix_sf_lock_reference": ("reference",),
    "ix_sf_movement_document": ("document_form", "document_id"),
}
WHOLE = {
    "ix_sf_lock_place": ("sku_id", "warehouse_id", "status"),
    "ix_sf_movement_sku": ("sku_id", "id"),
}


def indexes(connection: Connection, schema: str | None = None) -> dict[str, tuple[Any, ...]]:
    """Each index of the lock and movement tables: its columns and its WHERE, as the
    database reports them."""
    found = {}
    for table in TABLES:
        for index in inspect(connection).get_indexes(table, schema=schema):
            options = index.get("dialect_options", {})
            where = [str(v) for k, v in options.items() if k.endswith("_where")]
            found[str(index["name"])] = (tuple(index["column_names"]), where)
    return found


@pytest.fixture
def models_schema(database_url: str, tmp_path: Path) -> Iterator[tuple[Engine, str | None]]:
    """The same tables made straight from the models (no migrations): another SQLite file,
    or another schema of the PostgreSQL database."""
    if database_url.startswith("sqlite"):
        engine, schema = make_engine(f"sqlite:///{tmp_path / 'models.db'}"), None
    else:
        engine, schema = make_engine(database_url), "from_models"
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    tables = [Base.metadata.tables[n] for n in ("sf_sku", "sf_warehouse", *TABLES)]
    with engine.begin() as connection:
        translated = connection.execution_options(schema_translate_map={None: schema})
        Base.metadata.create_all(translated, tables=tables)
    yield engine, schema
    engine.dispose()


def test_the_migrated_indexes_are_the_models(
    database_url: str, models_schema: tuple[Engine, str | None]
) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            migrated = indexes(connection)
        models_engine, schema = models_schema
        with models_engine.connect() as connection:
            declared = indexes(connection, schema)
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        with engine.connect() as connection:
            before = indexes(connection)
        migrate.upgrade(engine)
        with engine.connect() as connection:
            again = indexes(connection)
    finally:
        engine.dispose()
    assert migrated == declared == again
    for name, columns in PARTIAL.items():
        assert migrated[name][0] == columns and len(migrated[name][1]) == 1, name
    for name, columns in WHOLE.items():
        assert migrated[name] == (columns, []), name
    gone = {"ix_sf_lock_expiry", "ix_sf_movement_posting_id", "ix_sf_movement_reference"}
    assert gone <= set(before) and not gone & set(migrated)
    assert before["ix_sf_lock_owner"][1] == []


def explained(connection: Connection, statement: str, parameters: Any) -> str:
    """The plan of a statement as run with its parameters."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)


def plans_on(
    stock: Stock, table: str, index: str, action: Callable[[Connection], object]
) -> list[tuple[str, str]]:
    """Every statement of action that reads table, with its plan.

    SQLite plans without statistics, as it would in a shop: the index it picks is the one it
    uses. PostgreSQL picks by statistics, and any index will do for these tiny tables: there
    the others are dropped (and sequential scans ruled out) to show that this one is usable.
    """
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and re.search(
            rf"FROM {table}\b", statement
        ):
            seen.append((statement, parameters))

    with stock.engine.connect() as connection, connection.begin() as transaction:
        event.listen(connection, "before_cursor_execute", record)
        action(connection)
        event.remove(connection, "before_cursor_execute", record)
        if connection.dialect.name == "postgresql":
            for other in inspect(connection).get_indexes(table):
                if other["name"] != index:
                    connection.exec_driver_sql(f"DROP INDEX {other['name']}")
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plans = [(s, explained(connection, s, p)) for s, p in seen]
        transaction.rollback()
    return plans


LATER = datetime.now(UTC) + timedelta(hours=1)


def sweep(stock: Stock) -> Callable[[Connection], object]:
    return lambda c: locks.release_expired(c, stock.template, LATER, limit=10)


def before_an_attempt(stock: Stock) -> Callable[[Connection], object]:
    sku_id, warehouse_id, _ = stock.ids("A-1", "MAIN")
    return lambda c: locks.release_expired(
        c, stock.template, LATER, sku_id=sku_id, warehouse_id=warehouse_id
    )


def a_documents_locks(stock: Stock) -> Callable[[Connection], object]:
    return lambda c: locks.locks_of(c, document_form="sales_order", document_id=7)


def a_references_locks(stock: Stock) -> Callable[[Connection], object]:
    return lambda c: locks.locks_of(c, reference="order-1")


def a_counts_cuts(stock: Stock) -> Callable[[Connection], object]:
    sku_id, warehouse_id, _ = stock.ids("A-1", "MAIN")
    loss = Move(sku_id, 40_000, Place(warehouse_id, "available"), None, kind="count")
    return lambda c: cuts.plan(c, stock.template, [loss])


def a_documents_movements(stock: Stock) -> Callable[[Connection], object]:
    m = table_of(Movement)
    query = select(m.c.sku_id).where(m.c.document_form == "sales_order", m.c.document_id == 7)
    return lambda c: c.execute(query).all()


@pytest.mark.parametrize(
    ("action", "table", "index"),
    [
        (sweep, "sf_lock", "ix_sf_lock_active_expiry"),
        (before_an_attempt, "sf_lock", "ix_sf_lock_place"),
        (a_documents_locks, "sf_lock", "ix_sf_lock_owner"),
        (a_references_locks, "sf_lock", "ix_sf_lock_reference"),
        (a_counts_cuts, "sf_lock", "ix_sf_lock_place"),
        (a_documents_movements, "sf_movement", "ix_sf_movement_document"),
    ],
)
def test_lookups_of_locks_and_movements_use_their_index(
    stock: Stock,
    action: Callable[[Stock], Callable[[Connection], object]],
    table: str,
    index: str,
) -> None:
    stock.receive("A-1", "MAIN", 50)
    stock.lock("A-1", "MAIN", 10, reference="order-1")
    stock.lock("A-1", "MAIN", 10, document_form="sales_order", document_id=7, line_id=1)
    plans = plans_on(stock, table, index, action(stock))
    assert plans and all(index in plan for _, plan in plans), plans
    # The partial index of active locks says `status = 'active'`: a bound value instead has
    # SQLite plan the statement again on every run (PostgreSQL's generic plans miss it).
    assert not [s for s, _ in plans if re.search(r"status = (\?|%\(\w+\)s)", s)]
