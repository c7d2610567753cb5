"""SKUs, warehouses and batches: create them and find them by code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from ..db import Direct
from ..spec.fieldtypes import FIELD_TYPES, FieldValueError
from ..spec.model import Template
from ..spec.phrases import Joined, message_of, missing, phrase, too_large
from .columns import field_column, field_storage, stock_tables
from .errors import InvalidMovement, UnknownItem
from .materialize import recompute
from .tables import Batch, Sku, Warehouse, table_of
from .units import LIMIT, QuantityError

BUILTIN_SKU_KEYS = ("code", "name", "unit", "precision", "barcode")
TEXT_SKU_KEYS = ("code", "name", "unit", "barcode")
TEXT_LIMITS = {"code": 64, "name": 200, "unit": 16, "barcode": 64}  # the columns' lengths


class SkuInvalid(InvalidMovement):
    """SKU values that do not fit the template; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def warehouse_id(connection: Connection, code: str) -> int:
    found = connection.execute(select(Warehouse.id).where(Warehouse.code == code)).scalar()
    if found is None:
        raise UnknownItem(missing("warehouse", code))
    return int(found)


def sku_id(connection: Connection, code: str) -> int:
    found = connection.execute(select(Sku.id).where(Sku.code == code)).scalar()
    if found is None:
        raise UnknownItem(missing("sku", code))
    return int(found)


_PLACE = (
    select(Sku.id, Sku.precision, Warehouse.id.label("warehouse_id"))
    .join(Warehouse, true())  # one row of each, by code: a product of one by one
    .where(Sku.code == bindparam("sku"), Warehouse.code == bindparam("warehouse"))
    .limit(1)
)
_PLACE_DIRECT = Direct(_PLACE)


def place_ids(connection: Connection, sku: str, warehouse: str) -> tuple[int, int, int]:
    """SKU id, warehouse id and the SKU's precision in one query (every lock asks)."""
    row = _PLACE_DIRECT.first(connection, {"sku": sku, "warehouse": warehouse})
    if row is None:
        sku_id(connection, sku)  # raises UnknownItem naming what is missing
        warehouse_id(connection, warehouse)
        raise UnknownItem(Joined([missing("sku", sku), missing("warehouse", warehouse)], " or "))
    return int(row.id), int(row.warehouse_id), int(row.precision)


