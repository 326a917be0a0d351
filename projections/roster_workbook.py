"""The roster as an XLSX workbook an officer prints and the beneficiaries sign — bảng tính danh sách
chi trả, written with XlsxWriter row by row in constant-memory mode (each row goes to a temporary file
as soon as the next begins; :class:`FastCells` writes a commune's table of people as one string of the
XML XlsxWriter would write for it, which halves the time of a 100,000-line roster).

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

The file says which view of the month it is (:attr:`Roster.view`). The outstanding view — what is still
to pay, what an issued roster freezes — is the layout below, every line to sign. The month view (every
line due in the month with its status) adds, so that no one pays a line twice: the view's heading under
the title (:meth:`Roster.heading`: "… — tình trạng đến ngày dd/mm/yyyy"); a "Tình trạng" column before
"Ký nhận" (:data:`MONTH_COLUMNS`, as wide in all: the item column gives it the room) holding each row's
status — a person's row the line's, an item's row the item's; a line whose items differ in status (partly
paid) has its person's row without an item and a row for every item, so that each amount stands beside
its own status; "Đã chi" in "Ký nhận" of a paid line (the date of the payment is not on the roster's
items); under the total, "Trong đó đã chi" and "Còn phải chi" (issued or outstanding) as ``=SUMIF()``
of "Số tiền" over the status column; and a "Còn phải chi" group on the summary.

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
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import xlsxwriter
from xlsxwriter.worksheet import CellStringTuple, Worksheet

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
from projections.rosters import ISSUED, MONTH_VIEW, OUTSTANDING, PAID, STATUS_LABELS

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
HEADINGS = tuple(heading for heading, _ in COLUMNS)
STATUS_HEADING = "Tình trạng"
# The month view's columns: a line's status before the signature (the item column gives it the room, so
# the sheet is as wide as the outstanding view's).
MONTH_COLUMNS = (
    *COLUMNS[:ITEM],
    ("Khoản chi", 58),
    *COLUMNS[ITEM + 1 : SIGN],
    (STATUS_HEADING, 14),
    COLUMNS[SIGN],
)
MONTH_STATUS, MONTH_SIGN = SIGN, SIGN + 1
MONTH_HEADINGS = tuple(heading for heading, _ in MONTH_COLUMNS)
PAID_SIGN = STATUS_LABELS[PAID]  # "Đã chi" in "Ký nhận": a paid line is not signed for again

# The summary sheet: STT, commune, then people and amount for all, cash and bank.
SUMMARY_WIDTHS = (5, 34, 10, 16, 10, 16, 10, 16)
SUMMARY_GROUPS = (("Tổng số", None), (CHANNEL_LABELS["cash"], "cash"), (CHANNEL_LABELS["bank"], "bank"))
SUMMARY_TITLE = "Tổng hợp"
STILL_TO_PAY = "Còn phải chi"  # the month view's summary group: people not paid, amount not paid yet


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


class FastCells(Worksheet):  # type: ignore[misc]  # xlsxwriter has no type information
    """XlsxWriter's worksheet with a shorter path for the table of a roster: :meth:`put_rows` writes a
    block of rows of numbers, inline strings and blanks, each with a format, as one string of XML — the
    XML XlsxWriter writes for them (``tests/unit/test_roster_workbook.py`` compares the two, byte for
    byte) without a Python call per cell: the cells are the bulk of a 100,000-line roster's time. A
    string XlsxWriter would change (XML's special characters, a control character or what looks like
    its ``_xHHHH_`` escape, leading or trailing whitespace, a rich string) goes through its own cell
    writer; every other row of the sheet (letterhead, headings, totals) through its public API.
    (It uses private parts of XlsxWriter 3.3 — the constant-memory row file, ``_write_single_row``,
    ``_write_cell``: the comparison test says when they change.)"""

    fh: Any  # where XlsxWriter writes the rows' XML (in constant-memory mode: the sheet's row file)

    def put_rows(self, first: int, rows: Sequence[Row]) -> int:
        """Write ``rows`` (height in points, cells ``(column, value, format)``: an int, a str, ``None``
        for a blank) from row ``first`` on, in constant-memory mode; returns the next row."""
        if not rows:
            return first
        self._write_single_row(first)  # the row before them goes out first
        tags = _ROW_TAGS
        letters = _LETTERS
        needs_care = _NEEDS_CARE.search
        safe: set[str] = set()  # strings seen (the labels repeat on every row)
        parts: list[str] = []
        append = parts.append
        row = first
        for height, cells in rows:
            number = row + 1
            tag = tags.get(height) or _row_tag(height)
            append(f'<row r="{number}"{tag}>')
            for col, value, style in cells:
                xf = style._get_xf_index()  # noqa: SLF001 - as XlsxWriter's own _write_cell
                if value is None:
                    append(f'<c r="{letters[col]}{number}" s="{xf}"/>')
                elif not isinstance(value, str):
                    append(f'<c r="{letters[col]}{number}" s="{xf}"><v>{value:.16G}</v></c>')
                elif value in safe or not needs_care(value):
                    safe.add(value)
                    append(
                        f'<c r="{letters[col]}{number}" s="{xf}" t="inlineStr"><is><t>{value}</t></is></c>'
                    )
                else:
                    append(self._careful(row, col, value, style))
            append("</row>")
            row += 1
        self.fh.write("".join(parts))
        last_col = max(cells[-1][0] for _, cells in rows)  # a row's cells go left to right
        self._check_dimensions(first, 0)
        self._check_dimensions(row - 1, last_col)
        self.previous_row = row  # nothing of theirs is pending
        return row

    def _careful(self, row: int, col: int, value: str, style: Format) -> str:
        """A string cell as XlsxWriter writes it (escaped, whitespace kept)."""
        fh = self.fh
        self.fh = io.StringIO()
        try:
            Worksheet._write_cell(self, row, col, CellStringTuple(value, style))  # noqa: SLF001
            return str(self.fh.getvalue())
        finally:
            self.fh = fh


Cell = tuple[int, "int | str | None", "Format"]
Row = tuple[float, list[Cell]]
_LETTERS = [xlsxwriter.utility.xl_col_to_name(col) for col in range(32)]
_ROW_TAGS: dict[float, str] = {}


def _row_tag(height: float) -> str:
    """The ``<row>`` element's attributes for a row ``height`` points tall, as XlsxWriter writes them
    (the height in whole pixels, then back in points)."""
    pixels = int(height * 4.0 / 3.0 + 0.5)
    tag = f' ht="{pixels * 0.75:.16g}" customHeight="1"'
    _ROW_TAGS[height] = tag
    return tag


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
            made = self._book.add_format(properties)
            made._get_xf_index()  # noqa: SLF001 - its index now: the same whichever way a sheet is written
            self._made[key] = made
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
    sheet: Worksheet,
    fmt: _Formats,
    unit: Sequence[str],
    title: str,
    subtitle: str,
    last_col: int,
    view_line: str | None = None,
) -> int:
    """The unit on the left and quốc hiệu on the right, a blank row, the title, (what the view is,) and
    the subtitle; returns the next row."""
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
    row = 4
    if view_line:
        sheet.set_row(row, 18)
        sheet.merge_range(row, 0, row, last_col, view_line, fmt(bold=True, font_size=12, align="center"))
        row += 1
    sheet.set_row(row, 16)
    sheet.merge_range(row, 0, row, last_col, subtitle, fmt(italic=True, align="center"))
    return row + 1


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
    columns on an item row) no top border, the last one a bottom border. The month view
    (``roster.view == MONTH_VIEW``) has a status column before the signature's."""

    def __init__(self, sheet: Worksheet, fmt: _Formats, *, month_view: bool) -> None:
        self.sheet = sheet
        self.fmt = fmt
        self.columns = MONTH_COLUMNS if month_view else COLUMNS
        self.status = MONTH_STATUS if month_view else None
        self.sign = MONTH_SIGN if month_view else SIGN
        self.last = len(self.columns) - 1
        self.item_width = self.columns[ITEM][1]
        person = [STT, NAME, CCCD, NET, CHANNEL, self.sign]
        if self.status is not None:
            person.insert(-1, self.status)
        self.person_columns = tuple(person)  # left open between a person's rows
        self.paid_lines = 0  # of the month view's lines written so far (by_status counts them)
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
        for col, (heading, _) in enumerate(self.columns):
            self.sheet.write_string(row, col, heading, style)
        return row + 1

    def _height(self, line: RosterLine, item_text: str) -> float:
        lines = _lines_of_text(item_text, self.item_width)
        if len(line.full_name) > COLUMNS[NAME][1]:
            lines = max(lines, _lines_of_text(line.full_name, COLUMNS[NAME][1]))
        return max(SIGN_HEIGHT if line.channel == "cash" else ITEM_HEIGHT, lines * LINE_HEIGHT + 3)

    def rows(self, number: int, line: RosterLine, net: int) -> list[Row]:
        """A person's rows: the person's — STT, name, CCCD, their first item and its amount, the net
        amount, the channel, (the line's status,) the signature cell — then one per further item.

        On the month view a row's status is its item's, so that the status column sums the amounts
        (``SUMIF``): a line whose items differ in status (partly paid) has the person's row without
        an item, then a row for every item. A paid line's signature cell says it was paid."""
        items = line.items
        status = self.status
        uniform = status is None or len(items) == 1 or len({i.status for i in items}) == 1
        inline = items[:1] if uniform else []
        single = len(items) == 1 and uniform
        text, centred, amount = self.closed if single else self.open_below
        item_text = item_label(inline[0], short=True) if inline else ""
        cells: list[Cell] = [
            (STT, number, centred),
            (NAME, line.full_name, text),
            (CCCD, line.citizen_id or "", text),
            (ITEM, item_text, self.text),
            (ITEM_AMOUNT, inline[0].amount if inline else None, self.amount),
            (NET, net, amount),
            (CHANNEL, CHANNEL_LABELS.get(line.channel, line.channel), text),
        ]
        paid = False
        if status is not None:
            line_status = line.status
            paid = line_status == PAID
            self.paid_lines += paid
            cells.append((status, STATUS_LABELS[line_status], text))
        cells.append((self.sign, PAID_SIGN if paid else None, text))
        out: list[Row] = [(self._height(line, item_text), cells)]
        further = items[len(inline) :]
        for index, item in enumerate(further, start=1):
            out.append(self.item(item, last=index == len(further)))
        return out

    def item(self, item: RosterItem, *, last: bool) -> Row:
        """A further item of the person above: its description and amount (and status), the person's
        cells left open."""
        text = item_label(item, short=True)
        open_cell = self.open_last if last else self.open_cell
        cells: list[Cell] = [(col, None, open_cell) for col in self.person_columns]
        cells[3:3] = [(ITEM, text, self.text), (ITEM_AMOUNT, item.amount, self.amount)]
        if self.status is not None:
            cells[-2] = (self.status, STATUS_LABELS[item.status], self.text)
        return max(ITEM_HEIGHT, _lines_of_text(text, self.item_width) * LINE_HEIGHT + 3), cells

    def put(self, row: int, rows: Sequence[Row]) -> int:
        """Write ``rows`` from ``row`` on (in bulk on a :class:`FastCells` sheet, else cell by cell with
        XlsxWriter's public API); returns the next row."""
        sheet = self.sheet
        if isinstance(sheet, FastCells):
            return sheet.put_rows(row, rows)
        for height, cells in rows:
            if height != SIGN_HEIGHT:
                sheet.set_row(row, height)
            for col, value, style in cells:
                if value is None:
                    sheet.write_blank(row, col, None, style)
                elif isinstance(value, int):
                    sheet.write_number(row, col, value, style)
                else:
                    sheet.write_string(row, col, value, style)
            row += 1
        return row

    def total(self, row: int, first: int, people: int, total: int, label: str) -> int:
        """``Cộng …: n người`` and the two amount columns' ``=SUM()``; returns the next row."""
        self.sheet.set_row(row, LINE_HEIGHT + 5)
        self.sheet.write_blank(row, STT, None, self.bold)
        self.sheet.merge_range(row, NAME, row, ITEM, f"{label}: {people} người", self.bold)
        for col in (ITEM_AMOUNT, NET):
            self.sheet.write_formula(row, col, _column_sum(col, first, row - 1), self.total_amount, total)
        for col in range(CHANNEL, self.last + 1):
            self.sheet.write_blank(row, col, None, self.bold)
        return row + 1

    def by_status(self, row: int, first: int, last: int, lines: Sequence[RosterLine]) -> int:
        """The month view's totals by status under the total: ``Trong đó đã chi: n người`` and ``Còn
        phải chi: n người`` (issued or outstanding), each the ``=SUMIF()`` of "Số tiền" over the status
        column (its value cached); returns the next row."""
        assert self.status is not None  # noqa: S101 - only the month view has one
        statuses = _STILL_TO_PAY
        paid_lines = self.paid_lines
        amounts = dict.fromkeys((PAID, *statuses), 0)
        for line in lines:
            for item in line.items:
                amounts[item.status] += item.amount
        groups = (
            (f"Trong đó đã chi: {paid_lines} người", (PAID,), amounts[PAID]),
            (f"Còn phải chi: {len(lines) - paid_lines} người", statuses, sum(amounts[s] for s in statuses)),
        )
        for label, which, value in groups:
            self.sheet.set_row(row, LINE_HEIGHT + 5)
            self.sheet.write_blank(row, STT, None, self.bold)
            self.sheet.merge_range(row, NAME, row, ITEM, label, self.bold)
            formula = _status_sum(ITEM_AMOUNT, self.status, first, last, which)
            self.sheet.write_formula(row, ITEM_AMOUNT, formula, self.total_amount, value)
            for col in range(NET, self.last + 1):
                self.sheet.write_blank(row, col, None, self.bold)
            row += 1
        return row


