"""File answers — trả tệp: a table of :mod:`projections.tables` as a CSV or XLSX download, the same for the
JSON API (``format=csv|xlsx``, ``sep=comma|semicolon``) and the pages' download buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fastapi.responses import Response

from projections.tables import CSV, XLSX, table_csv, tables_xlsx

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ledger.csv_cells import Separator
    from projections.tables import Table

FileFormat = Literal["csv", "xlsx"]


def table_file(
    tables: Sequence[Table], file_format: FileFormat, name: str, sep: Separator = "comma"
) -> Response:
    """The tables as a download named ``name`` (without its extension): CSV holds the first table,
    XLSX a sheet per table."""
    if file_format == "csv":
        content, media = table_csv(tables[0], sep), CSV
    else:
        content, media = tables_xlsx(tables), XLSX
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'},
    )
