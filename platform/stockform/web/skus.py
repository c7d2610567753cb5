"""Finding SKUs for people: a scanned code or barcode, and a search by code, name or barcode."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, or_, select

from ..spec.model import Template
from ..stock.columns import stock_tables


@dataclass(frozen=True)
class SkuChoice:
    code: str
    name: str
    barcode: str | None


def scanned(connection: Connection, template: Template, code: str) -> str | None:
    """The SKU a scanned (or typed) code means: its code, else its barcode."""
    table = stock_tables(template).sku
    for column in (table.c.code, table.c.barcode):
        found = connection.execute(select(table.c.code).where(column == code)).first()
        if found is not None:
            return str(found.code)
    return None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.upper()}%"


def search(
    connection: Connection, template: Template, text: str, limit: int = 20
) -> list[SkuChoice]:
    """SKUs whose code, name or barcode contains text (exact code matches first)."""
    table = stock_tables(template).sku
    query = select(table.c.code, table.c.name, table.c.barcode)
    if text.strip():
        pattern = _like(text.strip())
        columns = (table.c.code, table.c.name, table.c.barcode)
        query = query.where(or_(*[func.upper(c).like(pattern, escape="\\") for c in columns]))
        exact = func.upper(table.c.code) == text.strip().upper()
        query = query.order_by(exact.desc(), table.c.code)
    else:
        query = query.order_by(table.c.code)
    rows = connection.execute(query.limit(limit))
    return [SkuChoice(r.code, r.name, r.barcode) for r in rows]


def names(connection: Connection, template: Template, codes: list[str]) -> dict[str, str]:
    """Names of the SKUs with these codes."""
    if not codes:
        return {}
    table = stock_tables(template).sku
    rows = connection.execute(select(table.c.code, table.c.name).where(table.c.code.in_(codes)))
    return {r.code: r.name for r in rows}