_STILL_TO_PAY = (OUTSTANDING, ISSUED)


def _status_sum(col: int, status_col: int, first: int, last: int, statuses: Sequence[str]) -> str:
    """``=SUMIF(H8:H52,"Đã chi",E8:E52)+…``: column ``col`` over the rows whose status is one of
    ``statuses``; ``=0`` over no rows."""
    if last < first:
        return "=0"
    within = f"{_cell(first, status_col)}:{_cell(last, status_col)}"
    summed = f"{_cell(first, col)}:{_cell(last, col)}"
    return "=" + "+".join(f'SUMIF({within},"{STATUS_LABELS[s]}",{summed})' for s in statuses)


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
    month_view = roster.view == MONTH_VIEW
    writer = _CommuneSheet(sheet, fmt, month_view=month_view)
    for col, (_, width) in enumerate(writer.columns):
        sheet.set_column(col, col, width)
    name = commune_name(code)
    total = sum(nets[id(line)] for line in lines)
    subtitle = f"{name} ({code}) — {len(lines)} người, tổng số tiền {format_vnd(total)} đ"
    unit = letterhead(None, code, lines)
    row = _letterhead_rows(
        sheet, fmt, unit, roster_title(roster.month, roster.status), subtitle, writer.last, _view_line(roster)
    )
    heading = row
    row = writer.headings(row)
    _page_setup(sheet, (heading, heading), _footer_checkpoint(checkpoint), _footer_place(name, roster))
    first = row
    rows: list[Row] = []
    for number, line in enumerate(lines, start=1):
        rows.extend(writer.rows(number, line, nets[id(line)]))
    row = writer.put(row, rows)
    last = row - 1
    row = writer.total(row, first, len(lines), total, f"Cộng {name}")
    if month_view:
        row = writer.by_status(row, first, last, lines)
    spans = ((NAME, CCCD), (ITEM, NET), (CHANNEL, writer.last))
    row = _signature_block(sheet, fmt, row, spans)
    _checkpoint_rows(sheet, fmt, row, checkpoint)


