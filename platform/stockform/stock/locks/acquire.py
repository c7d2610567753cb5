"""Locking a document's lines (or one request) all or none: each line the fast way where it
applies, else the long way, which checks the rule in Python, picks batches and names every
short line.

Rows are locked in a fixed order (SKU, warehouse, request), so two multi-line documents
locking the same SKUs in opposite orders cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ...spec.expressions import Expression, compile_python
from ...spec.model import LockRule, Template
from ..catalog import load_field
from ..columns import bucket_column, field_column, stock_tables
from ..errors import InsufficientStock, Shortage, UnknownItem
from ..ledger import codes, post
from ..quantities import evaluate
from ..tables import Lock, LockPart, table_of
from ..units import qty_decimal
from .expiry import release_expired
from .fast import fast_lock
from .model import (
    ACTIVE,
    LockRequest,
    LockResult,
    expiry_of,
    lock_move,
    refuse_finer_than_sku,
    rule_for,
)
from .picking import locked_rows, pick, without_expired


def acquire(
    connection: Connection,
    template: Template,
    requests: Sequence[LockRequest],
    *,
    user: str | None = None,
    now: datetime | None = None,
) -> list[LockResult]:
    """Lock every request or none (partial only where a rule allows it).

    Raises InsufficientStock naming every short line; the caller rolls back.
    """
    now = now or datetime.now(UTC)
    order = sorted(
        range(len(requests)), key=lambda i: (requests[i].sku_id, requests[i].warehouse_id, i)
    )
    swept: set[tuple[int, int]] = set()  # places whose expired locks are released
    results: dict[int, LockResult] = {}
    shortages: list[Shortage] = []
    for index in order:
        request = requests[index]
        rule = rule_for(template, request.rule)
        fast = _lock_fast_or_sweep(connection, template, rule, request, user, now, swept)
        if fast is not None:
            results[index] = fast
            continue
        rows = locked_rows(connection, template, request.sku_id, request.warehouse_id)
        total = rows[0] if rows and rows[0]["batch_id"] == 0 else {}
        sums = {b: int(total.get(bucket_column(b), 0)) for b in template.stock.buckets}
        sku = _sku_record(connection, template, request.sku_id)
        if request.qty % 10 ** (3 - int(sku["precision"])):
            refuse_finer_than_sku(connection, request.sku_id, request.qty)
        sums = without_expired(connection, rule, rows, sums, now)
        qty = _lockable(template, rule, sums, sku, request.qty)
        if qty < request.qty and not (rule.partial and qty > 0):
            shortages.append(_shortage(connection, template, rule, request, sums, sku))
            continue
        picks = pick(connection, template, rule, rows, qty, request.batch_id, now)
        if sum(p[1] for p in picks) < qty:
            shortages.append(_shortage(connection, template, rule, request, sums, sku))
            continue
        results[index] = _record(connection, template, rule, request, picks, qty, user, now)
    if shortages:
        raise InsufficientStock(shortages)
    return [results[i] for i in range(len(requests))]


def _lock_fast_or_sweep(
    connection: Connection,
    template: Template,
    rule: LockRule,
    request: LockRequest,
    user: str | None,
    now: datetime,
    swept: set[tuple[int, int]],
) -> LockResult | None:
    """The one-statement lock where it applies; else (None) the place's expired locks are
    released, so the long way starts without them.

    The fast UPDATE refuses while an expired lock holds stock at its place; when releasing
    them freed anything, it is tried again.
    """
    if request.batch_id is None:
        fast = fast_lock(connection, template, rule, request, user, now)
        if fast is not None:
            return fast
    place = (request.sku_id, request.warehouse_id)
    if place in swept:
        return None
    swept.add(place)
    freed = release_expired(connection, template, now, sku_id=place[0], warehouse_id=place[1])
    if freed and request.batch_id is None:
        return fast_lock(connection, template, rule, request, user, now)
    return None


def _sku_record(connection: Connection, template: Template, sku_id: int) -> dict[str, Any]:
    table = stock_tables(template).sku
    row = connection.execute(select(table).where(table.c.id == sku_id)).first()
    if row is None:
        raise UnknownItem(f"no SKU with id {sku_id}")
    values = row._mapping
    record: dict[str, Any] = {k: values[k] for k in ("code", "name", "unit", "barcode")}
    record["precision"] = Decimal(values["precision"])
    for name, spec in template.sku.fields.items():
        record[name] = load_field(spec.type, values[field_column(name)])
    return record


_CHECKS: dict[Expression, Callable[[Mapping[str, Any]], Any]] = {}


def _check(
    template: Template, rule: LockRule, sums: dict[str, int], sku: dict[str, Any], qty: int
) -> bool:
    if rule.check not in _CHECKS:
        _CHECKS[rule.check] = compile_python(rule.check)
    env: dict[str, Any] = {b: qty_decimal(v) for b, v in sums.items()}
    env.update(evaluate(template, sums, sku))
    env["sku"] = sku
    env["qty"] = qty_decimal(qty)
    return bool(_CHECKS[rule.check](env))


def _lockable(
    template: Template, rule: LockRule, sums: dict[str, int], sku: dict[str, Any], qty: int
) -> int:
    """qty when the rule's check allows it; else, for partial rules, the most that it allows."""
    if _check(template, rule, sums, sku, qty):
        return qty
    if not rule.partial:
        return 0
    step: int = 10 ** (3 - int(sku["precision"]))
    low, high = 0, qty // step  # in steps of the SKU's precision
    while low < high:
        mid = (low + high + 1) // 2
        if _check(template, rule, sums, sku, mid * step):
            low = mid
        else:
            high = mid - 1
    return int(low * step)


