"""The field-type registry: coercion tables, lookups, and extension like the built-ins."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from stockform.spec.fieldtypes import (
    FIELD_TYPES,
    FieldType,
    FieldTypeRegistry,
    FieldValueError,
    field_schema,
)
from stockform.spec.model import Choice, FieldSpec, Label


def spec(type_name: str, **kwargs: Any) -> FieldSpec:
    return FieldSpec(name="f", type=type_name, label=Label.of("F"), **kwargs)


CHOICES = (Choice("online", Label.of("Online")), Choice("store", Label.of("Store")))


@pytest.mark.parametrize(
    ("type_name", "options", "raw", "expected"),
    [
        ("text", {}, "hello", "hello"),
        ("text", {}, 12, "12"),
        ("textarea", {}, "a\nb", "a\nb"),
        ("integer", {}, "42", 42),
        ("integer", {}, 7, 7),
        ("decimal", {}, "1.250", Decimal("1.250")),
        ("decimal", {"precision": 0}, "3", Decimal("3")),
        ("decimal", {}, "1,000.5", Decimal("1000.5")),
        ("decimal", {}, " -1,234,567 ", Decimal("-1234567")),
        ("decimal", {}, ".5", Decimal("0.5")),
        ("decimal", {}, "-.25", Decimal("-0.25")),
        ("decimal", {}, "5.", Decimal("5")),
        ("integer", {}, "12,000", 12000),
        ("money", {}, "19.9999", Decimal("19.9999")),
        ("date", {}, "2026-01-31", date(2026, 1, 31)),
        ("datetime", {}, "2026-01-31T14:30", datetime(2026, 1, 31, 14, 30)),
        ("boolean", {}, "on", True),
        ("boolean", {}, "no", False),
        ("boolean", {}, True, True),
        ("choice", {"options": CHOICES}, "store", "store"),
        ("multi_choice", {"options": CHOICES}, "online,store", ("online", "store")),
        ("multi_choice", {"options": CHOICES}, ["store"], ("store",)),
        ("sku", {}, " A-1 ", "A-1"),
        ("warehouse", {}, "SH", "SH"),
        ("link", {"target": "receipt"}, "RC-0001", "RC-0001"),
        ("barcode", {}, "6901234567892", "6901234567892"),
        ("text", {}, "", None),
        ("decimal", {}, "  ", None),
        ("multi_choice", {"options": CHOICES}, [], None),
    ],
)
def test_values_are_coerced(
    type_name: str, options: dict[str, Any], raw: Any, expected: Any
) -> None:
    field_type = FIELD_TYPES.get(type_name)
    assert field_type is not None
    assert field_type.clean(raw, spec(type_name, **options)) == expected


@pytest.mark.parametrize(
    ("type_name", "options", "raw", "message"),
    [
        ("text", {"max_length": 3}, "abcd", "is 4 characters long; at most 3"),
        ("text", {"pattern": "[A-Z]+"}, "ab", "'ab' does not match the pattern [A-Z]+"),
        ("text", {}, ["a"], "must be text"),
        ("integer", {}, "4.5", "4.5 has too many decimals: whole numbers only"),
        ("decimal", {}, "abc", "'abc' is not a number"),
        ("decimal", {}, "NaN", "'NaN' is not a number"),
        ("decimal", {}, "Infinity", "'Infinity' is not a number"),
        ("decimal", {}, "1_000", "'1_000' is not a number"),
        ("decimal", {}, "+5", "'+5' is not a number"),
        ("decimal", {}, "1 000", "'1 000' is not a number"),
        ("decimal", {}, "-", "'-' is not a number"),
        ("decimal", {}, ".", "'.' is not a number"),
        # A comma that does not separate thousands is refused, never dropped: 1,5 is not 15.
        (
            "decimal",
            {},
            "1,5",
            "'1,5' is not a number: decimals take a point (1.5), and a comma only separates"
            " thousands",
        ),
        (
            "integer",
            {},
            "1,00,000",
            "'1,00,000' is not a number: decimals take a point (1.5), and a comma only separates"
            " thousands",
        ),
        (
            "decimal",
            {},
            "1e3",
            "'1e3' is not a number: write it out in digits, without an exponent",
        ),
        (
            "money",
            {},
            "2.5E-2",
            "'2.5E-2' is not a number: write it out in digits, without an exponent",
        ),
        ("decimal", {}, 0.1, 'must be a number written as text, such as "12.5"'),
        ("decimal", {"precision": 2}, "1.234", "1.234 has too many decimals: at most 2 decimals"),
        ("decimal", {}, "0.0001", "0.0001 has too many decimals: at most 3 decimals"),
        ("money", {}, "1.00001", "1.00001 has too many decimals: at most 4 decimals"),
        ("boolean", {}, "maybe", "'maybe' is not yes or no"),
        ("date", {}, "31/01/2026", "'31/01/2026' is not a date like 2026-01-31"),
        ("datetime", {}, "soon", "'soon' is not a date and time like 2026-01-31T14:30"),
        (
            "choice",
            {"options": CHOICES},
            "stor",
            "'stor' is not one of online, store (did you mean 'store'?)",
        ),
        ("multi_choice", {"options": CHOICES}, "online,web", "'web' is not one of online, store"),
        ("sku", {}, True, "must be a code"),
    ],
)
def test_bad_values_get_a_message(
    type_name: str, options: dict[str, Any], raw: Any, message: str
) -> None:
    field_type = FIELD_TYPES.get(type_name)
    assert field_type is not None
    with pytest.raises(FieldValueError) as raised:
        field_type.clean(raw, spec(type_name, **options))
    assert str(raised.value) == message


class Catalogue:
    """A stand-in for the database: only SKU A-1 and warehouse SH exist."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str | None]] = []

    def exists(self, kind: str, value: str, target: str | None = None) -> bool:
        self.asked.append((kind, value, target))
        return (kind, value) in {("sku", "A-1"), ("warehouse", "SH")}


