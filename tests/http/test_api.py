"""The HTTP API end to end: the ledger's worked examples driven only over HTTP, to the đồng.

Every test opens a fresh store (SQLite and PostgreSQL), moves the ledger's clock itself, writes through
``/v1`` as an officer (or an administrator for rates) and checks what the responses say: the write's
answer, the beneficiary's state, its history, the roster (JSON, CSV, XLSX), the report, the exception
lists and the integrity check. Refusals are RFC 9457 problems, and a refusal records nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import sqlite3
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from api_support import (
    COMMUNE,
    OTHER_COMMUNE,
    Api,
    Clock,
    assert_problem,
    basis,
    card_number,
    citizen_id,
    items_of,
)
from psycopg import sql
from workbook_reading import commune_table, open_roster

from domain.values import Month
from ledger.config import parse_database_url
from ledger.csv_cells import unwrap

if TYPE_CHECKING:
    from collections.abc import Iterator

CONTRACT_PATHS = {
    "/v1/beneficiaries": {"get", "post"},
    "/v1/beneficiaries/{beneficiary_id}": {"get"},
    "/v1/beneficiaries/{beneficiary_id}/entitlements": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/adjust": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/suspend": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/resume": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/terminate": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/death": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/relocate": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/payment-channel": {"post"},
    "/v1/payments": {"post"},
    "/v1/payments/not-collected": {"post"},
    "/v1/payments/{payment_id}/reverse": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/recoveries": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/cards": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/cards/{card_number}/renew": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/cards/{card_number}/revoke": {"post"},
    "/v1/beneficiaries/{beneficiary_id}/history": {"get"},
    "/v1/rosters/{month}": {"get"},
    "/v1/rosters/{month}/issue": {"post"},
    "/v1/reports/summary": {"get"},
    "/v1/exceptions": {"get"},
    "/v1/integrity": {"get"},
    "/v1/rates": {"get"},
    "/v1/rates/{schedule}": {"post"},
    "/healthz": {"get"},
}
HISTORY_FIELDS = {
    "seq",
    "type",
    "occurred_on",
    "recorded_at",
    "actor",
    "reason",
    "basis",
    "data",
    "hash",
    "prev_hash",
}


@pytest.fixture
def api_until_june(database_url: str, clock: Clock) -> Iterator[Api]:
    """An app whose rates were seeded only up to 2024-06 (the 2024-07 NCC standard is not known yet)."""
    app = Api(database_url, clock, seed_until=Month(2024, 6)).standard_users()
    yield app
    app.close()


def martyr_relative(api: Api, effective_from: str = "2024-01", **fields: object) -> tuple[str, str]:
    """A martyr's relative (one martyr) registered and granted over HTTP: (beneficiary id, entitlement id)."""
    person = api.register(**fields)
    granted = api.grant(person["id"], "NCC_MARTYR_RELATIVE", effective_from, params={"martyrs": 1})
    return person["id"], granted["entitlement_id"]


def pay_month(api: Api, bid: str, eid: str, period: str, amount: int, **extra: object) -> dict:
    """Move the clock to the 10th of ``period`` and pay it (201)."""
    year, month = map(int, period.split("-"))
    api.clock.set(year, month, 10)
    answer = api.pay(bid, eid, period, amount, **extra)
    assert answer.status_code == 201, answer.text
    return answer.json()


# ------------------------------------------------------------------------------------------ service


