"""The worked examples of DESIGN §3, through the ledger application, on SQLite and PostgreSQL, to the đồng.

Each test tells one story a case officer or payment officer would recognise: a decision, the months it
pays, a decree that changes a standard, a death recorded late, a payment tried twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from domain.errors import Conflict
from domain.values import Month
from tests.support import FixedClock, grant, ledger_on, log_position, pay, register_person

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ledger.application import BenefitsLedger


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock("2024-03-20")


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> Iterator[BenefitsLedger]:
    """The ledger with every packaged standard recorded (BTXH 360,000 → 500,000; NCC up to 2,789,000)."""
    with ledger_on(database_url, clock) as ledger:
        yield ledger


def months(first: int, last: int, year: int = 2024) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


# --------------------------------------------------------------------------------- social assistance


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


def test_severely_disabled_elderly_person_gets_twice_the_standard(app):
    """An elderly person with a severe disability (coefficient 2.0): 2 × 500,000 = 1,000,000 for July 2024."""
    bid = register_person(app, birth_year=1950)
    ent = grant(app, bid, "BTXH_DISABLED_SEVERE_CHILD_OR_ELDERLY")
    assert ent["monthly_amount"] == 720_000  # 2 × 360,000 in March
    assert app.beneficiary(bid).due_amount(ent["entitlement_id"], "2024-07", app.rates()) == 1_000_000


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


# --------------------------------------------------------------------------------- meritorious people


def test_relative_of_one_martyr_gets_one_ncc_standard(app):
    """A martyr's relative (one martyr) gets 1 × the NCC standard: 2,055,000 in June 2024, 2,789,000 from
    July 2024."""
    bid = register_person(app, kind="meritorious", birth_year=1950)
    ent = grant(app, bid, "NCC_MARTYR_RELATIVE", effective_from="2024-01", params={"martyrs": 1})
    agg, rates = app.beneficiary(bid), app.rates()
    assert agg.due_amount(ent["entitlement_id"], "2024-06", rates) == 2_055_000
    assert agg.due_amount(ent["entitlement_id"], "2024-07", rates) == 2_789_000


@pytest.mark.parametrize(
    ("extremely_severe", "allowance"),
    [(False, ("NCC_PC81_TB", 1_399_000)), (True, ("NCC_PC81_TB_DBN", 2_867_000))],
)
def test_war_invalid_at_81_percent_gets_the_table_amount_and_the_81_percent_allowance(
    app, extremely_severe, allowance
):
    """A war invalid at 81%: the PL II amount (7,240,000) plus the ≥81% allowance (1,399,000), or the
    allowance for extremely severe injuries instead when the decision says so."""
    bid = register_person(app, kind="meritorious", birth_year=1950)
    params = {"injury_rate": 81, "extremely_severe": extremely_severe}
    eid = grant(app, bid, "NCC_WAR_INVALID", effective_from="2024-01", params=params)["entitlement_id"]
    parts = app.beneficiary(bid).due_components(eid, "2024-07", app.rates())
    assert [(c.code, c.amount) for c in parts] == [("NCC_TB", 7_240_000), allowance]
    assert app.beneficiary(bid).due_amount(eid, "2024-07", app.rates()) == 7_240_000 + allowance[1]


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


# --------------------------------------------------------------------------------- death and recovery


def _recipient_who_died_in_september(app, clock) -> tuple[str, str]:
    """A 500,000 recipient (80+) paid for October and November before her death on 2024-09-20 is known."""
    bid = register_person(app, birth_year=1935, sex="female", full_name="Trần Thị Bình")
    eid = grant(app, bid, "BTXH_ELDERLY_80", effective_from="2024-03")["entitlement_id"]
    for day, month in (("2024-10-10", "2024-10"), ("2024-11-10", "2024-11")):
        clock.set(day)
        pay(app, bid, eid, month, 500_000)
    clock.set("2024-11-25")
    return bid, eid


def test_death_recorded_late_makes_the_months_after_it_an_overpayment_recovered_until_zero(app, clock):
    """Death on 2024-09-20 recorded on 2024-11-25: payment stops from October, so October and November
    (1,000,000) are an overpayment; 400,000 deducted and 600,000 repaid in cash bring it to zero, after
    which nothing more can be recovered."""
    bid, _ = _recipient_who_died_in_september(app, clock)
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


@pytest.mark.parametrize(
    ("provincial_amount", "funeral"),
    [(None, 10_000_000), (12_000_000, 12_000_000), (8_000_000, 10_000_000)],
    ids=["national", "province-higher", "province-lower"],
)
def test_funeral_allowance_is_20_standards_or_the_higher_provincial_amount(
    app, clock, provincial_amount, funeral
):
    """Funeral allowance (mai táng phí) = 20 × the standard at the month of death (20 × 500,000); a
    province's own amount is used only when it is higher."""
    if provincial_amount is not None:
        app.amend_rate(
            "admin",
            "BTXH_FUNERAL",
            province_code="75",
            effective_from="2024-01",
            amount=provincial_amount,
            legal_basis="NQ HĐND tỉnh",
        )
    bid, _ = _recipient_who_died_in_september(app, clock)
    app.record_death("officer", bid, date_of_death="2024-09-20")
    ent = grant(app, bid, "BTXH_FUNERAL", effective_from="2024-11", signed="2024-11-25")
    assert ent["amount"] == funeral
    created, payment = pay(app, bid, ent["entitlement_id"], None, funeral)
    assert created is True
    assert payment["period"] is None


def test_funeral_allowance_before_the_death_is_recorded_is_refused(app, clock):
    """A funeral allowance needs the death recorded first; the refusal records nothing."""
    bid, _ = _recipient_who_died_in_september(app, clock)
    head = log_position(app)
    with pytest.raises(Conflict, match="death"):
        grant(app, bid, "BTXH_FUNERAL", effective_from="2024-11", signed="2024-11-25")
    assert log_position(app) == head


# --------------------------------------------------------------------------------- never pay twice


def test_a_month_is_paid_once_and_a_retry_with_the_same_payment_id_is_the_same_payment(app, clock):
    """July 2024 paid with payment id A: a second payment with id B is refused; A retried with the same
    body is answered as already recorded (created=False); A with another amount is refused. Nothing new
    is recorded by any of the three."""
    bid = register_person(app)
    eid = grant(app, bid, "BTXH_ELDERLY_80")["entitlement_id"]
    clock.set("2024-07-10")
    created, first = pay(app, bid, eid, "2024-07", 500_000, payment_id="PAY-A", paid_on="2024-07-10")
    assert created is True
    agg = app.beneficiary(bid)
    version, payments, head = agg.version, dict(agg.payments), log_position(app)

    with pytest.raises(Conflict, match="already paid"):
        pay(app, bid, eid, "2024-07", 500_000, payment_id="PAY-B", paid_on="2024-07-10")
    created, again = pay(app, bid, eid, "2024-07", 500_000, payment_id="PAY-A", paid_on="2024-07-10")
    assert created is False
    assert again == first
    with pytest.raises(Conflict, match="payment_id"):
        pay(app, bid, eid, "2024-07", 400_000, payment_id="PAY-A", paid_on="2024-07-10")

    agg = app.beneficiary(bid)
    assert agg.version == version
    assert agg.payments == payments
    assert log_position(app) == head


# --------------------------------------------------------------------------------- not collected


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
