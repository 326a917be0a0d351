"""End to end through a real `ledger serve` process on PostgreSQL (and SQLite): the README's walk-through.

A new user creates an officer token with `ledger users add`, starts `ledger serve`, registers a
beneficiary, grants an entitlement, records a payment and downloads the month's roster — with plain
HTTP, as curl would. Also the late-death example checked to the đồng, and concurrent retries of one
Idempotency-Key recording once.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from ledger.application import open_ledger
from tests.support import record_standards_before_july_2024
from tests.workbook_reading import commune_table, open_roster

if TYPE_CHECKING:
    from collections.abc import Iterator

BASIS = {"decision_no": "15/QĐ-UBND", "decision_date": "2024-07-01", "issuer": "UBND xã Trấn Biên"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ledger_command(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "api", *args], env=env, capture_output=True, text=True, check=True, timeout=120
    )


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[str, str]]:
    """A running `ledger serve` on the test store; yields (base URL, database URL)."""
    open_ledger(database_url).seed_reference_rates()
    yield from _serve(database_url)


@pytest.fixture
def server_before_2024_07(database_url: str) -> Iterator[tuple[str, str]]:
    """The same, with the standards known only up to 2024-06 (the 2,789,000 decree not yet entered)."""
    record_standards_before_july_2024(open_ledger(database_url, seed_reference=False))
    yield from _serve(database_url)


@pytest.fixture
def two_workers(database_url: str) -> Iterator[tuple[str, str]]:
    """`ledger serve --workers 2` on the test store."""
    open_ledger(database_url).seed_reference_rates()
    yield from _serve(database_url, "--workers", "2")


@pytest.fixture
def server_with_short_leases(database_url: str) -> Iterator[tuple[str, str]]:
    """`ledger serve` whose idempotency keys' claims outlive a dead process by one second."""
    open_ledger(database_url).seed_reference_rates()
    yield from _serve(database_url, lease="1")


def _serve(database_url: str, *args: str, lease: str = "30") -> Iterator[tuple[str, str]]:
    port = free_port()
    env = {**os.environ, "LEDGER_DATABASE_URL": database_url, "LEDGER_IDEMPOTENCY_LEASE_SECONDS": lease}
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"ledger serve did not start: {proc.stderr.read() if proc.stderr else ''}")
    try:
        yield base, database_url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def token_for(url: str, name: str, role: str, *scope: str) -> str:
    args = ["users", "add", name, "--role", role]
    for commune in scope:
        args += ["--scope", commune]
    return ledger_command(url, *args).stdout.strip().splitlines()[-1]


