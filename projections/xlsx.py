"""A small, fast XLSX writer for rosters — ghi tệp Excel.

openpyxl builds a cell object per value and styles it one attribute at a time: a 100,000-line roster
took about a minute. A roster needs little of a spreadsheet library: text and whole numbers, a handful
of fixed styles (bold headings, thin borders, wrapped text, the ``#,##0`` number format), column
widths, frozen heading rows, landscape A4 with the heading row repeated on every printed page. This
module writes exactly that as SpreadsheetML (ECMA-376) strings into the zip, one row at a time.
Workbooks it writes open in Excel and LibreOffice, and openpyxl reads them back (the tests do).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

# Cell styles (indexes into cellXfs below).
PLAIN = 0
HEADING = 1  # bold, thin border, centred, wrapped
BODY = 2  # thin border, top-aligned, wrapped
BODY_AMOUNT = 3  # as BODY, with #,##0
TOTAL = 4  # bold, thin border
TOTAL_AMOUNT = 5  # bold, thin border, #,##0
AMOUNT = 6  # #,##0 only
TITLE = 7  # bold

_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>
<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="8">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="164" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="164" fontId="1" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyFont="1" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""  # noqa: E501 - XML, one element a line

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LETTERS = [chr(ord("A") + i) for i in range(26)]

Value = str | int | None


def column_letter(index: int) -> str:
    """``0`` → ``A``, ``25`` → ``Z``, ``26`` → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = _LETTERS[rest] + letters
    return letters


@dataclass
class Sheet:
    """One worksheet: rows of (value, style) cells and its page set-up."""

    title: str
    widths: Sequence[float] = ()
    freeze_rows: int = 0
    landscape: bool = False
    print_title_row: int | None = None
    rows: list[str] = field(default_factory=list)
    _letters: list[str] = field(default_factory=list)

    def append(self, cells: Iterable[tuple[Value, int]]) -> None:
        """Add a row; ``None`` leaves a cell empty (styled, if it has a style)."""
        number = len(self.rows) + 1
        parts = [f'<row r="{number}">']
        for index, (value, style) in enumerate(cells):
            if index >= len(self._letters):
                self._letters.append(column_letter(index))
            ref = f"{self._letters[index]}{number}"
            s = f' s="{style}"' if style else ""
            if value is None or value == "":
                if style:
                    parts.append(f'<c r="{ref}"{s}/>')
            elif isinstance(value, int):
                parts.append(f'<c r="{ref}"{s}><v>{value}</v></c>')
            else:
                text = escape(_CONTROL.sub("", value))
                parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        parts.append("</row>")
        self.rows.append("".join(parts))

    def xml(self) -> str:
        """The worksheet part."""
        view = ""
        if self.freeze_rows:
            top = f"A{self.freeze_rows + 1}"
            view = (
                f'<pane ySplit="{self.freeze_rows}" topLeftCell="{top}" activePane="bottomLeft"'
                ' state="frozen"/>'
                f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
            )
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(self.widths, start=1)
        )
        page = '<pageSetup paperSize="9" orientation="landscape"/>' if self.landscape else ""
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheetViews><sheetView workbookViewId="0">{view}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"{f'<cols>{cols}</cols>' if cols else ''}"
            f"<sheetData>{''.join(self.rows)}</sheetData>"
            '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
            f"{page}</worksheet>"
        )


def workbook(sheets: Sequence[Sheet], description: str | None = None) -> bytes:
    """The XLSX file of ``sheets`` (in order; the first is the active one); ``description`` goes into
    the document's properties (``docProps/core.xml``, shown by spreadsheet programs as its comments)."""
    names = "".join(
        f'<sheet name="{escape(s.title, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, start=1)
    )
    defined = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
        f"'{escape(s.title.replace(chr(39), chr(39) * 2))}'!${s.print_title_row}:${s.print_title_row}"
        "</definedName>"
        for i, s in enumerate(sheets)
        if s.print_title_row
    )
    book = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{names}</sheets>{f'<definedNames>{defined}</definedNames>' if defined else ''}</workbook>"
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    styles_id = len(sheets) + 1
    book_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{sheet_rels}"
        f'<Relationship Id="rId{styles_id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/></Relationships>'
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}"
        '<Override PartName="/docProps/core.xml" ContentType="application/'
        'vnd.openxmlformats-package.core-properties+xml"/></Types>'
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:description>{escape(description or '')}</dc:description></cp:coreProperties>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/></Relationships>'
    )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        # A fixed timestamp: the same roster gives the same bytes.
        def put(name: str, text: str) -> None:
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"), compresslevel=1)

        put("[Content_Types].xml", types)
        put("_rels/.rels", root_rels)
        put("docProps/core.xml", core)
        put("xl/workbook.xml", book)
        put("xl/_rels/workbook.xml.rels", book_rels)
        put("xl/styles.xml", _STYLES)
        for i, sheet in enumerate(sheets, start=1):
            put(f"xl/worksheets/sheet{i}.xml", sheet.xml())
    return buffer.getvalue()
