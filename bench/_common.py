"""Helpers shared by the benchmarks: timing, tables, scratch files, templates, PostgreSQL."""

from __future__ import annotations

import contextlib
import cProfile
import math
import multiprocessing
import os
import pstats
import shutil
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "templates_lib" / "minimal"
# /tmp is on the ordinary disk here (not tmpfs); fsync costs what it costs in production.
SCRATCH = Path("/tmp/stockform-bench")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def timed(action: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each of runs calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def timed_cpu(action: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each of runs calls. CPU time of this process hardly moves
    when other work loads the machine, so it tells a slow query from a busy machine."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        right = zip(row[1:], widths[1:], strict=True)
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in right]
        lines.append("  ".join(parts))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite database and its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def template_copy(
    folder: Path,
    *,
    warehouses: int = 1,
    sku_fields: Sequence[str] = (),
) -> Path:
    """templates_lib/minimal copied into folder, with extra warehouses and SKU field lines."""
    shutil.copytree(MINIMAL, folder, dirs_exist_ok=True)
    path = folder / "template.yaml"
    text = path.read_text(encoding="utf-8")
    main = "  MAIN: {name: {en: Main warehouse, zh: 主仓}}\n"
    extra = "".join(
        f"  W{n}: {{name: {{en: Warehouse {n}, zh: 仓库{n}}}}}\n" for n in range(2, warehouses + 1)
    )
    anchor = "    safety_stock: {type: decimal"
    line_end = text.index("\n", text.index(anchor)) + 1
    assert main in text, "templates_lib/minimal changed: update bench/_common.py"
    text = text[:line_end] + "".join(f"    {f}\n" for f in sku_fields) + text[line_end:]
    path.write_text(text.replace(main, main + extra), encoding="utf-8")
    return folder


@contextlib.contextmanager
def pg_database(base_url: str, name: str) -> Iterator[str]:
    """A fresh PostgreSQL database named name on base_url's server, dropped afterwards."""
    from sqlalchemy import create_engine, make_url, text

    url = make_url(base_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Rate:
    """count operations (transactions or lines) in seconds, with each step's latency in ms
    and the CPU seconds this process spent on them."""

    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """CPU milliseconds per operation: hardly moved by other work on the machine."""
        return 1000 * self.cpu / self.count if self.count else 0.0

    def __add__(self, other: Rate) -> Rate:
        return Rate(
            self.count + other.count,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.cpu + other.cpu,
        )


class Alternating:
    """A step that locks, then releases what it locked, and so on; each half is one
    transaction doing ops operations. `finish` releases what a run left locked."""

    def __init__(
        self, lock: Callable[[], object], release: Callable[[object], object], ops: int = 1
    ) -> None:
        self.lock, self.release, self.ops = lock, release, ops
        self.held: list[object] = []

    def __call__(self) -> int:
        if self.held:
            self.release(self.held.pop())
        else:
            self.held.append(self.lock())
        return self.ops

    def finish(self) -> None:
        while self.held:
            self.release(self.held.pop())


def run_for(seconds: float, step: Callable[[], int]) -> Rate:
    """Call step (returning how many operations it did) until seconds have passed."""
    count, latencies = 0, []
    start_cpu = time.process_time()
    start = now = time.perf_counter()
    while now - start < seconds:
        count += step()
        done = time.perf_counter()
        latencies.append((done - now) * 1000)
        now = done
    return Rate(count, now - start, latencies, time.process_time() - start_cpu)


def interleave(
    steps: dict[str, Callable[[], int]], seconds: float, rounds: int
) -> tuple[dict[str, Rate], list[dict[str, float]]]:
    """Run each step for seconds in all, in rounds taken in turn, so that load from elsewhere
    on the machine falls on every step alike. Returns the totals and each round's rates."""
    totals = {name: Rate(0, 0.0) for name in steps}
    per_round = []
    for _ in range(rounds):
        this_round = {}
        for name, step in steps.items():
            rate = run_for(seconds / rounds, step)
            finish = getattr(step, "finish", None)
            if finish is not None:
                finish()  # untimed: put back what the slice left locked
            totals[name] += rate
            this_round[name] = rate.per_second
        per_round.append(this_round)
    return totals, per_round


def load_average() -> str:
    """The 1-minute load average and the number of cores: how busy the machine was."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def count_statements(engine: Any, action: Callable[[], object]) -> int:
    """How many SQL statements action sends to SQLite through engine (BEGIN and COMMIT not
    counted). Counted by the driver, so statements sent straight to it count too."""
    from sqlalchemy import event

    count = [0]

    def seen(statement: str) -> None:
        count[0] += not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK"))

    def checkout(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(seen)

    def checkin(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(None)

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        action()
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
    return count[0]


def print_profile(title: str, action: Callable[[], object], pattern: str) -> None:
    """cProfile action; print the functions matching pattern by cumulative time, then the
    busiest functions of all by own time."""
    profiler = cProfile.Profile()
    profiler.runcall(action)
    print(f"\nprofile of {title}:")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(pattern, 30)
    stats.sort_stats("tottime").print_stats(15)


# -- concurrent writers ------------------------------------------------------------------------


def serve_phases(
    steps: dict[str, Any], phases: list[tuple[str, float]], barrier: Any, results: Any
) -> None:
    """In a writer process: run each phase's step when every writer is ready for it."""
    for step in steps.values():  # connect and warm up before any clock starts
        for _ in range(10):
            step()
        step.finish()
    for variant, seconds in phases:
        barrier.wait()
        rate = run_for(seconds, steps[variant])
        steps[variant].finish()
        results.put((variant, rate))


def run_phases(
    worker: Callable[..., None],
    arguments: tuple[Any, ...],
    variants: Sequence[str],
    workers: int,
    seconds: float,
    rounds: int,
) -> dict[str, Rate]:
    """Start `workers` processes of worker(*arguments, phases, barrier, results) that run each
    variant for seconds in all, in interleaved rounds; every writer's transactions together."""
    phases = [(v, seconds / rounds) for _ in range(rounds) for v in variants]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=worker, args=(*arguments, phases, barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    found = [results.get(timeout=seconds * len(variants) + 300) for _ in phases * workers]
    for process in processes:
        process.join()
        if process.exitcode:
            raise SystemExit(f"a writer process failed (exit code {process.exitcode})")
    totals = {}
    for variant in variants:
        mine = [rate for v, rate in found if v == variant]
        # Every transaction of every writer, over the time one writer spent on the variant.
        count = sum(rate.count for rate in mine)
        elapsed = sum(rate.seconds for rate in mine) / workers
        totals[variant] = Rate(count, elapsed, [ms for rate in mine for ms in rate.latencies])
    return totals


def cached_database(
    path: Path,
    source: dict[str, Any],
    folder: Path,
    fill: Callable[[Path, Any, dict[str, int]], dict[str, int]],
    *,
    rebuild: bool = False,
    recompute_quantities: bool = False,
) -> str:
    """Make path a SQLite database prepared for the template in folder and filled by
    fill(file, template, warehouse ids by code) -> rows written per table, unless the file
    there was built from the same source (generator, sizes, template fingerprint). Returns
    how it came: "cached", or "built in … s (… rows)"."""
    import hashlib
    import json
    import sqlite3
    import tempfile

    from stockform.database import prepare
    from stockform.stock import activity
    from stockform.stock.materialize import recompute

    key = hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()
    if not rebuild and _stored_key(path) == key:
        return "cached"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        building = Path(tmp) / path.name
        prepared = prepare(f"sqlite:///{building}", folder)
        with prepared.engine.connect() as connection:
            warehouses = dict(
                connection.exec_driver_sql("SELECT code, id FROM sf_warehouse ORDER BY code").all()
            )
        prepared.engine.dispose()
        counts = fill(building, prepared.template, warehouses)
        # Rows went in behind the ledger's back: let the engine derive what it keeps of them
        # (when stock last left and first arrived; the quantities, if asked).
        again = prepare(f"sqlite:///{building}", folder)
        with again.engine.begin() as connection:
            activity.rebuild(connection, again.template)
            if recompute_quantities:
                recompute(connection, again.template)
        again.engine.dispose()
        with contextlib.closing(sqlite3.connect(building)) as meta, meta:
            meta.execute("CREATE TABLE bench_meta (name TEXT PRIMARY KEY, value TEXT)")
            meta.execute("INSERT INTO bench_meta VALUES ('key', ?)", (key,))
        remove_sqlite(path)
        building.rename(path)
    built = ", ".join(f"{n:,} {name} rows" for name, n in counts.items())
    return f"built in {time.perf_counter() - start:.1f} s ({built})"


def _stored_key(path: Path) -> str | None:
    """The source key a cached benchmark database was built from, if any."""
    import sqlite3

    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT value FROM bench_meta WHERE name = 'key'").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None
