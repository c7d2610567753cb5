"""The report pages: filters, the table, CSV and XLSX downloads with exact numbers, Chinese."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

import openpyxl
import pytest
from flask import Flask
from webclient import Visitor

from stockform.stock.service import Stock

REPORTS = ["turnover", "stock-value", "abc", "ageing", "slow-movers", "stock-outs", "stock-trend"]


@pytest.fixture
def sold(shop_app: Flask) -> None:
    """C-3: 3 received at 1.2345 each (3.7035), 1 sold: COGS 1.2345, 2 left worth 2.469."""
    runtime = shop_app.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    stock.create_sku(code="C-3", name="Plum")
    stock.receive("C-3", "BJ", 3, unit_cost="1.2345")
    stock.consume(stock.lock("C-3", "BJ", 1).id)


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_page_shows_its_table(
    visitor: Callable[[str | None], Visitor], sold: None, name: str
) -> None:
    page = visitor("vic").get(f"/reports/{name}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="cards report-table"' in html
    assert f'href="/reports/{name}.csv"' in html and f'href="/reports/{name}.xlsx"' in html


def test_the_reports_index_and_the_top_bar_link(visitor: Callable[[str | None], Visitor]) -> None:
    html = visitor("vic").get("/reports/").get_data(as_text=True)
    for name in REPORTS:
        assert f'href="/reports/{name}"' in html
    assert 'href="/reports/"' in visitor("vic").get("/").get_data(as_text=True)


def test_reports_need_a_signed_in_user(visitor: Callable[[str | None], Visitor]) -> None:
    for url in ("/reports/", "/reports/turnover", "/reports/turnover.csv"):
        response = visitor(None).get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_filters_shape_the_table(visitor: Callable[[str | None], Visitor], sold: None) -> None:
    html = visitor("vic").get("/reports/turnover?group=warehouse").get_data(as_text=True)
    assert '<td data-label="Warehouse">BJ</td>' in html
    assert '<option value="warehouse" selected>' in html
    html = visitor("vic").get("/reports/stock-value?warehouse=SH").get_data(as_text=True)
    assert "C-3" not in html


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/reports/turnover?from=2026-02-30", "&#39;2026-02-30&#39; is not a date"),
        ("/reports/turnover?group=colour", "&#39;colour&#39; is not a grouping"),
        ("/reports/slow-movers?days=0", "&#39;0&#39; is not a number of days"),
        ("/reports/turnover?from=2026-03-02&to=2026-03-01", "is after the end of the period"),
    ],
)
def test_a_bad_filter_is_explained_on_the_page(
    visitor: Callable[[str | None], Visitor], url: str, message: str
) -> None:
    page = visitor("vic").get(url)
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)


def test_an_unknown_report_is_not_found(visitor: Callable[[str | None], Visitor]) -> None:
    assert visitor("vic").get("/reports/nothing").status_code == 404
    assert visitor("vic").get("/reports/nothing.csv").status_code == 404


def test_csv_has_exact_decimals(visitor: Callable[[str | None], Visitor], sold: None) -> None:
    response = visitor("vic").client.get("/reports/stock-value.csv?sku=C-3")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="stock-value.csv"'
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0] == "SKU"
    # Closing: 2 worth 2.469 (2 × 1.2345); 1 sold for 1.2345.
    assert rows[1] == ["C-3", "0", "0", "2", "2.469", "1", "1.2345"]
    assert rows[-1][0] == "Total"


def test_xlsx_has_numbers_with_formats(
    visitor: Callable[[str | None], Visitor], sold: None
) -> None:
    response = visitor("vic").client.get("/reports/stock-value.xlsx?sku=C-3")
    assert response.status_code == 200
    assert response.content_type.startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    heading = [c.value for c in sheet[1]]
    assert heading[:3] == ["SKU", "Opening quantity", "Opening value"]
    cells = sheet[2]
    assert cells[0].value == "C-3"
    # Stored as numbers (the XML holds the exact decimal text), formatted by kind.
    assert Decimal(str(cells[4].value)) == Decimal("2.469")
    assert cells[4].data_type == "n"
    assert cells[4].number_format == "#,##0.00##"
    assert cells[3].number_format == "#,##0.###"
    assert sheet[3][0].value == "Total"
    assert sheet[3][0].font.bold


def test_a_report_in_chinese(visitor: Callable[[str | None], Visitor], sold: None) -> None:
    reader = visitor("vic")
    reader.get("/locale/zh?next=/reports/turnover")
    html = reader.get("/reports/turnover").get_data(as_text=True)
    assert "库存周转" in html and "销货成本" in html
    response = reader.client.get("/reports/turnover.csv")
    assert (
        response.data.decode("utf-8").splitlines()[0]
        == "\ufeff商品,销货成本,平均库存价值,库存周转,库存天数"
    )


def test_stock_over_time_draws_a_chart(
    visitor: Callable[[str | None], Visitor], sold: None
) -> None:
    html = visitor("vic").get("/reports/stock-trend").get_data(as_text=True)
    assert '<svg class="chart"' in html
    assert html.count("<polyline") == 2  # physical and sellable