def test_health_openapi_and_docs_are_served(api: Api):
    health = api.client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    schema = api.client.get("/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path, methods in CONTRACT_PATHS.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    docs = api.client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    refused = api.client.get("/v1/rates")
    assert_problem(refused, 401)
    assert refused.headers["www-authenticate"] == "Bearer"
    assert_problem(api.get("/v1/no-such-thing"), 404)


# ------------------------------------------------------------------------------------------ register


def test_register_read_back_and_duplicate_citizen_id(api: Api):
    api.clock.set(2024, 3, 20)
    body = {
        "kind": "social_assistance",
        "full_name": "Lê Văn Cường",
        "commune_code": COMMUNE,
        "citizen_id": "075030012345",
        "date_of_birth": "1930-02-01",
        "sex": "male",
        "reason": "hồ sơ mới",
    }
    created = api.post("/v1/beneficiaries", body)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/json")
    person = created.json()
    assert person["id"]
    assert {k: person[k] for k in ("kind", "full_name", "citizen_id", "commune_code", "status")} == {
        "kind": "social_assistance",
        "full_name": "Lê Văn Cường",
        "citizen_id": "075030012345",
        "commune_code": COMMUNE,
        "status": "active",
    }
    assert person["payment_channel"] == {"type": "cash"}
    assert person["entitlements"] == []
    assert person["cards"] == []
    assert person["balances"]["arrears_due"] == 0
    assert person["balances"]["overpayment_outstanding"] == 0
    assert api.view(person["id"]) == person
    (event,) = api.history(person["id"])
    assert (event["type"], event["actor"], event["reason"]) == (
        "BeneficiaryRegistered",
        "officer",
        "hồ sơ mới",
    )

    before = api.recorded()
    again = api.post("/v1/beneficiaries", {**body, "full_name": "Người khác"})
    assert_problem(again, 409, "citizen_id")
    assert api.recorded() == before
    found = api.get("/v1/beneficiaries", citizen_id="075030012345").json()["items"]
    assert [p["id"] for p in found] == [person["id"]]


def test_register_a_poor_household_with_members_and_a_bank_account(api: Api):
    household = api.register(
        kind="poor_household",
        citizen_id=None,
        date_of_birth=None,
        sex=None,
        full_name="Hộ ông Nguyễn Văn An",
        household_code="HN-26041-0001",
        poverty_status="near_poor",
        members=[
            {"citizen_id": "075080012345", "full_name": "Nguyễn Văn An", "date_of_birth": "1980-01-01",
             "relation": "head"},
            {"citizen_id": "075182012345", "full_name": "Trần Thị Hoa", "date_of_birth": "1982-05-01",
             "relation": "spouse"},
        ],
        payment_channel={"type": "bank", "bank_code": "VBSP", "account_number": "123456789012"},
    )  # fmt: skip
    assert household["kind"] == "poor_household"
    assert household["citizen_id"] is None
    assert household["household_code"] == "HN-26041-0001"
    assert household["poverty_status"] == "near_poor"
    assert [m["full_name"] for m in household["members"]] == ["Nguyễn Văn An", "Trần Thị Hoa"]
    assert household["payment_channel"]["type"] == "bank"
    assert household["payment_channel"]["account_number"] == "123456789012"
    tet = api.grant(household["id"], "HN_TET_SUPPORT", "2024-01", params={"amount": 500_000})
    assert tet["amount"] == 500_000
    assert "monthly_amount" not in tet
    (line,) = api.roster("2024-01")["lines"]
    assert items_of(line) == [("one_off", None, 500_000)]
    assert line["channel"] == "bank"
    assert line["citizen_id"] is None


# ------------------------------------------------------------------------------------------ bad input


def test_bad_input_is_422_naming_the_field_and_records_nothing(api: Api):
    api.clock.set(2024, 8, 20)
    bid, eid = martyr_relative(api, "2024-07")
    good_person = {
        "kind": "meritorious",
        "full_name": "Phạm Văn Đức",
        "commune_code": COMMUNE,
        "citizen_id": citizen_id(1950),
    }
    good_payment = {
        "payment_id": "BD-1",
        "beneficiary_id": bid,
        "entitlement_id": eid,
        "period": "2024-08",
        "amount": 2_789_000,
        "paid_on": "2024-08-10",
    }
    grant = f"/v1/beneficiaries/{bid}/entitlements"
    cases = [
        ("/v1/beneficiaries", {**good_person, "citizen_id": "07505001234"}, "citizen_id"),
        ("/v1/beneficiaries", {**good_person, "citizen_id": "0750500123AB"}, "citizen_id"),
        ("/v1/beneficiaries", {**good_person, "commune_code": "99999"}, "commune_code"),
        ("/v1/beneficiaries", {**good_person, "commune_code": "2604"}, "commune_code"),
        ("/v1/beneficiaries", {**good_person, "kind": "veteran"}, "kind"),
        ("/v1/beneficiaries", {**good_person, "citizen_id": None}, "citizen_id"),
        ("/v1/beneficiaries", {k: v for k, v in good_person.items() if k != "full_name"}, "full_name"),
        ("/v1/beneficiaries", {**good_person, "date_of_birth": "1950-02-30"}, "date_of_birth"),
        ("/v1/beneficiaries", {**good_person, "sex": "x"}, "sex"),
        ("/v1/beneficiaries", {**good_person, "nickname": "Đức"}, "nickname"),
        ("/v1/beneficiaries", {**good_person, "reason": 5}, "reason"),
        (
            "/v1/beneficiaries",
            {**good_person, "payment_channel": {"type": "bank", "bank_code": "VCB", "account_number": "12"}},
            "payment_channel.account_number",
        ),
        (grant, {"scheme": "NCC_NO_SUCH_THING", "effective_from": "2024-08", "basis": basis("2024-08-01")},
         "scheme"),
        (grant, {"scheme": "NCC_MARTYR_RELATIVE", "effective_from": "2024-13", "basis": basis("2024-08-01"),
                 "params": {"martyrs": 1}}, "effective_from"),
        (grant, {"scheme": "NCC_MARTYR_RELATIVE", "effective_from": "2024-08", "basis": basis("2024-08-01"),
                 "params": {"martyrs": "một"}}, "params.martyrs"),
        (grant, {"scheme": "NCC_MARTYR_RELATIVE", "effective_from": "2024-08", "params": {"martyrs": 1}},
         "basis"),
        (grant, {"scheme": "BTXH_ELDERLY_80", "effective_from": "2024-08", "basis": basis("2024-08-01")},
         "scheme"),
        ("/v1/payments", {**good_payment, "amount": "2789000"}, "amount"),
        ("/v1/payments", {**good_payment, "amount": 2_789_000.5}, "amount"),
        ("/v1/payments", {**good_payment, "amount": -5}, "amount"),
        ("/v1/payments", {**good_payment, "period": "08/2024"}, "period"),
        ("/v1/payments", {**good_payment, "paid_on": "2024-09-01"}, "paid_on"),
        ("/v1/payments", {**good_payment, "channel": "gold"}, "channel"),
        ("/v1/payments", {k: v for k, v in good_payment.items() if k != "payment_id"}, "payment_id"),
        ("/v1/payments", {k: v for k, v in good_payment.items() if k != "period"}, "period"),
        (f"/v1/beneficiaries/{bid}/death", {"date_of_death": "yesterday"}, "date_of_death"),
        (f"/v1/beneficiaries/{bid}/death", {"date_of_death": "2024-12-01"}, "date_of_death"),
        (f"/v1/beneficiaries/{bid}/relocate", {"commune_code": "00000", "effective_from": "2024-09"},
         "commune_code"),
        (f"/v1/beneficiaries/{bid}/payment-channel", {"payment_channel": {"type": "gold"}},
         "payment_channel.type"),
        (f"/v1/beneficiaries/{bid}/recoveries", {"amount": "1000", "method": "cash"}, "amount"),
        (f"/v1/beneficiaries/{bid}/recoveries", {"amount": 1000, "method": "barter"}, "method"),
        (f"/v1/beneficiaries/{bid}/cards", {"card_number": "XX2751234567890", "valid_from": "2024-08-01"},
         "card_number"),
        (f"/v1/beneficiaries/{bid}/cards", {"card_number": "TS2751234567890", "valid_from": "2024-08-01",
                                            "valid_to": "2024-07-01"}, "valid_to"),
        ("/v1/payments/whatever/reverse", {"reason": ""}, "reason"),
        ("/v1/rosters/2024-8/issue", {"commune_code": COMMUNE}, "month"),
        ("/v1/rosters/2024-08/issue", {"commune_code": "99999"}, "commune_code"),
        ("/v1/rosters/2024-08/issue", {"channel": "gold"}, "channel"),
    ]  # fmt: skip
    before = api.recorded()
    for path, body, field in cases:
        answer = api.post(path, body, as_="officer_all")
        assert_problem(answer, 422, field)
        assert api.recorded() == before, (path, body, "recorded something")
    admin_cases = [
        ("/v1/rates/NCC_STANDARD", {"effective_from": "2025-07", "amount": "3000000", "legal_basis": "NĐ"},
         "amount"),
        ("/v1/rates/NO_SUCH_SCHEDULE",
         {"effective_from": "2025-07", "amount": 3_000_000, "legal_basis": "NĐ"}, "schedule"),
        ("/v1/rates/NCC_STANDARD", {"effective_from": "July", "amount": 3_000_000, "legal_basis": "NĐ"},
         "effective_from"),
        ("/v1/rates/NCC_STANDARD", {"effective_from": "2025-07", "amount": 3_000_000}, "legal_basis"),
        ("/v1/users", {"name": "x", "role": "officer"}, "name"),
        ("/v1/users", {"name": "mai", "role": "boss"}, "role"),
        ("/v1/users", {"name": "mai", "role": "officer", "scope": ["99999"]}, "scope"),
    ]  # fmt: skip
    for path, body, field in admin_cases:
        assert_problem(api.post(path, body, as_="admin"), 422, field)
        assert api.recorded() == before, (path, body, "recorded something")
    not_json = api.client.post(
        "/v1/beneficiaries",
        content=b"{not json",
        headers={**api.headers("officer"), "Content-Type": "application/json"},
    )
    assert_problem(not_json, 422)
    for path, params, field in [
        ("/v1/rosters/2024-13", {}, "month"),
        ("/v1/rosters/2024-08", {"format": "pdf"}, "format"),
        ("/v1/rosters/2024-08", {"channel": "gold"}, "channel"),
        ("/v1/rosters/2024-08", {"commune_code": "99999"}, "commune_code"),
        ("/v1/rosters/2024-08", {"as_of": "last week"}, "as_of"),
        ("/v1/beneficiaries", {"status": "asleep"}, "status"),
        ("/v1/beneficiaries", {"kind": "veteran"}, "kind"),
        ("/v1/beneficiaries", {"limit": 0}, "limit"),
        ("/v1/beneficiaries", {"commune_code": "1"}, "commune_code"),
        (f"/v1/beneficiaries/{bid}/history", {"as_of": "soon"}, "as_of"),
        ("/v1/reports/summary", {"from_": "2024-13"}, "from"),
        ("/v1/reports/summary", {"from_": "2024-08", "to": "2024-07"}, "to"),
        ("/v1/reports/summary", {"from_": "2024-08", "commune_code": "99999"}, "commune_code"),
        ("/v1/exceptions", {"type": "paid_twice_maybe"}, "type"),
        ("/v1/exceptions", {"type": "unpaid_roster_lines", "month": "2024-13"}, "month"),
        ("/v1/exceptions", {"type": "unpaid_roster_lines", "month": "2031-01"}, "month"),
        ("/v1/exceptions", {"type": "paid_after_death", "month": "2024-07"}, "month"),
    ]:  # fmt: skip
        assert_problem(api.get(path, **params), 422, field)
    assert api.recorded() == before


def test_unknown_ids_are_404_and_record_nothing(api: Api):
    api.clock.set(2024, 8, 20)
    bid, eid = martyr_relative(api, "2024-07")
    nobody = "7d0c5b8e-2f7c-4a51-9f0e-3c2b1a000000"
    august = {"period": "2024-08", "amount": 1000, "paid_on": "2024-08-10"}
    uncollected = "/v1/payments/not-collected"
    before = api.recorded()
    for path in (
        f"/v1/beneficiaries/{nobody}",
        f"/v1/beneficiaries/{nobody}/history",
        "/v1/beneficiaries/not-a-uuid",
        "/v1/beneficiaries/075999999999",
    ):
        assert_problem(api.get(path), 404)
    writes = [
        (f"/v1/beneficiaries/{nobody}/entitlements",
         {"scheme": "NCC_MARTYR_RELATIVE", "effective_from": "2024-08", "basis": basis("2024-08-01"),
          "params": {"martyrs": 1}}),
        (f"/v1/beneficiaries/{nobody}/death", {"date_of_death": "2024-08-01"}),
        (f"/v1/beneficiaries/{nobody}/relocate",
         {"commune_code": OTHER_COMMUNE, "effective_from": "2024-09"}),
        (f"/v1/beneficiaries/{nobody}/payment-channel", {"payment_channel": {"type": "cash"}}),
        (f"/v1/beneficiaries/{nobody}/recoveries", {"amount": 1000, "method": "cash"}),
        (f"/v1/beneficiaries/{nobody}/cards", {"card_number": card_number(), "valid_from": "2024-08-01"}),
        (f"/v1/beneficiaries/{bid}/entitlements/{nobody}/adjust",
         {"effective_from": "2024-09", "params": {"martyrs": 2}, "basis": basis("2024-08-15")}),
        (f"/v1/beneficiaries/{bid}/entitlements/{nobody}/suspend", {"effective_from": "2024-09"}),
        (f"/v1/beneficiaries/{bid}/entitlements/{nobody}/resume", {"effective_from": "2024-09"}),
        (f"/v1/beneficiaries/{bid}/entitlements/{nobody}/terminate",
         {"last_month": "2024-09", "basis": basis("2024-08-15")}),
        (f"/v1/beneficiaries/{bid}/cards/TS2750000099999/renew", {"valid_to": "2025-12-31"}),
        (f"/v1/beneficiaries/{bid}/cards/TS2750000099999/revoke",
         {"reason": "mất", "effective_on": "2024-08-20"}),
        ("/v1/payments/NO-SUCH-PAYMENT/reverse", {"reason": "ghi nhầm"}),
        ("/v1/payments", {"payment_id": "X", "beneficiary_id": nobody, "entitlement_id": eid, **august}),
        ("/v1/payments", {"payment_id": "X", "beneficiary_id": bid, "entitlement_id": nobody, **august}),
        (uncollected, {"beneficiary_id": nobody, "entitlement_id": eid, "period": "2024-08"}),
        (uncollected, {"beneficiary_id": bid, "entitlement_id": nobody, "period": "2024-08"}),
    ]  # fmt: skip
    for path, body in writes:
        assert_problem(api.post(path, body, as_="officer_all"), 404)
        assert api.recorded() == before, path


# ------------------------------------------------------------------------------------------ worked examples


def test_80_plus_decision_signed_in_march_starts_in_march_and_follows_the_standard(api: Api):
    """BTXH 80+ decided 2024-03-15: 360,000 from March (not January); 500,000 from July; unpaid months
    come back as arrears on the July roster."""
    api.clock.set(2024, 3, 20)
    person = api.register(
        kind="social_assistance", full_name="Lê Văn Cường", citizen_id="075030012345",
        date_of_birth="1930-02-01", sex="male",
    )  # fmt: skip
    bid = person["id"]
    granted = api.grant(bid, "BTXH_ELDERLY_80", "2024-01", basis=basis("2024-03-15"))
    assert (granted["scheme"], granted["start_month"], granted["monthly_amount"]) == (
        "BTXH_ELDERLY_80",
        "2024-03",
        360_000,
    )
    eid = granted["entitlement_id"]
    assert api.roster("2024-02")["lines"] == []
    (line,) = api.roster("2024-03")["lines"]
    assert items_of(line) == [("regular", "2024-03", 360_000)]
    assert (line["beneficiary_id"], line["citizen_id"], line["full_name"], line["commune_code"]) == (
        bid,
        "075030012345",
        "Lê Văn Cường",
        COMMUNE,
    )
    assert line["channel"] == "cash"
    assert line["net_amount"] == 360_000
    pay_month(api, bid, eid, "2024-03", 360_000)
    api.clock.set(2024, 7, 20)
    (line,) = api.roster("2024-07")["lines"]
    assert items_of(line) == [
        ("regular", "2024-07", 500_000),
        ("arrears", "2024-04", 360_000),
        ("arrears", "2024-05", 360_000),
        ("arrears", "2024-06", 360_000),
    ]
    assert line["net_amount"] == 1_580_000
    assert all(i["entitlement_id"] == eid and i["scheme"] == "BTXH_ELDERLY_80" for i in line["items"])
    view = api.view(bid)
    assert view["balances"]["arrears_due"] == 1_080_000
    (entitlement,) = view["entitlements"]
    assert entitlement["monthly_amount"] == 500_000


def test_retroactive_ncc_standard_pays_734000_arrears_for_july_in_august(api_until_june: Api):
    """NCC standard amended over HTTP on 2024-08-05 from 2024-07 (2,055,000 → 2,789,000): July was paid at
    2,055,000, so the August roster pays 734,000 of arrears for July besides August at the new rate."""
    api = api_until_june
    bid, eid = martyr_relative(api, "2024-01")
    for month in range(1, 8):
        pay_month(api, bid, eid, f"2024-{month:02d}", 2_055_000)
    api.clock.set(2024, 8, 5, hour=8)
    (line,) = api.roster("2024-08")["lines"]
    assert items_of(line) == [("regular", "2024-08", 2_055_000)]
    amendment = {
        "effective_from": "2024-07",
        "amount": 2_789_000,
        "legal_basis": "NĐ 77/2024/NĐ-CP",
        "reason": "mức chuẩn mới",
    }
    before = api.recorded()
    assert_problem(api.post("/v1/rates/NCC_STANDARD", amendment, as_="officer"), 403)
    assert api.recorded() == before
    api.clock.set(2024, 8, 5, hour=10)
    amended = api.post("/v1/rates/NCC_STANDARD", amendment, as_="admin")
    assert amended.status_code == 201, amended.text
    assert amended.json()["amount"] == 2_789_000
    assert amended.json()["effective_from"] == "2024-07"
    roster = api.roster("2024-08")
    (line,) = roster["lines"]
    assert items_of(line) == [("regular", "2024-08", 2_789_000), ("arrears", "2024-07", 734_000)]
    assert line["net_amount"] == 3_523_000
    assert roster["totals"] == {
        "lines": 1,
        "amount": 3_523_000,
        "by_channel": {"cash": 3_523_000, "bank": 0},
        "by_commune": {COMMUNE: 3_523_000},
        **outstanding_totals(1, 3_523_000),  # nothing paid, nothing issued: all outstanding
    }
    view = api.view(bid)
    assert view["balances"]["arrears_due"] == 734_000
    assert view["entitlements"][0]["monthly_amount"] == 2_789_000
    # what the ledger said before the decree was recorded
    before_decree = api.roster("2024-08", as_of="2024-08-05T09:00:00+00:00")
    assert [items_of(x) for x in before_decree["lines"]] == [[("regular", "2024-08", 2_055_000)]]
    schedules = {s["schedule"]: s for s in api.get("/v1/rates").json()["items"]}
    ncc = [(e["effective_from"], e["amount"]) for e in schedules["NCC_STANDARD"]["entries"]]
    assert ncc[-2:] == [("2023-07", 2_055_000), ("2024-07", 2_789_000)]
    assert schedules["NCC_STANDARD"]["entries"][-1]["legal_basis"] == "NĐ 77/2024/NĐ-CP"
    # the arrears paid as their own payment: only August remains
    api.clock.set(2024, 8, 12)
    paid = api.pay(bid, eid, "2024-07", 734_000, payment_id="TL-2024-07")
    assert paid.status_code == 201, paid.text
    assert items_of(api.roster("2024-08", outstanding_only="true")["lines"][0]) == [
        ("regular", "2024-08", 2_789_000)
    ]
    (line,) = api.roster("2024-08")["lines"]  # the month view: the arrears still there, paid
    assert [(i["type"], i["amount"], i["status"]) for i in line["items"]] == [
        ("regular", 2_789_000, "outstanding"),
        ("arrears", 734_000, "paid"),
    ]
    assert line["status"] == "partly_paid"
    assert api.view(bid)["balances"]["arrears_due"] == 0


def test_late_death_overpayment_recovered_by_deduction_from_the_funeral_allowance(api: Api):
    """Died 2024-09-20, recorded 2024-11-25 after October and November were paid (500,000 each): the
    death's answer names the 1,000,000 overpaid; it is listed, deducted from the 10,000,000 funeral
    allowance on the December roster, and once the recovery by deduction is recorded the funeral item
    itself is owed 1,000,000 less: the family is paid 9,000,000 before and after (issue 11)."""
    api.clock.set(2024, 7, 2)
    person = api.register(
        kind="social_assistance", full_name="Lê Văn Cường", citizen_id="075040012345",
        date_of_birth="1940-05-01", sex="male",
    )  # fmt: skip
    bid = person["id"]
    eid = api.grant(bid, "BTXH_ELDERLY_80", "2024-07", basis=basis("2024-07-02"))["entitlement_id"]
    for month in range(7, 12):
        pay_month(api, bid, eid, f"2024-{month:02d}", 500_000)
    api.clock.set(2024, 11, 25)
    died = api.post(
        f"/v1/beneficiaries/{bid}/death", {"date_of_death": "2024-09-20", "basis": basis("2024-11-25")}
    )
    assert died.status_code == 200, died.text
    assert died.json()["overpayment"]["months"] == ["2024-10", "2024-11"]
    assert died.json()["overpayment"]["amount"] == 1_000_000
    view = api.view(bid)
    assert view["status"] == "deceased"
    assert view["balances"]["overpayment_outstanding"] == 1_000_000
    outstanding = api.get("/v1/exceptions", type="overpayment_outstanding").json()["items"]
    assert [(x["beneficiary_id"], x["outstanding"]) for x in outstanding] == [(bid, 1_000_000)]
    after_death = api.get("/v1/exceptions", type="paid_after_death").json()["items"]
    assert sorted((x["period"], x["amount"]) for x in after_death) == [
        ("2024-10", 500_000),
        ("2024-11", 500_000),
    ]
    before = api.recorded()
    assert_problem(api.post(f"/v1/beneficiaries/{bid}/death", {"date_of_death": "2024-09-20"}), 409)
    assert_problem(api.pay(bid, eid, "2024-12", 500_000), 409, "period")
    assert api.recorded() == before
    funeral = api.grant(bid, "BTXH_FUNERAL", "2024-11", basis=basis("2024-11-26"))
    assert funeral["amount"] == 10_000_000
    api.clock.set(2024, 12, 1)
    (line,) = api.roster("2024-12")["lines"]
    assert items_of(line) == [("one_off", None, 10_000_000), ("recovery", None, -1_000_000)]
    assert line["net_amount"] == 9_000_000
    recovered = api.post(
        f"/v1/beneficiaries/{bid}/recoveries",
        {"amount": 1_000_000, "method": "deduction", "reference": "BB-12"},
    )
    assert recovered.status_code == 201, recovered.text
    assert recovered.json()["overpayment_outstanding"] == 0
    (line,) = api.roster("2024-12")["lines"]
    assert items_of(line) == [("one_off", None, 9_000_000)]
    assert line["net_amount"] == 9_000_000
    assert api.get("/v1/exceptions", type="overpayment_outstanding").json()["items"] == []
    assert api.view(bid)["balances"]["overpayment_outstanding"] == 0
    before = api.recorded()
    assert_problem(
        api.post(f"/v1/beneficiaries/{bid}/recoveries", {"amount": 1, "method": "cash"}), 409, "amount"
    )
    assert api.recorded() == before
    assert_problem(api.pay(bid, funeral["entitlement_id"], None, 10_000_000, payment_id="MT-0"), 409)
    one_off = api.pay(bid, funeral["entitlement_id"], None, 9_000_000, payment_id="MT-1")
    assert one_off.status_code == 201, one_off.text
    assert one_off.json()["period"] is None
    assert api.roster("2024-12", outstanding_only="true")["lines"] == []
    assert {line["status"] for line in api.roster("2024-12")["lines"]} <= {"paid"}
    history = api.history(bid)
    assert [e["type"] for e in history][-3:] == [
        "EntitlementGranted",
        "OverpaymentDeducted",
        "PaymentRecorded",
    ]


def test_payment_retry_double_payment_and_reversal(api: Api):
    """Same payment_id and body: 200 and nothing new; another id for a paid month: 409; reversed, the
    month can be paid again."""
    api.clock.set(2024, 7, 20)
    bid, eid = martyr_relative(api, "2024-07")
    body = {
        "payment_id": "BD-2024-07-0001",
        "beneficiary_id": bid,
        "entitlement_id": eid,
        "period": "2024-07",
        "amount": 2_789_000,
        "paid_on": "2024-07-15",
        "channel": "cash",
        "reference": "BĐ Trấn Biên 15/07",
        "reason": "chi trả tháng 7",
    }
    first = api.post("/v1/payments", body)
    assert first.status_code == 201, first.text
    payment = first.json()
    assert {
        k: payment[k] for k in ("payment_id", "beneficiary_id", "entitlement_id", "period", "amount")
    } == {
        "payment_id": "BD-2024-07-0001",
        "beneficiary_id": bid,
        "entitlement_id": eid,
        "period": "2024-07",
        "amount": 2_789_000,
    }
    assert payment["paid_on"] == "2024-07-15"
    assert payment["reversed"] is False
    events = len(api.history(bid))
    before = api.recorded()
    retry = api.post("/v1/payments", body)
    assert retry.status_code == 200, retry.text
    assert retry.json() == payment
    assert len(api.history(bid)) == events
    assert api.recorded() == before
    twice = api.post("/v1/payments", {**body, "payment_id": "BD-2024-07-0002"})
    problem = assert_problem(twice, 409, "period")
    assert "already paid" in problem["detail"]
    reused = api.post("/v1/payments", {**body, "amount": 1_000_000})
    assert_problem(reused, 409, "payment_id")
    someone, someone_eid = martyr_relative(api, "2024-07")
    before = api.recorded()
    elsewhere = api.post("/v1/payments", {**body, "beneficiary_id": someone, "entitlement_id": someone_eid})
    assert_problem(elsewhere, 409, "payment_id")
    too_much = api.post("/v1/payments", {**body, "payment_id": "BD-2024-08-0001", "period": "2024-08",
                                         "amount": 2_789_001})  # fmt: skip
    assert_problem(too_much, 409, "amount")
    assert api.recorded() == before
    reversed_ = api.post("/v1/payments/BD-2024-07-0001/reverse", {"reason": "chi nhầm người nhận"})
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["reversed"] is True
    assert reversed_.json()["payment_id"] == "BD-2024-07-0001"
    last = api.history(bid)[-1]
    assert (last["type"], last["reason"], last["data"]["payment_id"]) == (
        "PaymentReversed",
        "chi nhầm người nhận",
        "BD-2024-07-0001",
    )
    before = api.recorded()
    assert_problem(api.post("/v1/payments/BD-2024-07-0001/reverse", {"reason": "lần nữa"}), 409)
    assert_problem(api.post("/v1/payments/BD-2024-07-0001/reverse", {}), 422, "reason")
    assert api.recorded() == before

    def line_of(month: str) -> list[tuple[str, str | None, int]] | None:
        lines = [x for x in api.roster(month, outstanding_only="true")["lines"] if x["beneficiary_id"] == bid]
        return items_of(lines[0]) if lines else None

    assert line_of("2024-07") == [("regular", "2024-07", 2_789_000)]
    again = api.post("/v1/payments", {**body, "payment_id": "BD-2024-07-0003"})
    assert again.status_code == 201, again.text
    assert line_of("2024-07") is None
    partial = api.pay(bid, eid, "2024-08", 1_000_000, paid_on="2024-07-20")
    assert partial.status_code == 201
    assert line_of("2024-08") == [("regular", "2024-08", 1_789_000)]


def test_not_collected_is_carried_over_and_three_months_make_a_suspension_candidate(api: Api):
    api.clock.set(2024, 7, 20)
    bid, eid = martyr_relative(api, "2024-07")
    pay_month(api, bid, eid, "2024-07", 2_789_000)
    api.clock.set(2024, 8, 28)
    body = {"beneficiary_id": bid, "entitlement_id": eid, "period": "2024-08", "reason": "vắng nhà"}
    first = api.post("/v1/payments/not-collected", body)
    assert first.status_code == 201, first.text
    assert first.json()["suspension_candidate"] is False
    assert api.history(bid)[-1]["type"] == "PaymentNotCollected"
    before = api.recorded()
    assert_problem(api.post("/v1/payments/not-collected", body), 409, "period")
    assert_problem(api.post("/v1/payments/not-collected", {**body, "period": "2024-07"}), 409, "period")
    assert api.recorded() == before
    api.clock.set(2024, 9, 5)
    (line,) = api.roster("2024-09")["lines"]
    assert items_of(line) == [("regular", "2024-09", 2_789_000), ("carried_over", "2024-08", 2_789_000)]
    assert api.view(bid)["balances"]["arrears_due"] == 0
    for month, day in ((9, 28), (10, 28)):
        api.clock.set(2024, month, day)
        answer = api.post("/v1/payments/not-collected", {**body, "period": f"2024-{month:02d}"})
        assert answer.status_code == 201, answer.text
    assert answer.json()["suspension_candidate"] is True
    candidates = api.get("/v1/exceptions", type="suspension_candidate").json()["items"]
    assert [(c["beneficiary_id"], c["uncollected_months"]) for c in candidates] == [(bid, 3)]
    api.clock.set(2024, 11, 5)
    (line,) = api.roster("2024-11")["lines"]
    assert items_of(line) == [
        ("regular", "2024-11", 2_789_000),
        ("carried_over", "2024-08", 2_789_000),
        ("carried_over", "2024-09", 2_789_000),
        ("carried_over", "2024-10", 2_789_000),
    ]
    assert line["net_amount"] == 4 * 2_789_000
    assert api.pay(bid, eid, "2024-08", 2_789_000, paid_on="2024-11-05").status_code == 201
    assert ("carried_over", "2024-08", 2_789_000) not in items_of(api.roster("2024-11")["lines"][0])


def test_cards_issue_renew_revoke_and_a_number_held_by_someone_else(api: Api):
    api.clock.set(2024, 7, 20)
    bid, _ = martyr_relative(api, "2024-07")
    other, _ = martyr_relative(api, "2024-07")
    number = "TS2750000000001"
    issued = api.post(
        f"/v1/beneficiaries/{bid}/cards",
        {"card_number": "TS2 75 0000000001", "valid_from": "2024-07-01", "valid_to": "2024-12-31"},
    )
    assert issued.status_code == 201, issued.text
    assert issued.json() == {
        "card_number": number,
        "group": "TS",
        "valid_from": "2024-07-01",
        "valid_to": "2024-12-31",
        "status": "active",
        "revoked_on": None,
        "revoke_reason": None,
    }
    before = api.recorded()
    taken = api.post(f"/v1/beneficiaries/{other}/cards", {"card_number": number, "valid_from": "2024-07-01"})
    assert "in use" in assert_problem(taken, 409, "card_number")["detail"]
    mine_again = api.post(
        f"/v1/beneficiaries/{bid}/cards", {"card_number": number, "valid_from": "2024-07-01"}
    )
    assert_problem(mine_again, 409, "card_number")
    assert_problem(
        api.post(f"/v1/beneficiaries/{bid}/cards/{number}/renew", {"valid_to": "2024-06-30"}), 422, "valid_to"
    )
    assert api.recorded() == before
    renewed = api.post(f"/v1/beneficiaries/{bid}/cards/{number}/renew", {"valid_to": "2025-12-31"})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["valid_to"] == "2025-12-31"
    report = api.get("/v1/reports/summary", from_="2024-07", to="2024-07").json()
    assert report["cards"]["TS"] == {"in_use": 1, "new": 1, "ended": 0}
    api.clock.set(2024, 9, 2)
    revoked = api.post(
        f"/v1/beneficiaries/{bid}/cards/{number}/revoke",
        {"reason": "chuyển đi tỉnh khác", "effective_on": "2024-08-31"},
    )
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["status"], revoked.json()["revoked_on"], revoked.json()["revoke_reason"]) == (
        "revoked",
        "2024-08-31",
        "chuyển đi tỉnh khác",
    )
    (card,) = api.view(bid)["cards"]
    assert card["status"] == "revoked"
    last = api.history(bid)[-1]
    assert (last["type"], last["reason"], last["occurred_on"]) == (
        "HealthInsuranceCardRevoked",
        "chuyển đi tỉnh khác",
        "2024-08-31",
    )
    before = api.recorded()
    assert_problem(api.post(f"/v1/beneficiaries/{bid}/cards/{number}/renew", {"valid_to": "2026-12-31"}), 409)
    assert_problem(
        api.post(
            f"/v1/beneficiaries/{bid}/cards/{number}/revoke", {"reason": "x", "effective_on": "2024-09-01"}
        ),
        409,
    )
    assert api.recorded() == before
    august = api.get("/v1/reports/summary", from_="2024-08", to="2024-08").json()
    assert august["cards"]["TS"] == {"in_use": 0, "new": 0, "ended": 1}


