"""The SKU catalogue pages: everyone signed in finds SKUs; admins add and change them, with
every wrong value said beside its field and nothing stored."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from openpyxl import Workbook
from webclient import Visitor, text_of

from stockform.stock.service import Stock

MakeVisitor = Callable[[str | None], Visitor]


def stock(app: Flask) -> Stock:
    runtime = app.extensions["stockform.runtime"]
    return Stock(runtime.engine, runtime.template, runtime.version_id)


def test_everyone_finds_skus_by_code_or_name(visitor: MakeVisitor) -> None:
    page = visitor("sam").get("/skus?q=a-1")
    assert page.status_code == 200
    assert text_of(page.text, "sku-1").split()[:1] == ["A-1"]
    assert "/skus/new" not in page.text and "/edit" not in page.text  # sam is no admin
    assert 'href="/skus"' in visitor("sam").get("/").text  # in the top bar
    assert "No SKUs match." in visitor("sam").get("/skus?q=nothing-like-it").text


def test_an_admin_adds_a_sku_with_its_template_fields(
    shop_app: Flask, visitor: MakeVisitor
) -> None:
    root = visitor("root")
    form = root.get("/skus/new").text
    assert 'name="list_price"' in form and 'name="safety_stock"' in form
    added = root.post(
        "/skus/new",
        {
            "code": "TEA-9",
            "name": "Green tea",
            "unit": "box",
            "precision": "1",
            "barcode": "",
            "list_price": "1,250.5",
            "safety_stock": "2.5",
        },
    )
    assert added.status_code == 302 and added.headers["Location"] == "/skus?q=TEA-9"
    sku = stock(shop_app).sku("TEA-9")
    assert (sku["name"], sku["unit"], sku["precision"], sku["barcode"]) == (
        "Green tea",
        "box",
        1,
        None,
    )
    assert (sku["list_price"], sku["safety_stock"]) == (Decimal("1250.5"), Decimal("2.5"))
    assert "SKU TEA-9 added." in root.get("/skus?q=TEA-9").text


def test_wrong_values_are_said_beside_their_fields_and_nothing_is_stored(
    shop_app: Flask, visitor: MakeVisitor
) -> None:
    root = visitor("root")
    refused = root.post(
        "/skus/new",
        {"code": "A-1", "name": "Again", "precision": "1", "list_price": "1,5"},
    )
    assert refused.status_code == 422
    assert text_of(refused.text, "f-code-err") == "SKU 'A-1' exists already"
    assert text_of(refused.text, "f-list_price-err") == (
        "'1,5' is not a number: decimals take a point (1.5), and a comma only separates thousands"
    )
    assert 'value="1,5"' in refused.text  # what was typed stays to be mended
    assert stock(shop_app).sku("A-1")["name"] != "Again"
    root.get("/locale/zh")
    said = root.post("/skus/new", {"code": "", "precision": "0", "safety_stock": "-"}).text
    assert text_of(said, "f-code-err") == "必填"
    assert text_of(said, "f-safety_stock-err") == "“-”不是数字"


def test_an_admin_changes_a_sku_but_not_its_code_or_precision(
    shop_app: Flask, visitor: MakeVisitor
) -> None:
    root = visitor("root")
    page = root.get("/skus/A-1/edit").text
    assert 'name="code"' not in page and 'name="precision"' not in page
    assert 'id="f-list_price" value="10"' in page
    saved = root.post(
        "/skus/A-1/edit",
        {"name": "Apple juice", "unit": "pcs", "barcode": "6901", "list_price": "12", "code": "Z"},
    )
    assert saved.status_code == 302
    sku = stock(shop_app).sku("A-1")
    assert (sku["code"], sku["name"], sku["barcode"], sku["list_price"]) == (
        "A-1",
        "Apple juice",
        "6901",
        Decimal("12"),
    )
    assert sku["safety_stock"] == Decimal("5")  # not sent: kept
    taken = root.post("/skus/B-2/edit", {"name": "B", "barcode": "6901"})
    assert taken.status_code == 422
    assert text_of(taken.text, "f-barcode-err") == "barcode '6901' belongs to SKU 'A-1'"
    assert root.get("/skus/NOPE/edit").status_code == 404


@pytest.mark.parametrize("path", ["/skus/new", "/skus/A-1/edit"])
def test_only_admins_add_or_change_skus(shop_app: Flask, visitor: MakeVisitor, path: str) -> None:
    mia = visitor("mia")  # a manager, not an admin
    assert mia.get(path).status_code == 403
    assert mia.post(path, {"code": "X-1", "name": "Changed"}).status_code == 403
    assert stock(shop_app).sku("A-1")["name"] != "Changed"
    assert stock(shop_app).skus(code="X-1")[1] == 0
    assert visitor(None).get(path).status_code == 302  # to the sign-in page


def test_a_changed_safety_stock_opens_its_warning_at_once(
    shop_app: Flask, visitor: MakeVisitor
) -> None:
    root = visitor("root")
    assert "Only 10 of A-1" not in root.get("/warnings").text
    # 100 in Shanghai, 90 kept back: 10 sellable, under the shop's low-stock line of 20.
    saved = root.post("/skus/A-1/edit", {"name": "Apple", "safety_stock": "90"})
    assert saved.status_code == 302
    saved.close()  # the server evaluates once the answer is sent
    assert "Only 10 of A-1 sellable at SH" in root.get("/warnings").text


def test_an_admin_imports_a_csv_file_all_or_nothing(shop_app: Flask, visitor: MakeVisitor) -> None:
    root = visitor("root")
    assert 'action="/skus/import"' in root.get("/skus").text
    wrong = b'code,name,list_price\nC-3,Plum,2\nD-4,Fig,"1,5"\n'
    refused = root.post("/skus/import", {"file": (io.BytesIO(wrong), "skus.csv")})
    assert refused.status_code == 422
    assert text_of(refused.text, "import-problems") == (
        "Nothing was imported: row 3, list_price: '1,5' is not a number: decimals take a point"
        " (1.5), and a comma only separates thousands"
    )
    assert stock(shop_app).skus(code="C-3")[1] == 0
    root.get("/locale/zh")
    said = root.post("/skus/import", {"file": (io.BytesIO(wrong), "skus.csv")}).text
    assert "第 3 行，list_price：“1,5”不是数字" in text_of(said, "import-problems")
    right = "\ufeffcode,name,list_price\nC-3,Plum,2\nA-1,Apple,11\n".encode()
    done = root.post("/skus/import", {"file": (io.BytesIO(right), "skus.csv")})
    assert done.status_code == 302
    done.close()  # the server evaluates the SKUs' warnings once the answer is sent
    assert "已导入：新增 1 个商品，修改 1 个" in root.get("/skus").text
    assert stock(shop_app).sku("C-3")["list_price"] == Decimal("2")
    assert stock(shop_app).sku("A-1")["list_price"] == Decimal("11")
    root.get("/locale/en")
    assert "Only 0 of C-3 sellable at SH" in root.get("/warnings").text  # none of it yet
    assert (
        visitor("mia").post("/skus/import", {"file": (io.BytesIO(right), "x.csv")}).status_code
        == 403
    )


def test_an_admin_imports_a_workbook(shop_app: Flask, visitor: MakeVisitor) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "name", "list_price"])
    sheet.append(["E-5", "Grape", 4.2])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    done = visitor("root").post("/skus/import", {"file": (data, "catalogue.xlsx")})
    assert done.status_code == 302
    assert stock(shop_app).sku("E-5")["list_price"] == Decimal("4.2")


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_an_exported_catalogue_imports_back_unchanged(
    shop_app: Flask, visitor: MakeVisitor, extension: str
) -> None:
    root, sam = visitor("root"), visitor("sam")  # anyone who may see the SKUs exports them
    stock(shop_app).update_sku("A-1", {"list_price": "1250.5", "barcode": "6901-A"})
    before = stock(shop_app).skus()[0]
    exported = sam.client.get(f"/skus.{extension}")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == f'attachment; filename="skus.{extension}"'
    again = root.post("/skus/import", {"file": (io.BytesIO(exported.data), f"x.{extension}")})
    assert again.status_code == 302
    assert "0 SKUs added, 2 changed" in root.get("/skus").text
    assert stock(shop_app).skus()[0] == before


def test_the_csv_export_has_the_import_s_columns_and_the_search_s_rows(
    shop_app: Flask, visitor: MakeVisitor
) -> None:
    stock(shop_app).update_sku("A-1", {"list_price": "1250.5"})
    lines = visitor("sam").client.get("/skus.csv").data.decode("utf-8-sig").splitlines()
    assert lines == [
        "code,name,unit,barcode,precision,list_price,safety_stock",
        "A-1,Apple,pcs,6901,0,1250.5,5",
        "B-2,Pear,pcs,6902,0,3,0",
    ]
    found = visitor("sam").client.get("/skus.csv?q=pear").data.decode("utf-8-sig")
    assert found.splitlines()[1:] == ["B-2,Pear,pcs,6902,0,3,0"]
