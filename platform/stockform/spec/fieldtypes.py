"""The field-type registry: each type coerces a raw value and says what is wrong with it.

Built-in types are registered with the same `register` call an extension uses. Checks that
need the database (does this SKU exist?) go through a `Lookups` object the later layers supply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from .issues import did_you_mean
from .numbers import LARGEST, NumberError, not_a_number, read_number
from .phrases import message_of, missing, phrase, thing, too_large


class Lookups(Protocol):
    """Answers the questions only the database can: does this code exist?

    `target` narrows the search: the form of a linked document, the SKU code of a batch.
    A lookups object may also offer `candidates(kind, target)`, the codes to suggest from.
    """

    def exists(self, kind: str, value: str, target: str | None = None) -> bool: ...


class FieldValueError(ValueError):
    """A raw value does not fit its field; the message is shown next to the field."""


class FieldLike(Protocol):
    """What a coercer may read of the field spec it works for."""

    @property
    def options(self) -> tuple[Any, ...]: ...
    @property
    def precision(self) -> int | None: ...
    @property
    def max_length(self) -> int | None: ...
    @property
    def pattern(self) -> str | None: ...
    @property
    def target(self) -> str | None: ...


Coercer = Callable[[Any, FieldLike], Any]


@dataclass(frozen=True)
class FieldType:
    """A kind of value a form field or SKU field holds."""

    name: str
    doc: str
    value_type: str  # expression type: number, text, bool, date, datetime, or a record name
    coerce: Coercer
    options: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    lookup: str | None = None  # the kind of thing Lookups.exists must find
    scannable: bool = False
    # The kind of record a value belongs to (a batch is a batch of one SKU): its code, the
    # `owner` the caller passes to clean, is the lookup's target.
    owned_by: str | None = None

    def clean(
        self,
        raw: Any,
        spec: FieldLike,
        lookups: Lookups | None = None,
        *,
        owner: str | None = None,
    ) -> Any:
        """Coerce raw to this type's value; None when empty. Raises FieldValueError.

        owner: for types owned by another record (a batch), the code of the one it must
        belong to (the line's SKU)."""
        if raw is None or (isinstance(raw, str) and raw.strip() == "") or raw == []:
            return None
        value = self.coerce(raw, spec)
        if not self.lookup or lookups is None:
            return value
        if self.owned_by is None:
            if not lookups.exists(self.lookup, value, spec.target):
                raise FieldValueError(missing(self.lookup, value))
            return value
        if owner is None:
            raise FieldValueError(
                phrase(
                    "choose the %(owner)s first: a %(kind)s belongs to one",
                    owner=thing(self.owned_by),
                    kind=thing(self.name),
                )
            )
        if not lookups.exists(self.lookup, value, owner):
            candidates = getattr(lookups, "candidates", None)
            hint = did_you_mean(value, candidates(self.lookup, owner)) if candidates else None
            raise FieldValueError(missing(self.lookup, value, owner, hint))
        return value


class FieldTypeRegistry:
    """Field types by name; later layers and extensions register more."""

    def __init__(self) -> None:
        self._types: dict[str, FieldType] = {}

    def register(self, field_type: FieldType) -> FieldType:
        if field_type.name in self._types:
            raise ValueError(f"field type '{field_type.name}' is already registered")
        self._types[field_type.name] = field_type
        return field_type

    def get(self, name: str) -> FieldType | None:
        return self._types.get(name)

    def names(self) -> list[str]:
        return sorted(self._types)

    def __iter__(self) -> Iterator[FieldType]:
        return iter(self._types[name] for name in self.names())

    def option_schemas(self) -> dict[str, dict[str, Any]]:
        """Every type-specific key any type accepts, for the meta-schema."""
        merged: dict[str, dict[str, Any]] = {}
        for field_type in self:
            merged.update(field_type.options)
        return merged


def _text(raw: Any, spec: FieldLike) -> str:
    if not isinstance(raw, str):
        if isinstance(raw, bool) or not isinstance(raw, int | Decimal):
            raise FieldValueError(phrase("must be text"))
        raw = str(raw)
    if spec.max_length is not None and len(raw) > spec.max_length:
        raise FieldValueError(
            phrase(
                "is %(length)s characters long; at most %(most)s",
                length=len(raw),
                most=spec.max_length,
            )
        )
    if spec.pattern is not None and not re.fullmatch(spec.pattern, raw):
        raise FieldValueError(
            phrase(
                "'%(text)s' does not match the pattern %(pattern)s", text=raw, pattern=spec.pattern
            )
        )
    return str(raw)


def _code(raw: Any, spec: FieldLike) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise FieldValueError(phrase("must be a code"))
    return str(raw).strip()


def _decimal(raw: Any, places: int | None) -> Decimal:
    if isinstance(raw, bool) or isinstance(raw, float):
        # A float has already lost exactness; the API and forms send decimal strings.
        raise FieldValueError(phrase('must be a number written as text, such as "12.5"'))
    try:
        number = read_number(raw) if isinstance(raw, str) else Decimal(raw)
    except NumberError as exc:
        raise FieldValueError(message_of(exc)) from None
    except (InvalidOperation, TypeError, ValueError):
        raise FieldValueError(not_a_number(raw)) from None
    if not number.is_finite():
        raise FieldValueError(not_a_number(raw))
    if abs(number) > LARGEST:
        raise FieldValueError(too_large(raw, LARGEST))
    exponent = number.normalize().as_tuple().exponent
    if places is not None and isinstance(exponent, int) and -exponent > places:
        allowed = (
            phrase("whole numbers only")
            if places == 0
            else phrase("at most %(places)s decimals", places=places)
        )
        raise FieldValueError(
            phrase("%(number)s has too many decimals: %(allowed)s", number=raw, allowed=allowed)
        )
    return number


def _number(raw: Any, spec: FieldLike) -> Decimal:
    return _decimal(raw, spec.precision if spec.precision is not None else 3)


def _money(raw: Any, spec: FieldLike) -> Decimal:
    return _decimal(raw, 4)


def _integer(raw: Any, spec: FieldLike) -> int:
    number = _decimal(raw, 0)
    return int(number)


def _date(raw: Any, spec: FieldLike) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise FieldValueError(
            phrase("'%(text)s' is not a date like 2026-01-31", text=raw)
        ) from None


def _datetime(raw: Any, spec: FieldLike) -> datetime:
    if isinstance(raw, datetime):
        return raw
    try:
        return datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise FieldValueError(
            phrase("'%(text)s' is not a date and time like 2026-01-31T14:30", text=raw)
        ) from None


_TRUE = {"true", "1", "on", "yes", "y"}
_FALSE = {"false", "0", "off", "no", "n"}


def _boolean(raw: Any, spec: FieldLike) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldValueError(phrase("'%(text)s' is not yes or no", text=raw))


def option_values(spec: FieldLike) -> list[str]:
    """The stored values of a choice field's options."""
    return [
        str(o["value"]) if isinstance(o, Mapping) else str(getattr(o, "value", o))
        for o in spec.options
    ]


def _one_choice(raw: Any, spec: FieldLike) -> str:
    value = str(raw).strip()
    allowed = option_values(spec)
    if value not in allowed:
        hint = did_you_mean(value, allowed)
        options = ", ".join(allowed)
        if hint and "did you" in hint:
            raise FieldValueError(
                phrase(
                    "'%(text)s' is not one of %(options)s (%(hint)s)",
                    text=value,
                    options=options,
                    hint=hint,
                )
            )
        raise FieldValueError(
            phrase("'%(text)s' is not one of %(options)s", text=value, options=options)
        )
    return value


def _choice(raw: Any, spec: FieldLike) -> str:
    return _one_choice(raw, spec)


def _multi_choice(raw: Any, spec: FieldLike) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise FieldValueError(phrase("must be a list of options"))
    return tuple(_one_choice(item, spec) for item in items if str(item).strip())


_EXPR = {"$ref": "urn:stockform:common#/$defs/expression"}
_MINMAX = {"min": _EXPR, "max": _EXPR}
_LENGTH = {
    "max_length": {"type": "integer", "minimum": 1},
    "pattern": {"type": "string", "minLength": 1},
}
_OPTIONS = {
    "options": {
        "type": "array",
        "minItems": 1,
        "items": {
            "anyOf": [
                {"type": ["string", "number"]},
                {
                    "type": "object",
                    "properties": {
                        "value": {"type": ["string", "number"]},
                        "label": {"$ref": "urn:stockform:common#/$defs/label"},
                    },
                    "required": ["value"],
                    "additionalProperties": False,
                },
            ]
        },
        "x-message": "must be a list of options: [a, b] or [{value: a, label: …}]",
    }
}

FIELD_TYPES = FieldTypeRegistry()

for _builtin in (
    FieldType("text", "One line of text.", "text", _text, _LENGTH),
    FieldType("textarea", "Several lines of text.", "text", _text, _LENGTH),
    FieldType("integer", "A whole number.", "number", _integer, _MINMAX),
    FieldType(
        "decimal",
        "An exact number with up to `precision` decimals (default 3).",
        "number",
        _number,
        {**_MINMAX, "precision": {"type": "integer", "minimum": 0, "maximum": 3}},
    ),
    FieldType("money", "An amount of money, exact to 4 decimals.", "number", _money, _MINMAX),
    FieldType("date", "A calendar date (2026-01-31).", "date", _date, _MINMAX),
    FieldType("datetime", "A date and time, stored in UTC.", "datetime", _datetime, _MINMAX),
    FieldType("boolean", "Yes or no.", "bool", _boolean),
    FieldType("choice", "One of a list of options.", "text", _choice, _OPTIONS),
    FieldType("multi_choice", "Any of a list of options.", "list", _multi_choice, _OPTIONS),
    FieldType(
        "sku",
        "A SKU, by code; `sku.<field>` reads its fields.",
        "sku",
        _code,
        lookup="sku",
        scannable=True,
    ),
    FieldType("warehouse", "A warehouse, by code.", "warehouse", _code, lookup="warehouse"),
    FieldType(
        "batch",
        "A batch of the line's SKU, by code; `batch.expiry` is its expiry.",
        "batch",
        _code,
        lookup="batch",
        owned_by="sku",
    ),
    FieldType("user", "A user, by name.", "text", _code, lookup="user"),
    FieldType(
        "link",
        "A document of another form (`form: receipt`), by number.",
        "text",
        _code,
        {"form": {"$ref": "urn:stockform:common#/$defs/identifier"}},
        lookup="document",
    ),
    FieldType(
        "barcode",
        "A barcode; with `input: scan` it takes a scanner's input.",
        "text",
        _text,
        _LENGTH,
        scannable=True,
    ),
):
    FIELD_TYPES.register(_builtin)

# Keys every field accepts, whatever its type.
COMMON_FIELD_KEYS: dict[str, dict[str, Any]] = {
    "type": {"type": "string"},
    "label": {"$ref": "urn:stockform:common#/$defs/label"},
    "help": {"$ref": "urn:stockform:common#/$defs/label"},
    "required": {"type": "boolean"},
    "required_if": {"$ref": "urn:stockform:common#/$defs/condition"},
    "show_if": {"$ref": "urn:stockform:common#/$defs/condition"},
    "default": {"type": ["string", "number", "boolean", "null"]},
    "compute": _EXPR,
    "readonly": {"type": "boolean"},
    "unique": {"type": "boolean"},
    "input": {"enum": ["scan"]},
}


def field_schema(registry: FieldTypeRegistry = FIELD_TYPES) -> dict[str, Any]:
    """The meta-schema of one field, built from the registry so extensions are checked too."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:stockform:field",
        "title": "A field of a form, of its lines, or of every SKU",
        "type": "object",
        "properties": {**COMMON_FIELD_KEYS, **registry.option_schemas()},
        "required": ["type"],
        "additionalProperties": False,
    }
