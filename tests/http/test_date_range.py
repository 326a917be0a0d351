"""Business dates in range (domain/values.py check_date): from 1900-01-01 to one year after the day a
command is recorded (the ledger's clock, passed through RecordContext), a payment, a birth and a
death not after that day; the refusal is a 422 naming the field, and nothing is recorded. Both
backends, through the API; the clock stands at 2024-01-05.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from api_support import Api, assert_problem, basis, citizen_id

from domain.errors import InvalidInput
from domain.values import check_date

PERSON = {"kind": "meritorious", "full_name": "Lê Văn Tám", "commune_code": "26041", "sex": "male"}


def granted(api: Api) -> tuple[str, str]:
    person = api.register(full_name="Lê Văn Tám", citizen_id=citizen_id(1950), sex="male")
    ent = api.grant(person["id"], "NCC_MARTYR_RELATIVE", "2024-01", params={"martyrs": 1})
    return person["id"], ent["entitlement_id"]


def test_a_payment_date_before_1900_or_after_today_is_refused(api: Api):
    bid, eid = granted(api)
    before = api.recorded()
    for day, says in (("0001-01-01", "on or after 1900-01-01"), ("1899-12-31", "1900-01-01"),
                      ("2024-01-06", "must not be in the future")):  # fmt: skip
        refused = api.pay(bid, eid, "2024-01", 2_055_000, paid_on=day)
        assert says in assert_problem(refused, 422, "paid_on")["detail"], refused.text
    assert api.recorded() == before
    assert api.pay(bid, eid, "2024-01", 2_055_000, paid_on="2024-01-05").status_code == 201


def test_a_date_of_birth_before_1900_is_refused(api: Api):
    before = api.recorded()
    refused = api.post(
        "/v1/beneficiaries", {**PERSON, "citizen_id": "075050012345", "date_of_birth": "1850-03-01"}
    )
    assert "1900-01-01" in assert_problem(refused, 422, "date_of_birth")["detail"]
    future = api.post(
        "/v1/beneficiaries", {**PERSON, "citizen_id": citizen_id(1950), "date_of_birth": "2024-02-01"}
    )
    assert_problem(future, 422, "date_of_birth")
    assert api.recorded() == before
    api.register(citizen_id=citizen_id(1900, female=True), date_of_birth="1900-01-01")


def test_a_decision_date_within_a_year_is_accepted_and_2999_refused(api: Api):
    person = api.register(full_name="Lê Văn Tám", citizen_id=citizen_id(1950), sex="male")
    path = f"/v1/beneficiaries/{person['id']}/entitlements"
    body = {"scheme": "NCC_MARTYR_RELATIVE", "effective_from": "2024-01", "params": {"martyrs": 1}}
    before = api.recorded()
    for day in ("2999-01-03", "2025-01-06", "1899-01-01"):
        refused = api.post(path, {**body, "basis": basis(day)})
        assert day in assert_problem(refused, 422, "basis.decision_date")["detail"], refused.text
    assert api.recorded() == before
    accepted = api.post(path, {**body, "basis": basis("2024-01-03")})
    assert accepted.status_code == 201, accepted.text


def test_the_range_runs_from_1900_to_a_year_after_today():
    today = date(2024, 1, 5)
    assert check_date(date(1900, 1, 1), "x", today) == date(1900, 1, 1)
    assert check_date(date(2025, 1, 5), "x", today) == date(2025, 1, 5)
    assert check_date(date(2028, 2, 28), "x", date(2027, 2, 28)) == date(2028, 2, 28)
    assert check_date(date(2025, 2, 28), "x", date(2024, 2, 29)) == date(2025, 2, 28)
    assert check_date(date(2999, 1, 1), "x") == date(2999, 1, 1)  # no day of recording: only the earliest
    with pytest.raises(InvalidInput):
        check_date(date(1, 1, 1), "x")
    for day, kwargs in ((date(2025, 1, 6), {}), (date(2024, 1, 6), {"not_after_today": True}),
                        (date(1899, 12, 31), {})):  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            check_date(day, "basis.decision_date", today, **kwargs)
        assert refused.value.field == "basis.decision_date"


def test_a_payment_dated_vietnams_today_is_accepted_in_the_utc_evening(api: Api):
    """At 18:30 UTC on 30/11/2026 it is 01:30 on 01/12 in Vietnam: paid on 1 December is not in the
    future (it was refused while the ledger's day was UTC's), 2 December is; the dues are December's."""
    api.clock.now = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
    person = api.register(full_name="Lê Văn Tám", citizen_id=citizen_id(1950), sex="male")
    eid = api.grant(person["id"], "NCC_MARTYR_RELATIVE", "2026-11", params={"martyrs": 1})["entitlement_id"]
    before = api.recorded()
    refused = api.pay(person["id"], eid, "2026-11", 2_789_000, paid_on="2026-12-02")
    assert "must not be in the future (after 2026-12-01)" in assert_problem(refused, 422, "paid_on")["detail"]
    assert api.recorded() == before
    paid = api.pay(person["id"], eid, "2026-11", 2_789_000, paid_on="2026-12-01")
    assert paid.status_code == 201, paid.text
    history = api.history(person["id"])
    assert history[0]["occurred_on"] == "2026-12-01"  # registered on Vietnam's day
    assert history[0]["recorded_at"] == "2026-11-30T18:30:00+00:00"  # stored in UTC
    assert api.history(person["id"], as_of="2026-11-30") == []  # the end of 30/11 in Vietnam