def test_readme_walk_through_with_a_real_server(server):
    base, url = server
    officer = {"Authorization": f"Bearer {token_for(url, 'officer1', 'officer', '26041')}"}
    inspector = {"Authorization": f"Bearer {token_for(url, 'inspector1', 'inspector')}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.get("/openapi.json").status_code == 200
        assert http.get("/v1/beneficiaries").status_code == 401
        person = http.post("/v1/beneficiaries", headers=officer, json={
            "kind": "meritorious", "full_name": "Trần Thị Bình", "commune_code": "26041",
            "citizen_id": "075150098765", "date_of_birth": "1950-04-02", "sex": "female",
        })  # fmt: skip
        assert person.status_code == 201, person.text
        bid = person.json()["id"]
        granted = http.post(f"/v1/beneficiaries/{bid}/entitlements", headers=officer, json={
            "scheme": "NCC_MARTYR_RELATIVE", "effective_from": "2024-07", "params": {"martyrs": 1},
            "basis": BASIS,
        })  # fmt: skip
        assert granted.status_code == 201, granted.text
        assert granted.json()["monthly_amount"] == 2_789_000
        eid = granted.json()["entitlement_id"]
        payment = {"payment_id": "BD-2024-07-0001", "beneficiary_id": bid, "entitlement_id": eid,
                   "period": "2024-07", "amount": 2_789_000, "paid_on": "2024-07-10"}  # fmt: skip
        assert http.post("/v1/payments", headers=officer, json=payment).status_code == 201
        assert http.post("/v1/payments", headers=officer, json=payment).status_code == 200
        second = http.post("/v1/payments", headers=officer, json={**payment, "payment_id": "BD-2024-07-0002"})
        assert second.status_code == 409
        assert second.headers["content-type"].startswith("application/problem+json")
        assert http.post("/v1/payments", headers=inspector, json=payment).status_code == 403
        roster = http.get("/v1/rosters/2024-08", headers=officer, params={"commune_code": "26041"}).json()
        assert roster["totals"]["amount"] == 2_789_000
        assert [i["type"] for i in roster["lines"][0]["items"]] == ["regular"]
        download = http.get(
            "/v1/rosters/2024-08", headers=officer, params={"commune_code": "26041", "format": "xlsx"}
        )
        assert download.status_code == 200
        assert "danh-sach-chi-tra-2024-08-26041.xlsx" in download.headers["content-disposition"]
        book = open_roster(download.content)
        headings, rows, _ = commune_table(book[book.sheetnames[1]])
        assert rows[0][headings.index("Họ và tên")] == "Trần Thị Bình"
        history = http.get(f"/v1/beneficiaries/{bid}/history", headers=inspector).json()["items"]
        assert [h["type"] for h in history] == [
            "BeneficiaryRegistered",
            "EntitlementGranted",
            "PaymentRecorded",
        ]
        assert history[2]["actor"] == "officer1"
        assert history[2]["prev_hash"] == history[1]["hash"]
        assert http.get("/v1/integrity", headers=inspector).json()["ok"] is True


def test_two_worker_processes_serve_one_store(two_workers):
    """Writes through one process are read through the other (read models, keys, sessions in the
    store); a retried write with its key records once whichever process answers."""
    base, url = two_workers
    officer = {"Authorization": f"Bearer {token_for(url, 'officer2', 'officer')}"}
    body = {"kind": "social_assistance", "full_name": "Lê Văn Hai Tiến Trình", "commune_code": "26041",
            "citizen_id": "075040123123", "date_of_birth": "1940-01-02", "sex": "male"}  # fmt: skip
    with httpx.Client(base_url=base, timeout=30) as http:
        first = http.post("/v1/beneficiaries", headers={**officer, "Idempotency-Key": "k-2w"}, json=body)
        assert first.status_code == 201, first.text
        for _ in range(12):  # new connections: both processes answer some
            with httpx.Client(base_url=base, timeout=30) as fresh:
                again = fresh.post(
                    "/v1/beneficiaries", headers={**officer, "Idempotency-Key": "k-2w"}, json=body
                )
                assert again.json()["id"] == first.json()["id"]
                found = fresh.get("/v1/beneficiaries", headers=officer, params={"q": "le van hai tien trinh"})
                assert [b["id"] for b in found.json()["items"]] == [first.json()["id"]]
        history = http.get(f"/v1/beneficiaries/{first.json()['id']}/history", headers=officer).json()
        assert [i["type"] for i in history["items"]] == ["BeneficiaryRegistered"]


def test_late_death_over_http_to_the_dong(server):
    base, url = server
    officer = {"Authorization": f"Bearer {token_for(url, 'officer2', 'officer')}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        bid = http.post("/v1/beneficiaries", headers=officer, json={
            "kind": "social_assistance", "full_name": "Lê Văn Cường", "commune_code": "26041",
            "citizen_id": "075040011111", "date_of_birth": "1940-05-01", "sex": "male",
        }).json()["id"]  # fmt: skip
        eid = http.post(f"/v1/beneficiaries/{bid}/entitlements", headers=officer, json={
            "scheme": "BTXH_ELDERLY_80", "effective_from": "2024-07", "basis": BASIS,
        }).json()["entitlement_id"]  # fmt: skip
        for month in ("2024-07", "2024-08", "2024-09", "2024-10", "2024-11"):
            paid = http.post("/v1/payments", headers=officer, json={
                "payment_id": f"E-{month}", "beneficiary_id": bid, "entitlement_id": eid, "period": month,
                "amount": 500_000, "paid_on": f"{month}-10",
            })  # fmt: skip
            assert paid.status_code == 201, paid.text
        death = http.post(
            f"/v1/beneficiaries/{bid}/death", headers=officer, json={"date_of_death": "2024-09-20"}
        )
        assert death.status_code == 200, death.text
        assert death.json()["overpayment"]["months"] == ["2024-10", "2024-11"]
        assert death.json()["overpayment"]["amount"] == 1_000_000
        state = http.get(f"/v1/beneficiaries/{bid}", headers=officer).json()
        assert state["status"] == "deceased"
        assert state["balances"]["overpayment_outstanding"] == 1_000_000
        listed = http.get(
            "/v1/exceptions", headers=officer, params={"type": "overpayment_outstanding"}
        ).json()
        assert [(i["beneficiary_id"], i["outstanding"]) for i in listed["items"]] == [(bid, 1_000_000)]
        funeral = http.post(f"/v1/beneficiaries/{bid}/entitlements", headers=officer, json={
            "scheme": "BTXH_FUNERAL", "effective_from": "2024-11", "basis": BASIS,
        })  # fmt: skip
        assert funeral.json()["amount"] == 10_000_000


