"""Every command refuses a bad option as the API does: exit status 2, a message naming the option, nothing
recorded (issue 15, defect 3: ``ledger roster 2026-12 --commune 99999 --issue`` froze an empty roster).
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import app
from domain.errors import InvalidInput
from ledger.adapters.communes import communes_of
from ledger.application import open_ledger
from ledger.campaigns import grant_campaign

PROVINCE = "75"
HOME = communes_of(PROVINCE)[0].code  # a commune of the deployment's province
ELSEWHERE = communes_of("01")[0].code  # a real commune of another province

# (command line, the option the message must name)
BAD: list[tuple[list[str], str]] = [
    (["roster", "2026-12", "--commune", "99999"], "--commune"),
    (["roster", "2026-12", "--commune", "99999", "--issue"], "--commune"),
    (["roster", "2026-12", "--commune", ELSEWHERE, "--issue"], "--commune"),
    (["roster", "2026-12", "--commune", "12a"], "--commune"),
    (["roster", "2026-13", "--issue"], "month"),
    (["roster", "12/2026"], "month"),
    (["roster", "2026-12", "--channel", "post", "--issue"], "--channel"),
    (["roster", "2026-12", "--as-of", "yesterday"], "--as-of"),
    (["roster", "2026-12", "--format", "pdf"], "--format"),
    (["report", "--from", "2026-01", "--to", "2026-06", "--commune", "99999"], "--commune"),
    (["report", "--from", "2026-01", "--to", "2026-6x"], "--to"),
    (["report", "--from", "2026-02-30", "--to", "2026-06"], "--from"),
    (["exceptions", "--type", "everything"], "--type"),
    (["history", "012345678901", "--as-of", "2026-02-30"], "--as-of"),
    (["history", "012345678901", "--format", "xml"], "--format"),
    (["verify", "--format", "xml"], "--format"),
    (["users", "add", "an", "--role", "boss"], "--role"),
    (["users", "add", "an", "--role", "officer", "--scope", HOME, "--scope", "99999"], "--scope"),
    (["users", "add", "an", "--role", "officer", "--scope", ELSEWHERE], "--scope"),
    (["users", "add", "an", "--role", "officer", "--expires", "31/12/2026"], "--expires"),
    (["users", "rotate", "an", "--expires", "tomorrow"], "--expires"),
    (["campaigns", "grant", "c1", "--scheme", "GIFT", "--month", "2026-1", "--amount", "500000"], "--month"),
    (
        ["campaigns", "grant", "c1", "--scheme", "GIFT", "--month", "2026-01", "--amount", "500000",
         "--commune", "99999"],
        "--commune",
    ),
    (
        ["campaigns", "grant", "c1", "--scheme", "GIFT", "--month", "2026-01", "--amount", "500000",
         "--kind", "veteran"],
        "--kind",
    ),
    (
        ["campaigns", "grant", "c1", "--scheme", "GIFT", "--month", "2026-01", "--amount", "500000",
         "--decision-date", "2026-13-01"],
        "--decision-date",
    ),
    (["campaigns", "grant", "c1", "--scheme", "GIFT", "--month", "2026-01", "--amount", "-5"], "--amount"),
    (["rates", "amend", "BTXH_STANDARD", "--effective-from", "2026-7", "--amount", "600000",
      "--legal-basis", "NĐ 1/2026"], "--effective-from"),
    (["rates", "amend", "BTXH_STANDARD", "--effective-from", "2026-07", "--amount", "600000",
      "--legal-basis", "NĐ 1/2026", "--province", "99"], "--province"),
    (["rates", "amend", "BTXH_STANDARD", "--effective-from", "2026-07", "--amount", "-1",
      "--legal-basis", "NĐ 1/2026"], "--amount"),
]  # fmt: skip


def _run(url: str, args: list[str]) -> tuple[int, str]:
    env = {"LEDGER_DATABASE_URL": url, "LEDGER_PROVINCE": PROVINCE}
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def _events(url: str) -> int:
    ledger = open_ledger(url, seed_reference=False)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


@pytest.mark.parametrize(("args", "option"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_a_bad_option_is_refused_naming_it_and_nothing_is_recorded(
    database_url: str, args: list[str], option: str
) -> None:
    code, output = _run(database_url, ["roster", "2026-12"])  # the store opened once: reference data
    assert code == 0, output
    before = _events(database_url)
    code, output = _run(database_url, args)
    assert code == 2, output
    assert f"error: {option}: " in output, output
    assert "Traceback" not in output
    assert _events(database_url) == before


def test_a_good_commune_of_the_province_is_accepted_and_issue_records(database_url: str) -> None:
    code, output = _run(database_url, ["roster", "2026-12", "--commune", HOME, "--channel", "cash"])
    assert code == 0, output
    before = _events(database_url)
    code, output = _run(database_url, ["roster", "2026-12", "--commune", HOME, "--issue"])
    assert code == 0, output
    assert _events(database_url) > before  # the control: a good --issue records the issued roster


def test_the_reason_is_vietnamese_by_default_and_english_with_ledger_lang_en(sqlite_url: str) -> None:
    code, output = _run(sqlite_url, ["roster", "2026-12", "--commune", "99999"])
    assert code == 2
    assert "--commune: Không có xã/phường mang mã 99999 trong danh mục" in output
    assert "(99999 is not a commune code" in output  # and the API's own words, for a search
    env = {"LEDGER_DATABASE_URL": sqlite_url, "LEDGER_LANG": "en"}
    english = CliRunner().invoke(app, ["roster", "2026-12", "--commune", "99999"], env=env)
    assert english.exit_code == 2
    assert "--commune: 99999 is not a commune code" in english.output
    assert "Không có xã/phường" not in english.output
    wrong = CliRunner().invoke(app, ["roster", "2026-12"], env={**env, "LEDGER_LANG": "fr"})
    assert wrong.exit_code == 2
    assert "LEDGER_LANG" in wrong.output


def test_a_campaign_of_an_unknown_commune_is_refused_by_the_ledger_for_every_entrance(
    database_url: str,
) -> None:
    """The API's POST /v1/campaigns and the CLI meet the same check (ledger/campaigns.py)."""
    ledger = open_ledger(database_url)
    try:
        before = ledger.recorder.max_notification_id() or 0
        with pytest.raises(InvalidInput) as refused:
            grant_campaign(
                ledger, "officer", campaign_id="tet-2027", scheme="GIFT", month="2027-01",
                params={"amount": 500_000}, select={"commune_code": "99999"},
                basis={"decision_no": "1/QĐ", "decision_date": "2027-01-01", "issuer": "UBND tỉnh"},
            )  # fmt: skip
        assert refused.value.field == "select.commune_code"
        assert (ledger.recorder.max_notification_id() or 0) == before
    finally:
        ledger.close()
