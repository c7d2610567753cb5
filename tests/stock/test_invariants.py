"""The ledger's invariants under random sequences of receipts, locks, releases, shipments,
expiries, transfers, returns and counts (a hypothesis state machine on SQLite).

After every step: no bucket is negative, balances equal the ledger replayed, quantity is
conserved except at outside, batch rows add up to their SKU's total, computed quantities match
their formulas, every lock's open quantity sits in `locked`, and a model kept here agrees.
"""

from __future__ import annotations

import shutil
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from stockform.database import prepare
from stockform.db import make_engine
from stockform.spec.model import Template
from stockform.stock.columns import bucket_column, stock_tables
from stockform.stock.errors import InsufficientStock, LockStateError
from stockform.stock.locks import LockRequest
from stockform.stock.service import Stock
from stockform.stock.tables import Lock, LockPart, Movement

BATCHES = Path(__file__).parents[1] / "data/templates/valid/batches"
BUCKETS = ("available", "locked", "quarantine", "damaged", "in_transit")
WAREHOUSES = ("MAIN", "NORTH")
SAFETY = {"TOOL": 2, "FOOD": 0}  # FOOD is in category food: it tracks batches
SKUS = tuple(SAFETY)
# Expiries far beyond any sweep time, so FEFO never meets an expired batch here.
EXPIRY = {f"B{n}": date(2100, 1, 1) - timedelta(days=30 * n) for n in range(1, 4)}
SHORT, SWEEPS = timedelta(minutes=10), (timedelta(minutes=20), timedelta(days=2))

skus, warehouses = st.sampled_from(SKUS), st.sampled_from(WAREHOUSES)
quantities = st.integers(min_value=1, max_value=25)
costs = st.none() | st.integers(min_value=0, max_value=99_999)
batch_codes = st.sampled_from(sorted(EXPIRY))


@dataclass(frozen=True)
class Source:
    sku: str
    warehouse: str
    batch: str | None
    have: int


@dataclass
class ModelLock:
    sku: str
    warehouse: str
    open: int
    expires_at: datetime | None