def test_existence_checks_go_through_the_lookups() -> None:
    lookups = Catalogue()
    sku = FIELD_TYPES.get("sku")
    assert sku is not None
    assert sku.clean("A-1", spec("sku"), lookups) == "A-1"
    with pytest.raises(FieldValueError) as raised:
        sku.clean("B-2", spec("sku"), lookups)
    assert str(raised.value) == "no SKU 'B-2'"
    link = FIELD_TYPES.get("link")
    assert link is not None
    with pytest.raises(FieldValueError):
        link.clean("SO-1", spec("link", target="sales_order"), lookups)
    assert lookups.asked == [
        ("sku", "A-1", None),
        ("sku", "B-2", None),
        ("document", "SO-1", "sales_order"),
    ]


class Lots:
    """A stand-in with lot L1 of MILK and of TEA, and lot L2 of MILK only."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str | None]] = []

    def exists(self, kind: str, value: str, target: str | None = None) -> bool:
        self.asked.append((kind, value, target))
        return (value, target) in {("L1", "MILK"), ("L2", "MILK"), ("L1", "TEA")}

    def candidates(self, kind: str, target: str | None = None) -> list[str]:
        return {"MILK": ["L1", "L2"], "TEA": ["L1"]}.get(target or "", [])


@pytest.mark.parametrize(
    ("raw", "owner", "message"),
    [
        ("L2", "MILK", None),
        ("L2", "TEA", "no batch 'L2' of TEA (valid: L1)"),
        ("L10", "TEA", "no batch 'L10' of TEA (did you mean 'L1'?)"),
        ("L1", "COFFEE", "no batch 'L1' of COFFEE"),
        ("L1", None, "choose the SKU first: a batch belongs to one"),
    ],
)
def test_a_batch_is_looked_up_among_its_skus_batches(
    raw: str, owner: str | None, message: str | None
) -> None:
    batch = FIELD_TYPES.get("batch")
    assert batch is not None and batch.owned_by == "sku"
    lookups = Lots()
    if message is None:
        assert batch.clean(raw, spec("batch"), lookups, owner=owner) == raw
    else:
        with pytest.raises(FieldValueError) as raised:
            batch.clean(raw, spec("batch"), lookups, owner=owner)
        assert str(raised.value) == message
    assert lookups.asked == ([] if owner is None else [("batch", raw, owner)])
    assert batch.clean(raw, spec("batch")) == raw  # without lookups it is only coerced


def test_an_extension_registers_like_a_builtin() -> None:
    registry = FieldTypeRegistry()
    for builtin in FIELD_TYPES:
        registry.register(builtin)

    def percent(raw: Any, _spec: Any) -> Decimal:
        value = Decimal(str(raw))
        if not 0 <= value <= 100:
            raise FieldValueError(f"{raw} is not between 0 and 100")
        return value

    registry.register(
        FieldType("percent", "A share, 0 to 100.", "number", percent, {"step": {"type": "integer"}})
    )
    assert registry.get("percent") is not None
    assert "step" in field_schema(registry)["properties"]
    assert "step" not in field_schema(FIELD_TYPES)["properties"]
    with pytest.raises(ValueError) as raised:
        registry.register(FieldType("text", "again", "text", percent))
    assert "already registered" in str(raised.value)
