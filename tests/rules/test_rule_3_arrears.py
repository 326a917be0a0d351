"""Rule 3 — arrears, truy lĩnh (DESIGN §3.3).

When a decree raises a standard with effect from an earlier month, or a decision is recorded with an
effective month in the past, the next roster pays the difference for every past month, each month at the
rates of that month, as separate roster items.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.catalogue import RateEntry, reference_rate_book, reference_rate_entries
from domain.errors import Conflict
from domain.values import Month
from projections.rosters import build_roster, roster_as_of
from tests.support import (
    BASIS,
    entitle,
    grant,
    ledger_on,
    log_position,
    martyr_relative,
    months,
    paid_since_january,
    pay,
    pay_in_month,
    pay_month,
    person,
    record_standards_before_july_2024,
    register_person,
)

# --------------------------------------------------------------------------------- pure


def test_retroactive_standard_owes_734000_arrears_for_july():
    """NCC standard amended 2024-08-05 from 2024-07: a July paid at 2,055,000 owes 734,000, computed."""
    before = reference_rate_book([e for e in reference_rate_entries() if e.effective_from <= Month(2024, 6)])
    agg = person("meritorious", "075050012345", "1950-01-01")
    eid = entitle(agg, "NCC_MARTYR_RELATIVE", "2024-07", params={"martyrs": 1}, rates=before).entitlement_id
    pay_month(agg, eid, "2024-07", 2_055_000, before, payment_id="J")
    after = before.with_entries([RateEntry("NCC_STANDARD", Month(2024, 7), 2_789_000, "NĐ 77/2024/NĐ-CP")])
    assert [(i.period, i.outstanding) for i in agg.arrears(Month(2024, 8), after)] == [("2024-07", 734_000)]
    assert agg.arrears(Month(2024, 8), before) == []


def test_a_decision_with_a_past_effective_month_owes_each_month_at_that_months_edition():
    """A war invalid at 61% decided in August 2023 with effect from 2023-05: before the August roster,
    May and June are owed at the 1,624,000 edition (3,174,000 each) and July at the 2,055,000 edition
    (4,016,000) — three separate items."""
    agg = person("meritorious", "075050012345", "1950-01-01")
    entitle(
        agg,
        "NCC_WAR_INVALID",
        "2023-05",
        params={"injury_rate": 61},
        day="2023-08-10",
        basis={**BASIS, "decision_date": "2023-08-05"},
    )
    arrears = agg.arrears(Month(2023, 8), reference_rate_book())
    assert [(i.period, i.due, i.paid, i.outstanding) for i in arrears] == [
        ("2023-05", 3_174_000, 0, 3_174_000),
        ("2023-06", 3_174_000, 0, 3_174_000),
        ("2023-07", 4_016_000, 0, 4_016_000),
    ]


# --------------------------------------------------------------------------------- on the ledger


def test_ncc_standard_raised_retroactively_owes_the_difference_as_arrears(database_url, clock):
    """NĐ 77/2024 recorded on 2024-08-05 with effect from 2024-07: July, already paid at 2,055,000, owes
    734,000 of arrears — exactly one roster item — which can be paid once."""
    clock.set("2024-07-10")
    with ledger_on(database_url, clock, seed_until=Month(2024, 6)) as app:
        bid = register_person(app, kind="meritorious", birth_year=1950)
        eid = grant(app, bid, "NCC_MARTYR_RELATIVE", effective_from="2024-01", params={"martyrs": 1})[
            "entitlement_id"
        ]
        for month in months(1, 7):
            pay(app, bid, eid, month, 2_055_000)
        assert app.beneficiary(bid).arrears(Month(2024, 8), app.rates()) == []

        clock.set("2024-08-05")
        app.amend_rate(
            "admin",
            "NCC_STANDARD",
            effective_from="2024-07",
            amount=2_789_000,
            legal_basis="NĐ 77/2024/NĐ-CP",
        )
        rates = app.rates()
        agg = app.beneficiary(bid)
        arrears = agg.arrears(Month(2024, 8), rates)
        assert [(i.period, i.due, i.paid, i.outstanding) for i in arrears] == [
            ("2024-07", 2_789_000, 2_055_000, 734_000)
        ]
        assert app.beneficiary_view(bid)["balances"]["arrears_due"] == 734_000

        created, payment = pay(app, bid, eid, "2024-07", 734_000)
        assert created is True
        assert payment["amount"] == 734_000
        assert app.beneficiary(bid).arrears(Month(2024, 8), app.rates()) == []
        head = log_position(app)
        with pytest.raises(Conflict, match="already paid"):
            pay(app, bid, eid, "2024-07", 734_000)
        assert log_position(app) == head


def test_arrears_item_for_july_in_the_august_roster(ledger, engine, clock):
    """NCC standard amended on 2024-08-05 from 2024-07: the August roster pays 734,000 arrears for July."""
    ledger.seed_reference_rates(until=Month(2024, 6))
    bid, eid = martyr_relative(ledger)
    for month in range(1, 8):
        pay_in_month(ledger, clock, bid, eid, f"2024-{month:02d}", 2_055_000)
    clock.set("2024-08-05")
    ledger.amend_rate(
        "admin", "NCC_STANDARD", effective_from="2024-07", amount=2_789_000, legal_basis="NĐ 77/2024"
    )
    roster = build_roster(engine, "2024-08")
    (line,) = roster.lines
    items = [(i.type, i.period, i.amount) for i in line.items]
    assert items == [("regular", "2024-08", 2_789_000), ("arrears", "2024-07", 734_000)]
    assert line.net_amount == 3_523_000
    assert roster.totals()["amount"] == 3_523_000
    # what the ledger knew before the amendment: no arrears yet
    before = roster_as_of(ledger, "2024-08", datetime(2024, 8, 4, tzinfo=UTC))
    assert [(i.type, i.amount) for i in before.lines[0].items] == [("regular", 2_055_000)]


def test_a_social_assistance_decree_entered_late_pays_one_arrears_item_per_past_month(ledger, engine, clock):
    """NĐ 76/2024 (500,000 from 2024-07) entered on 2024-10-05: a severely disabled person (1.5) paid
    540,000 for every month up to September gets, on the October roster, 750,000 for October and
    750,000 − 540,000 = 210,000 for each of July, August and September, as three items."""
    record_standards_before_july_2024(ledger)
    paid_since_january(ledger, clock, "BTXH_DISABLED_SEVERE", 9, 540_000, birth_year=1950)
    clock.set("2024-10-05")
    ledger.amend_rate(
        "admin", "BTXH_STANDARD", effective_from="2024-07", amount=500_000, legal_basis="NĐ 76/2024/NĐ-CP"
    )
    (line,) = build_roster(engine, "2024-10").lines
    assert [(i.type, i.period, i.amount) for i in line.items] == [
        ("regular", "2024-10", 750_000),
        ("arrears", "2024-07", 210_000),
        ("arrears", "2024-08", 210_000),
        ("arrears", "2024-09", 210_000),
    ]
    assert line.net_amount == 1_380_000
