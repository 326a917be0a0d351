"""What ``ledger report`` and ``ledger exceptions`` print — bảng báo cáo và ngoại lệ: Rich tables with
Vietnamese headings and labels (scheme names, commune names, the citizen ID masked as the logs mask it:
``0750*****765``; no internal ids), numbers in the Vietnamese style (``1.234.567``, ``15,3 %``), lines of
at most 100 columns; and the CSV of the same lists for a spreadsheet (amounts as plain integers, full
citizen IDs and receipt numbers: what an officer acts on). ``--format json`` prints the API's document
itself (:func:`projections.reports.exceptions_document`, the summary of ``GET /v1/reports/summary``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

from domain.catalogue import scheme_catalogue
from domain.values import (
    BHYT_GROUPS,
    FUNDING_SOURCE_LABELS,
    format_number,
    format_percent,
    format_vnd,
)
from ledger.adapters.communes import commune_name
from ledger.csv_cells import Keep, csv_bytes
from ledger.logs import mask_identifiers
from projections.reports import EXCEPTION_LABELS, problem_text

if TYPE_CHECKING:
    from collections.abc import Iterator

WIDTH = 100  # the widest line a table prints
NAME_WIDTH = 44  # a scheme's name wraps within this many columns
SHORT_WIDTH = 27  # beside a person's details, a scheme's name cut to this width
OUTPUT_FORMATS = ("table", "json", "csv")


def _scheme_name(code: str) -> str:
    scheme = scheme_catalogue().get(code)
    return scheme.name_vi if scheme else code


def _day(value: object) -> str:
    """``2024-08-10`` → ``10/08/2024``; nothing → ``—``."""
    text = str(value or "")
    return f"{text[8:10]}/{text[5:7]}/{text[:4]}" if len(text) == 10 else (text or "—")


def _month(value: object) -> str:
    """``2024-08`` → ``08/2024``."""
    text = str(value or "")
    return f"{text[5:7]}/{text[:4]}" if len(text) == 7 else (text or "—")


# The columns whose text wraps, with their narrowest width; numbers, dates, IDs and the headings of the
# other columns keep to one line.
WRAPPED = {"Họ và tên": 14, "Xã/phường": 12, "Chế độ": 20, "Lý do": 24, "Mã chi trả": 10, "Chỉ tiêu": 20}
SHORT = {"Chế độ ngắn"}  # a scheme's name cut to one line (…) beside a person's details


def _table(title: str, *headings: str, numeric: tuple[str, ...] = ()) -> Table:
    table = Table(
        title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, show_edge=False,
        pad_edge=False, collapse_padding=True,
    )  # fmt: skip
    for heading in headings:
        wrap = heading in WRAPPED
        short = heading in SHORT
        table.add_column(
            "Chế độ" if short else heading,
            justify="right" if heading in numeric else "left",
            min_width=WRAPPED.get(heading),
            max_width=SHORT_WIDTH if short else NAME_WIDTH if wrap else None,
            no_wrap=not wrap,
            overflow="ellipsis" if short else "fold",
        )
    return table


def report_title(summary: dict[str, Any]) -> str:
    """``Báo cáo chi trả từ 01/01/2026 đến 30/11/2026 — toàn tỉnh``."""
    code = summary.get("commune_code")
    where = f"{commune_name(code)} ({code})" if code else "toàn tỉnh"
    return f"Báo cáo chi trả từ {_day(summary['from'])} đến {_day(summary['to'])} — {where}"


def report_tables(summary: dict[str, Any]) -> Iterator[Table | Text]:
    """The report as its heading (the period and the place) and tables: the totals, per scheme, per
    funding source, health-insurance cards."""
    s = summary
    yield Text(report_title(s), style="bold")
    totals = _table("Tổng hợp", "Chỉ tiêu", "Giá trị", numeric=("Giá trị",))
    for label, value in (
        ("Số người được chi", format_number(s["people_paid"])),
        ("Số lượt chi", format_number(s["payments"])),
        ("Tổng số tiền (đồng)", format_vnd(s["amount"])),
        ("Tỷ lệ người nhận không dùng tiền mặt", format_percent(s["non_cash_share"])),
        ("Tỷ lệ số tiền chi không dùng tiền mặt", format_percent(s["non_cash_amount_share"])),
        ("Quyết định hưởng mới", format_number(s["grants"])),
        ("Thôi hưởng", format_number(s["terminations"])),
        ("Báo tử", format_number(s["deaths"])),
    ):
        totals.add_row(label, value)
    yield totals
    numeric: tuple[str, ...] = ("Số người", "Số lượt", "Số tiền (đ)", "Hưởng mới", "Thôi hưởng")
    schemes = _table("Theo chế độ", "Chế độ", *numeric, numeric=numeric)
    for code, row in s["schemes"].items():
        schemes.add_row(
            _scheme_name(code), format_number(row["people_paid"]), format_number(row["payments"]),
            format_vnd(row["amount"]), format_number(row["grants"]), format_number(row["terminations"]),
        )  # fmt: skip
    schemes.add_row(
        "[bold]Tổng cộng[/]", format_number(s["people_paid"]), format_number(s["payments"]),
        f"[bold]{format_vnd(s['amount'])}[/]", format_number(s["grants"]), format_number(s["terminations"]),
    )  # fmt: skip
    yield schemes
    if s["by_funding_source"]:
        yield _rows_table(
            "Theo nguồn kinh phí (quà, hỗ trợ)", ("Nguồn kinh phí", "Số người", "Số lượt", "Số tiền (đ)"),
            [(FUNDING_SOURCE_LABELS.get(code, code), format_number(row["people"]),
              format_number(row["payments"]), format_vnd(row["amount"]))
             for code, row in s["by_funding_source"].items()],
        )  # fmt: skip
    if s["cards"]:
        yield _rows_table(
            "Thẻ BHYT theo nhóm", ("Nhóm", "Còn giá trị cuối kỳ", "Cấp mới", "Hết giá trị"),
            [(f"{group} — {BHYT_GROUPS.get(group, group)}", format_number(row["in_use"]),
              format_number(row["new"]), format_number(row["ended"])) for group, row in s["cards"].items()],
        )  # fmt: skip


def _rows_table(title: str, headings: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    """A table whose first column names the row and whose others are numbers."""
    table = _table(title, *headings, numeric=headings[1:])
    for row in rows:
        table.add_row(*row)
    return table


def report_csv(summary: dict[str, Any]) -> str:
    """The report for a spreadsheet: one section per table (a heading row each, a blank row between),
    amounts in đồng as plain integers, shares as decimals (0.153); written by the one CSV writer
    (:func:`ledger.csv_cells.csv_bytes`)."""
    s = summary
    rows: list[list[object]] = []
    rows.append([report_title(s)])
    rows.append(["Chỉ tiêu", "Giá trị"])
    for label, key in (
        ("Số người được chi", "people_paid"), ("Số lượt chi", "payments"), ("Tổng số tiền (đồng)", "amount"),
        ("Tỷ lệ người nhận không dùng tiền mặt", "non_cash_share"),
        ("Tỷ lệ số tiền chi không dùng tiền mặt", "non_cash_amount_share"),
        ("Quyết định hưởng mới", "grants"), ("Thôi hưởng", "terminations"), ("Báo tử", "deaths"),
    ):  # fmt: skip
        rows.append([label, s[key]])
    rows.append([])
    rows.append(["Mã chế độ", "Chế độ", "Số người được chi", "Số lượt chi", "Số tiền (đồng)", "Hưởng mới",
                     "Thôi hưởng"])  # fmt: skip
    for code, row in s["schemes"].items():
        rows.append([code, _scheme_name(code), row["people_paid"], row["payments"], row["amount"],
                         row["grants"], row["terminations"]])  # fmt: skip
    rows.append(
        ["", "Tổng cộng", s["people_paid"], s["payments"], s["amount"], s["grants"], s["terminations"]]
    )
    rows.append([])
    rows.append(["Mã nguồn", "Nguồn kinh phí", "Số người", "Số lượt chi", "Số tiền (đồng)"])
    for code, row in s["by_funding_source"].items():
        rows.append(
            [code, FUNDING_SOURCE_LABELS.get(code, code), row["people"], row["payments"], row["amount"]]
        )
    rows.append([])
    rows.append(["Nhóm thẻ", "Tên nhóm", "Còn giá trị cuối kỳ", "Cấp mới trong kỳ", "Hết giá trị trong kỳ"])
    for group, row in s["cards"].items():
        rows.append([group, BHYT_GROUPS.get(group, group), row["in_use"], row["new"], row["ended"]])
    return csv_text(rows)


# ------------------------------------------------------------------------------------------- exceptions

# Per list: (heading, key, how the table shows it, numeric) after the name, citizen ID and commune.
_PERSON = ("Họ và tên", "Số CCCD", "Xã/phường")


_COLUMNS: dict[str, tuple[tuple[str, Any], ...]] = {
    "paid_after_death": (
        ("Ngày mất", lambda i: _day(i["date_of_death"])),
        ("Mã chi trả", lambda i: i["payment_id"]),
        ("Kỳ", lambda i: _month(i["period"])),
        ("Số tiền (đ)", lambda i: format_vnd(i["amount"])),
    ),
    "overpayment_outstanding": (
        ("Chi thừa (đ)", lambda i: format_vnd(i["overpaid"])),
        ("Đã thu hồi (đ)", lambda i: format_vnd(i["recovered"])),
        ("Còn phải thu (đ)", lambda i: format_vnd(i["outstanding"])),
    ),
    "suspension_candidate": (("Số tháng không nhận", lambda i: format_number(i["uncollected_months"])),),
    "uncomputable": (
        ("Chế độ", lambda i: _scheme_name(i["scheme"]) if i["scheme"] else "—"),
        ("Lý do", lambda i: problem_text(i["reason"])),
    ),
}
_NUMERIC = {
    "Số tiền (đ)",
    "Chi thừa (đ)",
    "Đã thu hồi (đ)",
    "Còn phải thu (đ)",
    "Số tháng không nhận",
    "Số khoản",
}
# Summed in the table's last row, per list: the column and the item's key.
_TOTALS = {
    "paid_after_death": {"Số tiền (đ)": "amount"},
    "overpayment_outstanding": {
        "Chi thừa (đ)": "overpaid", "Đã thu hồi (đ)": "recovered", "Còn phải thu (đ)": "outstanding",
    },
}  # fmt: skip


def exceptions_title(document: dict[str, Any]) -> str:
    """The list's Vietnamese name, its month and its count."""
    kind = document["type"]
    count = len(document["items"])
    if kind == "unpaid_roster_lines":
        return (
            f"{EXCEPTION_LABELS[kind]} — tháng {_month(document['month'])}: {format_number(count)} người, "
            f"{format_number(document['unpaid_items'])} khoản, {format_vnd(document['amount'], unit=True)}"
        )
    return f"{EXCEPTION_LABELS[kind]}: {format_number(count)} trường hợp"


