"""In a real browser (Debian's Chromium, driven by Playwright): scanning an order, approvals by
two managers, a refusal for want of stock, a phone screen, and a document of 1000 lines."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import request
from webclient import PASSWORD, stock_the_shop
from werkzeug.serving import make_server

from stockform.app import create_app

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SEND_A_THOUSAND_LINES = """() => {
  // A 1000-line document, sent as the browser would: the page comes back with every line
  // (and the refusal "at most 5 lines" that the test template makes).
  const form = document.getElementById('doc-form');
  document.getElementById('lines-body').innerHTML = '';
  const add = (name, value) => {
    const input = document.createElement('input');
    input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
  };
  document.getElementById('f-customer').value = 'Bob';
  document.getElementById('f-warehouse').value = 'SH';
  for (let i = 0; i < 1000; i++) {
    add('lines', 'b' + i);
    add('line.b' + i + '.sku', i % 2 ? 'A-1' : 'B-2');
    add('line.b' + i + '.qty', '1');
  }
  form.submit();
}"""

ADD_A_LINE = """() => new Promise(resolve => {
  const body = document.getElementById('lines-body');
  const wanted = body.querySelectorAll('tr.line').length + 1;
  const started = performance.now();
  const watch = new MutationObserver(() => {
    if (body.querySelectorAll('tr.line').length == wanted) {
      watch.disconnect();
      resolve(performance.now() - started);
    }
  });
  watch.observe(body, {childList: true});
  document.getElementById('add-line').click();
})"""


# Seconds the server waits before answering a live recompute: a slow server or network.
SLOW_RECOMPUTE = {"seconds": 0.0}


@pytest.fixture
def server(shop_settings: dict[str, object]) -> Iterator[str]:
    """The app on a free port of this machine, in a thread; yields its address."""
    app = create_app(shop_settings)
    stock_the_shop(app)

    @app.before_request
    def slow_recompute() -> None:
        if request.path.endswith("/live/recompute"):
            time.sleep(SLOW_RECOMPUTE["seconds"])

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()
    app.extensions["stockform.runtime"].engine.dispose()


@pytest.fixture
def open_page(chromium: Any, server: str) -> Iterator[Any]:
    """open_page(user, viewport=None): a new browser page signed in as user."""
    contexts = []

    def open_as(user: str, viewport: dict[str, int] | None = None) -> Any:
        context = chromium.new_context(
            viewport=viewport or {"width": 1280, "height": 900}, base_url=server
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url(server + "/dashboard")  # the landing page after signing in
        page.goto("/")  # the tests start from the start page and its forms
        return page

    yield open_as
    for context in contexts:
        context.close()


def wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s) || {}).textContent?.trim() == t",
        arg=[selector, text],
    )


def scan(page: Any, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code fast, then Enter."""
    page.locator("#scan").press_sequentially(code, delay=5)
    page.locator("#scan").press("Enter")


def line_stock(page: Any, row: int, quantity: str) -> str:
    cell = page.locator("#lines-body tr.line").nth(row).locator(f'[data-q="{quantity}"]')
    return str(cell.text_content()).strip()


def new_order(page: Any) -> None:
    page.goto("/forms/sales_order/new")
    page.fill("#f-customer", "Bob")
    page.select_option("#f-warehouse", "SH")


def act(page: Any, transition: str) -> None:
    page.click(f'button[name="transition"][value="{transition}"]')
    page.wait_for_load_state()


def state(page: Any) -> str:
    return str(page.locator("#state").text_content()).strip()


def test_sales_scans_an_order_and_two_managers_approve_it(
    open_page: Any, record_property: Any
) -> None:
    page = open_page("sam")
    new_order(page)
    started = time.perf_counter()
    scan(page, "A-1")
    wait_text(page, "#t-total", "10.00")
    record_property("scan_to_total_ms", round((time.perf_counter() - started) * 1000))
    assert line_stock(page, 0, "sellable") == "95"
    assert line_stock(page, 0, "physical") == "100"
    scan(page, "6902")  # B-2's barcode
    wait_text(page, "#t-total", "13.00")
    assert line_stock(page, 1, "sellable") == "10"
    scan(page, "A-1")  # the same SKU again: one more on its line
    wait_text(page, "#t-total", "23.00")
    assert page.locator("#lines-body tr.line").count() == 2
    page.locator("#lines-body tr.line").nth(0).locator("input[name$='.qty']").fill("12")
    wait_text(page, "#t-total", "123.00")
    assert page.locator("#lines-body tr.line").nth(0).locator("output").text_content() == "120.00"
    page.click("form#doc-form button[type=submit]")
    page.wait_for_load_state()
    assert state(page) == "Draft"
    order = page.url
    act(page, "submit")
    assert state(page) == "Submitted"  # over 100: two managers must approve
    page.goto("/stock?q=A-1&warehouse=SH")
    assert page.locator("td.q-sellable").first.text_content() == "83"  # 12 locked

    first = open_page("mia")
    first.goto(order)
    act(first, "approve")
    assert state(first) == "Submitted"
    assert "Approve (1 of 2)" in str(first.locator("#history").text_content())
    second = open_page("max")
    second.goto(order)
    act(second, "approve")
    assert state(second) == "Approved"


