"""Rule 4 — overpayment and recovery, thu hồi (DESIGN §3.4).

When death or loss of eligibility is recorded late, every payment for a month after the stop is an
overpayment; the ledger computes it, lists it, and records recoveries (repaid in cash, or deducted from
amounts still owed to the estate) until the balance is zero.
"""

from __future__ import annotations

import pytest

from domain.catalogue import RateEntry
from domain.errors import Conflict
from domain.values import Month
from projections.reports import exceptions
from projections.rosters import build_roster
from tests.support import (
    BASIS,
    COMMUNE,
    basis,
    ctx,
    due,
    elderly_from_july,
    entitle,
    log_position,
    pay_in_month,
    pay_month,
    recipient_who_died_in_september,
)

# --------------------------------------------------------------------------------- pure


def test_late_recorded_death_overpayment_and_funeral():
    """Dies 2024-09-20, Oct and Nov paid, recorded 2024-11-25: stop from October, 1,000,000 overpaid."""
    agg, eid, rates = elderly_from_july()
    for month in ("2024-07", "2024-08", "2024-09", "2024-10", "2024-11"):
        pay_month(agg, eid, month, 500_000, rates)
    agg.record_death(ctx("2024-11-25"), date_of_death="2024-09-20")
    assert [i.period for i in agg.overpayments(rates)] == ["2024-10", "2024-11"]
    assert agg.overpayment_outstanding(rates) == 1_000_000
    funeral = entitle(agg, "BTXH_FUNERAL", "2024-11", rates=rates, day="2024-11-26")
    assert due(agg, funeral.entitlement_id, "once", rates) == 10_000_000
    provincial = rates.with_entries([RateEntry("BTXH_FUNERAL", Month(2024, 1), 12_000_000, "NQ HĐND", "75")])
    assert due(agg, funeral.entitlement_id, "once", provincial) == 12_000_000
    lower = rates.with_entries([RateEntry("BTXH_FUNERAL", Month(2024, 1), 8_000_000, "NQ HĐND", "75")])
    assert due(agg, funeral.entitlement_id, "once", lower) == 10_000_000


def test_loss_of_eligibility_recorded_late_makes_the_months_after_it_an_overpayment():
    """Eligibility ended with August 2024 but recorded on 2024-10-20, after September and October were
    paid at 500,000: 1,000,000 overpaid; 1,000,000 repaid in cash brings it to zero."""
    agg, eid, rates = elderly_from_july()
    for month in ("2024-07", "2024-08", "2024-09", "2024-10"):
        pay_month(agg, eid, month, 500_000, rates)
    agg.terminate_entitlement(ctx("2024-10-20"), eid, last_month="2024-08", basis=BASIS)
    assert [(i.period, i.excess) for i in agg.overpayments(rates)] == [
        ("2024-09", 500_000),
        ("2024-10", 500_000),
    ]
    assert agg.overpayment_outstanding(rates) == 1_000_000
    agg.record_recovery(ctx("2024-10-25"), amount=1_000_000, method="cash", rates=rates)
    assert agg.overpayment_outstanding(rates) == 0


# --------------------------------------------------------------------------------- on the ledger


def test_death_recorded_late_makes_the_months_after_it_an_overpayment_recovered_until_zero(app, clock):
    """Death on 2024-09-20 recorded on 2024-11-25: payment stops from October, so October and November
    (1,000,000) are an overpayment; 400,000 deducted and 600,000 repaid in cash bring it to zero, after
    which nothing more can be recovered."""
    bid, _ = recipient_who_died_in_september(app, clock)
    result = app.record_death("officer", bid, date_of_death="2024-09-20")
    assert result["stop_from"] == "2024-10"
    assert result["overpayment"]["months"] == ["2024-10", "2024-11"]
    assert result["overpayment"]["amount"] == 1_000_000
    assert app.beneficiary_view(bid)["balances"]["overpayment_outstanding"] == 1_000_000

    after = app.record_recovery("officer", bid, amount=400_000, method="deduction", reference="funeral")
    assert after["overpayment_outstanding"] == 600_000
    after = app.record_recovery("officer", bid, amount=600_000, method="cash", reference="BL 0012")
    assert after["overpayment_outstanding"] == 0
    assert app.beneficiary_view(bid)["balances"]["overpayment_outstanding"] == 0

    head = log_position(app)
    with pytest.raises(Conflict, match="no overpayment"):
        app.record_recovery("officer", bid, amount=1_000, method="cash")
    assert log_position(app) == head


def test_late_death_overpayment_in_exceptions_and_deducted_once(ledger, engine, clock):
    """Death on 2024-09-20 recorded 2024-11-25 after Oct and Nov were paid: 1,000,000 overpaid, listed,
    deducted from the funeral allowance on the roster until a recovery by deduction is recorded."""
    ledger.seed_reference_rates()
    person = ledger.register_beneficiary(
        "officer", kind="social_assistance", full_name="Lê Văn Cường", commune_code=COMMUNE,
        citizen_id="075040012345", date_of_birth="1940-05-01", sex="male",
    )  # fmt: skip
    eid = ledger.grant_entitlement(
        "officer", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=basis("2024-07-02")
    )["entitlement_id"]
    for month in range(7, 12):
        pay_in_month(ledger, clock, person.id, eid, f"2024-{month:02d}", 500_000)
    clock.set("2024-11-25")
    result = ledger.record_death("officer", person.id, date_of_death="2024-09-20", basis=basis("2024-11-25"))
    assert result["overpayment"]["amount"] == 1_000_000
    listed = exceptions(engine, "overpayment_outstanding")
    assert [(x["beneficiary_id"], x["outstanding"]) for x in listed] == [(str(person.id), 1_000_000)]
    after_death = exceptions(engine, "paid_after_death")
    assert sorted(x["period"] for x in after_death) == ["2024-10", "2024-11"]
    funeral = ledger.grant_entitlement(
        "officer", person.id, scheme="BTXH_FUNERAL", effective_from="2024-11", basis=basis("2024-11-26")
    )
    assert funeral["amount"] == 10_000_000
    clock.set("2024-12-01")
    roster = build_roster(engine, "2024-12")
    (line,) = roster.lines
    assert [(i.type, i.amount) for i in line.items] == [("one_off", 10_000_000), ("recovery", -1_000_000)]
    assert line.net_amount == 9_000_000
    ledger.record_recovery(
        "payment-officer", person.id, amount=1_000_000, method="deduction", reference="BB-12"
    )
    roster = build_roster(engine, "2024-12")
    # withheld from the funeral allowance itself: the family still receives 9,000,000
    assert [(i.type, i.amount) for i in roster.lines[0].items] == [("one_off", 9_000_000)]
    assert roster.lines[0].net_amount == 9_000_000
    assert exceptions(engine, "overpayment_outstanding") == []
