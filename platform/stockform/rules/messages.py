"""Warning messages: the placeholders a rule's message uses, their values as text, and the
message rendered in a locale with the template's labels."""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..spec.model import Template, WarningRule

# Placeholders whose text depends on the reader's language: the warehouse's name, a choice
# field's option label. They are stored as the code or value and translated when rendered.
WAREHOUSE_NAME = "warehouse.name"


def placeholders(rule: WarningRule) -> list[str]:
    """Every placeholder of the rule's message, in any locale, in order of first use."""
    found: dict[str, None] = {}
    for _locale, text in rule.message.texts:
        for _literal, name, _spec, _conversion in string.Formatter().parse(text):
            if name:
                found[name] = None
    return list(found)


def as_text(value: Any) -> str:
    """A placeholder's value as the message shows it: 12.5 not 12.500, dates as 2026-01-31."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def render(
    template: Template,
    rule: WarningRule,
    values: Mapping[str, str],
    locale: str | None = None,
) -> str:
    """The rule's message in locale (default: the template's first) with values filled in."""
    chosen = locale or template.info.locales[0]
    text = rule.message.text(chosen)
    parts = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        parts.append(literal)
        if name:
            parts.append(_localized(template, name, values, chosen))
    return "".join(parts)


def _localized(template: Template, name: str, values: Mapping[str, str], locale: str) -> str:
    value = values.get(name, "")
    if name == WAREHOUSE_NAME:
        warehouse = template.warehouses.get(values.get("warehouse", ""))
        return warehouse.name.text(locale) if warehouse else value
    if name.startswith("sku.") and name[4:] in template.sku.fields:
        spec = template.sku.fields[name[4:]]
        for choice in spec.options:
            if choice.value == value:
                return choice.label.text(locale)
    return value
