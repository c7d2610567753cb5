"""Locks under real concurrency: separate OS processes (spawned) on one SQLite file or one
PostgreSQL database, and a process killed mid-transaction. See DESIGN.md, "The stock model":
two buyers of the last unit never both get it, multi-line locks cannot deadlock, and the
ledger always explains the balances."""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import workers
from sqlalchemy import func, select, text
from workers import UNIT, WAREHOUSE, Tally, Target

from stockform.database import Prepared
from stockform.paths import STARTERS
from stockform.stock.locks import LockRequest
from stockform.stock.service import Stock, figures
from stockform.stock.tables import Lock, LockPart, Movement

SPAWN = multiprocessing.get_context("spawn")
WORKERS_SCRIPT = Path(workers.__file__)
WAIT = 90.0  # seconds before a hung worker fails the test instead of hanging it


@pytest.fixture
def target(prepared: Prepared) -> Target:
    """How a worker process opens the test's database and template on its own."""
    return Target(
        prepared.engine.url.render_as_string(hide_password=False),
        str(STARTERS / "minimal"),
        prepared.applied.version_id,
    )


def spawn_workers(
    function: Callable[..., None], leading: list[tuple[Any, ...]], **kwargs: Any
) -> list[Tally]:
    """Run function(*leading[i], start, results, **kwargs) in one spawned process per entry,
    all released at once; their tallies. A worker that hangs or dies fails the test."""
    start = SPAWN.Barrier(len(leading))
    results = SPAWN.Queue()
    processes = [
        SPAWN.Process(target=function, args=(*args, start, results), kwargs=kwargs)
        for args in leading
    ]
    for process in processes:
        process.start()
    deadline = time.monotonic() + WAIT
    tallies: list[Tally] = []
    try:
        for _ in processes:
            tallies.append(results.get(timeout=max(deadline - time.monotonic(), 0.1)))
    except queue.Empty:
        pytest.fail(f"only {len(tallies)} of {len(processes)} workers reported within {WAIT} s")
    finally:
        for process in processes:
            process.join(timeout=max(deadline - time.monotonic(), 0.1))
            if process.is_alive():
                process.kill()
                process.join()
        exits = [p.exitcode for p in processes]
        for process in processes:
            process.close()
        results.close()
        results.join_thread()
    assert exits == [0] * len(processes)
    return tallies


def run_processes(
    function: Callable[..., None], count: int, *args: Any, **kwargs: Any
) -> list[Tally]:
    """function(*args, start, results, **kwargs) in count spawned processes."""
    return spawn_workers(function, [args] * count, **kwargs)


def run_threads(
    function: Callable[..., None], count: int, *args: Any, **kwargs: Any
) -> list[Tally]:
    """The same as run_processes, with threads of this process."""
    start = threading.Barrier(count)
    results: queue.Queue[Tally] = queue.Queue()
    threads = [
        threading.Thread(target=function, args=(*args, start, results), kwargs=kwargs)
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not any(t.is_alive() for t in threads)
    return [results.get_nowait() for _ in threads]


def count(stock: Stock, table: Any, *where: Any) -> int:
    """Rows of table matching where."""
    with stock.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        )


def buckets(stock: Stock, sku: str) -> dict[str, Decimal | None]:
    """available, locked and sellable of sku at the warehouse."""
    found = figures(stock.row(sku, WAREHOUSE))
    return {k: found[k] for k in ("available", "locked", "sellable")}


@pytest.fixture
def hundred_units(stock: Stock) -> Stock:
    """SKU RACE with exactly 100 available and no safety stock, so sellable == available."""
    stock.create_sku(code="RACE", name="Last units", safety_stock="0")
    stock.receive("RACE", WAREHOUSE, 100)
    return stock


@pytest.mark.parametrize("runner", [run_processes, run_threads], ids=["processes", "threads"])
def test_sixteen_workers_lock_exactly_the_hundred_units_there_are(
    hundred_units: Stock, target: Target, runner: Callable[..., list[Tally]]
) -> None:
    """16 racing workers get exactly 100 one-unit locks; every other attempt is a clean
    InsufficientStock naming the SKU; the balance is 0 / 100 and the ledger explains it."""
    stock = hundred_units
    tallies = runner(workers.race_for_units, 16, target, "RACE", misses_in_a_row=3, seconds=40)

    assert [t.errors for t in tallies] == [[]] * 16
    assert [t.timed_out for t in tallies] == [False] * 16
    assert sum(t.locked for t in tallies) == 100
    assert all(t.refused >= 3 for t in tallies)
    refusals = set().union(*(t.refusals for t in tallies))
    assert refusals == {("RACE", WAREHOUSE, "sellable", Decimal(1), Decimal(0))}
    if runner is run_processes:
        assert len({t.pid for t in tallies} - {os.getpid()}) == 16
    assert buckets(stock, "RACE") == {
        "available": Decimal(0),
        "locked": Decimal(100),
        "sellable": Decimal(0),
    }
    assert count(stock, Lock.__table__, Lock.status == "active", Lock.qty == UNIT) == 100
    assert count(stock, Movement.__table__, Movement.kind == "lock") == 100
    assert stock.drift() == []


