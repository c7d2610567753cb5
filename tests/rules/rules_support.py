"""Helpers of the warning rules' tests: a small shop whose template uses every rule function,
and posting movements at chosen moments."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from stockform.stock.service import Stock

TEMPLATE = """\
template: {id: rules, name: Rules shop, version: 1, format: 1, locales: [en, zh],
           timezone: Asia/Shanghai}
warehouses:
  SH: {name: {en: Shanghai, zh: 上海}}
  BJ: {name: {en: Beijing, zh: 北京}}
sku:
  precision: 0
  tracking: {batches: category == 'food', expiry: true, picking: FEFO}
  fields:
    category:
      type: choice
      options:
        - {value: food, label: {en: Food, zh: 食品}}
        - {value: home, label: {en: Home, zh: 家居}}
      default: home
    min_stock: {type: decimal, default: 0}
    max_stock: {type: decimal}
stock:
  buckets: {available: {}, locked: {}}
  quantities:
    physical: available + locked
    sellable: available
  lock_rules:
    order: {default: true, check: sellable >= qty, expires_after: 30m}
  warnings:
    low_stock:
      label: {en: Low stock, zh: 库存不足}
      when: sellable < sku.min_stock
      message:
        en: "Only {sellable} of {sku.code} ({sku.category}) at {warehouse.name}"
        zh: "{warehouse.name}的{sku.code}（{sku.category}）仅剩 {sellable}"
      notify: [buyer]
    overstock:
      when: physical > sku.max_stock
      level: info
      message: "{physical} of {sku.code} at {warehouse}"
      notify: [boss]
    slow_moving:
      when: physical > 0 and days_since_last_out() >= 30
      level: info
      message: "{sku.code} at {warehouse}: nothing out for {days_since_last_out()} days"
      notify: [buyer, boss]
    selling_fast:
      when: sales_velocity(7) > 2 * sales_velocity(30)
      message: "{sku.code} sells {round(sales_velocity(7), 2)} a day at {warehouse}"
      notify: [buyer]
    expiring:
      per: batch
      when: physical > 0 and days_to_expiry() <= 14
      level: critical
      message: "Batch {batch.code} of {sku.code} at {warehouse} expires on {batch.expiry}"
      notify: [keeper]
roles:
  buyer: {forms: all}
  boss: {forms: all}
  keeper: {forms: all, warehouses: [SH]}
"""


def write_template(folder: Path, text: str = TEMPLATE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "template.yaml").write_text(text, encoding="utf-8")
    return folder


def at(text: str) -> datetime:
    """A moment written as ISO 8601 with its offset."""
    return datetime.fromisoformat(text)


def sell(
    stock: Stock,
    sku: str,
    warehouse: str,
    qty: int,
    when: str | datetime | None = None,
    batch: str | None = None,
) -> str:
    """Goods leaving to outside at a moment (default: now), as a sale."""
    moment = at(when) if isinstance(when, str) else when
    return stock.move(
        sku, qty, (warehouse, "available"), None, kind="sale", batch=batch, effective_at=moment
    )
