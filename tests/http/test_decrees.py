"""Decrees with their tables (issue 11, point 1), through the HTTP API on both backends.

The real case of December 2026: an administrator records the next decree's NCC standard, 3,012,000 from
2026-07. Before, every roster of a war invalid answered 409 ("no edition of the NCC tables is loaded");
now the amendment records, in the same transaction, an edition of the amount tables derived from the
latest official one (each row × 3,012,000 ÷ 2,789,000, rounded to 1,000, marked derived), so every
roster answers 200 and the war invalid's arrears for 2026-07 … 2026-11 are the table differences month
by month. Loading the official edition later — one row differing — moves that row's arrears. With
``derive_tables: false`` and no official edition the amendment is refused (409) and nothing is recorded.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from api_support import COMMUNE, Api, Clock, citizen_id

from domain.catalogue import reference_table_editions
from domain.values import Month, round_to_thousand

NEW_STANDARD = 3_012_000
OLD_STANDARD = 2_789_000
DECREE = "NĐ xx/2026/NĐ-CP (mức chuẩn 3.012.000 từ 01/7/2026)"
MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
INJURY_RATE = 61


def official_2024_amount(code: str, rate: int | None = None) -> int:
    edition = reference_table_editions()[-1]
    assert edition.standard == OLD_STANDARD
    for row_code, _band, lo, hi, amount in edition.rows:
        if row_code == code and (rate is None or (lo is not None and hi is not None and lo <= rate <= hi)):
            return amount
    raise AssertionError(code)


def derived(amount: int) -> int:
    return round_to_thousand(Decimal(amount) * NEW_STANDARD / OLD_STANDARD)


@pytest.fixture
def clock() -> Clock:
    moment = Clock()
    moment.set(2026, 1, 5)
    return moment


@pytest.fixture
def province(api: Api, clock: Clock) -> dict[str, str]:
    """A war invalid (61%), a martyr's relative and an elderly BTXH recipient, paid January–November
    2026 at the 2024 standards; the clock then stands in December 2026."""
    invalid = api.register(citizen_id=citizen_id(1950, female=True))["id"]
    invalid_eid = api.grant(invalid, "NCC_WAR_INVALID", "2026-01", params={"injury_rate": INJURY_RATE})[
        "entitlement_id"
    ]
    relative = api.register(citizen_id=citizen_id(1950, female=True))["id"]
    relative_eid = api.grant(relative, "NCC_MARTYR_RELATIVE", "2026-01", params={"martyrs": 1})[
        "entitlement_id"
    ]
    elderly = api.register(kind="social_assistance", citizen_id=citizen_id(1940), date_of_birth="1940-01-01",
                           sex="male")["id"]  # fmt: skip
    elderly_eid = api.grant(elderly, "BTXH_ELDERLY_80", "2026-01")["entitlement_id"]
    old_invalid = official_2024_amount("NCC_TB", INJURY_RATE)
    for number in range(1, 12):
        clock.set(2026, number, 10)
        period = f"2026-{number:02d}"
        for bid, eid, amount in (
            (invalid, invalid_eid, old_invalid),
            (relative, relative_eid, OLD_STANDARD),
            (elderly, elderly_eid, 500_000),
        ):
            answer = api.pay(bid, eid, period, amount)
            assert answer.status_code == 201, answer.text
    clock.set(2026, 12, 1)
    return {"invalid": invalid, "relative": relative, "elderly": elderly}


def arrears_of(roster: dict, bid: str) -> dict[str, int]:
    line = next(line for line in roster["lines"] if line["beneficiary_id"] == bid)
    return {i["period"]: i["amount"] for i in line["items"] if i["type"] == "arrears"}


def regular_of(roster: dict, bid: str) -> int:
    line = next(line for line in roster["lines"] if line["beneficiary_id"] == bid)
    return sum(i["amount"] for i in line["items"] if i["type"] == "regular")


def amend(api: Api, **extra: object) -> object:
    body = {"effective_from": "2026-07", "amount": NEW_STANDARD, "legal_basis": DECREE, **extra}
    return api.post("/v1/rates/NCC_STANDARD", body, as_="admin")


def test_a_new_ncc_standard_comes_with_derived_tables_and_every_roster_answers(api: Api, province: dict):
    answer = amend(api)
    assert answer.status_code == 201, answer.text
    assert answer.json()["ncc_tables"] == {
        "standard": NEW_STANDARD,
        "derived": True,
        "legal_basis": answer.json()["ncc_tables"]["legal_basis"],
    }
    assert answer.json()["ncc_tables"]["legal_basis"].startswith(DECREE)
    roster = api.roster("2026-12", commune_code=COMMUNE)
    old_invalid = official_2024_amount("NCC_TB", INJURY_RATE)
    new_invalid = derived(old_invalid)
    assert arrears_of(roster, province["invalid"]) == dict.fromkeys(MONTHS, new_invalid - old_invalid)
    assert regular_of(roster, province["invalid"]) == new_invalid
    assert arrears_of(roster, province["relative"]) == dict.fromkeys(MONTHS, NEW_STANDARD - OLD_STANDARD)
    assert arrears_of(roster, province["elderly"]) == {}
    for path in (
        "/v1/rosters/2026-12",
        f"/v1/beneficiaries/{province['invalid']}",
        "/v1/reports/summary?from=2026-01&to=2026-12",
        "/v1/exceptions?type=overpayment_outstanding",
    ):
        assert api.get(path).status_code == 200, path
    for fmt in ("csv", "xlsx"):
        assert api.get("/v1/rosters/2026-12", format=fmt).status_code == 200
    tables = api.get("/v1/rates").json()["ncc_tables"]
    assert [(t["standard"], t["derived"]) for t in tables][-1] == (NEW_STANDARD, True)


def _official_file(change: dict[tuple[str, int | None], int]) -> bytes:
    """The official 2026 edition as a file: the derived amounts, with ``change`` applied."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scheme_code", "category_vi", "band", "rate_from_pct", "rate_to_pct",
                     f"amount_vnd_at_{NEW_STANDARD}"])  # fmt: skip
    for code, band, lo, hi, amount in reference_table_editions()[-1].rows:
        value = change.get((code, lo), derived(amount))
        writer.writerow([code, "", band, "" if lo is None else lo, "" if hi is None else hi, value])
    return out.getvalue().encode("utf-8")


