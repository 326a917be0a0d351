"""Rate schedules as streams — lịch mức chuẩn theo nghị định.

One stream per schedule and province (``BTXH_STANDARD`` national, ``BTXH_STANDARD`` for province 75,
``BTXH_FUNERAL`` for province 75, ...). Amending a schedule records the decree's amount with its
effective month, which may lie in the past: the next roster then pays the arrears. Entries are never
removed; a later amendment for the same effective month supersedes the earlier one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from domain.catalogue import RateEntry
from domain.errors import InvalidInput
from domain.events import LedgerAggregate, RecordContext
from domain.values import Month, parse_amount, parse_text

NAMESPACE_RATES = UUID("0b7f3a52-5a8c-4f0e-8a57-2f6f3c1de5b1")
KNOWN_SCHEDULES = ("BTXH_STANDARD", "NCC_STANDARD", "BTXH_FUNERAL")


def rate_schedule_id(schedule: str, province: str | None) -> UUID:
    """The stream id of a schedule (deterministic, so that each schedule has exactly one stream)."""
    return uuid5(NAMESPACE_RATES, f"{schedule}:{province or 'national'}")


def parse_schedule(schedule: object, province: object) -> tuple[str, str | None]:
    """Check a schedule name and optional 2-digit province code."""
    if schedule not in KNOWN_SCHEDULES:
        raise InvalidInput("schedule", f"must be one of {', '.join(KNOWN_SCHEDULES)}, got {schedule!r}")
    if province is None or province == "":
        if schedule == "BTXH_FUNERAL":
            raise InvalidInput(
                "province_code", "a funeral amount is a provincial rate: give the province code"
            )
        return str(schedule), None
    if not isinstance(province, str) or not province.isdigit() or len(province) != 2:
        raise InvalidInput("province_code", f"must be a 2-digit province code, got {province!r}")
    return str(schedule), province


class RateSchedule(LedgerAggregate):
    """A rate schedule (mức chuẩn) for the nation or one province."""

    class RateScheduleOpened(LedgerAggregate.Created):
        """The schedule's stream was opened."""

        schedule: str
        province_code: str | None

    class RateAmended(LedgerAggregate.Event):
        """RateAmended — a decree sets an amount from an effective month."""

        effective_from: str
        amount: int
        legal_basis: str

        def apply(self, agg: RateSchedule) -> None:
            agg.entries.append(
                RateEntry(
                    schedule=agg.schedule,
                    effective_from=Month.parse(self.effective_from),
                    amount=self.amount,
                    legal_basis=self.legal_basis,
                    province=agg.province_code,
                    recorded_at=self.timestamp,
                )
            )

    def __init__(self, schedule: str, province_code: str | None) -> None:
        self.schedule = schedule
        self.province_code = province_code
        self.entries: list[RateEntry] = []

    @classmethod
    def open(cls, ctx: RecordContext, schedule: object, province_code: object = None) -> RateSchedule:
        """Open the stream of a schedule."""
        name, province = parse_schedule(schedule, province_code)
        return cls._create(
            cls.RateScheduleOpened,
            id=rate_schedule_id(name, province),
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.recorded_at.date(),
            reason=ctx.reason,
            schedule=name,
            province_code=province,
        )

    def amend(
        self, ctx: RecordContext, *, effective_from: object, amount: object, legal_basis: object, **extra: Any
    ) -> bool:
        """Record a decree's amount from a month. Returns False if exactly this entry is already the one in
        force for that month (an entry superseded since can be recorded again: it is a correction)."""
        month = Month.parse(effective_from, "effective_from")
        value = parse_amount(amount, "amount", positive=True)
        basis = parse_text(legal_basis, "legal_basis", max_length=300)
        same_month = [e for e in self.entries if e.effective_from == month]
        if same_month and (same_month[-1].amount, same_month[-1].legal_basis) == (value, basis):
            return False
        self.record(
            self.RateAmended, ctx, effective_from=str(month), amount=value, legal_basis=basis, **extra
        )
        return True
