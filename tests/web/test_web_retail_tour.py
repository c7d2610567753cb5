"""The retail starter in a real browser (Debian's Chromium, driven by Playwright): what each
role sees after signing in, and the first steps of the README's tour with the numbers the stock
page shows: receive 100, order 30, take back 5, inspect them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from stockform.app import create_app
from stockform.documents import users
from stockform.paths import STARTERS
from stockform.stock.service import Stock

try:
    from playwright.sync_api import expect
except ImportError:  # the browser_thread fixture says why the browser suite cannot run here
    expect = None

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PASSWORD = "correct horse"
SKU = "TOUR-1"
FORMS = {"receipt", "sales_order", "return", "transfer", "stocktake", "adjustment"}

# What the retail starter's roles give each user: the forms it may create, and those it may
# only read (roles.yaml).
ROLES = {
    "sales": ({"sales_order", "return"}, {"receipt", "transfer"}),
    "warehouse": ({"receipt", "transfer", "stocktake", "return", "adjustment"}, {"sales_order"}),
    "manager": (FORMS, set()),
    "purchasing": ({"receipt", "transfer"}, {"sales_order", "stocktake"}),
    "finance": (set(), FORMS),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The retail starter on a fresh database with the tour's SKU and a user per role, served
    on a free port in a thread; yields its address."""
    folder = tmp_path_factory.mktemp("retail")
    app = create_app(
        {
            "TEMPLATE": str(STARTERS / "retail"),
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": f"sqlite:///{folder / 'stockform.db'}",
            "SECRET_KEY": "test-secret",
            "TIMEZONE": None,
            "HOST": "127.0.0.1",
            "PORT": 5000,
            "DEMO": False,
            "SQLITE_SYNCHRONOUS": "NORMAL",
            "CONFIG": "config/stockform.toml",
        }
    )
    runtime = app.extensions["stockform.runtime"]
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    stock.create_sku(code=SKU, name="Tour mug", list_price="120", unit_cost="60")
    with runtime.engine.begin() as connection:
        for role in ROLES:
            users.add_user(connection, runtime.template, role, [role], PASSWORD)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()
    runtime.engine.dispose()


SignIn = Callable[[str], Any]


class BrowserThread:
    """Chromium, driven from a thread of its own: Playwright's sync API allows one instance
    per thread, and test_web_browser.py keeps one open on the main thread for the session.
    `run(steps)` calls steps(sign_in) there; sign_in(user) opens a page signed in through the
    login form."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="chromium")
        self.thread.submit(self._start).result()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        try:
            self.browser = self.playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except BaseException:
            self.playwright.stop()
            raise

    def run(self, steps: Callable[[SignIn], None]) -> None:
        self.thread.submit(self._run, steps).result()

    def _run(self, steps: Callable[[SignIn], None]) -> None:
        contexts = []

        def sign_in(user: str) -> Any:
            context = self.browser.new_context(
                viewport={"width": 1280, "height": 900}, base_url=self.server
            )
            context.set_default_timeout(10_000)
            contexts.append(context)
            page = context.new_page()
            page.goto("/login")
            page.fill("#username", user)
            page.fill("#password", PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(self.server + "/dashboard")  # the landing page after signing in
            page.goto("/")  # the tests start from the start page and its forms
            return page

        try:
            steps(sign_in)
        finally:
            for context in contexts:
                context.close()

    def close(self) -> None:
        self.thread.submit(self.browser.close).result()
        self.thread.submit(self.playwright.stop).result()
        self.thread.shutdown()


@pytest.fixture(scope="module")
def browser_thread(
    server: str, suite_unavailable: Callable[[str, str], None]
) -> Iterator[BrowserThread]:
    if not CHROMIUM.exists():
        suite_unavailable(
            "browser", "no /usr/bin/chromium; install it with: apt-get install chromium"
        )
    if expect is None:
        suite_unavailable("browser", "Playwright is missing; install the test extras")
    from playwright.sync_api import Error

    try:
        found = BrowserThread(server)
    except Error as exc:
        suite_unavailable("browser", f"Chromium does not start: {exc}")
    yield found
    found.close()


def form_ids(page: Any, selector: str) -> set[str]:
    hrefs = page.locator(selector).evaluate_all("links => links.map(a => a.pathname)")
    return {href.split("/")[2] for href in hrefs}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_the_forms_it_may_create_and_read(
    browser_thread: BrowserThread, role: str
) -> None:
    creates, only_reads = ROLES[role]

    def steps(sign_in: SignIn) -> None:
        page = sign_in(role)
        expect(page.locator("header .who")).to_have_text(role)
        assert form_ids(page, "ul.tiles a.button") == creates
        assert form_ids(page, "ul.tiles a:not(.button)[href^='/forms/']") == creates | only_reads
        for form in sorted(FORMS):
            status = page.goto(f"/forms/{form}/new").status
            assert status == (200 if form in creates else 403), form
            if form not in creates | only_reads:
                assert page.goto(f"/forms/{form}/").status == 403, form

    browser_thread.run(steps)


def scan_line(page: Any, qty: str) -> Any:
    """Scan the tour's SKU (a line with 1), then type the quantity; returns the line."""
    page.fill("#scan", SKU)
    page.press("#scan", "Enter")
    line = page.locator("#lines-body tr.line").first
    expect(line.locator("input[name$='.sku']")).to_have_value(SKU)
    line.locator("input[name$='.qty']").fill(qty)
    return line