def load_tables(
    api: Api, content: bytes, basis: str = "NĐ xx/2026/NĐ-CP Phụ lục", as_: str = "admin"
) -> object:
    """POST /v1/rates/ncc-tables with an edition file at the new standard."""
    return api.client.post(
        "/v1/rates/ncc-tables",
        files={"file": ("bang-muc-2026.csv", content, "text/csv")},
        data={"standard": str(NEW_STANDARD), "legal_basis": basis},
        headers=api.headers(as_),
    )


def test_the_official_edition_loaded_later_moves_that_rows_arrears(api: Api, province: dict):
    assert amend(api).status_code == 201
    old_invalid = official_2024_amount("NCC_TB", INJURY_RATE)
    official_invalid = derived(old_invalid) + 5_000
    content = _official_file({("NCC_TB", INJURY_RATE): official_invalid})
    answer = load_tables(api, content, "NĐ xx/2026/NĐ-CP Phụ lục I–IV")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["replaced"]["derived"] is True
    assert [(c["scheme_code"], c["rate_from_pct"], c["now"] - c["was"]) for c in body["changed_rows"]] == [
        ("NCC_TB", INJURY_RATE, 5_000)
    ]
    roster = api.roster("2026-12", commune_code=COMMUNE)
    assert arrears_of(roster, province["invalid"]) == dict.fromkeys(MONTHS, official_invalid - old_invalid)
    assert arrears_of(roster, province["relative"]) == dict.fromkeys(MONTHS, NEW_STANDARD - OLD_STANDARD)
    tables = api.get("/v1/rates").json()["ncc_tables"]
    assert [(t["standard"], t["derived"]) for t in tables][-1] == (NEW_STANDARD, False)


def test_an_official_edition_loaded_first_is_the_one_the_amendment_uses(api: Api, province: dict):
    content = _official_file({})
    loaded = load_tables(api, content)
    assert loaded.status_code == 201, loaded.text
    answer = amend(api, derive_tables=False)
    assert answer.status_code == 201, answer.text
    assert answer.json()["ncc_tables"]["derived"] is False


def test_without_an_edition_and_without_deriving_the_amendment_is_refused(api: Api, province: dict):
    before = api.recorded()
    answer = amend(api, derive_tables=False)
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["field"] == "derive_tables"
    assert f"{NEW_STANDARD:,}" in answer.json()["detail"]
    assert api.recorded() == before
    assert api.roster("2026-12", commune_code=COMMUNE)["totals"]["lines"] == 3


@pytest.mark.parametrize(
    ("change", "field_part"),
    [
        ("missing_row", "scheme_code"),
        ("not_a_number", "amount_vnd_at_3012000"),
        ("unknown_row", "scheme_code"),
    ],
)
def test_an_edition_file_is_checked_whole_and_records_nothing_when_bad(
    api: Api, change: str, field_part: str
):
    rows = _official_file({}).decode().splitlines()
    if change == "missing_row":
        rows.pop(5)
    elif change == "not_a_number":
        rows[3] = ",".join([*rows[3].split(",")[:-1], "1.2e6"])
    else:
        rows.append("NCC_NOT_A_TABLE,,,,,1000000")
    before = api.recorded()
    answer = load_tables(api, "\n".join(rows).encode(), "NĐ")
    assert answer.status_code == 422, answer.text
    assert any(field_part in e["field"] for e in answer.json()["errors"])
    assert api.recorded() == before


def test_only_an_administrator_loads_tables(api: Api):
    answer = load_tables(api, _official_file({}), "NĐ", as_="officer_all")
    assert answer.status_code == 403
    assert Month.parse("2026-07")


