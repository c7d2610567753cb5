"""Read the keys of a JSON request body, collecting every problem into one validation_failed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..spec.issues import did_you_mean
from ..spec.numbers import NumberError, read_number
from .errors import validation_failed

MAX_QUANTITY = Decimal(10**12)  # stored in thousandths, this stays well inside 64 bits


class Fields:
    """The keys of one JSON object: typed readers, and every problem at once from check()."""

    def __init__(self, values: Mapping[str, Any], allowed: Iterable[str]) -> None:
        self.values = values
        self.details: list[dict[str, Any]] = []
        known = list(allowed)
        for key in values:
            if key not in known:
                hint = did_you_mean(key, known)
                self.fail(key, "no such field" + (f" ({hint})" if hint else ""))

    def fail(self, name: str, message: str) -> None:
        self.details.append({"field": name, "line": None, "message": message})

    def check(self) -> None:
        if self.details:
            raise validation_failed(self.details)

    def _get(self, name: str, required: bool) -> Any:
        value = self.values.get(name)
        if value is None and required:
            self.fail(name, "required")
        return value

    def text(self, name: str, *, required: bool = False, max_length: int = 128) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(name, "must be text")
            return None
        value = value.strip()
        if not value:
            if required:
                self.fail(name, "required")
            return None
        if len(value) > max_length:
            self.fail(name, f"is {len(value)} characters long; at most {max_length}")
            return None
        return value

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        """A positive exact number, given as a JSON number or a decimal string."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.fail(name, 'must be a number, such as "12.5"')
            return None
        try:
            number = read_number(value) if isinstance(value, str) else Decimal(value)
        except NumberError as exc:
            self.fail(name, str(exc))
            return None
        if not number.is_finite() or number <= 0:
            self.fail(name, f"must be more than 0, not {value}")
            return None
        if number > MAX_QUANTITY:
            self.fail(name, f"must be at most {MAX_QUANTITY}, not {value}")
            return None
        return number

    def integer(
        self, name: str, *, required: bool = False, low: int = 1, high: int | None = None
    ) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "must be a whole number")
            return None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            self.fail(name, f"must be {bounds}, not {value}")
            return None
        return value
