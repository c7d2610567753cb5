"""A document as a transition sees it, and where a per-line effect takes its SKU, warehouse,
batch and quantity from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..spec.model import Effect, FormSpec
from ..spec.phrases import phrase
from ..stock.errors import Shortage
from .errors import InvalidTransition
from .validate import run


@dataclass
class Loaded:
    """A document as a transition sees it: ids, values and the expression environments."""

    id: int
    form: FormSpec
    number: str
    state: str
    created_by: str
    fields: dict[str, Any]
    line_ids: list[int]
    lines: list[dict[str, Any]]
    header_env: dict[str, Any]
    line_envs: list[dict[str, Any]]


def line_value(expr: Any, env: Mapping[str, Any], fallback: str) -> Any:
    """The effect's expression on the line, else the line's value at the fallback path."""
    if expr is not None:
        return run(expr, env)
    head, _, rest = fallback.partition(".")
    value = env.get(head)
    if rest:
        value = value.get(rest) if isinstance(value, Mapping) else None
    return value


def code(value: Any) -> str | None:
    """The code of a record (a SKU, a warehouse) or of a plain value."""
    if isinstance(value, Mapping):
        return str(value.get("code")) if value.get("code") is not None else None
    return None if value is None else str(value)


def line_place(form: FormSpec, effect: Effect, env: Mapping[str, Any]) -> tuple[str, str, Any]:
    """The SKU code, warehouse code and quantity a per-line effect works on."""
    sku = code(line_value(effect.sku, env, "line.sku"))
    warehouse_default = "line.warehouse" if "warehouse" in form.lines else "warehouse"
    warehouse = code(line_value(effect.warehouse, env, warehouse_default))
    qty = line_value(effect.qty, env, "line.qty")
    if sku is None or warehouse is None:
        raise InvalidTransition(phrase("a line has no SKU or no warehouse to take stock from"))
    return sku, warehouse, qty


def line_batch(doc: Loaded, effect: Effect, env: Mapping[str, Any]) -> str | None:
    """The batch code a per-line effect works on: the effect's `batch`, else the line's."""
    if effect.batch is not None:
        return code(run(effect.batch, env))
    return code(env.get("batch")) if "batch" in doc.form.lines else None


def precision(env: Mapping[str, Any]) -> int:
    """Decimals the line's SKU allows."""
    record = env.get("sku")
    return int(record.get("precision") or 0) if isinstance(record, Mapping) else 0


def numbered(shortage: Shortage, doc: Loaded) -> Shortage:
    """The shortage with the line's number (1-based) in place of its id."""
    number = doc.line_ids.index(shortage.line_id) + 1 if shortage.line_id in doc.line_ids else None
    return Shortage(
        shortage.sku,
        shortage.warehouse,
        shortage.bucket,
        shortage.requested,
        shortage.available,
        number,
    )
