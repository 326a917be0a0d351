"""Money right at the person level (issue 11), through the HTTP API on both backends.

* One person is one citizen ID: identifiers are NFKC-normalised and must then be ASCII, so the same
  number typed with full-width digits is the same person, and other scripts' digits are refused naming
  the field — over the API and the import.
* The convalescence lag (điều dưỡng) is data: a new NCC standard applies to it from the next 1 January
  (NĐ 55/2023 Điều 2 k3, NĐ 77/2024 Điều 3 k3): 0.9 × 2,055,000 = 1,850,000 for a home stay in 2024-09,
  0.9 × 2,789,000 = 2,510,000 from 2025-01.
"""

from __future__ import annotations

import pytest
from api_support import COMMUNE, OTHER_COMMUNE, Api, Clock, citizen_id

from domain.catalogue import get_scheme

# ------------------------------------------------------------------------------------ one spelling


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def person(cid: str) -> dict[str, str]:
    return {
        "kind": "social_assistance",
        "full_name": "Lê Thị Một",
        "commune_code": COMMUNE,
        "citizen_id": cid,
    }


def test_a_citizen_id_in_full_width_digits_is_the_same_person(api: Api):
    cid = citizen_id(1940)
    first = api.post("/v1/beneficiaries", person(cid.translate(FULL_WIDTH)))
    assert first.status_code == 201, first.text
    assert first.json()["citizen_id"] == cid  # stored in its one ASCII spelling
    before = api.recorded()
    again = api.post("/v1/beneficiaries", person(cid))
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "citizen_id"
    assert api.recorded() == before
    found = api.get("/v1/beneficiaries", citizen_id=cid.translate(FULL_WIDTH)).json()["items"]
    assert [i["id"] for i in found] == [first.json()["id"]]


@pytest.mark.parametrize("script", [ARABIC_INDIC, DEVANAGARI], ids=["arabic-indic", "devanagari"])
def test_other_scripts_digits_are_refused_naming_the_field(api: Api, script: dict[int, str]):
    before = api.recorded()
    answer = api.post("/v1/beneficiaries", person(citizen_id(1940).translate(script)))
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert error["field"] == "citizen_id"
    assert "ASCII" in error["message"]
    assert api.recorded() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"payment_channel": {"type": "bank", "bank_code": "VCB", "account_number": "١٢٣٤٥٦٧٨٩"}},
         "payment_channel.account_number"),
        ({"kind": "poor_household", "household_code": "HN-٠٠١", "poverty_status": "poor"}, "household_code"),
    ],
)  # fmt: skip
def test_account_numbers_and_household_codes_are_ascii_too(api: Api, body: dict, field: str):
    answer = api.post("/v1/beneficiaries", {**person(citizen_id(1941)), **body})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field


def test_a_payment_id_in_another_script_is_refused(api: Api):
    bid = api.register(kind="social_assistance", citizen_id=citizen_id(1940), date_of_birth="1940-01-01",
                       sex="male")["id"]  # fmt: skip
    eid = api.grant(bid, "BTXH_ELDERLY_80", "2024-01")["entitlement_id"]
    answer = api.pay(bid, eid, "2024-01", 500_000, payment_id="BD-٢٠٢٤-01")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "payment_id"
    full_width = api.pay(bid, eid, "2024-01", 360_000, payment_id="ＢＤ-2024-01-0001")
    assert full_width.status_code == 201, full_width.text
    assert api.pay(bid, eid, "2024-01", 360_000, payment_id="BD-2024-01-0001").status_code == 200  # the same


def test_the_import_refuses_a_row_in_another_script(api: Api):
    cid = citizen_id(1940)
    rows = f"so_cccd,ho_ten,ma_xa,loai_doi_tuong\n{cid.translate(DEVANAGARI)},Lê Văn Hai,{COMMUNE},btxh\n"
    before = api.recorded()
    answer = api.client.post(
        "/v1/imports/beneficiaries",
        files={"file": ("ds.csv", rows.encode(), "text/csv")},
        headers=api.headers("officer_all"),
    )
    assert answer.status_code in {200, 422}, answer.text
    errors = answer.json().get("errors") or answer.json().get("report", {}).get("errors")
    assert errors
    assert "ASCII" in str(errors)
    assert api.recorded() == before


# ------------------------------------------------------------------------------------ convalescence


