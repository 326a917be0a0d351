"""Issue 14: a file is checked before it is read and read only within 200,000 rows × 64 columns — the
1.5 KB workbook declaring 30,000 × 16,384 cells is refused in milliseconds, a sheet that lies about its
dimension is stopped while it is read, an archive of too many entries or too many bytes once
uncompressed is refused unread; CSV files the same; and a report lists the errors of its first 1,000
refused rows with the totals."""

from __future__ import annotations

import time
import tracemalloc
import zipfile

import pytest
from fastapi.testclient import TestClient
from upload_files import HEADER, cell, csv_of, header_row, hostile_workbook, xlsx

from api.bootstrap import create_app
from domain.errors import InvalidInput
from ledger import file_limits
from ledger.application import open_ledger
from ledger.imports import import_payments, read_ncc_table_file, read_table
from ledger.register_imports import import_beneficiaries


def refusal(content: bytes, filename: str = "f.xlsx") -> str:
    with pytest.raises(InvalidInput) as caught:
        read_table(content, filename)
    assert caught.value.errors[0].field == "file"
    return caught.value.message


def test_the_hostile_workbook_is_refused_before_it_is_read() -> None:
    content = hostile_workbook()
    assert len(content) < 2048
    tracemalloc.start()
    started = time.perf_counter()
    message = refusal(content)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "declares 30,000 rows × 16,384 columns in sheet1 (A1:XFD30000)" in message
    assert "at most 200,000 rows and 64 columns" in message
    assert seconds < 1
    assert peak < 5 * 1024 * 1024
    with pytest.raises(InvalidInput, match="30,000 rows"):
        read_ncc_table_file(content, "ncc.xlsx")  # the NCC tables are read the same way


def test_a_sheet_that_lies_about_its_dimension_is_stopped_while_it_is_read() -> None:
    far_cell = '<row r="2">' + cell("A2", "P1") + cell("XFD2", "x") + "</row>"
    assert "more than 64 columns (row 2)" in refusal(xlsx(header_row() + far_cell, "A1:F2"))
    beyond = f'<row r="{200_002}">' + cell("A200002", "P1") + "</row>"
    assert "more than 200,000 rows" in refusal(xlsx(header_row() + beyond, "A1:F2"))
    assert "more than 200,000 rows" in refusal(xlsx(header_row() + beyond, None))
    # within the limits, a sheet read in read-only mode gives its rows, its dimension wrong or absent
    good = '<row r="3">' + "".join(cell(f"{chr(65 + i)}3", v) for i, v in enumerate(["P1", "x"])) + "</row>"
    for dimension in ("A1:B2", None, "A1"):
        rows = read_table(xlsx(header_row() + good, dimension), "f.xlsx")
        assert [(r["payment_id"], r["citizen_id"]) for r in rows] == [("P1", "x")]


def test_an_archive_of_too_many_entries_or_bytes_is_refused_unread() -> None:
    many = xlsx(header_row(), extra={f"xl/media/{n}.bin": b"" for n in range(1_001)})
    assert "1,006 archive entries (at most 1,000)" in refusal(many)
    bomb = xlsx(header_row(), extra={"xl/media/zeros.bin": bytes(101 * 1024 * 1024)})
    assert len(bomb) < 200 * 1024
    started = time.perf_counter()
    assert "is too large once uncompressed" in refusal(bomb)
    assert time.perf_counter() - started < 1
    assert "is not a readable XLSX workbook" in refusal(b"PK\x03\x04 not a zip")
    with zipfile.ZipFile(__import__("io").BytesIO(hostile_workbook())) as archive:
        assert len(archive.infolist()) == 5


