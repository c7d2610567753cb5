"""Benchmark: the turnover report over a ledger of 1M movements (SQLite).

`reports.turnover.turnover(...)` per SKU over the last 30 days of a year of history (10,000
SKUs at the retail starter's two warehouses), against the same question written by hand in SQL
and run by sqlite3 on the same file (the raw ceiling): cost of goods sold and the sum of the
daily closing values per SKU, the day taken with a fixed +8 hours (the engine also handles
daylight-saving zones) and the division left to SQL's floating point. Both read every movement:
the opening value needs the whole history. Target: under 2 s.

It also times the dashboard (`reports.dashboard.summary`, the page after signing in) over the
same period, against hand-written SQL for the figures SQL alone can give (`HAND_DASHBOARD`:
closing and sellable value, COGS and daily values per category in one pass over both ends of
every movement, the value per day, the slow movers' last outs); the ageing chart has no
hand-written counterpart, so that ceiling leaves it out. Reported, no target.

The ledger goes straight into sf_movement after `prepare()` (executemany, one transaction):
receipts from outside at a unit cost, locks and releases (inside a warehouse: no value),
sales out of `locked`, transfers SH -> BJ (in transit) and their arrivals, counts. The file is
kept for the next run while the parameters and the template match.

    python bench/reports.py [--movements 1000000] [--skus 10000] [--days 365] [--runs 5]
                            [--rebuild] [--profile] [--dir DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from _common import (
    ROOT,
    SCRATCH,
    cached_database,
    load_average,
    median,
    print_profile,
    table,
    timed_cpu,
    verdict,
)
from stockform.database import prepare
from stockform.db import READ_ONLY
from stockform.reports.dashboard import summary
from stockform.reports.period import Period, make_period
from stockform.reports.turnover import turnover
from stockform.spec.template import load_template

TARGET_MS = 2000.0
GENERATOR = 1  # bump when the generated data changes, so cached files are rebuilt
SEED = 20261125
RETAIL = ROOT / "templates_lib" / "retail"
ZONE = ZoneInfo("Asia/Shanghai")
END = date(2026, 11, 24)  # the last day of the history and of the report's period
CATEGORIES = ("apparel", "electronics", "home")  # food is tracked by batch: left out
# kind, share of the movements
MIX = (
    ("receipt", 0.14),
    ("lock", 0.30),
    ("release", 0.06),
    ("sale", 0.28),
    ("transfer", 0.06),
    ("arrival", 0.06),
    ("count", 0.10),
)

# Written as a person would on this schema: both ends of every movement that crosses a
# warehouse's walls, the day from julianday with the zone's fixed offset, one GROUP BY.
HAND_SQL = """
WITH sides AS (
  SELECT sku_id, qty * unit_cost AS v, effective_at, kind, 0 AS leaving
  FROM sf_movement
  WHERE to_warehouse_id IS NOT NULL AND effective_at < :end
    AND (from_warehouse_id IS NULL OR from_warehouse_id <> to_warehouse_id)
  UNION ALL
  SELECT sku_id, -qty * unit_cost, effective_at, kind, 1
  FROM sf_movement
  WHERE from_warehouse_id IS NOT NULL AND effective_at < :end
    AND (to_warehouse_id IS NULL OR from_warehouse_id <> to_warehouse_id)
),
per_sku AS (
  SELECT sku_id,
    SUM(CASE WHEN leaving = 1 AND kind = 'sale' AND effective_at >= :start THEN -v ELSE 0 END)
      AS cogs,
    SUM(v * CASE WHEN effective_at < :start THEN :days
                 ELSE :days - CAST(julianday(effective_at, '+8 hours') - julianday(:first)
                                   AS INTEGER) END) AS daily_sum
  FROM sides GROUP BY sku_id
)
SELECT s.code, p.cogs, p.daily_sum,
  CASE WHEN p.daily_sum > 0 THEN p.cogs * 1.0 * :days / p.daily_sum END AS turnover,
  CASE WHEN p.daily_sum > 0 AND p.cogs > 0 THEN p.daily_sum * 1.0 / p.cogs END AS days_of_inventory
FROM per_sku p JOIN sf_sku s ON s.id = p.sku_id
ORDER BY s.code
"""


# The dashboard's figures as a person would write them (the retail starter's sellable,
# max(available - safety stock, 0), spelled out; float division where the engine is exact).
HAND_DASHBOARD = (
    """
