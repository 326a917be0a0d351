"""The limits of a file read — giới hạn tệp: a CSV or XLSX file is read only within bounds, whatever it
declares, so that no file (1.5 KB of XLSX can declare 30,000 × 16,384 cells) exhausts the process.

* at most :data:`MAX_ROWS` rows after the header and :data:`MAX_COLUMNS` columns, cells of at most
  :data:`MAX_CELL_CHARS` characters (a CSV line of at most :data:`MAX_LINE_CHARS`);
* an XLSX workbook is a ZIP archive, checked before it is opened: at most :data:`MAX_ZIP_ENTRIES`
  entries (counted from the archive's end record, before its directory is read), at most
  :data:`MAX_UNCOMPRESSED_BYTES` once uncompressed, and every sheet's declared ``<dimension ref=…>``
  (read from the start of the sheet's XML by a streaming parser) within the rows and columns above;
* a sheet can lie about its dimension: it is read row by row, in read-only mode, up to one row and one
  column beyond the limits, and refused when anything is there.

Every refusal is an :class:`~domain.errors.InvalidInput` of field ``file`` that says which limit.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError, XMLPullParser

from domain.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

MAX_ROWS = 200_000
MAX_COLUMNS = 64
MAX_CELL_CHARS = 4_000
MAX_LINE_CHARS = MAX_COLUMNS * (MAX_CELL_CHARS + 3)
MAX_ZIP_ENTRIES = 1_000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_END_OF_DIRECTORY = b"PK\x05\x06"


def refuse(reason: str) -> InvalidInput:
    """The refusal of a file over a limit."""
    return InvalidInput("file", reason)


# ---------------------------------------------------------------------------------------------- XLSX


def check_workbook(content: bytes) -> None:
    """Refuse a workbook whose archive or sheets are over the limits, before anything reads it."""
    entries = _declared_entries(content)
    if entries > MAX_ZIP_ENTRIES:
        msg = (
            f"is not a workbook this ledger reads: {entries:,} archive entries (at most {MAX_ZIP_ENTRIES:,})"
        )
        raise refuse(msg)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise refuse(f"is not a readable XLSX workbook ({type(error).__name__})") from None
    with archive:
        infos = archive.infolist()
        _check_entries(len(infos))
        total = sum(info.file_size for info in infos)
        if total > MAX_UNCOMPRESSED_BYTES:
            msg = (
                f"is too large once uncompressed: {total:,} bytes "
                f"(at most {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB)"
            )
            raise refuse(msg)
        for info in infos:
            if _SHEET.match(info.filename):
                _check_dimension(archive, info)


def _check_entries(entries: int) -> None:
    if entries > MAX_ZIP_ENTRIES:
        msg = (
            f"is not a workbook this ledger reads: {entries:,} archive entries (at most {MAX_ZIP_ENTRIES:,})"
        )
        raise refuse(msg)


def _declared_entries(content: bytes) -> int:
    """The number of entries the archive's end record declares (0 when there is none: the ZIP reader
    refuses such a file itself)."""
    tail = content[-(22 + 65535) :]
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < 22:
        return 0
    (entries,) = struct.unpack("<H", tail[at + 10 : at + 12])
    return int(entries)


def _check_dimension(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Read the start of a sheet's XML, up to its ``<dimension>`` (or its data), and refuse a sheet
    that declares more rows or columns than the limits."""
    parser: Any = XMLPullParser(events=("start",))
    read = 0
    try:
        with archive.open(info) as sheet:
            while read < 1024 * 1024:
                chunk = sheet.read(16 * 1024)
                if not chunk:
                    return
                read += len(chunk)
                parser.feed(chunk)
                for _, element in parser.read_events():
                    tag = element.tag.rsplit("}", 1)[-1]
                    if tag == "dimension":
                        _check_ref(str(element.get("ref", "")), info.filename)
                        return
                    if tag == "sheetData":
                        return
    except (ParseError, zipfile.BadZipFile, OSError, EOFError) as error:
        raise refuse(f"is not a readable XLSX workbook ({type(error).__name__} in {info.filename})") from None


def _check_ref(ref: str, sheet: str) -> None:
    last = ref.rsplit(":", maxsplit=1)[-1]
    match = _REF.match(last)
    if match is None:
        return  # no usable dimension: the rows are counted as they are read
    columns, rows = column_number(match.group(1)), int(match.group(2))
    if rows > MAX_ROWS + 1 or columns > MAX_COLUMNS:
        name = sheet.rsplit("/", 1)[-1].removesuffix(".xml")
        msg = (
            f"declares {rows:,} rows × {columns:,} columns in {name} ({ref}); "
            f"at most {MAX_ROWS:,} rows and {MAX_COLUMNS} columns are read"
        )
        raise refuse(msg)


def column_number(letters: str) -> int:
    """``A`` → 1, ``XFD`` → 16,384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def sheet_rows(sheet: Any) -> Iterator[list[object]]:
    """The rows of a read-only worksheet, never more than the limits, whatever its dimension says: its
    declared dimension is forgotten (a row is as long as its last cell), the rows are read no further
    than one beyond the limit, and a cell or row beyond the limits refuses the file."""
    sheet.reset_dimensions()
    for number, row in enumerate(sheet.iter_rows(max_row=MAX_ROWS + 2, values_only=True), start=1):
        beyond = row[MAX_COLUMNS:] if number <= MAX_ROWS + 1 else row
        if any(c not in (None, "") for c in beyond):
            where = f"more than {MAX_COLUMNS} columns (row {number})" if number <= MAX_ROWS + 1 else (
                f"more than {MAX_ROWS:,} rows")  # fmt: skip
            raise refuse(f"has {where}")
        if number > MAX_ROWS + 1:
            return
        yield list(row)


# ---------------------------------------------------------------------------------------------- CSV


def csv_lines(text: str) -> Iterator[str]:
    """The lines of a CSV text for :func:`csv.reader`, refusing a line longer than a row can be."""
    for number, line in enumerate(io.StringIO(text), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise refuse(f"line {number} is longer than {MAX_LINE_CHARS:,} characters")
        yield line


def bounded_rows(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    """CSV rows within the limits: rows after the header, columns and cell lengths."""
    kept = 0
    for number, cells in enumerate(rows, start=1):
        if len(cells) > MAX_COLUMNS:
            raise refuse(f"row {number} has {len(cells)} columns (at most {MAX_COLUMNS})")
        for cell in cells:
            if len(cell) > MAX_CELL_CHARS:
                raise refuse(f"row {number} has a cell longer than {MAX_CELL_CHARS:,} characters")
        if number > 1 and any(cells):
            kept += 1
            if kept > MAX_ROWS:
                raise refuse(f"has more than {MAX_ROWS:,} rows")
        yield cells
