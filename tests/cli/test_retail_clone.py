"""A shop started with `stockform new myshop --from retail` keeps working while its admin edits
the YAML: relabels, adds a SKU field, adds a warehouse. Each edit passes `stockform check`, and
`stockform apply` takes it on a database holding the previous version's stock and documents,
which stay as they were."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from stockform.cli import main
from stockform.database import load_version
from stockform.db import make_engine
from stockform.documents.service import Documents, DocumentView
from stockform.documents.users import Actor
from stockform.spec.model import Template
from stockform.stock.service import Stock
from stockform.stock.tables import TemplateVersion

STOCKFORM = str(Path(sys.executable).with_name("stockform"))
SALES = Actor("sam", frozenset({"sales"}))
WAREHOUSE = Actor("wes", frozenset({"warehouse"}))

Figures = dict[tuple[str, str | None, str | None], dict[str, Decimal | None]]


@dataclass(frozen=True)
class Shop:
    template: Template
    version_id: int
    stock: Stock
    docs: Documents


@contextmanager
def opened(url: str) -> Iterator[Shop]:
    """The database's current template, as the app would run it."""
    engine = make_engine(url)
    try:
        loaded = load_version(engine)
        assert loaded is not None
        template, version_id = loaded
        yield Shop(
            template,
            version_id,
            Stock(engine, template, version_id),
            Documents(engine, template, version_id),
        )
    finally:
        engine.dispose()


