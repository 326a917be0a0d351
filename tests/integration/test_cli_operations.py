"""`ledger roster`, `projections`, `users`, `rates`, `report`, `exceptions` on both backends."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Console
from typer.testing import CliRunner
from workbook_reading import commune_table, open_roster

from api.cli import app
from api.cli.report_tables import report_tables
from api.cli.rosters import _commune_summary, _status_summary
from domain.values import Month, format_vnd, last_complete_month
from ledger.application import open_ledger
from ledger.csv_cells import unwrap
from projections.engine import open_projections
from projections.roster_workbook import MONTH_HEADINGS
from projections.rosters import (
    MONTH_VIEW,
    STATUS_LABELS,
    Roster,
    RosterItem,
    RosterLine,
    RosterScope,
    build_roster,
    month_roster,
)
from tests.api_support import Api, Clock
from tests.support import record_standards_before_july_2024

if TYPE_CHECKING:
    from pathlib import Path

    from click.testing import Result

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
HEADINGS = ["STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Số tiền", "Hình thức", "Ký nhận"]


def cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"LEDGER_DATABASE_URL": url}, catch_exceptions=False)


def test_roster_files_open_in_a_spreadsheet_with_the_vietnamese_headings(database_url: str, tmp_path: Path):
    assert cli(database_url, "demo", "--beneficiaries", "40", "--seed", "5").exit_code == 0
    ledger = open_ledger(database_url)
    month = ledger.current_month()
    engine = open_projections(ledger, database_url)
    expected = build_roster(engine, month)
    by_month = month_roster(engine, month)
    engine.store.close()
    assert expected.lines, "the demo province has a roster this month"

    out_csv = tmp_path / "roster.csv"
    result = cli(
        database_url, "roster", str(month), "--format", "csv", "--out", str(out_csv), "--outstanding-only"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert rows[1] == HEADINGS  # the still-to-pay view: no status, every line is to pay
    assert rows[-1][1] == "Tổng cộng"
    assert len(rows) == len(expected.lines) + 3  # title, headings, lines, totals
    total = int(rows[-1][5])  # plain integers (ledger/csv_cells.py), never 1.234.567 text
    assert total == expected.totals()["amount"]
    assert all(row[5].lstrip("-").isdigit() for row in rows[2:])
    # the month view (the default) says each line's status and what is still to pay
    result = cli(database_url, "roster", str(month), "--format", "csv", "--out", str(out_csv))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert rows[0] == [by_month.heading()]
    assert rows[1] == [*HEADINGS, "Tình trạng"]
    assert [row[-1] for row in rows[2:-2]] == [STATUS_LABELS[line.status] for line in by_month.lines]
    assert [rows[-2][1], rows[-1][1]] == ["Tổng cộng", "Còn phải chi"]
    totals = by_month.totals()
    assert int(rows[-1][5]) == totals["amount"] - totals["by_item_status"]["paid"]

    out_xlsx = tmp_path / "roster.xlsx"
    result = cli(database_url, "roster", str(month), "--format", "xlsx", "--out", str(out_xlsx))
    assert result.exit_code == 0, result.output
    book = open_roster(out_xlsx.read_bytes())
    communes = {line.commune_code for line in expected.lines}
    assert len(book.sheetnames) == len(communes) + 1  # a summary sheet and one sheet per commune
    headings, _, _ = commune_table(book[book.sheetnames[1]])
    assert tuple(headings) == MONTH_HEADINGS  # the month view's, with "Tình trạng"
    net = headings.index("Thực nhận (đ)")
    totals = [commune_table(book[name])[2][net] for name in book.sheetnames[1:]]
    assert sum(totals) == expected.totals()["amount"]

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
    assert "awaiting approval" in issued.stderr
    rebuilt = cli(database_url, "projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt the read models" in rebuilt.output
    assert cli(database_url, "roster", month, "--format", "json", "--outstanding-only").stdout == first
    busy = cli(database_url, "roster", month, "--issue", "--format", "summary")
    assert busy.exit_code == 1
    assert "đang chờ phê duyệt" in busy.output
    roster_id = str(open_ledger(database_url).roster(month, None, None).id)
    assert cli(database_url, "users", "add", "truong.phong", "--role", "approver").exit_code == 0
    approved = cli(database_url, "rosters", "approve", roster_id, "--user", "truong.phong")
    assert approved.exit_code == 0, approved.output
    assert "approved by truong.phong" in approved.output
    # the bytes prepared are the roster issued
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
    report = json.loads(
        cli(database_url, "report", "--from", "2024-07", "--to", "2024-07", "--format", "json").stdout
    )
    assert report["schemes"]["NCC_MARTYR_RELATIVE"]["amount"] == 2_055_000
    listed = json.loads(
        cli(database_url, "exceptions", "--type", "overpayment_outstanding", "--format", "json").stdout
    )
    assert listed["items"] == []
    bad = cli(database_url, "roster", "2024-13")
    assert bad.exit_code == 2
    assert "month" in bad.output


def two_allowances_unpaid_last_month(database_url: str) -> tuple[Api, Any, Month, Month]:
    """Lê Văn Tâm holds two allowances from the month before last, paid for that month (one by bank),
    not for the last complete month (the wall clock's: the CLI's)."""
    now = datetime.now(UTC)
    api = Api(database_url, Clock(now)).standard_users()
    last = last_complete_month(now)
    start = last.previous()
    decision = {"decision_no": "5/QĐ-UBND", "decision_date": f"{start}-01", "issuer": "UBND tỉnh Đồng Nai"}
    person = api.ledger.register_beneficiary(
        "setup", kind="social_assistance", full_name="Lê Văn Tâm", commune_code="26041",
        citizen_id="075040123456", date_of_birth="1940-03-03", sex="male",
    )  # fmt: skip
    eids = [
        api.ledger.grant_entitlement("setup", person.id, scheme=scheme, effective_from=str(start),
                                     basis=decision)["entitlement_id"]
        for scheme in ("BTXH_ELDERLY_80", "BTXH_CARE_FOSTER_ELDERLY")
    ]  # fmt: skip
    for eid in eids:  # the month before is paid (by bank for one: a non-cash share), last month is not
        due = api.ledger.beneficiary(person.id).due_item(eid, str(start), api.ledger.rates()).outstanding
        api.ledger.record_payment(
            "po", payment_id=f"P-{eid[:8]}", beneficiary_id=person.id, entitlement_id=eid, period=str(start),
            amount=due, paid_on=f"{last}-03", channel="bank" if eid == eids[0] else "cash",
        )  # fmt: skip
    return api, person, last, start


def test_exceptions_print_a_vietnamese_table_the_api_json_and_csv(database_url: str):
    """One person, two items; the table in Vietnamese with no internal id, numbers 1.234.567, lines of
    100 columns; the JSON the API's; bad input refused with exit 2 naming the option."""
    api, person, last, start = two_allowances_unpaid_last_month(database_url)
    unpaid = ("exceptions", "--type", "unpaid_roster_lines")
    listed = json.loads(cli(database_url, *unpaid, "--format", "json").stdout)
    assert listed == api.get("/v1/exceptions", type="unpaid_roster_lines").json()
    assert (listed["month"], listed["people"], listed["unpaid_items"]) == (str(last), 1, 2)
    assert listed["items"][0]["full_name"] == "Lê Văn Tâm"
    table = cli(database_url, *unpaid).stdout
    assert f"Khoản của tháng chưa chi trả — tháng {last.month:02d}/{last.year}: 1 người, 2 khoản" in table
    for heading in ("STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Kỳ", "Số tiền (đ)"):
        assert heading in table
    assert "0750*****456" in table  # masked as the logs mask it
    assert "075040123456" not in table
    assert "Phường Trấn" in table
    assert str(person.id) not in table
    assert not UUID_TEXT.search(table)
    assert "BTXH_" not in table  # scheme names, not codes
    assert format_vnd(listed["amount"]) in table
    assert all(len(line) <= 100 for line in table.splitlines())
    rows = list(csv.reader(io.StringIO(cli(database_url, *unpaid, "--format", "csv").stdout)))
    assert rows[0][:3] == ["Mã đối tượng", "Họ và tên", "Số CCCD"]
    assert [(r[0], unwrap(r[2]), r[-1]) for r in rows[1:]] == [  # the ID kept as text: ="075…"
        (str(person.id), "075040123456", str(i["amount"])) for i in listed["items"][0]["items"]
    ]
    earlier = json.loads(cli(database_url, *unpaid, "--month", str(start), "--format", "json").stdout)
    assert earlier == api.get("/v1/exceptions", type="unpaid_roster_lines", month=str(start)).json()
    assert earlier["items"] == []  # paid
    for bad in (("--month", "2024-13"), ("--month", "tháng 5"), ("--format", "xml")):
        refused = cli(database_url, *unpaid, *bad)
        assert refused.exit_code == 2, bad
        assert bad[0] in refused.output
    assert cli(database_url, "exceptions", "--type", "paid_after_death", "--month", str(last)).exit_code == 2
    api.close()


