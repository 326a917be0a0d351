"""Idempotency-Key on every write (CONTRACT.md): the same key with the same body returns the first result
again — same status, same body — and records nothing new; the same key with a different body is a 409.

Also: a refusal is replayed as the same problem (even once the ledger would accept the request); keys
are kept in the store, so they survive a restart; keys belong to their user; concurrent retries of one
key (threads on one app, and two app instances) record exactly once; a retry that arrives while the
first request is still running waits and gets the first answer; a request that failed with a server
error releases its key.

One store per backend serves the whole module; each test works on beneficiaries of its own.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
from api_support import (
    ENDPOINTS,
    OTHER_COMMUNE,
    Api,
    World,
    assert_problem,
    send,
    writer_of,
)
from fastapi.testclient import TestClient

import api.web.idempotency as idempotency_module
from ledger.application import open_ledger

if TYPE_CHECKING:
    import httpx


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


def changed(case: tuple[str, str, Any, Any]) -> tuple[str, str, Any, Any]:
    """The same request with a different body (another reason, or another file)."""
    method, path, body, files = case
    if files is not None:
        name, content, media = files["file"]
        return method, path, None, {**files, "file": (name, content + b"\n", media)}
    return method, path, {**(body or {}), "reason": "một lý do khác"}, None


def same_answer(first: httpx.Response, second: httpx.Response) -> None:
    assert second.status_code == first.status_code, (first.text, second.text)
    assert second.json() == first.json()
    assert second.headers["content-type"] == first.headers["content-type"]


def recoveries(w: World, bid: str) -> int:
    return sum(e["type"] == "OverpaymentRecovered" for e in w.api.history(bid))


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_same_key_same_body_replays_the_first_answer_and_records_nothing(world: World, endpoint: str):
    caller = writer_of(endpoint)
    success, build = ENDPOINTS[endpoint]
    case = build(world, True, endpoint)
    key = new_key()
    before = world.api.recorded()
    first = send(world, caller, case, key=key)
    assert first.status_code == success, first.text
    recorded = world.api.recorded()
    assert recorded > before
    again = send(world, caller, case, key=key)
    if endpoint in SHOWN_ONCE:
        assert "never stored" in assert_problem(again, 409)["detail"]  # the token is not replayed
    else:
        same_answer(first, again)
    assert world.api.recorded() == recorded
    other = send(world, caller, changed(case), key=key)
    assert "Idempotency-Key" in assert_problem(other, 409)["detail"]
    assert world.api.recorded() == recorded
    if endpoint not in SHOWN_ONCE:
        same_answer(first, send(world, caller, case, key=key))  # the key still answers the first request


SHOWN_ONCE = {"users", "user_rotate"}  # answers carrying a new API token: shown once, never stored


@pytest.mark.parametrize("endpoint", sorted(SHOWN_ONCE))
def test_a_new_token_is_never_kept_in_the_idempotency_table(world: World, endpoint: str):
    """The answer of a write made with a key is stored for its retries, but a user's new API token
    must not rest in the database: the stored answer holds null where the token was."""
    case = ENDPOINTS[endpoint][1](world, True, endpoint)
    key = new_key()
    first = send(world, writer_of(endpoint), case, key=key)
    token = first.json()["token"]
    assert len(token) > 20
    with world.services.keys.store.read() as tx:
        rows = [str(row[0]) for row in tx.fetchall("SELECT body FROM api_idempotency", ())]
    assert rows
    assert not [row for row in rows if token in row]


def test_a_payment_retried_with_its_key_answers_201_again(world: World):
    """Without a key, the same payment_id and body answer 200; with the key, the first answer (201)."""
    person = world.person()
    body = {
        "payment_id": f"K-{uuid.uuid4().hex[:8]}",
        "beneficiary_id": person.id,
        "entitlement_id": person.entitlement_id,
        "period": "2024-08",
        "amount": 2_789_000,
        "paid_on": "2024-08-10",
    }
    case = ("POST", "/v1/payments", body, None)
    key = new_key()
    first = send(world, "officer_in", case, key=key)
    assert first.status_code == 201, first.text
    recorded = world.api.recorded()
    same_answer(first, send(world, "officer_in", case, key=key))
    plain = send(world, "officer_in", case)
    assert plain.status_code == 200
    assert plain.json() == first.json()
    assert world.api.recorded() == recorded


def test_a_refusal_is_replayed_as_the_same_problem(world: World):
    person = world.person()
    twice = (
        "POST",
        "/v1/payments",
        {"payment_id": f"K2-{uuid.uuid4().hex[:8]}", "beneficiary_id": person.id,
         "entitlement_id": person.entitlement_id, "period": "2024-07", "amount": 2_789_000,
         "paid_on": "2024-07-20"},
        None,
    )  # fmt: skip
    key = new_key()
    before = world.api.recorded()
    refused = send(world, "officer_in", twice, key=key)
    assert_problem(refused, 409, "period")
    same_answer(refused, send(world, "officer_in", twice, key=key))
    assert world.api.recorded() == before
    # the July payment reversed, the request would now be accepted; its key still answers the refusal
    reversed_ = world.api.post(f"/v1/payments/{person.payment_id}/reverse", {"reason": "ghi nhầm"})
    assert reversed_.status_code == 200
    before = world.api.recorded()
    same_answer(refused, send(world, "officer_in", twice, key=key))
    assert world.api.recorded() == before
    assert send(world, "officer_in", twice, key=new_key()).status_code == 201
    nobody = ("POST", f"/v1/beneficiaries/{uuid.uuid4()}/death", {"date_of_death": "2024-09-01"}, None)
    forbidden = ("POST", f"/v1/beneficiaries/{person.id}/death", {"date_of_death": "2024-09-01"}, None)
    future = ("POST", f"/v1/beneficiaries/{person.id}/death", {"date_of_death": "2030-01-01"}, None)
    before = world.api.recorded()
    for caller, case, status in (
        ("officer_in", nobody, 404),
        ("officer_out", forbidden, 403),
        ("inspector", forbidden, 403),
        ("officer_in", future, 422),
    ):
        key = new_key()
        first = send(world, caller, case, key=key)
        assert_problem(first, status)
        same_answer(first, send(world, caller, case, key=key))
    assert world.api.recorded() == before


def test_keys_belong_to_their_user(world: World):
    """Two users may use the same key string for different requests: each gets its own answer."""
    key = new_key()
    mine = world.person()
    theirs = world.person()
    case_a = (
        "POST",
        f"/v1/beneficiaries/{mine.id}/cards/{mine.card}/renew",
        {"valid_to": "2025-12-31"},
        None,
    )
    case_b = (
        "POST",
        f"/v1/beneficiaries/{theirs.id}/cards/{theirs.card}/renew",
        {"valid_to": "2026-06-30"},
        None,
    )
    a = send(world, "officer_in", case_a, key=key)
    b = send(world, "officer_all", case_b, key=key)
    assert (a.status_code, b.status_code) == (200, 200), (a.text, b.text)
    assert (a.json()["valid_to"], b.json()["valid_to"]) == ("2025-12-31", "2026-06-30")


def test_keys_survive_a_restart(world: World, world_url: str):
    person = world.person(overpaid=True)
    case = ("POST", f"/v1/beneficiaries/{person.id}/recoveries", {"amount": 10_000, "method": "cash"}, None)
    key = new_key()
    first = send(world, "officer_in", case, key=key)
    assert first.status_code == 201, first.text
    recorded = world.api.recorded()
    restarted = Api(world_url, world.api.clock, ledger=open_ledger(world_url, clock=world.api.clock))
    try:
        restarted.tokens = world.api.tokens
        again = send(World(restarted), "officer_in", case, key=key)
        same_answer(first, again)
        assert_problem(send(World(restarted), "officer_in", changed(case), key=key), 409)
        assert restarted.recorded() == recorded
    finally:
        restarted.close()
    assert recoveries(world, person.id) == 1


def _race(world: World, clients: list[TestClient], case: tuple[str, str, Any, Any], key: str) -> list[Any]:
    barrier = threading.Barrier(len(clients))

    def one(client: TestClient) -> tuple[int, Any]:
        barrier.wait(timeout=30)
        answer = send(world, "officer_in", case, key=key, client=client)
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(one, clients))


def test_concurrent_retries_of_one_key_record_once(world: World):
    """8 threads, each with its own client on the same app, send one recovery with one key at once."""
    person = world.person(overpaid=True)
    case = ("POST", f"/v1/beneficiaries/{person.id}/recoveries", {"amount": 1_000, "method": "cash"}, None)
    clients = [TestClient(world.api.app) for _ in range(8)]
    try:
        answers = _race(world, clients, case, new_key())
    finally:
        for client in clients:
            client.close()
    assert {status for status, _ in answers} == {201}, answers
    assert all(body == answers[0][1] for _, body in answers)
    assert recoveries(world, person.id) == 1
    assert world.api.view(person.id)["balances"]["overpayment_outstanding"] == 2_789_000 - 1_000


def test_concurrent_retries_on_two_app_instances_record_once(world: World, world_url: str):
    """Two processes' worth of apps on one store: 4 threads on each, one registration, one key."""
    second = Api(world_url, world.api.clock, ledger=open_ledger(world_url, clock=world.api.clock))
    body = {"kind": "meritorious", "full_name": "Lý Văn Sáu", "commune_code": "26041",
            "citizen_id": f"0750500{uuid.uuid4().int % 10**5:05d}"}  # fmt: skip
    case = ("POST", "/v1/beneficiaries", body, None)
    clients = [TestClient(world.api.app) for _ in range(4)] + [TestClient(second.app) for _ in range(4)]
    try:
        answers = _race(world, clients, case, new_key())
    finally:
        for client in clients:
            client.close()
        second.close()
    assert {status for status, _ in answers} == {201}, answers
    assert all(body == answers[0][1] for _, body in answers)
    found = world.api.get("/v1/beneficiaries", citizen_id=body["citizen_id"]).json()["items"]
    assert [x["id"] for x in found] == [answers[0][1]["id"]]


