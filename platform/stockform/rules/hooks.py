"""When warnings are evaluated: all of them by `stockform sweep`, and the rows a posting
touched right after it commits (never inside it: the lock path keeps its speed)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, or_, select

from ..spec.model import Template
from ..stock.tables import Movement, Sku, Warehouse, table_of
from .warnings import Outcome, evaluate

log = logging.getLogger("stockform.rules")
SWEEP_SKUS = 50_000  # SKUs per transaction (at one warehouse) of a sweep


def evaluate_all(
    engine: Engine,
    template: Template,
    now: datetime | None = None,
    *,
    timezone: str | None = None,
    chunk: int = SWEEP_SKUS,
) -> Outcome:
    """Evaluate every rule over every row: a warehouse and a range of SKUs per transaction,
    which the partial indexes serve as ranges (and SQLite's write lock is held briefly)."""
    now = now or datetime.now(UTC)
    with engine.connect() as connection:
        low, high = connection.execute(select(func.min(Sku.id), func.max(Sku.id))).one()
        warehouses = connection.execute(select(Warehouse.id).order_by(Warehouse.id)).scalars()
        warehouse_ids = list(warehouses)
    outcome = Outcome()
    if low is None:
        return outcome
    for warehouse_id in warehouse_ids:
        for start in range(low, high + 1, chunk):
            with engine.begin() as connection:
                found = evaluate(
                    connection,
                    template,
                    now,
                    skus=(start, start + chunk - 1),
                    warehouse=warehouse_id,
                    timezone=timezone,
                )
            outcome.add(found)
    return outcome


def after_posting(
    engine: Engine,
    template: Template,
    pairs: Iterable[tuple[int, int]],
    now: datetime | None = None,
    timezone: str | None = None,
) -> Outcome | None:
    """Evaluate the rows of the (sku_id, warehouse_id) pairs a committed posting touched.

    Never raises: the posting stands whatever happens here, and the next sweep catches up.
    """
    chosen = sorted(set(pairs))
    if not chosen or not template.stock.warnings:
        return None
    try:
        with engine.begin() as connection:
            return evaluate(
                connection, template, now or datetime.now(UTC), chosen, timezone=timezone
            )
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("evaluating warnings after a posting failed; the next sweep retries")
        return None


def after_document(
    engine: Engine,
    template: Template,
    form: str,
    doc_id: int,
    now: datetime | None = None,
    timezone: str | None = None,
) -> Outcome | None:
    """after_posting for every (SKU, warehouse) a document's movements touched."""
    if not template.stock.warnings:
        return None
    try:
        with engine.connect() as connection:
            pairs = touched_by_document(connection, form, doc_id)
    except Exception:  # noqa: BLE001 - as after_posting
        log.exception("finding the rows a document touched failed; the next sweep retries")
        return None
    return after_posting(engine, template, pairs, now, timezone)


def after_codes(
    engine: Engine,
    template: Template,
    codes: Iterable[tuple[str, str]],
    now: datetime | None = None,
    timezone: str | None = None,
) -> Outcome | None:
    """after_posting for (SKU code, warehouse code) pairs."""
    chosen = sorted(set(codes))
    if not chosen or not template.stock.warnings:
        return None
    sku, warehouse = table_of(Sku), table_of(Warehouse)
    try:
        with engine.connect() as connection:
            skus = dict(
                connection.execute(
                    select(sku.c.code, sku.c.id).where(sku.c.code.in_({s for s, _ in chosen}))
                ).all()
            )
            warehouses = dict(connection.execute(select(warehouse.c.code, warehouse.c.id)).all())
    except Exception:  # noqa: BLE001 - as after_posting
        log.exception("looking up the rows of a posting failed; the next sweep retries")
        return None
    pairs = [(skus[s], warehouses[w]) for s, w in chosen if s in skus and w in warehouses]
    return after_posting(engine, template, pairs, now, timezone)


def after_skus(
    engine: Engine,
    template: Template,
    codes: Iterable[str],
    now: datetime | None = None,
    timezone: str | None = None,
) -> Outcome | None:
    """after_posting for every row of SKUs whose fields changed (a safety stock, a minimum):
    the quantities and rules that read them may hold or stop holding at every warehouse."""
    pairs = [(code, warehouse) for code in codes for warehouse in template.warehouses]
    return after_codes(engine, template, pairs, now, timezone)


def touched_by_document(connection: Connection, form: str, doc_id: int) -> set[tuple[int, int]]:
    """Every (sku_id, warehouse_id) the document's movements moved stock from or to."""
    m = table_of(Movement)
    rows = connection.execute(
        select(m.c.sku_id, m.c.from_warehouse_id, m.c.to_warehouse_id).where(
            m.c.document_form == form,
            m.c.document_id == doc_id,
            or_(m.c.from_warehouse_id.is_not(None), m.c.to_warehouse_id.is_not(None)),
        )
    )
    found: set[tuple[int, int]] = set()
    for sku_id, source, target in rows:
        found.update((sku_id, w) for w in (source, target) if w is not None)
    return found
