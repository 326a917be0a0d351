"""The roster workbook (projections/roster_workbook.py) read back with openpyxl: what prints (A4
landscape, one page wide, the heading row on every page, page numbers and the checkpoint in the footer,
a row tall enough to sign), what it says (quốc hiệu, the unit, Vietnamese scheme names, a row per
further item, the signature block) and what it computes (``=SUM()`` totals with their values cached,
the cash/bank split of the summary)."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from workbook_reading import commune_table, open_roster
from xlsxwriter.worksheet import Worksheet

from domain.values import Month
from projections import roster_workbook
from projections.exports import roster_csv, roster_xlsx
from projections.roster_paper import NATIONAL_HEADING, SIGNATURES, SIGNING_DATE, scheme_name
from projections.roster_workbook import HEADINGS, MONTH_HEADINGS, SIGN_HEIGHT
from projections.rosters import (
    ISSUED,
    MONTH_VIEW,
    OUTSTANDING,
    PAID,
    STATUS_LABELS,
    Roster,
    RosterItem,
    RosterLine,
    RosterScope,
)

CHECKPOINT = {
    "short": "0123456789abcdef/4242",
    "note": "benefits-ledger/vn\n4242\nASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4=\n\n— benefits-ledger/vn ab\n",
}
NAME = "Người khuyết tật nặng"  # BTXH_DISABLED_SEVERE's name_vi without "(khoản 6 Điều 5)"


def line(n: int, commune: str, channel: str, *items: tuple[Any, ...]) -> RosterLine:
    person = RosterLine(f"b-{n}", f"07513000000{n}", f"Nguyễn Văn <Tèo> & {n}", commune, channel)
    person.items.extend(RosterItem(f"e-{n}-{i}", *item) for i, item in enumerate(items))
    return person


def month_view() -> Roster:
    """The roster's month view on 20/08/2024: person 1 paid, person 2 partly paid (the arrears paid),
    person 3 on an issued roster, person 4 outstanding."""
    the_roster = roster()
    the_roster.view, the_roster.as_of = MONTH_VIEW, "2024-08-20T03:00:00+00:00"
    first, second, third, _ = the_roster.lines
    first.items[0].status = PAID
    second.items[1].status = PAID
    third.items[0].status = ISSUED
    return the_roster


def roster() -> Roster:
    return Roster(
        Month(2024, 8),
        RosterScope(),
        [
            line(1, "26041", "cash", ("BTXH_DISABLED_SEVERE", "regular", "2024-08", 540_000)),
            line(2, "26041", "cash", ("NCC_MARTYR_RELATIVE", "regular", "2024-08", 2_789_000),
                 ("NCC_MARTYR_RELATIVE", "arrears", "2024-07", 734_000),
                 ("RECOVERY", "recovery", None, -100_000)),
            line(3, "26041", "bank", ("BTXH_DISABLED_SEVERE", "regular", "2024-08", 540_000)),
            line(4, "25993", "bank", ("BTXH_DISABLED_SEVERE", "regular", "2024-08", 540_000)),
        ],
    )  # fmt: skip


def cells(sheet: Any) -> list[Any]:
    return [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]


def test_every_sheet_prints_a4_landscape_one_page_wide_with_its_headings_and_page_numbers():
    book = open_roster(roster_xlsx(roster(), CHECKPOINT))
    assert book.sheetnames == ["Tổng hợp", "25993 Phường Trảng Dài", "26041 Phường Trấn Biên"]
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape"
        assert int(setup.paperSize) == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0)  # one page wide, as tall as it takes
        assert "&P" in sheet.oddFooter.center.text
        assert "&N" in sheet.oddFooter.center.text
        assert CHECKPOINT["short"] in sheet.oddFooter.left.text
        assert len(sheet.oddFooter.left.text) + len(sheet.oddFooter.right.text) < 200  # the 255 limit
        assert sheet.page_margins.left < 0.75
    commune = book["26041 Phường Trấn Biên"]
    heading_row = next(r for r in range(1, 20) if commune.cell(r, 1).value == "STT")
    assert commune.print_title_rows == f"${heading_row}:${heading_row}"  # repeated on every page
    assert commune.freeze_panes == f"A{heading_row + 1}"
    summary = book["Tổng hợp"]
    assert summary.print_title_rows.startswith("$6:")


def test_a_commune_sheet_has_the_letterhead_the_title_and_the_signature_block():
    book = open_roster(roster_xlsx(roster(), CHECKPOINT))
    for sheet in book.worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[0][0].startswith("UBND TỈNH ĐỒNG NAI")
        assert rows[0][4] == NATIONAL_HEADING[0]
        assert rows[1][4] == NATIONAL_HEADING[1]
        assert any("DANH SÁCH CHI TRẢ TRỢ CẤP THÁNG 08/2024" in str(c) for c in rows[3])
        values = cells(sheet)
        assert SIGNING_DATE in values
        for role, hint in SIGNATURES:
            assert role in values
            assert hint in values
        assert f"Điểm kiểm tra sổ cái (checkpoint): {CHECKPOINT['short']}" in values
        assert CHECKPOINT["note"].splitlines()[2] in values  # the note in full, below the signatures
        last = max(i for i, r in enumerate(rows) if "Người lập biểu" in r)
        assert any("checkpoint" in str(c) for r in rows[last:] for c in r)
    commune = book["26041 Phường Trấn Biên"]
    assert commune.cell(2, 1).value == "UBND PHƯỜNG TRẤN BIÊN"
    assert "Phường Trấn Biên (26041) — 3 người" in commune.cell(5, 1).value
    assert book.properties.description == CHECKPOINT["note"]


def test_a_person_is_one_row_and_a_row_per_further_item_with_the_schemes_vietnamese_names():
    book = open_roster(roster_xlsx(roster()))
    sheet = book["26041 Phường Trấn Biên"]
    headings, rows, total = commune_table(sheet)
    assert tuple(headings) == HEADINGS
    martyr = "Thân nhân liệt sĩ (trợ cấp hằng tháng)"
    assert rows == [
        [1, "Nguyễn Văn <Tèo> & 1", "075130000001", f"{NAME} — tháng 08/2024", 540_000, 540_000, "Tiền mặt",
         None],
        [2, "Nguyễn Văn <Tèo> & 2", "075130000002", f"{martyr} — tháng 08/2024", 2_789_000, 3_423_000,
         "Tiền mặt", None],
        [None, None, None, f"{martyr} — truy lĩnh 07/2024", 734_000, None, None, None],
        [None, None, None, "Khấu trừ thu hồi", -100_000, None, None, None],
        [3, "Nguyễn Văn <Tèo> & 3", "075130000003", f"{NAME} — tháng 08/2024", 540_000, 540_000,
         "Chuyển khoản", None],
    ]  # fmt: skip
    assert total[1] == "Cộng Phường Trấn Biên: 3 người"
    assert total[4] == total[5] == 540_000 + 3_423_000 + 540_000
    assert scheme_name("NCC_MARTYR_RELATIVE") == "Thân nhân liệt sĩ (trợ cấp hằng tháng)"
    first = next(r for r in range(1, 20) if sheet.cell(r, 1).value == 1)
    assert sheet.row_dimensions[first].height >= SIGN_HEIGHT  # a cash line: room to sign
    assert sheet.cell(first, 4).alignment.wrap_text
    assert sheet.cell(first, 6).number_format.endswith("#,##0")
    assert sheet.cell(first, 2).data_type == "s"


def test_totals_are_sum_formulas_with_their_values_cached():
    data = roster_xlsx(roster())
    formulas = open_roster(data, values=False)["26041 Phường Trấn Biên"]
    _, rows, total = commune_table(formulas)
    first = next(r for r in range(1, 20) if formulas.cell(r, 1).value == 1)
    last = first + len(rows) - 1
    assert total[4:6] == [f"=SUM(E{first}:E{last})", f"=SUM(F{first}:F{last})"]
    summary = open_roster(data, values=False)["Tổng hợp"]
    grand = next(r for r in summary.iter_rows(values_only=True) if r[1] == "Tổng cộng")
    assert grand[2:] == tuple(f"=SUM({col}8:{col}9)" for col in "CDEFGH")


def test_the_summary_has_a_row_per_commune_with_the_cash_and_bank_split():
    sheet = open_roster(roster_xlsx(roster()))["Tổng hợp"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert sheet.page_setup.orientation == "landscape"
    assert rows[5][:5] == ["STT", "Xã/phường", "Tổng số", None, "Tiền mặt"]
    assert rows[5][6] == "Chuyển khoản"
    assert rows[6][2:] == ["Số người", "Số tiền (đ)"] * 3
    assert rows[7] == [1, "Phường Trảng Dài (25993)", 1, 540_000, 0, 0, 1, 540_000]
    assert rows[8] == [2, "Phường Trấn Biên (26041)", 3, 4_503_000, 2, 3_963_000, 1, 540_000]
    assert rows[9] == [None, "Tổng cộng", 4, 5_043_000, 2, 3_963_000, 2, 1_080_000]


def test_an_empty_roster_is_a_summary_with_zero_totals():
    book = open_roster(roster_xlsx(Roster(Month(2024, 8), RosterScope(), [])))
    assert book.sheetnames == ["Tổng hợp"]
    grand = next(r for r in book["Tổng hợp"].iter_rows(values_only=True) if r[1] == "Tổng cộng")
    assert grand[2:] == (0,) * 6


amounts = st.integers(min_value=-2_000_000, max_value=50_000_000)
items = st.lists(
    st.tuples(st.sampled_from(["BTXH_ELDERLY_80", "NCC_WAR_INVALID", "HN_TET_SUPPORT"]),
              st.sampled_from(["regular", "arrears", "one_off"]), st.just("2024-08"), amounts,
              st.sampled_from([PAID, ISSUED, OUTSTANDING])),
    min_size=1, max_size=4,
)  # fmt: skip
people = st.lists(
    st.tuples(st.sampled_from(["26041", "25993"]), st.sampled_from(["cash", "bank"]), items), max_size=12
)


@settings(max_examples=30, deadline=None)
@given(people, st.booleans())
def test_every_item_is_a_row_and_the_totals_are_the_rosters(drawn, by_month):
    """Every item's amount is on a row (on the month view with the item's status, so that the status
    column sums them) and the totals are the roster's, still to pay included."""
    lines = [line(n, commune, channel, *its) for n, (commune, channel, its) in enumerate(drawn)]
    the_roster = Roster(Month(2024, 8), RosterScope(), lines, view=MONTH_VIEW if by_month else "outstanding")
    book = open_roster(roster_xlsx(the_roster))
    for code in sorted({x.commune_code for x in lines}):
        sheet = next(s for s in book.worksheets if s.title.startswith(code))
        ours = [x for x in lines if x.commune_code == code]
        _, rows, total = commune_table(sheet)
        itemised = [r for r in rows if r[4] is not None]
        assert [r[4] for r in itemised] == [i.amount for x in ours for i in x.items]
        mixed = sum(len({i.status for i in x.items}) > 1 for x in ours) if by_month else 0
        assert len(rows) == sum(len(x.items) for x in ours) + mixed  # a partly paid person: a row more
        assert [r[5] for r in rows if r[0] is not None] == [x.net_amount for x in ours]
        assert total[4] == total[5] == sum(x.net_amount for x in ours)
        if by_month:
            assert [r[7] for r in itemised] == [STATUS_LABELS[i.status] for x in ours for i in x.items]
            assert [r[7] for r in rows if r[0] is not None] == [STATUS_LABELS[x.status] for x in ours]
            values = [list(r) for r in sheet.iter_rows(values_only=True)]
            to_pay = next(r for r in values if str(r[1] or "").startswith("Còn phải chi:"))
            owed = [i.amount for x in ours for i in x.items if i.status != PAID]
            assert to_pay[4] == sum(owed)
            assert to_pay[1] == f"Còn phải chi: {sum(x.status != PAID for x in ours)} người"
    grand = next(r for r in book["Tổng hợp"].iter_rows(values_only=True) if r[1] == "Tổng cộng")
    cash = [x for x in lines if x.channel == "cash"]
    assert grand[2:6] == (
        len(lines),
        the_roster.totals()["amount"],
        len(cash),
        sum(x.net_amount for x in cash),
    )


