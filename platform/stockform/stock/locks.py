"""Locks (reservations): take stock from `available` into `locked` for a document line or an
outside reference, atomically, so two buyers of the last unit can never both get it.

Rows are locked in a fixed order (SKU, warehouse, batch), so two multi-line documents locking
the same SKUs in opposite orders cannot deadlock. Expired locks on the rows involved are
released in the same transaction, right before the attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    and_,
    bindparam,
    case,
    exists,
    false,
    select,
    update,
)

from ..db import Direct
from ..spec.expressions import Expression, SqlTerm, compile_python, compile_sql
from ..spec.model import LockRule, Template
from .bucket_moves import post_checked, post_within
from .catalog import load_field
from .columns import bucket_column, field_column, field_storage, stock_tables
from .errors import InsufficientStock, InvalidMovement, LockStateError, Shortage, UnknownItem
from .ledger import Move, Place, codes, post
from .quantities import evaluate, quantity_terms
from .tables import Batch, Lock, LockPart, Sku, table_of
from .units import QTY_SCALE, QuantityError, qty_decimal

ACTIVE = "active"


@dataclass(frozen=True)
class LockRequest:
    """Lock qty (thousandths) of a SKU at a warehouse, for a document line or a reference."""

    sku_id: int
    warehouse_id: int
    qty: int
    rule: str | None = None
    batch_id: int | None = None
    document_form: str | None = None
    document_id: int | None = None
    line_id: int | None = None
    reference: str | None = None
    expires_in: timedelta | None = None
    never_expires: bool = False


@dataclass(frozen=True)
class LockResult:
    id: int
    qty: int
    status: str
    expires_at: datetime | None


def rule_for(template: Template, name: str | None) -> LockRule:
    """The named lock rule, or the template's default one."""
    if name is None:
        rule = template.stock.default_lock_rule
        if rule is None:
            raise InvalidMovement("no lock rule named and the template has no default one")
        return rule
    if name not in template.stock.lock_rules:
        raise InvalidMovement(f"unknown lock rule '{name}'")
    return template.stock.lock_rules[name]


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
        rows = _locked_rows(connection, template, request.sku_id, request.warehouse_id)
        total = rows[0] if rows and rows[0]["batch_id"] == 0 else {}
        sums = {b: int(total.get(bucket_column(b), 0)) for b in template.stock.buckets}
        sku = _sku_record(connection, template, request.sku_id)
        if request.qty % 10 ** (3 - int(sku["precision"])):
            _refuse_finer_than_sku(connection, request.sku_id, request.qty)
        sums = _without_expired(connection, rule, rows, sums, now)
        qty = _lockable(template, rule, sums, sku, request.qty)
        if qty < request.qty and not (rule.partial and qty > 0):
            shortages.append(_shortage(connection, template, rule, request, sums, sku))
            continue
        picks = _pick(connection, template, rule, rows, qty, request.batch_id, now)
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
        fast = _fast_lock(connection, template, rule, request, user, now)
        if fast is not None:
            return fast
    place = (request.sku_id, request.warehouse_id)
    if place in swept:
        return None
    swept.add(place)
    freed = release_expired(connection, template, now, sku_id=place[0], warehouse_id=place[1])
    if freed and request.batch_id is None:
        return _fast_lock(connection, template, rule, request, user, now)
    return None


