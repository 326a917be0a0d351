"""The roster as an XLSX workbook an officer prints and the beneficiaries sign — bảng tính danh sách
chi trả, written with XlsxWriter row by row in constant-memory mode (each row goes to a temporary file
as soon as the next begins; :class:`FastCells` writes the cells' XML).

The workbook: a summary sheet "Tổng hợp" first, then one sheet per commune. Every sheet prints on A4
landscape, one page wide (as many pages tall as it takes), the column heading rows repeated at the top
of every page, page numbers ("Trang 1/2") and, for an issued roster, its checkpoint (short form: root
hash prefix / tree size) in the footer. Each sheet opens with the letterhead of
:mod:`projections.roster_paper` — the unit on the left, quốc hiệu and tiêu ngữ on the right — and the
title; it closes with the totals as ``=SUM()`` formulas (their value cached, so a reader that does not
recalculate shows it), the signature block (Người lập biểu / Kế toán / Thủ trưởng đơn vị) and the
issued roster's full checkpoint note. Amounts are numbers with the ``#,##0`` format in the Vietnamese
locale (``[$-42A]``: 1.234.567 in LibreOffice whatever its locale; Excel uses the system's separators).
The summary has a row per commune: people and amount in all, in cash and by bank transfer.

A commune sheet's columns: STT · Họ và tên · Số CCCD · Khoản chi · Số tiền (đ) · Thực nhận (đ) ·
Hình thức · Ký nhận. A person is one block of rows:

* the person's row: STT, name, CCCD, their first item (the scheme's Vietnamese name without its legal
  reference, the kind of item, its month) and its amount in "Số tiền", the net amount in "Thực nhận",
  the channel and the signature cell;
* one row per further item beneath it (arrears, a recovery), with only the item's description and
  amount; the cells of the person's columns are left open between the rows, so the block reads as one
  person with one signature.

"Số tiền" holds one figure per item and "Thực nhận" one per person, so both columns sum to the
commune's total (both totals are formulas). A cash line's row is tall enough to sign in "Ký nhận" (7
mm; a 40-person commune prints on two pages); wrapped text makes a row taller. Each kind of row is
written by one method of :class:`_CommuneSheet` (headings, person, item, total), so a further column (a
line's status) is added in one place: its heading in :data:`COLUMNS`, its cell in ``person``.
"""

from __future__ import annotations

import io
import math
import re
from functools import cache
from typing import TYPE_CHECKING, Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

from domain.labels import CHANNEL_LABELS
from domain.values import format_vnd
from ledger.adapters.communes import commune_name
from ledger.bulk import fewer_collections
from projections.roster_paper import (
    NATIONAL_HEADING,
    SIGNATURES,
    SIGNING_DATE,
    checkpoint_lines,
    item_label,
    letterhead,
    period_label,
    roster_title,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from xlsxwriter.format import Format

    from projections.rosters import Roster, RosterItem, RosterLine

FONT = "Times New Roman"
AMOUNT_FORMAT = "[$-42A]#,##0"  # #,##0 in the Vietnamese locale: 1.234.567 (Excel: the system's separators)
A4 = 9
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.45, "bottom": 0.55}  # inches
HEADER_MARGIN = 0.25
FOOTER_MARGIN = 0.3
TEXT_SIZE = 10  # points: the table's text (the letterhead and headings 11)
LINE_HEIGHT = 12.5  # points a line of the table's text takes
SIGN_HEIGHT = 19.5  # points (7 mm): room for a signature in a cash line's "Ký nhận"
ITEM_HEIGHT = 15.0  # a further item's row, a bank line's row
HEADING_HEIGHT = 27.0

# The commune sheet's columns: heading, width (characters).
COLUMNS = (
    ("STT", 4.5),
    ("Họ và tên", 22),
    ("Số CCCD", 13.5),
    ("Khoản chi", 72),
    ("Số tiền (đ)", 11),
    ("Thực nhận (đ)", 12),
    ("Hình thức", 11),
    ("Ký nhận", 18),
)
STT, NAME, CCCD, ITEM, ITEM_AMOUNT, NET, CHANNEL, SIGN = range(len(COLUMNS))
LAST = len(COLUMNS) - 1
PERSON_COLUMNS = (STT, NAME, CCCD, NET, CHANNEL, SIGN)  # left open between a person's rows
HEADINGS = tuple(heading for heading, _ in COLUMNS)

