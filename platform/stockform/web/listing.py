"""The list of a form's documents: search by number, filter by state, warehouse and creation
date, newest first, a page at a time (header columns only, one query for the page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from ..documents.service import from_json_total
from ..documents.tables import Document
from ..stock.tables import table_of

PER_PAGE = 25


@dataclass(frozen=True)
class Filters:
    number: str = ""
    state: str = ""
    warehouse: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> tuple[Filters, dict[str, str]]:
        """Filters from query arguments, and a message per argument that made no sense."""
        problems = {}
        days: dict[str, date | None] = {}
        for name in ("since", "until"):
            text = (args.get(name) or "").strip()
            try:
                days[name] = date.fromisoformat(text) if text else None
            except ValueError:
                days[name], problems[name] = None, text
        page = args.get("page", "1")
        return (
            cls(
                number=(args.get("number") or "").strip(),
                state=args.get("state") or "",
                warehouse=args.get("warehouse") or "",
                since=days["since"],
                until=days["until"],
                page=int(page) if page.isdigit() and int(page) > 0 else 1,
            ),
            problems,
        )


@dataclass(frozen=True)
class Listed:
    id: int
    number: str
    state: str
    warehouse: str | None
    created_by: str
    created_at: datetime
    totals: dict[str, Any]


def list_documents(
    connection: Connection, form_id: str, filters: Filters, zone: ZoneInfo
) -> tuple[list[Listed], int]:
    """One page of documents and how many match in all."""
    table = table_of(Document)
    query = select(table).where(table.c.form == form_id)
    if filters.number:
        escaped = filters.number.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.upper(table.c.number).like(f"%{escaped.upper()}%", escape="\\"))
    if filters.state:
        query = query.where(table.c.state == filters.state)
    if filters.warehouse:
        query = query.where(table.c.warehouse == filters.warehouse)
    if filters.since:
        query = query.where(table.c.created_at >= _utc(filters.since, zone))
    if filters.until:
        query = query.where(table.c.created_at < _utc(filters.until + timedelta(days=1), zone))
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(
        query.order_by(table.c.id.desc()).limit(PER_PAGE).offset((filters.page - 1) * PER_PAGE)
    )
    items = [
        Listed(
            r.id,
            r.number,
            r.state,
            r.warehouse,
            r.created_by,
            r.created_at,
            {k: from_json_total(v) for k, v in (r.totals or {}).items()},
        )
        for r in rows
    ]
    return items, int(total)


def _utc(day: date, zone: ZoneInfo) -> datetime:
    """The start of a business day, in UTC as timestamps are stored."""
    return datetime.combine(day, time(), zone).astimezone(ZoneInfo("UTC"))
