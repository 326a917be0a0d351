"""`ledger roster MONTH --issue [--user NAME]` prepares a roster; `ledger rosters approve | return` by a
second registered user signs it (issue 15, item 8), on both backends: exit 2 naming the option on bad
input, 1 on a refusal of the ledger's state or rules, nothing recorded either way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.testing import CliRunner

from api.cli import app
from ledger.application import open_ledger

if TYPE_CHECKING:
    from click.testing import Result

MONTH = "2024-09"
COMMUNE = "26041"


def cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"LEDGER_DATABASE_URL": url}, catch_exceptions=False)


def recorded(url: str) -> int:
    ledger = open_ledger(url)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


def test_prepare_as_a_user_then_return_prepare_again_and_approve_from_the_command_line(
    database_url: str,
) -> None:
    url = database_url
    for name, role in (("can.bo", "officer"), ("truong.phong", "approver")):
        assert cli(url, "users", "add", name, "--role", role, "--scope", COMMUNE).exit_code == 0
    unknown = cli(url, "roster", MONTH, "--commune", COMMUNE, "--issue", "--user", "nobody")
    assert (unknown.exit_code, "--user" in unknown.output) == (2, True)
    alone = cli(url, "roster", MONTH, "--user", "can.bo")
    assert (alone.exit_code, "--user: only with --issue" in alone.output) == (2, True)
    assert cli(url, "roster", "approve").exit_code == 2  # not a month: ledger rosters approve ID
    approver_prepares = cli(url, "roster", MONTH, "--commune", COMMUNE, "--issue", "--user", "truong.phong")
    assert approver_prepares.exit_code == 1  # an approver records nothing but its signature

    prepared = cli(
        url, "roster", MONTH, "--commune", COMMUNE, "--issue", "--format", "summary", "--user", "can.bo"
    )
    assert prepared.exit_code == 0, prepared.output
    assert "— prepared (Chờ phê duyệt); mã băm nội dung" in prepared.stderr
    ledger = open_ledger(url)
    roster = ledger.roster(MONTH, COMMUNE, None)
    ledger.close()
    assert roster is not None
    assert (roster.status, roster.prepared_by) == ("prepared", "can.bo")
    rid = str(roster.id)
    pending = cli(url, "rosters", "pending")
    assert pending.exit_code == 0
    assert rid in pending.output.replace("\n", "") or rid[:8] in pending.output

    before = recorded(url)
    own = cli(url, "rosters", "approve", rid, "--user", "can.bo")
    assert own.exit_code == 1
    assert "approver" in own.output
    assert cli(url, "rosters", "approve", "not-an-id", "--user", "truong.phong").exit_code == 2
    assert cli(url, "rosters", "approve", rid, "--user", "nobody").exit_code == 2
    assert cli(url, "rosters", "return", rid, "--user", "truong.phong").exit_code == 2  # --reason missing
    blank = cli(url, "rosters", "return", rid, "--user", "truong.phong", "--reason", " ")
    assert (blank.exit_code, "reason" in blank.output) == (2, True)
    assert recorded(url) == before

    returned = cli(url, "rosters", "return", rid, "--user", "truong.phong", "--reason", "thiếu người")
    assert returned.exit_code == 0, returned.output
    assert "returned by truong.phong: thiếu người" in returned.output
    assert cli(url, "rosters", "approve", rid, "--user", "truong.phong").exit_code == 1  # returned: 409
    again = cli(
        url, "roster", MONTH, "--commune", COMMUNE, "--issue", "--format", "summary", "--user", "can.bo"
    )
    assert again.exit_code == 0, again.output
    approved = cli(url, "rosters", "approve", rid, "--user", "truong.phong")
    assert approved.exit_code == 0, approved.output
    assert "Đã phát hành (issued); approved by truong.phong" in approved.output
    ledger = open_ledger(url)
    events = [type(e).__name__ for e in ledger.stream_events(roster.id)]
    ledger.close()
    assert events == ["RosterPrepared", "RosterReturned", "RosterPreparedAgain", "RosterApproved"]


def test_the_console_prepares_as_cli_by_default(database_url: str) -> None:
    prepared = cli(database_url, "roster", MONTH, "--issue", "--format", "summary")
    assert prepared.exit_code == 0, prepared.output
    ledger = open_ledger(database_url)
    roster = ledger.roster(MONTH, None, None)
    ledger.close()
    assert roster is not None
    assert roster.prepared_by == "cli"
