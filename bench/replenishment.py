"""Benchmark: a replenishment plan over 100k SKUs x 5 warehouses (SQLite).

`rules.replenishment.plan(connection, template, now)` over the database `rules.py` builds
(500k (SKU, warehouse) rows, 1.07M movements, sales over the last 55 days; shared with it
through the cache), with the template given lead times, order multiples and a
`stock.replenishment` section (90 days of sales, min / max stock, service level 0.95): the
whole plan, and the plan of one warehouse.

Printed next to the bare SQL demand query alone (the daily demand per (SKU, warehouse) and
its sums over the window, which every plan runs) in the same run. Target: the whole plan
under about 3 s.

    python bench/replenishment.py [--skus 100000] [--warehouses 5] [--runs 3] [--profile]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from _common import (
    SCRATCH,
    load_average,
    median,
    print_profile,
    table,
    template_copy,
    timed_cpu,
    verdict,
)
from rules import NOW, SKU_FIELDS, database, with_warnings
from stockform.database import prepare
from stockform.rules.demand import demand, window
from stockform.rules.replenishment import Filter, plan
from stockform.stock.rows import RowSource

TARGET_MS = 3000.0
MORE_FIELDS = [
    "lead_time_days: {type: integer, default: 0}",
    "order_multiple: {type: decimal}",
]
SECTION = """
  replenishment:
    history_days: 90
    demand: [sale]
    lead_time: sku.lead_time_days
    service_level: 0.95
    position: available
    min: sku.min_stock
    max: sku.max_stock
    multiple: sku.order_multiple
    safety_stock_field: safety_stock
    order: {form: receipt}
"""


def with_replenishment(folder: Path) -> Path:
    """The rules benchmark's template plus lead times, multiples and the section."""
    path = folder / "template.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "    max_stock: {type: decimal}\n"
    text = text.replace(anchor, anchor + "".join(f"    {f}\n" for f in MORE_FIELDS), 1)
    text = text.replace("\nroles:", SECTION.rstrip() + "\n\nroles:", 1)
    path.write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--warehouses", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached database")
    parser.add_argument("--profile", action="store_true", help="cProfile one whole plan")
    parser.add_argument("--dir", default=str(SCRATCH), help="folder for the database (a disk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rules_folder = with_warnings(
            template_copy(Path(tmp) / "shop", warehouses=args.warehouses, sku_fields=SKU_FIELDS)
        )
        cached, origin = database(args, rules_folder)
        path = Path(tmp) / cached.name
        shutil.copyfile(cached, path)
        folder = with_replenishment(
            with_warnings(
                template_copy(
                    Path(tmp) / "replenish", warehouses=args.warehouses, sku_fields=SKU_FIELDS
                )
            )
        )
        prepared = prepare(f"sqlite:///{path}", folder, synchronous="NORMAL")
        engine, template = prepared.engine, prepared.template
        raw = sqlite3.connect(path)
        # Lead times of 3 to 14 days and multiples of 6 to 24, varied by SKU.
        raw.execute(
            "UPDATE sf_sku SET f_lead_time_days = 3 + id % 12, "
            "f_order_multiple = (1 + id % 4) * 6000"
        )
        raw.commit()
        raw.close()
        settings = template.stock.replenishment
        assert settings is not None

        def whole() -> Any:
            with engine.connect() as connection:
                return plan(connection, template, NOW)

        def one_warehouse() -> Any:
            with engine.connect() as connection:
                return plan(connection, template, NOW, Filter(warehouse="W3"))

        # The demand query every plan runs, compiled by the engine and run by bare sqlite3.
        source = RowSource(template, now=NOW)
        span = window(NOW, settings.history_days, template.info.timezone)
        sums = demand(source, settings.demand, span, "demand")
        bare_sql = str(select(sums).compile(engine, compile_kwargs={"literal_binds": True}))
        bare = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

        def bare_demand() -> int:
            return len(bare.execute(bare_sql).fetchall())

        result = whole()  # warm
        one = one_warehouse()
        pairs = bare_demand()
        whole_ms, whole_cpu = timed_cpu(whole, args.runs)
        one_ms, one_cpu = timed_cpu(one_warehouse, args.runs)
        bare_ms, bare_cpu = timed_cpu(bare_demand, args.runs)
        if args.profile:
            print_profile("one whole plan", whole, "stockform")
        bare.close()
        engine.dispose()
    acting = sum(1 for s in result.suggestions if s.needs_action)
    print(f"database {cached} ({cached.stat().st_size / 2**20:.0f} MiB): {origin}")
    print(
        f"{len(result.suggestions):,} rows, {pairs:,} with demand in the window; "
        f"{acting:,} need action ({len(result.transfers):,} transfers); one warehouse: "
        f"{sum(1 for s in one.suggestions if s.needs_action):,} of {len(one.suggestions):,}"
    )
    print(load_average())
    print(
        table(
            [f"warm, {args.runs} runs", "median ms", "min ms", "CPU ms"],
            [
                ["plan, every row", median(whole_ms), min(whole_ms), median(whole_cpu)],
                ["plan, one warehouse", median(one_ms), min(one_ms), median(one_cpu)],
                [
                    "bare demand query (Σx, Σx² per row), sqlite3",
                    median(bare_ms),
                    min(bare_ms),
                    median(bare_cpu),
                ],
            ],
        )
    )
    met = median(whole_ms) < TARGET_MS
    print(
        f"target < {TARGET_MS:.0f} ms: {verdict(met)} ({median(whole_ms):.0f} ms, "
        f"{median(whole_ms) / median(bare_ms):.2f}x the bare demand query)"
    )


if __name__ == "__main__":
    main()
