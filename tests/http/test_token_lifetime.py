"""Tokens with a lifetime (issue 14, item 6), on SQLite and PostgreSQL: a token expires (default one
year after issue, ``--expires`` / ``expires_on`` otherwise) and is then refused with a 401 naming the
day, on the ledger's clock; ``ledger users rotate`` and ``POST /v1/users/{name}/rotate`` give a new
token and the old one is refused at once, also by a running app that had remembered it; a user
registered before tokens had an expiry gets one year from its registration."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from api_support import assert_problem
from typer.testing import CliRunner

from api.cli import app as cli_app
from domain.errors import InvalidInput
from domain.users import User, default_token_expiry, parse_token_expiry, user_id
from ledger.application import open_ledger
from ledger.integrity import verify_streams

if TYPE_CHECKING:
    import httpx
    from api_support import Api, Clock
    from click.testing import Result

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-2026-12.db"


def cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli_app, list(args), env={"LEDGER_DATABASE_URL": url}, catch_exceptions=False)


def reads(api: Api, token: str) -> httpx.Response:
    return api.client.get("/v1/integrity", headers={"Authorization": f"Bearer {token}"})


# ------------------------------------------------------------------------------------------- the rule


def test_a_token_expires_one_year_after_issue_by_default():
    assert default_token_expiry(date(2026, 12, 1)) == date(2027, 12, 1)
    assert default_token_expiry(date(2024, 2, 29)) == date(2025, 2, 28)
    assert parse_token_expiry(None, date(2026, 12, 1)) == date(2027, 12, 1)
    assert parse_token_expiry("2027-03-31", date(2026, 12, 1)) == date(2027, 3, 31)
    assert parse_token_expiry("2031-12-01", date(2026, 12, 1)) == date(2031, 12, 1)  # five years at most
    for bad, reason in (
        ("2026-12-01", "after the day of issue"),
        ("2026-11-30", "after the day of issue"),
        ("2031-12-02", "at most 5 years ahead"),
        ("01/12/2027", "YYYY-MM-DD"),
    ):
        with pytest.raises(InvalidInput, match=reason) as refused:
            parse_token_expiry(bad, date(2026, 12, 1))
        assert refused.value.field == "expires_on"


# ------------------------------------------------------------------------------------------- expiry


def test_an_expired_token_is_401_naming_the_day_on_the_ledgers_clock(api: Api, clock: Clock):
    _, default = api.ledger.add_user("setup", "mac-dinh", role="inspector")  # issued 2024-01-05
    _, short = api.ledger.add_user("setup", "ngan-han", role="inspector", expires_on="2024-03-01")
    assert reads(api, default).status_code == 200
    assert reads(api, short).status_code == 200
    clock.set(2024, 2, 29)
    assert reads(api, short).status_code == 200  # works up to the day before
    clock.set(2024, 3, 1)
    body = assert_problem(reads(api, short), 401)
    assert "expired on 2024-03-01" in body["detail"]
    assert reads(api, default).status_code == 200
    clock.set(2025, 1, 4)
    assert reads(api, default).status_code == 200
    clock.set(2025, 1, 5)
    assert "expired on 2025-01-05" in assert_problem(reads(api, default), 401)["detail"]


def test_post_users_takes_expires_on_and_the_listing_shows_it(api: Api, clock: Clock):
    created = api.post("/v1/users", {"name": "tam-thoi", "role": "inspector", "expires_on": "2024-06-30"},
                       as_="admin")  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["expires_on"] == "2024-06-30"
    default = api.post("/v1/users", {"name": "mot-nam", "role": "inspector"}, as_="admin")
    assert default.json()["expires_on"] == "2025-01-05"
    before = api.recorded()
    for bad in ("2024-01-05", "2029-01-06", "30/06/2024"):
        refused = api.post(
            "/v1/users", {"name": "sai-han", "role": "inspector", "expires_on": bad}, as_="admin"
        )
        assert_problem(refused, 422, "expires_on")
    assert api.recorded() == before
    listed = {u["name"]: u for u in api.get("/v1/users", as_="admin").json()["items"]}
    assert listed["tam-thoi"]["expires_on"] == "2024-06-30"
    clock.set(2024, 6, 30)
    assert "expired on 2024-06-30" in assert_problem(reads(api, created.json()["token"]), 401)["detail"]


# ------------------------------------------------------------------------------------------- rotation


def test_rotation_over_http_refuses_the_old_token_at_once_on_the_running_app(api: Api):
    old = api.add_user("xoay-vong", "officer", ["26041"])
    for _ in range(3):  # the app remembers the token's user after the first
        assert reads(api, old).status_code == 200
    rotated = api.post("/v1/users/xoay-vong/rotate", {"expires_on": "2024-12-31", "reason": "lộ mã"},
                       as_="admin")  # fmt: skip
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert (body["name"], body["role"], body["scope"], body["expires_on"]) == (
        "xoay-vong", "officer", ["26041"], "2024-12-31")  # fmt: skip
    assert body["token"] != old
    assert_problem(reads(api, old), 401)
    assert reads(api, body["token"]).status_code == 200
    assert_problem(api.post("/v1/users/xoay-vong/rotate", {}, as_="officer"), 403)
    assert_problem(api.post("/v1/users/nobody-here/rotate", {}, as_="admin"), 404)
    events = [type(e).__name__ for e in api.ledger.stream_events(user_id("xoay-vong"))]
    assert events == ["UserRegistered", "TokenIssued", "TokenIssued"]


def test_ledger_users_rotate_in_another_process_revokes_the_token_a_running_app_remembered(api: Api):
    old = api.add_user("can-bo-xa", "officer")
    for _ in range(3):
        assert reads(api, old).status_code == 200
    later = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    result = cli(api.url, "users", "rotate", "can-bo-xa", "--expires", later, "--reason", "định kỳ")
    assert result.exit_code == 0, result.output
    new = result.output.strip().splitlines()[-1]
    assert f"expires on {later}" in result.output
    assert_problem(reads(api, old), 401)
    assert reads(api, new).status_code == 200
    listing = cli(api.url, "users", "list")
    assert date.fromisoformat(later).strftime("%d/%m/%Y") in listing.output  # dates dd/mm/yyyy in tables
    assert "Cán bộ" in listing.output  # the role's Vietnamese name
    unknown = cli(api.url, "users", "rotate", "khong-co")
    assert unknown.exit_code != 0
    assert "no user named khong-co" in unknown.output
    api.ledger.disable_user("setup", "can-bo-xa")
    disabled = cli(api.url, "users", "rotate", "can-bo-xa")
    assert disabled.exit_code != 0
    assert "disabled" in disabled.output


def test_ledger_users_add_honours_expires(database_url: str):
    later = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    result = cli(database_url, "users", "add", "thanh-tra-2", "--role", "inspector", "--expires", later)
    assert result.exit_code == 0, result.output
    assert f"expires on {later}" in result.output
    token = result.output.strip().splitlines()[-1]
    ledger = open_ledger(database_url)
    try:
        user = ledger.authenticate(token)
        assert user is not None
        assert user.expires_on.isoformat() == later
    finally:
        ledger.close()
    refused = cli(
        database_url, "users", "add", "thanh-tra-3", "--role", "inspector", "--expires", "2020-01-01"
    )
    assert refused.exit_code != 0
    assert "--expires: " in refused.output  # the option the officer typed, not the ledger's field


# ------------------------------------------------------------------------------------------- old stores


def test_a_user_registered_before_expiry_existed_gets_a_year_from_its_registration(tmp_path: Path):
    copy = tmp_path / "store.db"
    shutil.copy(FIXTURE, copy)
    ledger = open_ledger(f"sqlite:///{copy}", clock=lambda: datetime(2025, 1, 6, 9, tzinfo=UTC))
    try:
        user = ledger.user("officer1")
        assert user is not None
        registered = ledger.stream_events(user.id)
        assert [type(e).__name__ for e in registered] == ["UserRegistered"]  # no TokenIssued in that store
        assert isinstance(registered[0], User.UserRegistered)
        assert registered[0].occurred_on == date(2024, 8, 20)
        assert user.expires_on == date(2025, 8, 20)
        rotated, token = ledger.rotate_token("setup", "officer1")
        assert rotated.expires_on == date(2026, 1, 6)
        signed_in = ledger.authenticate(token)
        assert signed_in is not None
        assert signed_in.name == "officer1"
        assert verify_streams(ledger).ok  # the new token's claim names the user
    finally:
        ledger.close()
