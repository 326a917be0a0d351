"""Roles and commune scope over HTTP: every write endpoint × every kind of caller, and every read.

Callers: an officer whose scope holds the beneficiary's commune (``officer_in``), an officer of another
commune (``officer_out``), an officer without scope — the whole province (``officer_all``), an inspector,
an administrator, no token, and a token nobody holds. CONTRACT.md: missing/unknown token → 401; role or
scope forbids → 403; officers write for beneficiaries of their communes, inspectors write nothing,
administrators write everything and alone amend rates and create users. A refusal is a problem and
records nothing; an allowed write gets the endpoint's success status and records events whose actor is
the caller.

One store per backend serves the whole module (the module-scoped ``world_url`` of
tests/api_fixtures.py); each allowed case works on a beneficiary of its own, refused cases share one
per endpoint (they change nothing).
"""

from __future__ import annotations

import pytest
from api_support import (
    ADMIN_ONLY,
    CALLERS,
    COMMUNE,
    ENDPOINTS,
    OTHER_COMMUNE,
    PROVINCE_WIDE,
    ROUTE_OF,
    SERIALS,
    USER_OF,
    World,
    assert_problem,
    citizen_id,
    send,
)


def expected_status(endpoint: str, caller: str) -> int:
    """The status CONTRACT.md gives to ``caller`` on ``endpoint``."""
    success = ENDPOINTS[endpoint][0]
    if caller in {"none", "bad"}:
        return 401
    if caller == "admin":
        return success
    if caller == "inspector" or endpoint in ADMIN_ONLY:
        return 403
    if caller == "officer_out" or (endpoint in PROVINCE_WIDE and caller == "officer_in"):
        return 403
    return success


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_write_matrix(world: World, endpoint: str, caller: str):
    wanted = expected_status(endpoint, caller)
    allowed = wanted < 400
    case = ENDPOINTS[endpoint][1](world, allowed, endpoint)
    before = world.api.recorded()
    answer = send(world, caller, case)
    assert answer.status_code == wanted, (endpoint, caller, answer.status_code, answer.text)
    if not allowed:
        assert_problem(answer, wanted)
        if wanted == 401:
            assert answer.headers["www-authenticate"] == "Bearer"
        assert world.api.recorded() == before, (endpoint, caller, "a refusal recorded something")
        return
    assert answer.headers["content-type"].startswith("application/json")
    after = world.api.recorded()
    assert after > before, (endpoint, caller, "nothing recorded")
    events = [
        world.ledger.mapper.to_domain_event(n)
        for n in world.ledger.recorder.select_notifications(before + 1, after - before)
    ]
    assert {e.actor for e in events} == {USER_OF[caller]}, (endpoint, caller)


def test_the_matrix_covers_every_write_route_of_the_app(world: World):
    """Every write route of the app is in the matrix (a new write endpoint must be added here)."""
    writes = {
        path
        for path, item in world.api.client.get("/openapi.json").json()["paths"].items()
        if set(item) & {"post", "put", "patch", "delete"}
    }
    assert set(ROUTE_OF) == set(ENDPOINTS)
    assert set(ROUTE_OF.values()) == writes


READS = {
    "list": lambda p: f"/v1/beneficiaries?commune_code={COMMUNE}",
    "beneficiary": lambda p: f"/v1/beneficiaries/{p.id}",
    "history": lambda p: f"/v1/beneficiaries/{p.id}/history",
    "roster": lambda p: "/v1/rosters/2024-09",
    "roster_csv": lambda p: f"/v1/rosters/2024-09?format=csv&commune_code={COMMUNE}",
    "roster_xlsx": lambda p: "/v1/rosters/2024-09?format=xlsx",
    "report": lambda p: "/v1/reports/summary?from=2024-07&to=2024-09",
    "exceptions": lambda p: "/v1/exceptions?type=overpayment_outstanding",
    "integrity": lambda p: "/v1/integrity",
    "rates": lambda p: "/v1/rates",
    "users": lambda p: "/v1/users",
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("read", sorted(READS))
def test_read_matrix(world: World, read: str, caller: str):
    """Any authenticated user reads everything (an officer too, outside its scope); users: admin only."""
    person = world.target("reads", fresh=False)
    before = world.api.recorded()
    method_path = READS[read](person)
    answer = send(world, caller, ("GET", method_path, None, None))
    if caller in {"none", "bad"}:
        assert_problem(answer, 401)
    elif read == "users" and caller != "admin":
        assert_problem(answer, 403)
    else:
        assert answer.status_code == 200, (read, caller, answer.text)
    assert world.api.recorded() == before


def test_users_listing_never_shows_a_token(world: World):
    answer = world.api.get("/v1/users", as_="admin")
    assert answer.status_code == 200
    users = {u["name"]: u for u in answer.json()["items"]}
    assert users["officer"]["scope"] == [COMMUNE]
    assert users["officer_all"]["scope"] == []
    assert users["inspector"]["role"] == "inspector"
    for token in world.api.tokens.values():
        assert token not in answer.text


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Basic b2ZmaWNlcjpzZWNyZXQ=", "Token abc", "bearer not-a-token"],
)
def test_malformed_or_unknown_authorization_is_401(world: World, authorization: str):
    headers = {"Authorization": authorization} if authorization else {}
    before = world.api.recorded()
    for method, path, body in (
        ("GET", "/v1/integrity", None),
        ("POST", "/v1/beneficiaries", {"kind": "meritorious", "full_name": "X", "commune_code": COMMUNE,
                                       "citizen_id": citizen_id(1950)}),
    ):  # fmt: skip
        answer = world.api.client.request(method, path, json=body, headers=headers)
        assert_problem(answer, 401)
        assert answer.headers["www-authenticate"] == "Bearer"
    assert world.api.recorded() == before
    assert world.api.client.get("/healthz", headers=headers).status_code == 200