# The summary sheet: STT, commune, then people and amount for all, cash and bank.
SUMMARY_WIDTHS = (5, 34, 10, 16, 10, 16, 10, 16)
SUMMARY_GROUPS = (("Tổng số", None), (CHANNEL_LABELS["cash"], "cash"), (CHANNEL_LABELS["bank"], "bank"))
SUMMARY_TITLE = "Tổng hợp"


def _cell(row: int, col: int) -> str:
    return xlsxwriter.utility.xl_rowcol_to_cell(row, col)  # type: ignore[no-any-return]


def _column_sum(col: int, first: int, last: int) -> str:
    """``=SUM(F8:F52)`` over rows ``first``..``last`` (0-based); ``=0`` over no rows."""
    if last < first:
        return "=0"
    return f"=SUM({_cell(first, col)}:{_cell(last, col)})"


@cache
def _lines_of_text(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide (an estimate: XLSX keeps
    row heights, it does not compute them)."""
    per_line = max(1, int(width * 1.65))  # 10 pt Times New Roman: about 1.7 characters a unit
    return max(1, sum(math.ceil(max(1, len(part)) / per_line) for part in text.split("\n")))


def _footer_text(text: str) -> str:
    return text.replace("&", "&&")


def sheet_title(code: str) -> str:
    """A sheet's name: ``26041 Phường Trấn Biên`` without the characters a sheet name refuses, at most
    31 characters."""
    name = f"{code} {commune_name(code)}"
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31]


# An inline string XlsxWriter would change: XML's special characters, control characters and what looks
# like their _xHHHH_ escape, the two non-characters, leading or trailing whitespace, a rich string.
_NEEDS_CARE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$|^<r>")

_FAST = (CellNumberTuple, CellStringTuple, CellBlankTuple)


class FastCells(Worksheet):  # type: ignore[misc]  # xlsxwriter has no type information
    """XlsxWriter's worksheet with a shorter path for the three kinds of cell a roster has — a number,
    a (shared) string, a blank, each with a format — which writes exactly the XML XlsxWriter writes
    for them (``tests/unit/test_roster_workbook.py`` compares the two) in a third of the time: the
    cells are the bulk of a 100,000-line roster's time. Anything else — another kind of cell, a cell
    without a format, an inline string XlsxWriter would escape — goes through its own ``_write_cell``.
    (It overrides a private method of XlsxWriter 3.3: the comparison test says when that changes.)"""

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        kind = type(cell)
        if (
            cell.format is None
            or kind not in _FAST
            or (kind is CellStringTuple and self.constant_memory and _NEEDS_CARE.search(cell.string))
        ):
            super()._write_cell(row, col, cell)  # escapes, whitespace to preserve, other kinds of cell
            return
        ref = xl_rowcol_to_cell_fast(row, col)
        xf = cell.format._get_xf_index()  # noqa: SLF001 - as XlsxWriter's own _write_cell
        if kind is CellNumberTuple:
            self.fh.write(f'<c r="{ref}" s="{xf}"><v>{cell.number:.16G}</v></c>')
        elif kind is CellBlankTuple:
            self.fh.write(f'<c r="{ref}" s="{xf}"/>')
        elif self.constant_memory:
            self.fh.write(f'<c r="{ref}" s="{xf}" t="inlineStr"><is><t>{cell.string}</t></is></c>')
        else:
            self.fh.write(f'<c r="{ref}" s="{xf}" t="s"><v>{cell.string}</v></c>')


SHEET_CLASS: type[Worksheet] = FastCells
"""The worksheet class the workbook's sheets are made of (a test sets XlsxWriter's own to compare)."""


class _Formats:
    """The workbook's cell formats, made once each (XlsxWriter keeps one per distinct set of
    properties)."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self._book = book
        self._made: dict[tuple[tuple[str, Any], ...], Format] = {}

    def __call__(self, **properties: Any) -> Format:
        properties = {"font_name": FONT, "font_size": 11, "valign": "top", **properties}
        key = tuple(sorted(properties.items()))
        if key not in self._made:
            self._made[key] = self._book.add_format(properties)
        return self._made[key]

    def boxed(self, *, top: int = 1, bottom: int = 1, **properties: Any) -> Format:
        """A table cell: thin borders (``top``/``bottom`` 0 to leave the cell open to the next row)."""
        properties = {"font_size": TEXT_SIZE, **properties}
        return self(left=1, right=1, top=top, bottom=bottom, text_wrap=True, **properties)


