"""Helpers of the replenishment tests: a three-warehouse shop whose demand window is 5 days (so
the arithmetic fits in a comment), receipts that can arrive in parts, transfers that ship and
arrive, and a ledger written at local noon of chosen days (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from stockform.database import Prepared, prepare
from stockform.documents.service import Documents
from stockform.documents.users import Actor
from stockform.rules.replenishment import Filter, Plan, Suggestion, plan
from stockform.stock.service import Stock

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 6, 10)
NOW = datetime.combine(TODAY, time(18, 0), tzinfo=ZONE).astimezone(UTC)
ADMIN = Actor("ada", frozenset({"admin"}))
BUYER = Actor("bo", frozenset({"buyer"}))
CLERK = Actor("cy", frozenset({"clerk"}))

TEMPLATE = """\
template: {id: replenish, name: Replenishment shop, version: 1, format: 1, locales: [en],
           timezone: Asia/Shanghai}
warehouses:
  BJ: {name: Beijing}
  GZ: {name: Guangzhou}
  SH: {name: Shanghai}
sku:
  precision: 0
  fields:
    category:
      type: choice
      options:
        - {value: food, label: Food}
        - {value: electronics, label: Electronics}
        - {value: home, label: Home}
      default: home
    safety_stock: {type: decimal, default: 0, min: 0}
    min_stock: {type: decimal}
    max_stock: {type: decimal}
    order_multiple: {type: decimal}
    lead_time_days: {type: decimal, default: 0}
stock:
  buckets: {available: {}, locked: {}, in_transit: {}}
  quantities:
    sellable: max(available - sku.safety_stock, 0)
  replenishment:
    history_days: 5
    demand: [sale]
    lead_time: sku.lead_time_days
    service_level: {default: 0.95, food: 0.98, electronics: 0.5}
    position: available + in_transit
    min: sku.min_stock
    max: sku.max_stock
    multiple: sku.order_multiple
    cover_days: 10
    safety_stock_field: safety_stock
    order: {form: receipt}
    transfer: {form: transfer}
forms:
  receipt:
    label: Receipt
    numbering: RC-{###}
    fields:
      warehouse: {type: warehouse, required: true}
      supplier: {type: text}
    lines:
      sku: {type: sku, required: true}
      qty: {type: decimal, required: true, min: 0.001}
      arriving: {type: decimal, default: qty, min: 0}
    workflow: receipt_flow
  transfer:
    label: Transfer
    numbering: TR-{###}
    fields:
      from_warehouse: {type: warehouse, required: true}
      to_warehouse: {type: warehouse, required: true}
    lines:
      sku: {type: sku, required: true}
      qty: {type: decimal, required: true, min: 0.001}
    workflow: transfer_flow
workflows:
  receipt_flow:
    initial: draft
    states:
      draft: {editable: all}
      receiving: {editable: [arriving]}
      done: {final: true}
    transitions:
      receive:
        from: [draft, receiving]
        to: receiving
        roles: [buyer]
        effects:
          - move: {from: outside, to: available, qty: line.arriving, kind: receipt}
      close: {from: receiving, to: done, roles: [buyer]}
  transfer_flow:
    initial: draft
    transitions:
      ship:
        from: draft
        to: shipped
        roles: [buyer]
        effects:
          - move: {from: available, to: in_transit, warehouse: from_warehouse,
                   to_warehouse: to_warehouse, kind: transfer}
      arrive:
        from: shipped
        to: arrived
        roles: [buyer]
        effects:
          - move: {from: in_transit, to: available, warehouse: to_warehouse, kind: transfer}
roles:
  buyer: {forms: {receipt: [create, read], transfer: [create, read]}, warehouses: [SH, BJ]}
  clerk: {forms: {receipt: [read], transfer: [read]}}
"""


def local(day: date, hour: int = 12) -> datetime:
    """A moment of a local day in the shop's zone, as UTC."""
    return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)


class Shop:
    """The shop's stock, documents and plan."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.template = prepared.template
        self.stock = Stock(prepared.engine, prepared.template, prepared.applied.version_id)
        self.documents = Documents(prepared.engine, prepared.template, prepared.applied.version_id)

    def sku(self, code: str, **fields: Any) -> None:
        self.stock.create_sku(code=code, name=code.title(), **fields)

    def put(self, code: str, warehouse: str, qty: int, bucket: str = "available") -> None:
        """Stock received before the demand window."""
        self.stock.receive(
            code,
            warehouse,
            qty,
            bucket=bucket,
            effective_at=local(TODAY - timedelta(days=30)),
            history=True,
        )

    def demand(
        self, code: str, warehouse: str, daily: list[int], kind: str = "sale", hour: int = 12
    ) -> None:
        """Sales on the window's days, oldest first, the last one today (0: none that day)."""
        first = TODAY - timedelta(days=len(daily) - 1)
        for n, qty in enumerate(daily):
            if qty:
                self.stock.move(
                    code,
                    qty,
                    (warehouse, "available"),
                    None,
                    kind=kind,
                    effective_at=local(first + timedelta(days=n), hour),
                )

    def plan(self, which: Filter | None = None, **kwargs: Any) -> Plan:
        with self.prepared.engine.connect() as connection:
            return plan(connection, self.template, NOW, which or Filter(), **kwargs)

    def row(self, code: str, warehouse: str) -> Suggestion:
        found = self.plan(Filter(sku=code, warehouse=warehouse)).suggestions
        assert len(found) == 1, found
        return found[0]


def open_shop(database_url: str, tmp_path: Path, text: str = TEMPLATE) -> Shop:
    """The shop on a fresh database; its test disposes of `shop.prepared.engine`."""
    folder = tmp_path / "replenish"
    folder.mkdir()
    (folder / "template.yaml").write_text(text, encoding="utf-8")
    return Shop(prepare(database_url, folder))


def d(text: str) -> Decimal:
    return Decimal(text)
