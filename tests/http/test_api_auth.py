"""Roles and commune scope over HTTP: every write endpoint × every kind of caller, and every read.

Callers: an officer whose scope holds the beneficiary's commune (``officer_in``), an officer of another
commune (``officer_out``), an officer without scope — the whole province (``officer_all``), an inspector,
an administrator, an approver of the commune (``approver_in``), no token, and a token nobody holds.
CONTRACT.md: missing/unknown token → 401; role or scope forbids → 403; officers write for beneficiaries
of their communes, inspectors write nothing, approvers approve or return the rosters of their scope and
record nothing else, administrators write everything and alone amend rates and create users. A refusal
is a problem and records nothing; an allowed write gets the endpoint's success status and records events
whose actor is the caller.

One store per backend serves the whole module (the module-scoped ``world_url`` of
tests/api_fixtures.py); each allowed case works on a beneficiary of its own, refused cases share one
per endpoint (they change nothing).
"""

from __future__ import annotations

import pytest
from api_support import (
    ADMIN_ONLY,
    APPROVERS_ONLY,
    CALLERS,
    COMMUNE,
    ENDPOINTS,
    OTHER_COMMUNE,
    PROVINCE_WIDE,
    ROUTE_OF,
    SERIALS,
    USER_OF,
    Person,
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
    if endpoint in APPROVERS_ONLY:  # a second signature: an approver of the scope, or an admin
        return success if caller == "approver_in" else 403
    if caller in {"inspector", "approver_in"} or endpoint in ADMIN_ONLY:  # an approver records nothing else
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
    """Every write route of the app is in the matrix (a new write endpoint must be added here); the lookup
    by citizen ID is a read sent by POST (its body keeps the ID out of the URL): in the read matrix."""
    writes = {
        path
        for path, item in world.api.client.get("/openapi.json").json()["paths"].items()
        if set(item) & {"post", "put", "patch", "delete"}
    } - {"/v1/beneficiaries/lookup"}
    assert set(ROUTE_OF) == set(ENDPOINTS)
    assert set(ROUTE_OF.values()) == writes


# Reads: (method, path, JSON body) for a person of commune 26041 — a beneficiary's personal data or not.
READS = {
    "list": lambda p: ("GET", f"/v1/beneficiaries?commune_code={COMMUNE}", None),
    "list_by_citizen_id": lambda p: ("GET", f"/v1/beneficiaries?citizen_id={p.citizen_id}", None),
    "lookup": lambda p: ("POST", "/v1/beneficiaries/lookup", {"citizen_id": p.citizen_id}),
    "beneficiary": lambda p: ("GET", f"/v1/beneficiaries/{p.id}", None),
    "beneficiary_by_citizen_id": lambda p: ("GET", f"/v1/beneficiaries/{p.citizen_id}", None),
    "history": lambda p: ("GET", f"/v1/beneficiaries/{p.id}/history", None),
    "roster": lambda p: ("GET", "/v1/rosters/2024-09", None),
    "roster_of_commune": lambda p: ("GET", f"/v1/rosters/2024-09?commune_code={COMMUNE}", None),
    "roster_csv": lambda p: ("GET", f"/v1/rosters/2024-09?format=csv&commune_code={COMMUNE}", None),
    "roster_xlsx": lambda p: ("GET", "/v1/rosters/2024-09?format=xlsx", None),
    "roster_as_of": lambda p: ("GET", "/v1/rosters/2024-09?as_of=2024-09-20", None),
    "exceptions": lambda p: ("GET", "/v1/exceptions?type=overpayment_outstanding", None),
    "proof": lambda p: ("GET", f"/v1/payments/{p.payment_id}/proof", None),
    "access_log": lambda p: ("GET", "/v1/access-log", None),
    "report": lambda p: ("GET", "/v1/reports/summary?from=2024-07&to=2024-09", None),
    "unpaid_lines": lambda p: ("GET", "/v1/exceptions?type=unpaid_roster_lines", None),
    "integrity": lambda p: ("GET", "/v1/integrity", None),
    "rates": lambda p: ("GET", "/v1/rates", None),
    "users": lambda p: ("GET", "/v1/users", None),
    "audit": lambda p: ("GET", "/v1/audit?period=2024-07&type=PaymentRecorded&limit=500", None),
    "audit_of_person": lambda p: ("GET", f"/v1/audit?beneficiary_id={p.id}", None),
    "audit_csv": lambda p: ("GET", "/v1/audit?period=2024-07&format=csv", None),
    "payments": lambda p: ("GET", "/v1/payments?period=2024-07&limit=500", None),
    "payments_xlsx": lambda p: ("GET", "/v1/payments?period=2024-07&format=xlsx", None),
    "report_xlsx": lambda p: ("GET", "/v1/reports/summary?from=2024-07&to=2024-09&format=xlsx", None),
}
# one person's personal data: refused (403) to an officer of another commune
ONE_PERSON = {"lookup", "beneficiary", "beneficiary_by_citizen_id", "history", "proof", "audit_of_person"}
# lists naming commune 26041: refused to an officer of another commune
NAMING_THE_COMMUNE = {"list", "roster_of_commune", "roster_csv"}
# lists naming no commune: filtered to an officer's communes (the person missing for the other commune's)
FILTERED = {
    "list_by_citizen_id": ("items", "id"), "roster": ("lines", "beneficiary_id"),
    "roster_as_of": ("lines", "beneficiary_id"), "exceptions": ("items", "beneficiary_id"),
    "audit": ("items", "beneficiary_id"), "payments": ("items", "beneficiary_id"),
    "unpaid_lines": ("items", "beneficiary_id"),
}  # fmt: skip
# what the access log names for a read of personal data allowed to the caller
RECORDED = {
    "list": "search commune_code=26041", "list_by_citizen_id": "search citizen_id", "lookup": "lookup",
    "beneficiary": "beneficiary", "beneficiary_by_citizen_id": "beneficiary", "history": "history",
    "roster": "roster 2024-09", "roster_of_commune": "roster 2024-09 commune 26041",
    "roster_csv": "roster 2024-09 commune 26041 csv", "roster_xlsx": "roster 2024-09",
    "roster_as_of": "roster 2024-09", "exceptions": "exceptions overpayment_outstanding",
    "audit": "audit type=PaymentRecorded period=2024-07", "audit_of_person": "audit beneficiary_id=",
    "audit_csv": "audit period=2024-07 csv", "payments": "payments period=2024-07",
    "payments_xlsx": "payments period=2024-07 xlsx",
    "unpaid_lines": "exceptions unpaid_roster_lines",
}  # fmt: skip
INSPECTORS_ONLY = {"access_log"}


def expected_read(read: str, caller: str) -> int:
    """The status of ``read`` for ``caller``: need-to-know for an officer of another commune."""
    if caller in {"none", "bad"}:
        return 401
    if (read == "users" and caller != "admin") or (
        read in INSPECTORS_ONLY and caller.startswith(("officer", "approver"))
    ):
        return 403
    if caller == "officer_out" and read in ONE_PERSON | NAMING_THE_COMMUNE:
        return 403
    return 404 if read == "proof" else 200  # proof: the world's server has no signing key


def reader_of(world: World, read: str) -> Person:
    """The person a read is about: overpaid for the exception list, else one on September's roster."""
    if read == "exceptions":
        return world.target("reads-overpaid", fresh=False, overpaid=True)
    return world.target("reads", fresh=False)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("read", sorted(READS))
def test_read_matrix(world: World, read: str, caller: str):
    """Need-to-know: an officer of another commune is refused the person's records and its lists leave
    the person out; an officer of the commune, one of the whole province, inspectors and administrators
    read them; users: admin only, the access log: inspectors and admins. Every answer is no-store."""
    person = reader_of(world, read)
    before = world.api.recorded()
    method, path, body = READS[read](person)
    reads_before = world.services.reads.page(limit=1)["items"]
    answer = send(world, caller, (method, path, body, None))
    wanted = expected_read(read, caller)
    assert answer.status_code == wanted, (read, caller, answer.text)
    assert answer.headers["cache-control"] == "no-store", (read, caller)
    if wanted >= 400:
        problem = assert_problem(answer, wanted)
        if wanted == 403 and caller == "officer_out" and read in ONE_PERSON | NAMING_THE_COMMUNE:
            assert "outside the scope" in problem["detail"], problem
    if read in FILTERED and wanted == 200:
        listed, key = FILTERED[read]
        ids = {item[key] for item in answer.json()[listed]}
        assert (person.id in ids) == (caller != "officer_out"), (read, caller)
    latest = world.services.reads.page(limit=1)["items"]
    if read in RECORDED and wanted == 200:
        row = latest[0]
        assert row["user"] == USER_OF[caller]
        assert row["via"] == "api"
        assert row["what"].startswith(RECORDED[read]), row
        assert row["read_at"] == "2024-09-20T09:00:00+00:00"
        assert row["request_id"] == answer.headers["x-request-id"]
        if read in ONE_PERSON or (read == "list_by_citizen_id" and caller != "officer_out"):
            assert (row["beneficiary_id"], row["records"]) == (person.id, 1), row
    else:
        assert latest == reads_before, (read, caller, "a refusal or a read of no personal data was recorded")
    assert world.api.recorded() == before


def test_an_officer_of_several_communes_names_the_roster_it_reads(world: World):
    """Its scope is two communes: a roster naming none is refused (which one?), one of them is read."""
    world.api.add_user("officer_two", "officer", [COMMUNE, OTHER_COMMUNE])
    refused = world.api.get("/v1/rosters/2024-09", as_="officer_two")
    assert "name one of" in assert_problem(refused, 403)["detail"]
    mine = world.api.get("/v1/rosters/2024-09", as_="officer_two", commune_code=OTHER_COMMUNE)
    assert mine.status_code == 200, mine.text
    assert {line["commune_code"] for line in mine.json()["lines"]} <= {OTHER_COMMUNE}
    both = world.api.get("/v1/beneficiaries", as_="officer_two", limit=500)
    assert {item["commune_code"] for item in both.json()["items"]} <= {COMMUNE, OTHER_COMMUNE}


def test_a_list_of_an_officer_pages_through_its_communes_only(world: World):
    """Cursor paging stays within the scope: every page of the officer's search holds its commune only,
    and together they hold every beneficiary of it that the inspector's search of the commune holds."""
    for _ in range(3):
        world.person()
    world.ledger.register_beneficiary(
        "setup", kind="meritorious", full_name="Ngô Văn Sáu", commune_code=OTHER_COMMUNE,
        citizen_id=citizen_id(),
    )  # fmt: skip
    seen: list[str] = []
    cursor = None
    while True:
        answer = world.api.get("/v1/beneficiaries", as_="officer", limit=2, cursor=cursor)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert {item["commune_code"] for item in page["items"]} <= {COMMUNE}
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everyone = world.api.get("/v1/beneficiaries", as_="inspector", commune_code=COMMUNE, limit=500).json()
    assert seen == [item["id"] for item in everyone["items"]]


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
