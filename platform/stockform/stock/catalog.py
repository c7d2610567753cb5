"""SKUs, warehouses and batches: create them and find them by code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ..spec.fieldtypes import FIELD_TYPES, FieldValueError
from ..spec.model import Template
from .columns import field_column, field_storage, stock_tables
from .errors import InvalidMovement, UnknownItem
from .materialize import recompute
from .tables import Batch, Sku, Warehouse, table_of

BUILTIN_SKU_KEYS = ("code", "name", "unit", "precision", "barcode")


class SkuInvalid(InvalidMovement):
    """SKU values that do not fit the template; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def warehouse_id(connection: Connection, code: str) -> int:
    found = connection.execute(select(Warehouse.id).where(Warehouse.code == code)).scalar()
    if found is None:
        raise UnknownItem(f"no warehouse '{code}'")
    return int(found)


def sku_id(connection: Connection, code: str) -> int:
    found = connection.execute(select(Sku.id).where(Sku.code == code)).scalar()
    if found is None:
        raise UnknownItem(f"no SKU '{code}'")
    return int(found)


def sku_values(template: Template, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for a SKU from raw values; raises SkuInvalid listing every bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key in raw:
        if key not in BUILTIN_SKU_KEYS and key not in template.sku.fields:
            errors[key] = "no such SKU field"
    code = str(raw.get("code") or "").strip()
    if not code:
        errors["code"] = "required"
    values["code"] = code
    values["name"] = str(raw.get("name") or code)
    values["unit"] = str(raw.get("unit") or template.sku.unit)
    precision = raw.get("precision", template.sku.precision)
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 3:
        errors["precision"] = "must be a whole number from 0 to 3"
        precision = 0
    values["precision"] = precision
    values["barcode"] = raw.get("barcode") or None
    for name, spec in template.sku.fields.items():
        field_type = FIELD_TYPES.get(spec.type)
        assert field_type is not None
        value = raw.get(name, spec.default if not hasattr(spec.default, "source") else None)
        try:
            value = field_type.clean(value, spec)
        except FieldValueError as exc:
            errors[name] = str(exc)
            continue
        if value is None and spec.required:
            errors[name] = "required"
        values[field_column(name)] = store_field(spec.type, value)
    if errors:
        raise SkuInvalid(errors)
    return values


def store_field(type_name: str, value: Any) -> Any:
    """A field value as its column keeps it (numbers as scaled integers)."""
    storage = field_storage(type_name)
    if value is None:
        return None
    if storage.kind == "int":
        scaled = Decimal(value) * storage.scale
        return int(scaled.to_integral_value())
    if storage.kind == "json":
        return list(value)
    return value


def load_field(type_name: str, stored: Any) -> Any:
    """A stored field value as the template sees it (numbers as Decimal)."""
    storage = field_storage(type_name)
    if stored is None:
        return None
    if storage.kind == "int":
        return Decimal(stored) / storage.scale
    return stored


def create_sku(connection: Connection, template: Template, raw: Mapping[str, Any]) -> int:
    """Create a SKU from raw values (code, name, unit, precision, barcode, template fields)."""
    values = sku_values(template, raw)
    if connection.execute(select(Sku.id).where(Sku.code == values["code"])).first():
        raise SkuInvalid({"code": f"SKU '{values['code']}' exists already"})
    values["batches"] = batches_tracked(template, values)
    values["active"] = True
    tables = stock_tables(template)
    new_id = int(
        connection.execute(
            tables.sku.insert().values(values).returning(tables.sku.c.id)
        ).scalar_one()
    )
    # A zero row per warehouse, so a SKU nobody has received yet still shows (as out of
    # stock) in lists, filters and warnings.
    warehouses = connection.execute(select(table_of(Warehouse).c.id)).scalars().all()
    if warehouses:
        connection.execute(
            tables.balance.insert(),
            [{"sku_id": new_id, "warehouse_id": w, "batch_id": 0} for w in warehouses],
        )
        recompute(connection, template, sku_id=new_id)
    return new_id


def batches_tracked(template: Template, values: Mapping[str, Any]) -> bool:
    """Whether the template's tracking rule gives this SKU batches."""
    rule = template.sku.tracking.batches
    if isinstance(rule, bool):
        return rule
    from ..spec.expressions import compile_python

    fields = {
        n: load_field(s.type, values.get(field_column(n))) for n, s in template.sku.fields.items()
    }
    env = {**fields, "sku": {**fields, "code": values.get("code")}}
    return bool(compile_python(rule)(env))


def ensure_batch(connection: Connection, sku: int, code: str, expiry: date | None = None) -> int:
    """The id of batch code of a SKU, created on first receipt."""
    table = table_of(Batch)
    found = connection.execute(
        select(table.c.id).where(table.c.sku_id == sku, table.c.code == code)
    ).scalar()
    if found is not None:
        return int(found)
    return int(
        connection.execute(
            table.insert()
            .values(sku_id=sku, code=code, expiry=expiry, received_at=datetime.now(UTC))
            .returning(table.c.id)
        ).scalar_one()
    )


def sku_batch(connection: Connection, sku: int, code: str) -> int:
    """The id of an existing batch of a SKU."""
    table = table_of(Batch)
    found = connection.execute(
        select(table.c.id).where(table.c.sku_id == sku, table.c.code == code)
    ).scalar()
    if found is None:
        raise UnknownItem(f"no batch '{code}' of this SKU")
    return int(found)
