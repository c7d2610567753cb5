"""Values as a page shows them: exact numbers without noise, money with cents, local times."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from ..spec.model import FieldSpec
from .context import local

CENTS = Decimal("0.01")


def number(value: Any) -> str:
    """12.500 -> '12.5', 3.000 -> '3' (never an exponent)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        return str(value)
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


def money(value: Any) -> str:
    """At least two decimals, more only when the amount has them: 30 -> '30.00'."""
    if not isinstance(value, Decimal):
        return number(value)
    if value == value.quantize(CENTS):
        return format(value.quantize(CENTS), "f")
    return format(value.normalize(), "f")


def moment(value: datetime | None) -> str:
    shown = local(value)
    return "" if shown is None else shown.strftime("%Y-%m-%d %H:%M")


def show(value: Any, spec: FieldSpec | None = None) -> str:
    """A stored value as text for a page."""
    if value is None:
        return ""
    kind = spec.type if spec is not None else None
    if kind == "money":
        return money(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if spec is not None and spec.options:
        from .i18n import label

        for choice in spec.options:
            if choice.value == value:
                return label(choice.label)
    return str(value)


def input_value(spec: FieldSpec, value: Any) -> Any:
    """A stored value as an input holds it (a list for multi_choice, a bool for boolean)."""
    if spec.type == "multi_choice":
        return [str(v) for v in value or ()]
    if spec.type == "boolean":
        return value is True or str(value).lower() in ("true", "1", "on", "yes")
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def install_filters(app: Flask) -> None:
    app.jinja_env.filters.update(number=number, money=money, moment=moment, show=show)
