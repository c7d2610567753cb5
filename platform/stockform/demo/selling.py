"""Selling: shop and online orders, company orders a manager approves, and their returns."""

from __future__ import annotations

import math
from decimal import Decimal
from functools import partial

from ..documents.service import DocumentView
from .catalogue import COMPANIES, CUSTOMERS, Item
from .shop import Line, Shop

SLOW_AFTER = 25  # "slow" and "expiring" SKUs sell nothing after this day: 60+ days still
ORDER_SIZES = (1, 2, 2, 3, 3, 4)  # lines an order has


class Selling(Shop):
    def demand(self, item: Item) -> float:
        slow = item.story in ("slow", "expiring") and self.day() >= SLOW_AFTER
        return 0.0 if slow else item.demand

    def basket(self, warehouse: str, size: int) -> list[Line]:
        """Up to `size` lines, SKUs drawn by demand, quantities what is there to sell."""
        weights = [self.demand(item) for item in self.items]
        picked: dict[str, int] = {}
        for item in self.rng.choices(self.items, weights, k=size) if sum(weights) else []:
            wanted = 1 if item.price >= 1000 else 1 + int(self.rng.expovariate(1 / 4))
            qty = min(wanted, 12, self.spare(item.code, warehouse))
            if qty >= 1 and item.code not in picked:
                picked[item.code] = qty
        return [{"sku": code, "qty": str(qty)} for code, qty in picked.items()]

    def sale(
        self,
        warehouse: str,
        channel: str,
        *,
        pay: bool = True,
        draft: bool = False,
        cancel: bool = False,
    ) -> None:
        """A customer's order: submitted (stock locked), then mostly paid within minutes and
        shipped the next morning, sometimes cancelled; or left a draft."""
        lines = self.basket(warehouse, self.rng.choice(ORDER_SIZES))
        if not lines:
            return
        customer = self.rng.choice(CUSTOMERS) if channel == "online" else "门店散客 Walk-in"
        fields = {"customer": customer, "warehouse": warehouse, "channel": channel}
        doc = self.create("sales_order", fields, lines, "sales")
        if draft:
            if cancel:
                self.act(doc, "cancel", "sales", comment="顾客未下单 Customer left")
            return
        doc = self.submit(doc, warehouse)
        if not pay:
            return
        if self.rng.random() < 0.05:
            self.after(self.rng.uniform(3, 25), partial(self.cancel, doc, warehouse))
        else:
            self.after(self.rng.uniform(1, 25), partial(self.pay, doc, warehouse, "sales"))

    def business_sale(self, approve: bool = True) -> None:
        """A company buys for its staff, above 10,000: paid by bank transfer the next morning
        (taking its lapsed locks again), then approved by a manager."""
        selling = [i for i in self.items if self.demand(i) and self.spare(i.code, self.dc) >= 6]
        candidates = sorted(selling, key=lambda i: -i.price)[:12]
        lines, total = [], Decimal(0)
        for item in self.rng.sample(candidates, len(candidates)):
            qty = min(self.spare(item.code, self.dc) // 2, math.ceil(4000 / item.price))
            lines.append({"sku": item.code, "qty": str(qty)})
            total += qty * item.price
            if total > 10500:
                break
        if not lines:
            return
        fields = {"customer": self.rng.choice(COMPANIES), "warehouse": self.dc}
        fields |= {"channel": "online", "note": "企业采购 Company order"}
        doc = self.create("sales_order", fields, lines, "sales")
        doc = self.submit(doc, self.dc)
        pay = partial(self.pay, doc, self.dc, "finance", approve=approve)
        if approve:
            self.at(self.day() + 1, 10, pay)
        else:
            self.after(120, pay)

    def submit(self, doc: DocumentView, warehouse: str) -> DocumentView:
        doc = self.act(doc, "submit", "sales")
        self.moved(doc, warehouse, -1)
        return doc

    def pay(self, doc: DocumentView, warehouse: str, who: str, approve: bool = True) -> None:
        if "confirm_payment" in self.transitions(doc):
            doc = self.act(doc, "confirm_payment", who)
        if doc.state in self.transitions(doc).get("approve", ()):
            if approve:
                self.after(self.rng.uniform(40, 120), partial(self.approve, doc))
        elif self.rng.random() < 0.02:
            self.after(self.rng.uniform(60, 240), partial(self.cancel, doc, warehouse, True))
        else:
            self.at(self.day() + 1, self.rng.uniform(9, 12), partial(self.ship, doc))

    def approve(self, doc: DocumentView) -> None:
        self.act(doc, "approve", "manager")
        self.at(self.day() + 1, self.rng.uniform(9, 12), partial(self.ship, doc))

    def cancel(self, doc: DocumentView, warehouse: str, refund: bool = False) -> None:
        reason = "退款 Refunded" if refund else "顾客取消 Customer cancelled"
        self.act(doc, "cancel", "manager" if refund else "sales", comment=reason)
        self.moved(doc, warehouse, +1)
        self.closed.add(doc.id)

    def ship(self, doc: DocumentView) -> None:
        if doc.id in self.closed:
            return
        doc = self.act(doc, "ship", "warehouse")
        self.shipped.append(doc)
        if "returns" in self.flows and self.rng.random() < 0.06:
            later = self.day() + self.rng.randint(2, 8)
            self.at(later, self.rng.uniform(13, 17), partial(self.customer_return, doc))

    # -- returns
    def customer_return(self, order: DocumentView | None = None, cancel: bool = False) -> None:
        """One piece of an order (the latest shipped one with goods not batch-tracked) comes
        back into quarantine; it is inspected the next morning."""
        for shipped in [order] if order else self.shipped[::-1]:
            lines = [line for line in shipped.lines if line["sku"] not in self.batched]
            if lines:
                break
        else:
            return
        line = self.rng.choice(lines)
        reason = self.rng.choice(("unwanted", "unwanted", "faulty", "wrong_item"))
        warehouse = shipped.fields["warehouse"]
        fields = {"customer": shipped.fields["customer"], "warehouse": warehouse}
        fields |= {"order": shipped.number, "reason": reason}
        doc = self.create("return", fields, [{"sku": line["sku"], "qty": "1"}], "sales")
        if cancel:
            self.act(doc, "cancel", "sales", comment="顾客决定保留 Customer kept it")
            return
        doc = self.act(doc, "receive", "warehouse")
        self.at(self.day() + 1, self.rng.uniform(10, 11), partial(self.inspect, doc, reason))

    def inspect(self, doc: DocumentView, reason: str) -> None:
        if reason == "faulty":
            rejected = [{"id": x["id"], "accepted": "0", "rejected": x["qty"]} for x in doc.lines]
            doc = self.edit(doc, rejected, "warehouse")
        doc = self.act(doc, "inspect", "warehouse")
        self.moved(doc, doc.fields["warehouse"], +1, "accepted")