def exceptions_table(document: dict[str, Any]) -> Table:
    """An exception list as a table: STT, name, masked citizen ID, commune name, the list's columns (the
    unpaid roster lines: one row per item, the person's sum under several)."""
    kind = document["type"]
    if kind == "unpaid_roster_lines":
        return _unpaid_table(document)
    columns = _COLUMNS[kind]
    headings = ("STT", *_PERSON, *(heading for heading, _ in columns))
    table = _table(exceptions_title(document), *headings, numeric=("STT", *_NUMERIC))
    for number, item in enumerate(document["items"], start=1):
        table.add_row(str(number), *_person_row(item), *(str(show(item)) for _, show in columns))
    sums = _TOTALS.get(kind)
    if sums and document["items"]:
        cells = [
            format_number(sum(int(i[sums[h]] or 0) for i in document["items"])) if h in sums else ""
            for h, _ in columns
        ]
        table.add_row("", "[bold]Tổng cộng[/]", "", "", *cells)
    return table


def _person_row(item: dict[str, Any]) -> tuple[str, str, str]:
    cid = mask_identifiers(item["citizen_id"] or "") or "—"
    return item["full_name"], cid, commune_name(item["commune_code"])


def _unpaid_table(document: dict[str, Any]) -> Table:
    numeric = ("STT", "Số tiền (đ)")
    table = _table(
        exceptions_title(document), "STT", *_PERSON, "Chế độ ngắn", "Kỳ", "Số tiền (đ)", numeric=numeric
    )
    for number, person in enumerate(document["items"], start=1):
        for n, owed in enumerate(person["items"]):
            who = (str(number), *_person_row(person)) if n == 0 else ("", "", "", "")
            table.add_row(
                *who, _scheme_name(owed["scheme"]), _month(owed["period"]), format_vnd(owed["amount"])
            )
        if len(person["items"]) > 1:
            table.add_row(
                "", "", "", "", f"Cộng {person['unpaid_items']} khoản", "", format_vnd(person["amount"])
            )
    if document["items"]:
        people, count = format_number(document["people"]), format_number(document["unpaid_items"])
        total = format_vnd(document["amount"])
        table.add_row("", "[bold]Tổng cộng[/]", f"{people} người", "", f"{count} khoản", "", total)
    return table