def test_a_period_paid_in_the_last_month_the_ledger_admits_leaves_every_read_working(api: Api):
    """A month up to 2200-12 is admitted; the read models must not write dues lines past it (the month
    after a period paid, and ``DUES_AHEAD`` more): a payment of 2200-12 once made every roster and every
    history answer 422 ``month: year must be between 1945 and 2200, got '2201-01'`` — for everyone."""
    bystander, bystander_ent = granted(api)
    person = api.register(full_name="Trần Thị Bình", citizen_id=citizen_id(1950, female=True))
    body = {"scheme": "NCC_MARTYR_RELATIVE", "effective_from": "2200-11", "basis": basis("2024-01-03"),
            "params": {"martyrs": 1}}  # fmt: skip
    granted_far = api.post(f"/v1/beneficiaries/{person['id']}/entitlements", body, as_="officer")
    assert granted_far.status_code == 201, granted_far.text
    far = granted_far.json()["entitlement_id"]
    paid = api.pay(person["id"], far, "2200-12", 2_055_000, payment_id="P-2200-12")
    assert paid.status_code == 201, paid.text
    for path in (f"/v1/beneficiaries/{person['id']}/history", f"/v1/beneficiaries/{bystander}/history"):
        answer = api.get(path, as_="inspector")
        assert answer.status_code == 200, answer.text
    now = api.get("/v1/rosters/2024-01", as_="inspector")
    assert now.status_code == 200, now.text
    assert [line["beneficiary_id"] for line in now.json()["lines"]] == [bystander]
    assert bystander_ent
    last = api.get("/v1/rosters/2200-12", as_="inspector")
    assert last.status_code == 200, last.text
    (line,) = [x for x in last.json()["lines"] if x["beneficiary_id"] == person["id"]]
    due = 2_789_000  # the latest rate, in force from 2024-07 on
    assert [(i["period"], i["status"], i["type"], i["amount"]) for i in line["items"]] == [
        ("2200-12", "paid", "regular", 2_055_000),
        ("2200-12", "outstanding", "regular", due - 2_055_000),
        ("2200-11", "outstanding", "arrears", due),
    ]
    assert_problem(api.get("/v1/rosters/2201-01", as_="inspector"), 422, "month")
