"""A report as a table, and the table as CSV or XLSX.

Numbers stay exact decimals up to the file: CSV writes them as plain decimal text (no
thousands separators, no exponent); XLSX stores them as numbers (cells typed `n`, written with
16 significant digits, so every amount up to 10^11 with its 4 decimals is the exact value) and
gives each column a number format for its kind.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Kind = Literal["text", "money", "qty", "ratio", "days", "percent", "integer", "date"]
FORMATS: dict[str, str] = {
    "money": "#,##0.00##",
    "qty": "#,##0.###",
    "ratio": "0.0000",
    "days": "0.00",
    "percent": '0.00"%"',
    "integer": "#,##0",
    "date": "yyyy-mm-dd",
}
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    """Rows of values (Decimal, int, str, date or None) under titled columns; `total` is an
    optional last row (its first cell says what it is)."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    total: Sequence[Any] | None = None
    notes: Sequence[str] = field(default_factory=tuple)

    def all_rows(self) -> list[Sequence[Any]]:
        return [*self.rows, *([self.total] if self.total is not None else [])]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Chinese names right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in table.columns])
    for row in table.all_rows():
        writer.writerow([_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """One sheet: a bold heading row, the rows, the total row in bold, then any notes."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(table.title))
    bold = Font(bold=True)
    for n, column in enumerate(table.columns, start=1):
        width = max(len(column.title), 12 if column.kind != "text" else 16) + 2
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.append([_cell(sheet, c.title, None, bold) for c in table.columns])
    for row in table.rows:
        sheet.append([_cell(sheet, v, c, None) for v, c in zip(row, table.columns, strict=True)])
    if table.total is not None:
        cells = zip(table.total, table.columns, strict=True)
        sheet.append([_cell(sheet, v, c, bold) for v, c in cells])
    for note in table.notes:
        sheet.append([])
        sheet.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet: Any, value: Any, column: Column | None, font: Font | None) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if column is not None and column.kind in FORMATS and value is not None:
        cell.number_format = FORMATS[column.kind]
    if font is not None:
        cell.font = font
    return cell


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Report")[:31]
