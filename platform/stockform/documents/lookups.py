"""What validation asks the database: does this SKU exist, and what are its fields? Is this
a batch of that SKU, and when does it expire?"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, select

from ..spec.model import Template
from ..stock.catalog import load_field
from ..stock.columns import field_column, stock_tables
from ..stock.tables import Batch, Sku, Warehouse, table_of
from .tables import Document, User


class DatabaseLookups:
    """Answers existence questions and reads records, caching within one request."""

    def __init__(self, connection: Connection, template: Template) -> None:
        self.connection = connection
        self.template = template
        self._records: dict[tuple[str, str, str | None], dict[str, Any] | None] = {}

    def exists(self, kind: str, value: str, target: str | None = None) -> bool:
        if kind == "document":
            table = table_of(Document)
            query = select(table.c.id).where(table.c.number == value)
            if target:
                query = query.where(table.c.form == target)
            return self.connection.execute(query).first() is not None
        if kind == "user":
            table = table_of(User)
            return (
                self.connection.execute(select(table.c.id).where(table.c.username == value)).first()
                is not None
            )
        return self.record(kind, value, target) is not None

    def record(self, kind: str, value: str, target: str | None = None) -> dict[str, Any] | None:
        """The record behind a sku, warehouse or batch code, as expressions see it.

        A batch code means something only with its SKU: target is the SKU's code (two SKUs
        may each have a batch L1), and without it no batch is found."""
        key = (kind, value, target if kind == "batch" else None)
        if key not in self._records:
            self._records[key] = self._load(*key)
        return self._records[key]

    def candidates(self, kind: str, target: str | None = None) -> list[str]:
        """Codes to suggest instead of a wrong one: the SKU's most recent batches."""
        if kind != "batch" or target is None:
            return []
        batches, skus = table_of(Batch), table_of(Sku)
        query = (
            select(batches.c.code)
            .join(skus, skus.c.id == batches.c.sku_id)
            .where(skus.c.code == target)
            .order_by(batches.c.received_at.desc(), batches.c.id.desc())
            .limit(_SUGGESTED)
        )
        return list(self.connection.execute(query).scalars())

    def prefetch(self, kind: str, values: Iterable[str]) -> None:
        """Read many SKUs in one query (a document's lines), so each line does not ask."""
        wanted = {v for v in values if isinstance(v, str) and (kind, v, None) not in self._records}
        if kind != "sku" or not wanted:
            return
        table = stock_tables(self.template).sku
        for chunk in _chunks(sorted(wanted), 500):
            for row in self.connection.execute(select(table).where(table.c.code.in_(chunk))):
                self._records[("sku", row.code, None)] = self._sku(row)
        for value in wanted:
            self._records.setdefault(("sku", value, None), None)

    def _sku(self, row: Any) -> dict[str, Any]:
        values = row._mapping
        record: dict[str, Any] = {
            k: values[k] for k in ("id", "code", "name", "unit", "barcode", "precision")
        }
        for name, spec in self.template.sku.fields.items():
            record[name] = load_field(spec.type, values[field_column(name)])
        return record

    def _load(self, kind: str, value: str, target: str | None) -> dict[str, Any] | None:
        if kind == "sku":
            table = stock_tables(self.template).sku
            row = self.connection.execute(select(table).where(table.c.code == value)).first()
            return None if row is None else self._sku(row)
        if kind == "warehouse":
            table = table_of(Warehouse)
            found = self.connection.execute(
                select(table.c.id, table.c.code, table.c.name).where(table.c.code == value)
            ).first()
            return None if found is None else dict(found._mapping)
        if kind == "batch" and target is not None:
            batches, skus = table_of(Batch), table_of(Sku)
            found = self.connection.execute(
                select(batches.c.id, batches.c.code, batches.c.expiry)
                .join(skus, skus.c.id == batches.c.sku_id)
                .where(batches.c.code == value, skus.c.code == target)
            ).first()
            return None if found is None else dict(found._mapping)
        return None


# Batch codes read to suggest from: enough for a typo of a recent batch, never a whole history.
_SUGGESTED = 200


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