def test_relocation_and_payment_channel_move_roster_lines_and_scope(api: Api):
    api.clock.set(2024, 8, 2)
    here, here_eid = martyr_relative(api, "2024-08", full_name="Trần Thị Bình")
    there_person = api.register(full_name="Vũ Thị Cúc", commune_code=OTHER_COMMUNE, as_="officer_other")
    there = there_person["id"]
    api.grant(there, "NCC_MARTYR_RELATIVE", "2024-08", params={"martyrs": 1}, as_="officer_other")
    roster = api.roster("2024-08")
    assert roster["totals"] == {
        "lines": 2,
        "amount": 2 * 2_789_000,
        "by_channel": {"cash": 2 * 2_789_000, "bank": 0},
        "by_commune": {OTHER_COMMUNE: 2_789_000, COMMUNE: 2_789_000},
        **outstanding_totals(2, 2 * 2_789_000),
    }
    channel = {"type": "bank", "bank_code": "VCB", "account_number": "0071000123456"}
    moved = api.post(f"/v1/beneficiaries/{here}/payment-channel", {"payment_channel": channel,
                                                                   "effective_from": "2024-08"})  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert moved.json()["payment_channel"] == channel
    before = api.recorded()
    assert_problem(
        api.post(f"/v1/beneficiaries/{here}/payment-channel", {"payment_channel": channel}),
        409,
        "payment_channel",
    )
    assert api.recorded() == before
    roster = api.roster("2024-08")
    assert roster["totals"]["by_channel"] == {"cash": 2_789_000, "bank": 2_789_000}
    bank = api.roster("2024-08", channel="bank")
    assert [(x["beneficiary_id"], x["channel"]) for x in bank["lines"]] == [(here, "bank")]
    assert bank["channel"] == "bank"
    relocated = api.post(
        f"/v1/beneficiaries/{here}/relocate",
        {"commune_code": OTHER_COMMUNE, "effective_from": "2024-08", "reason": "chuyển hộ khẩu"},
    )
    assert relocated.status_code == 200, relocated.text
    assert relocated.json()["commune_code"] == OTHER_COMMUNE
    assert api.history(here)[-1]["type"] == "Relocated"
    roster = api.roster("2024-08", commune_code=OTHER_COMMUNE)
    assert sorted(x["beneficiary_id"] for x in roster["lines"]) == sorted([here, there])
    assert roster["totals"]["by_commune"] == {OTHER_COMMUNE: 2 * 2_789_000}
    assert api.roster("2024-08", commune_code=COMMUNE)["lines"] == []
    # the officer of the old commune may no longer write for this beneficiary; the new commune's may
    before = api.recorded()
    assert_problem(api.pay(here, here_eid, "2024-08", 2_789_000, paid_on="2024-08-02"), 403)
    assert api.recorded() == before
    paid = api.pay(here, here_eid, "2024-08", 2_789_000, paid_on="2024-08-02", as_="officer_other")
    assert paid.status_code == 201, paid.text
    assert paid.json()["channel"] == "bank"
    listed = api.get("/v1/beneficiaries", commune_code=OTHER_COMMUNE).json()["items"]
    assert sorted(x["id"] for x in listed) == sorted([here, there])


