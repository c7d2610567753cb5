"""Worker processes for the concurrency tests.

Every worker opens its own engine and `Stock` after it starts (spawned, never forked), so it
shares nothing with the test process but the database. Workers report a `Tally` on a queue;
an unexpected exception is recorded in the tally, never lost with the process.
Run as a script (`python workers.py crash-lock '<json>'`) for the crash test.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol

from stockform.db import make_engine
from stockform.spec.template import load_template
from stockform.stock import faults
from stockform.stock.errors import InsufficientStock
from stockform.stock.locks import LockRequest
from stockform.stock.service import Stock

WAREHOUSE = "MAIN"
UNIT = 1000  # one unit in thousandths
START_TIMEOUT = 60.0  # seconds to wait for the other workers to be ready


class Barrier(Protocol):
    """A start line all workers wait at: multiprocessing's, or threading's for threads."""

    def wait(self, timeout: float | None = None) -> int: ...


class Results(Protocol):
    """Where workers report: a multiprocessing queue, or queue.Queue for threads."""

    def put(self, item: Tally) -> None: ...


@dataclass(frozen=True)
class Target:
    """What a worker needs to open the database on its own: picklable, no live objects."""

    url: str
    template: str
    version_id: int | None


@dataclass
class Tally:
    """What one worker did."""

    pid: int
    locked: int = 0
    released: int = 0
    refused: int = 0
    refusals: set[tuple[str, str, str, Decimal, Decimal]] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    timed_out: bool = False
    busy: float = 0.0  # seconds from the start line to the last attempt


def open_stock(target: Target) -> Stock:
    """A fresh engine and Stock of this process's own."""
    engine = make_engine(target.url)
    return Stock(engine, load_template(target.template), target.version_id)


def _run(body: Callable[[Stock, Tally], None], target: Target, results: Results) -> None:
    tally = Tally(os.getpid())
    stock = None
    try:
        stock = open_stock(target)
        body(stock, tally)
    except BaseException:
        tally.errors.append(traceback.format_exc())
    finally:
        if stock is not None:
            stock.engine.dispose()
        results.put(tally)


def _refused(tally: Tally, error: InsufficientStock) -> None:
    tally.refused += 1
    tally.refusals.update(
        (s.sku, s.warehouse, s.bucket, s.requested, s.available) for s in error.shortages
    )


def race_for_units(
    target: Target,
    sku: str,
    start: Barrier,
    results: Results,
    misses_in_a_row: int,
    seconds: float,
) -> None:
    """Lock one unit at a time until refused misses_in_a_row times running (or time is up)."""

    def body(stock: Stock, tally: Tally) -> None:
        sku_id, warehouse_id, _ = stock.ids(sku, WAREHOUSE)
        start.wait(START_TIMEOUT)
        began = time.monotonic()
        misses = 0
        while misses < misses_in_a_row:
            tally.busy = time.monotonic() - began
            if tally.busy > seconds:
                tally.timed_out = True
                return
            request = LockRequest(
                sku_id, warehouse_id, UNIT, reference=f"{tally.pid}-{tally.locked}"
            )
            try:
                stock.lock_many([request])
            except InsufficientStock as error:
                _refused(tally, error)
                misses += 1
            else:
                tally.locked += 1
                misses = 0

    _run(body, target, results)


def lock_pairs(
    target: Target,
    skus: Sequence[str],
    start: Barrier,
    results: Results,
    rounds: int,
) -> None:
    """Lock one unit of each SKU, in the order given, in one `lock_many`; rounds times.

    Every second pair is released again (one lock per transaction), so the rows stay busy
    with both kinds of change; the other pairs are kept, for the test to count.
    """

    def body(stock: Stock, tally: Tally) -> None:
        ids = [stock.ids(code, WAREHOUSE)[:2] for code in skus]
        start.wait(START_TIMEOUT)
        for number in range(rounds):
            requests = [LockRequest(s, w, UNIT, reference=f"{tally.pid}-{number}") for s, w in ids]
            try:
                taken = stock.lock_many(requests)
            except InsufficientStock as error:
                _refused(tally, error)
                continue
            tally.locked += 1
            if number % 2:
                for result in taken:
                    stock.release(result.id)
                tally.released += 1

    _run(body, target, results)


def lock_past_expired(
    target: Target,
    sku: str,
    start: Barrier,
    results: Results,
    rounds: int,
) -> None:
    """Lock one unit rounds times while expired locks of the same SKU wait to be released."""

    def body(stock: Stock, tally: Tally) -> None:
        sku_id, warehouse_id, _ = stock.ids(sku, WAREHOUSE)
        start.wait(START_TIMEOUT)
        for number in range(rounds):
            request = LockRequest(sku_id, warehouse_id, UNIT, reference=f"{tally.pid}-{number}")
            try:
                stock.lock_many([request])
            except InsufficientStock as error:
                _refused(tally, error)
            except Exception as error:  # the test wants every kind of failure counted
                tally.errors.append(f"{type(error).__name__}: {error}")
            else:
                tally.locked += 1

    _run(body, target, results)


def crash_lock(options: dict[str, Any]) -> None:
    """Lock one unit of each SKU in one `lock_many`; the fault point should kill us midway.

    With spare=N the fault point lets the first N postings (one per lock line) through, so
    the kill lands after N lines are fully written and the next one has changed balances only.
    """
    stock = open_stock(Target(options["url"], options["template"], options["version_id"]))
    ids = [stock.ids(code, WAREHOUSE)[:2] for code in options["skus"]]
    spare: int = options["spare"]
    die = faults.point

    def point_after_spares(name: str) -> None:
        nonlocal spare
        if spare and name == os.environ.get(faults.VARIABLE):
            spare -= 1
            return
        die(name)

    faults.point = point_after_spares
    requests = [
        LockRequest(s, w, UNIT * options["qty"], reference="crash", expires_in=timedelta(hours=1))
        for s, w in ids
    ]
    print("locking", flush=True)
    stock.lock_many(requests)
    print("survived", flush=True)


if __name__ == "__main__":
    command, argument = sys.argv[1:3]
    if command != "crash-lock":
        raise SystemExit(f"unknown command {command!r}; the only one is 'crash-lock'")
    crash_lock(json.loads(argument))
