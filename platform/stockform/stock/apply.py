"""Apply a template to a database: add its columns, refuse changes that would lose data.

A refused template never replaces the running one: everything happens in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Index, Row, inspect, literal, select, text, true

from ..spec.model import Template
from .columns import (
    BUCKET_STORAGE,
    Storage,
    bucket_column,
    field_column,
    field_storage,
    stock_tables,
)
from .materialize import quantity_column, recompute, scales
from .tables import Balance, ColumnRecord, Event, Sku, TemplateVersion, Warehouse, table_of


class TemplateRefused(Exception):
    """Applying the template would lose data; carries every reason."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


@dataclass
class Applied:
    version_id: int
    added_columns: list[str] = field(default_factory=list)
    unchanged: bool = False


def current_version(connection: Connection) -> Row[Any] | None:
    """The template version applied last (id, template_id, version, fingerprint, files…)."""
    table = table_of(TemplateVersion)
    return connection.execute(select(table).order_by(table.c.id.desc()).limit(1)).first()


def apply_template(
    engine: Engine, template: Template, files: Mapping[str, str], user: str | None = None
) -> Applied:
    """Make the database fit template and record it as the current version."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # One applier at a time across every process and host.
            connection.execute(text("SELECT pg_advisory_xact_lock(724201)"))
        latest = connection.execute(
            select(TemplateVersion.id, TemplateVersion.fingerprint)
            .order_by(TemplateVersion.id.desc())
            .limit(1)
        ).first()
        if latest is not None and latest.fingerprint == template.fingerprint:
            return Applied(latest.id, unchanged=True)
        reasons = _losses(connection, template)
        if reasons:
            raise TemplateRefused(reasons)
        added = _add_columns(connection, template)
        _sync_warehouses(connection, template)
        recompute(connection, template)  # formulas or SKU field defaults may have changed
        now = datetime.now(UTC)
        version_id = connection.execute(
            table_of(TemplateVersion).insert().returning(table_of(TemplateVersion).c.id),
            {
                "template_id": template.info.id,
                "version": template.info.version,
                "fingerprint": template.fingerprint,
                "files": dict(files),
                "applied_at": now,
                "applied_by": user,
            },
        ).scalar_one()
        connection.execute(
            table_of(Event).insert(),
            {
                "kind": "template_applied",
                "at": now,
                "user": user,
                "detail": {
                    "version_id": version_id,
                    "version": template.info.version,
                    "added_columns": added,
                },
            },
        )
        return Applied(version_id, added)


def _recorded(connection: Connection) -> dict[tuple[str, str], Storage]:
    rows = connection.execute(select(table_of(ColumnRecord)))
    return {(r.table_name, r.column_name): Storage(r.kind, r.scale) for r in rows}


def _losses(connection: Connection, template: Template) -> list[str]:
    """Every way applying template would lose or misread data."""
    reasons = []
    recorded = _recorded(connection)
    balance = Balance.__tablename__
    wanted = {bucket_column(b) for b in template.stock.buckets}
    for (table, column), _storage in recorded.items():
        if table == balance and column.startswith("b_") and column not in wanted:
            held = connection.execute(
                text(f"SELECT count(*) FROM {balance} WHERE {column} <> 0")  # noqa: S608
            ).scalar_one()
            if held:
                reasons.append(
                    f"bucket '{column[2:]}' still holds stock in {held} balance "
                    "rows; move it out before removing the bucket"
                )
    for name, spec in template.sku.fields.items():
        column = field_column(name)
        before = recorded.get((Sku.__tablename__, column))
        now = field_storage(spec.type)
        if before is not None and before != now:
            used = connection.execute(
                text(f"SELECT count(*) FROM {Sku.__tablename__} WHERE {column} IS NOT NULL")  # noqa: S608
            ).scalar_one()
            if used:
                reasons.append(
                    f"SKU field '{name}' cannot become a {spec.type} field: {used} "
                    "SKUs have a value stored the old way; add a new field instead"
                )
    gone = (
        connection.execute(
            select(Warehouse.code).where(
                Warehouse.code.not_in(list(template.warehouses)), Warehouse.active.is_(True)
            )
        )
        .scalars()
        .all()
    )
    for code in gone:
        stocked = _warehouse_holds_stock(
            connection, code, [c for (t, c) in recorded if t == balance and c.startswith("b_")]
        )
        if stocked:
            reasons.append(
                f"warehouse '{code}' still holds stock; move it out before removing the warehouse"
            )
    return reasons


def _warehouse_holds_stock(connection: Connection, code: str, columns: list[str]) -> bool:
    if not columns:
        return False
    # Column names are made by the engine from checked identifiers (b_<name>).
    nonzero = " OR ".join(f"b.{c} <> 0" for c in columns)
    query = text(
        f"SELECT count(*) FROM {Balance.__tablename__} b JOIN {Warehouse.__tablename__} w "  # noqa: S608
        f"ON w.id = b.warehouse_id WHERE w.code = :code AND ({nonzero})"
    )
    return bool(connection.execute(query, {"code": code}).scalar_one())


def _add_columns(connection: Connection, template: Template) -> list[str]:
    recorded = _recorded(connection)
    tables = stock_tables(template)
    inspector = inspect(connection)
    existing = {
        table: {c["name"] for c in inspector.get_columns(table)}
        for table in (Balance.__tablename__, Sku.__tablename__)
    }
    wanted: list[tuple[str, str, Storage]] = (
        [(Balance.__tablename__, bucket_column(b), BUCKET_STORAGE) for b in template.stock.buckets]
        + [
            (Balance.__tablename__, quantity_column(n), Storage("int", scale))
            for n, scale in scales(template).items()
        ]
        + [
            (Sku.__tablename__, field_column(n), field_storage(f.type))
            for n, f in template.sku.fields.items()
        ]
    )
    added = []
    preparer = connection.dialect.identifier_preparer
    for table, column, storage in wanted:
        before = recorded.get((table, column))
        if before is not None and before != storage and column in existing[table]:
            # Checked above: no SKU has a value (or it is a quantity, derived data that is
            # recomputed below), so the column can be replaced.
            connection.execute(text(f"ALTER TABLE {table} DROP COLUMN {preparer.quote(column)}"))
            existing[table].discard(column)
        if column not in existing[table]:
            sql_type = storage.sql_type().compile(dialect=connection.dialect)
            bucket = table == Balance.__tablename__ and column.startswith("b_")
            default = " NOT NULL DEFAULT 0" if bucket else ""
            connection.execute(
                text(f"ALTER TABLE {table} ADD COLUMN {preparer.quote(column)} {sql_type}{default}")
            )
            target = tables.balance if table == Balance.__tablename__ else tables.sku
            index = Index(f"ix_{table}_{column}", target.c[column])
            index.create(connection, checkfirst=True)
            added.append(f"{table}.{column}")
        if before is None:
            connection.execute(
                table_of(ColumnRecord).insert(),
                {
                    "table_name": table,
                    "column_name": column,
                    "kind": storage.kind,
                    "scale": storage.scale,
                },
            )
        elif before != storage:
            connection.execute(
                table_of(ColumnRecord)
                .update()
                .where(
                    table_of(ColumnRecord).c.table_name == table,
                    table_of(ColumnRecord).c.column_name == column,
                )
                .values(kind=storage.kind, scale=storage.scale)
            )
    return added


def _sync_warehouses(connection: Connection, template: Template) -> None:
    table = table_of(Warehouse)
    known = dict(connection.execute(select(table.c.code, table.c.id)).all())
    for code, warehouse in template.warehouses.items():
        values = {"name": warehouse.name.text(template.info.locales[0]), "active": warehouse.active}
        if code in known:
            connection.execute(table.update().where(table.c.code == code).values(**values))
        else:
            connection.execute(table.insert(), {"code": code, **values})
    added = [code for code in template.warehouses if code not in known]
    if added:
        # Every SKU gets its zero row at a new warehouse, as create_sku does for new SKUs.
        sku, balance = table_of(Sku), table_of(Balance)
        new_ids = select(table.c.id).where(table.c.code.in_(added)).subquery()
        connection.execute(
            balance.insert().from_select(
                ["sku_id", "warehouse_id", "batch_id"],
                select(sku.c.id, new_ids.c.id, literal(0)).select_from(sku.join(new_ids, true())),
            )
        )
    gone = [code for code in known if code not in template.warehouses]
    if gone:
        connection.execute(table.update().where(table.c.code.in_(gone)).values(active=False))
