"""The ledger: GET /movements?after=<id>, in posting order; see stock/journal.py for why the
cursor never skips a movement whose transaction commits late."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..stock.journal import Entry
from .context import (
    MAX_PER_PAGE,
    bp,
    decimal_text,
    jsonify,
    query_int,
    query_text,
    stock,
    takes_query,
)


def entry_json(entry: Entry) -> dict[str, Any]:
    def place(warehouse: str | None, bucket: str | None) -> dict[str, str] | None:
        if warehouse is None or bucket is None:
            return None  # outside: a supplier, a customer, a count gain or loss
        return {"warehouse": warehouse, "bucket": bucket}

    return {
        "id": entry.id,
        "posting_id": entry.posting_id,
        "kind": entry.kind,
        "sku": entry.sku,
        "batch": entry.batch,
        "qty": decimal_text(entry.qty),
        "from": place(entry.from_warehouse, entry.from_bucket),
        "to": place(entry.to_warehouse, entry.to_bucket),
        "unit_cost": decimal_text(entry.unit_cost),
        "document": (
            {"form": entry.document_form, "id": entry.document_id, "line_id": entry.line_id}
            if entry.document_form is not None
            else None
        ),
        "reference": entry.reference,
        "lock_id": entry.lock_id,
        "reverses_id": entry.reverses_id,
        "user": entry.user,
        "recorded_at": entry.recorded_at.isoformat(),
        "effective_at": entry.effective_at.isoformat(),
        "note": entry.note,
    }


@bp.get("/movements")
@takes_query("after", "sku", "warehouse", "limit")
def list_movements() -> Response:
    after = query_int("after", 0, low=0)
    limit = query_int("limit", 100, high=MAX_PER_PAGE)
    entries = stock().entries(
        after, sku=query_text("sku"), warehouse=query_text("warehouse"), limit=limit
    )
    return jsonify(
        {
            "items": [entry_json(entry) for entry in entries],
            "next_after": entries[-1].id if entries else after,
        }
    )
