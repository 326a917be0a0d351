"""Rule 6 — not collected (DESIGN §3.6).

A payment the beneficiary did not collect is carried over to the next roster. Three consecutive
uncollected months make the person a suspension candidate (TT 02/2021).
"""

from __future__ import annotations

import pytest

from projections.rosters import build_roster
from tests.support import (
    ctx,
    elderly_from_july,
    grant,
    martyr_relative,
    paid_since_january,
    pay,
    pay_in_month,
    pay_month,
    register_person,
)

# --------------------------------------------------------------------------------- pure


def test_three_uncollected_months_make_a_suspension_candidate():
    agg, eid, rates = elderly_from_july()
    agg.record_not_collected(ctx("2024-07-30"), entitlement_id=eid, period="2024-07", rates=rates)
    agg.record_not_collected(ctx("2024-08-30"), entitlement_id=eid, period="2024-08", rates=rates)
    assert not agg.is_suspension_candidate
    agg.record_not_collected(ctx("2024-09-30"), entitlement_id=eid, period="2024-09", rates=rates)
    assert agg.is_suspension_candidate
    pay_month(agg, eid, "2024-08", 500_000, rates, payment_id="C", on="2024-10-05")
    assert not agg.is_suspension_candidate  # a carried-over month collected breaks the run


# --------------------------------------------------------------------------------- on the ledger


def _not_collected(app, bid, eid, periods):
    for period in periods:
        app.record_not_collected("payer", beneficiary_id=bid, entitlement_id=eid, period=period)


@pytest.mark.parametrize(
    ("uncollected", "candidate"),
    [
        (["2024-04", "2024-05", "2024-06"], True),
        (["2024-04", "2024-05"], False),
        (["2024-03", "2024-04", "2024-06"], False),
    ],
    ids=["three-in-a-row", "only-two", "three-with-a-gap"],
)
def test_three_uncollected_months_in_a_row_make_a_suspension_candidate(app, clock, uncollected, candidate):
    """Three consecutive months not collected make the person a candidate for suspension (TT 02/2021);
    two, or three with a gap, do not."""
    bid = register_person(app)
    eid = grant(app, bid, "BTXH_ELDERLY_80")["entitlement_id"]
    clock.set("2024-07-01")
    _not_collected(app, bid, eid, uncollected)
    view = app.beneficiary_view(bid)
    assert view["suspension_candidate"] is candidate
    assert view["balances"]["carried_over_due"] == 360_000 * len(uncollected)


def test_paying_a_carried_over_month_breaks_the_run(app, clock):
    """When one of the three uncollected months is collected later, the run is broken."""
    bid = register_person(app)
    eid = grant(app, bid, "BTXH_ELDERLY_80")["entitlement_id"]
    clock.set("2024-07-01")
    _not_collected(app, bid, eid, ["2024-04", "2024-05", "2024-06"])
    assert app.beneficiary_view(bid)["suspension_candidate"] is True
    pay(app, bid, eid, "2024-05", 360_000)
    view = app.beneficiary_view(bid)
    assert view["suspension_candidate"] is False
    assert view["balances"]["carried_over_due"] == 720_000


def test_uncollected_amount_carried_over_exactly_once(ledger, engine, clock):
    """August not collected: September's roster carries it once; once paid it is gone."""
    ledger.seed_reference_rates()
    bid, eid = martyr_relative(ledger)
    for month in range(1, 8):
        pay_in_month(ledger, clock, bid, eid, f"2024-{month:02d}", 2_789_000 if month >= 7 else 2_055_000)
    clock.set("2024-08-28")
    ledger.record_not_collected("payment-officer", beneficiary_id=bid, entitlement_id=eid, period="2024-08")
    september = build_roster(engine, "2024-09")
    assert [(i.type, i.period) for i in september.lines[0].items] == [
        ("regular", "2024-09"),
        ("carried_over", "2024-08"),
    ]
    pay_in_month(ledger, clock, bid, eid, "2024-08", 2_789_000)
    pay_in_month(ledger, clock, bid, eid, "2024-09", 2_789_000)
    october = build_roster(engine, "2024-10")
    assert [(i.type, i.period) for i in october.lines[0].items] == [("regular", "2024-10")]


def test_an_uncollected_month_is_carried_over_at_the_amount_of_its_month(ledger, engine, clock):
    """An 80+ recipient (1.0) did not collect June 2024 (360,000): the July roster pays July at the new
    standard, 500,000, and June carried over at June's 360,000 — 860,000 in all."""
    ledger.seed_reference_rates()
    bid, eid = paid_since_january(ledger, clock, "BTXH_ELDERLY_80", 5, 360_000, birth_year=1940)
    clock.set("2024-06-28")
    ledger.record_not_collected("payment-officer", beneficiary_id=bid, entitlement_id=eid, period="2024-06")
    clock.set("2024-07-01")
    (line,) = build_roster(engine, "2024-07").lines
    assert [(i.type, i.period, i.amount) for i in line.items] == [
        ("regular", "2024-07", 500_000),
        ("carried_over", "2024-06", 360_000),
    ]
    assert line.net_amount == 860_000
