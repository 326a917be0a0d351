"""Every write endpoint × every kind of caller → the status the contract gives; a refusal records nothing.

Callers: an officer whose scope holds the beneficiary's commune, an officer of another commune, an
officer without scope (whole province), an inspector, an administrator, no token, a bad token.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import BenefitsLedger, open_ledger

if TYPE_CHECKING:
    from collections.abc import Callable

IN_SCOPE = "26041"
OTHER = "25195"
BASIS = {"decision_no": "5/QĐ", "decision_date": "2024-07-01", "issuer": "UBND xã"}
SERIALS = itertools.count(1000)
CALLERS = ("officer_in", "officer_out", "officer_all", "inspector", "admin", "none", "bad")


@dataclass
class World:
    ledger: BenefitsLedger
    client: TestClient
    tokens: dict[str, str]

    def headers(self, caller: str) -> dict[str, str]:
        if caller == "none":
            return {}
        if caller == "bad":
            return {"Authorization": "Bearer not-a-token"}
        return {"Authorization": f"Bearer {self.tokens[caller]}"}

    def person(self) -> tuple[str, str]:
        """A fresh beneficiary in the officer's commune with a paid July and a card."""
        serial = next(SERIALS)
        citizen = f"07505{serial:07d}"
        agg = self.ledger.register_beneficiary(
            "setup",
            kind="social_assistance",
            full_name="Phan Văn Tài",
            commune_code=IN_SCOPE,
            citizen_id=citizen,
        )
        eid = self.ledger.grant_entitlement(
            "setup", agg.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=BASIS
        )["entitlement_id"]
        self.ledger.record_payment(
            "setup",
            payment_id=f"P{serial}",
            beneficiary_id=agg.id,
            entitlement_id=eid,
            period="2024-07",
            amount=500_000,
            paid_on="2024-07-10",
        )
        self.ledger.issue_card("setup", agg.id, card_number=f"BT275{serial:010d}", valid_from="2024-07-01")
        return str(agg.id), eid

    def overpaid_person(self) -> str:
        """A beneficiary whose July was paid after a death recorded late: 500,000 to recover."""
        bid, _ = self.person()
        self.ledger.record_death("setup", bid, date_of_death="2024-06-15")
        return bid


@pytest.fixture
def world(database_url: str) -> World:
    ledger = open_ledger(database_url, clock=lambda: datetime(2024, 9, 20, 9, tzinfo=UTC))
    ledger.seed_reference_rates()
    tokens = {
        "officer_in": ledger.add_user("setup", "officer-in", role="officer", scope=[IN_SCOPE])[1],
        "officer_out": ledger.add_user("setup", "officer-out", role="officer", scope=[OTHER])[1],
        "officer_all": ledger.add_user("setup", "officer-all", role="officer")[1],
        "inspector": ledger.add_user("setup", "inspector", role="inspector")[1],
        "admin": ledger.add_user("setup", "admin", role="admin")[1],
    }
    return World(ledger, TestClient(create_app(database_url, ledger=ledger)), tokens)


Request = tuple[str, str, dict[str, Any]]


def _on_person(w: World, build: Callable[[str, str], Request]) -> Request:
    bid, eid = w.person()
    return build(bid, eid)


def _serial() -> int:
    return next(SERIALS)


ENDPOINTS: dict[str, Callable[[World], Request]] = {
    "register": lambda w: ("POST", "/v1/beneficiaries", {
        "kind": "meritorious", "full_name": "Mai Văn Bốn", "commune_code": IN_SCOPE,
        "citizen_id": f"07505{_serial():07d}"}),
    "grant": lambda w: _on_person(w, lambda b, e: ("POST", f"/v1/beneficiaries/{b}/entitlements", {
        "scheme": "BTXH_DISABLED_SEVERE", "effective_from": "2024-08", "basis": BASIS})),
    "adjust": lambda w: _on_person(w, lambda b, e: (
        "POST", f"/v1/beneficiaries/{b}/entitlements/{e}/adjust",
        {"effective_from": "2024-08", "params": {}, "basis": BASIS})),
    "suspend": lambda w: _on_person(w, lambda b, e: (
        "POST", f"/v1/beneficiaries/{b}/entitlements/{e}/suspend", {"effective_from": "2024-08"})),
    "terminate": lambda w: _on_person(w, lambda b, e: (
        "POST", f"/v1/beneficiaries/{b}/entitlements/{e}/terminate",
        {"last_month": "2024-08", "basis": BASIS})),
    "death": lambda w: _on_person(w, lambda b, e: ("POST", f"/v1/beneficiaries/{b}/death", {
        "date_of_death": "2024-08-02"})),
    "relocate": lambda w: _on_person(w, lambda b, e: ("POST", f"/v1/beneficiaries/{b}/relocate", {
        "commune_code": "26248", "effective_from": "2024-09"})),
    "payment_channel": lambda w: _on_person(w, lambda b, e: (
        "POST", f"/v1/beneficiaries/{b}/payment-channel",
        {"payment_channel": {"type": "bank", "bank_code": "VCB", "account_number": "0011223344"}})),
    "correction": lambda w: _on_person(w, lambda b, e: ("POST", f"/v1/beneficiaries/{b}/corrections", {
        "changes": {"full_name": "Phan Văn Tài Em"}, "reason": "sai chính tả"})),
    "payment": lambda w: _on_person(w, lambda b, e: ("POST", "/v1/payments", {
        "payment_id": f"N{_serial()}", "beneficiary_id": b, "entitlement_id": e, "period": "2024-08",
        "amount": 500_000, "paid_on": "2024-08-10"})),
    "not_collected": lambda w: _on_person(w, lambda b, e: ("POST", "/v1/payments/not-collected", {
        "beneficiary_id": b, "entitlement_id": e, "period": "2024-08"})),
    "recovery": lambda w: ("POST", f"/v1/beneficiaries/{w.overpaid_person()}/recoveries", {
        "amount": 1_000, "method": "cash"}),
    "card": lambda w: _on_person(w, lambda b, e: ("POST", f"/v1/beneficiaries/{b}/cards", {
        "card_number": f"BT275{_serial():010d}", "valid_from": "2024-09-01"})),
    "issue_roster": lambda w: ("POST", "/v1/rosters/2024-09/issue", {"commune_code": IN_SCOPE}),
    "rates": lambda w: ("POST", "/v1/rates/BTXH_STANDARD", {
        "effective_from": "2026-07", "amount": 540_000, "legal_basis": f"NĐ test {_serial()}"}),
    "users": lambda w: ("POST", "/v1/users", {"name": f"user{_serial()}", "role": "inspector"}),
}  # fmt: skip