def test_the_month_view_says_each_lines_status_what_is_paid_and_what_is_still_to_pay():
    """A month view's sheet has "Tình trạng" before "Ký nhận" (a row's status is its item's, the
    person's row says the line's), says which view it is under the title, writes "Đã chi" where a paid
    line would be signed, and totals what was paid and what is still to pay (=SUMIF, value cached);
    it prints as wide as the outstanding view's."""
    data = roster_xlsx(month_view(), CHECKPOINT)
    sheet = open_roster(data)["26041 Phường Trấn Biên"]
    headings, rows, _ = commune_table(sheet)
    assert tuple(headings) == MONTH_HEADINGS
    assert headings[7:] == ["Tình trạng", "Ký nhận"]
    assert sheet.cell(5, 1).value == "Danh sách chi trả tháng 08/2024 — tình trạng đến ngày 20/08/2024"
    martyr = "Thân nhân liệt sĩ (trợ cấp hằng tháng)"
    assert [r[3:] for r in rows] == [
        [f"{NAME} — tháng 08/2024", 540_000, 540_000, "Tiền mặt", "Đã chi", "Đã chi"],
        ["", None, 3_423_000, "Tiền mặt", "Đã chi một phần", None],  # its items differ: one row each
        [f"{martyr} — tháng 08/2024", 2_789_000, None, None, "Còn phải chi", None],
        [f"{martyr} — truy lĩnh 07/2024", 734_000, None, None, "Đã chi", None],
        ["Khấu trừ thu hồi", -100_000, None, None, "Còn phải chi", None],
        [f"{NAME} — tháng 08/2024", 540_000, 540_000, "Chuyển khoản", "Đã phát hành, chưa chi", None],
    ]  # fmt: skip
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    paid = next(r for r in values if str(r[1]).startswith("Trong đó đã chi"))
    to_pay = next(r for r in values if str(r[1]).startswith("Còn phải chi"))
    assert (paid[1], paid[4]) == ("Trong đó đã chi: 1 người", 540_000 + 734_000)
    assert (to_pay[1], to_pay[4]) == ("Còn phải chi: 2 người", 2_789_000 - 100_000 + 540_000)
    formulas = [
        list(r) for r in open_roster(data, values=False)["26041 Phường Trấn Biên"].iter_rows(values_only=True)
    ]
    first = next(i for i, r in enumerate(formulas) if r[0] == 1) + 1
    last = first + len(rows) - 1
    within, summed = f"H{first}:H{last}", f"E{first}:E{last}"
    assert (
        next(r[4] for r in formulas if str(r[1]).startswith("Trong đó"))
        == f'=SUMIF({within},"Đã chi",{summed})'
    )
    assert next(r[4] for r in formulas if str(r[1]).startswith("Còn phải chi")) == (
        f'=SUMIF({within},"Còn phải chi",{summed})+SUMIF({within},"Đã phát hành, chưa chi",{summed})'
    )
    widths = [sheet.column_dimensions[c].width for c in "ABCDEFGHI"]
    plain = open_roster(roster_xlsx(roster()))["26041 Phường Trấn Biên"]
    assert abs(sum(widths) - sum(plain.column_dimensions[c].width for c in "ABCDEFGH")) < 1  # as wide
    assert "Tình trạng" not in cells(plain)  # the outstanding view: every line is to pay
    summary = [list(r) for r in open_roster(data)["Tổng hợp"].iter_rows(values_only=True)]
    assert summary[4][0] == sheet.cell(5, 1).value  # the view's heading
    assert summary[6][8] == "Còn phải chi"
    assert summary[7][8:] == ["Số người", "Số tiền (đ)"]
    assert summary[8][8:] == [1, 540_000]  # Trảng Dài: its one line outstanding
    assert summary[9][8:] == [2, 2_789_000 - 100_000 + 540_000]
    assert summary[10][8:] == [3, 2_789_000 - 100_000 + 540_000 * 2]  # the totals' SUM