def _locked_rows(
    connection: Connection, template: Template, sku_id: int, warehouse_id: int
) -> list[dict[str, Any]]:
    balance = stock_tables(template).balance
    query = (
        select(balance)
        .where(balance.c.sku_id == sku_id, balance.c.warehouse_id == warehouse_id)
        .order_by(balance.c.batch_id)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return [dict(r._mapping) for r in connection.execute(query)]


def _without_expired(
    connection: Connection,
    rule: LockRule,
    rows: list[dict[str, Any]],
    sums: dict[str, int],
    now: datetime,
) -> dict[str, int]:
    """sums without the expired batches' goods in the rule's source bucket: `_pick` never
    takes them, so the check (and a refusal's figures) must not count them as promisable."""
    column = bucket_column(rule.from_bucket)
    held = {r["batch_id"]: r[column] for r in rows if r["batch_id"] and r[column] > 0}
    if not held:
        return sums
    table = table_of(Batch)
    expired = connection.execute(
        select(table.c.id).where(table.c.id.in_(list(held)), table.c.expiry < now.date())
    ).scalars()
    gone = sum(held[batch_id] for batch_id in expired)
    return {**sums, rule.from_bucket: sums[rule.from_bucket] - gone} if gone else sums


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


def _pick(
    connection: Connection,
    template: Template,
    rule: LockRule,
    rows: list[dict[str, Any]],
    qty: int,
    batch_id: int | None,
    now: datetime,
) -> list[tuple[int, int]]:
    """(batch, qty) to take, following the template's picking rule; expired batches never."""
    column = bucket_column(rule.from_bucket)
    batch_rows = [r for r in rows if r["batch_id"]]
    candidates = [r for r in batch_rows if r[column] > 0]
    # Row 0 is the total; what no batch row accounts for was received without a batch.
    unbatched = sum(r[column] for r in rows if not r["batch_id"]) - sum(
        r[column] for r in batch_rows
    )
    if unbatched > 0:
        candidates.append({"batch_id": 0, column: unbatched})
    if batch_id is not None:
        candidates = [r for r in candidates if r["batch_id"] == batch_id]
    batch_ids = [r["batch_id"] for r in candidates if r["batch_id"]]
    info: dict[int, tuple[date | None, datetime]] = {}
    if batch_ids:
        table = table_of(Batch)
        info = {
            b.id: (b.expiry, b.received_at)
            for b in connection.execute(
                select(table.c.id, table.c.expiry, table.c.received_at).where(
                    table.c.id.in_(batch_ids)
                )
            )
        }
        today = now.date()
        candidates = [
            r
            for r in candidates
            if not r["batch_id"] or (info[r["batch_id"]][0] or date.max) >= today
        ]

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        expiry, received = info.get(row["batch_id"], (None, None))
        if template.sku.tracking.picking == "FEFO":
            return (
                expiry or date.max,
                received or datetime.min.replace(tzinfo=UTC),
                row["batch_id"],
            )
        return (received or datetime.min.replace(tzinfo=UTC), row["batch_id"])

    picks, left = [], qty
    for row in sorted(candidates, key=order):
        if left == 0:
            break
        take = min(left, row[column])
        picks.append((row["batch_id"], take))
        left -= take
    return picks


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
    expires_in = request.expires_in if request.expires_in is not None else rule.expires_after
    expires_at = None if request.never_expires or expires_in is None else now + expires_in
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
        _move(request, lock_id, b, q, rule.from_bucket, rule.to_bucket, "lock") for b, q in picks
    ]
    post(connection, template, moves, user=user, now=now)
    return LockResult(lock_id, qty, ACTIVE, expires_at)


def _move(
    request: LockRequest | Lock | Any,
    lock_id: int,
    batch_id: int,
    qty: int,
    source: str | None,
    target: str | None,
    kind: str,
) -> Move:
    warehouse = request.warehouse_id
    return Move(
        sku_id=request.sku_id,
        qty=qty,
        source=Place(warehouse, source) if source else None,
        target=Place(warehouse, target) if target else None,
        batch_id=batch_id,
        kind=kind,
        document_form=request.document_form,
        document_id=request.document_id,
        line_id=request.line_id,
        reference=request.reference,
        lock_id=lock_id,
    )


_EXPIRED_AT_PLACE = (
    select(table_of(Lock).c.id)
    .where(
        table_of(Lock).c.sku_id == bindparam("sku"),
        table_of(Lock).c.warehouse_id == bindparam("wh"),
        table_of(Lock).c.status == ACTIVE,
        table_of(Lock).c.expires_at.is_not(None),
        table_of(Lock).c.expires_at <= bindparam("now"),
    )
    .order_by(table_of(Lock).c.id)
)
# A lock row, and whether it holds batches (has parts): one without them is all batch 0.
_LOAD = select(
    table_of(Lock),
    exists().where(table_of(LockPart).c.lock_id == table_of(Lock).c.id).label("has_parts"),
).where(table_of(Lock).c.id == bindparam("lock"))
_LOADS = {False: Direct(_LOAD), True: Direct(_LOAD.with_for_update(of=table_of(Lock)))}


def _load(connection: Connection, lock_id: int, *, for_update: bool = True) -> Any:
    row = _LOADS[for_update].first(connection, {"lock": lock_id})
    if row is None:
        raise UnknownItem(f"no lock {lock_id}")
    return row


def _parts(connection: Connection, lock_id: int, template: Template) -> list[tuple[int, int]]:
    """The open (batch, qty) parts of a lock, in the order goods leave: the template's
    picking rule, so a partial shipment takes the batch that expires (or came) first."""
    query = _PARTS[template.sku.tracking.picking == "FEFO"]
    return [(r.batch_id, r.open_qty) for r in connection.execute(query, {"lock": lock_id})]