def _page_setup(sheet: Worksheet, heading_rows: tuple[int, int], footer_left: str, footer_right: str) -> None:
    """A4 landscape, one page wide, the heading rows on every page, page numbers in the footer."""
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    sheet.set_margins(**MARGINS)
    sheet.repeat_rows(*heading_rows)
    sheet.set_footer(
        f"&L&8{_footer_text(footer_left)}&C&10Trang &P/&N&R&8{_footer_text(footer_right)}",
        {"margin": FOOTER_MARGIN},
    )
    sheet.freeze_panes(heading_rows[1] + 1, 0)


def _footer_checkpoint(checkpoint: dict[str, Any] | None) -> str:
    """The checkpoint in the footer: its short form (root hash prefix / tree size); a footer holds at
    most 255 characters, so the full note goes below the signature block instead."""
    return f"Điểm kiểm tra sổ cái: {checkpoint['short']}"[:100] if checkpoint else ""


def _footer_place(place: str, roster: Roster) -> str:
    """``Phường Trấn Biên — tháng 08/2024``: the footer's right, which sheet of which month."""
    return f"{place} — tháng {period_label(str(roster.month))}"


def _letterhead_rows(
    sheet: Worksheet, fmt: _Formats, unit: Sequence[str], title: str, subtitle: str, last_col: int
) -> int:
    """The unit on the left and quốc hiệu on the right, a blank row, the title and its subtitle;
    returns the next row."""
    split = 2 if last_col >= 6 else 1
    right = 4 if last_col >= 6 else 2
    for row in range(2):
        left_text = unit[row] if row < len(unit) else ""
        underline = row == len(unit) - 1
        sheet.set_row(row, 15)
        sheet.merge_range(row, 0, row, split, left_text, fmt(bold=True, align="center", underline=underline))
        national = fmt(bold=True, align="center", underline=row == 1)
        sheet.merge_range(row, right, row, last_col, NATIONAL_HEADING[row], national)
    sheet.set_row(2, 5)
    sheet.set_row(3, 21)
    big = fmt(bold=True, font_size=14, align="center", valign="vcenter")
    sheet.merge_range(3, 0, 3, last_col, title, big)
    sheet.set_row(4, 16)
    sheet.merge_range(4, 0, 4, last_col, subtitle, fmt(italic=True, align="center"))
    return 5


def _signature_block(sheet: Worksheet, fmt: _Formats, row: int, spans: Sequence[tuple[int, int]]) -> int:
    """Người lập biểu / Kế toán / Thủ trưởng đơn vị (the date above the last), each with its hint and
    room to sign; returns the next row."""
    sheet.set_row(row, 8)
    row += 1
    first, last = spans[-1]
    sheet.merge_range(row, first, row, last, SIGNING_DATE, fmt(italic=True, align="center"))
    row += 1
    for (first, last), (role, _) in zip(spans, SIGNATURES, strict=True):
        sheet.merge_range(row, first, row, last, role, fmt(bold=True, align="center"))
    row += 1
    for (first, last), (_, hint) in zip(spans, SIGNATURES, strict=True):
        sheet.merge_range(row, first, row, last, hint, fmt(italic=True, font_size=10, align="center"))
    sheet.set_row(row + 1, 48)  # the signatures themselves
    return row + 2


