"""A roster signed twice over HTTP (issue 15, item 8): an officer prepares it
(``POST /v1/rosters/{month}/issue`` → ``prepared``), a second person — an approver of its scope, or an
administrator, never the preparer — approves it (``issued``, frozen, with its checkpoint) or returns it
with a reason (``returned``), after which it is prepared again. Payments for a month whose roster awaits
approval are refused (409) through every way in; where no roster was prepared they go on as before.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from api_support import COMMUNE, assert_problem

from projections.rosters import RosterScope, roster_view

if TYPE_CHECKING:
    from api_support import Api


def person(api: Api) -> tuple[str, str]:
    """A martyr's relative of commune 26041 granted from August 2024: (beneficiary id, entitlement id)."""
    api.clock.set(2024, 8, 2)
    bid = api.register()["id"]
    eid = api.grant(bid, "NCC_MARTYR_RELATIVE", "2024-08", params={"martyrs": 1})["entitlement_id"]
    return bid, eid


def test_prepare_return_prepare_again_approve_and_payments_wait_for_the_approval(api: Api) -> None:  # noqa: PLR0915
    bid, eid = person(api)
    prepared = api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE})
    assert prepared.status_code == 201, prepared.text
    first = prepared.json()
    assert (first["status"], first["prepared_by"], first["lines"]) == ("prepared", "officer", 1)
    assert first["prepared_at"].startswith("2024-08-02")
    roster_id = first["roster_id"]
    shown = api.roster("2024-08", commune_code=COMMUNE, outstanding_only="true")
    assert (shown["status"], shown["roster"]["prepared_by"], shown["issued"]) == ("prepared", "officer", None)
    month_view = api.roster("2024-08", commune_code=COMMUNE)
    assert (month_view["view"], month_view["status"]) == ("month", "prepared")
    assert shown["content_hash"] == first["content_hash"]  # what the approver sees: the bytes prepared

    # a payment for the month waits for the approval: refused, nothing recorded
    api.add_user("truong.phong.xa", "approver", [COMMUNE])
    before = api.recorded()
    refused = assert_problem(api.pay(bid, eid, "2024-08", 2_789_000), 409, "period")
    assert "chờ phê duyệt" in refused["detail"]
    assert "awaits approval" in refused["detail"]
    # the preparer may not sign twice; an officer never approves; a return needs a reason
    own = assert_problem(api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="officer"), 403)
    assert "approver" in own["detail"]
    assert_problem(api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="officer_all"), 403)
    assert_problem(api.post(f"/v1/rosters/{roster_id}/return", {}, as_="truong.phong.xa"), 422, "reason")
    assert_problem(api.post(f"/v1/rosters/{roster_id}/return", {"reason": ""}, as_="truong.phong.xa"), 422)
    assert api.recorded() == before

    returned = api.post(
        f"/v1/rosters/{roster_id}/return", {"reason": "thiếu người mới"}, as_="truong.phong.xa"
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert (returned.json()["returned_by"], returned.json()["return_reason"]) == (
        "truong.phong.xa",
        "thiếu người mới",
    )
    assert api.roster("2024-08", commune_code=COMMUNE)["status"] == "returned"
    assert_problem(api.pay(bid, eid, "2024-08", 2_789_000), 409, "period")
    assert_problem(api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="truong.phong.xa"), 409)

    # a new person comes on; prepared again on the same stream, new bytes
    other = api.register()["id"]
    api.grant(other, "NCC_MARTYR_RELATIVE", "2024-08", params={"martyrs": 1})
    again = api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE})
    assert again.status_code == 201, again.text
    assert (again.json()["roster_id"], again.json()["lines"]) == (roster_id, 2)
    assert again.json()["content_hash"] != first["content_hash"]
    busy = assert_problem(api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE}), 409)
    assert "prepared" in busy["detail"]

    api.clock.set(2024, 8, 5)
    approved = api.post(f"/v1/rosters/{roster_id}/approve", {"reason": "đúng"}, as_="truong.phong.xa")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["approved_by"], body["content_hash"]) == (
        "issued",
        "truong.phong.xa",
        again.json()["content_hash"],
    )
    assert body["approved_at"].startswith("2024-08-05")
    assert (
        "checkpoint" in body
    )  # signed where the server has a key (tests/integration/test_roster_checkpoint.py)
    frozen = api.roster("2024-08", commune_code=COMMUNE)
    assert (frozen["status"], frozen["issued"]["approved_by"]) == ("issued", "truong.phong.xa")
    assert api.pay(bid, eid, "2024-08", 2_789_000).status_code == 201  # against the approved roster
    assert (
        "already issued"
        in assert_problem(api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE}), 409)["detail"]
    )
    assert_problem(api.post(f"/v1/rosters/{roster_id}/return", {"reason": "muộn"}, as_="admin"), 409)
    types = [e["type"] for e in api.get(f"/v1/beneficiaries/{bid}/history").json()["items"]]
    assert "PaymentRecorded" in types


def test_an_approval_retried_with_its_key_answers_the_same_and_records_once(api: Api) -> None:
    person(api)
    roster_id = api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE}).json()["roster_id"]
    first = api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="approver", key="duyet-1")
    assert first.status_code == 200, first.text
    after = api.recorded()
    retry = api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="approver", key="duyet-1")
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert api.recorded() == after