def test_the_month_views_csv_has_the_status_last_and_the_total_still_to_pay():
    """The CSV of the month view: its heading first, "Tình trạng" a last field, "Đã chi" in "Ký nhận"
    of a paid line, the total still to pay under the total; the outstanding view's CSV is as before."""
    rows = list(csv.reader(io.StringIO(roster_csv(month_view()).decode("utf-8-sig"))))
    assert rows[0] == ["Danh sách chi trả tháng 08/2024 — tình trạng đến ngày 20/08/2024"]
    assert rows[1][-2:] == ["Ký nhận", "Tình trạng"]
    assert [r[-2:] for r in rows[2:6]] == [
        ["Đã chi", "Đã chi"],
        ["", "Đã chi một phần"],
        ["", "Đã phát hành, chưa chi"],
        ["", "Còn phải chi"],
    ]
    assert rows[6][1] == "Tổng cộng"
    assert rows[7][1:6] == ["Còn phải chi", "", "3 người", "", "3769000"]  # 2.689.000 + 540.000 × 2
    plain = list(csv.reader(io.StringIO(roster_csv(roster()).decode("utf-8-sig"))))
    assert plain[0] == ["DANH SÁCH CHI TRẢ THÁNG 08/2024"]
    assert all(len(r) == 8 for r in plain[1:])
    assert plain[-1][1] == "Tổng cộng"


