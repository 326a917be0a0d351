"""End to end through a real `ledger serve` process on PostgreSQL (and SQLite): the README's walk-through.

A new user creates an officer token with `ledger users add`, starts `ledger serve`, registers a
beneficiary, grants an entitlement, records a payment and downloads the month's roster — with plain
HTTP, as curl would. Also the late-death example checked to the đồng, and concurrent retries of one
Idempotency-Key recording once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from io import BytesIO
from typing import TYPE_CHECKING

import httpx
import pytest
from openpyxl import load_workbook

from ledger.application import open_ledger

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
    port = free_port()
    env = {**os.environ, "LEDGER_DATABASE_URL": database_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port)],
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
        book = load_workbook(BytesIO(download.content))
        assert book[book.sheetnames[1]].cell(row=2, column=2).value == "Họ và tên"
        history = http.get(f"/v1/beneficiaries/{bid}/history", headers=inspector).json()["items"]
        assert [h["type"] for h in history] == [
            "BeneficiaryRegistered",
            "EntitlementGranted",
            "PaymentRecorded",
        ]
        assert history[2]["actor"] == "officer1"
        assert history[2]["prev_hash"] == history[1]["hash"]
        assert http.get("/v1/integrity", headers=inspector).json()["ok"] is True


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
