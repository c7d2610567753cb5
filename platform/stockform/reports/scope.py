"""What a report covers (a SKU, a warehouse, a category) and how its rows are grouped.

The category is the template's SKU field named `category` (the retail starter's choice field);
a template without one has no category filter or grouping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, select
from sqlalchemy.sql.elements import ColumnElement

from ..spec.fieldtypes import option_values
from ..spec.issues import did_you_mean
from ..spec.model import Template
from ..stock.columns import field_column, stock_tables
from ..stock.tables import Warehouse, table_of
from .errors import ReportError

CATEGORY = "category"
Group = Literal["sku", "category", "warehouse"]
GROUPS: tuple[Group, ...] = ("sku", "category", "warehouse")


@dataclass(frozen=True)
class Scope:
    """The stock a report covers: one SKU, warehouse or category, or all of them."""

    sku: str | None = None
    warehouse: str | None = None
    category: str | None = None


EVERYTHING = Scope()


def has_categories(template: Template) -> bool:
    return CATEGORY in template.sku.fields


def categories(template: Template) -> list[str]:
    """The category values a template allows (empty when SKUs have no category)."""
    spec = template.sku.fields.get(CATEGORY)
    return [str(v) for v in option_values(spec)] if spec is not None and spec.options else []


def groups(template: Template) -> tuple[Group, ...]:
    return GROUPS if has_categories(template) else ("sku", "warehouse")


def check(template: Template, scope: Scope, group: str = "sku") -> None:
    """Refuse a warehouse, category or grouping the template does not know."""
    if scope.warehouse is not None and scope.warehouse not in template.warehouses:
        hint = did_you_mean(scope.warehouse, list(template.warehouses))
        raise ReportError("warehouse", f"no warehouse '{scope.warehouse}'" + _hint(hint))
    if scope.category is not None:
        if not has_categories(template):
            raise ReportError("category", "this template's SKUs have no category field")
        allowed = categories(template)
        if allowed and scope.category not in allowed:
            hint = did_you_mean(scope.category, allowed)
            raise ReportError("category", f"no category '{scope.category}'" + _hint(hint))
    if group not in groups(template):
        raise ReportError("group", f"'{group}' is not one of {', '.join(groups(template))}")


def _hint(hint: str | None) -> str:
    return f" ({hint})" if hint else ""


def warehouse_ids(connection: Connection) -> dict[int, str]:
    table = table_of(Warehouse)
    return {int(r.id): str(r.code) for r in connection.execute(select(table.c.id, table.c.code))}


def warehouse_id(connection: Connection, scope: Scope) -> int | None:
    """The id of the scope's warehouse; -1 when it has none in this database yet."""
    if scope.warehouse is None:
        return None
    codes = {code: id_ for id_, code in warehouse_ids(connection).items()}
    return codes.get(scope.warehouse, -1)


def sku_condition(template: Template, scope: Scope, sku_id: Any) -> list[ColumnElement[bool]]:
    """SQL conditions on a SKU id column for the scope's SKU and category."""
    if scope.sku is None and scope.category is None:
        return []
    sku = stock_tables(template).sku
    chosen = select(sku.c.id)
    if scope.sku is not None:
        chosen = chosen.where(sku.c.code == scope.sku)
    if scope.category is not None:
        chosen = chosen.where(sku.c[field_column(CATEGORY)] == scope.category)
    return [sku_id.in_(chosen.scalar_subquery())]


@dataclass(frozen=True)
class SkuInfo:
    code: str
    name: str
    category: str | None


def sku_info(connection: Connection, template: Template, ids: Iterable[int]) -> dict[int, SkuInfo]:
    """Code, name and category of the SKUs with these ids."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    sku = stock_tables(template).sku
    category = sku.c[field_column(CATEGORY)] if has_categories(template) else None
    columns = [sku.c.id, sku.c.code, sku.c.name, *([category] if category is not None else [])]
    found: dict[int, SkuInfo] = {}
    for chunk in range(0, len(wanted), 5000):
        rows = connection.execute(
            select(*columns).where(sku.c.id.in_(wanted[chunk : chunk + 5000]))
        ).all()
        for row in rows:
            value = row[3] if category is not None else None
            found[int(row[0])] = SkuInfo(str(row[1]), str(row[2]), _text(value))
    return found


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
