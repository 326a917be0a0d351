"""The month view of a roster (projections.rosters.month_roster): every line due on a month's roster with
its status — paid, issued (on an issued roster of the month, not yet paid), outstanding — against the
outstanding view (build_roster / current_roster: what is still to pay, what an issue freezes)."""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from projections.rosters import (
    ISSUED,
    OUTSTANDING,
    PAID,
    Roster,
    RosterScope,
    approve_roster,
    build_roster,
    current_roster,
    issue_roster,
    month_roster,
    roster_as_of,
    roster_view,
)
from tests.support import COMMUNE, OTHER_COMMUNE, martyr_relative, pay_in_month

if TYPE_CHECKING:
    from ledger.application import BenefitsLedger
    from projections.engine import ProjectionEngine

MONTHLY = 2_055_000  # a martyr's relative, one martyr, early 2024
SERIALS = itertools.count(1)


@pytest.fixture(autouse=True)
def _rates(ledger: BenefitsLedger) -> None:
    """The packaged rates (the rules' ledger has none of its own)."""
    if ledger.rate_schedule("NCC_STANDARD") is None:
        ledger.seed_reference_rates()


def person(ledger: BenefitsLedger, commune: str = COMMUNE) -> tuple[str, str]:
    bid, eid = martyr_relative(ledger, f"0751500{next(SERIALS):05d}", commune=commune)
    return str(bid), eid


def shape(roster: Roster) -> list[tuple[str, str, str | None, list[tuple[str, str | None, int, str]]]]:
    """Each line as (beneficiary, status, issued roster, [(type, period, amount, status)])."""
    return [
        (
            x.beneficiary_id,
            x.status,
            x.issued_roster_id,
            [(i.type, i.period, i.amount, i.status) for i in x.items],
        )
        for x in roster.lines
    ]


def without_status(roster: Roster) -> list[dict[str, Any]]:
    """The lines as the outstanding view writes them (no statuses)."""
    return [line.as_dict() for line in roster.lines]


