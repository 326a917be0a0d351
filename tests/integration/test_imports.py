"""Importing a post-office / bank confirmation file: checked whole, all or nothing, only once."""

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
from domain.values import Month
from ledger.application import BenefitsLedger, open_ledger
from ledger.imports import import_payments, read_table
from ledger.integrity import verify_streams

BASIS = {"decision_no": "3/QĐ", "decision_date": "2024-07-01", "issuer": "UBND xã"}
HEADER = ["ma_chi_tra", "so_cccd", "che_do", "ky", "so_tien", "ngay_chi", "trang_thai", "so_bien_lai"]


@pytest.fixture
def ledger(database_url: str) -> BenefitsLedger:
    app_ = open_ledger(database_url, clock=lambda: datetime(2024, 9, 20, 9, tzinfo=UTC))
    app_.seed_reference_rates()
    for serial in range(1, 4):
        person = app_.register_beneficiary(
            "officer", kind="social_assistance", full_name=f"Đỗ Thị Mai {serial}", commune_code="26041",
            citizen_id=f"07513000000{serial}", date_of_birth="1930-01-01", sex="female",
        )  # fmt: skip
        app_.grant_entitlement(
            "officer", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=BASIS
        )
    return app_


def csv_file(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode()


def good_rows(month: str = "2024-08") -> list[list[str]]:
    return [
        [
            f"BD-{month}-{n}",
            f"07513000000{n}",
            "BTXH_ELDERLY_80",
            month,
            "500.000",
            "10/08/2024",
            "đã nhận",
            f"BL{n}",
        ]
        for n in (1, 2)
    ] + [
        [f"BD-{month}-3", "075130000003", "BTXH_ELDERLY_80", month, "500000", "2024-08-10", "không nhận", ""]
    ]


def test_a_good_file_is_recorded_once(ledger):
    before = ledger.recorder.max_notification_id()
    report = import_payments(ledger, csv_file(good_rows()), "aug.csv", actor="po")
    assert report.errors == []
    assert (report.recorded, report.not_collected, report.committed) == (2, 1, True)
    assert report.events == 3  # 2 payments + 1 non-collection (payment ids: a key, not streams)
    after = ledger.recorder.max_notification_id()
    assert after == (before or 0) + 3
    again = import_payments(ledger, csv_file(good_rows()), "aug.csv", actor="po")
    assert (again.recorded, again.already_recorded, again.events) == (0, 3, 0)
    assert ledger.recorder.max_notification_id() == after
    assert verify_streams(ledger).ok


def test_every_bad_row_is_reported_and_nothing_is_recorded(ledger):
    rows = good_rows()
    rows.append(["BD-x", "075130000009", "BTXH_ELDERLY_80", "2024-08", "500000", "2024-08-10", "đã nhận", ""])
    rows.append(["BD-y", "075130000001", "BTXH_ELDERLY_80", "2024-13", "abc", "2024-08-10", "đã nhận", ""])
    rows.append(["BD-z", "075130000002", "BTXH_ELDERLY_80", "2024-09", "400000", "2024-09-10", "đã nhận", ""])
    rows.append(
        ["BD-2024-08-1", "075130000001", "BTXH_ELDERLY_80", "2024-09", "500000", "2024-09-10", "", ""]
    )
    before = ledger.recorder.max_notification_id()
    report = import_payments(ledger, csv_file(rows), "bad.csv", actor="po")
    found = {(e.row, e.column) for e in report.errors}
    assert (5, "citizen_id") in found or (5, "row") in found  # unknown citizen ID
    assert {(6, "period"), (6, "amount")} <= found
    assert (7, "amount") in found  # 400,000 where 500,000 is due
    assert (8, "payment_id") in found  # repeats row 2's payment id
    assert report.committed is False
    assert ledger.recorder.max_notification_id() == before
    partial = import_payments(ledger, csv_file(rows), "bad.csv", actor="po", accept_good_rows=True)
    assert partial.committed is True
    assert partial.recorded == 2


def test_xlsx_files_and_vietnamese_headers(ledger):
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã chi trả", "Số CCCD", "Chế độ", "Kỳ", "Số tiền", "Ngày chi", "Trạng thái"])
    paid_on = datetime(2024, 9, 10)  # noqa: DTZ001 - a spreadsheet date has no zone
    sheet.append(["X-1", "075130000001", "BTXH_ELDERLY_80", "2024-09", 500000, paid_on, "paid"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_table(buffer.getvalue(), "sept.xlsx")[0]["paid_on"] == "2024-09-10"
    report = import_payments(ledger, buffer.getvalue(), "sept.xlsx", actor="po")
    assert (report.recorded, report.errors) == (1, [])


def test_unknown_column_names_the_column(ledger):
    content = b"payment_id,colour\nA,red\n"
    with pytest.raises(Exception, match="colour"):
        import_payments(ledger, content, "x.csv", actor="po")


def test_cli_import_reports_rows_and_writes_rejects(ledger, database_url, tmp_path):
    rows = [*good_rows(), ["BD-q", "075130000001", "BTXH_ELDERLY_80", "2024-08", "1", "2024-08-10", "", ""]]
    path = tmp_path / "aug.csv"
    path.write_bytes(csv_file(rows))
    rejects = tmp_path / "rejects.csv"
    runner = CliRunner()
    env = {"LEDGER_DATABASE_URL": database_url}
    refused = runner.invoke(app, ["import", "payments", str(path)], env=env)
    assert refused.exit_code == 2
    assert "dòng 5" in refused.output  # a file with Vietnamese headings is answered in Vietnamese
    accepted = runner.invoke(
        app, ["import", "payments", str(path), "--accept-good-rows", "--rejects", str(rejects)], env=env
    )
    assert accepted.exit_code == 0, accepted.output
    assert "ghi 2 khoản chi" in accepted.output
    assert "1 không nhận" in accepted.output
    assert rejects.read_text(encoding="utf-8-sig").count("\n") == 2
    assert ledger.beneficiary(ledger.find_by_citizen_id("075130000001").id).paid != {}
    assert Month(2024, 8)


def test_http_import_returns_the_report(ledger, database_url):
    _, token = ledger.add_user("setup", "po1", role="officer")
    _, scoped = ledger.add_user("setup", "po2", role="officer", scope=["26041"])
    client = TestClient(create_app(database_url, ledger=ledger))
    files = {"file": ("aug.csv", csv_file(good_rows()), "text/csv")}
    answer = client.post("/v1/imports/payments", files=files, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    assert (answer.json()["recorded"], answer.json()["not_collected"]) == (2, 1)
    bad = [
        *good_rows("2024-09"),
        ["B", "075130000001", "BTXH_ELDERLY_80", "2024-09", "9", "2024-09-10", "", ""],
    ]
    files = {"file": ("sep.csv", csv_file(bad), "text/csv")}
    refused = client.post("/v1/imports/payments", files=files, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["row"] == 5
    forbidden = client.post(
        "/v1/imports/payments", files=files, headers={"Authorization": f"Bearer {scoped}"}
    )
    assert forbidden.status_code == 403


def test_a_concurrent_write_wins_and_the_import_rechecks_its_batch(ledger, database_url):
    """Between the import's check and its save, another process pays Mai 1's August (another payment
    id) and corrects Mai 2's name. The batch's save meets the moved streams (optimistic concurrency),
    is checked again on the fresh state: Mai 1's row is refused as already paid — never paid twice —
    and the other rows are recorded."""
    other = open_ledger(database_url, clock=lambda: datetime(2024, 9, 20, 9, tzinfo=UTC))
    first = other.find_by_citizen_id("075130000001")
    second = other.find_by_citizen_id("075130000002")
    original_save = ledger.record_stored
    raced = []

    def save_after_a_concurrent_write(*aggregates, **kwargs):  # the import saves its sealed chunks
        if not raced:
            raced.append(True)
            other.record_payment(
                "quay-khac", payment_id="COUNTER-1", beneficiary_id=first.id,
                entitlement_id=next(iter(first.entitlements)), period="2024-08", amount=500_000,
                paid_on="2024-08-09",
            )  # fmt: skip
            other.correct_details("quay-khac", second.id, {"full_name": "Đỗ Thị Mai Hai"}, reason="sai tên")
        return original_save(*aggregates, **kwargs)

    ledger.record_stored = save_after_a_concurrent_write
    report = import_payments(ledger, csv_file(good_rows()), "aug.csv", actor="po", accept_good_rows=True)
    ledger.record_stored = original_save
    assert raced
    assert report.committed
    assert [(e.row, e.column) for e in report.errors] == [(2, "period")]
    assert "already paid" in report.errors[0].reason
    assert (report.recorded, report.not_collected) == (1, 1)
    mai = ledger.find_by_citizen_id("075130000001")
    assert [p.payment_id for p in mai.payments.values()] == ["COUNTER-1"]
    assert mai.paid == {(next(iter(mai.entitlements)), "2024-08"): 500_000}
    mai2 = ledger.find_by_citizen_id("075130000002")
    assert mai2.full_name == "Đỗ Thị Mai Hai"
    assert [p.payment_id for p in mai2.payments.values()] == ["BD-2024-08-2"]
    assert verify_streams(ledger).ok
    other.close()


def test_a_payment_id_of_another_beneficiary_is_refused_as_the_api_refuses_it(ledger):
    """One rule for "a payment id is one payment" (domain/indexes.py ``claims_needed``): the row whose
    payment id already paid someone else is refused with the API's reason, and records nothing."""
    first = ledger.find_by_citizen_id("075130000001")
    ledger.record_payment(
        "po", payment_id="BD-2024-08-2", beneficiary_id=first.id,
        entitlement_id=next(iter(first.entitlements)), period="2024-08", amount=500_000, paid_on="2024-08-09",
    )  # fmt: skip
    before = ledger.recorder.max_notification_id()
    report = import_payments(ledger, csv_file(good_rows()[1:]), "aug.csv", actor="po")
    assert [(e.row, e.column) for e in report.errors] == [(2, "payment_id")]
    assert (
        report.errors[0].reason
        == "payment_id BD-2024-08-2 was already used for another beneficiary's payment"
    )
    assert not report.committed
    assert ledger.recorder.max_notification_id() == before


def test_a_file_of_many_chunks_is_checked_whole_and_saved_chunk_by_chunk(ledger):
    bad = ["BD-X", "075130000009", "BTXH_ELDERLY_80", "2024-08", "500000", "2024-08-10", "đã nhận", ""]
    report = import_payments(ledger, csv_file([*good_rows(), bad]), "aug.csv", actor="po", batch_size=1)
    assert ([e.row for e in report.errors], report.committed, report.events) == ([5], False, 0)
    report = import_payments(
        ledger, csv_file([*good_rows(), bad]), "aug.csv", actor="po", batch_size=1, accept_good_rows=True
    )
    assert (report.recorded, report.not_collected, report.events, report.committed) == (2, 1, 3, True)
    assert [e.row for e in report.errors] == [5]
    assert verify_streams(ledger).ok


ENGLISH_HEADER = ["payment_id", "citizen_id", "scheme", "period", "amount", "paid_on", "status", "reference"]
TOO_MUCH = ["BD-x", "075130000001", "BTXH_ELDERLY_80", "2024-08", "600000", "2024-08-10", "paid", ""]


def _cli_import(database_url: str, content: bytes, tmp_path, **env: str) -> str:
    path = tmp_path / "xac-nhan.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(
        app, ["import", "payments", str(path)], env={"LEDGER_DATABASE_URL": database_url, **env}
    )
    assert result.exit_code == 2, result.output
    # what the command says, without the log's line for the operator (English, key=value)
    return "\n".join(line for line in result.output.splitlines() if " ledger.imports " not in line)


def _english_file(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([ENGLISH_HEADER, *rows])
    return buffer.getvalue().encode()


def test_cli_import_of_a_vietnamese_file_speaks_vietnamese_with_its_columns_and_amounts(
    ledger, database_url, tmp_path
):
    """Issue 15, build 6: the file's own column names, the reason in Vietnamese, amounts 600.000 — even
    with LEDGER_LANG=en, since the file's headings are Vietnamese."""
    before = ledger.recorder.max_notification_id()
    for env in ({}, {"LEDGER_LANG": "en"}):
        out = _cli_import(database_url, csv_file([TOO_MUCH]), tmp_path, **env)
        assert "dòng 2, cột so_tien: Số tiền 600.000 đ khác số phải chi 500.000 đ" in out
        assert "600,000" not in out
        assert "1 dòng: ghi 0 khoản chi" in out
        assert "tệp có lỗi: chưa ghi dòng nào" in out
    assert ledger.recorder.max_notification_id() == before


def test_cli_import_of_an_english_file_speaks_vietnamese_by_default_and_english_when_asked(
    ledger, database_url, tmp_path
):
    content = _english_file([TOO_MUCH])
    vietnamese = _cli_import(database_url, content, tmp_path)  # LEDGER_LANG=vi is the default
    assert "dòng 2, cột số tiền: Số tiền 600.000 đ khác số phải chi 500.000 đ" in vietnamese
    english = _cli_import(database_url, content, tmp_path, LEDGER_LANG="en")
    assert "row 2, amount: is 600,000 but 500,000 đồng is due" in english
    assert "1 rows: 0 payments recorded" in english
    assert "the file has errors: nothing was recorded" in english


def test_cli_import_of_an_unreadable_file_names_it_in_vietnamese(ledger, database_url, tmp_path):
    out = _cli_import(database_url, b"payment_id,colour\nA,red\n", tmp_path)
    assert "FILE: Cột 'colour' không thuộc mẫu tệp" in out
