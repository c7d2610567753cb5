"""Benchmark: one page of a filtered, ordered stock list over 100k SKUs x 5 warehouses (SQLite).

`Stock.query(where="sellable < sku.min_stock", order="sellable", per_page=50)` against the
same question written by hand in SQL and run by sqlite3 on the same file (the raw ceiling).
A fifth of the SKUs have three batches each (batch rows plus the batch-0 total row, as the
engine stores them); about 10% of (SKU, warehouse) rows match. Target: under 100 ms.

The data goes straight into the engine's tables after `prepare()` (executemany, one
transaction) and the file is kept for the next run while the parameters and template match.

    python bench/stock_query.py [--skus 100000] [--warehouses 5] [--runs 15] [--rebuild]
                                [--profile] [--dir DIR]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from _common import (
    SCRATCH,
    cached_database,
    load_average,
    median,
    print_profile,
    table,
    template_copy,
    timed_cpu,
    verdict,
)
from stockform.database import prepare
from stockform.spec.model import Template
from stockform.spec.template import load_template
from stockform.stock.service import Stock

TARGET_MS = 100.0
GENERATOR = 3  # bump when the generated data changes, so cached files are rebuilt
BATCHED_SHARE = 5  # one SKU in five has batches
BATCHES = 3
LOW_SHARE = 0.10  # (SKU, warehouse) rows with sellable < min_stock
SEED = 20261125
WHERE, ORDER, PER_PAGE = "sellable < sku.min_stock", "sellable", 50
SKU_FIELDS = ["min_stock: {type: decimal, default: 0}"]

# Written as a person would on this schema: the stored quantity columns; the page, then the
# total (HAND_COUNT_SQL), as the engine does.
HAND_SQL = """
SELECT s.code, b.b_available, b.b_locked, b.q_physical, b.q_sellable, w.code,
       NULL AS total
FROM sf_balance b
JOIN sf_sku s ON s.id = b.sku_id
JOIN sf_warehouse w ON w.id = b.warehouse_id
WHERE b.batch_id = 0 AND b.q_sellable < s.f_min_stock
ORDER BY b.q_sellable, b.id
LIMIT 50
"""
HAND_COUNT_SQL = """
SELECT count(*) FROM sf_balance b JOIN sf_sku s ON s.id = b.sku_id
WHERE b.batch_id = 0 AND b.q_sellable < s.f_min_stock
"""


def build(path: Path, template: Template, skus: int, warehouses: list[int]) -> dict[str, int]:
    """Fill the engine's tables of a prepared database in one transaction; returns row counts."""
    rng = random.Random(SEED)
    draw = rng.random

    def between(low: int, high: int) -> int:  # randint's distribution, five times faster
        return low + int(draw() * (high - low + 1))

    sku_rows, batch_rows, balance_rows = [], [], []
    received = "2026-01-01 00:00:00.000000"
    batch_id = 0
    for sku_id in range(1, skus + 1):
        safety, minimum = between(0, 5), between(5, 50)
        batched = sku_id % BATCHED_SHARE == 0
        sku_rows.append(
            (sku_id, f"SKU{sku_id:07d}", f"Item {sku_id}", "pcs", 0, None, batched, True)
            + (between(1, 999) * 10_000, safety * 1000, minimum * 1000)
        )
        ids = []
        for n in range(BATCHES if batched else 0):
            batch_id += 1
            ids.append(batch_id)
            expiry = (date(2027, 1, 1) + timedelta(days=between(0, 365))).isoformat()
            batch_rows.append((batch_id, sku_id, f"B{n + 1}", expiry, received))
        for warehouse_id in warehouses:
            floor = safety + minimum  # sellable < min_stock exactly when available < floor
            low = draw() < LOW_SHARE
            available = between(0, floor - 1) if low else between(floor, floor + 500)
            locked = between(0, 20)
            balance_rows.append((sku_id, warehouse_id, 0, available * 1000, locked * 1000))
            if ids:
                parts = zip(ids, _split(between, available), _split(between, locked), strict=True)
                for batch, part_available, part_locked in parts:
                    balance_rows.append(
                        (sku_id, warehouse_id, batch, part_available * 1000, part_locked * 1000)
                    )
    fields = ", ".join(f"f_{name}" for name in template.sku.fields)
    assert fields == "f_list_price, f_safety_stock, f_min_stock", fields
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("BEGIN")
    # Secondary indexes are dropped and made again from their own SQL after the load: the
    # same schema, built from sorted data instead of row by row.
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('sf_sku', 'sf_batch', 'sf_balance')"
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    connection.executemany(
        "INSERT INTO sf_sku (id, code, name, unit, precision, barcode, batches, active, "
        f"{fields}) VALUES ({', '.join('?' * 11)})",
        sku_rows,
    )
    connection.executemany(
        "INSERT INTO sf_batch (id, sku_id, code, expiry, received_at) VALUES (?, ?, ?, ?, ?)",
        batch_rows,
    )
    connection.executemany(
        "INSERT INTO sf_balance (sku_id, warehouse_id, batch_id, b_available, b_locked) "
        "VALUES (?, ?, ?, ?, ?)",
        balance_rows,
    )
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return {"sf_sku": len(sku_rows), "sf_batch": len(batch_rows), "sf_balance": len(balance_rows)}