def test_a_retry_while_the_first_is_in_flight_gets_the_first_answer(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    person = world.person(overpaid=True)
    case = ("POST", f"/v1/beneficiaries/{person.id}/recoveries", {"amount": 2_000, "method": "cash"}, None)
    entered, release = threading.Event(), threading.Event()
    original = world.ledger.record_recovery

    def slow(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(timeout=30)
        return original(*args, **kwargs)

    monkeypatch.setattr(world.ledger, "record_recovery", slow)
    polled = threading.Event()  # a request found the key pending and is waiting for its answer
    real_sleep = time.sleep

    class WatchedTime:
        monotonic = staticmethod(time.monotonic)
        time = staticmethod(time.time)

        @staticmethod
        def sleep(seconds: float) -> None:
            polled.set()
            real_sleep(seconds)

    monkeypatch.setattr(idempotency_module, "time", WatchedTime)
    key = new_key()
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(send, world, "officer_in", case, key=key, client=TestClient(world.api.app))
        assert entered.wait(timeout=30)
        retry = pool.submit(send, world, "officer_in", case, key=key, client=TestClient(world.api.app))
        # a different request with the key in flight is refused at once
        other = send(world, "officer_in", changed(case), key=key, client=TestClient(world.api.app))
        assert_problem(other, 409)
        assert polled.wait(timeout=30), "the retry never found the key pending"
        assert not retry.done(), "the retry did not wait for the first request"
        release.set()
        first_answer, retry_answer = first.result(timeout=30), retry.result(timeout=30)
    assert first_answer.status_code == 201, first_answer.text
    same_answer(first_answer, retry_answer)
    assert recoveries(world, person.id) == 1


def test_a_server_error_releases_the_key(world: World, monkeypatch: pytest.MonkeyPatch):
    person = world.person()
    case = ("POST", f"/v1/beneficiaries/{person.id}/relocate",
            {"commune_code": OTHER_COMMUNE, "effective_from": "2024-10"}, None)  # fmt: skip
    original = world.ledger.relocate
    calls = []

    def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            msg = "the database went away"
            raise RuntimeError(msg)
        return original(*args, **kwargs)

    monkeypatch.setattr(world.ledger, "relocate", broken)
    key = new_key()
    before = world.api.recorded()
    with TestClient(world.api.app, raise_server_exceptions=False) as client:
        failed = send(world, "officer_in", case, key=key, client=client)
        assert failed.status_code == 500
        assert failed.headers["content-type"].startswith("application/problem+json")
        assert world.api.recorded() == before
        retried = send(world, "officer_in", case, key=key, client=client)
        assert retried.status_code == 200, retried.text
        assert retried.json()["places"][-1]["commune_code"] == OTHER_COMMUNE  # from 2024-10
        same_answer(retried, send(world, "officer_in", case, key=key, client=client))
    assert [e["type"] for e in world.api.history(person.id)].count("Relocated") == 1