def test_a_token_of_a_user_created_over_http_works_with_its_role_and_scope(world: World):
    created = world.api.post(
        "/v1/users", {"name": f"xa-{next(SERIALS)}", "role": "officer", "scope": [OTHER_COMMUNE]}, as_="admin"
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["role"], body["scope"]) == ("officer", [OTHER_COMMUNE])
    token = body["token"]
    person = world.target("scoped-user", fresh=False)
    before = world.api.recorded()
    refused = world.api.post(
        f"/v1/beneficiaries/{person.id}/death", {"date_of_death": "2024-09-01"}, as_=token
    )
    assert "outside the scope" in assert_problem(refused, 403)["detail"]
    assert world.api.recorded() == before
    mine = world.api.post(
        "/v1/beneficiaries",
        {
            "kind": "meritorious",
            "full_name": "Đỗ Văn Tư",
            "commune_code": OTHER_COMMUNE,
            "citizen_id": citizen_id(),
        },
        as_=token,
    )
    assert mine.status_code == 201, mine.text
    assert world.api.history(mine.json()["id"])[0]["actor"] == body["name"]
    duplicate = world.api.post("/v1/users", {"name": body["name"], "role": "admin"}, as_="admin")
    assert duplicate.status_code == 409, duplicate.text


def test_the_scope_follows_the_current_commune(world: World):
    """After a relocation the old commune's officer is refused and the new commune's officer writes."""
    person = world.person()
    moved = world.api.post(
        f"/v1/beneficiaries/{person.id}/relocate",
        {"commune_code": OTHER_COMMUNE, "effective_from": "2024-09"},
    )
    assert moved.status_code == 200, moved.text
    before = world.api.recorded()
    channel = {"payment_channel": {"type": "bank", "bank_code": "VCB", "account_number": "0071000654321"}}
    assert_problem(
        world.api.post(f"/v1/beneficiaries/{person.id}/payment-channel", channel, as_="officer"), 403
    )
    assert world.api.recorded() == before
    ok = world.api.post(f"/v1/beneficiaries/{person.id}/payment-channel", channel, as_="officer_other")
    assert ok.status_code == 200, ok.text


def test_a_registration_outside_the_scope_is_refused_before_anything_is_recorded(world: World):
    before = world.api.recorded()
    body = {"kind": "meritorious", "full_name": "Ngô Thị Năm", "commune_code": OTHER_COMMUNE,
            "citizen_id": citizen_id(1950, female=True)}  # fmt: skip
    assert_problem(world.api.post("/v1/beneficiaries", body, as_="officer"), 403)
    assert world.api.recorded() == before
    # the citizen ID was not claimed by the refused request
    assert world.api.post("/v1/beneficiaries", body, as_="officer_other").status_code == 201


def test_a_disabled_user_is_refused_at_once_even_by_a_server_that_knew_it(world_url: str):
    """`ledger users disable` in another process: the running app's remembered user is read again
    (its stream moved) and the token is refused; the user's records stay."""
    from fastapi.testclient import TestClient  # noqa: PLC0415
    from typer.testing import CliRunner  # noqa: PLC0415

    from api.bootstrap import create_app  # noqa: PLC0415
    from api.cli import app as cli  # noqa: PLC0415
    from ledger.application import open_ledger  # noqa: PLC0415

    ledger = open_ledger(world_url)
    _, token = ledger.add_user("setup", "sap-nghi", role="officer")
    client = TestClient(create_app(world_url, ledger=ledger))
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):  # remembered after the first
        assert client.get("/v1/beneficiaries", headers=headers).status_code == 200
    result = CliRunner().invoke(
        cli,
        ["users", "disable", "sap-nghi", "--reason", "nghỉ hưu"],
        env={"LEDGER_DATABASE_URL": world_url},
    )
    assert result.exit_code == 0, result.output
    assert client.get("/v1/beneficiaries", headers=headers).status_code == 401
    again = CliRunner().invoke(cli, ["users", "disable", "sap-nghi"], env={"LEDGER_DATABASE_URL": world_url})
    assert again.exit_code != 0
    assert "already disabled" in again.output
    user = ledger.user("sap-nghi")
    assert user is not None
    assert user.disabled
    assert user.version == 3  # registered, its token issued, disabled
