"""The roster workbook (projections/roster_workbook.py) read back with openpyxl: what prints (A4
landscape, one page wide, the heading row on every page, page numbers and the checkpoint in the footer,
a row tall enough to sign), what it says (quốc hiệu, the unit, Vietnamese scheme names, a row per
further item, the signature block) and what it computes (``=SUM()`` totals with their values cached,
the cash/bank split of the summary)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from workbook_reading import commune_table, open_roster
from xlsxwriter.worksheet import Worksheet

from domain.values import Month
from projections import roster_workbook
from projections.exports import roster_xlsx
from projections.roster_paper import NATIONAL_HEADING, SIGNATURES, SIGNING_DATE, scheme_name
from projections.roster_workbook import HEADINGS, SIGN_HEIGHT
from projections.rosters import Roster, RosterItem, RosterLine, RosterScope

CHECKPOINT = {
    "short": "0123456789abcdef/4242",
    "note": "benefits-ledger/vn\n4242\nASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4=\n\n— benefits-ledger/vn ab\n",
}
NAME = "Người khuyết tật nặng"  # BTXH_DISABLED_SEVERE's name_vi without "(khoản 6 Điều 5)"


def line(n: int, commune: str, channel: str, *items: tuple[str, str, str | None, int]) -> RosterLine:
    person = RosterLine(f"b-{n}", f"07513000000{n}", f"Nguyễn Văn <Tèo> & {n}", commune, channel)
    person.items.extend(RosterItem(f"e-{n}-{i}", *item) for i, item in enumerate(items))
    return person


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
              st.sampled_from(["regular", "arrears", "one_off"]), st.just("2024-08"), amounts),
    min_size=1, max_size=4,
)  # fmt: skip
people = st.lists(
    st.tuples(st.sampled_from(["26041", "25993"]), st.sampled_from(["cash", "bank"]), items), max_size=12
)


@settings(max_examples=30, deadline=None)
@given(people)
def test_every_item_is_a_row_and_the_totals_are_the_rosters(drawn):
    lines = [line(n, commune, channel, *its) for n, (commune, channel, its) in enumerate(drawn)]
    the_roster = Roster(Month(2024, 8), RosterScope(), lines)
    book = open_roster(roster_xlsx(the_roster))
    for code in sorted({x.commune_code for x in lines}):
        sheet = next(s for s in book.worksheets if s.title.startswith(code))
        ours = [x for x in lines if x.commune_code == code]
        _, rows, total = commune_table(sheet)
        assert len(rows) == sum(len(x.items) for x in ours)
        assert [r[4] for r in rows] == [i.amount for x in ours for i in x.items]
        assert [r[5] for r in rows if r[0] is not None] == [x.net_amount for x in ours]
        assert total[4] == total[5] == sum(x.net_amount for x in ours)
    grand = next(r for r in book["Tổng hợp"].iter_rows(values_only=True) if r[1] == "Tổng cộng")
    cash = [x for x in lines if x.channel == "cash"]
    assert grand[2:6] == (
        len(lines),
        the_roster.totals()["amount"],
        len(cash),
        sum(x.net_amount for x in cash),
    )


def test_the_fast_cell_writer_writes_what_xlsxwriter_writes(monkeypatch):
    """:class:`FastCells` is XlsxWriter's worksheet with a shorter path for numbers, strings and blanks:
    the sheets' XML is byte for byte the same (names with XML's special characters, a leading space,
    a control character and a would-be escape go through XlsxWriter's own path)."""
    odd = roster()
    odd.lines[0].full_name = " Lê\x07Văn _x0041_ Tám "
    ours = zipfile.ZipFile(io.BytesIO(roster_xlsx(odd, CHECKPOINT)))
    monkeypatch.setattr(roster_workbook, "SHEET_CLASS", Worksheet)
    theirs = zipfile.ZipFile(io.BytesIO(roster_xlsx(odd, CHECKPOINT)))
    sheets = [n for n in ours.namelist() if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 3
    for name in sheets:
        assert ours.read(name) == theirs.read(name), name
    assert "_x005F_x0041_" in ours.read("xl/worksheets/sheet3.xml").decode()
