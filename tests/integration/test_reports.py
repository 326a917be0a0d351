"""Reports, exception lists and the audit search, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import InvalidInput
from domain.values import Month
from ledger.application import BenefitsLedger, open_ledger
from projections.audit import audit_trail
from projections.engine import ProjectionEngine, open_projections
from projections.reports import (
    exception_month,
    exceptions,
    exceptions_document,
    report_period,
    summary_report,
)

COMMUNE = "26041"
OTHER = "25195"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: str) -> None:
        self.now = datetime.fromisoformat(day).replace(hour=8, tzinfo=UTC)


def decision(day: str) -> dict[str, str]:
    return {"decision_no": "7/QĐ-UBND", "decision_date": day, "issuer": "UBND xã"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(database_url: str, clock: Clock) -> BenefitsLedger:
    app = open_ledger(database_url, clock=clock)
    app.seed_reference_rates()
    return app


@pytest.fixture
def engine(ledger: BenefitsLedger, database_url: str) -> ProjectionEngine:
    eng = open_projections(ledger, database_url)
    yield eng
    eng.store.close()


def elderly(
    ledger: BenefitsLedger, serial: int, commune: str = COMMUNE, channel: dict | None = None
) -> tuple:
    person = ledger.register_beneficiary(
        "officer-a", kind="social_assistance", full_name=f"Nguyễn Văn Án {serial}", commune_code=commune,
        citizen_id=f"0750400{serial:05d}", date_of_birth="1940-03-03", sex="male", payment_channel=channel,
    )  # fmt: skip
    granted = ledger.grant_entitlement(
        "officer-a",
        person.id,
        scheme="BTXH_ELDERLY_80",
        effective_from="2024-01",
        basis=decision("2024-01-02"),
    )
    return person.id, granted["entitlement_id"]


def test_summary_report_in_the_shape_of_the_provincial_report(ledger, engine, clock):
    """People paid, payments, amount per scheme; non-cash share; grants, terminations; cards per group."""
    bank = {"type": "bank", "bank_code": "VCB", "account_number": "00112233445"}
    people = [elderly(ledger, 1), elderly(ledger, 2), elderly(ledger, 3, OTHER, bank), elderly(ledger, 4)]
    for month in (1, 2, 3):
        clock.at(f"2024-0{month}-10")
        for n, (bid, eid) in enumerate(people[:3]):
            ledger.record_payment(
                "po", payment_id=f"R{n}-{month}", beneficiary_id=bid, entitlement_id=eid,
                period=f"2024-0{month}", amount=360_000, paid_on=f"2024-0{month}-10",
            )  # fmt: skip
    clock.at("2024-03-20")
    ledger.terminate_entitlement("officer-a", people[3][0], people[3][1], last_month="2024-02",
                                 basis=decision("2024-03-20"))  # fmt: skip
    ledger.issue_card("officer-a", people[0][0], card_number="BT2750000000001", valid_from="2024-01-01",
                      valid_to="2024-12-31")  # fmt: skip
    ledger.issue_card("officer-a", people[1][0], card_number="BT2750000000002", valid_from="2024-02-01")
    ledger.revoke_card(
        "officer-a", people[1][0], "BT2750000000002", reason="chuyển đi", effective_on="2024-03-15"
    )
    report = summary_report(engine, "2024-01", "2024-03")
    scheme = report["schemes"]["BTXH_ELDERLY_80"]
    assert scheme == {"people_paid": 3, "payments": 9, "amount": 3_240_000, "grants": 4, "terminations": 1}
    assert report["non_cash_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert report["cards"]["BT"] == {"in_use": 1, "new": 2, "ended": 1}
    one_commune = summary_report(engine, "2024-01", "2024-03", commune_code=OTHER)
    assert one_commune["schemes"]["BTXH_ELDERLY_80"]["people_paid"] == 1
    assert one_commune["non_cash_share"] == 1.0
    with pytest.raises(InvalidInput) as err:
        summary_report(engine, "2024-03", "2024-01")
    assert err.value.field == "to"


def test_exceptions_suspension_candidates_and_unpaid_roster_lines(ledger, engine, clock):
    (a, ea), (b, eb) = elderly(ledger, 11), elderly(ledger, 12, OTHER)
    clock.at("2024-04-28")
    for month in ("2024-01", "2024-02", "2024-03"):
        ledger.record_not_collected("po", beneficiary_id=a, entitlement_id=ea, period=month)
    ledger.record_payment("po", payment_id="B1", beneficiary_id=b, entitlement_id=eb, period="2024-01",
                          amount=360_000, paid_on="2024-01-10")  # fmt: skip
    candidates = exceptions(engine, "suspension_candidate")
    assert [(c["beneficiary_id"], c["uncollected_months"]) for c in candidates] == [(str(a), 3)]
    for month in ("2024-02", "2024-03"):  # one person, one item a month; the uncollected are carried over
        unpaid = exceptions(engine, "unpaid_roster_lines", month=Month.parse(month))
        assert [(p["beneficiary_id"], p["commune_code"], p["unpaid_items"], p["amount"]) for p in unpaid] == [
            (str(b), OTHER, 1, 360_000)
        ]
        assert unpaid[0]["items"][0]["period"] == month
    assert exceptions(engine, "unpaid_roster_lines", month=Month(2024, 1)) == []  # paid
    assert exceptions(engine, "unpaid_roster_lines")[0]["items"][0]["period"] == "2024-03"  # the default
    with pytest.raises(InvalidInput):
        exceptions(engine, "nonsense")


def two_allowances(ledger: BenefitsLedger, serial: int) -> str:
    person, _ = elderly(ledger, serial)
    ledger.grant_entitlement(
        "officer-a", person, scheme="BTXH_CARE_FOSTER_ELDERLY", effective_from="2024-01",
        basis=decision("2024-01-02"),
    )  # fmt: skip
    return str(person)


def test_unpaid_roster_lines_are_per_person_and_month(ledger, engine, clock):
    """Two allowances of one person unpaid: one person, two items — whether the read models hold the
    month (February: the dues lines reach it) or not (May: the person's lines stop in February)."""
    tam = two_allowances(ledger, 31)
    paid, paid_eid = elderly(ledger, 32)
    for month, day in (("2024-02", "2024-03-05"), ("2024-05", "2024-06-03")):
        clock.at(day)
        ledger.record_payment(
            "po", payment_id=f"P-{month}", beneficiary_id=paid, entitlement_id=paid_eid, period=month,
            amount=360_000, paid_on=day,
        )  # fmt: skip
        unpaid = exceptions(engine, "unpaid_roster_lines", month=Month.parse(month))
        assert [p["beneficiary_id"] for p in unpaid] == [tam], month
        person = unpaid[0]
        assert person["unpaid_items"] == 2
        assert {i["scheme"] for i in person["items"]} == {"BTXH_ELDERLY_80", "BTXH_CARE_FOSTER_ELDERLY"}
        assert {i["period"] for i in person["items"]} == {month}
        assert person["amount"] == sum(i["amount"] for i in person["items"]) > 0
        document = exceptions_document("unpaid_roster_lines", unpaid, Month.parse(month))
        assert (document["month"], document["people"], document["unpaid_items"]) == (month, 1, 2)
    now = datetime(2024, 6, 30, 17, 30, tzinfo=UTC)  # 1 July in Vietnam: June has ended
    assert exception_month("unpaid_roster_lines", None, now) == Month(2024, 6)
    assert exception_month("unpaid_roster_lines", "2024-07", now) == Month(2024, 7)
    for value in ("2024-13", "2024-08", "07/2024"):
        with pytest.raises(InvalidInput) as err:
            exception_month("unpaid_roster_lines", value, now)
        assert err.value.field == "month"
    with pytest.raises(InvalidInput):
        exception_month("paid_after_death", "2024-05", now)


def test_the_default_report_period_is_the_year_to_the_last_complete_month(ledger, engine, clock):
    """A clock in the middle of a month: the report ends at the previous month's end, so the unfinished
    month does not pull the non-cash share to 0."""
    bank = {"type": "bank", "bank_code": "VCB", "account_number": "00112233445"}
    bid, eid = elderly(ledger, 41, channel=bank)
    clock.at("2024-03-10")
    ledger.record_payment("po", payment_id="F1", beneficiary_id=bid, entitlement_id=eid, period="2024-02",
                          amount=360_000, paid_on="2024-02-10")  # fmt: skip
    clock.at("2024-03-15")
    start, finish = report_period(None, None, clock())
    assert (start, finish) == ("2024-01", "2024-02")
    report = summary_report(engine, start, finish)
    assert (report["from"], report["to"]) == ("2024-01-01", "2024-02-29")
    assert report["non_cash_share"] == 1.0
    assert summary_report(engine, "2024-03", "2024-03")["non_cash_share"] == 0.0  # what it was
    assert report_period("2023-11", None, clock()) == ("2023-11", "2024-02")
    assert report_period(None, "2023-05", clock()) == ("2023-01", "2023-05")
    assert report_period("2024-03", "2024-03", clock()) == ("2024-03", "2024-03")  # as given
    assert report_period(None, None, datetime(2024, 1, 10, tzinfo=UTC)) == ("2023-01", "2023-12")
    assert report_period(None, None, datetime(2024, 2, 29, 17, 0, tzinfo=UTC)) == ("2024-01", "2024-02")
    with pytest.raises(InvalidInput) as err:
        report_period(None, "2024-13", clock())
    assert err.value.field == "to"


def test_audit_search_by_actor_type_commune_date_and_beneficiary(ledger, engine, clock):
    (a, ea) = elderly(ledger, 21)
    clock.at("2024-02-10")
    ledger.record_payment("cashier-x", payment_id="A1", beneficiary_id=a, entitlement_id=ea, period="2024-01",
                          amount=360_000, paid_on="2024-02-10")  # fmt: skip
    by_actor = audit_trail(engine, actor="cashier-x")["items"]
    assert [i["type"] for i in by_actor] == ["PaymentRecorded"]
    assert by_actor[0]["claims"] == []  # a payment id is the write side's key now, no claim stream
    by_type = audit_trail(engine, type="EntitlementGranted", commune_code=COMMUNE)["items"]
    assert len(by_type) == 1
    assert by_type[0]["basis"]["decision_no"] == "7/QĐ-UBND"
    by_date = audit_trail(engine, from_="2024-02-10", to="2024-02-10")["items"]
    assert {i["actor"] for i in by_date} == {"cashier-x"}
    trail = audit_trail(engine, beneficiary_id=str(a), limit=2)
    assert len(trail["items"]) == 2
    assert trail["next_cursor"] is not None
    rest = audit_trail(engine, beneficiary_id=str(a), cursor=trail["next_cursor"])
    assert [i["seq"] for i in trail["items"] + rest["items"]] == [3, 2, 1]  # newest first
    with pytest.raises(InvalidInput):
        audit_trail(engine, type="Colour")
