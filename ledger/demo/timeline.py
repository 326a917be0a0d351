"""Business time of the synthetic province: the two simulated years, calendar helpers, and the clock of
one stream (never going back, never passing the cutoff)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from domain.catalogue import reference_rate_entries
from domain.values import VIETNAM_TIME, Month

VN_TZ = VIETNAM_TIME  # the business day is Vietnam's (domain.values.vietnam_today)
WINDOW_MONTHS = 24
MIN_WINDOW_MONTHS = 2
FOREVER = Month(9999, 12)


def simulated_months(today: date, months: int = WINDOW_MONTHS) -> tuple[Month, Month]:
    """The ``months`` simulated before ``today`` (two years by default): up to the month before it, from
    no earlier than the first month for which the packaged standards have a rate (2021-07)."""
    if months < MIN_WINDOW_MONTHS:
        msg = f"a simulation covers at least {MIN_WINDOW_MONTHS} months (newcomers join after the first)"
        raise ValueError(msg)
    last = Month.of(today).previous()
    entries = reference_rate_entries()
    earliest = max(
        min(e.effective_from for e in entries if e.schedule == schedule)
        for schedule in ("BTXH_STANDARD", "NCC_STANDARD")
    )
    if last < earliest:
        msg = f"today must fall after {earliest}: the packaged standards start in {earliest}"
        raise ValueError(msg)
    return max(earliest, last.plus(-(months - 1))), last


def last_day(month: Month) -> date:
    return date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])


def day_in(month: Month, day: int) -> date:
    return date(month.year, month.month, min(day, calendar.monthrange(month.year, month.month)[1]))


def plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class StreamClock:
    """Business time of one stream: never goes back, never passes the cutoff."""

    def __init__(self, cutoff: datetime) -> None:
        self.cursor: datetime | None = None
        self.cutoff = cutoff

    def at(self, day: date, hour: int = 9, minute: int = 0) -> datetime | None:
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN_TZ)
        if self.cursor is not None and moment <= self.cursor:
            moment = self.cursor + timedelta(minutes=1)
        if moment > self.cutoff:
            return None
        self.cursor = moment
        return moment