def _parts_query(fefo: bool) -> Any:
    parts, batches = table_of(LockPart), table_of(Batch)
    query = (
        select(parts.c.batch_id, parts.c.open_qty)
        .select_from(parts.outerjoin(batches, batches.c.id == parts.c.batch_id))
        .where(parts.c.lock_id == bindparam("lock"), parts.c.open_qty > 0)
    )
    if fefo:
        query = query.order_by(batches.c.expiry.is_(None), batches.c.expiry)
    return query.order_by(batches.c.received_at, parts.c.batch_id)


_PARTS = {fefo: _parts_query(fefo) for fefo in (False, True)}


def _refuse_finer_than_sku(connection: Connection, sku_id: int, qty: int) -> None:
    precision = connection.execute(
        select(table_of(Sku).c.precision).where(table_of(Sku).c.id == sku_id)
    ).scalar_one()
    if qty % 10 ** (3 - int(precision)):
        allowed = "whole units" if precision == 0 else f"{precision} decimals"
        raise QuantityError(f"{qty_decimal(qty)} is finer than this SKU allows ({allowed})")


def _close(
    connection: Connection,
    template: Template,
    lock_id: int,
    qty: int | None,
    target: str | None,
    kind: str,
    status: str,
    user: str | None,
    now: datetime,
    lock: Any = None,
    batch_id: int | None = None,
) -> LockResult:
    """Move qty (default: all that is open) out of the lock: back (release) or out (consume).

    batch_id limits the parts taken to that batch (a count cutting one batch's locks).
    """
    lock = lock if lock is not None else _load(connection, lock_id)
    if lock.status != ACTIVE:
        raise LockStateError(f"lock {lock_id} is {lock.status}, not active")
    if qty is not None:
        _refuse_finer_than_sku(connection, lock.sku_id, qty)
    qty = lock.open_qty if qty is None else qty
    if qty <= 0 or qty > lock.open_qty:
        raise LockStateError(
            f"lock {lock_id} holds {qty_decimal(lock.open_qty)}; cannot take "
            f"{qty_decimal(qty)} from it"
        )
    if target is not None and batch_id is None and not lock.has_parts:
        return _close_unbatched(connection, template, lock, qty, target, kind, status, user, now)
    moves, left = [], qty
    parts = _parts(connection, lock_id, template)
    for part_batch, open_qty in parts or [(0, lock.open_qty)]:
        if left == 0:
            break
        if batch_id is not None and part_batch != batch_id:
            continue
        take = min(left, open_qty)
        left -= take
        moves.append(_move(lock, lock_id, part_batch, take, lock.to_bucket, target, kind))
        if parts:
            connection.execute(
                _PART_UPDATE, {"lock": lock_id, "batch": part_batch, "open": open_qty - take}
            )
    if left:
        raise LockStateError(f"lock {lock_id} holds less than {qty_decimal(qty)} in that batch")
    remaining = lock.open_qty - qty
    connection.execute(
        _LOCK_UPDATE,
        {"lock": lock_id, "open": remaining, "status": ACTIVE if remaining else status},
    )
    post(connection, template, moves, user=user, now=now, from_lock=True)
    return LockResult(lock_id, remaining, ACTIVE if remaining else status, lock.expires_at)


def _close_unbatched(
    connection: Connection,
    template: Template,
    lock: Any,
    qty: int,
    target: str,
    kind: str,
    status: str,
    user: str | None,
    now: datetime,
) -> LockResult:
    """Give qty of a lock without batches back to a bucket of its warehouse: the lock row,
    the balance and the movement in one statement on PostgreSQL, three on SQLite."""
    remaining = lock.open_qty - qty
    status = ACTIVE if remaining else status
    move = _move(lock, lock.id, 0, qty, lock.to_bucket, target, kind)
    row = {"lock": lock.id, "open": remaining, "status": status}
    post_within(connection, template, move, user=user, now=now, alongside=(_LOCK_CHANGE, row))
    return LockResult(lock.id, remaining, status, lock.expires_at)


_PART_UPDATE = (
    update(table_of(LockPart))
    .where(
        table_of(LockPart).c.lock_id == bindparam("lock"),
        table_of(LockPart).c.batch_id == bindparam("batch"),
    )
    .values(open_qty=bindparam("open"))
)
_LOCK_UPDATE = (
    update(table_of(Lock))
    .where(table_of(Lock).c.id == bindparam("lock"))
    .values(open_qty=bindparam("open"), status=bindparam("status"))
)
_LOCK_CHANGE = Direct(_LOCK_UPDATE)