WITH sides AS (
  SELECT sku_id, to_warehouse_id AS wh, to_bucket AS bucket, qty AS q, qty * unit_cost AS v,
    effective_at, kind, 0 AS leaving
  FROM sf_movement WHERE to_warehouse_id IS NOT NULL AND effective_at < :end
  UNION ALL
  SELECT sku_id, from_warehouse_id, from_bucket, -qty, -qty * unit_cost, effective_at, kind, 1
  FROM sf_movement WHERE from_warehouse_id IS NOT NULL AND effective_at < :end
),
per_place AS (
  SELECT sku_id, wh, SUM(q) AS qty, SUM(v) AS value,
    SUM(CASE WHEN bucket = 'available' THEN q ELSE 0 END) AS available,
    SUM(CASE WHEN leaving = 1 AND kind = 'sale' AND effective_at >= :start THEN -v ELSE 0 END)
      AS cogs,
    SUM(v * CASE WHEN effective_at < :start THEN :days
                 ELSE :days - CAST(julianday(effective_at, '+8 hours') - julianday(:first)
                                   AS INTEGER) END) AS daily_sum
  FROM sides GROUP BY sku_id + 0, wh
)
SELECT s.f_category, SUM(p.value), SUM(p.cogs), SUM(p.daily_sum),
  SUM(CASE WHEN p.qty > 0
      THEN MAX(p.available - COALESCE(s.f_safety_stock, 0), 0) * 1.0 * p.value / p.qty END)
FROM per_place p JOIN sf_sku s ON s.id = p.sku_id
GROUP BY s.f_category
""",
    """
SELECT CAST(julianday(effective_at, '+8 hours') - julianday(:first) AS INTEGER) AS day,
  SUM(qty * unit_cost * ((to_warehouse_id IS NOT NULL) - (from_warehouse_id IS NOT NULL)))
FROM sf_movement
WHERE effective_at >= :start AND effective_at < :end
  AND (from_warehouse_id IS NULL OR to_warehouse_id IS NULL OR from_warehouse_id <> to_warehouse_id)
GROUP BY day
""",
    """
SELECT sku_id, from_warehouse_id, MAX(effective_at) FROM sf_movement
WHERE effective_at < :end AND from_warehouse_id IS NOT NULL
  AND ((to_warehouse_id IS NULL AND kind = 'sale') OR to_warehouse_id <> from_warehouse_id)
GROUP BY sku_id + 0, from_warehouse_id
""",
)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, args: argparse.Namespace, sh: int, bj: int) -> dict[str, int]:
    """SKUs and a year of movements in the engine's tables, in one transaction."""
    rng = random.Random(SEED)
    draw = rng.random
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    start = datetime.combine(END - timedelta(days=args.days - 1), datetime.min.time(), ZONE)
    span = args.days * 86400
    sku_rows = [
        (
            n,
            f"SKU{n:06d}",
            f"Item {n}",
            "pcs",
            0,
            None,
            False,
            True,
            CATEGORIES[n % len(CATEGORIES)],
            (5 + n % 200) * 10_000,
        )
        for n in range(1, args.skus + 1)
    ]
    seconds = sorted(int(draw() * span) for _ in range(args.movements))
    movements = []
    for n, offset in enumerate(seconds, start=1):
        moment = _stamp(start + timedelta(seconds=offset))
        sku = 1 + int(draw() * args.skus)
        kind = rng.choices(kinds, weights)[0]
        qty = (1 + int(draw() * 20)) * 1000
        cost = (5 + sku % 200) * 10_000 + int(draw() * 5000)
        home = sh if draw() < 0.7 else bj
        ends = {
            "receipt": (None, None, home, "available", cost),
            "lock": (home, "available", home, "locked", None),
            "release": (home, "locked", home, "available", None),
            "sale": (home, "locked", None, None, cost),
            "transfer": (sh, "available", bj, "in_transit", cost),
            "arrival": (bj, "in_transit", bj, "available", None),
            "count": (home, "available", None, None, cost),
        }[kind]
        movements.append((n, f"p{n}", kind, sku, 0, qty, *ends, None, None, None, moment, moment))
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("BEGIN")
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('sf_sku', 'sf_movement')"
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    connection.executemany(
        "INSERT INTO sf_sku (id, code, name, unit, precision, barcode, batches, active, "
        "f_category, f_unit_cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sku_rows,
    )
    connection.executemany(
        "INSERT INTO sf_movement (id, posting_id, kind, sku_id, batch_id, qty, "
        "from_warehouse_id, from_bucket, to_warehouse_id, to_bucket, unit_cost, "
        "document_form, document_id, user, recorded_at, effective_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        movements,
    )
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return {"sf_sku": len(sku_rows), "sf_movement": len(movements)}


def template_folder(folder: Path) -> Path:
    """The retail starter copied into folder without its warning rules (no report reads them,
    and some need functions the rules layer registers)."""
    shutil.copytree(RETAIL, folder, dirs_exist_ok=True)
    path = folder / "template.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["stock"].pop("warnings", None)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return folder


