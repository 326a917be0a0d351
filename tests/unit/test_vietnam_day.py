"""The ledger's business day is Vietnam's (issue 15, item 5): for any instant, the day a command is
recorded on (:attr:`domain.events.RecordContext.today`), the current month, the last complete month and
the end of a day read "as of" follow the calendar of Asia/Ho_Chi_Minh, not UTC's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.events import RecordContext
from domain.values import Month, check_date, end_of_vietnam_day, last_complete_month, vietnam_today
from ledger.history import parse_as_of

HO_CHI_MINH = ZoneInfo("Asia/Ho_Chi_Minh")
EARLIEST, LATEST = datetime(1976, 1, 1), datetime(2199, 12, 30)  # noqa: DTZ001 - hypothesis wants naive bounds
INSTANTS = st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.just(UTC))
OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@given(INSTANTS)
def test_the_business_day_of_any_instant_is_the_ho_chi_minh_calendar_date(instant: datetime) -> None:
    expected = instant.astimezone(HO_CHI_MINH).date()
    assert RecordContext("officer", instant).today == expected
    assert vietnam_today(instant) == expected
    assert vietnam_today(instant.replace(tzinfo=None)) == expected  # a moment without offset is UTC's
    assert Month.of(RecordContext("officer", instant).today) == Month(expected.year, expected.month)
    assert last_complete_month(instant) == Month(expected.year, expected.month).previous()


@given(INSTANTS, OFFSETS)
def test_the_business_day_does_not_depend_on_the_offset_the_instant_is_written_in(
    instant: datetime, offset: timezone
) -> None:
    written = RecordContext("officer", instant.astimezone(offset))
    assert written.today == RecordContext("officer", instant).today


@given(st.dates(min_value=date(1976, 1, 1), max_value=date(2199, 12, 30)))
def test_a_bare_date_read_as_of_is_the_end_of_that_day_in_vietnam(day: date) -> None:
    end = parse_as_of(day.isoformat())
    assert end == end_of_vietnam_day(day) == datetime.combine(day, time.max, HO_CHI_MINH)
    assert end is not None
    assert vietnam_today(end) == day
    assert vietnam_today(end + timedelta(microseconds=1)) == day + timedelta(days=1)


def test_a_timestamp_read_as_of_keeps_its_offset_and_one_without_is_vietnam_time() -> None:
    assert parse_as_of("2026-11-30T18:30:00+00:00") == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
    assert parse_as_of("2026-12-01T01:30:00") == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2026, 11, 30, 16, 59, 59, 999999, tzinfo=UTC), date(2026, 11, 30)),
        (datetime(2026, 11, 30, 17, 0, tzinfo=UTC), date(2026, 12, 1)),
        (datetime(2026, 11, 30, 18, 30, tzinfo=UTC), date(2026, 12, 1)),
        (datetime(2026, 12, 1, 16, 59, tzinfo=UTC), date(2026, 12, 1)),
        (datetime(2026, 12, 1, 17, 0, tzinfo=UTC), date(2026, 12, 2)),
    ],
)
def test_the_day_turns_at_17_00_utc(instant: datetime, day: date) -> None:
    assert RecordContext("officer", instant).today == day


def test_at_01_30_on_1_december_in_vietnam_a_payment_that_day_is_not_in_the_future() -> None:
    today = RecordContext("officer", datetime(2026, 11, 30, 18, 30, tzinfo=UTC)).today
    assert check_date(date(2026, 12, 1), "paid_on", today, not_after_today=True) == date(2026, 12, 1)
    with pytest.raises(InvalidInput, match=r"after 2026-12-01") as refused:
        check_date(date(2026, 12, 2), "paid_on", today, not_after_today=True)
    assert refused.value.field == "paid_on"
    assert check_date(date(2027, 12, 1), "basis.decision_date", today) == date(2027, 12, 1)  # a year ahead
    with pytest.raises(InvalidInput, match="more than a year ahead"):
        check_date(date(2027, 12, 2), "basis.decision_date", today)
    assert Month.of(today) == Month(2026, 12)
    assert last_complete_month(datetime(2026, 11, 30, 18, 30, tzinfo=UTC)) == Month(2026, 11)
