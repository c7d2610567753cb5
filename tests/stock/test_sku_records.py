"""SKUs as records: list, read, change (code and precision stay), unique barcodes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from stockform.stock.catalog import SkuInvalid, load_field
from stockform.stock.errors import UnknownItem
from stockform.stock.service import Stock, figures


def test_a_record_has_the_builtin_keys_and_the_template_fields(stock: Stock) -> None:
    assert stock.sku("A-1") == {
        "code": "A-1",
        "name": "Apple",
        "unit": "pcs",
        "barcode": None,
        "precision": 0,
        "active": True,
        "list_price": Decimal("2.5"),
        "safety_stock": Decimal(5),
    }
    with pytest.raises(UnknownItem):
        stock.sku("NOPE")


def test_list_pages_and_filters(stock: Stock) -> None:
    stock.create_sku(code="C-3", name="Cherry", barcode="690")
    items, total = stock.skus(per_page=2)
    assert ([i["code"] for i in items], total) == (["A-1", "B-2"], 3)
    assert [i["code"] for i in stock.skus(page=2, per_page=2)[0]] == ["C-3"]
    assert [i["code"] for i in stock.skus(q="CHER")[0]] == ["C-3"]
    assert [i["code"] for i in stock.skus(barcode="690")[0]] == ["C-3"]
    assert stock.skus(code="A")[1] == 0


def test_update_changes_fields_and_recomputes_quantities(stock: Stock) -> None:
    stock.receive("A-1", "MAIN", 20)
    changed = stock.update_sku("A-1", {"name": "Green apple", "safety_stock": "8"})
    assert (changed["name"], changed["safety_stock"], changed["list_price"]) == (
        "Green apple",
        Decimal(8),
        Decimal("2.5"),
    )
    assert figures(stock.row("A-1", "MAIN"))["sellable"] == 12


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"code": "Z"}, {"code": "cannot be changed"}),
        ({"precision": 2}, {"precision": "cannot be changed"}),
        ({"name": ""}, {"name": "required"}),
        ({"unit": 5}, {"unit": "must be text"}),
        ({"unit": "u" * 17}, {"unit": "is 17 characters long; at most 16"}),
        ({"shelf": "3"}, {"shelf": "no such SKU field"}),
        ({"safety_stock": "x"}, {"safety_stock": "'x' is not a number"}),
    ],
)
def test_update_refusals_name_the_field(
    stock: Stock, changes: dict[str, object], errors: dict[str, str]
) -> None:
    with pytest.raises(SkuInvalid) as raised:
        stock.update_sku("A-1", changes)
    assert raised.value.errors == errors


def test_a_barcode_belongs_to_one_sku(stock: Stock) -> None:
    stock.update_sku("A-1", {"barcode": "111"})
    with pytest.raises(SkuInvalid) as raised:
        stock.create_sku(code="C-3", barcode="111")
    assert raised.value.errors == {"barcode": "barcode '111' belongs to SKU 'A-1'"}
    with pytest.raises(SkuInvalid) as raised:
        stock.update_sku("B-2", {"barcode": "111"})
    assert raised.value.errors == {"barcode": "barcode '111' belongs to SKU 'A-1'"}
    assert stock.update_sku("A-1", {"barcode": "111", "name": "Apple"})["barcode"] == "111"


def test_warehouses_are_listed_by_code(stock: Stock) -> None:
    assert stock.warehouses() == [{"code": "MAIN", "name": "Main warehouse", "active": True}]


@pytest.mark.parametrize(
    ("type_name", "stored", "loaded"),
    [
        ("integer", 7, 7),  # a whole number stays one: the API promises an integer
        ("decimal", 7500, Decimal("7.5")),
        ("money", 25000, Decimal("2.5")),
    ],
)
def test_numbers_load_as_their_field_type_says(type_name: str, stored: int, loaded: Any) -> None:
    value = load_field(type_name, stored)
    assert (value, type(value)) == (loaded, type(loaded))
