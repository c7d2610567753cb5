"""Direct locks for order systems: take, list, read, release, keep, consume.

Locks a document took belong to its workflow: they are read here but changed only by acting
on the document.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Response

from ..documents.users import Actor
from ..spec.issues import did_you_mean
from ..spec.model import ALL, Template
from ..stock.errors import UnknownItem
from ..stock.lock_records import STATUSES, LockRecord
from ..stock.units import QuantityError, qty_decimal, to_qty
from .context import (
    actor,
    body,
    bp,
    decimal_text,
    existing_id,
    jsonify,
    paging,
    query_choice,
    query_text,
    runtime,
    stock,
    takes_query,
)
from .errors import ApiError
from .inputs import Fields
from .warnings import after_posting

MAX_EXPIRES_IN = 366 * 24 * 3600


def lock_json(lock: LockRecord) -> dict[str, Any]:
    return {
        "id": lock.id,
        "rule": lock.rule,
        "sku": lock.sku,
        "warehouse": lock.warehouse,
        "qty": decimal_text(lock.qty),
        "open_qty": decimal_text(lock.open_qty),
        "status": lock.status,
        "expires_at": lock.expires_at.isoformat() if lock.expires_at else None,
        "reference": lock.reference,
        "document": (
            {"form": lock.document_form, "id": lock.document_id, "line_id": lock.line_id}
            if lock.owned_by_document
            else None
        ),
        "created_at": lock.created_at.isoformat(),
        "user": lock.user,
    }


def may_work_in(who: Actor, template: Template, warehouse: str) -> bool:
    """Whether one of the actor's roles covers the warehouse (admin covers every one)."""
    if who.is_admin:
        return True
    return any(
        template.roles[r].warehouses == ALL or warehouse in template.roles[r].warehouses
        for r in who.roles
        if r in template.roles
    )


def _require_warehouse(warehouse: str) -> None:
    if not may_work_in(actor(), runtime().template, warehouse):
        raise ApiError("forbidden", f"your roles may not work in warehouse {warehouse}")


@bp.post("/locks")
def create_lock() -> Response:
    fields = Fields(body(), ("sku", "warehouse", "qty", "reference", "rule", "expires_in"))
    sku = fields.text("sku", required=True, max_length=64)
    warehouse = fields.text("warehouse", required=True, max_length=32)
    qty = fields.decimal("qty", required=True)
    reference = fields.text("reference", required=True, max_length=128)
    rule = fields.text("rule", max_length=64)
    expires_in = fields.integer("expires_in", high=MAX_EXPIRES_IN)
    template = runtime().template
    rules = template.stock.lock_rules
    if rule is not None and rule not in rules:
        hint = did_you_mean(rule, rules)
        fields.fail("rule", f"no lock rule '{rule}'" + (f" ({hint})" if hint else ""))
    elif rule is None and template.stock.default_lock_rule is None:
        fields.fail("rule", "required: the template has no default lock rule")
    if warehouse is not None and warehouse not in template.warehouses:
        fields.fail("warehouse", f"no warehouse '{warehouse}'")
    fields.check()
    assert sku is not None and warehouse is not None and qty is not None
    _require_warehouse(warehouse)
    now = datetime.now(UTC)
    try:
        # One transaction: the codes are looked up inside the lock's own.
        result = stock().lock(
            sku,
            warehouse,
            qty,
            rule=rule,
            reference=reference,
            expires_in=None if expires_in is None else timedelta(seconds=expires_in),
            user=actor().username,
            now=now,
        )
    except UnknownItem as exc:
        fields.fail("sku", str(exc))
        fields.check()
        raise
    except QuantityError as exc:
        fields.fail("qty", str(exc))
        fields.check()
        raise
    after_posting([(sku, warehouse)])
    # What was just written, without reading it back: this is the hot path of order systems.
    taken = LockRecord(
        id=result.id,
        rule=rule or rules_default(template),
        sku=sku,
        warehouse=warehouse,
        qty=qty_decimal(result.qty),
        open_qty=qty_decimal(result.qty),
        status=result.status,
        expires_at=result.expires_at,
        reference=reference,
        document_form=None,
        document_id=None,
        line_id=None,
        created_at=now,
        user=actor().username,
    )
    return jsonify(lock_json(taken), 201)


def rules_default(template: Template) -> str:
    rule = template.stock.default_lock_rule
    assert rule is not None  # checked with the request's fields
    return rule.name


@bp.get("/locks")
@takes_query("reference", "sku", "warehouse", "status", "page", "per_page")
def list_locks() -> Response:
    page, per_page = paging()
    items, total = stock().find_locks(
        reference=query_text("reference"),
        sku=query_text("sku"),
        warehouse=query_text("warehouse"),
        status=query_choice("status", STATUSES),
        page=page,
        per_page=per_page,
    )
    return jsonify(
        {
            "items": [lock_json(lock) for lock in items],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


@bp.get("/locks/<int:lock_id>")
def get_lock(lock_id: int) -> Response:
    return jsonify(lock_json(stock().lock_record(existing_id("lock", lock_id))))


def _changeable(lock_id: int, action: str) -> LockRecord:
    lock = stock().lock_record(existing_id("lock", lock_id))
    _require_warehouse(lock.warehouse)
    if lock.owned_by_document:
        raise ApiError(
            "invalid_transition",
            f"lock {lock_id} belongs to {lock.document_form} document {lock.document_id}; "
            f"{action} it by acting on the document",
        )
    return lock


def _qty(lock: LockRecord) -> Decimal | None:
    """The optional qty of a partial release or shipment, at most what the lock holds."""
    fields = Fields(body(required=False), ("qty",))
    qty = fields.decimal("qty")
    if qty is not None and qty > lock.open_qty:
        fields.fail("qty", f"lock {lock.id} holds {decimal_text(lock.open_qty)}; not {qty}")
    elif qty is not None:
        try:
            to_qty(qty, stock().ids(lock.sku, lock.warehouse)[2])
        except QuantityError as exc:
            fields.fail("qty", str(exc))
    fields.check()
    return qty


@bp.post("/locks/<int:lock_id>/release")
def release_lock(lock_id: int) -> Response:
    lock = _changeable(lock_id, "release")
    engine = stock()
    engine.release(lock_id, _qty(lock), user=actor().username)
    after_posting([(lock.sku, lock.warehouse)])
    return jsonify(lock_json(engine.lock_record(lock_id)))


@bp.post("/locks/<int:lock_id>/keep")
def keep_lock(lock_id: int) -> Response:
    _changeable(lock_id, "keep")
    Fields(body(required=False), ()).check()
    engine = stock()
    engine.keep(lock_id)
    return jsonify(lock_json(engine.lock_record(lock_id)))


@bp.post("/locks/<int:lock_id>/consume")
def consume_lock(lock_id: int) -> Response:
    lock = _changeable(lock_id, "ship")
    engine = stock()
    engine.consume(lock_id, _qty(lock), user=actor().username)
    after_posting([(lock.sku, lock.warehouse)])
    return jsonify(lock_json(engine.lock_record(lock_id)))
