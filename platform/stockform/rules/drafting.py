"""Suggestions turned into documents: draft orders (one per warehouse) and draft transfers (one
per pair of warehouses), created together through `Documents.create_many` or not at all, and
applying a suggested safety stock to a SKU."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from ..documents.errors import Forbidden
from ..documents.service import Documents, DocumentView
from ..documents.users import Actor
from ..spec.issues import did_you_mean
from ..spec.model import DraftForm, Replenishment, Template
from ..stock import catalog
from ..stock.errors import UnknownItem
from ..stock.tables import Event, Sku, table_of
from ..stock.units import QuantityError, to_qty
from .errors import ReplenishmentError

if TYPE_CHECKING:
    from .replenishment import Pick

SAFETY_STOCK_EVENT = "safety_stock_applied"


def settings_of(template: Template) -> Replenishment:
    found = template.stock.replenishment
    if found is None:
        raise ReplenishmentError(
            None, "the template has no stock.replenishment section: add one to plan replenishment"
        )
    return found


def draft(documents: Documents, picks: Sequence[Pick], actor: Actor) -> list[DocumentView]:
    """The draft documents of the picks: orders by warehouse, then transfers by pair."""
    template = documents.template
    settings = settings_of(template)
    if not picks:
        raise ReplenishmentError(None, "nothing to draft: choose at least one suggestion")
    groups: dict[tuple[str | None, str], dict[str, Decimal]] = {}
    with documents.engine.connect() as connection:
        precisions = _precisions(connection, [p.sku for p in picks])
        for n, pick in enumerate(picks, start=1):
            _check(connection, template, settings, pick, n, precisions)
            lines = groups.setdefault((pick.from_warehouse, pick.warehouse), {})
            lines[pick.sku] = lines.get(pick.sku, Decimal(0)) + pick.qty
    # Orders first, then transfers, each by warehouse code: the same picks draft the same way.
    ordered = sorted(groups.items(), key=lambda item: (item[0][0] is not None, item[0]))
    items = []
    for (source, target), lines in ordered:
        spec = settings.transfer if source is not None else settings.order
        assert spec is not None  # _check refused picks without a form
        fields = {spec.to_field: target}
        if source is not None:
            assert spec.from_field is not None
            fields[spec.from_field] = source
        rows = [{spec.sku_field: sku, spec.qty_field: qty} for sku, qty in lines.items()]
        items.append((spec.form, fields, rows))
    return documents.create_many(items, actor)


def _check(
    connection: Connection,
    template: Template,
    settings: Replenishment,
    pick: Pick,
    n: int,
    precisions: dict[str, int],
) -> None:
    where = f"pick {n}"
    if pick.sku not in precisions:
        hint = did_you_mean(pick.sku, sku_candidates(connection, pick.sku))
        raise ReplenishmentError("sku", f"{where}: unknown SKU '{pick.sku}'" + _hint(hint))
    for name, code in (("warehouse", pick.warehouse), ("from_warehouse", pick.from_warehouse)):
        if code is not None and code not in template.warehouses:
            hint = did_you_mean(code, template.warehouses)
            raise ReplenishmentError(name, f"{where}: unknown warehouse '{code}'" + _hint(hint))
    if pick.from_warehouse == pick.warehouse:
        raise ReplenishmentError(
            "from_warehouse", f"{where}: a transfer needs two different warehouses"
        )
    form: DraftForm | None = settings.order if pick.from_warehouse is None else settings.transfer
    if form is None:
        kind = "order" if pick.from_warehouse is None else "transfer"
        raise ReplenishmentError(
            None, f"{where}: the template names no {kind} form under stock.replenishment"
        )
    if not isinstance(pick.qty, Decimal | int) or pick.qty <= 0:
        raise ReplenishmentError("qty", f"{where}: the quantity must be more than 0")
    try:
        to_qty(pick.qty, precisions[pick.sku])
    except QuantityError as exc:
        raise ReplenishmentError("qty", f"{where}: {exc}") from None


def _precisions(connection: Connection, codes: list[str]) -> dict[str, int]:
    """The precision of each known, active SKU among codes."""
    sku = table_of(Sku)
    query = select(sku.c.code, sku.c.precision).where(
        sku.c.code.in_(sorted(set(codes))), sku.c.active.is_(True)
    )
    return {r[0]: int(r[1]) for r in connection.execute(query)}


def _hint(hint: str | None) -> str:
    return f" ({hint})" if hint else ""


def sku_candidates(connection: Connection, code: str, limit: int = 2000) -> list[str]:
    """Codes a mistyped SKU code may have meant: those starting with the same letter."""
    sku = table_of(Sku)
    first = code[:1].lower()
    query = (
        select(sku.c.code)
        .where(func.lower(func.substr(sku.c.code, 1, 1)) == first)
        .order_by(sku.c.code)
        .limit(limit)
    )
    return list(connection.execute(query).scalars())


def apply(
    connection: Connection, template: Template, sku: str, value: Decimal, actor: Actor
) -> None:
    """Write value to the SKU's safety stock field and record who did it in sf_event."""
    settings = settings_of(template)
    name = settings.safety_stock_field
    if name is None:
        raise ReplenishmentError(
            None, "the template names no safety_stock_field under stock.replenishment"
        )
    if not actor.is_admin:
        # SKU values are the admin's to change (as the SKU API and pages have it).
        raise Forbidden("only the admin role may change a SKU's safety stock")
    try:
        before = catalog.get_sku(connection, template, sku)
    except UnknownItem:
        hint = did_you_mean(sku, sku_candidates(connection, sku))
        raise ReplenishmentError("sku", f"unknown SKU '{sku}'" + _hint(hint)) from None
    if value < 0:
        raise ReplenishmentError("value", "a safety stock cannot be below 0")
    try:
        catalog.update_sku(connection, template, sku, {name: value})
    except catalog.SkuInvalid as exc:
        raise ReplenishmentError("value", exc.errors.get(name, str(exc))) from None
    connection.execute(
        table_of(Event).insert(),
        {
            "kind": SAFETY_STOCK_EVENT,
            "at": datetime.now(UTC),
            "user": actor.username,
            "detail": {
                "sku": sku,
                "field": name,
                "from": _text(before.get(name)),
                "to": _text(value),
            },
        },
    )


def _text(value: Any) -> str | None:
    return (
        None if value is None else format(value, "f") if isinstance(value, Decimal) else str(value)
    )
