"""Database engines: SQLite tuned for a small shop, PostgreSQL for many processes.

Plain SQLAlchemy; the core packages receive an Engine or Connection as an argument.
"""

from __future__ import annotations

import re
import time
from collections import namedtuple
from collections.abc import Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, create_engine, event, exc, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

# Execution option that marks a transaction as read-only, so SQLite may start it deferred.
READ_ONLY = {"stockform_read_only": True}


def make_engine(url: str, *, synchronous: str = "FULL", **kwargs: Any) -> Engine:
    """An Engine for url; SQLite gets WAL, a busy timeout, foreign keys and synchronous=FULL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, **kwargs)
        _ping_idle_connections(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
    _tune_sqlite(engine, synchronous)
    return engine


# A pooled connection idle this long (seconds) is pinged before use; one in use moments ago is
# trusted, as HikariCP's aliveBypassWindowMs does. `pool_pre_ping` would ping before every
# transaction: a round trip that costs a busy lock path a quarter of its time.
PING_AFTER_IDLE = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return  # fresh, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # As pool_pre_ping does: the server went away, so did every pooled connection;
            # the pool connects anew.
            raise exc.InvalidatePoolError() from error


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
        read_only = connection.get_execution_options().get("stockform_read_only")
        statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        # Straight to the driver, as `Direct` does: every transaction starts here.
        dbapi_connection = connection.connection.dbapi_connection
        try:
            dbapi_connection.execute(statement)
        except dbapi_connection.Error as error:
            raise exc.DBAPIError.instance(
                statement, (), error, dbapi_connection.Error, dialect=connection.dialect
            ) from error


def is_sqlite(engine_or_connection: Any) -> bool:
    return bool(engine_or_connection.dialect.name == "sqlite")


def insert_for(connection: Connection, table: Table) -> Any:
    """An INSERT that can take ON CONFLICT clauses on this connection's database."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class Direct:
    """A Core statement compiled once per database and sent straight to the DBAPI cursor.

    For the few statements of the lock path, run thousands of times a second: there
    `Connection.execute` spends more on the cache key, execution context and result object
    than SQLite spends running them. Values go through the columns' types as they would
    there, and DBAPI errors come out as SQLAlchemy's; execution events do not fire.
    """

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._forms: dict[str, _Form] = {}

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> int:
        """Run the statement; returns how many rows it changed."""
        cursor = self._run(connection, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Run the statement; returns its rows (named tuples, values converted by type)."""
        form = self._form(connection)
        cursor = self._run(connection, params, form)
        try:
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        processors = form.results
        if any(processors):
            fetched = [
                [p(v) if p else v for p, v in zip(processors, row, strict=True)] for row in fetched
            ]
        return [form.row(*values) for values in fetched]

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """The first row, or None."""
        found = self.rows(connection, params)
        return found[0] if found else None

    def _form(self, connection: Connection) -> _Form:
        dialect = connection.dialect
        form = self._forms.get(dialect.driver)
        if form is None:
            form = self._forms[dialect.driver] = _Form(self.statement, dialect)
        return form

    def _run(self, connection: Connection, params: Mapping[str, Any], form: Any = None) -> Any:
        form = form or self._form(connection)
        values = form.values(params)
        if not connection.in_transaction():
            connection.begin()  # as `Connection.execute` begins one
        cursor = form.cursor(connection.connection.dbapi_connection)
        try:
            cursor.execute(form.sql, values)
        except form.dbapi_error as error:
            cursor.close()
            raise exc.DBAPIError.instance(
                form.sql, values, error, form.dbapi_error, dialect=connection.dialect
            ) from error
        return cursor


class _Form:
    """A statement as one dialect sends it: SQL text, parameter order, type conversions."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        if compiled.post_compile_params or compiled.escaped_bind_names:
            raise ValueError("Direct runs statements without expanding or escaped parameters")
        self.sql = compiled.string
        self.dbapi_error = dialect.loaded_dbapi.Error
        self.cursor = _cursor
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        self.positional = dialect.positional
        names = compiled.positiontup if self.positional else list(binds)
        if dialect.driver == "psycopg":
            # PostgreSQL's own $n placeholders, numbered once here: for %(name)s psycopg
            # would parse every statement again on every run (it caches only short ones).
            self.sql, names = _numbered(self.sql)
            self.positional = True
            self.cursor = dialect.loaded_dbapi.RawCursor
        assert names is not None
        self.names = list(names)
        # Values the statement carries itself (literals compared with), and type conversions.
        self.fixed = {n: binds[n].effective_value for n in names if not binds[n].required}
        self.processors = [
            (i, processor)
            for i, name in enumerate(names)
            if (processor := binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        ]
        self.pick = itemgetter(*names) if len(names) > 1 else lambda p: tuple(p[n] for n in names)
        columns = list(getattr(statement, "exported_columns", ()))
        self.results = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ]
        self.row = namedtuple("Row", [c.key for c in columns], rename=True)  # type: ignore[misc]

    def values(self, params: Mapping[str, Any]) -> Any:
        picked = self.pick({**self.fixed, **params} if self.fixed else params)
        if self.processors:
            picked = list(picked)
            for index, processor in self.processors:
                picked[index] = processor(picked[index])
        if self.positional:
            return tuple(picked)
        return dict(zip(self.names, picked, strict=True))


def _cursor(connection: Any) -> Any:
    return connection.cursor()


def _numbered(sql: str) -> tuple[str, list[str]]:
    """pyformat SQL with $1, $2, ... for its %(name)s parameters; the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"  # an escaped percent sign: the modulo operator
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return re.sub(r"%\((\w+)\)s|%%", number, sql), names