class LedgerMachine(RuleBasedStateMachine):
    """Each run copies a prepared SQLite file; quantities in the model are whole units."""

    golden: Path
    workdir: Path
    template: Template
    version_id: int

    def __init__(self) -> None:
        super().__init__()
        self.path = self.workdir / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.golden, self.path)
        engine = make_engine(f"sqlite:///{self.path}", synchronous="OFF")
        self.stock = Stock(engine, self.template, self.version_id)
        self.model: dict[tuple[str, str], dict[str, int]] = {
            (s, w): dict.fromkeys(BUCKETS, 0) for s in SKUS for w in WAREHOUSES
        }
        self.locks: dict[int, ModelLock] = {}
        self.closed: list[int] = []

    def teardown(self) -> None:
        self.stock.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    # -- helpers

    def sellable(self, sku: str, warehouse: str) -> int:
        return max(self.model[(sku, warehouse)]["available"] - SAFETY[sku], 0)

    def holding(self, bucket: str) -> list[tuple[str, str]]:
        """Every (sku, warehouse) with some stock in bucket."""
        return sorted(p for p, buckets in self.model.items() if buckets[bucket] > 0)

    def source(self, data: st.DataObject, bucket: str) -> Source:
        """A place (and, for FOOD, a batch) holding some of bucket."""
        sku, warehouse = data.draw(st.sampled_from(self.holding(bucket)), label="place")
        if sku != "FOOD":
            return Source(sku, warehouse, None, self.model[(sku, warehouse)][bucket])
        rows = self.stock.query(sku=sku, warehouse=warehouse, level="batch").items
        held = {r.batch: int(r.buckets[bucket]) for r in rows if r.batch and r.buckets[bucket]}
        code = data.draw(st.sampled_from(sorted(held)), label="batch")
        return Source(sku, warehouse, code, held[code])

    def refused_unchanged(self, error: type[Exception], action: Any) -> None:
        """action raises error and leaves every balance, movement and lock as it was."""
        before = self.state()
        with pytest.raises(error):
            action()
        assert self.state() == before

    def state(self) -> tuple[Any, ...]:
        balance = stock_tables(self.template).balance
        with self.stock.engine.connect() as connection:
            return (
                connection.execute(select(balance).order_by(balance.c.id)).all(),
                connection.execute(select(func.count()).select_from(Movement)).scalar_one(),
                connection.execute(select(Lock).order_by(Lock.id)).all(),
                connection.execute(select(LockPart)).all(),
            )

    def receive(
        self, sku: str, warehouse: str, qty: int, bucket: str, kind: str, code: str, **kw: Any
    ) -> None:
        """Goods from outside; FOOD always comes in a batch (code), TOOL never does."""
        if sku == "FOOD":
            kw.update(batch=code, expiry=EXPIRY[code])
        self.stock.receive(sku, warehouse, qty, bucket=bucket, kind=kind, **kw)
        self.model[(sku, warehouse)][bucket] += qty

    def move(
        self, found: Source, qty: int, bucket: str, target: tuple[str, str] | None, kind: str
    ) -> None:
        """Move qty out of found's bucket, expecting a refusal exactly when it holds less."""
        sku, source = found.sku, (found.warehouse, bucket)

        def action() -> None:
            self.stock.move(sku, qty, source, target, kind=kind, batch=found.batch)

        if qty > found.have:
            self.refused_unchanged(InsufficientStock, action)
            return
        action()
        self.model[(sku, found.warehouse)][bucket] -= qty
        if target is not None:
            self.model[(sku, target[0])][target[1]] += qty

    # -- rules

    @initialize()
    def starts_empty(self) -> None:
        assert all(not any(r.buckets.values()) for r in self.stock.query().items)

    @rule(sku=skus, warehouse=warehouses, qty=quantities, cost=costs, code=batch_codes)
    def receipt(self, sku: str, warehouse: str, qty: int, cost: int | None, code: str) -> None:
        unit_cost = None if cost is None else Decimal(cost) / 10_000
        self.receive(sku, warehouse, qty, "available", "receipt", code, unit_cost=unit_cost)

    @rule(data=st.data(), short=st.booleans())
    def lock(self, data: st.DataObject, short: bool) -> None:
        sellable = sorted(p for p in self.model if self.sellable(*p)) or sorted(self.model)
        sku, warehouse = data.draw(st.sampled_from(sellable), label="place")
        # Mostly what can be had, sometimes a little more than that.
        qty = data.draw(st.integers(1, self.sellable(sku, warehouse) + 2), label="qty")
        expires_in = SHORT if short else None

        def action() -> Any:
            return self.stock.lock(sku, warehouse, qty, expires_in=expires_in)

        if qty > self.sellable(sku, warehouse):
            self.refused_unchanged(InsufficientStock, action)
            return
        result = action()
        assert result.qty == qty * 1000
        self.model[(sku, warehouse)]["available"] -= qty
        self.model[(sku, warehouse)]["locked"] += qty
        self.locks[result.id] = ModelLock(sku, warehouse, qty, result.expires_at)

    @rule(
        lines=st.lists(st.tuples(skus, warehouses, st.integers(1, 5)), min_size=2, max_size=4),
    )
    def lock_many(self, lines: list[tuple[str, str, int]]) -> None:
        wanted: dict[tuple[str, str], int] = defaultdict(int)
        for sku, warehouse, qty in lines:
            wanted[(sku, warehouse)] += qty
        requests = []
        for sku, warehouse, qty in lines:
            sku_id, warehouse_id, _ = self.stock.ids(sku, warehouse)
            requests.append(LockRequest(sku_id, warehouse_id, qty * 1000))

        def action() -> Any:
            return self.stock.lock_many(requests)

        if any(q > self.sellable(*place) for place, q in wanted.items()):
            self.refused_unchanged(InsufficientStock, action)
            return
        results = action()
        for (sku, warehouse, qty), result in zip(lines, results, strict=True):
            self.model[(sku, warehouse)]["available"] -= qty
            self.model[(sku, warehouse)]["locked"] += qty
            self.locks[result.id] = ModelLock(sku, warehouse, qty, result.expires_at)

    def close_lock(self, data: st.DataObject, consume: bool) -> None:
        lock_id = data.draw(st.sampled_from(sorted(self.locks)), label="lock")
        lock = self.locks[lock_id]
        how = data.draw(st.sampled_from(["all", "part", "too much"]), label="how")
        action = self.stock.consume if consume else self.stock.release
        if how == "too much":
            self.refused_unchanged(LockStateError, lambda: action(lock_id, lock.open + 1))
            return
        qty = None if how == "all" else data.draw(st.integers(1, lock.open), label="qty")
        taken = lock.open if qty is None else qty
        result = action(lock_id, qty)
        assert result.qty == (lock.open - taken) * 1000
        place = self.model[(lock.sku, lock.warehouse)]
        place["locked"] -= taken
        if not consume:
            place["available"] += taken
        lock.open -= taken
        if not lock.open:
            del self.locks[lock_id]
            self.closed.append(lock_id)

    @precondition(lambda self: self.locks)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        self.close_lock(data, consume=False)

    @precondition(lambda self: self.locks)
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        self.close_lock(data, consume=True)

    @precondition(lambda self: self.closed)
    @rule(data=st.data(), consume=st.booleans())
    def touch_closed_lock(self, data: st.DataObject, consume: bool) -> None:
        lock_id = data.draw(st.sampled_from(self.closed), label="closed lock")
        action = self.stock.consume if consume else self.stock.release
        self.refused_unchanged(LockStateError, lambda: action(lock_id))

    @precondition(lambda self: self.locks)
    @rule(data=st.data())
    def keep(self, data: st.DataObject) -> None:
        lock_id = data.draw(st.sampled_from(sorted(self.locks)), label="lock")
        assert self.stock.keep(lock_id).expires_at is None
        self.locks[lock_id].expires_at = None

    @rule(later=st.sampled_from(SWEEPS))
    def sweep(self, later: timedelta) -> None:
        now = datetime.now(UTC) + later
        due = [i for i, lock in self.locks.items() if _expired(lock.expires_at, now)]
        assert self.stock.sweep(now=now, batch_size=2) == len(due)
        for lock_id in due:
            lock = self.locks.pop(lock_id)
            self.model[(lock.sku, lock.warehouse)]["locked"] -= lock.open
            self.model[(lock.sku, lock.warehouse)]["available"] += lock.open
            self.closed.append(lock_id)

    @precondition(lambda self: self.holding("available"))
    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        found = self.source(data, "available")
        target = next(w for w in WAREHOUSES if w != found.warehouse)
        qty = data.draw(st.integers(1, found.have + 2), label="qty")
        self.move(found, qty, "available", (target, "in_transit"), "transfer")

    @precondition(lambda self: self.holding("in_transit"))
    @rule(data=st.data())
    def arrival(self, data: st.DataObject) -> None:
        found = self.source(data, "in_transit")
        qty = data.draw(st.integers(1, found.have), label="qty")
        self.move(found, qty, "in_transit", (found.warehouse, "available"), "arrival")

    @rule(sku=skus, warehouse=warehouses, qty=quantities, code=batch_codes)
    def customer_return(self, sku: str, warehouse: str, qty: int, code: str) -> None:
        self.receive(sku, warehouse, qty, "quarantine", "return", code)

    @precondition(lambda self: self.holding("quarantine"))
    @rule(data=st.data(), passed=st.booleans())
    def inspection(self, data: st.DataObject, passed: bool) -> None:
        found = self.source(data, "quarantine")
        qty = data.draw(st.integers(1, found.have + 2), label="qty")
        target = (found.warehouse, "available" if passed else "damaged")
        self.move(found, qty, "quarantine", target, "inspection")

    @rule(sku=skus, warehouse=warehouses, qty=quantities, code=batch_codes)
    def count_gain(self, sku: str, warehouse: str, qty: int, code: str) -> None:
        self.receive(sku, warehouse, qty, "available", "count_gain", code)

    @precondition(lambda self: self.holding("available"))
    @rule(data=st.data())
    def count_loss(self, data: st.DataObject) -> None:
        found = self.source(data, "available")
        qty = data.draw(st.integers(1, found.have + 2), label="qty")
        self.move(found, qty, "available", None, "count_loss")

    # -- invariants

    @invariant()
    def no_bucket_is_negative(self) -> None:
        balance = stock_tables(self.template).balance
        with self.stock.engine.connect() as connection:
            for row in connection.execute(select(balance)).mappings():
                for bucket in BUCKETS:
                    assert row[bucket_column(bucket)] >= 0, (dict(row), bucket)

    @invariant()
    def balances_equal_the_ledger(self) -> None:
        assert self.stock.drift() == []

    @invariant()
    def quantity_is_conserved_except_at_outside(self) -> None:
        balance = stock_tables(self.template).balance
        held = sum(balance.c[bucket_column(b)] for b in BUCKETS)
        with self.stock.engine.connect() as connection:
            on_hand = dict(
                connection.execute(
                    select(balance.c.sku_id, func.sum(held))
                    .where(balance.c.batch_id == 0)
                    .group_by(balance.c.sku_id)
                ).all()
            )
            came_in = _sum_by_sku(connection, Movement.from_bucket.is_(None))
            went_out = _sum_by_sku(connection, Movement.to_bucket.is_(None))
        for sku_id in set(on_hand) | set(came_in) | set(went_out):
            expected = came_in.get(sku_id, 0) - went_out.get(sku_id, 0)
            assert on_hand.get(sku_id, 0) == expected, sku_id

    @invariant()
    def batch_rows_add_up_to_the_total(self) -> None:
        balance = stock_tables(self.template).balance
        food_id = self.stock.ids("FOOD", "MAIN")[0]
        totals: dict[tuple[int, bool], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(BUCKETS, 0)
        )
        with self.stock.engine.connect() as connection:
            rows = connection.execute(select(balance).where(balance.c.sku_id == food_id))
            for row in rows.mappings():
                key = (row["warehouse_id"], row["batch_id"] == 0)
                for bucket in BUCKETS:
                    totals[key][bucket] += row[bucket_column(bucket)]
        for warehouse_id in {w for w, _ in totals}:
            assert totals[(warehouse_id, True)] == totals[(warehouse_id, False)], warehouse_id

    @invariant()
    def quantities_match_their_formulas(self) -> None:
        for level in ("warehouse", "batch"):
            for row in self.stock.query(level=level, per_page=1000).items:
                b, q = row.buckets, row.quantities
                assert (
                    q["physical"] == b["available"] + b["locked"] + b["quarantine"] + b["damaged"]
                )
                assert q["sellable"] == max(b["available"] - SAFETY[row.sku], 0)
                assert q["incoming"] == b["in_transit"]
        rows = self.stock.query(per_page=1000).items
        for total in self.stock.query(level="total", per_page=1000).items:
            for bucket in BUCKETS:
                parts = sum(r.buckets[bucket] for r in rows if r.sku == total.sku)
                assert total.buckets[bucket] == parts

    @invariant()
    def model_agrees(self) -> None:
        for (sku, warehouse), buckets in self.model.items():
            found = self.stock.row(sku, warehouse).buckets
            assert {b: int(v) for b, v in found.items()} == buckets, (sku, warehouse)

    @invariant()
    def locked_is_what_active_locks_hold(self) -> None:
        table = Lock.__table__
        with self.stock.engine.connect() as connection:
            held = {
                r.id: r.open_qty
                for r in connection.execute(select(table).where(table.c.status == "active"))
            }
            parts: dict[int, int] = defaultdict(int)
            for part in connection.execute(select(LockPart.lock_id, LockPart.open_qty)):
                parts[part.lock_id] += part.open_qty
        assert held == {i: lock.open * 1000 for i, lock in self.locks.items()}
        for lock_id, lock in self.locks.items():
            # A lock of a SKU without batches may keep no parts: then it is all batch 0.
            if lock_id in parts or lock.sku == "FOOD":
                assert parts[lock_id] == held[lock_id], lock_id
        for (sku, warehouse), buckets in self.model.items():
            open_here = sum(
                lock.open
                for lock in self.locks.values()
                if (lock.sku, lock.warehouse) == (sku, warehouse)
            )
            assert buckets["locked"] == open_here


def _sum_by_sku(connection: Any, outside: Any) -> dict[int, int]:
    query = select(Movement.sku_id, func.sum(Movement.qty)).where(outside)
    return {s: int(q) for s, q in connection.execute(query.group_by(Movement.sku_id))}


def _expired(expires_at: datetime | None, now: datetime) -> bool:
    if expires_at is None:
        return False
    return (expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)) <= now


def test_ledger_invariants_hold_under_random_operations(tmp_path: Path) -> None:
    golden = tmp_path / "golden.db"
    prepared = prepare(f"sqlite:///{golden}", BATCHES, synchronous="OFF")
    stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
    stock.create_sku(code="TOOL", category="tools", safety_stock=str(SAFETY["TOOL"]))
    stock.create_sku(code="FOOD", category="food", safety_stock=str(SAFETY["FOOD"]))
    prepared.engine.dispose()

    class Machine(LedgerMachine):
        pass

    Machine.golden, Machine.workdir = golden, tmp_path
    Machine.template, Machine.version_id = prepared.template, prepared.applied.version_id
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=50,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