def _shortage(
    connection: Connection,
    template: Template,
    rule: LockRule,
    request: LockRequest,
    sums: dict[str, int],
    sku: dict[str, Any],
) -> Shortage:
    quantities = evaluate(template, sums, sku)
    shown = "sellable" if "sellable" in quantities else rule.from_bucket
    have = quantities.get(shown, qty_decimal(sums.get(rule.from_bucket, 0)))
    sku_code, warehouse_code = codes(connection, request.sku_id, request.warehouse_id)
    return Shortage(
        sku_code,
        warehouse_code,
        shown,
        qty_decimal(request.qty),
        have if have is not None else Decimal(0),
        request.line_id,
    )


def _record(
    connection: Connection,
    template: Template,
    rule: LockRule,
    request: LockRequest,
    picks: list[tuple[int, int]],
    qty: int,
    user: str | None,
    now: datetime,
) -> LockResult:
    expires_at = expiry_of(rule, request, now)
    lock_id = int(
        connection.execute(
            table_of(Lock)
            .insert()
            .values(
                rule=rule.name,
                sku_id=request.sku_id,
                warehouse_id=request.warehouse_id,
                from_bucket=rule.from_bucket,
                to_bucket=rule.to_bucket,
                qty=qty,
                open_qty=qty,
                status=ACTIVE,
                expires_at=expires_at,
                document_form=request.document_form,
                document_id=request.document_id,
                line_id=request.line_id,
                reference=request.reference,
                created_at=now,
                user=user,
            )
            .returning(table_of(Lock).c.id)
        ).scalar_one()
    )
    if picks != [(0, qty)]:  # a lock without batches needs no parts: it is all batch 0
        connection.execute(
            table_of(LockPart).insert(),
            [{"lock_id": lock_id, "batch_id": b, "open_qty": q} for b, q in picks],
        )
    moves = [
        lock_move(request, lock_id, b, q, rule.from_bucket, rule.to_bucket, "lock")
        for b, q in picks
    ]
    post(connection, template, moves, user=user, now=now)
    return LockResult(lock_id, qty, ACTIVE, expires_at)
