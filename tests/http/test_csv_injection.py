"""CSV files a spreadsheet cannot run (OWASP, CSV injection; ledger/csv_cells.py): a roster line whose
beneficiary is named like a formula is written with a leading apostrophe, and csv.reader reads the
roster back with every other cell intact; the import's rejects file does the same with the sender's
cells; a negative amount written as text is prefixed too, a real number is left alone; the one formula
ever written is a citizen ID kept as text (``="075…"``), digits only. Both backends.
"""

from __future__ import annotations

import csv
import io
import re

from api_support import Api, citizen_id
from hypothesis import example, given
from hypothesis import strategies as st

from ledger.csv_cells import Keep, csv_bytes, formula_safe, unescape, unwrap
from ledger.imports import RowError, read_table, write_rejects

FORMULAS = ['=HYPERLINK("http://x","Bấm")', "+1", "-2", "@SUM(A1)"]


def test_a_roster_csv_never_starts_a_cell_with_a_formula(api: Api):
    for name in FORMULAS:
        person = api.register(full_name=name, citizen_id=citizen_id(1950, female=True))
        api.grant(person["id"], "NCC_MARTYR_RELATIVE", "2024-01", params={"martyrs": 1})
    plain = api.register(full_name="Trần Thị Bình", citizen_id=citizen_id(1950, female=True))
    api.grant(plain["id"], "NCC_MARTYR_RELATIVE", "2024-01", params={"martyrs": 1})
    answer = api.get("/v1/rosters/2024-01", format="csv")
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    headings = next(r for r in rows if r and r[0] == "STT")
    name, amount, cid = headings.index("Họ và tên"), headings.index("Số tiền"), headings.index("Số CCCD")
    for row in rows:
        for column, cell in enumerate(row):
            if column == cid and re.fullmatch(r'="[0-9]{12}"', cell):
                continue  # the one formula ever written: a citizen ID kept as text (ledger/csv_cells.py)
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (cell, row)
    lines = [r for r in rows if r and r[0].isdigit()]
    assert sorted(r[name] for r in lines) == sorted(["'" + f for f in FORMULAS] + ["Trần Thị Bình"])
    assert sorted(unescape(r[name]) for r in lines) == sorted([*FORMULAS, "Trần Thị Bình"])
    assert {r[amount] for r in lines} == {"2055000"}  # plain integers, as a spreadsheet sums them
    assert {len(r) for r in lines} == {len(headings)}


def test_the_rejects_file_writes_the_senders_formulas_as_text():
    table = [{"payment_id": "=cmd|' /C calc'!A0", "citizen_id": "-1+2", "amount": "-500.000"}]
    errors = [RowError(2, "citizen_id", "not a citizen ID")]
    rows = list(csv.reader(io.StringIO(write_rejects(table, errors).decode("utf-8-sig"))))
    col = {h: i for i, h in enumerate(rows[0])}
    assert rows[1][col["row"]] == "2"
    assert rows[1][col["payment_id"]] == "'=cmd|' /C calc'!A0"
    assert rows[1][col["citizen_id"]] == "'-1+2"
    assert rows[1][col["amount"]] == "'-500.000"
    assert rows[1][col["errors"]] == "citizen_id: not a citizen ID"


def test_negative_amounts_as_text_are_prefixed_and_numbers_are_not():
    assert formula_safe([3, -500_000, "-500.000", "500.000", "Nguyễn Văn A", "", "a=b", "\t=1", "\r=1"]) == [
        3, -500_000, "'-500.000", "500.000", "Nguyễn Văn A", "", "a=b", "'\t=1", "'\r=1",
    ]  # fmt: skip
    assert unescape("'-500.000") == "-500.000"
    assert unescape("'quoted") == "'quoted"  # an apostrophe the sender wrote stays


def test_only_letters_and_digits_are_ever_wrapped_in_a_formula():
    cells = [Keep("075050066666"), Keep("TS2757912345678"), '="1"', Keep("=1+1"), Keep('0"+"1'), 2_789_000]
    (row,) = list(csv.reader(io.StringIO(csv_bytes([cells]).decode("utf-8-sig"))))
    assert row == ['="075050066666"', '="TS2757912345678"', '\'="1"', "'=1+1", '0"+"1', "2789000"]
    assert [unwrap(c) for c in row[:2]] == ["075050066666", "TS2757912345678"]


@given(st.lists(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")), max_size=5),
       st.sampled_from(["comma", "semicolon"]))  # fmt: skip
@example(["'=1", "''-2", "'plain", '="x"', "a\r\nb"], "comma")
def test_every_text_reads_back_and_none_runs_as_a_formula(texts: list[str], sep: str):
    row = [*texts, *(Keep(t) for t in texts)]
    delimiter = ";" if sep == "semicolon" else ","
    data = csv_bytes([row], sep)  # type: ignore[arg-type]
    assert data.startswith(b"\xef\xbb\xbf")
    (back,) = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)) or [[]]
    back = back or [""] * len(row)
    for cell, text in zip(back, row, strict=True):
        if cell.startswith("="):
            assert re.fullmatch(r'="[0-9A-Za-z]+"', cell)
        else:
            assert not cell.startswith(("+", "-", "@", "\t", "\r"))
        assert unescape(unwrap(cell)) == text


def test_a_citizen_id_kept_as_text_reads_back_into_an_import():
    """The rejects file writes a citizen ID as ``="075…"``; the import reads such a cell as the ID."""
    errors = [RowError(2, "amount", "must be a whole number of đồng")]
    rejects = write_rejects(
        [{"citizen_id": "075150012345", "amount": "abc"}], errors, ["citizen_id", "amount"]
    )
    (row,) = list(csv.reader(io.StringIO(rejects.decode("utf-8-sig"))))[1:]
    assert row[1] == '="075150012345"'
    corrected = csv_bytes([["citizen_id", "amount"], [Keep("075150012345"), 2_789_000]], "semicolon")
    assert read_table(corrected) == [{"citizen_id": "075150012345", "amount": "2789000"}]
