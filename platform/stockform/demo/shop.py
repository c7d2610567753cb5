"""The simulated shop's machinery: a clock that only moves forward, events in time order, what
the shop knows of its stock, and documents made and acted on by whichever demo person the
template allows (so a copied and changed template still gets a history where it can)."""

from __future__ import annotations

import heapq
import itertools
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from ..documents.service import Documents, DocumentView
from ..documents.users import Actor
from ..documents.workflow import may_take
from ..spec.model import BUILTIN_ROLE, Template
from ..stock.service import Stock
from ..stock.tables import Sku, table_of
from .catalogue import PEOPLE, Item

DAYS = 90  # of history, up to yesterday's close; today holds one order placed minutes ago
Line = dict[str, Any]
Action = Callable[[], None]


class Clock:
    """The documents' clock during the simulation: it only ever moves forward, because the
    ledger refuses a movement dated before the latest one of its SKU and warehouse."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def to(self, moment: datetime) -> None:
        self.now = max(self.now, moment)

    def tick(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


class Shop:
    """State and helpers the flows share; `History` puts the flows together and runs them."""

    def __init__(
        self,
        engine: Engine,
        template: Template,
        version_id: int,
        catalogue: Sequence[Item],
        now: datetime,
        seed: int,
    ) -> None:
        self.template, self.items, self.end = template, list(catalogue), now
        self.by_code = {item.code: item for item in self.items}
        self.rng = random.Random(seed)
        self.zone = ZoneInfo(template.info.timezone)
        self.today = now.astimezone(self.zone).date()
        self.day0 = self.today - timedelta(days=DAYS)
        self.clock = Clock(self.moment(0, 6))
        self.docs = Documents(engine, template, version_id, clock=self.clock)
        self.stock = Stock(engine, template, version_id)
        with engine.connect() as connection:
            sku = table_of(Sku)
            tracked = connection.execute(select(sku.c.code).where(sku.c.batches.is_(True)))
            self.batched = set(tracked.scalars())
        codes = [code for code, w in template.warehouses.items() if w.active]
        self.dc = "SH" if "SH" in codes else codes[0]
        self.store = "BJ" if "BJ" in codes else next((c for c in codes if c != self.dc), None)
        roles = set(template.roles)
        self.people = {n: Actor(n, frozenset({role} & roles)) for n, role in PEOPLE.items()}
        self.people["admin"] = Actor("admin", frozenset({BUILTIN_ROLE}))
        # What the shop knows: available per (SKU, warehouse), on order per SKU, batch expiries.
        self.available: dict[tuple[str, str], int] = defaultdict(int)
        self.on_order: dict[str, int] = defaultdict(int)
        self.expiry: dict[tuple[str, str], date] = {}
        self.shipped: list[DocumentView] = []
        self.closed: set[int] = set()  # cancelled orders, not to be shipped
        self.arrived_short = False
        self.queue: list[tuple[datetime, int, Action]] = []
        self.sequence = itertools.count()  # events at the same moment keep their order
        flows = {
            "receipts": self.has("receipt", "confirm", "cancel"),
            "sales orders": self.has("sales_order", "submit", "ship", "cancel"),
            "returns": self.has("return", "receive", "inspect", "cancel"),
            "transfers": self.has("transfer", "ship", "receive") and self.store is not None,
            "stocktakes": self.has("stocktake", "start", "submit", "approve"),
            "adjustments": self.has("adjustment", "submit", "approve", "cancel"),
        }
        self.flows = {name for name, ok in flows.items() if ok}
        self.left_out = tuple(name for name, ok in flows.items() if not ok)

    # -- time
    def moment(self, day: int, hours: float) -> datetime:
        """The UTC time of `hours` into day `day` of the history, in the shop's time zone."""
        local = datetime.combine(self.day0 + timedelta(days=day), time(), self.zone)
        return (local + timedelta(hours=hours)).astimezone(UTC)

    def day(self) -> int:
        return (self.clock.now.astimezone(self.zone).date() - self.day0).days

    def at(self, day: int, hours: float, action: Action) -> None:
        heapq.heappush(self.queue, (self.moment(day, hours), next(self.sequence), action))

    def after(self, minutes: float, action: Action) -> None:
        moment = self.clock.now + timedelta(minutes=minutes)
        heapq.heappush(self.queue, (moment, next(self.sequence), action))

    # -- documents
    def has(self, form_id: str, *transitions: str) -> bool:
        form = self.template.forms.get(form_id)
        workflow = self.template.workflows.get(form.workflow or "") if form else None
        return workflow is not None and all(t in workflow.transitions for t in transitions)

    def transitions(self, doc: DocumentView) -> Mapping[str, tuple[str, ...]]:
        """Each transition of the document's workflow and the states it may be taken from."""
        workflow = self.template.workflows[self.template.forms[doc.form].workflow or ""]
        return {name: t.sources for name, t in workflow.transitions.items()}

    def who(self, form_id: str, action: str, prefer: Iterable[str], creator: str = "") -> Actor:
        """The first demo person (preferred ones first) the template lets take the action;
        `create` means creating or editing. Admin when nobody else may."""
        form = self.template.forms[form_id]
        workflow = self.template.workflows.get(form.workflow or "")
        transition = workflow.transitions.get(action) if workflow else None
        for name in [*prefer, *PEOPLE]:
            actor = self.people[name]
            if action == "create":
                if self.docs.may(actor, form_id, "create"):
                    return actor
            elif transition is not None and (transition.self_approval or name != creator):
                if may_take(transition, actor, self.template, form):
                    return actor
        return self.people["admin"]

    def create(
        self, form_id: str, fields: Mapping[str, Any], lines: Sequence[Line], *prefer: str
    ) -> DocumentView:
        """A new document, with the fields and line fields its form has."""
        form = self.template.forms[form_id]
        return self.docs.create(
            form_id,
            {k: v for k, v in fields.items() if k in form.fields},
            [{k: v for k, v in line.items() if k in form.lines} for line in lines],
            self.who(form_id, "create", prefer),
        )

    def act(
        self, doc: DocumentView, action: str, *prefer: str, comment: str | None = None
    ) -> DocumentView:
        self.clock.tick(self.rng.uniform(1, 4))
        actor = self.who(doc.form, action, prefer, doc.created_by)
        return self.docs.act(doc.id, action, actor, comment)

    def edit(self, doc: DocumentView, lines: Sequence[Line], *prefer: str) -> DocumentView:
        self.clock.tick(self.rng.uniform(5, 30))
        return self.docs.update(doc.id, self.who(doc.form, "create", prefer), lines=lines)

    # -- stock as the shop knows it
    def moved(self, doc: DocumentView, warehouse: str, sign: int, key: str = "qty") -> None:
        """Count each line's `key` quantity into (+1) or out of (-1) available stock."""
        for line in doc.lines:
            self.available[line["sku"], warehouse] += sign * int(line.get(key) or 0)

    def spare(self, code: str, warehouse: str) -> int:
        """What may still be sold or moved: available above the safety stock."""
        return self.available[code, warehouse] - self.by_code[code].safety

    def batch_of(self, code: str, warehouse: str, qty: int) -> tuple[str | None, int]:
        """The batch to take goods from (first to expire), and how many it has (up to qty)."""
        rows = self.stock.query(sku=code, warehouse=warehouse, level="batch", per_page=100).items
        usable = [r for r in rows if r.batch and r.buckets["available"] >= 1]
        if not usable:
            return None, 0
        first = min(
            usable, key=lambda r: (self.expiry.get((code, r.batch or ""), date.max), r.batch)
        )
        return first.batch, min(qty, int(first.buckets["available"]))