def save(page: Any, state: str = "Draft") -> str:
    """Save the editor's document; returns the address of its page."""
    page.click("form#doc-form button[type=submit]")
    expect(page.locator("#state")).to_have_text(state)
    return str(page.url)


def act(page: Any, transition: str, state: str) -> None:
    page.click(f'button[name="transition"][value="{transition}"]')
    expect(page.locator("#state")).to_have_text(state)


def stock_at_shanghai(page: Any, *labels: str) -> dict[str, str]:
    """The tour SKU's figures at SH on the stock page, by column label (from the template)."""
    page.goto(f"/stock?q={SKU}&warehouse=SH")
    cells = page.locator("table.stock-table tbody tr td")
    row = dict(
        cells.evaluate_all("tds => tds.map(td => [td.dataset.label, td.textContent.trim()])")
    )
    return {label: row[label] for label in labels}


def test_the_tour_receive_order_return_and_inspect(browser_thread: BrowserThread) -> None:
    browser_thread.run(walk_the_tour)


def walk_the_tour(sign_in: SignIn) -> None:
    warehouse, sales = sign_in("warehouse"), sign_in("sales")

    # The warehouse receives 100 at the Shanghai DC.
    warehouse.goto("/forms/receipt/new")
    warehouse.select_option("#f-warehouse", "SH")
    scan_line(warehouse, "100")
    expect(warehouse.locator("#t-total")).to_have_text("6000.00")  # 100 x unit cost 60
    save(warehouse)
    act(warehouse, "confirm", "Received")
    assert stock_at_shanghai(warehouse, "Available", "Physical", "Sellable") == {
        "Available": "100",
        "Physical": "100",
        "Sellable": "100",
    }

    # Sales orders 30: submitting locks them; 3,600 needs no manager, so it is approved.
    sales.goto("/forms/sales_order/new")
    sales.fill("#f-customer", "Ms Chen")
    sales.select_option("#f-warehouse", "SH")
    expect(sales.locator("#f-paid-wrap .readonly")).to_have_text("No")  # set by payment only
    line = scan_line(sales, "30")
    expect(sales.locator("#t-total")).to_have_text("3600.00")
    expect(line.locator('[data-q="physical"]')).to_have_text("100")
    expect(line.locator('[data-q="sellable"]')).to_have_text("100")
    order = save(sales)
    act(sales, "submit", "Approved")
    expect(sales.locator("#history")).to_contain_text("Approved automatically")
    warehouse.goto(order)
    expect(warehouse.locator("#state")).to_have_text("Approved")
    expect(warehouse.locator('button[name="transition"]')).to_have_count(0)  # Ship needs paid
    assert stock_at_shanghai(sales, "Available", "Locked", "Physical", "Sellable") == {
        "Available": "70",
        "Locked": "30",
        "Physical": "100",
        "Sellable": "70",
    }

    # A customer return of 5: physical at once, sellable only after inspection.
    sales.goto("/forms/return/new")
    sales.fill("#f-customer", "Mr Wu")
    sales.select_option("#f-warehouse", "SH")
    line = scan_line(sales, "5")
    expect(line.locator('[data-q="sellable"]')).to_have_text("70")
    expect(sales.locator("#doc-form th.c-batch")).to_be_hidden()  # no batches for home goods
    returned = save(sales)
    warehouse.goto(returned)
    act(warehouse, "receive", "Received")
    assert stock_at_shanghai(warehouse, "Awaiting inspection", "Physical", "Sellable") == {
        "Awaiting inspection": "5",
        "Physical": "105",
        "Sellable": "70",
    }

    # Inspection: 3 go back on the shelf, 2 are damaged.
    warehouse.goto(returned + "/edit")
    warehouse.locator("#lines-body input[name$='.accepted']").fill("3")
    warehouse.locator("#lines-body input[name$='.rejected']").fill("2")
    save(warehouse, "Received")
    act(warehouse, "inspect", "Inspected")
    assert stock_at_shanghai(warehouse, "Available", "Damaged", "Physical", "Sellable") == {
        "Available": "73",
        "Damaged": "2",
        "Physical": "105",
        "Sellable": "73",
    }
