"""Benchmark: lock and release transactions per second through `Stock`, next to raw ceilings.

SQLite (WAL, files on the ordinary disk), at synchronous=FULL and NORMAL:
  * single line: `Stock.lock` then `Stock.release` of 1 unit, each call one transaction,
    against raw sqlite3 doing a conditional UPDATE of the balance plus a ledger INSERT per
    transaction (and SQLAlchemy Core doing the same two statements: the framework's floor);
  * multi-line: lines per second when `Stock.lock_many` locks a 20-line document in one
    transaction, against raw sqlite3 doing 20 conditional UPDATEs + 20 INSERTs in one.
  * pages each lock and release writes to the WAL (so fsyncs at FULL), per table and index.
PostgreSQL: W processes hammer one hot SKU with lock, release, lock...; the engine against raw
psycopg doing the same shape as two statements (UPDATE ... RETURNING, INSERT) and as one (CTE).
Measurements are interleaved in rounds so that load from elsewhere falls on all alike.
Targets: the engine at least 35% of raw sqlite3 at synchronous=FULL (single line), and on
PostgreSQL at least 60% of raw psycopg's two statements (60% of its one statement: stretch).

    python bench/locks.py [--seconds 4] [--pg-seconds 6] [--rounds 8] [--workers 4]
                          [--lines 20] [--pg-url URL | --no-pg] [--no-sqlite] [--profile]
                          [--dir DIR]
"""

from __future__ import annotations

import argparse
import sqlite3
import struct
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    insert,
    update,
)

from _common import (
    MINIMAL,
    PG_URL,
    SCRATCH,
    Alternating,
    Rate,
    count_statements,
    interleave,
    load_average,
    median,
    percentile,
    pg_database,
    print_profile,
    remove_sqlite,
    run_phases,
    serve_phases,
    table,
    verdict,
)
from stockform.database import prepare
from stockform.db import make_engine
from stockform.spec.template import load_template
from stockform.stock.locks import LockRequest
from stockform.stock.service import Stock

TARGET_SHARE = 0.35
PG_TARGET_SHARE = 0.6
STOCK_UNITS = 10_000_000
SYNCS = ("FULL", "NORMAL")
MOVES = (("available", "locked", "lock"), ("locked", "available", "release"))

RAW_SCHEMA = """
CREATE TABLE balance (id INTEGER PRIMARY KEY, available INTEGER NOT NULL,
                      locked INTEGER NOT NULL);
CREATE TABLE ledger (id INTEGER PRIMARY KEY, sku_id INTEGER NOT NULL, qty INTEGER NOT NULL,
                     kind TEXT NOT NULL, from_bucket TEXT, to_bucket TEXT,
                     recorded_at TEXT NOT NULL);
"""


def engine_steps(stock: Stock) -> Alternating:
    """Lock one unit of the hot SKU, release it, lock...: each call one transaction."""
    return Alternating(
        lambda: stock.lock("HOT", "MAIN", 1).id,
        lambda lock_id: stock.release(int(lock_id)),  # type: ignore[call-overload]
    )


# -- SQLite ------------------------------------------------------------------------------------


def sqlite_stock(path: Path, sync: str, lines: int) -> tuple[Stock, list[LockRequest]]:
    """A fresh database with a hot SKU and `lines` SKUs for multi-line documents, all stocked."""
    remove_sqlite(path)
    prepared = prepare(f"sqlite:///{path}", MINIMAL, synchronous=sync)
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    requests = []
    for code in ["HOT"] + [f"L{n:02d}" for n in range(lines)]:
        stock.create_sku(code=code, name=code)
        stock.receive(code, "MAIN", STOCK_UNITS, unit_cost=1)
        sku_id, warehouse_id, _ = stock.ids(code, "MAIN")
        if code != "HOT":
            requests.append(LockRequest(sku_id, warehouse_id, 1000))
    return stock, requests


class DocumentLocks:
    """Lock a document's lines with one `lock_many` per call; `finish` (untimed) releases."""

    def __init__(self, stock: Stock, requests: list[LockRequest]) -> None:
        self.stock, self.requests = stock, requests
        self.held: list[int] = []

    def __call__(self) -> int:
        self.held += [r.id for r in self.stock.lock_many(self.requests)]
        return len(self.requests)

    def finish(self) -> None:
        for lock_id in self.held:
            self.stock.release(lock_id)
        self.held = []


