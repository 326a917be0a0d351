"""Rule 2 — start and stop (DESIGN §3.2).

Social assistance starts in the month the decision is signed (the 80+ group: the month the person turns 80);
NCC from the month named in the decision. Payment stops from the month after death or loss of eligibility.
A person in several social-assistance groups gets only the highest coefficient (NĐ 20/2021 Điều 6 khoản 2).
"""

from __future__ import annotations

import pytest

from domain.catalogue import reference_rate_book
from domain.errors import Conflict
from tests.support import (
    BASIS,
    ctx,
    due,
    entitle,
    grant,
    log_position,
    months,
    pay,
    pay_month,
    person,
    register_person,
)

# --------------------------------------------------------------------------------- pure


def test_80_plus_group_decision_signed_in_march():
    """BTXH 80+ (coefficient 1.0) decided 2024-03-15: 360,000 for March–June, 500,000 from July."""
    agg = person()
    eid = entitle(agg, "BTXH_ELDERLY_80", "2024-01").entitlement_id
    assert due(agg, eid, "2024-02") == 0  # starts in the month the decision is signed
    assert [due(agg, eid, f"2024-0{m}") for m in (3, 4, 5, 6)] == [360_000] * 4
    assert due(agg, eid, "2024-07") == 500_000


def test_only_the_highest_social_assistance_coefficient_is_paid():
    rates = reference_rate_book()
    agg = person()
    low = entitle(agg, "BTXH_ELDERLY_80", "2024-03", rates=rates)
    high = entitle(agg, "BTXH_DISABLED_SEVERE", "2024-03", rates=rates)
    assert due(agg, high.entitlement_id, "2024-07") == 750_000
    assert due(agg, low.entitlement_id, "2024-07") == 0
    version = agg.version
    with pytest.raises(Conflict, match="higher coefficient"):
        pay_month(agg, low.entitlement_id, "2024-07", 500_000, rates, payment_id="L1")
    assert agg.version == version


def test_ncc_starts_in_the_month_named_in_the_decision():
    """A war invalid at 61% decided on 2024-03-15 with effect from 2024-01: nothing for December 2023,
    4,016,000 (2,055,000 edition) from January 2024 although the decision is signed in March."""
    agg = person("meritorious", "075050012345", "1950-01-01")
    ent = entitle(agg, "NCC_WAR_INVALID", "2024-01", params={"injury_rate": 61})
    assert str(ent.start) == "2024-01"
    assert [due(agg, ent.entitlement_id, m) for m in ("2023-12", "2024-01", "2024-03")] == [
        0,
        4_016_000,
        4_016_000,
    ]


def _dies_on_20_september(agg, eid) -> None:
    agg.record_death(ctx("2024-09-25"), date_of_death="2024-09-20")


def _eligible_until_october(agg, eid) -> None:
    agg.terminate_entitlement(ctx("2024-10-15"), eid, last_month="2024-10", basis=BASIS)


@pytest.mark.parametrize(
    ("stop", "dues"),
    [
        (_dies_on_20_september, {"2024-08": 500_000, "2024-09": 500_000, "2024-10": 0, "2024-11": 0}),
        (_eligible_until_october, {"2024-10": 500_000, "2024-11": 0}),
    ],
    ids=["death-2024-09-20", "last-month-2024-10"],
)
def test_payment_stops_from_the_month_after_death_or_loss_of_eligibility(stop, dues):
    """An 80+ recipient (500,000 from July 2024) who dies on 2024-09-20 is still due September, not
    October; one whose eligibility ends with October 2024 (last month paid) is due October, not November."""
    agg = person()
    eid = entitle(agg, "BTXH_ELDERLY_80", "2024-03").entitlement_id
    stop(agg, eid)
    assert {month: due(agg, eid, month) for month in dues} == dues


def test_the_highest_coefficient_is_chosen_month_by_month():
    """Aged 80+ (1.0) and severely disabled (1.5) until the disability allowance ends with August 2024:
    750,000 on the 1.5 group for August, then 500,000 on the 1.0 group from September."""
    agg = person()
    low = entitle(agg, "BTXH_ELDERLY_80", "2024-03").entitlement_id
    high = entitle(agg, "BTXH_DISABLED_SEVERE", "2024-03").entitlement_id
    agg.terminate_entitlement(ctx("2024-08-20"), high, last_month="2024-08", basis=BASIS)
    assert [(due(agg, low, m), due(agg, high, m)) for m in ("2024-08", "2024-09")] == [
        (0, 750_000),
        (500_000, 0),
    ]


# --------------------------------------------------------------------------------- on the ledger


def test_80_plus_group_starts_in_the_month_the_decision_is_signed(app):
    """80+ without pension (coefficient 1.0), decided on 2024-03-15: nothing for February, 360,000 a month
    from March to June, 500,000 from July when the standard rises."""
    bid = register_person(app, birth_year=1940)
    ent = grant(app, bid, "BTXH_ELDERLY_80", effective_from="2024-01", signed="2024-03-15")
    assert ent["start_month"] == "2024-03"
    assert ent["monthly_amount"] == 360_000  # the ledger's clock is in March 2024
    agg, rates = app.beneficiary(bid), app.rates()
    eid = ent["entitlement_id"]
    assert agg.due_amount(eid, "2024-02", rates) == 0
    assert [agg.due_amount(eid, m, rates) for m in months(3, 6)] == [360_000] * 4
    assert [agg.due_amount(eid, m, rates) for m in months(7, 12)] == [500_000] * 6


def test_80_plus_group_starts_in_the_month_the_person_turns_80(app):
    """A decision signed before the 80th birthday pays from the month the person turns 80."""
    bid = register_person(app, birth_year=1944, date_of_birth="1944-05-09")
    ent = grant(app, bid, "BTXH_ELDERLY_80", effective_from="2024-03", signed="2024-03-15")
    assert ent["start_month"] == "2024-05"
    agg, rates = app.beneficiary(bid), app.rates()
    assert agg.due_amount(ent["entitlement_id"], "2024-04", rates) == 0
    assert agg.due_amount(ent["entitlement_id"], "2024-05", rates) == 360_000


def test_person_in_two_groups_gets_only_the_highest_coefficient(app, clock):
    """Aged 80+ (1.0) and severely disabled (1.5): only the 1.5 group is due (750,000 in July 2024); a
    payment on the 1.0 group is refused and records nothing."""
    bid = register_person(app, birth_year=1940)
    low = grant(app, bid, "BTXH_ELDERLY_80")["entitlement_id"]
    high = grant(app, bid, "BTXH_DISABLED_SEVERE")["entitlement_id"]
    agg, rates = app.beneficiary(bid), app.rates()
    assert agg.due_amount(high, "2024-07", rates) == 750_000
    assert agg.due_amount(low, "2024-07", rates) == 0
    assert agg.due_amount(high, "2024-03", rates) == 540_000
    assert agg.due_amount(low, "2024-03", rates) == 0

    clock.set("2024-07-10")
    version, head = agg.version, log_position(app)
    with pytest.raises(Conflict, match="higher coefficient"):
        pay(app, bid, low, "2024-07", 500_000)
    assert app.beneficiary(bid).version == version
    assert log_position(app) == head
    assert pay(app, bid, high, "2024-07", 750_000)[0] is True