def test_convalescence_takes_a_new_standard_from_the_next_january(api: Api, clock: Clock):
    assert get_scheme("NCC_CONVALESCENCE_HOME").standard_lag == "next_january"  # data, not code
    clock.set(2025, 3, 5)
    amounts = {}
    for month in ("2023-09", "2024-01", "2024-09", "2025-01"):
        bid = api.register(citizen_id=citizen_id(1950, female=True))["id"]  # a stay a year, each person
        granted = api.grant(bid, "NCC_CONVALESCENCE_HOME", month)
        amounts[month] = granted["amount"]
    assert amounts == {
        "2023-09": 1_462_000,  # 0.9 × 1,624,000: the 2,055,000 of 2023-07 applies from 2024-01
        "2024-01": 1_850_000,  # 0.9 × 2,055,000
        "2024-09": 1_850_000,  # the 2,789,000 of 2024-07 applies only from 2025-01
        "2025-01": 2_510_000,  # 0.9 × 2,789,000
    }
    monthly = api.grant(bid, "NCC_MARTYR_RELATIVE", "2024-09", params={"martyrs": 1})
    assert monthly["monthly_amount"] == 2_789_000  # other schemes take the standard at once


# ------------------------------------------------------------------------------------ never twice


def test_a_second_running_entitlement_of_a_scheme_is_refused_naming_the_first(api: Api, clock: Clock):
    clock.set(2024, 3, 5)
    bid = api.register()["id"]
    first = api.grant(bid, "NCC_WAR_INVALID", "2024-01", params={"injury_rate": 61})["entitlement_id"]
    before = api.recorded()
    body = {"scheme": "NCC_WAR_INVALID", "effective_from": "2024-03", "params": {"injury_rate": 71},
            "basis": {"decision_no": "2/QĐ", "decision_date": "2024-03-01", "issuer": "Sở"}}  # fmt: skip
    again = api.post(f"/v1/beneficiaries/{bid}/entitlements", body)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "scheme"
    assert first in again.json()["detail"]
    assert "adjust" in again.json()["detail"]
    assert api.recorded() == before
    ended = api.post(f"/v1/beneficiaries/{bid}/entitlements/{first}/terminate",
                     {"last_month": "2024-02", "basis": body["basis"]})  # fmt: skip
    assert ended.status_code == 200, ended.text
    assert api.post(f"/v1/beneficiaries/{bid}/entitlements", body).status_code == 201  # after the first stops
    roster = api.roster("2024-03", commune_code=COMMUNE)
    line = next(li for li in roster["lines"] if li["beneficiary_id"] == bid)
    regular = [i for i in line["items"] if i["scheme"] == "NCC_WAR_INVALID" and i["type"] == "regular"]
    assert len(regular) == 1  # one running entitlement pays March, the first's unpaid months are arrears


def test_a_lifetime_one_off_is_granted_once(api: Api):
    bid = api.register()["id"]
    api.grant(bid, "NCC_1L_LS_BAOTU", "2024-01")
    for month in ("2024-01", "2024-02"):
        basis = {"decision_no": "3/QĐ", "decision_date": f"{month}-02", "issuer": "Sở"}
        answer = api.post(f"/v1/beneficiaries/{bid}/entitlements",
                          {"scheme": "NCC_1L_LS_BAOTU", "effective_from": month, "basis": basis})  # fmt: skip
        assert answer.status_code == 409
        assert "once per person" in answer.json()["detail"]


def test_the_funeral_allowance_is_granted_once(api: Api, clock: Clock):
    clock.set(2024, 6, 5)
    bid = api.register(kind="social_assistance", citizen_id=citizen_id(1935), date_of_birth="1935-01-01",
                       sex="male")["id"]  # fmt: skip
    basis = {"decision_no": "9/QĐ", "decision_date": "2024-05-20", "issuer": "UBND xã"}
    assert (
        api.post(
            f"/v1/beneficiaries/{bid}/death", {"date_of_death": "2024-05-14", "basis": basis}
        ).status_code
        == 200
    )
    api.grant(bid, "BTXH_FUNERAL", "2024-05")
    second = api.post(f"/v1/beneficiaries/{bid}/entitlements",
                      {"scheme": "BTXH_FUNERAL", "effective_from": "2024-06", "basis": basis})  # fmt: skip
    assert second.status_code == 409


