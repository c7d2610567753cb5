"""The type vocabulary of templates and expressions: scalars, records and lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True)
class Scalar:
    """A plain value: number, text, bool, date, datetime, or ANY (fits everything)."""

    kind: str

    def __str__(self) -> str:
        return self.kind


NUMBER = Scalar("number")
TEXT = Scalar("text")
BOOL = Scalar("bool")
DATE = Scalar("date")
DATETIME = Scalar("datetime")
# Loosely typed values (a total whose type is not known yet, `null`): compatible with anything.
ANY = Scalar("any")


@dataclass(frozen=True)
class Record:
    """Named fields (`sku.min_stock`); `value` is what the record compares as (a SKU: its code)."""

    name: str
    fields: tuple[tuple[str, Type], ...]
    value: Scalar | None = None

    def field(self, name: str) -> Type | None:
        """The type of a field, or None when the record has no such field."""
        for field_name, field_type in self.fields:
            if field_name == name:
                return field_type
        return None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)


@dataclass(frozen=True)
class ListOf:
    """A list of values of one type, such as a form's lines."""

    item: Type


Type: TypeAlias = Scalar | Record | ListOf


def describe(t: Type) -> str:
    """A type as messages name it: 'number', 'sku', 'list of number'."""
    if isinstance(t, Scalar):
        return {"bool": "true/false", "any": "any value"}.get(t.kind, t.kind)
    if isinstance(t, Record):
        return t.name
    return f"list of {describe(t.item)}"


def plain(t: Type) -> Type:
    """The type a value has when compared or combined: a record becomes its value type."""
    if isinstance(t, Record) and t.value is not None:
        return t.value
    return t


def common_type(a: Type, b: Type) -> Type | None:
    """The type both a and b fit in (branches of a conditional, coalesce), or None."""
    if a == ANY:
        return b
    if b == ANY or a == b:
        return a
    if plain(a) == plain(b) and isinstance(plain(a), Scalar):
        return plain(a)
    if isinstance(a, ListOf) and isinstance(b, ListOf):
        item = common_type(a.item, b.item)
        return None if item is None else ListOf(item)
    return None
