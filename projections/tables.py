"""Tables as files — bảng xuất tệp: one table, written as CSV or as an XLSX sheet, for every export that is
a plain list (the audit trail, the payments, the report).

A :class:`Table` is a title, its :class:`Column` s (a Vietnamese heading and a kind) and its rows. The
kind decides how a value is written:

* ``amount`` — an integer of đồng: in CSV a plain integer (``500000``), in XLSX a number shown ``#,##0``;
* ``int`` — a count: a number in both;
* ``share`` — a fraction (``0.153``): a number, shown ``0.0%`` in XLSX;
* ``number`` — a column of mixed figures: an integer as ``int``, a fraction as ``share``;
* ``id`` — an identifier a spreadsheet must keep as typed (citizen ID, card, account number): in CSV
  :class:`ledger.csv_cells.Keep` (written ``="075050066666"``), in XLSX a text cell formatted ``@``;
* ``text`` — anything else: text, formula-safe in CSV (:mod:`ledger.csv_cells`), a string cell in XLSX
  (XlsxWriter's ``write_string``: never read as a formula or a number).

CSV: :func:`table_csv` (UTF-8 with BOM, ``,`` or ``;``: :func:`ledger.csv_cells.csv_bytes`), the heading
row first and nothing above it, so a program reads it with ``csv.DictReader``. XLSX:
:func:`tables_xlsx` with XlsxWriter in constant-memory mode (rows written in order, one in memory), a
sheet per table: the title above, the bold heading row frozen with an autofilter, widths per column,
A4 landscape fitted to one page wide with the heading rows repeated on every page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import xlsxwriter

from ledger.csv_cells import Keep, Separator, csv_bytes

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

Kind = Literal["text", "id", "amount", "int", "share", "number"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
"""The media type of an XLSX workbook."""
CSV = "text/csv; charset=utf-8"
"""The media type of the CSV files."""


@dataclass(frozen=True)
class Column:
    """A column: the row's key, its Vietnamese heading, what kind of value, its width in XLSX."""

    key: str
    heading: str
    kind: Kind = "text"
    width: float = 16


@dataclass
class Table:
    """A titled table of rows (dicts keyed by the columns' keys)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[dict[str, Any]]
    sheet: str = "Bảng"
    notes: list[str] = field(default_factory=list)


def _csv_value(column: Column, value: Any) -> object:
    if value is None:
        return ""
    if column.kind == "id":
        return Keep(str(value))
    if column.kind in {"amount", "int"}:
        return int(value)
    if column.kind == "share":
        return float(value)
    if column.kind == "number":
        return value if isinstance(value, int | float) else str(value)
    return str(value)


def table_csv(table: Table, sep: Separator = "comma") -> bytes:
    """The table as CSV: the heading row, then a row per row (the title is the file's name, not a row)."""
    headings = [c.heading for c in table.columns]
    body = ([_csv_value(c, row.get(c.key)) for c in table.columns] for row in table.rows)
    return csv_bytes([headings, *body], sep)


_SHEET_BAD = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        border = {"border": 1, "valign": "top"}
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.note = book.add_format({"italic": True})
        self.heading = book.add_format({**border, "bold": True, "text_wrap": True, "align": "center",
                                        "valign": "vcenter", "bg_color": "#E7EEF7"})  # fmt: skip
        self.text = book.add_format({**border, "text_wrap": True})
        self.id = book.add_format({**border, "num_format": "@"})
        self.amount = book.add_format({**border, "num_format": "#,##0"})
        self.int = book.add_format({**border, "num_format": "#,##0"})
        self.share = book.add_format({**border, "num_format": "0.0%"})

    def of(self, kind: Kind) -> Format:
        return {"text": self.text, "id": self.id, "amount": self.amount, "int": self.int,
                "share": self.share, "number": self.text}[kind]  # fmt: skip


def _write(sheet: Worksheet, row: int, col: int, column: Column, value: Any, fmt: Format) -> None:
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif column.kind in {"amount", "int"}:
        sheet.write_number(row, col, int(value), fmt)
    elif column.kind == "share" or (column.kind == "number" and isinstance(value, int | float)):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def _sheet(book: xlsxwriter.Workbook, formats: _Formats, table: Table, names: set[str]) -> None:
    name = table.sheet.translate(_SHEET_BAD)[:31] or "Bảng"
    base, n = name, 2
    while name.lower() in names:
        name = f"{base[:28]} {n}"
        n += 1
    names.add(name.lower())
    sheet = book.add_worksheet(name)
    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)  # one page wide, as many tall as it takes
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer("&CTrang &P/&N")
    for col, column in enumerate(table.columns):
        sheet.set_column(col, col, column.width)
    sheet.write_string(0, 0, table.title, formats.title)
    top = 1
    for note in table.notes:
        sheet.write_string(top, 0, note, formats.note)
        top += 1
    for col, column in enumerate(table.columns):
        sheet.write_string(top, col, column.heading, formats.heading)
    sheet.freeze_panes(top + 1, 0)
    sheet.repeat_rows(top)
    kinds = [formats.of(c.kind) for c in table.columns]
    last = top
    for row in table.rows:
        last += 1
        for col, column in enumerate(table.columns):
            value = row.get(column.key)
            fmt = kinds[col]
            if column.kind == "number" and isinstance(value, int | float):
                fmt = formats.int if isinstance(value, int) else formats.share
            _write(sheet, last, col, column, value, fmt)
    sheet.autofilter(top, 0, max(last, top), len(table.columns) - 1)


def tables_xlsx(tables: Sequence[Table]) -> bytes:
    """The tables as one XLSX workbook, a sheet each (XlsxWriter, constant-memory mode)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})  # in_memory would turn it off
    formats = _Formats(book)
    names: set[str] = set()
    for table in tables:
        _sheet(book, formats, table, names)
    book.close()
    return out.getvalue()


def file_stem(*parts: object) -> str:
    """``nhat-ky-26041-2026-12-01``: the parts that are given, joined by ``-`` (the extension follows)."""
    return "-".join(str(p) for p in parts if p not in {None, ""})
