"""The fast path: a lock of a SKU without batches as one conditional UPDATE, the rule's
check compiled to SQL over the balance row so that the check and the change are one step."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, and_, bindparam, case, exists, false, select

from ...spec.expressions import SqlTerm, compile_sql
from ...spec.model import LockRule, Template
from ..bucket_moves import post_checked
from ..columns import bucket_column, field_column, field_storage, stock_tables
from ..errors import InvalidMovement
from ..quantities import quantity_terms
from ..tables import Lock, table_of
from ..units import QTY_SCALE
from .model import ACTIVE, LockRequest, LockResult, expiry_of, is_active, lock_move, rule_for


def fast_lock(
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
    expires_at = expiry_of(rule, request, now)
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
    move = lock_move(request, 0, 0, request.qty, rule.from_bucket, rule.to_bucket, "lock")
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
    return fast_lock(connection, template, rule, request, user, now, (sku, warehouse))


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
        is_active(locks),
        locks.c.expires_at <= bindparam("now"),
    )
    return and_(compile_sql(rule.check, resolve_all).expr, without_batches, whole, ~expired_here)