def sku_values(template: Template, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for a SKU from raw values; raises SkuInvalid listing every bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key in raw:
        if key not in BUILTIN_SKU_KEYS and key not in template.sku.fields:
            errors[key] = phrase("no such SKU field")
        elif key in TEXT_SKU_KEYS and not isinstance(raw[key], str | None):
            errors[key] = phrase("must be text")
    code = str(raw.get("code") or "").strip()
    if not code:
        errors["code"] = phrase("required")
    values["code"] = code
    values["name"] = str(raw.get("name") or code)
    values["unit"] = str(raw.get("unit") or template.sku.unit)
    precision = raw.get("precision", template.sku.precision)
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 3:
        errors["precision"] = phrase("must be a whole number from 0 to 3")
        precision = 0
    values["precision"] = precision
    values["barcode"] = raw.get("barcode") or None
    for key, limit in TEXT_LIMITS.items():
        if key not in errors and isinstance(values[key], str) and len(values[key]) > limit:
            errors[key] = phrase(
                "is %(length)s characters long; at most %(most)s",
                length=len(values[key]),
                most=limit,
            )
    for name, spec in template.sku.fields.items():
        field_type = FIELD_TYPES.get(spec.type)
        assert field_type is not None
        value = raw.get(name, spec.default if not hasattr(spec.default, "source") else None)
        try:
            value = field_type.clean(value, spec)
            values[field_column(name)] = store_field(spec.type, value)
        except (FieldValueError, QuantityError) as exc:
            errors[name] = message_of(exc)
            continue
        if value is None and spec.required:
            errors[name] = phrase("required")
    if errors:
        raise SkuInvalid(errors)
    return values


def store_field(type_name: str, value: Any) -> Any:
    """A field value as its column keeps it (numbers as scaled integers)."""
    storage = field_storage(type_name)
    if value is None:
        return None
    if storage.kind == "int":
        scaled = int((Decimal(value) * storage.scale).to_integral_value())
        if abs(scaled) > LIMIT * storage.scale:
            raise QuantityError(too_large(value, LIMIT))
        return scaled
    if storage.kind == "json":
        return list(value)
    return value


def load_field(type_name: str, stored: Any) -> Any:
    """A stored field value as the template sees it (whole numbers as int, others Decimal)."""
    storage = field_storage(type_name)
    if stored is None:
        return None
    if type_name == "integer":
        return int(stored)  # as documents keep them, and as the API schema promises
    if storage.kind == "int":
        return Decimal(stored) / storage.scale
    return stored


def create_sku(connection: Connection, template: Template, raw: Mapping[str, Any]) -> int:
    """Create a SKU from raw values (code, name, unit, precision, barcode, template fields)."""
    try:
        values = sku_values(template, raw)
    except SkuInvalid as exc:
        code, barcode = str(raw.get("code") or "").strip(), raw.get("barcode") or None
        taken = _taken(connection, code, barcode if isinstance(barcode, str) else None)
        raise SkuInvalid({**taken, **exc.errors}) from None
    _refuse_taken(connection, values["code"], values["barcode"])
    values["batches"] = batches_tracked(template, values)
    values["active"] = True
    tables = stock_tables(template)
    try:
        with connection.begin_nested():
            new_id = int(
                connection.execute(
                    tables.sku.insert().values(values).returning(tables.sku.c.id)
                ).scalar_one()
            )
    except IntegrityError:
        # Another transaction took the code or barcode since we looked (PostgreSQL).
        _refuse_taken(connection, values["code"], values["barcode"])
        raise
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


def _refuse_taken(
    connection: Connection, code: str, barcode: str | None, *, other_than: int | None = None
) -> None:
    """Raise SkuInvalid when another SKU has this code or barcode."""
    errors = _taken(connection, code, barcode, other_than=other_than)
    if errors:
        raise SkuInvalid(errors)


def _taken(
    connection: Connection, code: str, barcode: str | None, *, other_than: int | None = None
) -> dict[str, str]:
    """What another SKU already has of this code and barcode."""
    errors: dict[str, str] = {}
    query = select(Sku.id).where(Sku.code == code)
    if other_than is not None:
        query = query.where(Sku.id != other_than)
    if connection.execute(query).first():
        errors["code"] = phrase("SKU '%(code)s' exists already", code=code)
    if barcode is not None:
        by_barcode = select(Sku.code).where(Sku.barcode == barcode)
        if other_than is not None:
            by_barcode = by_barcode.where(Sku.id != other_than)
        holder = connection.execute(by_barcode).scalar()
        if holder is not None:
            errors["barcode"] = phrase(
                "barcode '%(barcode)s' belongs to SKU '%(sku)s'", barcode=barcode, sku=holder
            )
    return errors


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


def ensure_batch(
    connection: Connection,
    template: Template,
    sku: int,
    code: str,
    *,
    expiry: date | None = None,
    now: datetime,
) -> int:
    """The id of batch `code` of a SKU whose goods come in from outside (a receipt, a return,
    a count gain), created on first receipt as received at `now`.

    Only goods from outside may make a batch; a move between buckets takes an existing one
    (`sku_batch`). Raises InvalidMovement when a new batch of a SKU whose batches carry an
    expiry date has none, or when an existing batch is received with another expiry date.
    """
    table = table_of(Batch)
    found = connection.execute(
        select(table.c.id, table.c.expiry).where(table.c.sku_id == sku, table.c.code == code)
    ).first()
    if found is None:
        tracked, sku_code = connection.execute(
            select(Sku.batches, Sku.code).where(Sku.id == sku)
        ).one()
        if expiry is None and tracked and template.sku.tracking.expiry:
            raise InvalidMovement(
                phrase(
                    "batch '%(code)s' of %(sku)s is new: it needs an expiry date",
                    code=code,
                    sku=sku_code,
                )
            )
        try:
            with connection.begin_nested():
                return int(
                    connection.execute(
                        table.insert()
                        .values(sku_id=sku, code=code, expiry=expiry, received_at=now)
                        .returning(table.c.id)
                    ).scalar_one()
                )
        except IntegrityError:
            # Another transaction made the batch since we looked (PostgreSQL): use it.
            found = connection.execute(
                select(table.c.id, table.c.expiry).where(
                    table.c.sku_id == sku, table.c.code == code
                )
            ).one()
    if expiry is not None and found.expiry != expiry:
        if found.expiry is not None:
            sku_code = connection.execute(select(Sku.code).where(Sku.id == sku)).scalar_one()
            raise InvalidMovement(
                phrase(
                    "batch '%(code)s' of %(sku)s expires on %(expiry)s, not %(given)s",
                    code=code,
                    sku=sku_code,
                    expiry=found.expiry.isoformat(),
                    given=expiry.isoformat(),
                )
            )
        # A batch made before expiry dates were kept gets the one its goods now carry.
        connection.execute(update(table).where(table.c.id == found.id).values(expiry=expiry))
    return int(found.id)


def sku_batch(connection: Connection, sku: int, code: str) -> int:
    """The id of an existing batch of a SKU; raises UnknownItem naming the SKU."""
    table = table_of(Batch)
    found = connection.execute(
        select(table.c.id).where(table.c.sku_id == sku, table.c.code == code)
    ).scalar()
    if found is None:
        sku_code = connection.execute(select(Sku.code).where(Sku.id == sku)).scalar()
        raise UnknownItem(missing("batch", code, sku_code or phrase("this SKU")))
    return int(found)


def sku_record(template: Template, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A SKU as the API and forms show it: built-in keys and template fields side by side."""
    record: dict[str, Any] = {key: row[key] for key in ("code", "name", "unit", "barcode")}
    record["precision"] = int(row["precision"])
    record["active"] = bool(row["active"])
    for name, spec in template.sku.fields.items():
        record[name] = load_field(spec.type, row[field_column(name)])
    return record


def list_skus(
    connection: Connection,
    template: Template,
    *,
    code: str | None = None,
    barcode: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """A page of SKUs by code, and how many match in all."""
    table = stock_tables(template).sku
    query = select(table)
    if code is not None:
        query = query.where(table.c.code == code)
    if barcode is not None:
        query = query.where(table.c.barcode == barcode)
    if q:
        like = f"%{q}%"
        query = query.where(or_(table.c.code.ilike(like), table.c.name.ilike(like)))
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(
        query.order_by(table.c.code).limit(per_page).offset((max(page, 1) - 1) * per_page)
    )
    return [sku_record(template, r._mapping) for r in rows], int(total)


def get_sku(connection: Connection, template: Template, code: str) -> dict[str, Any]:
    """One SKU by code; raises UnknownItem."""
    table = stock_tables(template).sku
    row = connection.execute(select(table).where(table.c.code == code)).first()
    if row is None:
        raise UnknownItem(missing("sku", code))
    return sku_record(template, row._mapping)


def update_sku(
    connection: Connection, template: Template, code: str, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Change a SKU's name, unit, barcode and template fields; raises SkuInvalid or UnknownItem.

    The code and the precision stay: movements and documents refer to the one, and stored
    quantities are only valid under the other. Batch tracking is decided once, at creation.
    """
    table = stock_tables(template).sku
    row = connection.execute(select(table).where(table.c.code == code)).first()
    if row is None:
        raise UnknownItem(missing("sku", code))
    current = sku_record(template, row._mapping)
    errors: dict[str, str] = {}
    for key in ("code", "precision"):
        if key in changes and changes[key] != current[key]:
            errors[key] = phrase("cannot be changed")
    if "name" in changes and not changes["name"]:
        errors["name"] = phrase("required")
    kept = {k: v for k, v in current.items() if k != "active"}
    raw = {**kept, **changes, "code": code, "precision": current["precision"]}
    try:
        values = sku_values(template, raw)
    except SkuInvalid as exc:
        errors = {**exc.errors, **errors}
    if errors:
        barcode = raw.get("barcode") or None
        if "barcode" not in errors and isinstance(barcode, str):
            errors |= _taken(connection, code, barcode, other_than=row.id)
        raise SkuInvalid(errors)
    _refuse_taken(connection, code, values["barcode"], other_than=row.id)
    values = {k: v for k, v in values.items() if k not in ("code", "precision")}
    connection.execute(update(table).where(table.c.id == row.id).values(values))
    recompute(connection, template, sku_id=row.id)  # quantities such as sellable use SKU fields
    return get_sku(connection, template, code)


def list_warehouses(connection: Connection) -> list[dict[str, Any]]:
    """Every warehouse with its code, name and whether it is active, by code."""
    table = table_of(Warehouse)
    rows = connection.execute(
        select(table.c.code, table.c.name, table.c.active).order_by(table.c.code)
    )
    return [{"code": r.code, "name": r.name, "active": bool(r.active)} for r in rows]