def test_report_prints_vietnamese_tables_the_api_json_and_csv(database_url: str):
    """By default January to the end of last month; JSON as the API's; CSV with plain integers."""
    api, _, last, start = two_allowances_unpaid_last_month(database_url)
    report = json.loads(cli(database_url, "report", "--format", "json").stdout)
    assert report == api.get("/v1/reports/summary").json()
    assert report["to"] == (last.next().first_day() - timedelta(days=1)).isoformat()
    assert report["from"] == f"{last.year}-01-01"
    assert report["non_cash_share"] == 1.0  # the one person paid, by bank for one item
    text = cli(database_url, "report").stdout
    assert f"Báo cáo chi trả từ 01/01/{last.year} đến " in text
    for label in ("Số người được chi", "Tỷ lệ người nhận không dùng tiền mặt", "Theo chế độ", "Số tiền (đ)"):
        assert label in text
    assert "100,0 %" in text
    assert format_vnd(report["amount"]) in text
    assert "Người từ đủ 80 tuổi" in text
    assert all(len(line) <= 100 for line in text.splitlines())
    sheet = list(csv.reader(io.StringIO(cli(database_url, "report", "--format", "csv").stdout)))
    scheme_rows = {r[0]: r for r in sheet if r and r[0].startswith("BTXH_")}
    assert int(scheme_rows["BTXH_ELDERLY_80"][4]) == report["schemes"]["BTXH_ELDERLY_80"]["amount"]
    total = next(r for r in sheet if len(r) > 1 and r[1] == "Tổng cộng")
    assert int(total[4]) == report["amount"]
    explicit = json.loads(cli(database_url, "report", "--from", str(start), "--to", str(start),
                              "--format", "json").stdout)  # fmt: skip
    assert explicit["from"] == start.first_day().isoformat()
    assert explicit["to"] == (last.first_day() - timedelta(days=1)).isoformat()  # as given
    api.close()