def test_adjust_suspend_resume_and_terminate_an_entitlement(api: Api):
    api.clock.set(2024, 7, 20)
    bid, eid = martyr_relative(api, "2024-07")
    pay_month(api, bid, eid, "2024-07", 2_789_000)
    api.clock.set(2024, 7, 25)
    base = f"/v1/beneficiaries/{bid}/entitlements/{eid}"
    adjusted = api.post(
        f"{base}/adjust",
        {
            "effective_from": "2024-08",
            "params": {"martyrs": 2},
            "basis": basis("2024-07-24"),
            "reason": "thêm liệt sĩ",
        },
    )
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["monthly_amount"] == 2_789_000  # July: still one martyr
    api.clock.set(2024, 8, 5)
    assert api.view(bid)["entitlements"][0]["monthly_amount"] == 5_578_000
    assert items_of(api.roster("2024-08")["lines"][0]) == [("regular", "2024-08", 5_578_000)]
    pay_month(api, bid, eid, "2024-08", 5_578_000)
    suspended = api.post(f"{base}/suspend", {"effective_from": "2024-09", "basis": basis("2024-08-20")})
    assert suspended.status_code == 200, suspended.text
    api.clock.set(2024, 9, 5)
    assert api.view(bid)["status"] == "suspended"
    assert api.roster("2024-09")["lines"] == []
    before = api.recorded()
    assert_problem(api.pay(bid, eid, "2024-09", 5_578_000), 409, "period")
    assert_problem(api.post(f"{base}/suspend", {"effective_from": "2024-09"}), 409)
    early = {"effective_from": "2024-06", "params": {"martyrs": 1}, "basis": basis("2024-09-01")}
    assert_problem(api.post(f"{base}/adjust", early), 422, "effective_from")
    assert api.recorded() == before
    assert [x["id"] for x in api.get("/v1/beneficiaries", status="suspended").json()["items"]] == [bid]
    resumed = api.post(f"{base}/resume", {"effective_from": "2024-10", "basis": basis("2024-09-25")})
    assert resumed.status_code == 200, resumed.text
    api.clock.set(2024, 10, 5)
    assert api.view(bid)["status"] == "active"
    assert items_of(api.roster("2024-10")["lines"][0]) == [("regular", "2024-10", 5_578_000)]
    terminated = api.post(f"{base}/terminate", {"last_month": "2024-10", "basis": basis("2024-10-04")})
    assert terminated.status_code == 200, terminated.text
    assert terminated.json()["last_month"] == "2024-10"
    api.clock.set(2024, 11, 5)
    assert api.view(bid)["status"] == "terminated"
    (line,) = api.roster("2024-11")["lines"]  # October, up to the last month, is still owed
    assert items_of(line) == [("arrears", "2024-10", 5_578_000)]
    before = api.recorded()
    assert_problem(api.pay(bid, eid, "2024-11", 5_578_000), 409, "period")
    assert_problem(
        api.post(f"{base}/terminate", {"last_month": "2024-10", "basis": basis("2024-11-01")}), 409
    )
    assert api.recorded() == before
    report = api.get("/v1/reports/summary", from_="2024-07", to="2024-10").json()
    assert report["schemes"]["NCC_MARTYR_RELATIVE"]["terminations"] == 1
    assert report["terminations"] == 1
    types = [e["type"] for e in api.history(bid)]
    for expected in (
        "EntitlementAdjusted",
        "EntitlementSuspended",
        "EntitlementResumed",
        "EntitlementTerminated",
    ):
        assert expected in types


