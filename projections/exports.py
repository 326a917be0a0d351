"""Roster files — xuất danh sách chi trả: CSV and XLSX with Vietnamese headings.

Columns: STT, Họ và tên, Số CCCD, Xã/phường, Chế độ, Số tiền, Hình thức, Ký nhận. The CSV is written by
:func:`ledger.csv_cells.csv_bytes`: amounts as plain integers (``1234567``, a spreadsheet sums them under
any regional settings), citizen IDs as ``="075050066666"`` (text a spreadsheet keeps, leading zero
included), a text cell a spreadsheet would run as a formula with a leading apostrophe (a name
``=HYPERLINK(…)``), ``sep=semicolon`` for Excel under Vietnamese settings; in XLSX amounts are numbers
(so the sheet can sum them) shown with a thousands format.
The XLSX (:mod:`projections.roster_workbook`) prints and is signed: a summary sheet and one sheet per
commune, A4 landscape one page wide, quốc hiệu, the signature column (Ký nhận) and block, SUM totals.
Both follow the roster's view: the month view's files say so in their title (:meth:`Roster.heading`),
give each line's status ("Tình trạng": in the CSV a last field), "Đã chi" in "Ký nhận" of a paid line and
the total still to pay; the outstanding view's (an issued roster's) have no status: every line is to pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.labels import CHANNEL_LABELS
from domain.values import format_vnd
from ledger.adapters.communes import commune_name
from ledger.csv_cells import Keep, Separator, csv_bytes
from projections import roster_workbook
from projections.roster_paper import ITEM_LABELS, STATUS_MARKS, checkpoint_lines, item_label
from projections.roster_workbook import PAID_SIGN, STATUS_HEADING
from projections.rosters import MONTH_VIEW, PAID, STATUS_LABELS

if TYPE_CHECKING:
    from domain.values import Month
    from projections.rosters import Roster, RosterItem, RosterLine, RosterScope

__all__ = [
    "CHANNEL_LABELS",
    "HEADINGS",
    "ITEM_LABELS",
    "XLSX",
    "checkpoint_lines",
    "describe_item",
    "describe_line",
    "roster_csv",
    "roster_file_name",
    "roster_xlsx",
]

HEADINGS = ("STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Số tiền", "Hình thức", "Ký nhận")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
"""The media type of an XLSX workbook."""


def roster_file_name(month: Month, scope: RosterScope, extension: str) -> str:
    """``danh-sach-chi-tra-2024-08-26041-cash.csv``."""
    parts = ["danh-sach-chi-tra", str(month), scope.commune_code or "toan-tinh"]
    if scope.channel:
        parts.append(scope.channel)
    return "-".join(parts) + "." + extension


def _period_label(period: str | None) -> str:
    if not period:
        return ""
    year, month = period.split("-")
    return f"{month}/{year}"


def describe_item(item: RosterItem) -> str:
    """A short Vietnamese description of one roster item: the scheme's Vietnamese name (without its legal
    citation), the kind of item and its month, and the amount (``… — truy lĩnh 07/2024: 2.789.000 đ``)."""
    return f"{item_label(item, short=True)}: {format_vnd(item.amount)}"


def describe_line(line: RosterLine) -> str:
    """Every item of a line, in order."""
    return "; ".join(describe_item(i) for i in line.items)


def _rows(roster: Roster) -> list[tuple[int, RosterLine]]:
    return list(enumerate(roster.lines, start=1))


def _status_field(roster: Roster, line: RosterLine | None) -> tuple[str, ...]:
    """The month view's last field: "Tình trạng" (the heading row, ``line`` None), the line's status;
    nothing on the outstanding view (every line of it is to pay)."""
    if roster.view != MONTH_VIEW:
        return ()
    return (STATUS_HEADING if line is None else STATUS_LABELS[line.status],)


def _signature(roster: Roster, line: RosterLine) -> str:
    """ "Ký nhận": empty to sign, "Đã chi" on a paid line of the month view (not to pay again)."""
    return PAID_SIGN if roster.view == MONTH_VIEW and line.status == PAID else ""


def _title(roster: Roster) -> str:
    """The first row: the month view says it is one (:meth:`Roster.heading`)."""
    if roster.view == MONTH_VIEW:
        return roster.heading()
    title = f"DANH SÁCH CHI TRẢ THÁNG {_period_label(str(roster.month))}"
    mark = STATUS_MARKS.get(roster.status or "")  # the frozen document's status
    return f"{title} — {mark}" if mark else title


def _still_to_pay(roster: Roster, totals: dict[str, Any]) -> list[list[object]]:
    """The month view's total still to pay (lines not paid; items issued or outstanding)."""
    if roster.view != MONTH_VIEW:
        return []
    lines = totals["lines"] - totals["by_status"][PAID]["lines"]
    amount = totals["amount"] - totals["by_item_status"][PAID]
    return [["", "Còn phải chi", "", f"{lines} người", "", amount, "", "", ""]]


def roster_csv(roster: Roster, checkpoint: dict[str, Any] | None = None, sep: Separator = "comma") -> bytes:
    """The roster as CSV (:func:`ledger.csv_cells.csv_bytes`: UTF-8 with BOM, ``,`` or ``;``, amounts as
    plain integers, citizen IDs kept as text), with the issued roster's checkpoint at its foot. The month
    view adds a last field, the line's status ("Tình trạng"), "Đã chi" in "Ký nhận" of a paid line and
    the total still to pay."""
    rows: list[list[object]] = [[_title(roster)], [*HEADINGS, *_status_field(roster, None)]]
    for number, line in _rows(roster):
        rows.append(
            [
                number,
                line.full_name,
                Keep(line.citizen_id or ""),
                f"{line.commune_code} {commune_name(line.commune_code)}",
                describe_line(line),
                line.net_amount,
                CHANNEL_LABELS.get(line.channel, line.channel),
                _signature(roster, line),
                *_status_field(roster, line),
            ]
        )
    totals = roster.totals()
    rows.append(["", "Tổng cộng", "", f"{totals['lines']} người", "", totals["amount"], "", ""])
    rows.extend(_still_to_pay(roster, totals))
    rows.extend(["", text] for text in checkpoint_lines(checkpoint))
    return csv_bytes(rows, sep)


def roster_xlsx(roster: Roster, checkpoint: dict[str, Any] | None = None) -> bytes:
    """The roster as an XLSX workbook that prints and is signed: a summary sheet and one sheet per
    commune (:mod:`projections.roster_workbook`)."""
    return roster_workbook.roster_xlsx(roster, checkpoint)
