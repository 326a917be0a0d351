"""The remaining worked examples of the ledger core, driven entirely over HTTP (both backends)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import create_app
from ledger.application import open_ledger

SERIAL = itertools.count(1)


def decision(day: str) -> dict[str, str]:
    return {"decision_no": "22/QĐ-UBND", "decision_date": day, "issuer": "UBND phường Trấn Biên"}


@pytest.fixture
def http(database_url: str) -> tuple[TestClient, dict[str, str]]:
    ledger = open_ledger(database_url, clock=lambda: datetime(2024, 10, 5, 9, tzinfo=UTC))
    ledger.seed_reference_rates()
    _, token = ledger.add_user("setup", "officer-x", role="officer", scope=["26041"])
    return TestClient(create_app(database_url, ledger=ledger)), {"Authorization": f"Bearer {token}"}


def register(client: TestClient, auth: dict[str, str], kind: str = "social_assistance") -> str:
    body = {
        "kind": kind,
        "full_name": "Hà Thị Chín",
        "commune_code": "26041",
        "citizen_id": f"07513{next(SERIAL):07d}",
        "date_of_birth": "1930-05-05",
        "sex": "female",
    }
    answer = client.post("/v1/beneficiaries", json=body, headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def grant(client, auth, bid: str, scheme: str, start: str, day: str, params: dict | None = None) -> dict:
    body = {"scheme": scheme, "effective_from": start, "basis": decision(day), "params": params}
    answer = client.post(f"/v1/beneficiaries/{bid}/entitlements", json=body, headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()


def roster_items(client, auth, month: str, bid: str) -> list[tuple[str, str | None, int]]:
    roster = client.get(f"/v1/rosters/{month}", headers=auth).json()
    lines = [line for line in roster["lines"] if line["beneficiary_id"] == bid]
    return [(i["type"], i["period"], i["amount"]) for line in lines for i in line["items"]]


def test_80_plus_decided_in_march_pays_360000_then_500000(http):
    client, auth = http
    bid = register(client, auth)
    grant(client, auth, bid, "BTXH_ELDERLY_80", "2024-01", "2024-03-15")
    items = roster_items(client, auth, "2024-07", bid)
    assert items[0] == ("regular", "2024-07", 500_000)
    arrears = sorted(i for i in items if i[0] == "arrears")
    assert arrears == [("arrears", f"2024-0{m}", 360_000) for m in (3, 4, 5, 6)]  # nothing for Jan, Feb


def test_severely_disabled_elderly_and_highest_coefficient_only(http):
    client, auth = http
    bid = register(client, auth)
    assert (
        grant(client, auth, bid, "BTXH_DISABLED_SEVERE_CHILD_OR_ELDERLY", "2024-07", "2024-07-01")[
            "monthly_amount"
        ]
        == 1_000_000
    )
    low = grant(client, auth, bid, "BTXH_ELDERLY_80", "2024-07", "2024-07-01")
    assert low["monthly_amount"] == 0  # a second social-assistance group: only the highest is paid
    refused = client.post(
        "/v1/payments",
        headers=auth,
        json={
            "payment_id": "H-1",
            "beneficiary_id": bid,
            "entitlement_id": low["entitlement_id"],
            "period": "2024-07",
            "amount": 500_000,
            "paid_on": "2024-07-10",
        },
    )
    assert refused.status_code == 409
    assert roster_items(client, auth, "2024-07", bid) == [("regular", "2024-07", 1_000_000)]


def test_war_invalid_81_percent_and_martyr_relative(http):
    client, auth = http
    invalid = register(client, auth, "meritorious")
    granted = grant(client, auth, invalid, "NCC_WAR_INVALID", "2024-07", "2024-07-01", {"injury_rate": 81})
    assert granted["monthly_amount"] == 7_240_000 + 1_399_000
    relative = register(client, auth, "meritorious")
    grant(client, auth, relative, "NCC_MARTYR_RELATIVE", "2024-06", "2024-06-01", {"martyrs": 1})
    assert sorted(roster_items(client, auth, "2024-07", relative)) == [
        ("arrears", "2024-06", 2_055_000),
        ("regular", "2024-07", 2_789_000),
    ]


def test_three_uncollected_months_listed_as_suspension_candidate(http):
    client, auth = http
    bid = register(client, auth)
    eid = grant(client, auth, bid, "BTXH_ELDERLY_80", "2024-07", "2024-07-01")["entitlement_id"]
    for month in ("2024-07", "2024-08", "2024-09"):
        answer = client.post(
            "/v1/payments/not-collected",
            headers=auth,
            json={"beneficiary_id": bid, "entitlement_id": eid, "period": month},
        )
        assert answer.status_code == 201
    assert client.get(f"/v1/beneficiaries/{bid}", headers=auth).json()["suspension_candidate"] is True
    listed = client.get("/v1/exceptions", headers=auth, params={"type": "suspension_candidate"}).json()[
        "items"
    ]
    assert [(i["beneficiary_id"], i["uncollected_months"]) for i in listed] == [(bid, 3)]
    carried = [i for i in roster_items(client, auth, "2024-10", bid) if i[0] == "carried_over"]
    assert carried == [("carried_over", m, 500_000) for m in ("2024-07", "2024-08", "2024-09")]