# ------------------------------------------------------------------------------------------ reading


def test_list_filters_and_cursor_paging(api: Api):
    api.clock.set(2024, 8, 20)
    ids = {
        "a": api.register(full_name="Nguyễn Văn An")["id"],
        "b": api.register(full_name="Trần Thị Bình")["id"],
        "c": api.register(kind="social_assistance", full_name="Lê Văn Cường", citizen_id="075030054321",
                          date_of_birth="1930-01-01", sex="male")["id"],
        "d": api.register(full_name="Phạm Thị Dung", commune_code=OTHER_COMMUNE, as_="officer_all")["id"],
        "e": api.register(full_name="Hoàng Văn Em", commune_code=OTHER_COMMUNE, as_="officer_all")["id"],
    }  # fmt: skip
    api.grant(ids["c"], "BTXH_ELDERLY_80", "2024-08", basis=basis("2024-08-01"))
    died = api.post(
        f"/v1/beneficiaries/{ids['e']}/death", {"date_of_death": "2024-08-01"}, as_="officer_other"
    )
    assert died.status_code == 200, died.text

    def found(**params: object) -> set[str]:
        answer = api.get("/v1/beneficiaries", **params)
        assert answer.status_code == 200, answer.text
        return {x["id"] for x in answer.json()["items"]}

    assert found() == set(ids.values())
    assert found(commune_code=COMMUNE) == {ids["a"], ids["b"], ids["c"]}
    assert found(commune_code=OTHER_COMMUNE) == {ids["d"], ids["e"]}
    assert found(kind="social_assistance") == {ids["c"]}
    assert found(kind="poor_household") == set()
    assert found(status="deceased") == {ids["e"]}
    assert found(status="active", commune_code=OTHER_COMMUNE) == {ids["d"]}
    assert found(citizen_id="075030054321") == {ids["c"]}
    assert found(name="cuong") == {ids["c"]}
    assert found(scheme="BTXH_ELDERLY_80") == {ids["c"]}
    item = next(x for x in api.get("/v1/beneficiaries", citizen_id="075030054321").json()["items"])
    assert {k: item[k] for k in ("id", "kind", "full_name", "citizen_id", "commune_code", "status")} == {
        "id": ids["c"],
        "kind": "social_assistance",
        "full_name": "Lê Văn Cường",
        "citizen_id": "075030054321",
        "commune_code": COMMUNE,
        "status": "active",
    }
    pages, cursor = [], None
    while True:
        page = api.get("/v1/beneficiaries", limit=2, cursor=cursor).json()
        pages.append([x["id"] for x in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    flat = [x for p in pages for x in p]
    assert len(flat) == len(set(flat)) == 5
    assert set(flat) == set(ids.values())
    assert api.get("/v1/beneficiaries", limit=5).json()["next_cursor"] is None
    filtered = api.get("/v1/beneficiaries", commune_code=COMMUNE, limit=2).json()
    rest = api.get("/v1/beneficiaries", commune_code=COMMUNE, limit=2, cursor=filtered["next_cursor"]).json()
    assert {x["id"] for x in filtered["items"] + rest["items"]} == {ids["a"], ids["b"], ids["c"]}
    assert rest["next_cursor"] is None


def test_history_oldest_first_hash_chained_and_as_of(api: Api):
    api.clock.set(2024, 7, 2)
    person = api.register(reason="hồ sơ mới")
    bid = person["id"]
    api.clock.set(2024, 7, 3)
    eid = api.grant(bid, "NCC_MARTYR_RELATIVE", "2024-07", params={"martyrs": 1}, reason="QĐ hưởng")[
        "entitlement_id"
    ]
    api.clock.set(2024, 7, 15)
    assert api.pay(bid, eid, "2024-07", 2_789_000, payment_id="H-1", reference="BĐ-01").status_code == 201
    api.clock.set(2024, 8, 20)
    api.post(f"/v1/beneficiaries/{bid}/death", {"date_of_death": "2024-08-19", "reason": "báo tử của xã"})
    items = api.history(bid)
    assert [e["type"] for e in items] == [
        "BeneficiaryRegistered",
        "EntitlementGranted",
        "PaymentRecorded",
        "DeathRecorded",
    ]
    for event in items:
        assert set(event) >= HISTORY_FIELDS, set(event)
    assert [e["seq"] for e in items] == [1, 2, 3, 4]
    assert [e["recorded_at"][:10] for e in items] == ["2024-07-02", "2024-07-03", "2024-07-15", "2024-08-20"]
    assert items[0]["prev_hash"] in {"", None}
    for earlier, later in itertools.pairwise(items):
        assert later["prev_hash"] == earlier["hash"]
    assert len({e["hash"] for e in items}) == 4
    assert {e["actor"] for e in items} == {"officer"}
    assert [e["reason"] for e in items] == ["hồ sơ mới", "QĐ hưởng", "", "báo tử của xã"]
    assert items[1]["basis"] == basis("2024-07-03")
    assert items[1]["occurred_on"] == "2024-07-03"
    assert items[2]["data"]["amount"] == 2_789_000
    assert items[2]["data"]["payment_id"] == "H-1"
    assert items[2]["data"]["reference"] == "BĐ-01"
    assert items[2]["occurred_on"] == "2024-07-10"
    assert items[3]["occurred_on"] == "2024-08-19"
    # as_of: what was recorded by then, as a timestamp or a date
    assert [e["seq"] for e in api.history(bid, as_of="2024-07-15T08:59:59+00:00")] == [1, 2]
    assert [e["seq"] for e in api.history(bid, as_of="2024-07-15T09:00:00+00:00")] == [1, 2, 3]
    assert [e["seq"] for e in api.history(bid, as_of="2024-07-31")] == [1, 2, 3]
    assert api.history(bid, as_of="2024-01-01T00:00:00+00:00") == []
    assert api.history(bid, as_of="2024-12-31") == items
    # the beneficiary is also found by citizen ID
    assert api.history(person["citizen_id"]) == items


def test_roster_csv_and_xlsx_downloads(api_until_june: Api):
    api = api_until_june
    bid, eid = martyr_relative(api, "2024-07", full_name="Trần Thị Bình", citizen_id="075150012345")
    pay_month(api, bid, eid, "2024-07", 2_055_000)
    api.clock.set(2024, 8, 5)
    amended = api.post("/v1/rates/NCC_STANDARD",
                       {"effective_from": "2024-07", "amount": 2_789_000, "legal_basis": "NĐ 77/2024/NĐ-CP"},
                       as_="admin")  # fmt: skip
    assert amended.status_code == 201
    as_csv = api.get("/v1/rosters/2024-08", format="csv")
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert (
        as_csv.headers["content-disposition"]
        == 'attachment; filename="danh-sach-chi-tra-2024-08-toan-tinh.csv"'
    )
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    headings = next(r for r in rows if r and r[0] == "STT")
    for heading in ("STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Số tiền", "Ký nhận"):
        assert heading in headings
    col = {h: i for i, h in enumerate(headings)}
    (data,) = [r for r in rows if r and r[0] == "1"]
    assert data[col["Họ và tên"]] == "Trần Thị Bình"
    assert data[col["Số CCCD"]] == '="075150012345"'  # text a spreadsheet keeps, the leading zero too
    assert unwrap(data[col["Số CCCD"]]) == "075150012345"
    assert data[col["Xã/phường"]].startswith(COMMUNE)
    assert data[col["Số tiền"]] == "3523000"  # a plain integer
    assert "734.000" in data[col["Chế độ"]]
    assert data[col["Ký nhận"]] == ""
    scoped = api.get("/v1/rosters/2024-08", format="csv", commune_code=COMMUNE, channel="cash")
    assert scoped.headers["content-disposition"] == (
        f'attachment; filename="danh-sach-chi-tra-2024-08-{COMMUNE}-cash.csv"'
    )
    as_xlsx = api.get("/v1/rosters/2024-08", format="xlsx", commune_code=COMMUNE)
    assert as_xlsx.status_code == 200
    assert as_xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert as_xlsx.headers["content-disposition"] == (
        f'attachment; filename="danh-sach-chi-tra-2024-08-{COMMUNE}.xlsx"'
    )
    book = open_roster(as_xlsx.content)
    headings, rows, total = commune_table(book[book.sheetnames[1]])
    assert {"STT", "Họ và tên", "Số CCCD", "Khoản chi", "Thực nhận (đ)", "Ký nhận"} <= set(headings)
    line = next(r for r in rows if r[0] == 1)
    assert line[headings.index("Họ và tên")] == "Trần Thị Bình"
    assert line[headings.index("Thực nhận (đ)")] == 3_523_000
    assert total[headings.index("Thực nhận (đ)")] == 3_523_000
    assert as_json_totals(api) == 3_523_000


def outstanding_totals(lines: int, amount: int) -> dict[str, Any]:
    """The month view's split by status of a roster whose every line is outstanding."""
    by_status = {s: {"lines": 0, "amount": 0} for s in ("paid", "partly_paid", "issued", "outstanding")}
    by_status["outstanding"] = {"lines": lines, "amount": amount}
    return {"by_status": by_status, "by_item_status": {"paid": 0, "issued": 0, "outstanding": amount}}


def as_json_totals(api: Api) -> int:
    return api.roster("2024-08")["totals"]["amount"]


def test_issued_roster_is_frozen_and_issued_once(api: Api):
    api.clock.set(2024, 8, 2)
    bid, eid = martyr_relative(api, "2024-08")
    other, _ = martyr_relative(api, "2024-08")
    current = api.roster("2024-08", commune_code=COMMUNE, outstanding_only="true")
    assert current["issued"] is None
    issued = api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE, "reason": "chốt danh sách"})
    assert issued.status_code == 201, issued.text
    answer = issued.json()
    assert answer["roster_id"]
    assert answer["content_hash"] == current["content_hash"]
    assert len(answer["content_hash"]) == 64
    assert (answer["lines"], answer["amount"]) == (2, 2 * 2_789_000)
    assert (answer["status"], answer["prepared_by"], answer["checkpoint"]) == ("prepared", "officer", None)
    # a second person approves it: issued, the bytes prepared
    api.clock.set(2024, 8, 3)
    approved = api.post(f"/v1/rosters/{answer['roster_id']}/approve", {}, as_="approver")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "issued"
    assert approved.json()["content_hash"] == answer["content_hash"]
    # later writes do not change the issued roster...
    api.clock.set(2024, 8, 10)
    assert api.pay(bid, eid, "2024-08", 2_789_000).status_code == 201
    frozen = api.roster("2024-08", commune_code=COMMUNE, outstanding_only="true")
    assert frozen["issued"]["roster_id"] == answer["roster_id"]
    assert frozen["content_hash"] == answer["content_hash"]
    assert frozen["lines"] == current["lines"]
    assert frozen["totals"] == current["totals"]
    as_csv = api.get(
        "/v1/rosters/2024-08", format="csv", commune_code=COMMUNE, outstanding_only="true"
    ).content.decode("utf-8-sig")
    assert as_csv.count("2.789.000") >= 2
    # ...while a roster of another scope is built from the ledger as it is now
    assert [x["beneficiary_id"] for x in api.roster("2024-08", outstanding_only="true")["lines"]] == [other]
    before = api.recorded()
    again = api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE})
    assert "already issued" in assert_problem(again, 409)["detail"]
    assert_problem(
        api.post("/v1/rosters/2024-08/issue", {}), 403
    )  # a province roster: not for a commune officer
    assert api.recorded() == before
    province = api.post("/v1/rosters/2024-08/issue", None, as_="officer_all")
    assert province.status_code == 201, province.text
    assert province.json()["lines"] == 1
    bank = api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE, "channel": "bank"})
    assert bank.status_code == 201, bank.text
    assert bank.json()["lines"] == 0