def test_a_province_roster_needs_an_approver_without_scope_or_an_admin(api: Api) -> None:
    person(api)
    roster_id = api.post("/v1/rosters/2024-08/issue", None, as_="officer_all").json()["roster_id"]
    outside = assert_problem(api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="approver"), 403)
    assert "toàn tỉnh" in outside["detail"]
    api.add_user("giam.doc.so", "approver")
    approved = api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="giam.doc.so")
    assert approved.status_code == 200, approved.text
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(api.post(f"/v1/rosters/{unknown}/approve", {}, as_="admin"), 404)
    assert_problem(api.post("/v1/rosters/not-a-roster/approve", {}, as_="admin"), 422, "roster_id")


def test_an_admin_may_approve_and_no_roster_prepared_means_payments_as_before(api: Api) -> None:
    bid, eid = person(api)
    assert api.pay(bid, eid, "2024-08", 1_000_000).status_code == 201  # nothing prepared: as before
    roster_id = api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE}).json()["roster_id"]
    # a roster of the other channel or another month does not hold the payment up
    api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE, "channel": "bank"})
    assert_problem(api.pay(bid, eid, "2024-08", 1_000_000), 409, "period")
    assert api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="admin").status_code == 200
    assert api.pay(bid, eid, "2024-08", 1_000_000).status_code == 201  # the cash line's roster is issued


def test_a_confirmation_file_waits_for_the_approval_too(api: Api) -> None:
    bid, eid = person(api)
    api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE})
    api.clock.set(2024, 8, 12)
    rows = ["payment_id,beneficiary_id,entitlement_id,period,amount,paid_on,status",
            f"XN-1,{bid},{eid},2024-08,2789000,2024-08-10,paid"]  # fmt: skip
    files = {"file": ("xac-nhan.csv", ("\n".join(rows) + "\n").encode(), "text/csv")}
    before = api.recorded()
    answer = api.client.post("/v1/imports/payments", files=files, headers=api.headers("officer_all"))
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert (error["row"], error["column"]) == (2, "period")
    assert "chờ phê duyệt" in error["reason"], error
    assert api.recorded() == before


def test_an_admin_who_prepared_a_roster_may_not_approve_it(api: Api) -> None:
    person(api)
    roster_id = api.post("/v1/rosters/2024-08/issue", None, as_="admin").json()["roster_id"]
    before = api.recorded()
    own = assert_problem(api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="admin"), 403)
    assert "người lập danh sách (admin) không được tự phê duyệt" in own["detail"]
    assert "the preparer may not approve" in own["detail"]
    assert api.recorded() == before


def _canonical(api: Api, month: str, scope: RosterScope, *, outstanding_only: bool) -> bytes:
    """What the roster's bytes are, built as the pages and the CLI build it (:func:`roster_view`)."""
    roster, _ = roster_view(api.app.state.services.engine, month, scope, outstanding_only=outstanding_only)
    return roster.canonical_json()


def test_the_json_answer_streams_the_roster_canonical_json_then_its_own_fields(api: Api) -> None:
    """``GET /v1/rosters/{month}`` (streamed): the roster's canonical JSON — the bytes its content hash
    is taken over — then ``content_hash`` (that hash), ``issued``, ``status``, ``roster`` and on the
    outstanding view ``view``; for every scope and both views, before and after the roster is issued (then
    the outstanding view is the stored document, hash for hash)."""
    bid, eid = person(api)
    other = api.register(
        payment_channel={"type": "bank", "bank_code": "VBSP", "account_number": "123456789012"}
    )["id"]
    api.grant(other, "NCC_MARTYR_RELATIVE", "2024-07", params={"martyrs": 2})
    assert api.pay(bid, eid, "2024-08", 1_000_000).status_code == 201  # partly paid on the month view
    scopes = [RosterScope(), RosterScope(COMMUNE), RosterScope(None, "bank"), RosterScope(COMMUNE, "cash")]

    def check(issued_hash: str | None = None) -> None:
        for scope in scopes:
            for outstanding_only in (False, True):
                where = {"commune_code": scope.commune_code, "channel": scope.channel}
                answer = api.get(
                    "/v1/rosters/2024-08", **where, outstanding_only=str(outstanding_only).lower()
                )
                assert answer.status_code == 200, answer.text
                canonical = _canonical(api, "2024-08", scope, outstanding_only=outstanding_only)
                assert answer.content.startswith(canonical[:-1] + b',"content_hash":')
                body = answer.json()
                assert body["content_hash"] == hashlib.sha256(canonical).hexdigest()
                view = "outstanding" if outstanding_only else "month"
                own = {k: body[k] for k in ("content_hash", "issued", "status", "roster")}
                assert body == {**json.loads(canonical), **own, "view": view}
                if issued_hash is not None and outstanding_only and scope == RosterScope(COMMUNE):
                    assert body["content_hash"] == issued_hash
                    assert body["issued"]["content_hash"] == issued_hash

    check()
    roster_id = api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE}).json()["roster_id"]
    approved = api.post(f"/v1/rosters/{roster_id}/approve", {}, as_="approver")
    assert approved.status_code == 200, approved.text
    check(approved.json()["content_hash"])
