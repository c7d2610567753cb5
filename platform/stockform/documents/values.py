"""Field values to and from JSON: exact decimals as strings, dates as ISO text."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..spec.model import FieldSpec


def to_json(value: Any) -> Any:
    """A cleaned value as JSON keeps it (never a float)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value


def from_json(spec: FieldSpec, value: Any) -> Any:
    """A stored value back as its field type's Python value."""
    if value is None:
        return None
    if spec.type in ("decimal", "money"):
        return Decimal(value)
    if spec.type == "integer":
        return int(value)
    if spec.type == "date":
        return date.fromisoformat(value)
    if spec.type == "datetime":
        return datetime.fromisoformat(value)
    if spec.type == "multi_choice":
        return tuple(value)
    return value