def _checkpoint_rows(sheet: Worksheet, fmt: _Formats, row: int, checkpoint: dict[str, Any] | None) -> int:
    """The issued roster's checkpoint, in full, one line of the note a row; returns the next row."""
    style = fmt(font_name="Courier New", font_size=7)
    for text in checkpoint_lines(checkpoint):
        sheet.set_row(row, 9)
        sheet.write_string(row, 0, text, style)
        row += 1
    return row


class _CommuneSheet:
    """One commune's sheet, written top to bottom (constant-memory mode keeps only the current row).

    The formats are made once: ``closed`` cells have all four borders, ``open_below`` cells (a person's
    row with item rows under it) no bottom border, ``open_cell`` / ``open_last`` cells (the person's
    columns on an item row) no top border, the last one a bottom border."""

    def __init__(self, sheet: Worksheet, fmt: _Formats) -> None:
        self.sheet = sheet
        self.fmt = fmt
        self.text = fmt.boxed()
        self.amount = fmt.boxed(num_format=AMOUNT_FORMAT)
        self.total_amount = fmt.boxed(num_format=AMOUNT_FORMAT, bold=True)
        self.bold = fmt.boxed(bold=True)
        self.closed = self._person_formats(fmt, bottom=1)
        self.open_below = self._person_formats(fmt, bottom=0)
        self.open_cell = fmt.boxed(top=0, bottom=0)
        self.open_last = fmt.boxed(top=0, bottom=1)

    @staticmethod
    def _person_formats(fmt: _Formats, bottom: int) -> tuple[Format, Format, Format]:
        """Plain text, centred, bold amount."""
        return (
            fmt.boxed(bottom=bottom),
            fmt.boxed(bottom=bottom, align="center"),
            fmt.boxed(bottom=bottom, num_format=AMOUNT_FORMAT, bold=True),
        )

    def headings(self, row: int) -> int:
        style = self.fmt.boxed(bold=True, align="center", valign="vcenter", bg_color="#EEEEEE")
        self.sheet.set_row(row, HEADING_HEIGHT)
        for col, heading in enumerate(HEADINGS):
            self.sheet.write_string(row, col, heading, style)
        return row + 1

    @staticmethod
    def _height(line: RosterLine, item_text: str) -> float:
        lines = _lines_of_text(item_text, COLUMNS[ITEM][1])
        if len(line.full_name) > COLUMNS[NAME][1]:
            lines = max(lines, _lines_of_text(line.full_name, COLUMNS[NAME][1]))
        return max(SIGN_HEIGHT if line.channel == "cash" else ITEM_HEIGHT, lines * LINE_HEIGHT + 3)

    def person(self, row: int, number: int, line: RosterLine, net: int) -> int:
        """The person's row — STT, name, CCCD, their first item and its amount, the net amount, the
        channel, the signature cell — then one row per further item; returns the next row."""
        single = len(line.items) == 1
        text, centred, amount = self.closed if single else self.open_below
        sheet = self.sheet
        first = line.items[0]
        item_text = item_label(first, short=True)
        height = self._height(line, item_text)
        if height != SIGN_HEIGHT:
            sheet.set_row(row, height)
        sheet.write_number(row, STT, number, centred)
        sheet.write_string(row, NAME, line.full_name, text)
        sheet.write_string(row, CCCD, line.citizen_id or "", text)
        sheet.write_string(row, ITEM, item_text, self.text)
        sheet.write_number(row, ITEM_AMOUNT, first.amount, self.amount)
        sheet.write_number(row, NET, net, amount)
        sheet.write_string(row, CHANNEL, CHANNEL_LABELS.get(line.channel, line.channel), text)
        sheet.write_blank(row, SIGN, None, text)
        row += 1
        for index, item in enumerate(line.items[1:], start=2):
            row = self.item(row, item, last=index == len(line.items))
        return row

    def item(self, row: int, item: RosterItem, *, last: bool) -> int:
        """A further item of the person above: its description and amount, the person's cells left
        open; returns the next row."""
        text = item_label(item, short=True)
        self.sheet.set_row(row, max(ITEM_HEIGHT, _lines_of_text(text, COLUMNS[ITEM][1]) * LINE_HEIGHT + 3))
        open_cell = self.open_last if last else self.open_cell
        for col in PERSON_COLUMNS:
            self.sheet.write_blank(row, col, None, open_cell)
        self.sheet.write_string(row, ITEM, text, self.text)
        self.sheet.write_number(row, ITEM_AMOUNT, item.amount, self.amount)
        return row + 1

    def total(self, row: int, first: int, people: int, total: int, label: str) -> int:
        """``Cộng …: n người`` and the two amount columns' ``=SUM()``; returns the next row."""
        self.sheet.set_row(row, LINE_HEIGHT + 5)
        self.sheet.write_blank(row, STT, None, self.bold)
        self.sheet.merge_range(row, NAME, row, ITEM, f"{label}: {people} người", self.bold)
        for col in (ITEM_AMOUNT, NET):
            self.sheet.write_formula(row, col, _column_sum(col, first, row - 1), self.total_amount, total)
        for col in (CHANNEL, SIGN):
            self.sheet.write_blank(row, col, None, self.bold)
        return row + 1


