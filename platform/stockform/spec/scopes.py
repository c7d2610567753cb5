"""The names an expression may use in each place of a template, with their types."""

from __future__ import annotations

from collections.abc import Mapping

from .expressions import ROW_SCOPE
from .fieldtypes import FIELD_TYPES
from .model import FieldSpec
from .types import ANY, BOOL, DATE, DATETIME, NUMBER, TEXT, ListOf, Record, Type

# Every SKU has these, whatever the template adds.
SKU_BUILTIN_FIELDS: dict[str, Type] = {
    "code": TEXT,
    "name": TEXT,
    "unit": TEXT,
    "barcode": TEXT,
    "precision": NUMBER,
}
WAREHOUSE = Record("warehouse", (("code", TEXT), ("name", TEXT)), TEXT)
BATCH = Record("batch", (("code", TEXT), ("expiry", DATE)), TEXT)
USER = Record("user", (("name", TEXT),), TEXT)

_SCALARS: dict[str, Type] = {
    "number": NUMBER,
    "text": TEXT,
    "bool": BOOL,
    "date": DATE,
    "datetime": DATETIME,
    "list": ListOf(TEXT),
}

# Names a form or line field may not take: the expression language uses them.
RESERVED_FIELD_NAMES = frozenset(
    {
        "line",
        "lines",
        "doc",
        "stock",
        "id",
        "number",
        "state",
        "true",
        "false",
        "null",
        "created_by",
        "created_at",
        "updated_at",
        "template_version",
    }
)


def sku_record(fields: Mapping[str, FieldSpec]) -> Record:
    """The SKU as expressions see it: built-in fields plus the template's."""
    extra = {name: field_value_type(f, None) for name, f in fields.items()}
    return Record("sku", tuple({**SKU_BUILTIN_FIELDS, **extra}.items()), TEXT)


def field_value_type(spec: FieldSpec, sku: Record | None) -> Type:
    """The expression type of a field's value."""
    field_type = FIELD_TYPES.get(spec.type)
    kind = field_type.value_type if field_type else "text"
    if kind == "sku":
        return sku if sku is not None else TEXT
    if kind == "warehouse":
        return WAREHOUSE
    if kind == "batch":
        return BATCH
    return _SCALARS.get(kind, TEXT)


def stock_scope(
    buckets: list[str],
    quantities: list[str],
    sku: Record,
    *,
    batch: bool = False,
    row: bool = False,
) -> dict[str, Type]:
    """Names of one (SKU, warehouse) row of stock: buckets, quantities, the SKU, the warehouse.

    With `row`, the expression runs over stored rows of stock in the database (warnings, the
    stock list), so functions that read a row's movements may be called.
    """
    scope: dict[str, Type] = {name: NUMBER for name in buckets}
    scope.update({name: NUMBER for name in quantities})
    scope["sku"] = sku
    scope["warehouse"] = WAREHOUSE
    if batch:
        scope["batch"] = BATCH
    if row:
        scope[ROW_SCOPE] = ANY
    return scope


def stock_record(buckets: list[str], quantities: list[str]) -> Record:
    """`stock.<bucket>` in a document: the line's SKU at the line's warehouse."""
    return Record("stock", tuple((n, NUMBER) for n in [*buckets, *quantities]))
