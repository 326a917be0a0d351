"""CSV cells a spreadsheet cannot run — ô CSV không thành công thức (OWASP, CSV injection).

Excel, LibreOffice and Google Sheets read a CSV cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula: a beneficiary named ``=HYPERLINK("http://x", "Bấm")``
would become a live link in the officer's roster. Every CSV the ledger writes (the roster, an import's
rejects file) passes its rows through :func:`formula_safe`, which writes such a text cell with a leading
apostrophe, as OWASP advises: the spreadsheet shows the text, ``csv.reader`` reads it back with the
apostrophe in front (:func:`unescape` takes it off).

The rule is applied to every text cell, amounts included: a negative amount is written as text
(``-500.000`` for a recovery, thousands separated by dots) and so becomes ``'-500.000``, readable,
never a formula. Real numbers (the row number, ``int``) are written as numbers, untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(row: Iterable[object]) -> list[object]:
    """``row`` with each text cell that a spreadsheet would read as a formula prefixed with ``'``."""
    return [f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell for cell in row]


def unescape(cell: str) -> str:
    """The text of a cell :func:`formula_safe` wrote."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