def _fast_lock(
    connection: Connection,
    template: Template,
    rule: LockRule,
    request: LockRequest,
    user: str | None,
    now: datetime,
    codes: tuple[str, str] | None = None,
) -> LockResult | None:
    """A lock of a SKU without batches as one conditional UPDATE; None to take the long way
    (not enough stock, a partial rule, batches, an expired lock still holding stock at the
    place), which also explains a refusal. With codes the request's ids are not used."""
    expires_in = request.expires_in if request.expires_in is not None else rule.expires_after
    expires_at = None if request.never_expires or expires_in is None else now + expires_in
    owner = {
        "rule": rule.name,
        "sku_id": request.sku_id,
        "warehouse_id": request.warehouse_id,
        "from_bucket": rule.from_bucket,
        "to_bucket": rule.to_bucket,
        "qty": request.qty,
        "open_qty": request.qty,
        "status": ACTIVE,
        "expires_at": expires_at,
        "document_form": request.document_form,
        "document_id": request.document_id,
        "line_id": request.line_id,
        "reference": request.reference,
        "created_at": now,
        "user": user,
    }
    move = _move(request, 0, 0, request.qty, rule.from_bucket, rule.to_bucket, "lock")
    lock_id = post_checked(
        connection,
        template,
        move,
        lambda: _check_sql(template, rule),
        f"lock:{rule.name}",
        {"now": now},
        table_of(Lock),
        owner,
        codes=codes,
        user=user,
        now=now,
    )
    if lock_id is None:
        return None
    return LockResult(lock_id, request.qty, ACTIVE, expires_at)


def lock_by_code(
    connection: Connection,
    template: Template,
    sku: str,
    warehouse: str,
    request: LockRequest,
    *,
    user: str | None = None,
    now: datetime | None = None,
) -> LockResult | None:
    """Lock a SKU without batches named by code in one statement (`Stock.lock`'s first try:
    on PostgreSQL it may run as a transaction of its own); the request's ids are not used.

    None, writing nothing, when the long way must decide: unknown codes, a quantity finer
    than the SKU allows, not enough stock, an expired lock holding stock there, batches.
    """
    if request.batch_id is not None or request.qty <= 0:
        return None
    try:
        rule = rule_for(template, request.rule)
    except InvalidMovement:
        return None  # the long way says so, once it knows the codes
    now = now or datetime.now(UTC)
    return _fast_lock(connection, template, rule, request, user, now, (sku, warehouse))


def _check_sql(template: Template, rule: LockRule) -> Any:
    """The rule's check as SQL over the balance row (qty bound as :qty), for SKUs without
    batches only: the check and the change must happen in one statement."""
    tables = stock_tables(template)
    balance, sku = tables.balance, tables.sku
    buckets = template.stock.buckets

    def resolve(path: tuple[str, ...]) -> SqlTerm:
        if len(path) == 1 and path[0] in buckets:
            return SqlTerm(balance.c[bucket_column(path[0])], QTY_SCALE)
        if path == ("qty",):
            return SqlTerm(bindparam("qty", type_=BigInteger()), QTY_SCALE)
        if path[0] == "sku" and len(path) == 2:
            name = path[1]
            if name in template.sku.fields:
                column = sku.c[field_column(name)]
                scale = field_storage(template.sku.fields[name].type).scale
            else:
                column, scale = sku.c[name], 1
            value = select(column).where(sku.c.id == balance.c.sku_id).scalar_subquery()
            return SqlTerm(value, scale)
        raise LookupError(".".join(path))

    terms = quantity_terms(template, resolve)

    def resolve_all(path: tuple[str, ...]) -> SqlTerm:
        return terms[path[0]] if len(path) == 1 and path[0] in terms else resolve(path)

    without_batches = (
        select(sku.c.batches).where(sku.c.id == balance.c.sku_id).scalar_subquery() == false()
    )
    precision = select(sku.c.precision).where(sku.c.id == balance.c.sku_id).scalar_subquery()
    step = case({0: 1000, 1: 100, 2: 10}, value=precision, else_=1)
    # A quantity finer than the SKU allows goes the long way, which refuses it by name.
    whole = bindparam("qty", type_=BigInteger()) % step == 0
    # Expired locks are released before any attempt on their row: while one still holds
    # stock here, the UPDATE refuses and `acquire` releases them first.
    locks = table_of(Lock)
    expired_here = exists().where(
        locks.c.sku_id == balance.c.sku_id,
        locks.c.warehouse_id == balance.c.warehouse_id,
        locks.c.status == ACTIVE,
        locks.c.expires_at <= bindparam("now"),
    )
    return and_(compile_sql(rule.check, resolve_all).expr, without_batches, whole, ~expired_here)


