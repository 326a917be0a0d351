"""`ledger roster`, `projections`, `users`, `rates`, `report`, `exceptions` on both backends."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import app
from ledger.application import open_ledger
from projections.engine import open_projections
from projections.rosters import build_roster
from tests.support import record_standards_before_july_2024

if TYPE_CHECKING:
    from pathlib import Path

    from click.testing import Result

HEADINGS = ["STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Số tiền", "Hình thức", "Ký nhận"]


def cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"LEDGER_DATABASE_URL": url}, catch_exceptions=False)


def test_roster_files_open_in_a_spreadsheet_with_the_vietnamese_headings(database_url: str, tmp_path: Path):
    assert cli(database_url, "demo", "--beneficiaries", "40", "--seed", "5").exit_code == 0
    ledger = open_ledger(database_url)
    month = ledger.current_month()
    engine = open_projections(ledger, database_url)
    expected = build_roster(engine, month)
    engine.store.close()
    assert expected.lines, "the demo province has a roster this month"

    out_csv = tmp_path / "roster.csv"
    result = cli(database_url, "roster", str(month), "--format", "csv", "--out", str(out_csv))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert rows[1] == HEADINGS
    assert rows[-1][1] == "Tổng cộng"
    assert len(rows) == len(expected.lines) + 3  # title, headings, lines, totals
    total = int(rows[-1][5].replace(".", ""))
    assert total == expected.totals()["amount"]
    assert all(row[5].replace(".", "").lstrip("-").isdigit() for row in rows[2:])

    out_xlsx = tmp_path / "roster.xlsx"
    result = cli(database_url, "roster", str(month), "--format", "xlsx", "--out", str(out_xlsx))
    assert result.exit_code == 0, result.output
    book = load_workbook(out_xlsx)
    communes = {line.commune_code for line in expected.lines}
    assert len(book.sheetnames) == len(communes) + 1  # a summary sheet and one sheet per commune
    sheet = book[book.sheetnames[1]]
    assert [c.value for c in sheet[2]] == HEADINGS
    assert sheet.cell(row=sheet.max_row, column=2).value == "Tổng cộng"
    assert (
        sum(book[name].cell(row=book[name].max_row, column=6).value for name in book.sheetnames[1:])
        == (expected.totals()["amount"])
    )

    commune = next(iter(sorted(communes)))
    table = cli(database_url, "roster", str(month), "--commune", commune)
    assert table.exit_code == 0, table.output
    assert "Tổng cộng" in table.output
    assert "Ký nhận" in table.output

    as_json = cli(database_url, "roster", str(month), "--format", "json", "--channel", "bank")
    data = json.loads(as_json.stdout)
    assert {line["channel"] for line in data["lines"]} <= {"bank"}


def test_issue_rebuild_and_roster_stay_identical(database_url: str):
    assert cli(database_url, "demo", "--beneficiaries", "30", "--seed", "9").exit_code == 0
    month = str(open_ledger(database_url).current_month())
    first = cli(database_url, "roster", month, "--format", "json", "--outstanding-only").stdout
    assert json.loads(first)["view"] == "outstanding"
    issued = cli(database_url, "roster", month, "--format", "json", "--issue")
    assert issued.exit_code == 0, issued.output
    assert "content hash" in issued.stderr
    rebuilt = cli(database_url, "projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt the read models" in rebuilt.output
    assert cli(database_url, "roster", month, "--format", "json", "--outstanding-only").stdout == first
    # the month view shows the issued lines as they were frozen, every one of them issued or paid
    month_view = json.loads(cli(database_url, "roster", month, "--format", "json").stdout)
    assert month_view["view"] == "month"
    frozen = [line for line in month_view["lines"] if line["issued_roster_id"]]
    assert [line["items"] for line in frozen] == [
        [{**item, "status": "issued"} for item in line["items"]] for line in json.loads(first)["lines"]
    ]
    again = cli(database_url, "roster", month, "--issue", "--format", "summary")
    assert again.exit_code == 1
    assert "already issued" in again.output


def test_users_add_prints_the_token_alone_on_the_last_line(database_url: str):
    result = cli(database_url, "users", "add", "officer7", "--role", "officer", "--scope", "26041")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    user = open_ledger(database_url).authenticate(token)
    assert user is not None
    assert (user.name, user.role, user.scope) == ("officer7", "officer", ["26041"])
    refused = cli(database_url, "users", "add", "x", "--role", "officer")
    assert refused.exit_code == 2
    assert "name" in refused.output
    bad_scope = cli(database_url, "users", "add", "inspector2", "--role", "inspector", "--scope", "26041")
    assert bad_scope.exit_code == 2


def test_rates_amendment_from_the_command_line_shows_in_the_roster(database_url: str):
    ledger = open_ledger(database_url, seed_reference=False)
    record_standards_before_july_2024(ledger)
    person = ledger.register_beneficiary(
        "officer",
        kind="meritorious",
        full_name="Phạm Thị Hoa",
        commune_code="26041",
        citizen_id="075145012345",
    )
    eid = ledger.grant_entitlement(
        "officer", person.id, scheme="NCC_MARTYR_RELATIVE", effective_from="2024-07", params={"martyrs": 1},
        basis={"decision_no": "9/QĐ", "decision_date": "2024-07-01", "issuer": "Sở"},
    )["entitlement_id"]  # fmt: skip
    ledger.record_payment(
        "po", payment_id="J7", beneficiary_id=person.id, entitlement_id=eid, period="2024-07",
        amount=2_055_000, paid_on="2024-07-10",
    )  # fmt: skip
    result = cli(
        database_url, "rates", "amend", "NCC_STANDARD", "--effective-from", "2024-07", "--amount", "2789000",
        "--legal-basis", "NĐ 77/2024/NĐ-CP",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(cli(database_url, "roster", "2024-08", "--format", "json").stdout)
    items = [(i["type"], i["period"], i["amount"]) for i in data["lines"][0]["items"]]
    assert items == [("regular", "2024-08", 2_789_000), ("arrears", "2024-07", 734_000)]
    assert "NĐ 77/2024/NĐ-CP" in cli(database_url, "rates", "list").output
    report = json.loads(cli(database_url, "report", "--from", "2024-07", "--to", "2024-07").stdout)
    assert report["schemes"]["NCC_MARTYR_RELATIVE"]["amount"] == 2_055_000
    listed = json.loads(cli(database_url, "exceptions", "--type", "overpayment_outstanding").stdout)
    assert listed["items"] == []
    bad = cli(database_url, "roster", "2024-13")
    assert bad.exit_code == 2
    assert "month" in bad.output
