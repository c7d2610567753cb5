"""Replenishment: reorder points, suggested safety stock, order and transfer suggestions, and
the draft documents they turn into.

Per (SKU, warehouse), over the template's `stock.replenishment` settings:
- daily demand = the quantity of the demand kinds of movement leaving the warehouse to outside
  on each of the last `history_days` days (days with none count as 0);
- average daily demand d, sample standard deviation s of the daily demand;
- lead time L (days, from the template's `lead_time` expression over the SKU);
- suggested safety stock = z(service level) × s × √L, the service level per category;
- reorder point = d × L + suggested safety stock;
- position = the template's `position` stock expression + on order (open order-form documents
  not yet received) + incoming open transfers not yet shipped − outgoing ones;
- when position ≤ max(reorder point, min) and that level is above 0: order up to `max`
  (or to that level + d × cover_days without a max), in multiples of `multiple`;
- transfers first from warehouses with surplus, then orders for what is still short.

The sums come from SQL (figures.py, demand.py, pipeline.py); the arithmetic is ordering.py's;
documents and the safety stock field are written by drafting.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from ..documents.service import Documents, DocumentView
from ..documents.users import Actor
from ..spec.model import Template
from . import drafting
from .errors import ReplenishmentError

__all__ = [
    "Filter",
    "Pick",
    "Plan",
    "ReplenishmentError",
    "Suggestion",
    "TransferSuggestion",
    "apply_safety_stock",
    "draft_documents",
    "drafting_forms",
    "may_replenish",
    "plan",
]


@dataclass(frozen=True)
class Filter:
    """Which rows a plan covers (codes as the user typed them; None = all)."""

    sku: str | None = None
    warehouse: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class TransferSuggestion:
    sku: str
    from_warehouse: str
    to_warehouse: str
    qty: Decimal


@dataclass(frozen=True)
class Suggestion:
    """The figures for one (SKU, warehouse), and what to do about them."""

    sku: str
    sku_name: str
    warehouse: str
    category: str | None
    unit: str
    history_days: int
    average_daily_demand: Decimal  # to 4 decimals
    demand_deviation: Decimal  # sample standard deviation of the daily demand, to 4 decimals
    lead_time_days: Decimal
    service_level: Decimal  # 0.95 for 95 %
    z: Decimal
    safety_stock: Decimal  # suggested: z × s × √L, rounded up to the SKU's precision
    current_safety_stock: Decimal | None  # the SKU's own (the template's safety stock field)
    reorder_point: Decimal  # d × L + suggested safety stock, rounded up to the SKU's precision
    min_level: Decimal | None
    max_level: Decimal | None
    multiple: Decimal | None
    stock: Decimal  # the template's `position` expression for this row
    on_order: Decimal  # open order-form documents not yet received here
    incoming: Decimal  # open transfers to here not yet shipped
    outgoing: Decimal  # open transfers from here not yet shipped
    position: Decimal  # stock + on_order + incoming − outgoing
    order_qty: Decimal  # suggested purchase; 0 when none
    transfer_in: Decimal  # suggested transfers to here, summed

    @property
    def needs_action(self) -> bool:
        return self.order_qty > 0 or self.transfer_in > 0


@dataclass(frozen=True)
class Plan:
    as_of: datetime
    suggestions: Sequence[Suggestion]  # rows needing action first, then the rest
    transfers: Sequence[TransferSuggestion]


@dataclass(frozen=True)
class Pick:
    """One suggestion the user chose to turn into a document: an order (`from_warehouse` None)
    or a transfer; `qty` may be changed from the suggested one."""

    sku: str
    warehouse: str
    qty: Decimal
    from_warehouse: str | None = None


def plan(
    connection: Connection,
    template: Template,
    now: datetime,
    which: Filter = Filter(),
    needing_action_only: bool = False,
) -> Plan:
    """Compute the suggestions for the rows in `which` as of `now`.

    `Plan.suggestions` makes each Suggestion when it is read: slicing a page out of 500,000
    rows costs that page.
    """
    from .planning import make_plan  # it builds this module's dataclasses

    return make_plan(connection, template, now, which, needing_action_only)


def drafting_forms(template: Template) -> tuple[str, ...]:
    """The forms suggestions are drafted as: the order form and the transfer form (none
    without a replenishment section)."""
    settings = template.stock.replenishment
    if settings is None:
        return ()
    return tuple(draft.form for draft in (settings.order, settings.transfer) if draft)


def may_replenish(documents: Documents, actor: Actor) -> bool:
    """Admins, and users whose roles may create the order form or the transfer form."""
    return actor.is_admin or any(
        documents.may(actor, form, "create") for form in drafting_forms(documents.template)
    )


def draft_documents(
    documents: Documents, picks: Sequence[Pick], actor: Actor
) -> list[DocumentView]:
    """Create draft order-form documents (one per warehouse) and transfer-form documents (one
    per pair of warehouses) holding the picks, all in one transaction or none."""
    return drafting.draft(documents, picks, actor)


def apply_safety_stock(
    connection: Connection, template: Template, sku: str, value: Decimal, actor: Actor
) -> None:
    """Write `value` to the SKU's safety stock field (an explicit action, recorded).

    The field is the SKU's, one value for every warehouse; the suggestion it comes from is one
    warehouse's.
    """
    drafting.apply(connection, template, sku, value, actor)