def raw_steps(connection: sqlite3.Connection, ids: range) -> Alternating:
    """Lock one unit of each of ids in one transaction, release them in the next, and so on."""
    statements = [
        (
            f"UPDATE balance SET {source} = {source} - 1, {target} = {target} + 1 "
            f"WHERE id = ? AND {source} >= 1",
            "INSERT INTO ledger (sku_id, qty, kind, from_bucket, to_bucket, recorded_at) "
            f"VALUES (?, 1, '{kind}', '{source}', '{target}', ?)",
        )
        for source, target, kind in MOVES
    ]

    def transaction(change: str, record: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        connection.execute("BEGIN IMMEDIATE")
        for sku_id in ids:
            if connection.execute(change, (sku_id,)).rowcount != 1:
                raise AssertionError("raw balance ran out")
            connection.execute(record, (sku_id, stamp))
        connection.execute("COMMIT")

    return Alternating(
        lambda: transaction(*statements[0]), lambda _: transaction(*statements[1]), len(ids)
    )


def raw_connection(path: Path, sync: str, rows: int) -> sqlite3.Connection:
    remove_sqlite(path)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={sync}")
    connection.executescript(RAW_SCHEMA)
    connection.executemany(
        "INSERT INTO balance VALUES (?, ?, 0)", [(n, STOCK_UNITS) for n in range(1, rows + 1)]
    )
    return connection


def core_steps(engine: Engine) -> Alternating:
    """The raw two statements as prebuilt SQLAlchemy Core, through the engine's `make_engine`."""
    metadata = MetaData()
    balance = Table(
        "balance",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("available", Integer, nullable=False),
        Column("locked", Integer, nullable=False),
    )
    ledger = Table(
        "ledger",
        metadata,
        Column("id", Integer, primary_key=True),
        *[Column(name, Integer, nullable=False) for name in ("sku_id", "qty")],
        *[Column(name, Text) for name in ("kind", "from_bucket", "to_bucket", "recorded_at")],
    )
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(balance), {"id": 1, "available": STOCK_UNITS, "locked": 0})
    steps = []
    for source, target, kind in MOVES:
        change = (
            update(balance)
            .where(balance.c.id == bindparam("b_id"), balance.c[source] >= 1)
            .values({source: balance.c[source] - 1, target: balance.c[target] + 1})
        )
        row = {"sku_id": 1, "qty": 1, "kind": kind, "from_bucket": source, "to_bucket": target}
        steps.append((change, insert(ledger), row))

    def transaction(change: Any, record: Any, row: dict[str, Any]) -> None:
        with engine.begin() as connection:
            if connection.execute(change, {"b_id": 1}).rowcount != 1:
                raise AssertionError("core balance ran out")
            connection.execute(record, {**row, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S")})

    return Alternating(lambda: transaction(*steps[0]), lambda _: transaction(*steps[1]))


def statements_per_call(stock: Stock) -> dict[str, int]:
    """How many SQL statements one lock and one release send (BEGIN and COMMIT not counted)."""
    held: list[int] = []
    return {
        "lock": count_statements(
            stock.engine, lambda: held.append(stock.lock("HOT", "MAIN", 1).id)
        ),
        "release": count_statements(stock.engine, lambda: stock.release(held.pop())),
    }


def wal_pages(path: Path, action: Callable[[], object]) -> list[str]:
    """The b-tree (table or index) of every page one transaction writes to the WAL.

    The WAL is emptied first (a TRUNCATE checkpoint), so after the action it holds that
    transaction's frames only: one per page written, each fsynced at synchronous=FULL. The
    24-byte frame header starts with the page's number; `dbstat` names its b-tree.
    """
    side = sqlite3.connect(path, isolation_level=None)
    try:
        side.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        action()
        data = Path(f"{path}-wal").read_bytes()
        page_size = struct.unpack(">I", data[8:12])[0]
        numbers = [
            struct.unpack(">I", data[at : at + 4])[0]
            for at in range(32, len(data) - 23, 24 + page_size)
        ]
        owners = dict(side.execute("SELECT pageno, name FROM dbstat"))
    finally:
        side.close()
    return [owners.get(n, f"page {n}") for n in numbers]


def pages_per_call(stock: Stock, path: Path, runs: int = 20) -> dict[str, Counter[str]]:
    """Pages a lock and a release of the hot SKU write, per b-tree, averaged over runs."""
    found: dict[str, Counter[str]] = {"lock": Counter(), "release": Counter()}
    held: list[int] = []
    for _ in range(runs):
        found["lock"].update(wal_pages(path, lambda: held.append(stock.lock("HOT", "MAIN", 1).id)))
        found["release"].update(wal_pages(path, lambda: stock.release(held.pop())))
    return found


def show_pages(pages: dict[str, Counter[str]], runs: int = 20) -> str:
    lines = []
    for call, counts in pages.items():
        where = ", ".join(f"{name} {n / runs:g}" for name, n in counts.most_common())
        lines.append(f"  {call}: {sum(counts.values()) / runs:g} ({where})")
    return "\n".join(lines)


def bench_sqlite(args: argparse.Namespace) -> list[tuple[str, bool | None, str]]:
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    single: list[list[object]] = []
    multi: list[tuple[str, Rate, float]] = []
    shares: dict[str, float] = {}
    ms: dict[str, float] = {}  # milliseconds per transaction, by variant and synchronous
    cpu: dict[str, float] = {}  # CPU milliseconds of this process per transaction, likewise
    for sync in SYNCS:
        stock, requests = sqlite_stock(folder / f"locks-engine-{sync}.db", sync, args.lines)
        engine_steps(stock)()  # warm up SQLAlchemy's statement cache
        statements = statements_per_call(stock)
        if sync == "FULL":
            pages = pages_per_call(stock, folder / f"locks-engine-{sync}.db")
        raw = raw_connection(folder / f"locks-raw-{sync}.db", sync, args.lines)
        remove_sqlite(folder / f"locks-core-{sync}.db")
        core_engine = make_engine(f"sqlite:///{folder / f'locks-core-{sync}.db'}", synchronous=sync)
        one, rounds = interleave(
            {
                "engine": engine_steps(stock),
                "core": core_steps(core_engine),
                "raw": raw_steps(raw, range(1, 2)),
            },
            args.seconds,
            args.rounds,
        )
        many, _ = interleave(
            {
                "engine": DocumentLocks(stock, requests),
                "raw": raw_steps(raw, range(1, args.lines + 1)),
            },
            args.seconds,
            args.rounds,
        )
        if args.profile and sync == "NORMAL":
            profile(stock)
        for engine in (stock.engine, core_engine):
            engine.dispose()
        raw.close()
        for kind in ("engine", "raw", "core"):
            remove_sqlite(folder / f"locks-{kind}-{sync}.db")
        # The median of the rounds' ratios is robust to a burst of load (or of slow fsyncs)
        # in one round; the range shows how much the rounds disagreed.
        for name, label in (
            ("engine", "Stock.lock / Stock.release"),
            ("core", "SQLAlchemy Core, same 2 statements"),
            ("raw", "raw sqlite3 UPDATE + INSERT"),
        ):
            ratios = sorted(r[name] / r["raw"] for r in rounds)
            rate = one[name].per_second
            spread = f"{ratios[0]:.0%}-{ratios[-1]:.0%}" if name != "raw" else ""
            ms[f"{name} {sync}"] = 1000 / rate
            cpu[f"{name} {sync}"] = one[name].cpu_ms
            single.append(
                [
                    f"{label} ({sync})",
                    rate,
                    1000 / rate,
                    one[name].cpu_ms,
                    f"{median(ratios):.0%}",
                    spread,
                ]
            )
        shares[sync] = median([r["engine"] / r["raw"] for r in rounds])
        multi += [
            (f"Stock.lock_many, {args.lines} lines ({sync})", many["engine"], _of(many, "engine")),
            (f"raw sqlite3, {args.lines} x (UPDATE + INSERT) ({sync})", many["raw"], 1.0),
        ]
        if sync == "FULL":
            document_rate, document_share = many["engine"].per_second, _of(many, "engine")
    print(f"\nSQLite, WAL, files in {folder}; {args.rounds} interleaved rounds; {load_average()}")
    headers = [
        "single line, one transaction per call",
        "tx/s",
        "ms/tx",
        "CPU ms/tx",
        "of raw",
        "rounds",
    ]
    print(table(headers, single))
    print(
        f"statements per call, without BEGIN/COMMIT: lock {statements['lock']} (its UPDATE "
        f"looks the codes up), release {statements['release']}; raw 2"
    )
    print("pages written to the WAL per call (raw: 2, the balance and the ledger row):")
    print(show_pages(pages))
    # At FULL every commit waits for an fsync, whose cost swings with other disk traffic; the
    # engine's own cost per transaction is its time at NORMAL. Together they say what share a
    # steady disk would show. CPU time hardly moves when other work loads the machine.
    fsync, own = ms["raw FULL"] - ms["raw NORMAL"], ms["engine NORMAL"]
    print(
        f"fsync per commit (raw FULL - raw NORMAL): {fsync:.2f} ms; engine's own time per "
        f"transaction (NORMAL): {own:.2f} ms ({cpu['engine NORMAL']:.2f} ms CPU; raw "
        f"{cpu['raw NORMAL']:.3f}, Core {cpu['core NORMAL']:.3f}); so with this fsync the FULL "
        f"share would be {ms['raw FULL'] / (own + fsync):.0%}"
    )
    print()
    print(
        table(
            ["document locked in one transaction", "lines/s", "docs/s", "of raw"],
            [
                [name, rate.per_second, rate.per_second / args.lines, f"{share:.0%}"]
                for name, rate, share in multi
            ],
        )
    )
    return [
        (
            f"SQLite FULL: engine >= {TARGET_SHARE:.0%} of raw lock/release tx/s",
            shares["FULL"] >= TARGET_SHARE,
            f"{shares['FULL']:.0%}; NORMAL {shares['NORMAL']:.0%}, no target",
        ),
        (
            f"SQLite FULL: {args.lines}-line documents",
            None,
            f"{document_rate:,.0f} lines/s, {document_share:.1%} of raw, no target",
        ),
    ]


def _of(rates: dict[str, Rate], name: str) -> float:
    return rates[name].per_second / rates["raw"].per_second


def profile(stock: Stock, pairs: int = 1000) -> None:
    """Where a lock + release spends its time (cProfile, synchronous=NORMAL)."""
    step = engine_steps(stock)
    title = f"{pairs} lock + release pairs at synchronous=NORMAL"
    print_profile(title, lambda: [step() for _ in range(2 * pairs)], r"stockform|engine/base.py")
    step.finish()


# -- PostgreSQL --------------------------------------------------------------------------------

PG_RAW_SCHEMA = (
    "CREATE TABLE bench_balance (id bigint PRIMARY KEY, available bigint NOT NULL,"
    " locked bigint NOT NULL)",
    "CREATE TABLE bench_ledger (id bigserial PRIMARY KEY, sku_id bigint NOT NULL,"
    " qty bigint NOT NULL, kind text NOT NULL, from_bucket text, to_bucket text,"
    " recorded_at timestamptz NOT NULL)",
)
PG_VARIANTS = {
    "engine": "Stock.lock / Stock.release",
    "two": "raw psycopg: UPDATE..RETURNING; INSERT",
    "one": "raw psycopg: one statement (CTE)",
}


def pg_statements(variant: str, source: str, target: str, kind: str) -> list[str]:
    change = (
        f"UPDATE bench_balance SET {source} = {source} - 1, {target} = {target} + 1 "
        f"WHERE id = %(id)s AND {source} >= 1 RETURNING id"
    )
    record = "INSERT INTO bench_ledger (sku_id, qty, kind, from_bucket, to_bucket, recorded_at) "
    values = f"1, '{kind}', '{source}', '{target}', now()"
    if variant == "two":
        return [change, f"{record} VALUES (%(id)s, {values}) RETURNING id"]
    return [f"WITH u AS ({change}) {record} SELECT u.id, {values} FROM u RETURNING id"]


def psycopg_steps(connection: Any, variant: str) -> Alternating:
    def transaction(statements: list[str]) -> None:
        for statement in statements:
            if connection.execute(statement, {"id": 1}).fetchone() is None:
                raise AssertionError("raw balance ran out")
        connection.commit()

    lock, release = (pg_statements(variant, *move) for move in MOVES)
    return Alternating(lambda: transaction(lock), lambda _: transaction(release))


def pg_worker(url: str, phases: list[tuple[str, float]], barrier: Any, results: Any) -> None:
    """One writer process: every phase starts together with the other writers' same phase."""
    import psycopg

    stock = Stock(make_engine(url), load_template(MINIMAL))
    connection = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
    steps = {"engine": engine_steps(stock)}
    steps.update({v: psycopg_steps(connection, v) for v in ("two", "one")})
    serve_phases(steps, phases, barrier, results)
    stock.engine.dispose()
    connection.close()


def bench_postgresql(args: argparse.Namespace) -> list[tuple[str, bool | None, str]]:
    import psycopg

    with pg_database(args.pg_url, "stockform_bench") as url:
        prepared = prepare(url, MINIMAL)
        stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
        stock.create_sku(code="HOT", name="HOT")
        stock.receive("HOT", "MAIN", STOCK_UNITS, unit_cost=1)
        prepared.engine.dispose()
        plain = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(plain) as connection:
            for statement in PG_RAW_SCHEMA:
                connection.execute(statement)
            connection.execute("INSERT INTO bench_balance VALUES (1, %s, 0)", (STOCK_UNITS,))
            settings = [
                f"{name}={connection.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
                for name in ("server_version", "synchronous_commit", "fsync")
            ]
        rates = run_phases(
            pg_worker, (url,), list(PG_VARIANTS), args.workers, args.pg_seconds, args.rounds
        )
        with psycopg.connect(plain) as connection:
            locked = [
                connection.execute(query).fetchone()
                for query in (
                    "SELECT locked FROM bench_balance",
                    "SELECT b_locked FROM sf_balance WHERE batch_id = 0",
                )
            ]
    best = max(rates["two"].per_second, rates["one"].per_second)
    print(
        f"\nPostgreSQL ({', '.join(settings)}): {args.workers} writer processes, one hot SKU, "
        f"{args.pg_seconds:g} s per variant in {args.rounds} interleaved rounds; {load_average()}"
    )
    rows = [
        [
            label,
            rates[v].per_second,
            f"{rates[v].per_second / best:.0%}",
            median(rates[v].latencies),
            percentile(rates[v].latencies, 99),
        ]
        for v, label in PG_VARIANTS.items()
    ]
    headers = ["lock / release, one transaction each", "tx/s", "of best raw", "p50 ms", "p99 ms"]
    print(table(headers, rows))
    print(f"all locks released afterwards (locked = 0 in both tables): {locked == [(0,), (0,)]}")
    two, one = (rates["engine"].per_second / rates[v].per_second for v in ("two", "one"))
    p99 = percentile(rates["engine"].latencies, 99)
    return [
        (
            f"PostgreSQL, {args.workers} writers: engine >= {PG_TARGET_SHARE:.0%} of raw psycopg "
            "(two statements)",
            two >= PG_TARGET_SHARE,
            f"{two:.0%}; of one statement {one:.0%}, the stretch goal; engine p99 {p99:.1f} ms",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4, help="per SQLite measurement")
    parser.add_argument("--pg-seconds", type=float, default=6, help="per PostgreSQL variant")
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds")
    parser.add_argument("--workers", type=int, default=4, help="PostgreSQL writer processes")
    parser.add_argument("--lines", type=int, default=20, help="lines of a multi-line document")
    parser.add_argument("--pg-url", default=PG_URL, help="server for database stockform_bench")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--profile", action="store_true", help="cProfile lock + release")
    parser.add_argument("--dir", default=str(SCRATCH), help="folder for SQLite files (a disk)")
    args = parser.parse_args()
    verdicts = []
    if not args.no_sqlite:
        verdicts += bench_sqlite(args)
    if not args.no_pg:
        verdicts += bench_postgresql(args)
    print()
    for name, met, detail in verdicts:
        print(f"{name}: {'reported' if met is None else verdict(met)} ({detail})")


if __name__ == "__main__":
    main()
