"""Registering people from a file: checked whole, all or nothing (or the good rows), only once."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from typer.testing import CliRunner

from api.bootstrap import create_app
from api.cli import app
from domain.errors import InvalidInput, NotFound
from ledger.application import BenefitsLedger, open_ledger
from ledger.integrity import verify_streams
from ledger.register_imports import import_beneficiaries

HEADER = [
    "citizen_id", "full_name", "date_of_birth", "sex", "commune_code", "kind", "scheme", "effective_from",
    "decision_no", "decision_date", "issuer", "param_injury_rate", "bank_code", "account_number",
]  # fmt: skip
DECISION = ["15/QĐ-UBND", "2024-07-05", "UBND xã Phước An"]
GOOD = [
    ["075130000001", "Đỗ Thị Mai", "1930-01-01", "nữ", "26041", "btxh", "BTXH_ELDERLY_80", "2024-07",
     *DECISION, "", "", ""],
    ["075048000002", "Nguyễn Văn Lịch", "1948-03-02", "nam", "26041", "ncc", "NCC_WAR_INVALID", "2024-07",
     "120/QĐ-SNV", "2024-06-25", "Sở Nội vụ", "45", "VCB", "0123456789"],
    ["075160000003", "Trần Thị Hoa", "1960-05-05", "female", "26041", "social_assistance", "", "", "", "", "",
     "", "", ""],
]  # fmt: skip


@pytest.fixture
def ledger(database_url: str) -> BenefitsLedger:
    app_ = open_ledger(database_url, clock=lambda: datetime(2024, 9, 20, 9, tzinfo=UTC))
    app_.seed_reference_rates()
    return app_


def csv_file(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode()


def test_a_good_file_registers_and_grants_once(ledger):
    before = ledger.recorder.max_notification_id() or 0
    report = import_beneficiaries(ledger, csv_file(GOOD), "list.csv", actor="officer")
    assert report.errors == []
    assert (report.registered, report.granted, report.committed) == (3, 2, True)
    assert report.events == 3 + 3 + 2  # registrations, citizen-ID claims, grants
    assert (ledger.recorder.max_notification_id() or 0) == before + report.events
    invalid = ledger.find_by_citizen_id("075048000002")
    (grant,) = invalid.entitlements.values()
    assert grant.scheme_code == "NCC_WAR_INVALID"
    assert grant.params_for(grant.start)["injury_rate"] == 45
    assert invalid.payment_channel == {"type": "bank", "bank_code": "VCB", "account_number": "0123456789"}
    assert invalid.sex == "male"
    mai = ledger.find_by_citizen_id("075130000001")
    assert mai.full_name == "Đỗ Thị Mai"
    assert mai.due_item(next(iter(mai.entitlements)), "2024-08", ledger.rates()).due == 500_000
    top = ledger.recorder.max_notification_id()
    again = import_beneficiaries(ledger, csv_file(GOOD), "list.csv", actor="officer")
    assert (again.registered, again.already_registered, again.granted, again.already_granted) == (0, 3, 0, 2)
    assert again.events == 0
    assert ledger.recorder.max_notification_id() == top
    assert verify_streams(ledger).ok


def test_every_bad_row_is_reported_and_nothing_is_recorded(ledger):
    rows = [
        *GOOD,
        ["075130000004", "Sai Năm Sinh", "1950-01-01", "nữ", "26041", "btxh", "", "", "", "", "", "", "", ""],
        ["075130000005", "Xã Lạ", "1930-01-01", "nữ", "99999", "btxh", "", "", "", "", "", "", "", ""],
        ["075130000006", "Thiếu Quyết Định", "1930-01-01", "nữ", "26041", "btxh", "BTXH_ELDERLY_80",
         "2024-07", "", "", "", "", "", ""],
        ["075130000007", "Loại Lạ", "1930-01-01", "nữ", "26041", "other", "", "", "", "", "", "", "", ""],
        ["", "Không CCCD", "1930-01-01", "nữ", "26041", "btxh", "", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    before = ledger.recorder.max_notification_id()
    report = import_beneficiaries(ledger, csv_file(rows), "bad.csv", actor="officer")
    found = {(e.row, e.column) for e in report.errors}
    assert (5, "citizen_id") in found  # born 1930 says the ID's century digit and year, not 1950
    assert (6, "commune_code") in found
    assert (7, "decision_no") in found
    assert (8, "kind") in found
    assert (9, "citizen_id") in found
    assert {row for row, _ in found} == {5, 6, 7, 8, 9}
    assert report.committed is False
    assert ledger.recorder.max_notification_id() == before


def test_good_rows_only_and_a_row_whose_grant_fails_registers_nobody(ledger, tmp_path, database_url):
    failing_grant = ["075130000008", "Chưa Đủ Tuổi", "1990-01-01", "nữ", "26041", "btxh", "NCC_WAR_INVALID",
                     "2024-07", *DECISION, "", "", ""]  # fmt: skip
    path = tmp_path / "list.csv"
    path.write_bytes(csv_file([*GOOD, failing_grant]))
    rejects = tmp_path / "rejects.csv"
    runner = CliRunner()
    env = {"LEDGER_DATABASE_URL": database_url}
    refused = runner.invoke(app, ["import", "beneficiaries", str(path)], env=env)
    assert refused.exit_code == 2, refused.output
    assert "dòng 5" in refused.output
    accepted = runner.invoke(
        app, ["import", "beneficiaries", str(path), "--accept-good-rows", "--rejects", str(rejects)], env=env
    )
    assert accepted.exit_code == 0, accepted.output
    assert "đăng ký 3 đối tượng" in accepted.output
    with pytest.raises(NotFound):
        ledger.find_by_citizen_id("075130000008")
    text = rejects.read_text(encoding="utf-8-sig")
    assert "075130000008" in text
    assert text.count("\n") == 2


def test_xlsx_with_vietnamese_headers(ledger):
    book = Workbook()
    sheet = book.active
    sheet.append(["Số CCCD", "Họ tên", "Ngày sinh", "Giới tính", "Mã xã", "Loại đối tượng"])
    sheet.append(["075130000001", "Đỗ Thị Mai", datetime(1930, 1, 1), "Nữ", "26041", "Bảo trợ xã hội"])  # noqa: DTZ001
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_beneficiaries(ledger, buffer.getvalue(), "ds.xlsx", actor="officer")
    assert (report.registered, report.errors) == (1, [])
    assert ledger.find_by_citizen_id("075130000001").kind == "social_assistance"


def test_an_unknown_column_is_named(ledger):
    with pytest.raises(InvalidInput, match="colour"):
        import_beneficiaries(ledger, b"citizen_id,colour\n1,red\n", "x.csv", actor="officer")


def test_http_import_of_beneficiaries(ledger, database_url):
    _, token = ledger.add_user("setup", "po1", role="officer")
    _, inspector = ledger.add_user("setup", "ins", role="inspector")
    client = TestClient(create_app(database_url, ledger=ledger))
    files = {"file": ("list.csv", csv_file(GOOD), "text/csv")}
    answer = client.post(
        "/v1/imports/beneficiaries", files=files, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["registered"], answer.json()["granted"]) == (3, 2)
    bad = csv_file([["075130000009", "", "1930-01-01", "nữ", "26041", "btxh", *[""] * 8]])
    refused = client.post(
        "/v1/imports/beneficiaries", files={"file": ("b.csv", bad, "text/csv")},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"row": 2, "column": "full_name", "reason": "is required"}]
    forbidden = client.post(
        "/v1/imports/beneficiaries", files=files, headers={"Authorization": f"Bearer {inspector}"}
    )
    assert forbidden.status_code == 403