def _view_line(roster: Roster) -> str | None:
    """What the month view is, under the title: "Danh sách chi trả tháng 08/2024 — tình trạng đến ngày
    20/08/2024" (:meth:`Roster.heading`); the outstanding view has none (all its lines are to pay)."""
    return roster.heading() if roster.view == MONTH_VIEW else None


def _channel_figures(lines: Sequence[RosterLine], nets: dict[int, int], *, month_view: bool) -> list[int]:
    """People and amount in all, in cash, by bank transfer (the order of :data:`SUMMARY_GROUPS`); on the
    month view then those still to pay (:data:`STILL_TO_PAY`: lines not paid, items not paid)."""
    figures = [0] * (2 * len(SUMMARY_GROUPS))
    at = {channel: 2 * index for index, (_, channel) in enumerate(SUMMARY_GROUPS) if channel}
    for line in lines:
        net = nets[id(line)]
        figures[0] += 1  # the first group is all of them
        figures[1] += net
        index = at.get(line.channel)
        if index is not None:
            figures[index] += 1
            figures[index + 1] += net
    if month_view:
        figures.append(sum(1 for line in lines if line.status != PAID))
        figures.append(sum(i.amount for line in lines for i in line.items if i.status != PAID))
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
    month_view = roster.view == MONTH_VIEW
    labels = [label for label, _ in SUMMARY_GROUPS] + ([STILL_TO_PAY] if month_view else [])
    widths = (*SUMMARY_WIDTHS, *(SUMMARY_WIDTHS[-2:] if month_view else ()))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    last_col = len(widths) - 1
    per_commune = {
        code: _channel_figures(lines, nets, month_view=month_view) for code, lines in by_commune.items()
    }
    empty = [0] * (2 * len(labels))
    grand = [sum(column) for column in zip(*per_commune.values(), strict=True)] or empty
    subtitle = f"{len(by_commune)} xã/phường — {grand[0]} người, tổng số tiền {format_vnd(grand[1])} đ"
    unit = letterhead(None, roster.scope.commune_code, roster.lines)
    title = f"TỔNG HỢP {roster_title(roster.month, roster.status)}"
    row = _letterhead_rows(sheet, fmt, unit, title, subtitle, last_col, _view_line(roster))
    heading = fmt.boxed(bold=True, align="center", valign="vcenter", bg_color="#EEEEEE")
    sheet.set_row(row, 18)
    upper = fmt.boxed(bottom=0, bold=True, align="center", bg_color="#EEEEEE")
    sheet.write_string(row, 0, "STT", upper)
    sheet.write_string(row, 1, "Xã/phường", upper)
    for index, label in enumerate(labels):
        sheet.merge_range(row, 2 + 2 * index, row, 3 + 2 * index, label, heading)
    sheet.set_row(row + 1, 18)
    sheet.write_blank(row + 1, 0, None, fmt.boxed(top=0, bg_color="#EEEEEE"))
    sheet.write_blank(row + 1, 1, None, fmt.boxed(top=0, bg_color="#EEEEEE"))
    for index in range(len(labels)):
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
    row = _signature_block(sheet, fmt, row + 1, ((0, 1), (2, 5), (6, last_col)))
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
    properties: dict[str, str | datetime] = {"title": roster_title(roster.month)}
    if roster.moment:  # the moment the roster shows, not the download's: the same roster, the same bytes
        properties["created"] = datetime.fromisoformat(roster.moment)
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
