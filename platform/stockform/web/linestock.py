"""Live stock beside each line: the line's SKU at the line's (or the document's) warehouse,
read with `query_stock` a few queries per page, however many lines there are."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from ..documents.validate import Evaluated
from ..spec.expressions.parser import MAX_LENGTH
from ..spec.model import FieldSpec, FormSpec, Template
from ..stock.query import StockRow, query_stock

CHUNK_CHARS = MAX_LENGTH - 200
MAX_ROWS = 1000


def sku_field(form: FormSpec) -> str | None:
    return next((n for n, s in form.lines.items() if s.type == "sku"), None)


def scan_field(form: FormSpec) -> str | None:
    """The line field a scanner fills: one marked `input: scan`, else the SKU field."""
    marked = next((n for n, s in form.lines.items() if s.input == "scan"), None)
    return marked or sku_field(form)


def warehouse_of(form: FormSpec, fields: dict[str, Any], line: dict[str, Any]) -> str | None:
    """The warehouse a line's stock comes from: its own warehouse field, else the header's."""
    found = _warehouse_in(_warehouse_fields(form.lines), line)
    return found if found is not None else _warehouse_in(_warehouse_fields(form.fields), fields)


def _warehouse_fields(specs: Mapping[str, FieldSpec]) -> list[str]:
    return [name for name, spec in specs.items() if spec.type == "warehouse"]


def _warehouse_in(names: Sequence[str], values: Mapping[str, Any]) -> str | None:
    return next((str(values[n]) for n in names if isinstance(values.get(n), str)), None)


def code_chunks(codes: Iterable[str]) -> list[list[str]]:
    """Codes in groups whose `sku.code in [...]` expression stays within the length limit."""
    chunks: list[list[str]] = [[]]
    size = 0
    for code in sorted(set(codes)):
        piece = len(repr(code)) + 2
        if chunks[-1] and (size + piece > CHUNK_CHARS or len(chunks[-1]) >= MAX_ROWS):
            chunks.append([])
            size = 0
        chunks[-1].append(code)
        size += piece
    return [c for c in chunks if c]


def in_list(codes: Sequence[str]) -> str:
    """An expression matching these SKU codes (repr quotes any code safely)."""
    return "sku.code in [" + ", ".join(repr(c) for c in codes) + "]"


def stock_rows(
    connection: Connection, template: Template, warehouse: str, codes: Iterable[str]
) -> dict[str, StockRow]:
    found: dict[str, StockRow] = {}
    for chunk in code_chunks(codes):
        page = query_stock(
            connection, template, warehouse=warehouse, where=in_list(chunk), per_page=MAX_ROWS
        )
        found.update({row.sku: row for row in page.items})
    return found


def line_stock(
    connection: Connection,
    template: Template,
    form: FormSpec,
    evaluated: Evaluated,
    keys: Sequence[str],
) -> dict[str, StockRow]:
    """Stock of each row's SKU at its warehouse, by row key (rows without either are left out)."""
    name = sku_field(form)
    if name is None:
        return {}
    unknown = {e.line for e in evaluated.errors if e.field == name}
    # warehouse_of, with the fields to look in found once for all the lines
    on_lines = _warehouse_fields(form.lines)
    header = _warehouse_in(_warehouse_fields(form.fields), evaluated.fields)
    wanted: dict[str, tuple[str, str]] = {}
    for number, (key, line) in enumerate(zip(keys, evaluated.lines, strict=True), start=1):
        sku = line.get(name)
        found = _warehouse_in(on_lines, line) if on_lines else None
        warehouse = found if found is not None else header
        if isinstance(sku, str) and warehouse and number not in unknown:
            wanted[key] = (sku, warehouse)
    by_warehouse: dict[str, set[str]] = {}
    for sku, warehouse in wanted.values():
        by_warehouse.setdefault(warehouse, set()).add(sku)
    rows = {
        (sku, warehouse): row
        for warehouse, codes in by_warehouse.items()
        for sku, row in stock_rows(connection, template, warehouse, codes).items()
    }
    return {key: rows[pair] for key, pair in wanted.items() if pair in rows}
