"""What the stock layer refuses, as data the edges turn into messages and HTTP errors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class StockError(Exception):
    """Base of every refusal of the stock layer; nothing of the refused change remains."""


@dataclass(frozen=True)
class Shortage:
    """One line that cannot be served: what was asked for and what there is."""

    sku: str
    warehouse: str
    bucket: str
    requested: Decimal
    available: Decimal
    line_id: int | None = None

    def __str__(self) -> str:
        return (
            f"{self.sku} at {self.warehouse}: {self.requested} requested, "
            f"{self.available} {self.bucket}"
        )


class InsufficientStock(StockError):
    """Not enough stock for every line; lists each short line."""

    def __init__(self, shortages: list[Shortage]) -> None:
        self.shortages = shortages
        super().__init__("not enough stock: " + "; ".join(str(s) for s in shortages))


class InvalidMovement(StockError):
    """A movement that makes no sense (unknown bucket, zero quantity, back-dated…)."""


class UnknownItem(StockError):
    """A SKU, warehouse, batch or lock that does not exist."""


class LockStateError(StockError):
    """A lock that cannot take this action any more (already released, consumed…)."""
