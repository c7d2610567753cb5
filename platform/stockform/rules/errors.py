"""What the replenishment layer refuses; the edges turn it into pages and API errors."""

from __future__ import annotations


class ReplenishmentError(ValueError):
    """A request the replenishment layer refuses (unknown SKU/warehouse/category, nothing to
    draft, no replenishment section); `field` names the input at fault, or is None."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