def release(
    connection: Connection,
    template: Template,
    lock_id: int,
    qty: int | None = None,
    *,
    user: str | None = None,
    now: datetime | None = None,
) -> LockResult:
    """Give locked stock back to the bucket it came from."""
    lock = _load(connection, lock_id)
    return _close(
        connection,
        template,
        lock_id,
        qty,
        lock.from_bucket,
        "release",
        "released",
        user,
        now or datetime.now(UTC),
        lock,
    )


def consume(
    connection: Connection,
    template: Template,
    lock_id: int,
    qty: int | None = None,
    *,
    user: str | None = None,
    now: datetime | None = None,
    kind: str = "sale",
) -> LockResult:
    """Ship locked stock: locked -> outside (all of it, or qty for a partial shipment)."""
    return _close(
        connection, template, lock_id, qty, None, kind, "consumed", user, now or datetime.now(UTC)
    )


def cut(
    connection: Connection,
    template: Template,
    lock_id: int,
    qty: int,
    batch_id: int,
    *,
    user: str | None = None,
    now: datetime | None = None,
) -> LockResult:
    """Give qty of one batch of a lock back to its source bucket, because a count found the
    goods missing: the lock keeps the rest, or ends as `cut`."""
    lock = _load(connection, lock_id)
    return _close(
        connection,
        template,
        lock_id,
        qty,
        lock.from_bucket,
        "cut",
        "cut",
        user,
        now or datetime.now(UTC),
        lock,
        batch_id,
    )


def keep(connection: Connection, lock_id: int) -> LockResult:
    """Make a lock permanent: it no longer expires (an order was paid)."""
    lock = _load(connection, lock_id)
    if lock.status != ACTIVE:
        raise LockStateError(f"lock {lock_id} is {lock.status}, not active")
    table = table_of(Lock)
    connection.execute(update(table).where(table.c.id == lock_id).values(expires_at=None))
    return LockResult(lock_id, lock.open_qty, ACTIVE, None)


def release_expired(
    connection: Connection,
    template: Template,
    now: datetime,
    *,
    sku_id: int | None = None,
    warehouse_id: int | None = None,
    limit: int | None = None,
) -> int:
    """Release locks whose time is up (for the given rows, or all); returns how many."""
    if sku_id is not None and limit is None:
        # Before the long way of a lock attempt: one prebuilt statement.
        found = (
            connection.execute(_EXPIRED_AT_PLACE, {"sku": sku_id, "wh": warehouse_id, "now": now})
            .scalars()
            .all()
        )
    else:
        table = table_of(Lock)
        query = select(table.c.id).where(
            table.c.status == ACTIVE, table.c.expires_at.is_not(None), table.c.expires_at <= now
        )
        if sku_id is not None:
            query = query.where(table.c.sku_id == sku_id, table.c.warehouse_id == warehouse_id)
        query = query.order_by(table.c.sku_id, table.c.warehouse_id, table.c.id)
        if limit is not None:
            query = query.limit(limit)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
        found = connection.execute(query).scalars().all()
    closed = 0
    for lock_id in found:
        lock = _load(connection, lock_id)
        # Another transaction may have released, kept or expired it while we waited for its
        # row: re-read under the row lock and leave it alone unless it is still due.
        if lock.status != ACTIVE or lock.expires_at is None or lock.expires_at > now:
            continue
        _close(
            connection,
            template,
            lock_id,
            None,
            lock.from_bucket,
            "expire",
            "expired",
            None,
            now,
            lock,
        )
        closed += 1
    return closed


def locks_of(
    connection: Connection,
    *,
    document_form: str | None = None,
    document_id: int | None = None,
    reference: str | None = None,
    rule: str | None = None,
    active_only: bool = True,
) -> list[Any]:
    """The locks of a document (or of an outside reference), oldest first."""
    table = table_of(Lock)
    query = select(table).order_by(table.c.id)
    if document_form is not None:
        query = query.where(
            table.c.document_form == document_form, table.c.document_id == document_id
        )
    if reference is not None:
        query = query.where(table.c.reference == reference)
    if rule is not None:
        query = query.where(table.c.rule == rule)
    if active_only:
        query = query.where(table.c.status == ACTIVE)
    return list(connection.execute(query))