def _split(between: Callable[[int, int], int], total: int) -> list[int]:
    """total split into BATCHES non-negative parts."""
    cuts = sorted(between(0, total) for _ in range(BATCHES - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def database(args: argparse.Namespace, folder: Path) -> tuple[Stock, Path, str]:
    """A prepared database holding the benchmark's data: the cached one when it matches."""
    scratch = Path(args.dir)
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"stock-query-{args.skus}x{args.warehouses}.db"
    # A changed generator, size or template (its fingerprint) makes a new file.
    source = {
        "generator": GENERATOR,
        "skus": args.skus,
        "warehouses": args.warehouses,
        "template": load_template(folder).fingerprint,
    }
    origin = cached_database(
        path,
        source,
        folder,
        lambda file, template, ids: build(file, template, args.skus, list(ids.values())),
        rebuild=args.rebuild,
        recompute_quantities=True,
    )
    prepared = prepare(f"sqlite:///{path}", folder)
    return Stock(prepared.engine, prepared.template), path, origin


def engine_sql(stock: Stock) -> list[tuple[str, Any]]:
    """The statements the engine sends for the benchmark's query, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(stock.engine, "before_cursor_execute", keep)
    try:
        stock.query(where=WHERE, order=ORDER, per_page=PER_PAGE)
    finally:
        event.remove(stock.engine, "before_cursor_execute", keep)
    return [(s, p) for s, p in seen if s.lstrip().startswith("SELECT")]


def run_all(raw: sqlite3.Connection, statements: list[tuple[str, Any]]) -> list[Any]:
    return [raw.execute(s, p).fetchall() for s, p in statements]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--warehouses", type=int, default=5)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached database")
    parser.add_argument("--profile", action="store_true", help="cProfile Stock.query")
    parser.add_argument("--dir", default=str(SCRATCH), help="folder for the database (a disk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = template_copy(Path(tmp), warehouses=args.warehouses, sku_fields=SKU_FIELDS)
        stock, path, origin = database(args, folder)

        def query() -> Any:
            return stock.query(where=WHERE, order=ORDER, per_page=PER_PAGE)

        raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        statements = engine_sql(stock)
        hand_pair = [(HAND_SQL, ()), (HAND_COUNT_SQL, ())]
        for _ in range(2):  # warm the page cache, SQLAlchemy's statement cache, the pool
            page = query()
            hand = run_all(raw, hand_pair)[0]
        engine_ms, engine_cpu = timed_cpu(query, args.runs)
        hand_ms, hand_cpu = timed_cpu(lambda: run_all(raw, hand_pair), args.runs)
        generated_ms, generated_cpu = timed_cpu(lambda: run_all(raw, statements), args.runs)
        if args.profile:
            print_profile("10 calls of Stock.query", lambda: [query() for _ in range(10)], ".")
        balance_rows = raw.execute("SELECT count(*) FROM sf_balance WHERE batch_id = 0").fetchone()
        raw.close()
        stock.engine.dispose()
    same = [(r.sku, r.warehouse) for r in page.items] == [(r[0], r[5]) for r in hand]
    share = page.total / balance_rows[0]
    print(f"database {path} ({path.stat().st_size / 2**20:.0f} MiB): {origin}")
    print(
        f"query: where={WHERE!r}, order={ORDER!r}, per_page={PER_PAGE}: "
        f"{page.total:,} of {balance_rows[0]:,} (SKU, warehouse) rows match ({share:.1%}); "
        f"same page as the hand-written SQL: {same}"
    )
    rows = [
        [name, median(wall), min(wall), median(cpu)]
        for name, wall, cpu in (
            ("Stock.query (first page + total)", engine_ms, engine_cpu),
            ("engine's generated SQL (page + count), sqlite3", generated_ms, generated_cpu),
            ("hand-written SQL, page + count, sqlite3 (raw)", hand_ms, hand_cpu),
        )
    ]
    print(load_average())
    print(table([f"warm, {args.runs} runs", "median ms", "min ms", "CPU ms"], rows))
    met = median(engine_ms) < TARGET_MS
    print(
        f"target < {TARGET_MS:.0f} ms: {verdict(met)} ({median(engine_ms):.1f} ms, "
        f"{median(engine_ms) / median(hand_ms):.2f}x the hand-written SQL)"
    )


if __name__ == "__main__":
    main()