# ------------------------------------------------------------------------------------ four eyes


def test_an_amendment_far_from_the_value_in_force_waits_for_a_second_administrator(api: Api, province: dict):
    """The 2,147,483,648 đ standard of the report: pending (202), nothing changes until another
    administrator approves; the proposer cannot approve it."""
    api.add_user("admin2", "admin")
    before = api.roster("2026-12")["totals"]["amount"]
    body = {"effective_from": "2026-12", "amount": 2_147_483_648, "legal_basis": "gõ nhầm"}
    answer = api.post("/v1/rates/BTXH_STANDARD", body, as_="admin")
    assert answer.status_code == 202, answer.text
    pending = answer.json()
    assert (pending["status"], pending["proposed_by"], pending["amount"]) == (
        "pending",
        "admin",
        2_147_483_648,
    )
    assert api.roster("2026-12")["totals"]["amount"] == before
    assert [p["amendment_id"] for p in api.get("/v1/rates").json()["pending"]] == [pending["amendment_id"]]
    approve = f"/v1/rates/BTXH_STANDARD/amendments/{pending['amendment_id']}/approve"
    mark = api.recorded()
    own = api.post(approve, {}, as_="admin")
    assert own.status_code == 403
    assert api.recorded() == mark
    assert api.post(approve, {}, as_="officer_all").status_code == 403
    assert api.post("/v1/rates/NCC_STANDARD/amendments/nope/approve", {}, as_="admin2").status_code == 404
    approved = api.post(approve, {}, as_="admin2")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["approved_by"], approved.json()["proposed_by"]) == ("admin2", "admin")
    assert api.get("/v1/rates").json()["pending"] == []
    line = next(li for li in api.roster("2026-12")["lines"] if li["beneficiary_id"] == province["elderly"])
    assert line["net_amount"] == round_to_thousand(Decimal(2_147_483_648))  # coefficient 1.0, in force
    assert api.post(approve, {}, as_="admin2").status_code == 404  # approved once


def test_within_half_to_double_an_amendment_is_in_force_at_once(api: Api, province: dict):
    answer = api.post(
        "/v1/rates/BTXH_STANDARD",
        {"effective_from": "2026-12", "amount": 999_000, "legal_basis": "NĐ"},
        as_="admin",
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "recorded"


@pytest.mark.parametrize(("amount", "status"), [(900_000, 201), (1_100_000, 202)])
def test_a_first_provincial_override_is_compared_with_the_national_value(api: Api, amount: int, status: int):
    body = {
        "effective_from": "2026-12",
        "amount": amount,
        "legal_basis": "NQ HĐND tỉnh",
        "province_code": "75",
    }
    assert api.post("/v1/rates/BTXH_STANDARD", body, as_="admin").status_code == status


def test_an_approved_ncc_standard_comes_with_its_derived_tables(api: Api, province: dict):
    api.add_user("admin2", "admin")
    answer = amend(api, amount=6_000_000)
    assert answer.status_code == 202, answer.text
    approved = api.post(
        f"/v1/rates/NCC_STANDARD/amendments/{answer.json()['amendment_id']}/approve", {}, as_="admin2"
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["ncc_tables"]["derived"] is True
    assert api.get("/v1/rosters/2026-12").status_code == 200


# ------------------------------------------------------------------------------------ never fails whole


def test_an_uncomputable_line_is_named_and_the_roster_still_answers(api: Api, province: dict):
    """A store written before this release may hold an NCC standard with no edition of the tables: the
    war invalid's months at it cannot be computed. The roster, the exceptions and the person's page answer
    200; the uncomputable items are left out and named (problems, exceptions?type=uncomputable)."""
    ledger = api.ledger
    schedule = ledger.rate_schedule("NCC_STANDARD")
    assert schedule is not None
    ctx = ledger.context("admin-old-release")
    schedule.amend(ctx, effective_from="2026-07", amount=3_100_000, legal_basis="before tables were events")
    ledger.save(schedule)  # as an older release did: a standard without its tables
    roster = api.roster("2026-12")
    invalid = [p for p in roster["problems"] if p["beneficiary_id"] == province["invalid"]]
    assert len(invalid) == 1
    assert "no edition of the NCC tables" in invalid[0]["reason"]
    assert arrears_of(roster, province["relative"]) == dict.fromkeys(MONTHS, 3_100_000 - OLD_STANDARD)
    assert arrears_of(roster, province["elderly"]) == {}
    listed = api.get("/v1/exceptions", type="uncomputable").json()["items"]
    assert [(i["beneficiary_id"], i["scheme"]) for i in listed] == [(province["invalid"], "NCC_WAR_INVALID")]
    view = api.get(f"/v1/beneficiaries/{province['invalid']}")
    assert view.status_code == 200, view.text
    assert view.json()["problems"][0]["entitlement_id"] == invalid[0]["entitlement_id"]
    assert api.get("/v1/reports/summary", from_="2026-01", to="2026-12").status_code == 200