def test_a_past_month_shows_paid_issued_and_outstanding_lines_with_exact_totals(ledger, engine, clock):
    """March 2024: A's March paid on the 10th; the commune's roster issued on the 12th with B's line; C in
    another commune never paid; D granted on 5 April from January. Read on 5 April, the month view lists
    all four with their statuses and totals per status; the outstanding view the three unpaid lines."""
    a, ea = person(ledger)
    b, eb = person(ledger)
    c, ec = person(ledger, OTHER_COMMUNE)
    for month in ("2024-01", "2024-02"):
        for who, eid in ((a, ea), (b, eb), (c, ec)):
            pay_in_month(ledger, clock, who, eid, month, MONTHLY)
    pay_in_month(ledger, clock, a, ea, "2024-03", MONTHLY)
    clock.set("2024-03-12")
    issued = issue_roster(engine, "officer", "2024-03", RosterScope(COMMUNE))
    assert (issued["lines"], issued["amount"]) == (1, MONTHLY)  # B only: A was paid
    approve_roster(engine, "truong-phong", issued["roster_id"])  # the second signature issues it
    clock.set("2024-04-05")
    d, _ = person(ledger)  # registered and granted from January after the issue
    engine.catch_up()

    roster = month_roster(engine, "2024-03")
    assert roster.view == "month"
    assert roster.as_of == "2024-04-05T09:00:00+00:00"
    march = [("regular", "2024-03", MONTHLY, OUTSTANDING)]
    assert shape(roster) == [
        (c, OUTSTANDING, None, march),
        (a, PAID, None, [("regular", "2024-03", MONTHLY, PAID)]),
        (b, ISSUED, issued["roster_id"], [("regular", "2024-03", MONTHLY, ISSUED)]),
        (d, OUTSTANDING, None, [*march, ("arrears", "2024-01", MONTHLY, OUTSTANDING),
                                ("arrears", "2024-02", MONTHLY, OUTSTANDING)]),
    ]  # fmt: skip
    totals = roster.totals()
    assert (totals["lines"], totals["amount"]) == (4, 6 * MONTHLY)
    assert totals["by_status"] == {
        "paid": {"lines": 1, "amount": MONTHLY},
        "partly_paid": {"lines": 0, "amount": 0},
        "issued": {"lines": 1, "amount": MONTHLY},
        "outstanding": {"lines": 2, "amount": 4 * MONTHLY},
    }
    assert totals["by_item_status"] == {"paid": MONTHLY, "issued": MONTHLY, "outstanding": 4 * MONTHLY}
    assert roster.heading() == "Danh sách chi trả tháng 03/2024 — tình trạng đến ngày 05/04/2024"
    # The outstanding view: what is still to pay, unchanged; the commune's: its issued roster, frozen.
    outstanding = build_roster(engine, "2024-03")
    assert [x.beneficiary_id for x in outstanding.lines] == [c, b, d]
    assert outstanding.view == "outstanding"
    assert "view" not in outstanding.as_dict()
    assert "status" not in outstanding.as_dict()["lines"][0]
    frozen, info = current_roster(engine, "2024-03", RosterScope(COMMUNE))
    assert info is not None
    assert frozen.content_hash() == issued["content_hash"]  # the bytes issued rosters are hashed in
    assert frozen.heading() == "Danh sách còn phải chi tháng 03/2024 (đến ngày 12/03/2024)"
    assert (
        roster_view(engine, "2024-03", RosterScope(COMMUNE), outstanding_only=True)[0].lines == frozen.lines
    )
    # The commune's month view: its issued part is its issued roster, line for line.
    commune, commune_info = roster_view(engine, "2024-03", RosterScope(COMMUNE))
    assert commune_info is not None
    assert commune_info["roster_id"] == issued["roster_id"]
    assert [line.as_dict() for line in commune.lines if line.issued_roster_id] == without_status(frozen)
    assert [x.beneficiary_id for x in commune.lines] == [a, b, d]
    # The same, read from the event log instead of the read models.
    from_log = roster_as_of(ledger, "2024-03", clock(), month_view=True)
    assert shape(from_log) == shape(roster)

    # B is paid on 6 April for March: the frozen line stays, now paid.
    clock.set("2024-04-06")
    ledger.record_payment(
        "po", payment_id="B-03", beneficiary_id=b, entitlement_id=eb, period="2024-03", amount=MONTHLY,
        paid_on="2024-04-06",
    )  # fmt: skip
    after = month_roster(engine, "2024-03")
    assert shape(after)[2] == (b, PAID, issued["roster_id"], [("regular", "2024-03", MONTHLY, PAID)])
    assert after.totals()["by_item_status"] == {"paid": 2 * MONTHLY, "issued": 0, "outstanding": 4 * MONTHLY}
    # ...and as it stood on 5 April (the log replayed): issued, not yet paid
    before = roster_as_of(ledger, "2024-03", datetime.fromisoformat(roster.as_of or ""), month_view=True)
    assert shape(before) == shape(roster)


def test_an_arrears_item_paid_in_part_after_the_month_began_splits_into_paid_and_outstanding(
    ledger, engine, clock
):
    """January unpaid until 10 March, when half of it is paid: on February's and March's month views the
    January item shows the half paid and the half still owed; on April's only the half owed; an item paid
    in full before a month began is not on that month's view."""
    a, ea = person(ledger)
    pay_in_month(ledger, clock, a, ea, "2024-02", MONTHLY)  # February paid on 10 February
    clock.set("2024-03-10")
    ledger.record_payment(
        "po", payment_id="A-01", beneficiary_id=a, entitlement_id=ea, period="2024-01", amount=MONTHLY // 2,
        paid_on="2024-03-10",
    )  # fmt: skip
    half = MONTHLY - MONTHLY // 2
    for month, status in (("2024-02", PAID), ("2024-03", OUTSTANDING)):  # February paid, March not yet
        assert shape(month_roster(engine, month)) == [(a, "partly_paid", None, [
            ("regular", month, MONTHLY, status),
            ("arrears", "2024-01", MONTHLY // 2, PAID),
            ("arrears", "2024-01", half, OUTSTANDING),
        ])], month  # fmt: skip
    assert [(i.type, i.amount) for i in build_roster(engine, "2024-03").lines[0].items] == [
        ("regular", MONTHLY),
        ("arrears", half),
    ]
    clock.set("2024-04-02")
    april = month_roster(engine, "2024-04")  # the half paid on 10 March was paid before April began
    assert shape(april) == [(a, OUTSTANDING, None, [
        ("regular", "2024-04", MONTHLY, OUTSTANDING),
        ("arrears", "2024-01", half, OUTSTANDING),
        ("arrears", "2024-03", MONTHLY, OUTSTANDING),
    ])]  # fmt: skip


# --------------------------------------------------------------------------------------- property

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["grant", "pay", "pay_part", "issue", "catch_up"]),
        st.integers(0, 3),  # which person
        st.integers(1, 6),  # which month of 2024 (the period paid, the roster issued)
        st.integers(1, 6),  # the month of 2024 the payment is dated in
        st.sampled_from([None, COMMUNE]),  # the scope of an issue
    ),
    min_size=3,
    max_size=15,
)


