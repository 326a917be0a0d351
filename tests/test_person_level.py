"""Money right at the person level (issue 11), through the HTTP API on both backends.

* One person is one citizen ID: identifiers are NFKC-normalised and must then be ASCII, so the same
  number typed with full-width digits is the same person, and other scripts' digits are refused naming
  the field — over the API and the import.
* The convalescence lag (điều dưỡng) is data: a new NCC standard applies to it from the next 1 January
  (NĐ 55/2023 Điều 2 k3, NĐ 77/2024 Điều 3 k3): 0.9 × 2,055,000 = 1,850,000 for a home stay in 2024-09,
  0.9 × 2,789,000 = 2,510,000 from 2025-01.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from api_support import COMMUNE, Api, Clock, citizen_id

from domain.catalogue import get_scheme

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(database_url: str, clock: Clock) -> Iterator[Api]:
    app = Api(database_url, clock).standard_users()
    yield app
    app.close()


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
    bid = api.register()["id"]
    amounts = {}
    for month in ("2023-09", "2024-01", "2024-09", "2025-01"):
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
