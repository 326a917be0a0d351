"""Roster files — xuất danh sách chi trả: CSV and XLSX with Vietnamese headings.

Columns: STT, Họ và tên, Số CCCD, Xã/phường, Chế độ, Số tiền, Hình thức, Ký nhận. Amounts are written
1.234.567 in CSV; in XLSX they are numbers (so the sheet can sum them) shown with a thousands format.
The XLSX has one sheet per commune plus a summary sheet; the cash roster keeps a blank signature column
(Ký nhận) for the beneficiary to sign on collection.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from ledger.communes import commune_name

if TYPE_CHECKING:
    from projections.rosters import Roster, RosterItem, RosterLine

HEADINGS = ("STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Số tiền", "Hình thức", "Ký nhận")
ITEM_LABELS = {
    "regular": "tháng",
    "arrears": "truy lĩnh",
    "carried_over": "chuyển kỳ",
    "one_off": "một lần",
    "recovery": "khấu trừ thu hồi",
}
CHANNEL_LABELS = {"cash": "Tiền mặt", "bank": "Chuyển khoản"}


def format_vnd(amount: int) -> str:
    """1234567 → ``1.234.567`` (Vietnamese thousands separator)."""
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(amount):,}".replace(",", ".")


def _period_label(period: str | None) -> str:
    if not period:
        return ""
    year, month = period.split("-")
    return f"{month}/{year}"


def describe_item(item: RosterItem) -> str:
    """A short Vietnamese description of one roster item."""
    if item.type == "recovery":
        return f"{ITEM_LABELS['recovery']} {format_vnd(-item.amount)}"
    name = item.scheme
    label = ITEM_LABELS[item.type]
    when = _period_label(item.period)
    return f"{name} {label} {when}".strip() + f": {format_vnd(item.amount)}"


def describe_line(line: RosterLine) -> str:
    """Every item of a line, in order."""
    return "; ".join(describe_item(i) for i in line.items)


def _rows(roster: Roster) -> list[tuple[int, RosterLine]]:
    return list(enumerate(roster.lines, start=1))


def roster_csv(roster: Roster) -> bytes:
    """The roster as CSV (UTF-8 with BOM so that spreadsheet programs read the diacritics)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f"DANH SÁCH CHI TRẢ THÁNG {_period_label(str(roster.month))}"])
    writer.writerow(HEADINGS)
    for number, line in _rows(roster):
        writer.writerow(
            (
                number,
                line.full_name,
                line.citizen_id or "",
                f"{line.commune_code} {commune_name(line.commune_code)}",
                describe_line(line),
                format_vnd(line.net_amount),
                CHANNEL_LABELS.get(line.channel, line.channel),
                "",
            )
        )
    totals = roster.totals()
    writer.writerow(
        ("", "Tổng cộng", "", f"{totals['lines']} người", "", format_vnd(totals["amount"]), "", "")
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WIDTHS = (6, 28, 15, 26, 60, 14, 14, 18)


def _sheet_title(code: str) -> str:
    name = f"{code} {commune_name(code)}"
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31]


def _summary_sheet(book: Workbook, roster: Roster, by_commune: dict[str, list[RosterLine]]) -> None:
    summary = book.active
    assert summary is not None  # noqa: S101 - a new workbook has one sheet
    summary.title = "Tổng hợp"
    summary.append([f"TỔNG HỢP DANH SÁCH CHI TRẢ THÁNG {_period_label(str(roster.month))}"])
    summary.append(["Xã/phường", "Số người", "Số tiền"])
    for code, lines in sorted(by_commune.items()):
        summary.append([f"{code} {commune_name(code)}", len(lines), sum(x.net_amount for x in lines)])
    totals = roster.totals()
    summary.append(["Tổng cộng", totals["lines"], totals["amount"]])
    for row in summary.iter_rows(min_row=3, min_col=3, max_col=3):
        for cell in row:
            cell.number_format = "#,##0"
    summary.column_dimensions["A"].width = 36
    summary.column_dimensions["C"].width = 18


def _commune_sheet(book: Workbook, roster: Roster, code: str, lines: list[RosterLine]) -> None:
    sheet = book.create_sheet(_sheet_title(code))
    sheet.append([f"DANH SÁCH CHI TRẢ THÁNG {_period_label(str(roster.month))} — {commune_name(code)}"])
    sheet.append(list(HEADINGS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for number, line in enumerate(lines, start=1):
        sheet.append(
            [
                number,
                line.full_name,
                line.citizen_id or "",
                commune_name(line.commune_code),
                describe_line(line),
                line.net_amount,
                CHANNEL_LABELS.get(line.channel, line.channel),
                "",
            ]
        )
    sheet.append(["", "Tổng cộng", "", f"{len(lines)} người", "", sum(x.net_amount for x in lines), "", ""])
    last = sheet.max_row
    for row in sheet.iter_rows(min_row=3, max_row=last):
        for cell in row:
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        row[5].number_format = "#,##0"
    for cell in sheet[last]:
        cell.font = Font(bold=True)
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = "2:2"


def roster_xlsx(roster: Roster) -> bytes:
    """The roster as an XLSX workbook: a summary sheet and one sheet per commune."""
    book = Workbook()
    by_commune: dict[str, list[RosterLine]] = {}
    for line in roster.lines:
        by_commune.setdefault(line.commune_code, []).append(line)
    _summary_sheet(book, roster, by_commune)
    for code, lines in sorted(by_commune.items()):
        _commune_sheet(book, roster, code, lines)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
