"""Hostile files for the upload limit tests (issue 14): a minimal XLSX built by hand, whose sheet XML the
test writes (a 1.5 KB workbook can declare 30,000 × 16,384 cells), and a CSV of a given size."""

from __future__ import annotations

import io
import zipfile

_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
        '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
        '.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
HEADER = ("ma_chi_tra", "so_cccd", "che_do", "ky", "so_tien", "ngay_chi")


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    return '<row r="1">' + "".join(cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADER)) + "</row>"


def xlsx(rows: str, dimension: str | None = "A1:F1", *, extra: dict[str, bytes] | None = None) -> bytes:
    """A workbook of one sheet: ``rows`` (``<row>`` elements) under ``<dimension ref=dimension>``."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main">{dim}<sheetData>{rows}</sheetData></worksheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in {**_PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, text)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def hostile_workbook() -> bytes:
    """The workbook of the issue: a header row, a sheet declaring 30,000 rows × 16,384 columns."""
    return xlsx(header_row(), "A1:XFD30000")


CSV_LINE = b"P%07d,075130000001,BTXH_ELDERLY_80,2024-07,500000,2024-07-10\n"


def csv_of(size: int) -> bytes:
    """A payment CSV of about ``size`` bytes (a header and rows of one person)."""
    lines = [b"ma_chi_tra,so_cccd,che_do,ky,so_tien,ngay_chi\n"]
    total = len(lines[0])
    number = 0
    while total < size:
        number += 1
        lines.append(CSV_LINE % number)
        total += len(lines[-1])
    return b"".join(lines)