def test_summary_report_per_scheme_non_cash_share_grants_and_cards(api: Api):
    api.clock.set(2024, 7, 2)
    cash, cash_eid = martyr_relative(api, "2024-07")
    account = {"type": "bank", "bank_code": "VCB", "account_number": "0071000999999"}
    bank = api.register(commune_code=OTHER_COMMUNE, as_="officer_other", payment_channel=account)["id"]
    bank_eid = api.grant(bank, "NCC_MARTYR_RELATIVE", "2024-07", params={"martyrs": 1}, as_="officer_other")[
        "entitlement_id"
    ]
    elderly = api.register(kind="social_assistance", citizen_id="075030099999", date_of_birth="1930-01-01",
                           sex="male")["id"]  # fmt: skip
    elderly_eid = api.grant(elderly, "BTXH_ELDERLY_80", "2024-07", basis=basis("2024-07-02"))[
        "entitlement_id"
    ]
    card = api.post(
        f"/v1/beneficiaries/{cash}/cards", {"card_number": card_number("TS"), "valid_from": "2024-07-01"}
    )
    assert card.status_code == 201
    bt_card = api.post(f"/v1/beneficiaries/{elderly}/cards",
                       {"card_number": card_number("BT"), "valid_from": "2024-08-01"})  # fmt: skip
    assert bt_card.status_code == 201
    for month in ("2024-07", "2024-08"):
        pay_month(api, cash, cash_eid, month, 2_789_000)
        pay_month(api, bank, bank_eid, month, 2_789_000, as_="officer_other")
        pay_month(api, elderly, elderly_eid, month, 500_000)
    api.clock.set(2024, 9, 2)
    report = api.get("/v1/reports/summary", from_="2024-07", to="2024-08")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["schemes"]["NCC_MARTYR_RELATIVE"] == {
        "people_paid": 2,
        "payments": 4,
        "amount": 4 * 2_789_000,
        "grants": 2,
        "terminations": 0,
    }
    assert body["schemes"]["BTXH_ELDERLY_80"] == {
        "people_paid": 1,
        "payments": 2,
        "amount": 1_000_000,
        "grants": 1,
        "terminations": 0,
    }
    assert (body["people_paid"], body["payments"], body["amount"]) == (3, 6, 4 * 2_789_000 + 1_000_000)
    assert body["non_cash_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert (body["grants"], body["terminations"]) == (3, 0)
    assert body["cards"] == {
        "BT": {"in_use": 1, "new": 1, "ended": 0},
        "TS": {"in_use": 1, "new": 1, "ended": 0},
    }
    july = api.get("/v1/reports/summary", from_="2024-07-01", to="2024-07-31").json()
    assert (july["payments"], july["amount"]) == (3, 2 * 2_789_000 + 500_000)
    assert july["cards"]["BT"] == {"in_use": 0, "new": 0, "ended": 0}
    commune = api.get("/v1/reports/summary", from_="2024-07", to="2024-08", commune_code=OTHER_COMMUNE).json()
    assert commune["commune_code"] == OTHER_COMMUNE
    assert (commune["people_paid"], commune["payments"], commune["amount"]) == (1, 2, 2 * 2_789_000)
    assert commune["non_cash_share"] == 1.0
    assert commune["grants"] == 1


def test_integrity_reports_a_clean_ledger_and_names_an_altered_event(api: Api, database_url: str):
    api.clock.set(2024, 7, 20)
    bid, eid = martyr_relative(api, "2024-07")
    pay_month(api, bid, eid, "2024-07", 2_789_000)
    clean = api.get("/v1/integrity")
    assert clean.status_code == 200, clean.text
    report = clean.json()
    assert report["ok"] is True
    assert report["first_broken"] is None
    assert report["streams_checked"] >= 1
    assert report["events_checked"] >= 3
    _alter_payment_amount(database_url, bid, 3)
    broken = api.get("/v1/integrity").json()
    assert broken["ok"] is False
    assert (broken["first_broken"]["stream_id"], broken["first_broken"]["version"]) == (bid, 3)
    assert broken["events_checked"] == report["events_checked"]


def _alter_payment_amount(database_url: str, stream_id: str, version: int) -> None:
    """Add 1,000,000 to the amount of one stored event, directly in the database."""
    loc = parse_database_url(database_url)
    if loc.backend == "sqlite":
        conn = sqlite3.connect(loc.sqlite_path)
        ids = (stream_id, stream_id.replace("-", ""))
        (state,) = conn.execute(
            "SELECT state FROM stored_events WHERE originator_version = ? AND originator_id IN (?, ?)",
            (version, *ids),
        ).fetchone()
        data = json.loads(state)
        data["amount"] += 1_000_000
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE originator_version = ? AND originator_id IN (?, ?)",
            (json.dumps(data).encode(), version, *ids),
        )
        conn.commit()
        conn.close()
        return
    with psycopg.connect(
        host=loc.host, port=loc.port, user=loc.user, password=loc.password or None, dbname=loc.dbname,
        autocommit=True,
    ) as conn:  # fmt: skip
        table = sql.Identifier(loc.schema, "benefits_ledger_events")
        where = sql.SQL("WHERE originator_id = %s AND originator_version = %s")
        row = conn.execute(
            sql.SQL("SELECT state FROM {} ").format(table) + where, (stream_id, version)
        ).fetchone()
        assert row is not None
        data = json.loads(bytes(row[0]))
        data["amount"] += 1_000_000
        conn.execute(
            sql.SQL("UPDATE {} SET state = %s ").format(table) + where,
            (json.dumps(data).encode(), stream_id, version),
        )