def gift(api: Api, bid: str, month: str, source: str, occasion: str = "tet") -> object:
    basis = {"decision_no": f"Q-{source}-{month}", "decision_date": f"{month}-01", "issuer": "UBND tỉnh"}
    params = {"amount": 300_000, "funding_source": source, "occasion": occasion}
    body = {"scheme": "GIFT", "effective_from": month, "params": params, "basis": basis}
    return api.post(f"/v1/beneficiaries/{bid}/entitlements", body)


def test_gifts_from_two_funding_sources_in_one_month_both_stand(api: Api, clock: Clock):
    clock.set(2025, 1, 10)
    bid = api.register()["id"]
    assert gift(api, bid, "2025-01", "central").status_code == 201
    assert gift(api, bid, "2025-01", "province").status_code == 201  # the provincial Tết gift too
    again = gift(api, bid, "2025-01", "province")
    assert again.status_code == 409  # the same source, occasion and year
    assert "year, occasion and funding_source" in again.json()["detail"]
    assert gift(api, bid, "2025-01", "province", occasion="27-7").status_code == 201
    clock.set(2026, 1, 10)
    assert gift(api, bid, "2026-01", "province").status_code == 201  # next year's
    roster = api.roster("2025-01", commune_code=COMMUNE)
    line = next(li for li in roster["lines"] if li["beneficiary_id"] == bid)
    assert sum(i["amount"] for i in line["items"] if i["scheme"] == "GIFT") == 900_000


def test_tet_support_is_once_per_household_per_year(api: Api, clock: Clock):
    clock.set(2025, 1, 10)
    bid = api.register(kind="poor_household", household_code="HN-75-0001", poverty_status="poor",
                       citizen_id=None, date_of_birth=None, sex=None)["id"]  # fmt: skip
    basis = {"decision_no": "T/QĐ", "decision_date": "2025-01-05", "issuer": "UBND tỉnh"}
    body = {
        "scheme": "HN_TET_SUPPORT",
        "effective_from": "2025-01",
        "params": {"amount": 500_000},
        "basis": basis,
    }
    assert api.post(f"/v1/beneficiaries/{bid}/entitlements", body).status_code == 201
    assert (
        api.post(f"/v1/beneficiaries/{bid}/entitlements", {**body, "effective_from": "2025-02"}).status_code
        == 409
    )


# ------------------------------------------------------------------------------------ eligibility


def test_holiday_meal_money_is_only_for_invalids_and_sick_soldiers_from_81_percent(api: Api, clock: Clock):
    clock.set(2024, 9, 1)
    basis = {"decision_no": "L/QĐ", "decision_date": "2024-08-25", "issuer": "Sở"}
    meal = {"scheme": "NCC_HOLIDAY_MEAL", "effective_from": "2024-09",
            "params": {"amount": 400_000, "occasion": "2-9", "days": 2}, "basis": basis}  # fmt: skip
    light = api.register()["id"]
    api.grant(light, "NCC_WAR_INVALID", "2024-01", params={"injury_rate": 61})
    refused = api.post(f"/v1/beneficiaries/{light}/entitlements", meal)
    assert refused.status_code == 409
    assert "injury_rate ≥ 81" in refused.json()["detail"]
    severe = api.register(citizen_id=citizen_id(1950, female=True))["id"]
    api.grant(severe, "NCC_WAR_INVALID", "2024-01", params={"injury_rate": 81})
    assert api.post(f"/v1/beneficiaries/{severe}/entitlements", meal).status_code == 201


