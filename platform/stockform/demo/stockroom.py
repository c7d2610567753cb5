"""Buying, moving, counting and adjusting stock: receipts from suppliers (purchase orders are
draft receipts until the goods arrive), transfers to the store, stocktakes, adjustments."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from functools import partial

from ..documents.service import DocumentView
from .catalogue import Item
from .shop import DAYS, Line, Shop

EXPIRING_IN = 21  # days from today to the expiry of the "expiring" SKUs' batch
COST_DRIFT = ("0.97", "0.99", "1", "1", "1.02")  # suppliers' prices move a little


class Stockroom(Shop):
    # -- buying
    def receipt_lines(self, lines: Sequence[tuple[Item, int]], arrival: int) -> list[Line]:
        """Receipt lines for goods arriving on day `arrival`, batches with their expiry."""
        arrives = self.day0 + timedelta(days=arrival)
        made = []
        for item, qty in lines:
            cost = item.cost * Decimal(self.rng.choice(COST_DRIFT))
            line: Line = {"sku": item.code, "qty": str(qty), "unit_cost": str(round(cost, 2))}
            if item.code in self.batched:
                batch = f"L{arrives:%y%m%d}{self.items.index(item):02d}"
                expiry = arrives + timedelta(days=int(item.shelf * self.rng.uniform(0.8, 0.95)))
                if item.story == "expiring":
                    expiry = self.today + timedelta(days=EXPIRING_IN)
                expiry = self.expiry.setdefault((item.code, batch), expiry)
                line |= {"batch": batch, "expiry": expiry.isoformat()}
            made.append(line)
        return made

    def receipt(
        self, warehouse: str, supplier: str, lines: list[Line], note: str = ""
    ) -> DocumentView:
        reference = f"PO-{self.clock.now.astimezone(self.zone):%y%m%d}-{self.rng.randint(100, 999)}"
        fields = {"warehouse": warehouse, "supplier": supplier, "reference": reference}
        return self.create("receipt", fields | {"note": note or None}, lines, "purchasing")

    def confirm(self, doc: DocumentView, ordered: bool = False) -> None:
        doc = self.act(doc, "confirm", "warehouse")
        self.moved(doc, doc.fields["warehouse"], +1)
        for line in doc.lines if ordered else ():
            self.on_order[line["sku"]] -= int(line["qty"])

    def opening(self) -> None:
        """Day one: the DC holds 70% of each maximum, the store twice its minimum."""
        for warehouse in filter(None, (self.dc, self.store)):
            for supplier in dict.fromkeys(item.supplier for item in self.items):
                items = [i for i in self.items if i.supplier == supplier]
                qty = [
                    self.rounded(0.7 * i.max, i) if warehouse == self.dc else 2 * i.min
                    for i in items
                ]
                lines = self.receipt_lines(list(zip(items, qty, strict=True)), 0)
                if lines:
                    self.confirm(self.receipt(warehouse, supplier, lines, "期初库存 Opening stock"))

    def rounded(self, qty: float, item: Item) -> int:
        """qty rounded up to the SKU's order multiple (at least one multiple)."""
        return max(item.multiple, math.ceil(qty / item.multiple) * item.multiple)

    def reorders(self, item: Item) -> bool:
        # A low SKU's supplier stops delivering in time for it to run dry by today.
        dry = DAYS - item.lead - int(item.max / max(item.demand, 0.1))
        limit = {"slow": 0, "expiring": 0, "low": dry, "overstock": 60}.get(item.story, DAYS)
        return self.day() < limit

    def purchase(self) -> None:
        """Purchasing's daily review at the DC: what is below its minimum plus the lead time's
        sales (and the store's needs) is ordered up to 85% of its maximum."""
        orders: dict[tuple[str, int], list[tuple[Item, int]]] = defaultdict(list)
        for item in self.items:
            position = self.available[item.code, self.dc] + self.on_order[item.code]
            store = self.available[item.code, self.store] if self.store else 2 * item.min
            need = max(0, 2 * item.min - store) if "transfers" in self.flows else 0
            if self.reorders(item) and position < item.min + item.demand * item.lead + need:
                qty = self.rounded(0.85 * item.max + need - position, item)
                self.on_order[item.code] += qty
                orders[item.supplier, item.lead].append((item, qty))
        for (supplier, lead), lines in orders.items():
            doc = self.receipt(self.dc, supplier, self.receipt_lines(lines, self.day() + lead))
            arrival = partial(self.confirm, doc, ordered=True)
            self.at(self.day() + lead, self.rng.uniform(9, 11), arrival)

    def cancelled_receipt(self) -> None:
        item = self.rng.choice([i for i in self.items if i.code not in self.batched])
        lines = self.receipt_lines([(item, item.multiple)], self.day() + item.lead)
        doc = self.receipt(self.dc, item.supplier, lines)
        self.clock.tick(300)
        self.act(doc, "cancel", "purchasing", comment="供应商缺货 Supplier out of stock")

    def double_delivery(self) -> None:
        """The overstock SKUs' supplier delivers a second time, and the DC keeps it."""
        for item in (i for i in self.items if i.story == "overstock"):
            qty = self.rounded(item.max + item.demand * (DAYS - self.day()), item)
            lines = self.receipt_lines([(item, qty)], self.day())
            note = "供应商重复发货，已收下 Delivered twice; kept"
            self.confirm(self.receipt(self.dc, item.supplier, lines, note))

    def late_order(self) -> None:
        """The low SKUs are on order, but the supplier is late: their receipts stay drafts."""
        for item in (i for i in self.items if i.story == "low"):
            lines = self.receipt_lines([(item, self.rounded(item.max, item))], DAYS + 10)
            self.receipt(self.dc, item.supplier, lines, "供应商延期 Supplier late")

    # -- moving to the store
    def transfer(self) -> None:
        """Twice a week the DC sends the store what fell below 1.2 times its minimum."""
        assert self.store is not None
        lines = []
        for item in self.items:
            have = self.available[item.code, self.store]
            spare = self.available[item.code, self.dc] - max(item.safety, item.min // 2)
            qty = min(2 * item.min - have, spare) if have < 1.2 * item.min else 0
            line: Line = {"sku": item.code}
            if qty >= 1 and item.code in self.batched:
                line["batch"], qty = self.batch_of(item.code, self.dc, qty)
            if qty >= 1:
                lines.append(line | {"qty": str(qty)})
        if not lines:
            return
        fields = {"from_warehouse": self.dc, "to_warehouse": self.store}
        doc = self.create("transfer", fields, lines, "warehouse")
        doc = self.act(doc, "ship", "warehouse")
        self.moved(doc, self.dc, -1)
        # The first transfer of the last week arrives short: the rest stays in transit.
        short = self.day() >= DAYS - 7 and not self.arrived_short
        self.arrived_short |= short
        self.at(self.day() + 1, 11, partial(self.arrive, doc, short))

    def arrive(self, doc: DocumentView, short: bool) -> None:
        if short:
            line = max(doc.lines, key=lambda line: line["qty"])
            received = [{"id": line["id"], "received": str(line["qty"] // 2)}]
            doc = self.edit(doc, received, "warehouse")
        doc = self.act(doc, "receive", "warehouse")
        self.moved(doc, self.store or "", +1, "received_total")

    # -- counting and adjusting
    def stocktake(self, warehouse: str, size: int, finish: bool = True) -> None:
        """Count `size` SKUs and one batch; small variances, posted once a manager approves."""
        counted = [i for i in self.items if self.available[i.code, warehouse] >= 5]
        goods = [i for i in counted if i.code not in self.batched]
        lines: list[Line] = [{"sku": i.code} for i in self.rng.sample(goods, min(size, len(goods)))]
        for item in (i for i in counted if i.code in self.batched):
            batch, qty = self.batch_of(item.code, warehouse, 5)
            if qty >= 5:
                lines.append({"sku": item.code, "batch": batch})
                break
        doc = self.create("stocktake", {"warehouse": warehouse}, lines, "warehouse")
        doc = self.act(doc, "start", "warehouse")
        if not finish:
            return
        variance = {x["id"]: self.rng.choice((0, 0, 0, 0, 1, -1, -1, -2)) for x in doc.lines}
        changes = [
            {"id": x["id"], "counted": str(x["book"] + variance[x["id"]])} for x in doc.lines
        ]
        doc = self.edit(doc, changes, "warehouse")
        doc = self.act(doc, "submit", "warehouse")
        self.clock.tick(30)
        doc = self.act(doc, "approve", "manager")
        for line in doc.lines:
            self.available[line["sku"], warehouse] += variance[line["id"]]

    def adjust(
        self,
        warehouse: str,
        reason: str,
        qty: int,
        note: str,
        *,
        batched: bool = False,
        item: Item | None = None,
        approvers: Sequence[str] = (),
        cancel: bool = False,
    ) -> None:
        """Damage, loss or goods found; above 5,000 it waits for the approvers."""
        if item is None:
            fits = [
                i
                for i in self.items
                if (i.code in self.batched) == batched and self.spare(i.code, warehouse) >= qty
            ]
            if not fits:
                return
            item = self.rng.choice(fits)
        line: Line = {"sku": item.code, "qty": str(qty)}
        if item.code in self.batched:
            line["batch"], got = self.batch_of(item.code, warehouse, qty)
            if got < qty:
                return
        fields = {"warehouse": warehouse, "reason": reason, "note": note}
        doc = self.create("adjustment", fields, [line], "warehouse")
        doc = self.act(doc, "submit", "warehouse")
        for name in approvers:
            self.clock.tick(self.rng.uniform(30, 180))
            doc = self.act(doc, "approve", name)
        if cancel:
            doc = self.act(doc, "cancel", "manager", comment="在后仓找到 Found in the back room")
        if doc.state == "posted":
            self.moved(doc, warehouse, +1 if reason == "found" else -1)

    def big_adjustment(self, approvers: Sequence[str], cancel: bool = False) -> None:
        """Goods worth more than 5,000 damaged (or missing, then found: cancelled)."""
        for item in sorted(self.items, key=lambda i: -i.cost):
            qty = math.ceil(5001 / item.cost) if item.cost else 0
            if item.code not in self.batched and 0 < qty <= self.spare(item.code, self.dc):
                reason, note = (
                    ("loss", "整箱丢失 Missing carton")
                    if cancel
                    else ("damage", "漏水损坏 Water damage")
                )
                self.adjust(
                    self.dc, reason, qty, note, item=item, approvers=approvers, cancel=cancel
                )
                return