def _commune_sheet(
    book: xlsxwriter.Workbook,
    fmt: _Formats,
    roster: Roster,
    code: str,
    lines: list[RosterLine],
    nets: dict[int, int],
    checkpoint: dict[str, Any] | None,
) -> None:
    sheet = book.add_worksheet(sheet_title(code), worksheet_class=SHEET_CLASS)
    sheet.set_default_row(SIGN_HEIGHT)  # the usual row: a cash line of one line of text
    for col, (_, width) in enumerate(COLUMNS):
        sheet.set_column(col, col, width)
    name = commune_name(code)
    total = sum(nets[id(line)] for line in lines)
    subtitle = f"{name} ({code}) — {len(lines)} người, tổng số tiền {format_vnd(total)} đ"
    unit = letterhead(None, code, lines)
    row = _letterhead_rows(sheet, fmt, unit, roster_title(roster.month, roster.status), subtitle, LAST)
    heading = row
    writer = _CommuneSheet(sheet, fmt)
    row = writer.headings(row)
    _page_setup(sheet, (heading, heading), _footer_checkpoint(checkpoint), _footer_place(name, roster))
    first = row
    for number, line in enumerate(lines, start=1):
        row = writer.person(row, number, line, nets[id(line)])
    row = writer.total(row, first, len(lines), total, f"Cộng {name}")
    row = _signature_block(sheet, fmt, row, ((NAME, CCCD), (ITEM, NET), (CHANNEL, SIGN)))
    _checkpoint_rows(sheet, fmt, row, checkpoint)


def _channel_figures(lines: Sequence[RosterLine], nets: dict[int, int]) -> list[int]:
    """People and amount in all, in cash, by bank transfer (the order of :data:`SUMMARY_GROUPS`)."""
    figures = [0] * (2 * len(SUMMARY_GROUPS))
    for line in lines:
        net = nets[id(line)]
        for index, (_, channel) in enumerate(SUMMARY_GROUPS):
            if channel is None or line.channel == channel:
                figures[2 * index] += 1
                figures[2 * index + 1] += net
    return figures


