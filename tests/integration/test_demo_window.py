"""The synthetic province's window: two years by default, fewer with ``months`` (the benchmark's scale
mode generates a million people over 3 months). The window ends the month before ``today`` and never
starts before the packaged standards; on both backends, what is generated stays inside it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.parts import ONE_OFF
from domain.values import Month
from ledger.application import open_ledger
from ledger.demo import WINDOW_MONTHS, generate_province, simulated_months
from ledger.demo.timeline import MIN_WINDOW_MONTHS

TODAY = date(2026, 3, 16)
EARLIEST = Month(2021, 7)


def test_the_default_window_is_two_years_before_today():
    assert simulated_months(TODAY) == (Month(2024, 3), Month(2026, 2))
    assert simulated_months(TODAY, WINDOW_MONTHS) == simulated_months(TODAY)


@given(st.dates(date(2021, 8, 1), date(2030, 12, 31)), st.integers(MIN_WINDOW_MONTHS, 60))
def test_a_window_of_months_ends_the_month_before_today(today, months):
    """``months`` months up to the month before today, cut at the first rated month."""
    first, last = simulated_months(today, months)
    assert last == Month.of(today).previous()
    assert first == max(EARLIEST, last.plus(-(months - 1)))


def test_a_window_needs_two_months():
    """Newcomers join after the first month: one month leaves them none."""
    with pytest.raises(ValueError, match="at least 2 months"):
        simulated_months(TODAY, 1)


def test_a_short_window_generates_only_inside_it(database_url):
    """Three months: the summary says so, and every monthly payment's period falls inside them."""
    ledger = open_ledger(
        database_url, clock=lambda: datetime(2026, 3, 16, 2, tzinfo=UTC), seed_reference=False
    )
    summary = generate_province(ledger, beneficiaries=30, today=TODAY, batch_size=10, months=3)
    assert (summary.first_month, summary.last_month) == (Month(2025, 12), Month(2026, 2))
    periods = {
        Month.parse(payment.period)
        for bid in summary.beneficiary_ids
        for payment in ledger.beneficiary(bid).payments.values()
        if payment.period != ONE_OFF
    }
    assert periods
    assert min(periods) >= summary.first_month
    assert max(periods) <= summary.last_month
    assert summary.payments > 0
