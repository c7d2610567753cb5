"""`Direct`: statements compiled once and sent straight to the driver behave as `execute`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    exc,
    func,
    select,
    update,
)

from stockform import db
from stockform.db import Direct, _numbered, make_engine
from stockform.stock.tables import UtcDateTime

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("code", String(16), unique=True, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", UtcDateTime),
)
INSERT = Direct(
    things.insert()
    .values(code=bindparam("code"), qty=bindparam("qty"), status="active", at=bindparam("at"))
    .returning(things.c.id, things.c.at)
)
ACTIVE = Direct(
    select(things.c.code, things.c.at)
    .where(things.c.status == "active", things.c.qty % bindparam("step") == 0)
    .order_by(things.c.code)
)
TAKE = Direct(
    update(things)
    .where(things.c.code == bindparam("code"), things.c.qty >= bindparam("n"))
    .values(qty=things.c.qty - bindparam("n"))
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, synchronous="NORMAL")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_values_and_rows_go_through_the_column_types(engine: Engine) -> None:
    shanghai = datetime(2026, 11, 25, 18, 30, tzinfo=timezone(timedelta(hours=8)))
    with engine.begin() as connection:
        made = INSERT.first(connection, {"code": "A", "qty": 6, "at": shanghai})
        INSERT.first(connection, {"code": "B", "qty": 5, "at": None})
    assert made.at == datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
    with engine.connect() as connection:
        stored = connection.execute(select(things.c.at).where(things.c.code == "A")).scalar()
        rows = ACTIVE.rows(connection, {"step": 3})
    assert stored == shanghai
    assert [(r.code, r.at) for r in rows] == [("A", shanghai)]


def test_execute_counts_the_rows_changed(engine: Engine) -> None:
    with engine.begin() as connection:
        INSERT.first(connection, {"code": "A", "qty": 2, "at": None})
        assert TAKE.execute(connection, {"code": "A", "n": 3}) == 0
        assert TAKE.execute(connection, {"code": "A", "n": 2}) == 1
        left = connection.execute(select(things.c.qty)).scalar()
    assert left == 0


def test_driver_errors_come_out_as_sqlalchemy_errors(engine: Engine) -> None:
    with engine.begin() as connection:
        INSERT.first(connection, {"code": "A", "qty": 1, "at": None})
    with pytest.raises(exc.IntegrityError) as raised, engine.begin() as connection:
        INSERT.first(connection, {"code": "A", "qty": 1, "at": None})
    assert "INSERT INTO things" in str(raised.value)


def test_a_connection_outside_a_transaction_begins_one(engine: Engine) -> None:
    with engine.connect() as connection:
        INSERT.first(connection, {"code": "A", "qty": 1, "at": None})
        assert connection.in_transaction()
        connection.rollback()
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(things)).scalar() == 0


def test_postgresql_placeholders_are_numbered_once_per_name() -> None:
    sql = "SELECT %(a)s::BIGINT %% %(b)s, %(a)s WHERE x LIKE 'y%%'"
    assert _numbered(sql) == ("SELECT $1::BIGINT % $2, $1 WHERE x LIKE 'y%'", ["a", "b"])


@pytest.mark.postgresql
def test_only_connections_idle_for_a_while_are_pinged(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(postgresql_url)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    for _ in range(3):
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    assert pings == []
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert len(pings) == 1
    engine.dispose()


@pytest.mark.postgresql
def test_a_connection_the_server_dropped_is_replaced_before_use(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)
    engine = make_engine(postgresql_url)
    with engine.connect() as connection:
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = create_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
    admin.dispose()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
    engine.dispose()
