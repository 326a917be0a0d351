"""Personal data only where the job needs it (issue 14, item 5; NĐ 13/2023/NĐ-CP), over the JSON API.

The role × scope matrix of reads is in test_api_auth.py (who is refused what, which lists leave whom
out, the access-log row each allowed read writes, no-store on every answer). Here, on both backends:
the access log read back through ``GET /v1/access-log`` (its filters, its paging, inspectors and
administrators only, never a citizen ID, append-only in the database), the lookup by citizen ID in a
body or a header, and which answers may be cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from api_support import COMMUNE, OTHER_COMMUNE, assert_problem

if TYPE_CHECKING:
    from api_support import Api


def _person(api: Api, commune: str = COMMUNE) -> dict:
    return api.register(as_="admin", commune_code=commune)


def test_the_access_log_names_who_read_whose_data_what_and_when(api: Api):
    """Worked example: on 5 January an administrator opens a person, an officer of the commune reads
    the history, an inspector looks the citizen ID up; on 7 January the officer searches its commune.
    The access log lists the four reads newest first, with who, role, entrance, what, which record, how
    many, the request id; filtered by user, by beneficiary and by date; never the citizen ID."""
    person = _person(api)
    bid, cid = person["id"], person["citizen_id"]
    first = api.get(f"/v1/beneficiaries/{bid}", as_="admin")
    assert first.status_code == 200, first.text
    assert api.get(f"/v1/beneficiaries/{bid}/history", as_="officer").status_code == 200
    assert api.post("/v1/beneficiaries/lookup", {"citizen_id": cid}, as_="inspector").status_code == 200
    api.clock.set(2024, 1, 7, 10)
    listed = api.get("/v1/beneficiaries", as_="officer", commune_code=COMMUNE)
    assert [item["id"] for item in listed.json()["items"]] == [bid]

    answer = api.get("/v1/access-log", as_="inspector")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    rows = answer.json()["items"]
    assert [(r["user"], r["role"], r["via"], r["what"], r["beneficiary_id"], r["records"]) for r in rows] == [
        ("officer", "officer", "api", "search commune_code=26041", bid, 1),
        ("inspector", "inspector", "api", "lookup", bid, 1),
        ("officer", "officer", "api", "history", bid, 1),
        ("admin", "admin", "api", "beneficiary", bid, 1),
    ]
    assert rows[0]["read_at"] == "2024-01-07T10:00:00+00:00"
    assert rows[-1]["read_at"] == "2024-01-05T09:00:00+00:00"
    assert rows[-1]["request_id"] == first.headers["x-request-id"]
    assert cid not in answer.text

    def whats(**filters: str) -> list[str]:
        found = api.get("/v1/access-log", as_="admin", **filters)
        assert found.status_code == 200, found.text
        return [r["what"] for r in found.json()["items"]]

    assert whats(user="officer") == ["search commune_code=26041", "history"]
    assert whats(beneficiary_id=bid, to="2024-01-05") == ["lookup", "history", "beneficiary"]
    assert whats(from_="2024-01-06") == ["search commune_code=26041"]
    assert whats(beneficiary_id="someone-else") == []


def test_the_access_log_pages_newest_first_and_refuses_bad_filters(api: Api):
    person = _person(api)
    for _ in range(5):
        assert api.get(f"/v1/beneficiaries/{person['id']}", as_="officer").status_code == 200
    ids: list[int] = []
    cursor = None
    while True:
        page = api.get("/v1/access-log", as_="admin", limit=2, cursor=cursor).json()
        assert len(page["items"]) <= 2
        ids.extend(r["id"] for r in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(ids) == 5
    assert ids == sorted(ids, reverse=True)
    bad = (({"cursor": "abc"}, "cursor"), ({"from_": "yesterday"}, "from"), ({"to": "0001-01-01"}, "to"))
    for params, field in bad:
        assert_problem(api.get("/v1/access-log", as_="admin", **params), 422, field)
    assert_problem(api.get("/v1/access-log", as_="admin", limit=0), 422)


@pytest.mark.parametrize("caller", ["officer", "officer_all"])
def test_officers_may_not_read_the_access_log(api: Api, caller: str):
    refused = assert_problem(api.get("/v1/access-log", as_=caller), 403)
    assert "inspector or an administrator" in refused["detail"]


def test_the_access_log_is_append_only_in_the_database(api: Api):
    """No update, no delete: the database itself refuses them (a trigger on both backends)."""
    _ = api.get(f"/v1/beneficiaries/{_person(api)['id']}", as_="admin")
    reads = api.app.state.services.reads
    for statement in ("UPDATE access_log SET user_name = 'someone'", "DELETE FROM access_log"):
        with pytest.raises(Exception, match="append-only"), reads.store.write(exclusive=False) as tx:
            tx.execute(statement)
    assert [r["user"] for r in reads.page()["items"]] == ["admin"]


def test_a_lookup_by_citizen_id_in_the_body_or_a_header(api: Api):
    """``POST /v1/beneficiaries/lookup`` answers what ``GET /v1/beneficiaries/{id}`` does; the
    ``X-Citizen-ID`` header finds the person as ``?citizen_id=`` does; both within the officer's scope."""
    person = _person(api)
    cid = person["citizen_id"]
    before = api.recorded()
    found = api.post("/v1/beneficiaries/lookup", {"citizen_id": cid}, as_="officer")
    assert found.status_code == 200, found.text
    assert found.json() == api.view(person["id"])
    assert found.headers["cache-control"] == "no-store"
    headers = {**api.headers("officer"), "X-Citizen-ID": cid}
    listed = api.client.get("/v1/beneficiaries", headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == [person["id"]]
    outsider = {**api.headers("officer_other"), "X-Citizen-ID": cid}
    assert api.client.get("/v1/beneficiaries", headers=outsider).json()["items"] == []
    assert (
        "outside the scope"
        in assert_problem(
            api.post("/v1/beneficiaries/lookup", {"citizen_id": cid}, as_="officer_other"), 403
        )["detail"]
    )
    assert_problem(api.post("/v1/beneficiaries/lookup", {"citizen_id": "079150012345"}), 404)
    assert_problem(api.post("/v1/beneficiaries/lookup", {"citizen_id": "12345"}), 422, "citizen_id")
    assert_problem(api.post("/v1/beneficiaries/lookup", {}), 422, "citizen_id")
    both = api.client.get("/v1/beneficiaries", params={"citizen_id": "079150012345"}, headers=headers)
    assert_problem(both, 422, "citizen_id")
    assert api.recorded() == before  # a lookup is a read: nothing in the event log


def test_which_answers_may_be_kept_in_a_cache(api: Api):
    """Every /v1 answer is no-store — refusals too — except the public signed checkpoints; the health
    check and the API's description are outside /v1."""
    person = _person(api, OTHER_COMMUNE)
    for answer in (
        api.get(f"/v1/beneficiaries/{person['id']}"),
        api.get(f"/v1/rosters/2024-01?format=csv&commune_code={OTHER_COMMUNE}"),
        api.get("/v1/rosters/2024-01?format=xlsx"),
        api.get("/v1/beneficiaries/not-a-person"),
        api.get("/v1/beneficiaries", as_=None),
        api.get(f"/v1/beneficiaries/{person['id']}", as_="officer"),
        api.post("/v1/beneficiaries", {"kind": "x"}, as_="admin"),
        api.get("/v1/reports/summary"),
    ):
        assert answer.headers.get("cache-control") == "no-store", (answer.request.url, answer.status_code)
    for path in ("/healthz", "/openapi.json", "/v1/checkpoints", "/v1/checkpoints/latest"):
        answer = api.get(path)
        assert "no-store" not in answer.headers.get("cache-control", ""), path