def test_a_card_group_must_fit_the_beneficiary(api: Api):
    relative = api.register()["id"]  # a martyr's relative (meritorious)
    poor = f"HN475{citizen_id()[-10:]}"
    answer = api.post(
        f"/v1/beneficiaries/{relative}/cards", {"card_number": poor, "valid_from": "2024-01-01"}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "card_number"
    ts = f"TS275{citizen_id()[-10:]}"
    assert (
        api.post(
            f"/v1/beneficiaries/{relative}/cards", {"card_number": ts, "valid_from": "2024-01-01"}
        ).status_code
        == 201
    )


def test_a_household_code_is_registered_once(api: Api):
    household = {"kind": "poor_household", "full_name": "Hộ ông Lò Văn Páo", "commune_code": COMMUNE,
                 "household_code": "HN-75-0042", "poverty_status": "poor"}  # fmt: skip
    assert api.post("/v1/beneficiaries", household).status_code == 201
    before = api.recorded()
    again = api.post("/v1/beneficiaries", {**household, "full_name": "Hộ ông Páo"})
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "household_code"
    assert api.recorded() == before


def test_a_grant_payable_only_years_after_its_decision_is_refused(api: Api, clock: Clock):
    """A person of 70 granted the 80+ scheme would silently start in 2036: refused, with the reason."""
    clock.set(2026, 3, 5)
    bid = api.register(kind="social_assistance", citizen_id=citizen_id(1956), date_of_birth="1956-01-01",
                       sex="male")["id"]  # fmt: skip
    before = api.recorded()
    answer = api.post(f"/v1/beneficiaries/{bid}/entitlements", {
        "scheme": "BTXH_ELDERLY_80", "effective_from": "2026-03",
        "basis": {"decision_no": "8/QĐ", "decision_date": "2026-03-01", "issuer": "UBND xã"},
    })  # fmt: skip
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert error["field"] == "effective_from"
    assert "2036-01" in error["message"]
    assert "turns 80" in error["message"]
    assert api.recorded() == before


# ------------------------------------------------------------------------------------ deductions


def test_a_deduction_withholds_from_the_funeral_allowance_the_worked_example(api: Api, clock: Clock):
    """Paid 500,000 a month through May, death on 14 February recorded on 20 May: overpaid 1,500,000;
    funeral 10,000,000; June roster net 8,500,000; after a cash recovery of 500,000: 9,000,000; after a
    deduction of 1,000,000 is recorded: still 9,000,000, and nothing left to recover."""
    clock.set(2025, 1, 5)
    bid = api.register(kind="social_assistance", citizen_id=citizen_id(1940), date_of_birth="1940-01-01",
                       sex="male")["id"]  # fmt: skip
    eid = api.grant(bid, "BTXH_ELDERLY_80", "2025-01")["entitlement_id"]
    for month in range(1, 6):
        clock.set(2025, month, 10)
        assert api.pay(bid, eid, f"2025-{month:02d}", 500_000).status_code == 201
    clock.set(2025, 5, 20)
    death = api.post(f"/v1/beneficiaries/{bid}/death", {"date_of_death": "2025-02-14", "basis": {
        "decision_no": "TB/UBND", "decision_date": "2025-05-20", "issuer": "UBND xã"}})  # fmt: skip
    assert death.status_code == 200, death.text
    assert death.json()["overpayment"]["amount"] == 1_500_000
    funeral = api.grant(bid, "BTXH_FUNERAL", "2025-02")
    assert funeral["amount"] == 10_000_000
    clock.set(2025, 6, 2)

    def june_net() -> int:
        line = next(li for li in api.roster("2025-06")["lines"] if li["beneficiary_id"] == bid)
        return int(line["net_amount"])

    assert june_net() == 8_500_000
    cash = api.post(f"/v1/beneficiaries/{bid}/recoveries", {"amount": 500_000, "method": "cash"})
    assert cash.status_code == 201, cash.text
    assert june_net() == 9_000_000
    deduction = api.post(f"/v1/beneficiaries/{bid}/recoveries", {"amount": 1_000_000, "method": "deduction"})
    assert deduction.status_code == 201, deduction.text
    body = deduction.json()
    assert body["overpayment_outstanding"] == 0
    assert body["withheld_from"] == {"entitlement_id": funeral["entitlement_id"], "scheme": "BTXH_FUNERAL",
                                     "period": None, "still_owed": 9_000_000}  # fmt: skip
    assert june_net() == 9_000_000  # the family is paid what the ledger did not withhold
    view = api.view(bid)
    assert view["balances"]["overpayment_outstanding"] == 0
    line = next(li for li in api.roster("2025-06")["lines"] if li["beneficiary_id"] == bid)
    assert [(i["scheme"], i["type"], i["amount"]) for i in line["items"]] == [
        ("BTXH_FUNERAL", "one_off", 9_000_000)
    ]


def test_a_deduction_with_nothing_payable_is_refused(api: Api, clock: Clock):
    clock.set(2025, 1, 5)
    bid = api.register(kind="social_assistance", citizen_id=citizen_id(1940), date_of_birth="1940-01-01",
                       sex="male")["id"]  # fmt: skip
    eid = api.grant(bid, "BTXH_ELDERLY_80", "2025-01")["entitlement_id"]
    for month in (1, 2, 3):
        clock.set(2025, month, 10)
        assert api.pay(bid, eid, f"2025-{month:02d}", 500_000).status_code == 201
    api.post(f"/v1/beneficiaries/{bid}/death", {"date_of_death": "2025-01-20", "basis": {
        "decision_no": "TB/UBND", "decision_date": "2025-03-20", "issuer": "UBND xã"}})  # fmt: skip
    before = api.recorded()
    refused = api.post(f"/v1/beneficiaries/{bid}/recoveries", {"amount": 500_000, "method": "deduction"})
    assert refused.status_code == 409
    assert "nothing is owed" in refused.json()["detail"]
    assert api.recorded() == before
    assert api.view(bid)["balances"]["overpayment_outstanding"] == 1_000_000


# ------------------------------------------------------------------------------------ relocations


def _line(roster: dict, bid: str) -> dict | None:
    return next((li for li in roster["lines"] if li["beneficiary_id"] == bid), None)


@pytest.fixture
def paid_person(api: Api, clock: Clock) -> tuple[str, str]:
    """A martyr's relative in commune 26041, granted from 2026-01, the clock at 2026-12-02."""
    clock.set(2026, 1, 5)
    bid = api.register()["id"]
    eid = api.grant(bid, "NCC_MARTYR_RELATIVE", "2026-01", params={"martyrs": 1})["entitlement_id"]
    clock.set(2026, 12, 2)
    return bid, eid


def test_a_relocation_moves_the_rosters_from_its_month_only(api: Api, paid_person: tuple[str, str]):
    bid, _ = paid_person
    moved = api.post(
        f"/v1/beneficiaries/{bid}/relocate", {"commune_code": OTHER_COMMUNE, "effective_from": "2026-11"}
    )
    assert moved.status_code == 200, moved.text
    for month, commune in (("2026-09", COMMUNE), ("2026-10", COMMUNE), ("2026-11", OTHER_COMMUNE),
                           ("2026-12", OTHER_COMMUNE)):  # fmt: skip
        line = _line(api.roster(month), bid)
        assert line is not None
        assert line["commune_code"] == commune, month
        assert _line(api.roster(month, commune_code=commune), bid) is not None
        other = OTHER_COMMUNE if commune == COMMUNE else COMMUNE
        assert _line(api.roster(month, commune_code=other), bid) is None


def test_a_relocation_next_month_moves_nobody_until_then(api: Api, paid_person: tuple[str, str]):
    bid, eid = paid_person
    moved = api.post(
        f"/v1/beneficiaries/{bid}/relocate", {"commune_code": OTHER_COMMUNE, "effective_from": "2027-02"}
    )
    assert moved.status_code == 200, moved.text
    assert api.view(bid)["commune_code"] == COMMUNE  # still lives in 26041 this month
    assert [p["commune_code"] for p in api.view(bid)["places"]] == [COMMUNE, OTHER_COMMUNE]
    assert _line(api.roster("2026-12", commune_code=COMMUNE), bid) is not None
    assert _line(api.roster("2027-02", commune_code=OTHER_COMMUNE), bid) is not None
    # the write scope follows the commune in force today: 26041's officer still writes, 25195's not yet
    assert api.pay(bid, eid, "2026-12", 2_789_000, as_="officer_other").status_code == 403
    assert api.pay(bid, eid, "2026-12", 2_789_000, as_="officer").status_code == 201


def test_a_channel_change_counts_from_its_month(api: Api, paid_person: tuple[str, str]):
    bid, eid = paid_person
    bank = {"type": "bank", "bank_code": "VCB", "account_number": "0071000123456"}
    changed = api.post(f"/v1/beneficiaries/{bid}/payment-channel",
                       {"payment_channel": bank, "effective_from": "2027-01"})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert _line(api.roster("2026-12"), bid)["channel"] == "cash"
    assert _line(api.roster("2027-01"), bid)["channel"] == "bank"
    assert _line(api.roster("2026-12", channel="bank"), bid) is None
    paid = api.pay(bid, eid, "2026-12", 2_789_000)
    assert paid.status_code == 201, paid.text
    assert paid.json()["channel"] == "cash"  # December is paid as December was: in cash


# ------------------------------------------------------------------------------------ campaigns


def _tet_campaign(campaign_id: str, source: str = "province", **select: object) -> dict:
    return {
        "campaign_id": campaign_id,
        "scheme": "GIFT",
        "month": "2027-01",
        "params": {"amount": 400_000, "funding_source": source, "occasion": "tet"},
        "basis": {"decision_no": "15/QĐ-UBND", "decision_date": "2026-12-20", "issuer": "UBND tỉnh Đồng Nai"},
        "select": select,
    }


def test_a_campaign_grants_every_selected_living_person_once(api: Api, clock: Clock):
    clock.set(2026, 12, 22)
    people = [api.register(citizen_id=citizen_id(1950, female=True))["id"] for _ in range(4)]
    elderly = api.register(kind="social_assistance", citizen_id=citizen_id(1940), date_of_birth="1940-01-01",
                           sex="male")["id"]  # fmt: skip
    dead = people[3]
    api.post(f"/v1/beneficiaries/{dead}/death", {"date_of_death": "2026-11-02", "basis": {
        "decision_no": "TB", "decision_date": "2026-11-05", "issuer": "UBND xã"}})  # fmt: skip
    answer = api.post("/v1/campaigns", _tet_campaign("TET-2027-TINH", kind="meritorious"), as_="officer_all")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["granted"], body["already_granted"]) == (3, 0)
    assert body["skipped"] == [{"beneficiary_id": dead, "reason": "died in 2026-11"}]
    roster = api.roster("2027-01", commune_code=COMMUNE)
    gifted = {
        li["beneficiary_id"] for li in roster["lines"] if any(i["scheme"] == "GIFT" for i in li["items"])
    }
    assert gifted == set(people[:3])
    assert elderly not in gifted
    before = api.recorded()
    again = api.post("/v1/campaigns", _tet_campaign("TET-2027-TINH", kind="meritorious"), as_="officer_all")
    assert again.status_code == 200
    assert again.json()["granted"] == 3
    assert api.recorded() == before  # the same campaign again records nothing
    assert api.get("/v1/campaigns/TET-2027-TINH").json()["status"] == "completed"
    central = api.post("/v1/campaigns", _tet_campaign("TET-2027-TW", source="central", kind="meritorious"),
                       as_="officer_all")  # fmt: skip
    assert central.json()["granted"] == 3  # the central gift stands beside the province's
    other = api.post(
        "/v1/campaigns", {**_tet_campaign("TET-2027-TINH"), "month": "2027-02"}, as_="officer_all"
    )
    assert other.status_code == 409
    clock.set(2027, 1, 12)
    gifts = [e for e in api.view(people[0])["entitlements"] if e["scheme"] == "GIFT"]
    assert len(gifts) == 2
    for n, ent in enumerate(gifts):
        paid = api.pay(people[0], ent["entitlement_id"], None, 400_000, payment_id=f"TET-{n}")
        assert paid.status_code == 201, paid.text
    report = api.get("/v1/reports/summary", from_="2027-01", to="2027-01").json()
    assert report["by_funding_source"] == {
        "central": {"people": 1, "payments": 1, "amount": 400_000},
        "province": {"people": 1, "payments": 1, "amount": 400_000},
    }


def test_a_campaign_for_one_commune_is_for_its_officers(api: Api, clock: Clock):
    clock.set(2026, 12, 22)
    api.register()
    assert (
        api.post("/v1/campaigns", _tet_campaign("T-1", commune_code=OTHER_COMMUNE), as_="officer").status_code
        == 403
    )
    assert api.post("/v1/campaigns", _tet_campaign("T-2"), as_="officer").status_code == 403
    assert (
        api.post("/v1/campaigns", _tet_campaign("T-3", commune_code=COMMUNE), as_="officer").status_code
        == 201
    )
    assert api.post("/v1/campaigns", _tet_campaign("T-4"), as_="inspector").status_code == 403


def test_a_campaign_of_a_monthly_scheme_is_refused(api: Api):
    body = {**_tet_campaign("T-M"), "scheme": "NCC_MARTYR_RELATIVE", "params": {"martyrs": 1}}
    answer = api.post("/v1/campaigns", body, as_="officer_all")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "scheme"