def test_the_fast_cell_writer_writes_what_xlsxwriter_writes(monkeypatch):
    """:class:`FastCells` writes the table's rows in bulk: the sheets' XML is byte for byte what
    XlsxWriter's public API writes cell by cell (names with XML's special characters, a leading space,
    a control character and a would-be escape go through XlsxWriter's own cell writer), on both views."""
    for odd in (roster(), month_view()):
        odd.lines[0].full_name = " Lê\x07Văn _x0041_ Tám "
        odd.lines[1].items[2].scheme = "A&B <x>"  # an item row's text that needs escaping
        odd.lines[3].citizen_id = None
        ours = zipfile.ZipFile(io.BytesIO(roster_xlsx(odd, CHECKPOINT)))
        with monkeypatch.context() as patched:
            patched.setattr(roster_workbook, "SHEET_CLASS", Worksheet)
            theirs = zipfile.ZipFile(io.BytesIO(roster_xlsx(odd, CHECKPOINT)))
        sheets = [n for n in ours.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 3
        for name in [*sheets, "xl/styles.xml"]:
            assert ours.read(name) == theirs.read(name), name
        assert "_x005F_x0041_" in ours.read("xl/worksheets/sheet3.xml").decode()


def test_the_same_roster_is_the_same_bytes_its_creation_time_the_moment_it_shows():
    """An inspector can compare a file's digest with a second download: the workbook's creation time
    (docProps/core.xml) is the moment the roster shows the ledger at, never the clock of the download
    (XlsxWriter's default, which made two downloads a second apart differ)."""
    the_roster = month_view()
    first = roster_xlsx(the_roster, CHECKPOINT)
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2024-08-20T03:00:00Z</dcterms:created>' in core
    assert roster_xlsx(the_roster, CHECKPOINT) == first
