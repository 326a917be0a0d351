"""The type of a roster item — regular, arrears (truy lĩnh), carried over (chuyển kỳ), one-off — and
"paid after death", decided by the domain alone (``domain.parts.item_kind``, ``DueItem.overdue_kind``,
``Beneficiary.paid_after_death``): the read models store these and rosters and reports only read them.

A worked example on one beneficiary, pure domain (no ledger, no database): 80+ social assistance from
March 2024 at 360,000 a month (the standard of 2021-07); March paid, April recorded as not collected,
May neither paid nor collected; death on 10 June recorded after June and July were paid; the funeral
allowance granted from July.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from domain.beneficiary import ONE_OFF, Beneficiary
from domain.catalogue import reference_rate_book
from domain.events import RecordContext
from domain.parts import (
    ARREARS,
    CARRIED_OVER,
    ITEM_KINDS,
    ONE_OFF_ITEM,
    RECOVERY,
    REGULAR,
    DueItem,
    item_kind,
)
from domain.values import Month

BASIS = {"decision_no": "01/QĐ-UBND", "decision_date": "2024-03-15", "issuer": "UBND tỉnh Đồng Nai"}


def ctx(day: str) -> RecordContext:
    return RecordContext("officer", datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC))


@pytest.fixture(scope="module")
def story() -> tuple[Beneficiary, str, str]:
    rates = reference_rate_book()
    agg = Beneficiary.register(
        ctx("2024-03-16"),
        beneficiary_id=UUID("00000000-0000-4000-8000-000000000001"),
        kind="social_assistance",
        full_name="Nguyễn Văn An",
        commune_code="26041",
        province_code="75",
        citizen_id="075040000001",
        date_of_birth="1940-01-01",
        sex="male",
    )
    monthly = agg.grant_entitlement(
        ctx("2024-03-16"), scheme="BTXH_ELDERLY_80", effective_from="2024-03", basis=BASIS, rates=rates
    ).entitlement_id
    for n, (period, day) in enumerate((("2024-03", "2024-03-25"), ("2024-06", "2024-06-05"))):
        agg.record_payment(
            ctx(day), payment_id=f"P{n}", entitlement_id=monthly, period=period, amount=360_000,
            paid_on=day, rates=rates,
        )  # fmt: skip
    agg.record_not_collected(ctx("2024-04-30"), entitlement_id=monthly, period="2024-04", rates=rates)
    agg.record_payment(
        ctx("2024-07-05"), payment_id="P7", entitlement_id=monthly, period="2024-07", amount=500_000,
        paid_on="2024-07-05", rates=rates,
    )  # fmt: skip
    agg.record_death(ctx("2024-07-20"), date_of_death="2024-06-10", basis=BASIS)
    funeral = agg.grant_entitlement(
        ctx("2024-07-21"), scheme="BTXH_FUNERAL", effective_from="2024-07", basis=BASIS, rates=rates
    ).entitlement_id
    return agg, monthly, funeral


def test_item_kind_relative_to_the_roster_month():
    """An item is regular in its own month, then arrears (or carried over) on every later roster, and on
    no roster before its month; a one-off is a one-off on any roster from its month on."""
    assert item_kind(ARREARS, "2024-05", "2024-05") == REGULAR
    assert item_kind(CARRIED_OVER, "2024-05", "2024-05") == REGULAR
    assert item_kind(ARREARS, "2024-05", "2024-08") == ARREARS
    assert item_kind(CARRIED_OVER, "2024-05", "2024-08") == CARRIED_OVER
    assert item_kind(ARREARS, "2024-09", "2024-08") is None
    assert item_kind(ONE_OFF_ITEM, "2024-07", "2024-07") == ONE_OFF_ITEM
    assert item_kind(ONE_OFF_ITEM, "2024-07", "2024-12") == ONE_OFF_ITEM
    assert item_kind(ONE_OFF_ITEM, "2024-07", "2024-06") is None
    assert ITEM_KINDS == (REGULAR, ARREARS, CARRIED_OVER, ONE_OFF_ITEM, RECOVERY)  # a roster line's order


def test_overdue_kind_carried_over_only_while_nothing_is_paid():
    item = DueItem(
        "e", "BTXH_ELDERLY_80", "2024-04", due=360_000, paid=0, not_collected=True, month="2024-04"
    )
    assert item.uncollected
    assert item.overdue_kind == CARRIED_OVER
    part_paid = DueItem(
        "e", "BTXH_ELDERLY_80", "2024-04", 360_000, 100_000, not_collected=True, month="2024-04"
    )
    assert not part_paid.uncollected
    assert part_paid.overdue_kind == ARREARS  # once something is paid, the rest is arrears
    one_off = DueItem("f", "BTXH_FUNERAL", ONE_OFF, 10_000_000, 0, not_collected=True, month="2024-07")
    assert one_off.overdue_kind == ONE_OFF_ITEM


def test_the_worked_example_item_by_item(story):
    """The items of the story on the rosters of May and July 2024, and the payments after death."""
    agg, monthly, funeral = story
    rates = reference_rate_book()
    items = {(i.entitlement_id, i.period): i for i in agg.ledger_items(Month(2024, 7), rates)}
    march, april, may, june = (items[(monthly, f"2024-0{m}")] for m in (3, 4, 5, 6))
    allowance = items[(funeral, ONE_OFF)]
    assert [i.month for i in (march, april, may, june, allowance)] == [
        "2024-03", "2024-04", "2024-05", "2024-06", "2024-07",
    ]  # fmt: skip
    assert (march.overdue_kind, april.overdue_kind, may.overdue_kind) == (ARREARS, CARRIED_OVER, ARREARS)
    # the May roster: May is the month's own amount, April was not collected, March is paid (listed as
    # arrears only while owed: the roster leaves out what is not outstanding)
    assert [i.kind_on("2024-05") for i in (march, april, may, june)] == [ARREARS, CARRIED_OVER, REGULAR, None]
    assert march.outstanding == 0
    # the July roster: death in June stops payment from July; the funeral allowance is a one-off
    assert [i.kind_on("2024-07") for i in (april, may)] == [CARRIED_OVER, ARREARS]
    assert allowance.kind_on("2024-07") == ONE_OFF_ITEM
    assert allowance.kind_on("2024-06") is None
    assert (monthly, "2024-07") in items  # paid, so listed, but nothing is due: an overpayment
    assert items[(monthly, "2024-07")].excess == 500_000
    # the aggregate's arrears and carry-overs agree with the kinds
    assert [i.period for i in agg.carried_over(Month(2024, 7), rates)] == ["2024-04"]
    assert [i.period for i in agg.arrears(Month(2024, 7), rates)] == ["2024-05"]


def test_paid_after_death_is_a_standing_payment_for_a_month_after_the_month_of_death(story):
    agg, _, _ = story
    flags = {p.period: agg.paid_after_death(p) for p in agg.payments.values()}
    assert flags == {"2024-03": False, "2024-06": False, "2024-07": True}  # June is the month of death
    assert [p.payment_id for p in agg.payments_after_death()] == ["P7"]
    assert agg.date_of_death == date(2024, 6, 10)
