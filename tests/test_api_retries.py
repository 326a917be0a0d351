"""Idempotency-Key: a retry gets the first answer and records nothing; keys survive a restart."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import open_ledger

BODY = {
    "kind": "meritorious",
    "full_name": "Quách Thị Bảy",
    "commune_code": "26041",
    "citizen_id": "075150077700",
}


def setup(database_url: str) -> tuple[TestClient, dict[str, str], object]:
    ledger = open_ledger(database_url, clock=lambda: datetime(2024, 9, 20, 9, tzinfo=UTC))
    ledger.seed_reference_rates()
    _, token = ledger.add_user("setup", "officer-r", role="officer")
    return TestClient(create_app(database_url, ledger=ledger)), {"Authorization": f"Bearer {token}"}, ledger


def test_same_key_same_body_returns_the_first_answer_and_records_nothing(database_url):
    client, auth, ledger = setup(database_url)
    headers = {**auth, "Idempotency-Key": "k-register-1"}
    first = client.post("/v1/beneficiaries", json=BODY, headers=headers)
    assert first.status_code == 201
    position = ledger.recorder.max_notification_id()
    again = client.post("/v1/beneficiaries", json=BODY, headers=headers)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert ledger.recorder.max_notification_id() == position
    other = client.post("/v1/beneficiaries", json={**BODY, "full_name": "Khác"}, headers=headers)
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")
    # without a key the same request is a new request: the duplicate citizen ID is refused
    assert client.post("/v1/beneficiaries", json=BODY, headers=auth).status_code == 409


def test_a_refusal_is_replayed_too_and_keys_survive_a_restart(database_url):
    client, auth, ledger = setup(database_url)
    bad = {**BODY, "citizen_id": "123"}
    headers = {**auth, "Idempotency-Key": "k-bad"}
    first = client.post("/v1/beneficiaries", json=bad, headers=headers)
    assert first.status_code == 422
    assert first.json()["errors"][0]["field"] == "citizen_id"
    assert client.post("/v1/beneficiaries", json=bad, headers=headers).json() == first.json()
    created = client.post("/v1/beneficiaries", json=BODY, headers={**auth, "Idempotency-Key": "k-ok"})
    restarted = TestClient(create_app(database_url, ledger=open_ledger(database_url)))
    replay = restarted.post("/v1/beneficiaries", json=BODY, headers={**auth, "Idempotency-Key": "k-ok"})
    assert (replay.status_code, replay.json()) == (created.status_code, created.json())
    del ledger


def test_concurrent_retries_of_one_key_record_once(database_url):
    client, auth, ledger = setup(database_url)
    person = ledger.register_beneficiary("setup", **{**BODY, "citizen_id": "075150077711"})
    eid = ledger.grant_entitlement(
        "setup",
        person.id,
        scheme="NCC_MARTYR_RELATIVE",
        effective_from="2024-07",
        params={"martyrs": 1},
        basis={"decision_no": "1", "decision_date": "2024-07-01", "issuer": "Sở"},
    )["entitlement_id"]
    body = {
        "payment_id": "R-1",
        "beneficiary_id": str(person.id),
        "entitlement_id": eid,
        "period": "2024-07",
        "amount": 2_789_000,
        "paid_on": "2024-07-10",
    }
    headers = {**auth, "Idempotency-Key": "k-pay"}
    barrier = threading.Barrier(8)
    answers: list[tuple[int, str]] = []

    def retry() -> None:
        barrier.wait()
        response = client.post("/v1/payments", json=body, headers=headers)
        answers.append((response.status_code, response.text))

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in answers} == {201}
    assert len({text for _, text in answers}) == 1
    assert len([p for p in ledger.beneficiary(person.id).payments.values() if not p.reversed]) == 1
