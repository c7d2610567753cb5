"""The demo shop's 90 days: what happens every day, and the one-off events that give every
flow and every warning something to show at the end."""

from __future__ import annotations

import heapq
from datetime import timedelta
from functools import partial

from .selling import Selling
from .shop import DAYS, Action
from .stockroom import Stockroom


class History(Selling, Stockroom):
    def run(self) -> None:
        """Every event up to yesterday's close, then an unpaid order placed minutes ago."""
        if "receipts" in self.flows:
            self.at(0, 7, self.opening)
        for day in range(DAYS):
            self.at(day, 6, partial(self.plan, day))
        for day, hours, action in self.script():
            self.at(day, hours, action)
        close = self.moment(DAYS - 1, 23.9)
        while self.queue and self.queue[0][0] <= close:
            moment, _, action = heapq.heappop(self.queue)
            self.clock.to(moment)
            action()
        self.queue.clear()  # what comes after the close has not happened yet
        if "sales orders" in self.flows:
            self.clock.to(self.end - timedelta(minutes=4))
            self.sale(self.dc, "online", pay=False)  # its lock expires half an hour from now

    def plan(self, day: int) -> None:
        """A day's orders (1-4 online, 0-2 in the store, a company order weekly), transfers
        twice a week, and purchasing's review every evening."""
        rng = self.rng
        if "sales orders" in self.flows:
            for _ in range(rng.randint(1, 4)):
                self.at(day, rng.uniform(8, 21.5), partial(self.sale, self.dc, "online"))
            if self.store is not None:
                for _ in range(rng.randint(0, 2)):
                    self.at(day, rng.uniform(10, 21.5), partial(self.sale, self.store, "store"))
            if day % 7 == 3:
                self.at(day, 14, self.business_sale)
        if "transfers" in self.flows and day % 7 in (2, 5):
            self.at(day, 15, self.transfer)
        if "receipts" in self.flows:
            self.at(day, 17.5, self.purchase)

    def script(self) -> list[tuple[int, float, Action]]:
        dc, store, last = self.dc, self.store or self.dc, DAYS - 1
        events: list[tuple[int, float, Action]] = []
        if "adjustments" in self.flows:
            events += [
                (20, 11, partial(self.adjust, store, "damage", 2, "货架跌落 Fell off a shelf")),
                (33, 16, partial(self.adjust, dc, "loss", 1, "拣货时丢失 Lost while picking")),
                (47, 10, partial(self.adjust, dc, "found", 3, "货架后找到 Found behind a rack")),
                (57, 10, partial(self.big_adjustment, ("manager", "manager2"))),
                (66, 15, partial(self.adjust, dc, "damage", 2, "包装破损 Broken", batched=True)),
                (74, 10, partial(self.big_adjustment, ("manager",), cancel=True)),
                (last - 1, 16, partial(self.big_adjustment, ("manager",))),  # one of two
            ]
        if "stocktakes" in self.flows:
            events += [
                (40, 7, partial(self.stocktake, dc, 8)),
                (76, 7, partial(self.stocktake, store, 6)),
                (last, 19, partial(self.stocktake, dc, 5, finish=False)),  # still counting
            ]
        if "receipts" in self.flows:
            events += [(30, 10, self.cancelled_receipt), (68, 10, self.double_delivery)]
            events += [(78, 17, self.late_order)]
        if "returns" in self.flows:
            events += [(60, 14, partial(self.customer_return, cancel=True))]
            events += [(last, 16, self.customer_return)]  # inspected tomorrow: in quarantine
        if "sales orders" in self.flows:
            events += [(50, 12, partial(self.sale, dc, "online", draft=True, cancel=True))]
            events += [(last, 14, partial(self.business_sale, approve=False))]
            events += [(last, 20.5, partial(self.sale, dc, "online", draft=True))]
            events += [(last, 20.7, partial(self.sale, store, "store", draft=True))]
        return events
