"""Applying templates: columns grow with the template; changes that would lose data are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect

from stockform.database import Runtime, prepare
from stockform.paths import STARTERS
from stockform.stock.apply import TemplateRefused
from stockform.stock.service import Stock

MINIMAL = STARTERS / "minimal"


def clone(tmp_path: Path, edits: list[tuple[str, str, str]]) -> Path:
    """A copy of the minimal starter with text replacements applied."""
    folder = tmp_path / f"t{len(list(tmp_path.glob('t*')))}"
    shutil.copytree(MINIMAL, folder)
    for name, old, new in edits:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


BUMP = ("template.yaml", "  version: 1\n", "  version: 2\n")
QUARANTINE = (
    "template.yaml",
    "    locked: {label: {en: Locked, zh: 已锁定}}\n",
    "    locked: {label: {en: Locked, zh: 已锁定}}\n    quarantine: {}\n",
)


def test_columns_follow_the_template_and_versions_are_recorded(
    database_url: str, tmp_path: Path
) -> None:
    first = prepare(database_url, MINIMAL)
    assert first.applied.version_id == 1 and not first.applied.unchanged
    again = prepare(database_url, MINIMAL)
    assert again.applied.unchanged and again.applied.version_id == 1
    grown = clone(
        tmp_path,
        [
            BUMP,
            QUARANTINE,
            ("template.yaml", "    safety_stock:", "    shelf: {type: text}\n    safety_stock:"),
        ],
    )
    second = prepare(database_url, grown)
    assert second.applied.version_id == 2
    assert sorted(second.applied.added_columns) == ["sf_balance.b_quarantine", "sf_sku.f_shelf"]
    with second.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("sf_balance")}
        indexes = {i["name"] for i in inspect(connection).get_indexes("sf_balance")}
    assert {"b_available", "b_locked", "b_quarantine"} <= columns
    assert "ix_sf_balance_b_quarantine" in indexes
    for prepared in (first, again, second):
        prepared.engine.dispose()


def test_removing_a_bucket_that_holds_stock_is_refused(database_url: str, tmp_path: Path) -> None:
    with_quarantine = prepare(database_url, clone(tmp_path, [QUARANTINE]))
    stock = Stock(with_quarantine.engine, with_quarantine.template)
    stock.create_sku(code="A-1")
    stock.receive("A-1", "MAIN", 3, bucket="quarantine", kind="return")
    with pytest.raises(TemplateRefused) as raised:
        prepare(database_url, clone(tmp_path, [BUMP]))
    assert raised.value.reasons == [
        "bucket 'quarantine' still holds stock in 1 balance rows; move it out before removing "
        "the bucket"
    ]
    runtime = Runtime(with_quarantine.engine, with_quarantine.template, 1)
    assert not runtime.refresh()  # the refused template never became current
    stock.move("A-1", 3, ("MAIN", "quarantine"), ("MAIN", "available"), kind="inspection")
    without = prepare(database_url, clone(tmp_path, [BUMP]))
    assert without.applied.version_id == 2
    assert runtime.refresh() and "quarantine" not in runtime.template.stock.buckets
    with_quarantine.engine.dispose()
    without.engine.dispose()


def test_removing_a_warehouse_that_holds_stock_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    two = clone(
        tmp_path, [("template.yaml", "  MAIN: {name", "  SIDE: {name: Side}\n  MAIN: {name")]
    )
    prepared = prepare(database_url, two)
    stock = Stock(prepared.engine, prepared.template)
    stock.create_sku(code="A-1")
    stock.receive("A-1", "SIDE", 1)
    with pytest.raises(TemplateRefused) as raised:
        prepare(database_url, clone(tmp_path, [BUMP]))
    assert raised.value.reasons == [
        "warehouse 'SIDE' still holds stock; move it out before removing the warehouse"
    ]
    prepared.engine.dispose()


def test_a_sku_field_cannot_change_type_under_stored_values(
    database_url: str, tmp_path: Path
) -> None:
    shelf = ("template.yaml", "    safety_stock:", "    shelf: {type: decimal}\n    safety_stock:")
    prepared = prepare(database_url, clone(tmp_path, [shelf]))
    Stock(prepared.engine, prepared.template).create_sku(code="A-1", shelf="2")
    retyped = clone(
        tmp_path, [BUMP, (shelf[0], shelf[1], "    shelf: {type: text}\n    safety_stock:")]
    )
    with pytest.raises(TemplateRefused) as raised:
        prepare(database_url, retyped)
    assert raised.value.reasons == [
        "SKU field 'shelf' cannot become a text field: 1 SKUs have a value stored the "
        "old way; add a new field instead"
    ]
    prepared.engine.dispose()


def test_another_process_sees_a_newly_applied_version(database_url: str, tmp_path: Path) -> None:
    prepared = prepare(database_url, MINIMAL)
    runtime = Runtime(prepared.engine, prepared.template, prepared.applied.version_id)
    assert not runtime.refresh()
    other = prepare(database_url, clone(tmp_path, [BUMP, QUARANTINE]))  # "another process"
    assert runtime.refresh()
    assert runtime.version_id == other.applied.version_id
    assert "quarantine" in runtime.template.stock.buckets
    assert runtime.template.fingerprint == other.template.fingerprint
    prepared.engine.dispose()
    other.engine.dispose()
