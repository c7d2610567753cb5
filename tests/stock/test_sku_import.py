"""Importing SKUs from a CSV file: new codes added, known ones changed, and one wrong row
leaves the whole file unwritten with every problem named by row and column."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from stockform.database import Prepared
from stockform.stock.service import Stock
from stockform.stock.sku_import import Imported, ImportRefused, import_skus


def run(prepared: Prepared, text: str, encoding: str = "utf-8-sig") -> Imported:
    with prepared.engine.begin() as connection:
        return import_skus(connection, prepared.template, text.encode(encoding))


def refused(prepared: Prepared, text: str | bytes) -> list[str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(ImportRefused) as raised, prepared.engine.begin() as connection:
        import_skus(connection, prepared.template, data)
    return [str(p) for p in raised.value.problems]


def test_new_codes_are_added_and_known_ones_changed(prepared: Prepared, stock: Stock) -> None:
    done = run(
        prepared,
        "code,name,unit,precision,list_price,safety_stock,barcode\r\n"
        'TEA-1,"Green tea, 100 g",box,1,"1,250.50",2.5,6900001\r\n'
        "\r\n"  # a blank row is skipped
        "A-1,Apple (new crop),,,3,,\r\n",  # blank cells leave A-1's unit and safety stock
    )
    assert done == Imported(added=1, changed=1, codes=("TEA-1", "A-1"))
    tea = stock.sku("TEA-1")
    assert (tea["name"], tea["unit"], tea["precision"], tea["barcode"]) == (
        "Green tea, 100 g",
        "box",
        1,
        "6900001",
    )
    assert (tea["list_price"], tea["safety_stock"]) == (Decimal("1250.50"), Decimal("2.5"))
    apple = stock.sku("A-1")
    assert (apple["name"], apple["unit"], apple["list_price"], apple["safety_stock"]) == (
        "Apple (new crop)",
        "pcs",
        Decimal("3"),
        Decimal("5"),
    )
    # A new SKU shows at every warehouse at once, as one added by hand does.
    assert stock.row("TEA-1", "MAIN").buckets["available"] == 0


def test_every_wrong_row_is_named_and_nothing_is_written(prepared: Prepared, stock: Stock) -> None:
    problems = refused(
        prepared,
        "code,name,list_price,precision\n"
        "NEW-1,Fine,1,0\n"  # good, but not written: the file is refused as a whole
        'NEW-2,Bad price,"1,5",0\n'
        "A-1,Finer,,2\n"  # a known SKU's decimals stay
        ",No code,1,0\n"
        "NEW-1,Twice,1,0\n"
        "NEW-3,Bad decimals,1,7\n",
    )
    assert problems == [
        "row 3, list_price: '1,5' is not a number: decimals take a point (1.5), and a comma only"
        " separates thousands",
        "row 4, precision: cannot be changed",
        "row 5, code: required",
        "row 6, code: NEW-1 is on row 2 already",
        "row 7, precision: must be a whole number from 0 to 3",
    ]
    assert stock.skus(q="NEW")[1] == 0
    assert stock.sku("A-1")["precision"] == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty"),
        (
            "code\n" + "".join(f"X-{i}\n" for i in range(5_001)),
            "the file has more than 5000 SKUs: import it in parts",
        ),
        ("name,list_price\nTea,1\n", "row 1: the header has no column 'code'"),
        (
            "code,colour\nX,red\n",
            "row 1: 'colour' is no SKU field (valid: code, name, unit, precision, barcode,"
            " list_price, safety_stock)",
        ),
        ("code,name,code\nX,Y,Z\n", "row 1: 'code' is named twice"),
        ("code,name\nX,Y,Z\n", "row 2: has 3 cells; the header names 2"),
        (b"code,name\nX,\xff\n", "the file is not UTF-8 text: save it as CSV UTF-8, or as XLSX"),
        (
            "code,barcode\nX-1,690\nX-2,690\n",
            "row 3, barcode: barcode '690' belongs to SKU 'X-1'",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why(
    prepared: Prepared, stock: Stock, text: str | bytes, problem: str
) -> None:
    assert refused(prepared, text) == [problem]
    assert stock.skus(q="X")[1] == 0


def test_a_quoted_cell_over_two_lines_keeps_the_row_numbers_true(
    prepared: Prepared, stock: Stock
) -> None:
    problems = refused(prepared, 'code,name,list_price\nX-1,"Two\nlines",1\nX-2,Next,abc\n')
    assert problems == ["row 4, list_price: 'abc' is not a number"]


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    found = io.BytesIO()
    book.save(found)
    return found.getvalue()


def test_a_workbooks_first_sheet_imports_as_its_cells_show(
    prepared: Prepared, stock: Stock
) -> None:
    data = workbook(
        [
            ["code", "name", "precision", "list_price", "safety_stock", None],
            ["TEA-1", "Green tea", 1, 1250.5, 2.5],
            [],  # a blank row is skipped
            ["TEA-2", "Black tea", 0, 0.1, 3, None],
            ["A-1", None, None, 19.99],  # A-1 keeps its name, gets a price
        ]
    )
    with prepared.engine.begin() as connection:
        done = import_skus(connection, prepared.template, data)
    assert done == Imported(added=2, changed=1, codes=("TEA-1", "TEA-2", "A-1"))
    assert stock.sku("TEA-1")["list_price"] == Decimal("1250.5")  # never 1250.49999…
    assert stock.sku("TEA-2")["list_price"] == Decimal("0.1")
    assert (stock.sku("TEA-1")["precision"], stock.sku("TEA-2")["safety_stock"]) == (1, 3)
    assert (stock.sku("A-1")["name"], stock.sku("A-1")["list_price"]) == (
        "Apple",
        Decimal("19.99"),
    )


def test_a_workbook_row_is_named_by_the_sheets_row_number(prepared: Prepared, stock: Stock) -> None:
    data = workbook([["code", "list_price"], ["X-1", 1], [], ["X-2", "abc"], ["X-3", 1 / 3]])
    assert refused(prepared, data) == [
        "row 4, list_price: 'abc' is not a number",
        "row 5, list_price: 0.3333333333333333 has too many decimals: at most 4 decimals",
    ]
    assert refused(prepared, b"PK\x03\x04 not a workbook") == ["the file is no XLSX workbook"]
    assert stock.skus(q="X")[1] == 0