def test_opposite_lock_orders_never_deadlock(stock: Stock, target: Target) -> None:
    """Documents locking SKUs (A, B) and (B, A) at once, over and over, from several processes:
    every lock_many succeeds (no DeadlockDetected, no timeout) and the totals add up."""
    stock.create_sku(code="PAIR-A", safety_stock="0")
    stock.create_sku(code="PAIR-B", safety_stock="0")
    stock.receive("PAIR-A", WAREHOUSE, 1000)
    stock.receive("PAIR-B", WAREHOUSE, 1000)
    processes, rounds = 4, 30
    orders = [["PAIR-A", "PAIR-B"], ["PAIR-B", "PAIR-A"]]
    leading = [(target, orders[n % 2]) for n in range(processes)]
    tallies = spawn_workers(workers.lock_pairs, leading, rounds=rounds)

    assert [t.errors for t in tallies] == [[]] * processes
    assert [(t.locked, t.released, t.refused) for t in tallies] == [
        (rounds, rounds // 2, 0)
    ] * processes
    kept = processes * (rounds - rounds // 2)
    for sku in ("PAIR-A", "PAIR-B"):
        assert buckets(stock, sku) == {
            "available": Decimal(1000 - kept),
            "locked": Decimal(kept),
            "sellable": Decimal(1000 - kept),
        }
    assert count(stock, Lock.__table__, Lock.status == "active") == 2 * kept
    assert count(stock, Lock.__table__, Lock.status == "released") == processes * rounds
    assert stock.drift() == []


@pytest.mark.parametrize("spare", [0, 1], ids=["first-line", "second-line"])
def test_a_worker_killed_mid_lock_leaves_nothing_behind(
    stock: Stock, target: Target, spare: int
) -> None:
    """A process SIGKILLed inside a two-line lock_many (balances changed, movements not yet
    written) leaves balances, locks and ledger as they were, and the database usable."""
    for sku in ("CRASH-A", "CRASH-B"):
        stock.create_sku(code=sku, safety_stock="0")
        stock.receive(sku, WAREHOUSE, 10)
    before = {sku: buckets(stock, sku) for sku in ("CRASH-A", "CRASH-B")}
    options = {**target.__dict__, "skus": ["CRASH-B", "CRASH-A"], "qty": 3, "spare": spare}
    environment = {**os.environ, "STOCKFORM_TEST_FAULT": "ledger.before_movements"}

    worker = subprocess.run(
        [sys.executable, str(WORKERS_SCRIPT), "crash-lock", json.dumps(options)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )

    assert (worker.returncode, worker.stdout) == (-signal.SIGKILL, "locking\n"), worker.stderr
    assert {sku: buckets(stock, sku) for sku in before} == before
    assert count(stock, Lock.__table__) == 0
    assert count(stock, LockPart.__table__) == 0
    assert count(stock, Movement.__table__) == 2  # the two receipts
    assert stock.drift() == []
    if stock.engine.dialect.name == "sqlite":
        with stock.engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"

    a, b = (stock.ids(sku, WAREHOUSE)[:2] for sku in ("CRASH-A", "CRASH-B"))
    stock.lock_many([LockRequest(*b, 3 * UNIT), LockRequest(*a, 3 * UNIT)])
    for sku in before:
        assert buckets(stock, sku) == {
            "available": Decimal(7),
            "locked": Decimal(3),
            "sellable": Decimal(7),
        }
    assert stock.drift() == []


def test_concurrent_lock_attempts_release_each_expired_lock_once(
    stock: Stock, target: Target
) -> None:
    """Lock attempts release expired locks of their SKU first; when four processes do so at
    once, each expired lock is released exactly once and every attempt still succeeds."""
    stock.create_sku(code="EXPIRY", safety_stock="0")
    stock.receive("EXPIRY", WAREHOUSE, 100)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for _ in range(20):
        stock.lock("EXPIRY", WAREHOUSE, 1, expires_in=timedelta(minutes=5), now=an_hour_ago)

    tallies = run_processes(workers.lock_past_expired, 4, target, "EXPIRY", rounds=5)

    assert [t.errors for t in tallies] == [[]] * 4
    assert sum(t.locked for t in tallies) == 20
    assert count(stock, Lock.__table__, Lock.status == "expired") == 20
    assert count(stock, Lock.__table__, Lock.status == "active") == 20
    assert buckets(stock, "EXPIRY") == {
        "available": Decimal(80),
        "locked": Decimal(20),
        "sellable": Decimal(80),
    }
    assert stock.drift() == []
