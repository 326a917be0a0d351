"""Roster files — xuất danh sách chi trả: CSV and XLSX with Vietnamese headings.

Columns: STT, Họ và tên, Số CCCD, Xã/phường, Chế độ, Số tiền, Hình thức, Ký nhận. The CSV is written by
:func:`ledger.csv_cells.csv_bytes`: amounts as plain integers (``1234567``, a spreadsheet sums them under
any regional settings), citizen IDs as ``="075050066666"`` (text a spreadsheet keeps, leading zero
included), a text cell a spreadsheet would run as a formula with a leading apostrophe (a name
``=HYPERLINK(…)``), ``sep=semicolon`` for Excel under Vietnamese settings; in XLSX amounts are numbers
shown with a thousands format.
The XLSX has one sheet per commune plus a summary sheet; the cash roster keeps a blank signature column
(Ký nhận) for the beneficiary to sign on collection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.values import format_vnd
from ledger.adapters.communes import commune_name
from ledger.csv_cells import Keep, Separator, csv_bytes
from projections import xlsx

if TYPE_CHECKING:
    from domain.values import Month
    from projections.rosters import Roster, RosterItem, RosterLine, RosterScope

HEADINGS = ("STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Số tiền", "Hình thức", "Ký nhận")
ITEM_LABELS = {
    "regular": "tháng",
    "arrears": "truy lĩnh",
    "carried_over": "chuyển kỳ",
    "one_off": "một lần",
    "recovery": "khấu trừ thu hồi",
}
CHANNEL_LABELS = {"cash": "Tiền mặt", "bank": "Chuyển khoản"}
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


CHECKPOINT_LABEL = "Điểm kiểm tra sổ cái (checkpoint)"


def checkpoint_lines(checkpoint: dict[str, Any] | None) -> list[str]:
    """What an issued roster prints at its foot: the short form of the checkpoint taken when it was
    issued (root hash prefix / tree size) and the full signed note, so the paper roster the commune
    signs is itself a witness of the log (``ledger verify --against`` takes the note back)."""
    if not checkpoint:
        return []
    return [f"{CHECKPOINT_LABEL}: {checkpoint['short']}", *str(checkpoint["note"]).rstrip("\n").split("\n")]


def roster_csv(roster: Roster, checkpoint: dict[str, Any] | None = None, sep: Separator = "comma") -> bytes:
    """The roster as CSV (:func:`ledger.csv_cells.csv_bytes`: UTF-8 with BOM, ``,`` or ``;``, amounts as
    plain integers, citizen IDs kept as text), with the issued roster's checkpoint at its foot."""
    rows: list[list[object]] = [
        [f"DANH SÁCH CHI TRẢ THÁNG {_period_label(str(roster.month))}"],
        list(HEADINGS),
    ]
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
                "",
            ]
        )
    totals = roster.totals()
    rows.append(["", "Tổng cộng", "", f"{totals['lines']} người", "", totals["amount"], "", ""])
    rows.extend(["", text] for text in checkpoint_lines(checkpoint))
    return csv_bytes(rows, sep)


_WIDTHS = (6, 28, 15, 26, 60, 14, 14, 18)


def _sheet_title(code: str) -> str:
    name = f"{code} {commune_name(code)}"
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31]


def _summary_sheet(
    roster: Roster, by_commune: dict[str, list[RosterLine]], checkpoint: dict[str, Any] | None
) -> xlsx.Sheet:
    summary = xlsx.Sheet("Tổng hợp", widths=(36, 12, 18))
    summary.append([(f"TỔNG HỢP DANH SÁCH CHI TRẢ THÁNG {_period_label(str(roster.month))}", xlsx.TITLE)])
    summary.append([("Xã/phường", xlsx.HEADING), ("Số người", xlsx.HEADING), ("Số tiền", xlsx.HEADING)])
    for code, lines in sorted(by_commune.items()):
        amount = sum(x.net_amount for x in lines)
        summary.append(
            [(f"{code} {commune_name(code)}", xlsx.BODY), (len(lines), xlsx.BODY), (amount, xlsx.BODY_AMOUNT)]
        )
    totals = roster.totals()
    summary.append(
        [("Tổng cộng", xlsx.TOTAL), (totals["lines"], xlsx.TOTAL), (totals["amount"], xlsx.TOTAL_AMOUNT)]
    )
    for text in checkpoint_lines(checkpoint):
        summary.append([(text, xlsx.BODY)])
    return summary


def _commune_sheet(roster: Roster, code: str, lines: list[RosterLine]) -> xlsx.Sheet:
    sheet = xlsx.Sheet(_sheet_title(code), widths=_WIDTHS, freeze_rows=2, landscape=True, print_title_row=2)
    title = f"DANH SÁCH CHI TRẢ THÁNG {_period_label(str(roster.month))} — {commune_name(code)}"
    sheet.append([(title, xlsx.TITLE)])
    sheet.append([(heading, xlsx.HEADING) for heading in HEADINGS])
    body, amount = xlsx.BODY, xlsx.BODY_AMOUNT
    commune = commune_name(code)
    for number, line in enumerate(lines, start=1):
        sheet.append(
            (
                (number, body),
                (line.full_name, body),
                (line.citizen_id or "", body),
                (commune_name(line.commune_code) if line.commune_code != code else commune, body),
                (describe_line(line), body),
                (line.net_amount, amount),
                (CHANNEL_LABELS.get(line.channel, line.channel), body),
                ("", body),
            )
        )
    total = sum(x.net_amount for x in lines)
    bold = xlsx.TOTAL
    sheet.append(
        [("", bold), ("Tổng cộng", bold), ("", bold), (f"{len(lines)} người", bold), ("", bold),
         (total, xlsx.TOTAL_AMOUNT), ("", bold), ("", bold)]
    )  # fmt: skip
    return sheet


def roster_xlsx(roster: Roster, checkpoint: dict[str, Any] | None = None) -> bytes:
    """The roster as an XLSX workbook: a summary sheet and one sheet per commune (landscape A4, the
    heading row repeated on every page, a signature column)."""
    by_commune: dict[str, list[RosterLine]] = {}
    for line in roster.lines:
        by_commune.setdefault(line.commune_code, []).append(line)
    sheets = [_summary_sheet(roster, by_commune, checkpoint)]
    sheets += [_commune_sheet(roster, code, lines) for code, lines in sorted(by_commune.items())]
    return xlsx.workbook(sheets, description=str(checkpoint["note"]) if checkpoint else None)