def test_rates_read_by_anyone_amended_by_an_administrator(api: Api):
    api.clock.set(2025, 6, 20)
    listed = api.get("/v1/rates", as_="officer")
    assert listed.status_code == 200
    schedules = {(s["schedule"], s["province_code"]): s for s in listed.json()["items"]}
    btxh = [(e["effective_from"], e["amount"]) for e in schedules[("BTXH_STANDARD", None)]["entries"]]
    assert btxh == [("2021-07", 360_000), ("2024-07", 500_000)]
    assert all(e["legal_basis"] for e in schedules[("BTXH_STANDARD", None)]["entries"])
    before = api.recorded()
    for who in ("officer", "officer_all", "inspector"):
        refused = api.post(
            "/v1/rates/BTXH_FUNERAL",
            {
                "effective_from": "2025-01",
                "amount": 12_000_000,
                "legal_basis": "NQ HĐND",
                "province_code": "75",
            },
            as_=who,
        )
        assert_problem(refused, 403)
    assert api.recorded() == before
    provincial = api.post(
        "/v1/rates/BTXH_FUNERAL",
        {
            "effective_from": "2025-01",
            "amount": 12_000_000,
            "legal_basis": "NQ 15/2024/NQ-HĐND",
            "province_code": "75",
        },
        as_="admin",
    )
    assert provincial.status_code == 201, provincial.text
    assert (provincial.json()["province_code"], provincial.json()["recorded"]) == ("75", True)
    schedules = {(s["schedule"], s["province_code"]): s for s in api.get("/v1/rates").json()["items"]}
    assert [(e["effective_from"], e["amount"]) for e in schedules[("BTXH_FUNERAL", "75")]["entries"]] == [
        ("2025-01", 12_000_000)
    ]
    # the provincial funeral amount applies to a death in the province from 2025-01
    person = api.register(kind="social_assistance", citizen_id="075030077777", date_of_birth="1930-01-01",
                          sex="male")["id"]  # fmt: skip
    assert api.post(f"/v1/beneficiaries/{person}/death", {"date_of_death": "2025-06-01"}).status_code == 200
    assert api.grant(person, "BTXH_FUNERAL", "2025-06", basis=basis("2025-06-10"))["amount"] == 12_000_000