def _summary_sheet(
    book: xlsxwriter.Workbook,
    fmt: _Formats,
    roster: Roster,
    by_commune: dict[str, list[RosterLine]],
    nets: dict[int, int],
    checkpoint: dict[str, Any] | None,
) -> None:
    """Tổng hợp: one row per commune — people and amount in all, in cash and by bank transfer — and
    the totals as ``=SUM()``."""
    sheet = book.add_worksheet(SUMMARY_TITLE, worksheet_class=SHEET_CLASS)
    for col, width in enumerate(SUMMARY_WIDTHS):
        sheet.set_column(col, col, width)
    last_col = len(SUMMARY_WIDTHS) - 1
    per_commune = {code: _channel_figures(lines, nets) for code, lines in by_commune.items()}
    empty = [0] * (2 * len(SUMMARY_GROUPS))
    grand = [sum(column) for column in zip(*per_commune.values(), strict=True)] or empty
    subtitle = f"{len(by_commune)} xã/phường — {grand[0]} người, tổng số tiền {format_vnd(grand[1])} đ"
    unit = letterhead(None, roster.scope.commune_code, roster.lines)
    row = _letterhead_rows(
        sheet, fmt, unit, f"TỔNG HỢP {roster_title(roster.month, roster.status)}", subtitle, last_col
    )
    heading = fmt.boxed(bold=True, align="center", valign="vcenter", bg_color="#EEEEEE")
    sheet.set_row(row, 18)
    upper = fmt.boxed(bottom=0, bold=True, align="center", bg_color="#EEEEEE")
    sheet.write_string(row, 0, "STT", upper)
    sheet.write_string(row, 1, "Xã/phường", upper)
    for index, (label, _) in enumerate(SUMMARY_GROUPS):
        sheet.merge_range(row, 2 + 2 * index, row, 3 + 2 * index, label, heading)
    sheet.set_row(row + 1, 18)
    sheet.write_blank(row + 1, 0, None, fmt.boxed(top=0, bg_color="#EEEEEE"))
    sheet.write_blank(row + 1, 1, None, fmt.boxed(top=0, bg_color="#EEEEEE"))
    for index in range(len(SUMMARY_GROUPS)):
        sheet.write_string(row + 1, 2 + 2 * index, "Số người", heading)
        sheet.write_string(row + 1, 3 + 2 * index, "Số tiền (đ)", heading)
    _page_setup(sheet, (row, row + 1), _footer_checkpoint(checkpoint), _footer_place(SUMMARY_TITLE, roster))
    row += 2
    first = row
    text, centred = fmt.boxed(), fmt.boxed(align="center")
    amount = fmt.boxed(num_format=AMOUNT_FORMAT)
    for number, code in enumerate(sorted(by_commune), start=1):
        figures = per_commune[code]
        sheet.set_row(row, LINE_HEIGHT + 5)
        sheet.write_number(row, 0, number, centred)
        sheet.write_string(row, 1, f"{commune_name(code)} ({code})", text)
        for index, value in enumerate(figures):
            sheet.write_number(row, 2 + index, value, amount)
        row += 1
    bold, bold_amount = fmt.boxed(bold=True), fmt.boxed(bold=True, num_format=AMOUNT_FORMAT)
    sheet.set_row(row, LINE_HEIGHT + 5)
    sheet.write_blank(row, 0, None, bold)
    sheet.write_string(row, 1, "Tổng cộng", bold)
    for index, value in enumerate(grand):
        sheet.write_formula(row, 2 + index, _column_sum(2 + index, first, row - 1), bold_amount, value)
    row = _signature_block(sheet, fmt, row + 1, ((0, 1), (2, 5), (6, 7)))
    _checkpoint_rows(sheet, fmt, row, checkpoint)


def roster_xlsx(roster: Roster, checkpoint: dict[str, Any] | None = None) -> bytes:
    """The roster as an XLSX workbook: the summary sheet and one sheet per commune (see the module's
    description), the issued roster's checkpoint note in the file's properties too."""
    by_commune: dict[str, list[RosterLine]] = {}
    for line in roster.lines:
        by_commune.setdefault(line.commune_code, []).append(line)
    nets = {id(line): line.net_amount for line in roster.lines}
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    properties = {"title": roster_title(roster.month)}
    if checkpoint:
        properties["comments"] = str(checkpoint["note"])
    book.set_properties(properties)
    fmt = _Formats(book)
    with fewer_collections():  # a cell is an object: a 100,000-line roster makes about a million
        _summary_sheet(book, fmt, roster, by_commune, nets, checkpoint)
        for code, lines in sorted(by_commune.items()):
            _commune_sheet(book, fmt, roster, code, lines, nets, checkpoint)
        book.close()
    return buffer.getvalue()