def test_concurrent_retries_of_one_idempotency_key_record_once(server):
    base, url = server
    officer = {
        "Authorization": f"Bearer {token_for(url, 'officer3', 'officer')}",
        "Idempotency-Key": "reg-42",
    }
    body = {
        "kind": "meritorious",
        "full_name": "Võ Thị Lan",
        "commune_code": "26041",
        "citizen_id": "075160022222",
    }
    barrier = threading.Barrier(8)
    answers: list[tuple[int, str]] = []

    def retry() -> None:
        barrier.wait()
        response = httpx.post(f"{base}/v1/beneficiaries", headers=officer, json=body, timeout=60)
        answers.append((response.status_code, response.text))

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in answers} == {201}
    assert len({text for _, text in answers}) == 1
    found = httpx.get(
        f"{base}/v1/beneficiaries", headers=officer, params={"citizen_id": "075160022222"}
    ).json()
    assert len(found["items"]) == 1


# a process that serves the app (as `ledger serve` does) and takes a request with an Idempotency-Key
# whose registration never finishes: it prints "running" once the key is claimed, then hangs
STUCK_WRITER = """
import json, sys, time
from fastapi.testclient import TestClient
from api.bootstrap import create_app
app = create_app()
def stuck(*args, **kwargs):
    print("running", flush=True)
    time.sleep(600)
app.state.services.ledger.register_beneficiary = stuck
TestClient(app).post("/v1/beneficiaries", headers=json.loads(sys.argv[1]), json=json.loads(sys.argv[2]))
"""


