"""Database engines: SQLite tuned for a small shop, PostgreSQL for many processes.

Plain SQLAlchemy; the core packages receive an Engine or Connection as an argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite

# Execution option that marks a transaction as read-only, so SQLite may start it deferred.
READ_ONLY = {"stockform_read_only": True}


def make_engine(url: str, *, synchronous: str = "FULL", **kwargs: Any) -> Engine:
    """An Engine for url; SQLite gets WAL, a busy timeout, foreign keys and synchronous=FULL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
    _tune_sqlite(engine, synchronous)
    return engine


def _tune_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # FULL: a committed movement survives a power cut. NORMAL is faster but may lose the
        # last transactions on power loss (never corrupts); see the SQLITE_SYNCHRONOUS setting.
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that later tries to
        # write can fail with "database is locked" instead of waiting its turn.
        if connection.get_execution_options().get("stockform_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(engine_or_connection: Any) -> bool:
    return bool(engine_or_connection.dialect.name == "sqlite")


def insert_for(connection: Connection, table: Table) -> Any:
    """An INSERT that can take ON CONFLICT clauses on this connection's database."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