def test_csv_files_are_read_within_the_limits() -> None:
    header = ",".join(HEADER) + "\n"
    line = "P1,075130000001,BTXH_ELDERLY_80,2024-07,500000,2024-07-10\n"
    assert len(read_table((header + line * 200_000).encode(), "p.csv")) == 200_000
    assert "more than 200,000 rows" in refusal((header + line * 200_001).encode(), "p.csv")
    assert "row 2 has 65 columns (at most 64)" in refusal((header + "x," * 64 + "x\n").encode(), "p.csv")
    long_cell = "P1," + "9" * 4_001 + "\n"
    assert "row 2 has a cell longer than 4,000 characters" in refusal((header + long_cell).encode(), "p.csv")
    long_line = header + "," * 40 + "x" * (file_limits.MAX_LINE_CHARS) + "\n"
    assert "line 2 is longer than" in refusal(long_line.encode(), "p.csv")
    assert len(csv_of(1024 * 1024)) >= 1024 * 1024


@pytest.fixture
def ledger(database_url: str):
    opened = open_ledger(database_url)
    yield opened
    opened.close()


def test_a_report_lists_the_errors_of_its_first_thousand_refused_rows(ledger) -> None:
    header = "ma_chi_tra,so_cccd,che_do,ky,so_tien,ngay_chi\n"
    bad = "".join(f"P{n},12,BTXH,2024-13,x,2024-07-10\n" for n in range(1_500))  # 3 errors a row
    report = import_payments(ledger, (header + bad).encode(), "p.csv", actor="officer")
    assert not report.committed
    assert len(report.errors) == 4_500  # all of them kept for the command line's rejects file
    body = report.as_dict()
    assert body["rows_with_errors"] == 1_500
    assert body["errors_total"] == 4_500
    assert len(body["errors"]) == 3_000
    assert body["errors_omitted"] == 1_500
    assert {e["row"] for e in body["errors"]} == set(range(2, 1_002))
    people = "citizen_id,full_name\n" + "".join(f"07513000{n:04d},Bà {n}\n" for n in range(1_200))
    register = import_beneficiaries(ledger, people.encode(), "b.csv", actor="officer").as_dict()
    assert (register["rows_with_errors"], register["errors_total"], register["errors_omitted"]) == (
        1_200,
        1_200,
        200,
    )
    assert {e["row"] for e in register["errors"]} == set(range(2, 1_002))
    assert not register["committed"]


def test_the_http_import_answers_the_capped_report(ledger) -> None:
    ledger.add_user("setup", "officer_all", role="officer")
    _, token = ledger.add_user("setup", "importer", role="officer")
    client = TestClient(create_app(ledger=ledger))
    header = "ma_chi_tra,so_cccd,che_do,ky,so_tien,ngay_chi\n"
    bad = "".join(f"P{n},12,BTXH,2024-07,500000,2024-07-10\n" for n in range(1_100))
    answer = client.post("/v1/imports/payments", files={"file": ("p.csv", (header + bad).encode())},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 422
    body = answer.json()
    assert (body["rows_with_errors"], body["errors_omitted"]) == (1_100, 100)
    assert len(body["errors"]) == 1_000
    answer = client.post("/v1/imports/payments", files={"file": ("h.xlsx", hostile_workbook())},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "file"
    assert "30,000 rows × 16,384 columns" in answer.json()["errors"][0]["message"]


def test_a_register_file_of_many_chunks_is_checked_whole_and_saved_chunk_by_chunk(ledger) -> None:
    people = "citizen_id,full_name,date_of_birth,sex,commune_code,kind\n" + "".join(
        f"07513000{n:04d},Bà {n},1930-01-01,nữ,26041,social_assistance\n" for n in range(5)
    )
    bad = "075130009999,Bà X,1930-01-01,nữ,99999,social_assistance\n"
    refused = import_beneficiaries(ledger, (people + bad).encode(), "b.csv", actor="officer", batch_size=2)
    assert (refused.committed, refused.events, [e.row for e in refused.errors]) == (False, 0, [7])
    report = import_beneficiaries(
        ledger, (people + bad).encode(), "b.csv", actor="officer", batch_size=2, accept_good_rows=True
    )
    assert (report.committed, report.registered, [e.row for e in report.errors]) == (True, 5, [7])
    again = import_beneficiaries(ledger, people.encode(), "b.csv", actor="officer", batch_size=2)
    assert (again.registered, again.already_registered, again.events) == (0, 5, 0)