def _operate(ledger, engine, people, op: tuple[Any, ...], tag: str, paid_count: list[int]) -> None:
    kind, who, month, paid_in, commune = op
    period = f"2024-{month:02d}"
    if kind == "grant" or not people:
        people.append(person(ledger, OTHER_COMMUNE if who == 3 else COMMUNE))
        return
    bid, eid = people[who % len(people)]
    if kind in {"pay", "pay_part"}:
        item = ledger.beneficiary(bid).due_item(eid, period, ledger.rates())
        amount = item.outstanding if kind == "pay" else max(item.outstanding // 3, 1)
        paid_count[0] += 1
        ledger.record_payment(
            "po", payment_id=f"{tag}-{paid_count[0]}", beneficiary_id=bid, entitlement_id=eid, period=period,
            amount=amount, paid_on=f"2024-{paid_in:02d}-12",
        )  # fmt: skip
    elif kind == "issue":  # prepared, and issued by a second person
        approve_roster(
            engine, "truong-phong", issue_roster(engine, "officer", period, RosterScope(commune))["roster_id"]
        )
    else:
        engine.catch_up()


def _items(roster: Roster, statuses: set[str]) -> Counter[tuple[Any, ...]]:
    return Counter(
        (x.beneficiary_id, i.entitlement_id, i.type, i.period, i.amount)
        for x in roster.lines
        for i in x.items
        if i.status in statuses
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS, seed=st.integers(0, 10**6), month=st.integers(1, 6))
def test_the_month_view_holds_the_outstanding_view_and_its_statuses_add_up(
    ledger, engine, clock, operations, seed, month
):
    """For any sequence of grants, payments (dated in any month) and issues: the month view's lines hold
    the outstanding view's lines; with no issued roster its outstanding items are the outstanding view's
    items; issued rosters' lines are in it as frozen; the amounts per status add up to the total; and
    the read models' month view equals the one replayed from the log."""
    clock.set("2024-06-20")  # one moment for every write: payments dated back, any month of the half-year
    people: list[tuple[str, str]] = []
    paid_count = [0]
    for op in operations:
        with contextlib.suppress(DomainError):
            _operate(ledger, engine, people, op, f"H{seed}", paid_count)
    clock.set("2024-06-28")
    key = f"2024-{month:02d}"
    for scope in (RosterScope(), RosterScope(COMMUNE)):
        view = month_roster(engine, key, scope)
        outstanding = build_roster(engine, key, scope)
        totals = view.totals()
        assert sum(row["amount"] for row in totals["by_status"].values()) == totals["amount"]
        assert sum(row["lines"] for row in totals["by_status"].values()) == totals["lines"]
        assert sum(totals["by_item_status"].values()) == totals["amount"]
        assert {x.beneficiary_id for x in outstanding.lines} <= {x.beneficiary_id for x in view.lines}
        issued = [x for x in view.lines if x.issued_roster_id]
        event(f"issued lines: {bool(issued)}, paid items: {bool(_items(view, {PAID}))}")
        documents = [y.as_dict() for r in _issued_documents(engine, key) for y in r.lines]
        for line in issued:  # as frozen: a line of an issued roster of the month, unchanged
            assert line.as_dict() in documents
        # whoever has no line frozen on an issued roster: outstanding items exactly the outstanding view's
        frozen = {x.beneficiary_id for x in issued}

        def unfrozen(
            items: Counter[tuple[Any, ...]], frozen: set[str] = frozen
        ) -> dict[tuple[Any, ...], int]:
            return {k: n for k, n in items.items() if k[0] not in frozen}

        assert unfrozen(_items(view, {OUTSTANDING})) == unfrozen(_items(outstanding, {OUTSTANDING}))
        assert shape(roster_as_of(ledger, key, clock(), scope, month_view=True)) == shape(view)


def _issued_documents(engine: ProjectionEngine, month: str) -> list[Roster]:
    found = []
    for commune in (None, COMMUNE, OTHER_COMMUNE):
        roster, info = current_roster(engine, month, RosterScope(commune))
        if info is not None:
            found.append(roster)
    return found
