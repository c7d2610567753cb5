"""Warnings under random postings, clock moves, snoozes and acknowledgements (a hypothesis state
machine on SQLite): after every evaluation the warnings that are not closed are exactly the
rows where a rule holds — by a model kept here — never two for one rule and row, and none
still snoozed past its time."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rules_support import write_template
from sqlalchemy import select, text

from stockform.database import prepare
from stockform.db import make_engine
from stockform.rules.actions import acknowledge, snooze
from stockform.rules.tables import WarningRecord
from stockform.rules.warnings import evaluate
from stockform.spec.model import Template
from stockform.stock.service import Stock
from stockform.stock.tables import Sku, Warehouse, table_of

TEMPLATE = """\
template: {id: prop, name: Property shop, version: 1, format: 1, timezone: UTC}
warehouses: {X: {name: X}, Y: {name: Y}}
sku: {precision: 0}
stock:
  buckets: {available: {}, locked: {}}
  quantities: {physical: available + locked, sellable: available}
  warnings:
    low: {when: sellable < 5, message: "{sku} low at {warehouse}: {sellable}"}
    high: {when: physical > 12, message: "{physical}"}
    idle: {when: physical > 0 and days_since_last_out() >= 3, message: "{days_since_last_out()}"}
"""
SKUS, WAREHOUSES = ("A", "B"), ("X", "Y")
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
Key = tuple[str, str, str]  # rule, SKU, warehouse

skus, warehouses = st.sampled_from(SKUS), st.sampled_from(WAREHOUSES)
quantities = st.integers(min_value=1, max_value=9)


class WarningMachine(RuleBasedStateMachine):
    golden: Path
    workdir: Path
    template: Template

    def __init__(self) -> None:
        super().__init__()
        path = self.workdir / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.golden, path)
        self.engine = make_engine(f"sqlite:///{path}", synchronous="OFF")
        self.stock = Stock(self.engine, self.template)
        self.clock = START
        self.on_hand = {(s, w): 0 for s in SKUS for w in WAREHOUSES}
        self.arrived: dict[tuple[str, str], datetime] = {}
        self.last_out: dict[tuple[str, str], datetime] = {}

    def teardown(self) -> None:
        self.engine.dispose()

    # -- the model
    def holds(self) -> set[Key]:
        found = set()
        for (sku, warehouse), qty in self.on_hand.items():
            if qty < 5:
                found.add(("low", sku, warehouse))
            if qty > 12:
                found.add(("high", sku, warehouse))
            since = self.last_out.get((sku, warehouse)) or self.arrived.get((sku, warehouse))
            idle = since is not None and (self.clock - since) // timedelta(days=1) >= 3
            if qty > 0 and idle:
                found.add(("idle", sku, warehouse))
        return found

    def active(self) -> list[Any]:
        table, sku, warehouse = table_of(WarningRecord), table_of(Sku), table_of(Warehouse)
        query = (
            select(
                table.c.id,
                table.c.rule,
                sku.c.code.label("sku"),
                warehouse.c.code.label("warehouse"),
                table.c.state,
                table.c.snoozed_until,
            )
            .join(sku, sku.c.id == table.c.sku_id)
            .join(warehouse, warehouse.c.id == table.c.warehouse_id)
            .where(table.c.state != "closed")
        )
        with self.engine.connect() as connection:
            return list(connection.execute(query))

    def evaluate(self, pairs: list[tuple[str, str]] | None = None) -> None:
        ids = None
        if pairs is not None:
            with self.engine.connect() as connection:
                ids = [
                    connection.execute(
                        text(
                            "SELECT s.id, w.id FROM sf_sku s, sf_warehouse w "
                            "WHERE s.code = :s AND w.code = :w"
                        ),
                        {"s": s, "w": w},
                    ).one()
                    for s, w in pairs
                ]
        with self.engine.begin() as connection:
            evaluate(connection, self.template, self.clock, None if ids is None else ids)

    # -- what happens
    @rule(sku=skus, warehouse=warehouses, qty=quantities)
    def receive(self, sku: str, warehouse: str, qty: int) -> None:
        self.stock.receive(sku, warehouse, qty, effective_at=self.clock)
        self.on_hand[(sku, warehouse)] += qty
        self.arrived.setdefault((sku, warehouse), self.clock)
        self.evaluate([(sku, warehouse)])  # as after a posting: only the row it touched

    @rule(sku=skus, warehouse=warehouses, qty=quantities)
    def sell(self, sku: str, warehouse: str, qty: int) -> None:
        qty = min(qty, self.on_hand[(sku, warehouse)])
        if not qty:
            return
        self.stock.move(
            sku, qty, (warehouse, "available"), None, kind="sale", effective_at=self.clock
        )
        self.on_hand[(sku, warehouse)] -= qty
        self.last_out[(sku, warehouse)] = self.clock

    @rule(sku=skus, qty=quantities)
    def transfer(self, sku: str, qty: int) -> None:
        qty = min(qty, self.on_hand[(sku, "X")])
        if not qty:
            return
        self.stock.move(
            sku,
            qty,
            ("X", "available"),
            ("Y", "available"),
            kind="transfer",
            effective_at=self.clock,
        )
        self.on_hand[(sku, "X")] -= qty
        self.on_hand[(sku, "Y")] += qty
        self.arrived.setdefault((sku, "Y"), self.clock)

    @rule(hours=st.integers(min_value=1, max_value=60))
    def time_passes(self, hours: int) -> None:
        self.clock += timedelta(hours=hours)

    @precondition(lambda self: bool(self.active()))
    @rule(data=st.data(), hours=st.integers(min_value=1, max_value=72))
    def snooze_one(self, data: st.DataObject, hours: int) -> None:
        warning = data.draw(st.sampled_from(self.active()))
        with self.engine.begin() as connection:
            until = self.clock + timedelta(hours=hours)
            snooze(connection, warning.id, "ann", until, "later", now=self.clock)

    @precondition(lambda self: any(w.state == "open" for w in self.active()))
    @rule(data=st.data())
    def acknowledge_one(self, data: st.DataObject) -> None:
        warning = data.draw(st.sampled_from([w for w in self.active() if w.state == "open"]))
        with self.engine.begin() as connection:
            acknowledge(connection, warning.id, "bob", "seen", now=self.clock)

    # -- what must hold
    @invariant()
    def warnings_match_the_rules(self) -> None:
        self.evaluate()
        active = self.active()
        keys = [(w.rule, w.sku, w.warehouse) for w in active]
        assert len(keys) == len(set(keys)), "two warnings open for one rule and row"
        assert set(keys) == self.holds()
        for warning in active:
            if warning.state == "snoozed":
                assert warning.snoozed_until > self.clock, "a snooze past its time"


def test_warnings_follow_the_stock(tmp_path: Path) -> None:
    golden = tmp_path / "golden.db"
    folder = write_template(tmp_path / "prop", TEMPLATE)
    prepared = prepare(f"sqlite:///{golden}", folder, synchronous="OFF")
    stock = Stock(prepared.engine, prepared.template)
    for code in SKUS:
        stock.create_sku(code=code)
    prepared.engine.dispose()

    class Machine(WarningMachine):
        pass

    Machine.golden, Machine.workdir, Machine.template = golden, tmp_path, prepared.template
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