def test_every_write_records_the_reason_and_the_caller(api: Api):
    api.clock.set(2024, 8, 20)
    person = api.register(reason="đăng ký theo hồ sơ 12", as_="officer_all")
    bid = person["id"]
    eid = api.grant(bid, "NCC_MARTYR_RELATIVE", "2024-08", params={"martyrs": 1}, reason="QĐ 15")[
        "entitlement_id"
    ]
    writes = [
        ("/v1/payments", {"payment_id": "R-1", "beneficiary_id": bid, "entitlement_id": eid,
                          "period": "2024-08", "amount": 1_000_000, "paid_on": "2024-08-20",
                          "reason": "chi một phần"}),
        (f"/v1/beneficiaries/{bid}/corrections",
         {"changes": {"full_name": "Trần Thị Bính"}, "reason": "sai dấu"}),
        (f"/v1/beneficiaries/{bid}/cards", {"card_number": card_number(), "valid_from": "2024-08-01",
                                            "reason": "cấp mới"}),
        (f"/v1/beneficiaries/{bid}/payment-channel",
         {"payment_channel": {"type": "bank", "bank_code": "VCB", "account_number": "0071000555555"},
          "reason": "đề nghị"}),
    ]  # fmt: skip
    for path, body in writes:
        answer = api.post(path, body)
        assert 200 <= answer.status_code < 300, (path, answer.text)
    history = api.history(bid)
    assert [(e["actor"], e["reason"]) for e in history] == [
        ("officer_all", "đăng ký theo hồ sơ 12"),
        ("officer", "QĐ 15"),
        ("officer", "chi một phần"),
        ("officer", "sai dấu"),
        ("officer", "cấp mới"),
        ("officer", "đề nghị"),
    ]
    assert api.view(bid)["full_name"] == "Trần Thị Bính"
    assert_problem(api.get(f"/v1/beneficiaries/{bid}", as_=None), 401)
    # need-to-know: an officer of another commune no longer reads the person (test_api_auth.py's matrix)
    assert_problem(api.get(f"/v1/beneficiaries/{bid}", as_="officer_other"), 403)


def test_province_month_view_shows_a_communes_issued_roster_as_frozen_after_a_later_grant(api: Api):
    """A commune's roster of August issued with 5 lines; then a grant. The province roster of August (the
    month view) shows the commune's 5 lines exactly as issued, marked issued, and the new line apart as
    outstanding: the two never disagree, and the totals add up. ``outstanding_only=true`` is the old
    view: every unpaid line, built now."""
    api.clock.set(2024, 8, 2)
    for _ in range(5):
        martyr_relative(api, "2024-08")
    issued = api.post("/v1/rosters/2024-08/issue", {"commune_code": COMMUNE})
    assert issued.status_code == 201, issued.text
    assert (issued.json()["lines"], issued.json()["amount"]) == (5, 5 * 2_789_000)
    approved = api.post(f"/v1/rosters/{issued.json()['roster_id']}/approve", {}, as_="approver")
    assert approved.status_code == 200, approved.text  # the second signature issues it
    api.clock.set(2024, 8, 6)
    later, _ = martyr_relative(api, "2024-08")  # granted after the issue
    commune = api.roster("2024-08", commune_code=COMMUNE, outstanding_only="true")  # the issued roster
    assert commune["view"] == "outstanding"
    assert commune["issued"]["content_hash"] == issued.json()["content_hash"]
    assert (commune["totals"]["lines"], commune["totals"]["amount"]) == (5, 5 * 2_789_000)
    province = api.roster("2024-08", as_="officer_all")
    assert province["view"] == "month"
    assert province["as_of"] == "2024-08-06T09:00:00+00:00"  # the moment the statuses were read
    frozen = [line for line in province["lines"] if line["status"] == "issued"]
    assert [line["issued_roster_id"] for line in frozen] == [issued.json()["roster_id"]] * 5
    strip = ("status", "issued_roster_id")
    assert [{k: v for k, v in line.items() if k not in strip} | {"items": [
        {k: v for k, v in i.items() if k != "status"} for i in line["items"]]} for line in frozen
    ] == commune["lines"]  # fmt: skip
    (new,) = [line for line in province["lines"] if line["status"] != "issued"]
    assert (new["beneficiary_id"], new["status"], new["issued_roster_id"]) == (later, "outstanding", None)
    assert [(i["type"], i["amount"], i["status"]) for i in new["items"]] == [
        ("regular", 2_789_000, "outstanding")
    ]
    totals = province["totals"]
    assert (totals["lines"], totals["amount"]) == (6, 6 * 2_789_000)
    assert totals["by_status"]["issued"] == {"lines": 5, "amount": 5 * 2_789_000}
    assert totals["by_status"]["outstanding"] == {"lines": 1, "amount": 2_789_000}
    assert totals["by_item_status"] == {"paid": 0, "issued": 5 * 2_789_000, "outstanding": 2_789_000}
    assert totals["by_commune"] == {COMMUNE: 6 * 2_789_000}
    # the commune's own month view agrees with the province's
    commune_month = api.roster("2024-08", commune_code=COMMUNE)
    assert commune_month["lines"] == province["lines"]
    assert commune_month["issued"]["roster_id"] == issued.json()["roster_id"]
    # the outstanding view, province-wide: every unpaid line as of now (not frozen), the 6 of them
    old = api.roster("2024-08", as_="officer_all", outstanding_only="true")
    assert (old["view"], old["as_of"], old["totals"]["lines"]) == ("outstanding", None, 6)
    assert "by_status" not in old["totals"]
    assert all("status" not in line for line in old["lines"])