def test_numbers_in_the_cli_tables_have_thousands_separators():
    summary = {
        "from": "2026-01-01", "to": "2026-11-30", "commune_code": None, "people_paid": 12_345,
        "payments": 123_456, "amount": 1_234_567_000, "non_cash_share": 0.153, "non_cash_amount_share": 0.5,
        "grants": 1_001, "terminations": 2, "deaths": 3, "by_funding_source": {}, "cards": {},
        "schemes": {"BTXH_ELDERLY_80": {"people_paid": 12_345, "payments": 123_456, "amount": 1_234_567_000,
                                        "grants": 1_001, "terminations": 2}},
    }  # fmt: skip
    console = Console(width=100, file=io.StringIO(), record=True)
    for table in report_tables(summary):
        console.print(table)
    text = console.export_text()
    for number in ("12.345", "123.456", "1.234.567.000", "15,3 %", "50,0 %", "1.001"):
        assert number in text


def test_the_roster_tables_count_lines_with_thousands_separators():
    """A province's roster counts in the thousands: its summaries write 1.234, never 1234."""
    lines = [
        RosterLine(f"b{n}", None, f"Người {n}", "26041", "cash" if n % 3 else "bank",
                   [RosterItem("e", "BTXH_ELDERLY_80", "regular", "2026-12", 500_000)])
        for n in range(1_234)
    ]  # fmt: skip
    roster = Roster(Month.parse("2026-12"), RosterScope(), lines, view=MONTH_VIEW)
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(_status_summary(roster))
    console.print(_commune_summary(roster))
    text = console.export_text()
    assert "1.234" in text
    assert "617.000.000" in text
    assert not re.search(r"\b1234\b", text)