def test_a_key_whose_first_request_was_killed_is_taken_over_after_its_lease(server_with_short_leases):
    """The first request's process is killed with SIGKILL mid-request: while it lived, a retry got a
    409 with Retry-After; a second after its death the retry runs, records, and is replayed."""
    base, url = server_with_short_leases
    officer = {"Authorization": f"Bearer {token_for(url, 'officer5', 'officer')}", "Idempotency-Key": "reg-k"}
    body = {"kind": "meritorious", "full_name": "Đinh Văn Tư", "commune_code": "26041",
            "citizen_id": "075160033333"}  # fmt: skip
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_IDEMPOTENCY_LEASE_SECONDS": "1"}
    writer = subprocess.Popen(
        [sys.executable, "-c", STUCK_WRITER, json.dumps(officer), json.dumps(body)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "running"
        with httpx.Client(base_url=base, timeout=60) as http:
            time.sleep(1.5)  # longer than a lease: the living writer renews its claim
            busy = http.post("/v1/beneficiaries", headers=officer, json=body)
            assert busy.status_code == 409, busy.text
            assert "still running" in busy.json()["detail"]
            assert 1 <= int(busy.headers["Retry-After"]) <= 2
            other = http.post(
                "/v1/beneficiaries", headers=officer, json={**body, "full_name": "Đinh Văn Năm"}
            )
            assert other.status_code == 409
            assert "different request" in other.json()["detail"]
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=30)
            time.sleep(1.1)  # its lease runs out
            retried = http.post("/v1/beneficiaries", headers=officer, json=body)
            assert retried.status_code == 201, retried.text
            again = http.post("/v1/beneficiaries", headers=officer, json=body)
            assert (again.status_code, again.json()) == (201, retried.json())
            found = http.get("/v1/beneficiaries", headers=officer, params={"citizen_id": body["citizen_id"]})
            assert [x["id"] for x in found.json()["items"]] == [retried.json()["id"]]
    finally:
        writer.kill()
        writer.wait(timeout=30)


def test_every_endpoint_over_http_with_the_arrears_example(server_before_2024_07):
    """Every write endpoint through the real server; the retroactive NCC standard pays 734,000 arrears
    for July in the August roster; history, report and exceptions checked to the đồng."""
    base, url = server_before_2024_07
    officer = {"Authorization": f"Bearer {token_for(url, 'officer9', 'officer')}"}
    admin = {"Authorization": f"Bearer {token_for(url, 'admin9', 'admin')}"}
    with httpx.Client(base_url=base, timeout=30) as http:

        def post(path: str, body: dict, who: dict = officer, status: int = 200) -> dict:
            answer = http.post(path, headers=who, json=body)
            assert answer.status_code == status, (path, answer.text)
            return answer.json()

        bid = post(
            "/v1/beneficiaries",
            {
                "kind": "meritorious",
                "full_name": "Trương Thị Tư",
                "commune_code": "26041",
                "citizen_id": "075148044444",
            },
            status=201,
        )["id"]
        eid = post(
            f"/v1/beneficiaries/{bid}/entitlements",
            {
                "scheme": "NCC_MARTYR_RELATIVE",
                "effective_from": "2024-06",
                "params": {"martyrs": 1},
                "basis": BASIS,
            },
            status=201,
        )["entitlement_id"]
        for month in ("2024-06", "2024-07"):
            post(
                "/v1/payments",
                {
                    "payment_id": f"A-{month}",
                    "beneficiary_id": bid,
                    "entitlement_id": eid,
                    "period": month,
                    "amount": 2_055_000,
                    "paid_on": f"{month}-10",
                },
                status=201,
            )
        post(
            "/v1/rates/NCC_STANDARD",
            {"effective_from": "2024-07", "amount": 2_789_000, "legal_basis": "NĐ 77/2024/NĐ-CP"},
            who=admin,
            status=201,
        )
        roster = http.get("/v1/rosters/2024-08", headers=officer).json()
        (line,) = [x for x in roster["lines"] if x["beneficiary_id"] == bid]
        assert [(i["type"], i["period"], i["amount"]) for i in line["items"]] == [
            ("regular", "2024-08", 2_789_000),
            ("arrears", "2024-07", 734_000),
        ]
        assert line["net_amount"] == 3_523_000
        post(
            "/v1/payments",
            {
                "payment_id": "A-2024-07-TL",
                "beneficiary_id": bid,
                "entitlement_id": eid,
                "period": "2024-07",
                "amount": 734_000,
                "paid_on": "2024-08-10",
            },
            status=201,
        )
        post(
            "/v1/payments/not-collected",
            {"beneficiary_id": bid, "entitlement_id": eid, "period": "2024-08"},
            status=201,
        )
        post(
            f"/v1/beneficiaries/{bid}/entitlements/{eid}/adjust",
            {"effective_from": "2024-09", "params": {"martyrs": 2}, "basis": BASIS},
        )
        post(f"/v1/beneficiaries/{bid}/entitlements/{eid}/suspend", {"effective_from": "2024-10"})
        post(f"/v1/beneficiaries/{bid}/entitlements/{eid}/resume", {"effective_from": "2024-11"})
        post(f"/v1/beneficiaries/{bid}/relocate", {"commune_code": "26248", "effective_from": "2024-12"})
        post(
            f"/v1/beneficiaries/{bid}/payment-channel",
            {"payment_channel": {"type": "bank", "bank_code": "BIDV", "account_number": "123456789012"}},
        )
        post(
            f"/v1/beneficiaries/{bid}/cards",
            {"card_number": "TS2750000001234", "valid_from": "2024-01-01", "valid_to": "2024-12-31"},
            status=201,
        )
        post(f"/v1/beneficiaries/{bid}/cards/TS2750000001234/renew", {"valid_to": "2025-12-31"})
        post("/v1/payments/A-2024-06/reverse", {"reason": "trùng chứng từ"})
        post(
            f"/v1/beneficiaries/{bid}/entitlements/{eid}/terminate", {"last_month": "2024-12", "basis": BASIS}
        )
        death = post(f"/v1/beneficiaries/{bid}/death", {"date_of_death": "2024-06-30"})
        assert death["overpayment"] == {"months": ["2024-07"], "amount": 2_789_000, "outstanding": 2_789_000}
        post(f"/v1/beneficiaries/{bid}/recoveries", {"amount": 789_000, "method": "cash"}, status=201)
        state = http.get(f"/v1/beneficiaries/{bid}", headers=officer).json()
        assert state["status"] == "deceased"
        assert state["balances"]["overpayment_outstanding"] == 2_000_000
        assert state["cards"][0]["status"] == "revoked"  # death ends the card
        history = http.get(f"/v1/beneficiaries/{bid}/history", headers=officer).json()["items"]
        assert [h["seq"] for h in history] == list(range(1, len(history) + 1))
        assert all(h["prev_hash"] == p["hash"] for p, h in itertools.pairwise(history))
        report = http.get(
            "/v1/reports/summary", headers=officer, params={"from": "2024-06", "to": "2024-08"}
        ).json()
        assert report["schemes"]["NCC_MARTYR_RELATIVE"]["amount"] == 2_055_000 + 734_000
        listed = http.get("/v1/exceptions", headers=officer, params={"type": "paid_after_death"}).json()[
            "items"
        ]
        assert [(i["period"], i["amount"]) for i in listed] == [("2024-07", 2_055_000), ("2024-07", 734_000)]