def exceptions_csv(document: dict[str, Any]) -> str:
    """An exception list for a spreadsheet: Vietnamese headings, the beneficiary id and the full citizen
    ID (to act on, kept as text a spreadsheet does not turn into a number), amounts as plain integers,
    names never a formula (:func:`ledger.csv_cells.csv_bytes`); the unpaid roster lines one row per item."""
    kind = document["type"]
    rows: list[list[object]] = []
    person = ["Mã đối tượng", "Họ và tên", "Số CCCD", "Mã xã/phường", "Xã/phường"]
    plain: dict[str, tuple[tuple[str, str], ...]] = {
        "paid_after_death": (("Ngày mất", "date_of_death"), ("Mã chi trả", "payment_id"), ("Kỳ", "period"),
                             ("Số tiền (đồng)", "amount"), ("Ngày chi", "paid_on")),
        "overpayment_outstanding": (("Ngày mất", "date_of_death"), ("Chi thừa (đồng)", "overpaid"),
                                    ("Đã thu hồi (đồng)", "recovered"),
                                    ("Còn phải thu (đồng)", "outstanding")),
        "suspension_candidate": (("Số tháng không nhận", "uncollected_months"),),
        "uncomputable": (("Mã chế độ", "scheme"), ("Lý do", "reason")),
    }  # fmt: skip
    if kind == "unpaid_roster_lines":
        rows.append([*person, "Tháng", "Mã chế độ", "Chế độ", "Kỳ", "Số tiền (đồng)"])
        rows.extend(
            [*_person_cells(item), document["month"], owed["scheme"], _scheme_name(owed["scheme"]),
             owed["period"], owed["amount"]]
            for item in document["items"] for owed in item["items"]
        )  # fmt: skip
        return csv_text(rows)
    rows.append([*person, *(heading for heading, _ in plain[kind])])
    for item in document["items"]:
        values = [problem_text(item[key]) if key == "reason" else item[key] for _, key in plain[kind]]
        rows.append([*_person_cells(item), *("" if v is None else v for v in values)])
    return csv_text(rows)


def _person_cells(item: dict[str, Any]) -> list[object]:
    code = item["commune_code"]
    return [
        item["beneficiary_id"],
        item["full_name"],
        Keep(item["citizen_id"] or ""),
        code,
        commune_name(code),
    ]


def csv_text(rows: list[list[object]]) -> str:
    """``rows`` as the CSV text the command prints (the file's BOM left off on standard output)."""
    return csv_bytes(rows).decode("utf-8-sig")
