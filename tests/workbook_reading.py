"""Reading the roster workbook back (:mod:`projections.roster_workbook`) as a test does: the table of
a commune sheet between its heading row and its total row."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import load_workbook


def open_roster(data: bytes, *, values: bool = True) -> Any:
    """The workbook; ``values``: formulas read as the value cached with them (as a viewer that does not
    recalculate shows them), else as the formula text."""
    return load_workbook(BytesIO(data), data_only=values)


def commune_table(sheet: Any) -> tuple[list[Any], list[list[Any]], list[Any]]:
    """(the heading row, the rows of people and their items, the total row ``Cộng …``)."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and r[0] == "STT")
    end = next(i for i in range(start + 1, len(rows)) if str(rows[i][1] or "").startswith("Cộng "))
    return rows[start], rows[start + 1 : end], rows[end]