def database(args: argparse.Namespace, folder: Path) -> tuple[Any, Path, str]:
    """A prepared database holding the benchmark's ledger: the cached one when it matches."""
    scratch = Path(args.dir)
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"reports-{args.movements}x{args.skus}x{args.days}.db"
    source = {
        "generator": GENERATOR,
        "movements": args.movements,
        "skus": args.skus,
        "days": args.days,
        "template": load_template(folder).fingerprint,
    }
    origin = cached_database(
        path,
        source,
        folder,
        lambda file, _template, ids: build(file, args, ids["SH"], ids["BJ"]),
        rebuild=args.rebuild,
    )
    return prepare(f"sqlite:///{path}", folder), path, origin


def hand_parameters(period: Period) -> dict[str, Any]:
    return {
        "start": _stamp(period.start),
        "end": _stamp(period.end),
        "days": period.days,
        "first": period.first.isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365, help="days of history")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached database")
    parser.add_argument("--profile", action="store_true", help="cProfile the report")
    parser.add_argument("--dir", default=str(SCRATCH), help="folder for the database (a disk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        prepared, path, origin = database(args, template_folder(Path(tmp)))
    period = make_period(ZONE, None, END)
    engine = prepared.engine

    def report(group: str = "sku") -> Any:
        with engine.connect().execution_options(**READ_ONLY) as connection:
            return turnover(connection, prepared.template, period, group=group)

    raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    parameters = hand_parameters(period)

    def hand() -> list[Any]:
        return raw.execute(HAND_SQL, parameters).fetchall()

    def dashboard() -> Any:
        with engine.connect().execution_options(**READ_ONLY) as connection:
            return summary(connection, prepared.template, period, now=datetime.now(UTC))

    def hand_dashboard() -> list[Any]:
        return [raw.execute(sql, parameters).fetchall() for sql in HAND_DASHBOARD]

    for _ in range(1):  # warm the page cache and SQLAlchemy's statement cache
        found, by_hand = report(), hand()
    variants = {
        "turnover report per SKU (reports.turnover)": report,
        "turnover report per category": lambda: report("category"),
        "hand-written SQL per SKU, sqlite3 (raw)": hand,
        "dashboard (reports.dashboard.summary)": dashboard,
        "hand-written SQL for the dashboard (raw, no ageing)": hand_dashboard,
    }
    timings: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in variants}
    for _ in range(args.runs):  # interleaved, so load from elsewhere falls on all alike
        for name, action in variants.items():
            wall, cpu = timed_cpu(action, 1)
            timings[name][0].extend(wall)
            timings[name][1].extend(cpu)
    if args.profile:
        print_profile("the turnover report per SKU", report, "reports")
        print_profile("the dashboard", dashboard, "reports")
    movements = raw.execute("SELECT count(*) FROM sf_movement").fetchone()[0]
    raw.close()
    engine.dispose()
    engine_rows = {r.key: (r.cogs, r.average_inventory_value) for r in found.rows}
    hand_rows = {
        code: (
            Decimal(cogs) / 10**7,
            (Decimal(daily) / period.days / 10**7).quantize(Decimal("0.0001"), ROUND_HALF_UP),
        )
        for code, cogs, daily, *_ in by_hand
        if cogs or daily
    }
    same = engine_rows == {k: (v[0], v[1]) for k, v in hand_rows.items()}
    print(f"database {path} ({path.stat().st_size / 2**20:.0f} MiB): {origin}")
    print(
        f"report: {period.first} to {period.last} ({period.days} days) over {movements:,} "
        f"movements; {len(found.rows):,} SKU rows; same COGS and average inventory as the "
        f"hand-written SQL: {same}"
    )
    rows = [[name, median(wall), min(wall), median(cpu)] for name, (wall, cpu) in timings.items()]
    print(load_average())
    print(table([f"warm, {args.runs} runs", "median ms", "min ms", "CPU ms"], rows))
    engine_ms = median(timings["turnover report per SKU (reports.turnover)"][0])
    hand_ms = median(timings["hand-written SQL per SKU, sqlite3 (raw)"][0])
    print(
        f"target < {TARGET_MS:.0f} ms: {verdict(engine_ms < TARGET_MS)} ({engine_ms:.0f} ms, "
        f"{engine_ms / hand_ms:.2f}x the hand-written SQL)"
    )
    board_ms = median(timings["dashboard (reports.dashboard.summary)"][0])
    board_hand_ms = median(timings["hand-written SQL for the dashboard (raw, no ageing)"][0])
    print(
        f"dashboard: reported, no target ({board_ms:.0f} ms, "
        f"{board_ms / board_hand_ms:.2f}x its hand-written SQL without the ageing)"
    )


if __name__ == "__main__":
    main()