ADMIN_ONLY = {"rates", "users"}


def expected(endpoint: str, caller: str) -> set[int] | None:
    """The statuses a caller may get; ``None`` means "allowed": anything but 401/403."""
    if caller in {"none", "bad"}:
        return {401}
    if caller == "inspector":
        return {403}
    if endpoint in ADMIN_ONLY:
        return None if caller == "admin" else {403}
    if caller == "officer_out":
        return {403}
    return None


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_role_and_scope_matrix(world: World, endpoint: str):
    for caller in CALLERS:
        method, path, body = ENDPOINTS[endpoint](world)
        before = world.ledger.recorder.max_notification_id()
        answer = world.client.request(method, path, json=body, headers=world.headers(caller))
        wanted = expected(endpoint, caller)
        if wanted is None:
            assert answer.status_code not in {401, 403}, (endpoint, caller, answer.text)
            assert answer.status_code < 500, (endpoint, caller, answer.text)
        else:
            assert answer.status_code in wanted, (endpoint, caller, answer.status_code, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert world.ledger.recorder.max_notification_id() == before, (endpoint, caller, "recorded")


def test_allowed_writes_succeed_and_record_the_caller_as_actor(world: World):
    """The first allowed call of each endpoint succeeds (2xx), and its events name the caller."""
    for endpoint in sorted(ENDPOINTS):
        method, path, body = ENDPOINTS[endpoint](world)
        caller = "admin" if endpoint in ADMIN_ONLY else "officer_in"
        answer = world.client.request(method, path, json=body, headers=world.headers(caller))
        assert 200 <= answer.status_code < 300, (endpoint, answer.text)
    audit = world.client.get("/v1/beneficiaries", headers=world.headers("inspector")).json()
    assert audit["items"]
    person = world.client.post(
        "/v1/beneficiaries",
        headers=world.headers("officer_in"),
        json={
            "kind": "meritorious",
            "full_name": "Tạ Văn Năm",
            "commune_code": IN_SCOPE,
            "citizen_id": f"07505{next(SERIALS):07d}",
        },
    ).json()
    history = world.client.get(
        f"/v1/beneficiaries/{person['id']}/history", headers=world.headers("inspector")
    )
    assert history.json()["items"][0]["actor"] == "officer-in"


def test_reversal_and_card_changes_follow_the_same_rules(world: World):
    bid, _ = world.person()
    payment_id = world.ledger.beneficiary(bid).payments.popitem()[0]
    for caller in ("inspector", "officer_out", "none"):
        answer = world.client.post(
            f"/v1/payments/{payment_id}/reverse", json={"reason": "nhầm"}, headers=world.headers(caller)
        )
        assert answer.status_code in {401, 403}
    card = next(iter(world.ledger.beneficiary(bid).cards))
    refused = world.client.post(
        f"/v1/beneficiaries/{bid}/cards/{card}/renew",
        json={"valid_to": "2025-12-31"},
        headers=world.headers("officer_out"),
    )
    assert refused.status_code == 403
    renewed = world.client.post(
        f"/v1/beneficiaries/{bid}/cards/{card}/renew",
        json={"valid_to": "2025-12-31"},
        headers=world.headers("officer_in"),
    )
    assert renewed.status_code == 200
    revoked = world.client.post(
        f"/v1/beneficiaries/{bid}/cards/{card}/revoke",
        json={"reason": "chuyển đi", "effective_on": "2024-09-30"},
        headers=world.headers("officer_all"),
    )
    assert revoked.status_code == 200
    reversed_ = world.client.post(
        f"/v1/payments/{payment_id}/reverse", json={"reason": "nhầm"}, headers=world.headers("admin")
    )
    assert reversed_.status_code == 200
    for path in (
        "/v1/integrity",
        "/v1/rates",
        f"/v1/beneficiaries/{bid}",
        "/v1/exceptions?type=paid_after_death",
    ):
        assert world.client.get(path, headers=world.headers("inspector")).status_code == 200
        assert world.client.get(path).status_code == 401
    assert world.client.get("/v1/users", headers=world.headers("inspector")).status_code == 403
    assert world.client.get("/healthz").status_code == 200