def test_an_order_over_the_sellable_quantity_is_refused_clearly(open_page: Any) -> None:
    page = open_page("sam")
    new_order(page)
    page.select_option("#f-channel", "store")
    page.locator("#f-pickup_note").wait_for(state="visible")  # show_if, decided by the server
    page.select_option("#f-channel", "online")
    page.locator("#f-pickup_note").wait_for(state="hidden")
    scan(page, "A-1")
    scan(page, "B-2")
    wait_text(page, "#t-total", "13.00")
    page.locator("#lines-body tr.line").nth(1).locator("[data-remove-row]").click()
    wait_text(page, "#t-total", "10.00")
    page.locator("#lines-body input[name$='.qty']").fill("200")
    wait_text(page, "#t-total", "2000.00")
    page.click("form#doc-form button[type=submit]")
    page.wait_for_load_state()
    act(page, "submit")
    assert state(page) == "Draft"
    refusal = " ".join(str(page.locator("#refusal").text_content()).split())
    assert refusal == (
        "Submit was refused: not enough stock. Line 1 A-1 @ SH: 200 requested, 95 Sellable"
    )
    beside_line = str(page.locator("#line-1 td.shortage").text_content()).strip()
    assert beside_line == "Not enough stock of A-1 at SH: 200 requested, 95 Sellable."


def no_sideways_scroll(page: Any) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


@pytest.fixture
def slow_recompute() -> Iterator[None]:
    SLOW_RECOMPUTE["seconds"] = 0.5
    yield
    SLOW_RECOMPUTE["seconds"] = 0.0


def test_no_scan_or_new_line_is_lost_while_a_slow_recompute_is_answered(
    open_page: Any, slow_recompute: None
) -> None:
    page = open_page("sam")
    new_order(page)  # choosing the warehouse starts a recompute, answered half a second later
    for code in ("A-1", "B-2", "A-1", "6902", "A-1"):  # as fast as a scanner scans
        scan(page, code)
    page.click("#add-line")
    page.click("#add-line")
    wait_text(page, "#t-total", "36.00")  # 3 × 10.00, B-2: 2 × 3.00
    rows = page.locator("#lines-body tr.line")
    page.wait_for_function("document.querySelectorAll('#lines-body tr.line').length == 4")
    quantities = [rows.nth(i).locator("input[name$='.qty']").input_value() for i in range(2)]
    assert quantities == ["3", "2"]


def test_on_a_phone_in_portrait_nothing_scrolls_sideways(
    open_page: Any, tmp_path: Path, record_property: Any
) -> None:
    page = open_page("sam", viewport=PHONE)
    new_order(page)
    for code in ("A-1", "B-2", "A-1"):  # one after the other, without waiting for answers
        scan(page, code)
    wait_text(page, "#t-total", "23.00")
    assert page.locator("#lines-body tr.line").count() == 2
    page.screenshot(path=tmp_path / "phone-new-order.png", full_page=True)
    record_property("phone_screenshot", str(tmp_path / "phone-new-order.png"))
    assert no_sideways_scroll(page)
    page.click("form#doc-form button[type=submit]")
    page.wait_for_load_state()
    pages = {"order": page.url, "list": "/forms/sales_order/", "stock": "/stock", "home": "/"}
    pages["dashboard"] = "/dashboard"  # four charts and the tiles
    for name, path in pages.items():
        page.goto(path)
        page.screenshot(path=tmp_path / f"phone-{name}.png", full_page=True)
        assert no_sideways_scroll(page), path


def test_adding_a_line_to_a_thousand_line_document_stays_fast(
    open_page: Any, record_property: Any
) -> None:
    page = open_page("sam")
    page.goto("/forms/sales_order/new")
    with page.expect_navigation():
        page.evaluate(SEND_A_THOUSAND_LINES)
    assert page.locator("#lines-body tr.line").count() == 1000
    timings = []
    for _ in range(3):
        with page.expect_response(lambda r: "/live/recompute" in r.url):
            added = page.evaluate(ADD_A_LINE)  # ms, measured in the page
            started = time.perf_counter()
        page.wait_for_function("!document.querySelector('#doc-form.htmx-request')")
        timings.append((added, added + (time.perf_counter() - started) * 1000))
    assert page.locator("#lines-body tr.line").count() == 1003
    best, settled = min(timings)
    record_property("add_line_1000_ms", [round(a) for a, _ in timings])
    record_property("add_line_1000_recomputed_ms", [round(s) for _, s in timings])
    # Reported, not asserted: performance targets live in bench/ (see bench/README.md), and a
    # timed assertion would let a busy machine decide the test.
    print(f"1000-line document: a line added in {best:.0f} ms, recomputed in {settled:.0f} ms")
