"""SKUs from a spreadsheet, an XLSX workbook's first sheet or a CSV file: a row per SKU under a
header row naming the columns (`code`, `name`, `unit`, `barcode`, `precision` and the
template's SKU fields).

A row whose code is new adds a SKU; a row whose code exists changes that SKU, and a blank cell
leaves its value as it is. Every row goes through the same checks as a SKU added or changed one
at a time, and every problem is reported with its row and column: one bad row and nothing of
the file is written.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Connection, select

from ..spec.model import Template
from ..spec.phrases import message_of, phrase
from .catalog import BUILTIN_SKU_KEYS, SkuInvalid, create_sku, update_sku
from .errors import StockError
from .tables import Sku

MAX_BYTES = 5 * 1024 * 1024  # a catalogue of tens of thousands of SKUs
MAX_PROBLEMS = 100  # a file wrong on every row says so in the first hundred
# A row takes about 1.5 ms on SQLite and 3.4 ms on PostgreSQL (measured): a file stays inside
# a web worker's 30 s.
MAX_ROWS = 5_000


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in the file: the row (the header is row 1) and column, when there is one."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f"row {self.row}"] if self.row else []
        where += [self.column] if self.column else []
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRefused(StockError):
    """The file was not imported; every problem found, in the file's order."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Imported:
    added: int
    changed: int
    codes: tuple[str, ...] = ()  # every SKU added or changed


def import_skus(connection: Connection, template: Template, data: bytes) -> Imported:
    """Add and change the SKUs of a CSV file in connection's transaction; raises ImportRefused
    (after undoing every row) when any row is wrong."""
    rows = _read(data, template)
    codes = [values.get("code", "") for _, values in rows]
    known = _known(connection, [c for c in codes if c])
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    added = changed = 0
    for number, values in rows:
        code = values.get("code", "")
        if code and code in seen:
            message = phrase("%(code)s is on row %(row)s already", code=code, row=seen[code])
            problems.append(RowProblem(number, "code", message))
            continue
        seen[code] = number
        given = {key: _cell(key, value) for key, value in values.items() if value != ""}
        try:
            with connection.begin_nested():
                if code in known:
                    update_sku(connection, template, code, given)
                    changed += 1
                else:
                    create_sku(connection, template, given)
                    added += 1
        except SkuInvalid as exc:
            problems += [RowProblem(number, key, message) for key, message in exc.errors.items()]
        except (StockError, ValueError) as exc:
            problems.append(RowProblem(number, None, message_of(exc)))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise ImportRefused(problems)
    return Imported(added, changed, tuple(seen))


def _read(data: bytes, template: Template) -> list[tuple[int, dict[str, str]]]:
    """The rows that are not blank, each with its number in the file, keyed by the header."""
    if len(data) > MAX_BYTES:
        raise ImportRefused([RowProblem(None, None, phrase("the file is larger than 5 MB"))])
    records = _sheet(data) if data.startswith(_ZIP) else _csv(data)
    try:
        found = next(records, None)
        if found is None:
            raise ImportRefused([RowProblem(None, None, phrase("the file is empty"))])
        header = [name.strip() for name in found[1]]
        _check_header(header, template)
        rows = []
        for number, cells in records:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                message = phrase(
                    "has %(cells)s cells; the header names %(columns)s",
                    cells=len(cells),
                    columns=len(header),
                )
                raise ImportRefused([RowProblem(number, None, message)])
            rows.append((number, {k: v.strip() for k, v in zip(header, cells, strict=False)}))
            if len(rows) > MAX_ROWS:
                message = phrase(
                    "the file has more than %(most)s SKUs: import it in parts", most=MAX_ROWS
                )
                raise ImportRefused([RowProblem(None, None, message)])
    except csv.Error as exc:
        raise ImportRefused([RowProblem(None, None, str(exc))]) from None
    return rows


_ZIP = b"PK\x03\x04"  # an XLSX workbook is a zip archive


def _csv(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """Each record of CSV text with the line it starts on (a quoted cell may hold line
    breaks), without the empty cells at its end."""
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet program's UTF-8 starts with a BOM
    except UnicodeDecodeError:
        message = phrase("the file is not UTF-8 text: save it as CSV UTF-8, or as XLSX")
        raise ImportRefused([RowProblem(None, None, message)]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    for cells in reader:
        yield line, _trimmed(cells)
        line = reader.line_num + 1


def _sheet(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """Each row of a workbook's first sheet with its number, cells as text: numbers as the
    sheet shows them (never an exponent), dates as ISO dates."""
    unreadable = ImportRefused([RowProblem(None, None, phrase("the file is no XLSX workbook"))])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - whatever openpyxl cannot open, the file is at fault
        raise unreadable from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True) if book.worksheets else iter(())
        for number, values in enumerate(rows, start=1):
            yield number, _trimmed([_cell_text(value) for value in values])
    except ImportRefused:
        raise
    except Exception:  # noqa: BLE001 - as above, for a sheet broken inside
        raise unreadable from None
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # The shortest text that is this float, as the sheet shows it: 1250.5, not 1250.49…
        return format(Decimal(repr(value)), "f") if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _trimmed(cells: list[str]) -> list[str]:
    """Cells without the empty ones at the end (a sheet pads rows to its widest)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _check_header(header: list[str], template: Template) -> None:
    valid = [*BUILTIN_SKU_KEYS, *template.sku.fields]
    problems = []
    if "code" not in header:
        problems.append(RowProblem(1, None, phrase("the header has no column 'code'")))
    for index, name in enumerate(header):
        if name not in valid:
            message = phrase(
                "'%(name)s' is no SKU field (valid: %(names)s)",
                name=name,
                names=", ".join(valid),
            )
            problems.append(RowProblem(1, None, message))
        elif name in header[:index]:
            message = phrase("'%(name)s' is named twice", name=name)
            problems.append(RowProblem(1, None, message))
    if problems:
        raise ImportRefused(problems)


def _cell(key: str, value: str) -> Any:
    """A cell as the catalogue takes it: text, but the precision as the number it writes."""
    if key == "precision" and value.isdigit():
        return int(value)
    return value


def _known(connection: Connection, codes: list[str]) -> set[str]:
    """Which of codes are SKUs already."""
    found: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        found.update(connection.execute(select(Sku.code).where(Sku.code.in_(chunk))).scalars())
    return found