def edit(path: Path, old: str, new: str) -> None:
    """An admin's search and replace: old must be there exactly once."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def check_and_apply(runner: CliRunner, folder: Path, url: str, version: int) -> None:
    """`stockform check DIR`, then `stockform apply DIR --db URL` in a process of its own, as
    an admin runs it (every engine and connection it opens ends with it)."""
    checked = runner.invoke(main, ["check", str(folder)])
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith(f"ok: template 'retail' version {version}:")
    applied = subprocess.run(
        [STOCKFORM, "apply", str(folder), "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"applied template 'retail' version {version} " in applied.stdout


def figures(stock: Stock) -> Figures:
    """Every bucket and computed quantity per SKU, warehouse and batch."""
    rows = stock.query(per_page=1000).items + stock.query(level="batch", per_page=1000).items
    return {(r.sku, r.warehouse, r.batch): {**r.buckets, **r.quantities} for r in rows}


def receive(shop: Shop, warehouse: str, *lines: dict[str, str]) -> DocumentView:
    """A confirmed receipt."""
    doc = shop.docs.create("receipt", {"warehouse": warehouse}, list(lines), WAREHOUSE)
    return shop.docs.act(doc.id, "confirm", WAREHOUSE)


@pytest.fixture
def myshop(runner: CliRunner, tmp_path: Path) -> Path:
    folder = tmp_path / "myshop"
    created = runner.invoke(main, ["new", str(folder), "--from", "retail"])
    assert created.exit_code == 0, created.output
    return folder


def test_new_from_retail_passes_the_check(runner: CliRunner, myshop: Path) -> None:
    result = runner.invoke(main, ["check", str(myshop)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: template 'retail' version 1:")
    assert {p.name for p in myshop.iterdir()} >= {"template.yaml", "forms.yaml", "workflows.yaml"}


def test_a_clone_takes_an_admins_edits_one_after_another(
    runner: CliRunner, myshop: Path, database_url: str
) -> None:
    template_yaml, forms_yaml = myshop / "template.yaml", myshop / "forms.yaml"
    check_and_apply(runner, myshop, database_url, 1)
    with opened(database_url) as shop:
        shop.stock.create_sku(code="TEE-01", name="T-shirt", category="apparel", unit_cost="20")
        shop.stock.create_sku(code="MILK-01", name="Milk", category="food", unit_cost="5")
        expiry = (shop.docs.clock() + timedelta(days=40)).date().isoformat()
        receipt = receive(
            shop,
            "SH",
            {"sku": "TEE-01", "qty": "30", "unit_cost": "20"},
            {"sku": "MILK-01", "qty": "12", "batch": "L-1", "expiry": expiry},
        )
        draft = shop.docs.create(
            "sales_order",
            {"customer": "Li", "warehouse": "SH"},
            [{"sku": "TEE-01", "qty": "5"}],
            SALES,
        )
        order = shop.docs.act(draft.id, "submit", SALES)
        assert order.state == "approved"  # small orders approve themselves; 5 are locked
        before = figures(shop.stock)
    assert before[("TEE-01", "SH", None)]["locked"] == 5

    def unchanged(shop: Shop) -> None:
        now = figures(shop.stock)
        assert {key: now[key] for key in before} == before
        assert shop.docs.get(receipt.id).state == "received"
        assert shop.docs.get(order.id).lines[0]["qty"] == 5
        assert shop.stock.drift() == []

    # 1. Relabel a warehouse and a form, in both languages.
    edit(template_yaml, "  version: 1\n", "  version: 2\n")
    edit(template_yaml, "{zh: 上海仓, en: Shanghai DC}", "{zh: 上海总仓, en: Shanghai main DC}")
    edit(
        forms_yaml, "label: {zh: 入库单, en: Receipt}", "label: {zh: 采购入库单, en: Goods receipt}"
    )
    check_and_apply(runner, myshop, database_url, 2)
    with opened(database_url) as shop:
        assert shop.template.info.version == 2
        names = shop.template.warehouses["SH"].name
        assert (names.text("zh"), names.text("en")) == ("上海总仓", "Shanghai main DC")
        label = shop.template.forms["receipt"].label
        assert (label.text("zh"), label.text("en")) == ("采购入库单", "Goods receipt")
        assert {w["code"]: w["name"] for w in shop.stock.warehouses()}["SH"] == "上海总仓"
        unchanged(shop)

    # 2. Add a SKU field.
    edit(template_yaml, "  version: 2\n", "  version: 3\n")
    edit(
        template_yaml,
        "\n  fields:\n",
        "\n  fields:\n    brand: {type: text, label: {zh: 品牌, en: Brand}}\n",
    )
    check_and_apply(runner, myshop, database_url, 3)
    with opened(database_url) as shop:
        assert "brand" in shop.template.sku.fields
        shop.stock.create_sku(code="CAP-01", name="Cap", category="apparel", brand="Acme")
        assert shop.stock.sku("CAP-01")["brand"] == "Acme"
        shop.stock.update_sku("TEE-01", {"brand": "Basics"})
        tee = shop.stock.sku("TEE-01")
        assert (tee["brand"], tee["category"], tee["unit_cost"]) == ("Basics", "apparel", 20)
        assert shop.stock.sku("MILK-01")["brand"] is None
        unchanged(shop)

    # 3. Add a warehouse, which then receives stock.
    edit(template_yaml, "  version: 3\n", "  version: 4\n")
    edit(
        template_yaml,
        "\nwarehouses:\n",
        "\nwarehouses:\n  GZ: {name: {zh: 广州仓, en: Guangzhou DC}, address: 广州市天河区}\n",
    )
    check_and_apply(runner, myshop, database_url, 4)
    with opened(database_url) as shop:
        assert "GZ" in {w["code"] for w in shop.stock.warehouses()}
        received = receive(shop, "GZ", {"sku": "CAP-01", "qty": "8", "unit_cost": "12"})
        assert received.state == "received"
        assert shop.stock.row("CAP-01", "GZ").buckets["available"] == 8
        assert shop.stock.row("TEE-01", "GZ").buckets["available"] == 0
        unchanged(shop)

    with opened(database_url) as shop, shop.stock.engine.connect() as connection:
        recorded = connection.execute(
            select(TemplateVersion.version).order_by(TemplateVersion.id)
        ).scalars()
        assert list(recorded) == [1, 2, 3, 4]
