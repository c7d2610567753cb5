"""Computed quantities (physical, sellable, …) over bucket sums, in Python and in SQL.

They are evaluated per SKU and warehouse over the sum of its batches' buckets. A total across
warehouses adds up the per-warehouse results: sellable across warehouses is the sum of each
warehouse's sellable, never the formula applied to summed buckets (which would let one
warehouse's surplus hide another's shortage).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..spec.expressions import FUNCTIONS, FunctionRegistry, SqlTerm, compile_python, compile_sql
from ..spec.model import Template
from .units import QTY_SCALE, qty_decimal


@dataclass(frozen=True)
class Compiled:
    """A template's quantities as Python callables, in an order that respects dependencies."""

    order: tuple[str, ...]
    functions: Mapping[str, Callable[[Mapping[str, Any]], Any]]


_COMPILED: dict[str, Compiled] = {}


def compiled(template: Template, functions: FunctionRegistry = FUNCTIONS) -> Compiled:
    key = template.fingerprint or str(id(template))
    if key not in _COMPILED:
        quantities = template.stock.quantities
        order: list[str] = []
        pending = dict(quantities)
        while pending:
            ready = [
                n
                for n, q in pending.items()
                if all(r[0] not in pending or r[0] == n for r in q.expr.references)
            ]
            for name in ready or list(pending):  # the checker rejected loops; never stuck
                order.append(name)
                pending.pop(name)
        _COMPILED[key] = Compiled(
            tuple(order),
            {n: compile_python(quantities[n].expr, functions) for n in order},
        )
    return _COMPILED[key]


def evaluate(
    template: Template,
    buckets: Mapping[str, int],
    sku: Mapping[str, Any],
    warehouse: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Decimal]:
    """Every computed quantity for one SKU at one warehouse, from scaled bucket sums."""
    env: dict[str, Any] = {b: qty_decimal(buckets.get(b, 0)) for b in template.stock.buckets}
    env["sku"] = sku
    env["warehouse"] = warehouse or {}
    env.update(extra or {})
    result: dict[str, Decimal] = {}
    plan = compiled(template)
    for name in plan.order:
        value = plan.functions[name](env)
        env[name] = value
        result[name] = value
    return result


def quantity_terms(
    template: Template,
    resolve: Callable[[tuple[str, ...]], SqlTerm],
    functions: FunctionRegistry = FUNCTIONS,
) -> dict[str, SqlTerm]:
    """Every computed quantity as SQL, given how to reach buckets and SKU fields."""
    terms: dict[str, SqlTerm] = {}

    def with_quantities(path: tuple[str, ...]) -> SqlTerm:
        if len(path) == 1 and path[0] in terms:
            return terms[path[0]]
        return resolve(path)

    for name in compiled(template, functions).order:
        terms[name] = compile_sql(template.stock.quantities[name].expr, with_quantities, functions)
    return terms


def bucket_term(column: Any) -> SqlTerm:
    return SqlTerm(column, QTY_SCALE)
