"""CSV files spreadsheets read right — tệp CSV mở đúng trong bảng tính: the one CSV writer of the ledger.

Every CSV the ledger writes (rosters, the audit trail, payments, the report, an import's rejects file)
goes through :func:`csv_bytes`, so that Excel and LibreOffice Calc open them alike:

* **UTF-8 with a BOM** (``EF BB BF``): Excel reads a CSV without one in the ANSI code page (Vietnamese
  diacritics garbled); LibreOffice and ``csv`` (``utf-8-sig``) take the BOM off.
* **Two separators**: ``,`` (the default, for machines and English settings) and ``;``
  (``sep=semicolon``) for Excel under Vietnamese (or other European) regional settings, whose list
  separator is ``;`` and which puts a comma-separated line into one column. No ``sep=;`` first line:
  Excel honours such a line but then *ignores the BOM* and reads the file as ANSI (the diacritics break),
  and every other reader sees a junk first row. LibreOffice detects either separator in its import
  dialog.
* **Amounts are plain integers** (``500000``, ``-300000``): no thousands separators, which a spreadsheet
  reads as a decimal point (``500.000`` opens as 500 under English settings) or as text. A number is never
  a formula, so numbers are written untouched.
* **Identifiers stay text** (:class:`Keep`: citizen IDs, card numbers, account numbers, household
  codes): a spreadsheet turns ``075050066666`` into the number 75050066666 — the leading zero lost, and
  Excel shows 12 digits as ``7.5E+10``. Quoting does not help (both programs ignore the quotes), a
  leading apostrophe stays visible, a tab or an invisible character becomes part of the text. The one
  spelling that both Excel and LibreOffice Calc open as the text ``075050066666`` is the formula
  ``="075050066666"`` (checked with LibreOffice in ``tests/http/test_take_away.py``), so an identifier
  made only of ASCII letters and digits is written that way; any other value is plain text under the
  rule below. A program reading the file takes the wrapper off with :func:`unwrap` (the imports do, so a
  rejects file can be corrected and sent again).
* **User text cannot become a formula** (OWASP, CSV injection): a cell that begins with ``=``, ``+``,
  ``-`` or ``@`` (or a tab or carriage return) — a beneficiary named ``=HYPERLINK("http://x", "Bấm")`` —
  is written with a leading apostrophe (:func:`formula_safe`): the spreadsheet shows the text,
  ``csv.reader`` reads it back with the apostrophe in front (:func:`unescape` takes it off). The
  identifier wrapper above is the only formula ever written, and only around letters and digits.
"""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = {"comma": ",", "semicolon": ";"}
Separator = Literal["comma", "semicolon"]
BOM = "\ufeff"
_KEPT = re.compile(r"[0-9A-Za-z]+")
_WRAPPED = re.compile(r'="([0-9A-Za-z]+)"')


class Keep(str):
    """An identifier a spreadsheet must keep as typed (a citizen ID, a card or account number)."""

    __slots__ = ()


def _needs_prefix(text: str) -> bool:
    """A formula start, or apostrophes before one (``'=1`` typed as such must read back as typed)."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def formula_safe(row: Iterable[object]) -> list[object]:
    """``row`` with each text cell that a spreadsheet would read as a formula prefixed with ``'``."""
    return [f"'{cell}" if isinstance(cell, str) and _needs_prefix(cell) else cell for cell in row]


def unescape(cell: str) -> str:
    """The text of a cell :func:`formula_safe` wrote."""
    return cell[1:] if cell.startswith("'") and _needs_prefix(cell[1:]) else cell


def kept_text(value: str) -> str:
    """How :func:`csv_bytes` writes an identifier: ``="075050066666"`` (letters and digits), else as
    plain text made formula-safe."""
    if _KEPT.fullmatch(value):
        return f'="{value}"'
    return str(formula_safe([str(value)])[0])


def unwrap(cell: str) -> str:
    """The identifier inside ``="…"`` (as :func:`kept_text` wrote it); any other cell unchanged."""
    match = _WRAPPED.fullmatch(cell.strip())
    return match.group(1) if match else cell


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Keep):
        return kept_text(str(value)) if value else ""
    if isinstance(value, bool):
        return int(value)
    return formula_safe([value])[0]


def csv_bytes(rows: Iterable[Iterable[object]], sep: Separator = "comma") -> bytes:
    """``rows`` as a CSV file: UTF-8 with BOM, CRLF, ``,`` or ``;``; integers as they are,
    :class:`Keep` identifiers as text spreadsheets keep, every other text cell formula-safe."""
    if sep not in SEPARATORS:
        msg = f"unknown separator {sep!r}"
        raise ValueError(msg)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATORS[sep], lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return (BOM + buffer.getvalue()).encode("utf-8")
