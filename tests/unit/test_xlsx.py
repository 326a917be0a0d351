"""The roster workbook: what a payment officer opens and prints, read back with openpyxl."""

from __future__ import annotations

import io
import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from domain.values import Month
from projections import xlsx
from projections.exports import HEADINGS, roster_xlsx
from projections.rosters import Roster, RosterItem, RosterLine, RosterScope


def roster() -> Roster:
    lines = []
    for n, commune in enumerate(["26041", "26041", "25993"]):
        line = RosterLine(f"b-{n}", f"07513000000{n}", f"Nguyễn Văn <Tèo> & {n}", commune, "cash")
        line.items.append(RosterItem(f"e-{n}", "BTXH_ELDERLY_80", "regular", "2024-08", 500_000 + n))
        lines.append(line)
    return Roster(Month(2024, 8), RosterScope(), lines)


def test_the_workbook_reads_back_with_values_styles_and_page_setup():
    book = load_workbook(io.BytesIO(roster_xlsx(roster())))
    assert book.sheetnames[0] == "Tổng hợp"
    assert len(book.sheetnames) == 3
    summary = book["Tổng hợp"]
    assert summary["A1"].value.startswith("TỔNG HỢP DANH SÁCH CHI TRẢ THÁNG")
    assert [c.value for c in summary[2]] == ["Xã/phường", "Số người", "Số tiền"]
    assert summary.cell(summary.max_row, 3).value == 500_000 * 3 + 3
    assert summary.cell(summary.max_row, 3).number_format == "#,##0"
    sheet = book[book.sheetnames[1]]
    assert tuple(c.value for c in sheet[2]) == tuple(HEADINGS)
    assert sheet["A2"].font.b
    assert sheet["A2"].border.left.style == "thin"
    assert sheet["A2"].alignment.wrap_text
    first = [c.value for c in sheet[3]]
    assert first[0] == 1
    assert first[1].startswith("Nguyễn Văn <Tèo> & ")  # escaped in XML, whole when read
    assert isinstance(first[5], int)
    assert sheet["F3"].number_format == "#,##0"
    assert sheet["F3"].border.bottom.style == "thin"
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[1] == "Tổng cộng"
    assert sheet.cell(sheet.max_row, 2).font.b
    assert sheet.freeze_panes == "A3"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize in {9, "9"}
    assert sheet.print_title_rows == "$2:$2"
    assert sheet.column_dimensions["E"].width == 60


def test_the_same_roster_gives_the_same_bytes():
    assert roster_xlsx(roster()) == roster_xlsx(roster())


def test_column_letters_and_control_characters():
    assert [xlsx.column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    sheet = xlsx.Sheet("Thử")
    sheet.append([("a\x01b", xlsx.PLAIN), (None, xlsx.PLAIN), (7, xlsx.AMOUNT)])
    book = load_workbook(io.BytesIO(xlsx.workbook([sheet])))
    assert [c.value for c in book["Thử"][1]] == ["ab", None, 7]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES)
def test_canonical_roster_bytes_are_those_of_the_standard_library(value):
    """Issued rosters were hashed over json.dumps(sort_keys, compact, UTF-8); orjson writes the same."""
    if isinstance(value, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return  # a lone surrogate is no text: neither writes it
    try:
        standard = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        return
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == standard


def test_a_roster_with_every_kind_of_text_has_the_standard_bytes():
    r = roster()
    r.lines[0].full_name = 'Ngô "Bảo" \\ Châu\n\t\x01\u2028 — 𠀀'
    standard = json.dumps(r.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert r.canonical_json() == standard
