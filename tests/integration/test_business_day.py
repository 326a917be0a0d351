"""The ledger's "today" and "this month" are Vietnam's (issue 15, item 5), on both backends: at
18:30 UTC on 30 November 2026 it is 01:30 on 1 December in Vietnam, so a payment dated 1 December is
accepted (2 December is in the future), December is the current month and November the last complete
one; the day turns at 17:00 UTC. Timestamps stay stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from domain.errors import InvalidInput
from domain.values import Month
from ledger.checkpoints import checkpoint_notes
from ledger.history import beneficiary_history
from projections.engine import open_projections
from projections.reports import exception_month, exceptions, report_period
from tests import ledger_fixtures
from tests.support import (
    COMMUNE,
    OTHER_COMMUNE,
    FixedClock,
    basis,
    grant,
    pay,
    recipient_who_died_in_september,
    records_nothing,
    register_person,
    signed_ledger,
)

if TYPE_CHECKING:
    from pathlib import Path

    from ledger.application import BenefitsLedger

clock, app = ledger_fixtures.clock, ledger_fixtures.app

EVENING_UTC = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)  # 01:30 on 01/12/2026 in Vietnam


def elderly(app: BenefitsLedger) -> tuple[str, str]:
    bid = register_person(app, birth_year=1935, sex="female", full_name="Trần Thị Bình")
    eid = grant(app, bid, "BTXH_ELDERLY_80", effective_from="2026-11", signed="2026-11-15")["entitlement_id"]
    return bid, eid


def test_a_payment_dated_vietnams_today_is_accepted_in_the_utc_evening(
    app: BenefitsLedger, clock: FixedClock
):
    clock.set(EVENING_UTC)
    bid, eid = elderly(app)
    assert app.today() == date(2026, 12, 1)
    accepted, _ = pay(app, bid, eid, "2026-11", 500_000, paid_on="2026-12-01")
    assert accepted
    with records_nothing(app, InvalidInput, field="paid_on", match="after 2026-12-01"):
        pay(app, bid, eid, "2026-12", 500_000, paid_on="2026-12-02")
    history = beneficiary_history(app, bid)
    assert {e["occurred_on"] for e in history if e["type"] == "BeneficiaryRegistered"} == {"2026-12-01"}
    assert history[0]["recorded_at"] == "2026-11-30T18:30:00+00:00"  # the moment itself stays UTC
    # "as of 30/11" is the end of 30 November in Vietnam: 16:59:59 UTC, before anything was recorded
    assert beneficiary_history(app, bid, as_of="2026-11-30") == []
    assert len(beneficiary_history(app, bid, as_of="2026-12-01")) == len(history)


def test_the_current_month_and_the_last_complete_month_are_vietnams(app: BenefitsLedger, clock: FixedClock):
    clock.set(EVENING_UTC)
    assert app.current_month() == Month(2026, 12)
    assert report_period(None, None, app.clock()) == ("2026-01", "2026-11")
    assert exception_month("unpaid_roster_lines", "", app.clock()) == Month(2026, 11)
    assert exception_month("unpaid_roster_lines", "2026-12", app.clock()) == Month(2026, 12)  # the current
    with records_nothing(app, InvalidInput, field="month"):
        exception_month("unpaid_roster_lines", "2027-01", app.clock())
    bid, _ = elderly(app)
    assert app.commune_now(bid) == app.beneficiary(bid).commune_at(Month(2026, 12))[0]


def test_the_day_turns_at_17_00_utc(app: BenefitsLedger, clock: FixedClock):
    clock.set(EVENING_UTC)
    bid, eid = elderly(app)
    clock.set(datetime(2026, 12, 1, 16, 59, tzinfo=UTC))
    assert app.today() == date(2026, 12, 1)
    with records_nothing(app, InvalidInput, field="paid_on"):
        pay(app, bid, eid, "2026-12", 500_000, paid_on="2026-12-02")
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=UTC))
    assert app.today() == date(2026, 12, 2)
    assert pay(app, bid, eid, "2026-12", 500_000, paid_on="2026-12-02")[0]
    assert pay(app, bid, eid, "2027-01", 500_000)[0]  # paid today by default: Vietnam's 02/12
    paid = app.beneficiary(bid).payments
    assert sorted(str(p.paid_on) for p in paid.values()) == ["2026-12-02", "2026-12-02"]


def test_a_month_end_in_the_utc_evening_is_next_month_in_vietnam(app: BenefitsLedger, clock: FixedClock):
    clock.set(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))  # 00:00 on 01/01/2027 in Vietnam
    assert app.current_month() == Month(2027, 1)
    assert report_period(None, None, app.clock()) == ("2026-01", "2026-12")


def test_an_exception_list_places_people_by_the_ledgers_month_not_the_machines(
    app: BenefitsLedger, clock: FixedClock, database_url: str
):
    """Paid after death: the commune shown is the one in force in the ledger's current month (Vietnam's),
    not in the month of the machine's calendar."""
    bid, _ = recipient_who_died_in_september(app, clock)
    app.relocate("officer", bid, commune_code=OTHER_COMMUNE, effective_from="2025-01", reason="chuyển xã")
    app.record_death("officer", bid, date_of_death="2024-09-20", basis=basis("2024-11-25"))
    engine = open_projections(app, database_url)
    try:
        clock.set(datetime(2024, 12, 31, 16, 59, tzinfo=UTC))  # 23:59 on 31/12/2024 in Vietnam
        assert {x["commune_code"] for x in exceptions(engine, "paid_after_death")} == {COMMUNE}
        clock.set(datetime(2024, 12, 31, 17, 0, tzinfo=UTC))  # 00:00 on 01/01/2025 in Vietnam
        assert {x["commune_code"] for x in exceptions(engine, "paid_after_death")} == {OTHER_COMMUNE}
    finally:
        engine.store.close()


def test_the_days_first_write_is_signed_on_vietnams_day(database_url: str, tmp_path: Path):
    """The log is signed by the first write of each business day: a write at 17:00 UTC opens a new day."""
    clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    ledger, _ = signed_ledger(database_url, clock, tmp_path)
    try:
        register_person(ledger)
        signed = len(checkpoint_notes(ledger))
        clock.set(datetime(2026, 12, 1, 16, 59, tzinfo=UTC))  # 23:59 on 01/12 in Vietnam: the same day
        register_person(ledger)
        assert len(checkpoint_notes(ledger)) == signed
        clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=UTC))  # 00:00 on 02/12 in Vietnam: a new day
        register_person(ledger)
        assert len(checkpoint_notes(ledger)) == signed + 1
    finally:
        ledger.close()
