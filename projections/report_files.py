"""The provincial report as files — báo cáo xuất tệp: ``GET /v1/reports/summary?format=csv|xlsx`` and the
report page's download links, from :func:`projections.reports.summary_report`.

XLSX: a sheet per part — the totals (Tổng hợp), per scheme with its Vietnamese name (Theo chế độ), per
funding source in Vietnamese (Theo nguồn kinh phí), health-insurance cards per group (Thẻ BHYT) —
numbers as numbers (amounts ``#,##0``, shares as percentages). CSV: the same figures as one long table
(part, code, name, figure, value), one figure a row, so that a program or a pivot table reads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.catalogue import scheme_catalogue
from domain.values import BHYT_GROUPS, FUNDING_SOURCE_LABELS
from projections.tables import Column, Table

if TYPE_CHECKING:
    from collections.abc import Iterator


def _day(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def report_title(summary: dict[str, Any]) -> str:
    """``BÁO CÁO CHI TRẢ TỪ 01/07/2024 ĐẾN 30/09/2024 — XÃ/PHƯỜNG 26041``."""
    title = f"BÁO CÁO CHI TRẢ TỪ {_day(summary['from'])} ĐẾN {_day(summary['to'])}"
    return title + (f" — XÃ/PHƯỜNG {summary['commune_code']}" if summary.get("commune_code") else "")


TOTALS = (
    ("people_paid", "Số người được chi trả", "int"),
    ("payments", "Số lượt chi trả", "int"),
    ("amount", "Tổng số tiền đã chi (đồng)", "amount"),
    ("non_cash_share", "Tỷ lệ người nhận không dùng tiền mặt", "share"),
    ("non_cash_amount_share", "Tỷ lệ số tiền chi không dùng tiền mặt", "share"),
    ("grants", "Quyết định hưởng mới", "int"),
    ("terminations", "Quyết định thôi hưởng", "int"),
    ("deaths", "Báo tử", "int"),
)
_PAYMENTS = Column("payments", "Số lượt chi", "int", 12)
_AMOUNT = Column("amount", "Số tiền (đồng)", "amount", 18)
"""The two figures the scheme and funding-source sheets share."""
SCHEME_COLUMNS = (
    Column("code", "Mã chế độ", "text", 26),
    Column("name", "Chế độ", "text", 50),
    Column("people_paid", "Số người được chi", "int", 14),
    _PAYMENTS,
    _AMOUNT,
    Column("grants", "Quyết định mới", "int", 12),
    Column("terminations", "Thôi hưởng", "int", 12),
)
SOURCE_COLUMNS = (
    Column("code", "Mã nguồn", "text", 12),
    Column("name", "Nguồn kinh phí", "text", 30),
    Column("people", "Số người", "int", 12),
    _PAYMENTS,
    _AMOUNT,
)
CARD_COLUMNS = (
    Column("code", "Mã nhóm", "text", 10),
    Column("name", "Nhóm đối tượng", "text", 36),
    Column("in_use", "Thẻ còn giá trị cuối kỳ", "int", 16),
    Column("new", "Thẻ cấp mới", "int", 12),
    Column("ended", "Thẻ hết giá trị", "int", 14),
)
LONG_COLUMNS = (
    Column("part", "Phần", "text", 20),
    Column("code", "Mã", "text", 20),
    Column("name", "Tên", "text", 40),
    Column("figure", "Chỉ tiêu", "text", 36),
    Column("value", "Giá trị", "number", 16),
)


def _schemes(summary: dict[str, Any]) -> list[dict[str, Any]]:
    names = {code: s.name_vi for code, s in scheme_catalogue().items()}
    return [{"code": code, "name": names.get(code, code), **row} for code, row in summary["schemes"].items()]


def _sources(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"code": code, "name": FUNDING_SOURCE_LABELS.get(code, code), **row}
        for code, row in summary["by_funding_source"].items()
    ]


def _cards(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"code": g, "name": BHYT_GROUPS.get(g, g), **row} for g, row in summary["cards"].items()]


def report_tables(summary: dict[str, Any]) -> list[Table]:
    """The report's sheets."""
    title = report_title(summary)
    totals = Table(
        title,
        (Column("figure", "Chỉ tiêu", "text", 44), Column("value", "Giá trị", "number", 18)),
        [{"figure": label, "value": summary[key]} for key, label, _ in TOTALS],
        sheet="Tổng hợp",
    )
    return [
        totals,
        Table(title, SCHEME_COLUMNS, _schemes(summary), sheet="Theo chế độ"),
        Table(title, SOURCE_COLUMNS, _sources(summary), sheet="Theo nguồn kinh phí"),
        Table(title, CARD_COLUMNS, _cards(summary), sheet="Thẻ BHYT"),
    ]


def report_long_table(summary: dict[str, Any]) -> Table:
    """Every figure of the report, one a row (the CSV)."""

    def rows() -> Iterator[dict[str, Any]]:
        for key, label, _ in TOTALS:
            yield {"part": "Tổng hợp", "code": key, "name": "", "figure": label, "value": summary[key]}
        parts = (("Theo chế độ", SCHEME_COLUMNS, _schemes(summary)),
                 ("Theo nguồn kinh phí", SOURCE_COLUMNS, _sources(summary)),
                 ("Thẻ BHYT", CARD_COLUMNS, _cards(summary)))  # fmt: skip
        for part, columns, items in parts:
            for item in items:
                for column in columns[2:]:
                    yield {"part": part, "code": item["code"], "name": item["name"], "figure": column.heading,
                           "value": item[column.key]}  # fmt: skip

    return Table(report_title(summary), LONG_COLUMNS, rows(), sheet="Báo cáo")
