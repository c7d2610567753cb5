"""The document editor: live recomputation by the server, lines, the scan field, the SKU picker,
and every refusal of a save shown next to its field or line."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from webclient import Visitor, text_of

MakeVisitor = Callable[[str | None], Visitor]
HTMX = {"HX-Request": "true"}


def order(lines: list[dict[str, str]], **fields: str) -> dict[str, Any]:
    """A posted sales order: header fields and lines under row keys k1, k2, …"""
    data: dict[str, Any] = {f"field.{k}": v for k, v in {"customer": "Bob", **fields}.items()}
    data.setdefault("field.warehouse", "SH")
    data["lines"] = [f"k{i}" for i in range(1, len(lines) + 1)]
    for i, line in enumerate(lines, start=1):
        data.update({f"line.k{i}.{k}": v for k, v in line.items()})
    return data


def test_the_new_page_has_the_defaults_one_line_and_the_scan_field(visitor: MakeVisitor) -> None:
    page = visitor("sam").get("/forms/sales_order/new")
    assert page.status_code == 200
    html = page.text
    assert '<option value="online" selected>' in html
    assert html.count('name="lines"') == 1
    assert 'id="scan"' in html and 'data-scan-url="/forms/sales_order/live/scan"' in html
    assert "#f-pickup_note-wrap{display:none}" in html  # channel is online: no pickup note
    assert '<option value="BJ"' not in html  # sam works in Shanghai only


def test_recompute_returns_line_amounts_totals_and_live_stock(
    visitor: MakeVisitor, snapshot: Any
) -> None:
    sam = visitor("sam")
    data = order([{"sku": "A-1", "qty": "3"}, {"sku": "B-2", "qty": "2", "price": "2.5"}])
    response = sam.post("/forms/sales_order/live/recompute", data, headers=HTMX)
    assert response.status_code == 200
    html = response.text
    assert text_of(html, "r-k1-amount") == "30.00"
    assert text_of(html, "r-k2-amount") == "5.00"
    assert text_of(html, "t-total") == "35.00"
    assert 'data-q="sellable">95<' in html and 'data-q="physical">100<' in html
    assert "hx-swap-oob" not in html  # stockform.js puts each element in place by its id
    assert html == snapshot


def test_recompute_shows_and_hides_conditional_fields(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    shown = sam.post(
        "/forms/sales_order/live/recompute",
        order([{"sku": "A-1", "qty": "1"}], channel="store"),
        headers=HTMX,
    ).text
    hidden = sam.post(
        "/forms/sales_order/live/recompute",
        order([{"sku": "A-1", "qty": "1"}], channel="online"),
        headers=HTMX,
    ).text
    style = re.compile(r'<style id="visibility">(.*?)</style>', re.S)
    assert "pickup_note" not in style.search(shown).group(1)  # type: ignore[union-attr]
    assert "#f-pickup_note-wrap{display:none}" in style.search(hidden).group(1)  # type: ignore[union-attr]


def test_recompute_shows_wrong_values_but_not_yet_missing_ones(visitor: MakeVisitor) -> None:
    html = (
        visitor("sam")
        .post(
            "/forms/sales_order/live/recompute",
            order([{"sku": "A-1", "qty": "x"}, {"sku": "Z-9", "qty": ""}], customer=""),
            headers=HTMX,
        )
        .text
    )
    assert "Qty: &#39;x&#39; is not a number" in html
    assert "Sku: no SKU &#39;Z-9&#39;" in html
    assert "required" not in html


def test_the_engine_says_what_is_wrong_in_the_users_language(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    sam.get("/locale/zh")
    html = sam.post(
        "/forms/sales_order/live/recompute",
        order([{"sku": "A-1", "qty": "1,5"}, {"sku": "Z-9", "qty": "1"}]),
        headers=HTMX,
    ).text
    assert "“1,5”不是数字：小数请用小数点（1.5），逗号只能用作千位分隔符" in html
    assert "没有商品“Z-9”" in html
    assert "is not a number" not in html and "no SKU" not in html


def test_the_stock_shown_follows_the_chosen_warehouse(visitor: MakeVisitor) -> None:
    root = visitor("root")
    html = root.post(
        "/forms/sales_order/live/recompute", order([{"sku": "A-1"}], warehouse="BJ"), headers=HTMX
    ).text
    assert 'data-q="sellable">0<' in html


def test_a_new_line_and_a_changed_sku_are_filled_in_by_the_server(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    added = sam.post("/forms/sales_order/live/row", {**order([]), "new": "1"}, headers=HTMX)
    assert added.status_code == 200
    assert added.headers["HX-Trigger-After-Settle"] == "recompute"
    assert added.text.count('name="lines"') == 1
    changed = sam.post(
        "/forms/sales_order/live/row",
        {**order([{"sku": "B-2", "qty": "2", "price": "10"}]), "row": "k1", "changed": "sku"},
        headers=HTMX,
    )
    assert 'name="line.k1.price" id="r-k1-price" value="3"' in changed.text  # B-2's list price
    assert 'id="r-k1-amount">6.00<' in changed.text


@pytest.mark.parametrize("code", ["A-1", "6901"])
def test_a_scan_fills_the_empty_line_then_bumps_its_quantity(
    visitor: MakeVisitor, code: str
) -> None:
    sam = visitor("sam")
    first = sam.post(
        "/forms/sales_order/live/scan", {**order([{}]), "scan": code}, headers=HTMX
    ).text
    assert '<tr id="row-k1" class="line" hx-swap-oob="true"' in first
    assert 'name="line.k1.sku" id="r-k1-sku" value="A-1"' in first
    assert 'name="line.k1.qty" id="r-k1-qty" value="1"' in first
    again = sam.post(
        "/forms/sales_order/live/scan",
        {**order([{"sku": "A-1", "qty": "1"}]), "scan": code},
        headers=HTMX,
    ).text
    assert 'name="line.k1.qty" id="r-k1-qty" value="2"' in again
    other = sam.post(
        "/forms/sales_order/live/scan",
        {**order([{"sku": "A-1", "qty": "2"}]), "scan": "B-2"},
        headers=HTMX,
    ).text
    assert '<tbody hx-swap-oob="beforeend:#lines-body">' in other
    assert 'value="B-2"' in other and "row-k1" not in other


def test_an_unknown_code_is_named_beside_the_scan_field(visitor: MakeVisitor) -> None:
    html = (
        visitor("sam")
        .post("/forms/sales_order/live/scan", {**order([{}]), "scan": "999"}, headers=HTMX)
        .text
    )
    assert html.strip() == (
        '<p id="scan-msg" hx-swap-oob="true" role="status" class="err">'
        "No SKU has the code or barcode 999.</p>"
    )


@pytest.mark.parametrize(
    ("typed", "codes"), [("pea", ["B-2"]), ("6901", ["A-1"]), ("a-", ["A-1"]), ("", ["A-1", "B-2"])]
)
def test_the_sku_picker_searches_code_name_and_barcode(
    visitor: MakeVisitor, typed: str, codes: list[str]
) -> None:
    html = visitor("sam").get(f"/live/skus?line.k1.sku={typed}", headers=HTMX).text
    assert re.findall(r'<option value="([^"]+)"', html) == codes


def test_a_saved_order_goes_to_its_page(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    saved = sam.post("/forms/sales_order/new", order([{"sku": "A-1", "qty": "2"}, {}]))
    assert saved.status_code == 302
    page = sam.get(saved.headers["Location"])
    assert "Saved SO-" in page.text
    assert 'id="t-total">20.00<' in page.text
    assert page.text.count('<tr id="line-') == 1  # the empty line was not saved


@pytest.mark.parametrize(
    ("fields", "lines", "where", "message"),
    [
        ({"customer": ""}, [{"sku": "A-1", "qty": "1"}], "f-customer-err", "required"),
        ({"channel": "store"}, [{"sku": "A-1", "qty": "1"}], "f-pickup_note-err", "required"),
        ({}, [{"sku": "A-1", "qty": "0"}], "r-k1-info", "Qty: must be at least 1"),
        ({}, [{"sku": "A-1", "qty": "1"}, {"sku": "Q", "qty": "1"}], "r-k2-info", "Sku: no SKU"),
        ({}, [], "form-errors", "An order needs at least one line"),
        ({}, [{"sku": "A-1", "qty": "1"}] * 6, "form-errors", "lines: at most 5 lines"),
    ],
)
def test_each_refusal_of_a_save_stands_next_to_its_field_or_line(
    visitor: MakeVisitor,
    fields: dict[str, str],
    lines: list[dict[str, str]],
    where: str,
    message: str,
) -> None:
    response = visitor("sam").post("/forms/sales_order/new", order(lines, **fields))
    assert response.status_code == 422
    assert message in text_of(response.text, where)


def test_a_warehouse_the_role_may_not_use_is_refused_beside_the_warehouse(
    visitor: MakeVisitor,
) -> None:
    response = visitor("sam").post(
        "/forms/sales_order/new", order([{"sku": "A-1", "qty": "1"}], warehouse="BJ")
    )
    assert response.status_code == 403
    assert text_of(response.text, "f-warehouse-err") == "your roles may not work in warehouse BJ"


def test_editing_keeps_line_ids_and_only_touches_this_document(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    first = sam.post("/forms/sales_order/new", order([{"sku": "A-1", "qty": "1"}]))
    second = sam.post("/forms/sales_order/new", order([{"sku": "B-2", "qty": "1"}]))
    first_url, second_url = first.headers["Location"], second.headers["Location"]
    edit = sam.get(first_url + "/edit").text
    key = re.search(r'name="lines" value="([^"]+)"', edit).group(1)  # type: ignore[union-attr]
    line_id = re.search(r'name="line\.[^.]+\.id" value="(\d+)"', edit).group(1)  # type: ignore[union-attr]
    other = re.search(
        r'name="line\.[^.]+\.id" value="(\d+)"',
        sam.get(second_url + "/edit").text,
    ).group(1)  # type: ignore[union-attr]
    data = order([{"sku": "A-1", "qty": "4"}])
    data.update({"lines": [key], f"line.{key}.sku": "A-1", f"line.{key}.qty": "4"})
    data.pop("line.k1.sku"), data.pop("line.k1.qty")
    saved = sam.post(first_url + "/edit", {**data, f"line.{key}.id": line_id})
    assert saved.status_code == 302
    assert 'id="t-total">40.00<' in sam.get(first_url).text
    forged = sam.post(first_url + "/edit", {**data, f"line.{key}.id": other})
    assert forged.status_code == 302
    assert 'id="t-total">3.00<' in sam.get(second_url).text  # the other order is untouched


def test_in_a_later_state_only_the_editable_fields_are_inputs(visitor: MakeVisitor) -> None:
    sam = visitor("sam")
    saved = sam.post("/forms/sales_order/new", order([{"sku": "A-1", "qty": "20"}]))
    url = saved.headers["Location"]
    sam.post(url + "/act", {"transition": "submit"})
    edit = sam.get(url + "/edit").text
    assert 'name="field.note" id="f-note"' in edit
    assert 'type="hidden" name="field.customer" value="Bob"' in edit
    assert 'id="add-line"' not in edit and 'id="scan"' not in edit
    key = re.search(r'name="lines" value="([^"]+)"', edit).group(1)  # type: ignore[union-attr]
    data = {
        "field.customer": "Bob",
        "field.warehouse": "SH",
        "field.channel": "online",
        "field.note": "ring twice",
        "lines": key,
        f"line.{key}.sku": "A-1",
        f"line.{key}.qty": "20",
    }
    assert sam.post(url + "/edit", data).status_code == 302
    assert "ring twice" in sam.get(url).text
