"""The ledger core: bad input, property and fault tests.

The worked examples of DESIGN §3 are in tests/rules/ (one file per rule).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import uuid4

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from psycopg import sql

from domain.catalogue import RateEntry, reference_rate_book
from domain.errors import Conflict, DomainError, InvalidInput
from domain.events import RecordContext, event_content_hash
from domain.values import Month
from ledger.application import open_ledger
from ledger.config import parse_database_url
from ledger.integrity import verify_streams
from tests.support import BASIS, COMMUNE, ctx, person

if TYPE_CHECKING:
    from domain.beneficiary import Beneficiary

# --------------------------------------------------------------------------------------- bad input


def test_bad_input_names_the_field_and_changes_nothing():
    rates = reference_rate_book()
    agg = person()
    version = agg.version
    cases = [
        ({"scheme": "NOPE", "effective_from": "2024-07", "basis": BASIS}, "scheme"),
        ({"scheme": "BTXH_ELDERLY_80", "effective_from": "2024-13", "basis": BASIS}, "effective_from"),
        (
            {"scheme": "BTXH_ELDERLY_80", "effective_from": "2024-07", "basis": {"decision_no": "1"}},
            "basis.decision_date",
        ),
        ({"scheme": "NCC_MARTYR_RELATIVE", "effective_from": "2024-07", "basis": BASIS}, "scheme"),
    ]
    for kwargs, field in cases:
        with pytest.raises(InvalidInput) as error:
            agg.grant_entitlement(ctx(), rates=rates, **kwargs)
        assert error.value.field == field
    assert agg.version == version


# --------------------------------------------------------------------------------------- stateful property

MONTHS = [str(Month(2024, 1).plus(n)) for n in range(18)]


class LedgerMachine(RuleBasedStateMachine):
    """Random commands on one beneficiary.

    Never paid twice; replay equals the state; balances add up; the chain holds; refusals change nothing.
    """

    @initialize()
    def start(self) -> None:
        self.rates = reference_rate_book()
        self.day = date(2024, 1, 2)
        self.agg = person()
        self.entitlements: list[str] = []
        self.payment_ids: list[str] = []
        self.max_due: dict[tuple[str, str], int] = {}

    def _ctx(self):
        self.day += timedelta(days=3)
        return ctx(self.day.isoformat())

    def _attempt(self, command) -> None:
        version, pending = self.agg.version, len(self.agg.pending_events)
        try:
            command()
        except DomainError:
            assert (self.agg.version, len(self.agg.pending_events)) == (version, pending), (
                "refused but changed"
            )

    @rule(
        scheme=st.sampled_from(["BTXH_ELDERLY_80", "BTXH_DISABLED_SEVERE", "BTXH_SINGLE_PARENT_PER_CHILD"]),
        start=st.sampled_from(MONTHS[:8]),
    )
    def grant(self, scheme: str, start: str) -> None:
        params = {"children": 2} if scheme == "BTXH_SINGLE_PARENT_PER_CHILD" else None
        basis = {**BASIS, "decision_date": f"{start}-01"}

        def command() -> None:
            ent = self.agg.grant_entitlement(
                self._ctx(), scheme=scheme, effective_from=start, basis=basis, params=params, rates=self.rates
            )
            self.entitlements.append(ent.entitlement_id)

        self._attempt(command)

    @rule(
        which=st.integers(0, 5),
        month=st.sampled_from(MONTHS),
        part=st.sampled_from([1, 2]),
        reuse=st.booleans(),
    )
    def pay(self, which: int, month: str, part: int, reuse: bool) -> None:
        if not self.entitlements:
            return
        eid = self.entitlements[which % len(self.entitlements)]
        item = self.agg.due_item(eid, month, self.rates)
        amount = max(item.outstanding // part, 1)
        pid = self.payment_ids[which % len(self.payment_ids)] if reuse and self.payment_ids else str(uuid4())

        def command() -> None:
            before = self.agg.due_item(eid, month, self.rates)
            created = self.agg.record_payment(
                self._ctx(),
                payment_id=pid,
                entitlement_id=eid,
                period=month,
                amount=amount,
                paid_on=self.day.isoformat(),
                rates=self.rates,
            )
            if created:
                assert amount <= before.outstanding
                self.max_due[(eid, month)] = max(self.max_due.get((eid, month), 0), before.due)
                self.payment_ids.append(pid)

        self._attempt(command)

    @rule(which=st.integers(0, 5), month=st.sampled_from(MONTHS))
    def not_collected(self, which: int, month: str) -> None:
        if self.entitlements:
            eid = self.entitlements[which % len(self.entitlements)]
            self._attempt(
                lambda: self.agg.record_not_collected(
                    self._ctx(), entitlement_id=eid, period=month, rates=self.rates
                )
            )

    @rule(which=st.integers(0, 20))
    def reverse(self, which: int) -> None:
        if self.payment_ids:
            pid = self.payment_ids[which % len(self.payment_ids)]
            when = datetime(self.day.year, self.day.month, self.day.day, 10, tzinfo=UTC)
            self._attempt(lambda: self.agg.reverse_payment(RecordContext("officer", when, "ghi nhầm"), pid))

    @rule(which=st.integers(0, 5), month=st.sampled_from(MONTHS))
    def terminate(self, which: int, month: str) -> None:
        if self.entitlements:
            eid = self.entitlements[which % len(self.entitlements)]
            self._attempt(
                lambda: self.agg.terminate_entitlement(self._ctx(), eid, last_month=month, basis=BASIS)
            )

    @rule(month=st.sampled_from(MONTHS), day=st.integers(1, 28))
    def death(self, month: str, day: int) -> None:
        self._attempt(lambda: self.agg.record_death(self._ctx(), date_of_death=f"{month}-{day:02d}"))

    @rule(amount=st.integers(1, 2_000_000), method=st.sampled_from(["cash", "deduction", "refund"]))
    def recover(self, amount: int, method: str) -> None:
        self._attempt(
            lambda: self.agg.record_recovery(self._ctx(), amount=amount, method=method, rates=self.rates)
        )

    @rule(which=st.integers(0, 5), month=st.sampled_from(MONTHS), children=st.integers(1, 4))
    def adjust(self, which: int, month: str, children: int) -> None:
        if self.entitlements:
            eid = self.entitlements[which % len(self.entitlements)]
            params = {"children": children}
            self._attempt(
                lambda: self.agg.adjust_entitlement(
                    self._ctx(), eid, effective_from=month, params=params, basis=BASIS, rates=self.rates
                )
            )

    @rule(which=st.integers(0, 5), month=st.sampled_from(MONTHS), resume=st.booleans())
    def suspend_or_resume(self, which: int, month: str, resume: bool) -> None:
        if self.entitlements:
            eid = self.entitlements[which % len(self.entitlements)]
            action = self.agg.resume_entitlement if resume else self.agg.suspend_entitlement
            self._attempt(lambda: action(self._ctx(), eid, effective_from=month))

    @rule(month=st.sampled_from(MONTHS), amount=st.sampled_from([450_000, 500_000, 540_000, 600_000]))
    def amend_standard(self, month: str, amount: int) -> None:
        """A decree changes the standard from a (possibly past) month: dues change, payments do not."""
        self.rates = self.rates.with_entries(
            [RateEntry("BTXH_STANDARD", Month.parse(month), amount, "decree")]
        )

    @invariant()
    def never_paid_twice(self) -> None:
        for key, paid in self.agg.paid.items():
            if paid:
                assert paid <= self.max_due.get(key, 0), f"{key} paid {paid} beyond what was ever due"

    @invariant()
    def balances_add_up(self) -> None:
        items = self.agg.ledger_items(Month(2025, 12), self.rates)
        paid = sum(i.paid + i.withheld for i in items)  # settled: paid out, or withheld by a deduction
        owed = sum(i.due for i in items)
        assert paid - owed == sum(i.excess for i in items) - sum(i.outstanding for i in items)
        outstanding = self.agg.overpayment_outstanding(self.rates)
        credit = self.agg.recovery_credit(self.rates)
        assert outstanding - credit == sum(i.excess for i in items) - self.agg.recovered
        assert outstanding >= 0
        assert credit >= 0
        assert outstanding == 0 or credit == 0

    @invariant()
    def replay_gives_the_same_state_and_the_chain_holds(self) -> None:
        events = list(self.agg.pending_events)
        replayed = events[0].mutate(None)
        for event in events[1:]:
            replayed = event.mutate(replayed)
        assert digest(replayed) == digest(self.agg)
        previous = ""
        for event in events:
            assert event.prev_hash == previous
            assert event_content_hash(event) == event.event_hash
            previous = event.event_hash


def digest(agg: Beneficiary) -> str:
    state = {
        "version": agg.version,
        "chain": agg.chain_head,
        "paid": sorted(agg.paid.items()),
        "not_collected": sorted(agg.not_collected),
        "recovered": agg.recovered,
        "death": str(agg.date_of_death),
        "payments": sorted((p.payment_id, p.period, p.amount, p.reversed) for p in agg.payments.values()),
        "entitlements": sorted(
            (e.entitlement_id, str(e.start), str(e.last_month)) for e in agg.entitlements.values()
        ),
    }
    return json.dumps(state, default=str, sort_keys=True)


LedgerMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_ledger_state_machine = LedgerMachine.TestCase


# --------------------------------------------------------------------------------------- storage faults


def elderly_on_store(database_url: str, now: datetime, citizen_id: str) -> tuple:
    """A ledger with one 80+ recipient granted from 2024-07: (ledger, beneficiary, entitlement id)."""
    ledger = open_ledger(database_url, clock=lambda: now)
    ledger.seed_reference_rates()
    agg = ledger.register_beneficiary(
        "officer",
        kind="social_assistance",
        full_name="Hồ Văn Tám",
        commune_code=COMMUNE,
        citizen_id=citizen_id,
    )
    basis = {**BASIS, "decision_date": "2024-07-01"}
    granted = ledger.grant_entitlement("officer", agg.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07",
                                       basis=basis)  # fmt: skip
    return ledger, agg, granted["entitlement_id"]


def test_eight_threads_paying_one_beneficiary_no_double_payment_no_lost_write(database_url):
    ledger, agg, eid = elderly_on_store(database_url, datetime(2025, 1, 20, 9, tzinfo=UTC), "075030088888")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def pay(n: int, month: str) -> None:
        barrier.wait()
        try:
            ledger.record_payment(
                "po",
                payment_id=f"T{n}-{month}",
                beneficiary_id=agg.id,
                entitlement_id=eid,
                period=month,
                amount=500_000,
                paid_on="2025-01-10",
            )
            outcomes.append("ok")
        except Conflict:
            outcomes.append("refused")

    for months in (
        ["2024-08"] * 8,
        [f"2024-{m:02d}" for m in range(9, 13)] + [f"2024-0{m}" for m in (7, 8)] + ["2025-01", "2024-08"],
    ):
        outcomes.clear()
        threads = [threading.Thread(target=pay, args=(n, m)) for n, m in enumerate(months)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(outcomes) == 8
    state = ledger.beneficiary(agg.id)
    assert sorted(p for (_, p), v in state.paid.items() if v) == [
        "2024-07",
        "2024-08",
        "2024-09",
        "2024-10",
        "2024-11",
        "2024-12",
        "2025-01",
    ]
    assert all(v == 500_000 for v in state.paid.values())
    assert verify_streams(ledger).ok


def _tamper(database_url: str, stream_id: str, version: int) -> None:
    """Change the amount of one stored event directly in the database."""
    loc = parse_database_url(database_url)
    if loc.backend == "sqlite":
        conn = sqlite3.connect(loc.sqlite_path)
        state = conn.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (stream_id.replace("-", ""), version),
        ).fetchone()
        if state is None:
            state = conn.execute(
                "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
                (stream_id, version),
            ).fetchone()
        data = json.loads(state[0])
        data["amount"] = data["amount"] + 1_000_000
        conn.execute(
            "UPDATE stored_events SET state = ?"
            " WHERE originator_version = ? AND (originator_id = ? OR originator_id = ?)",
            (json.dumps(data).encode(), version, stream_id, stream_id.replace("-", "")),
        )
        conn.commit()
        conn.close()
        return
    with psycopg.connect(
        host=loc.host, port=loc.port, user=loc.user, dbname=loc.dbname, autocommit=True
    ) as conn:
        table = sql.Identifier(loc.schema, "benefits_ledger_events")
        row = conn.execute(
            sql.SQL("SELECT state FROM {} WHERE originator_id = %s AND originator_version = %s").format(
                table
            ),
            (stream_id, version),
        ).fetchone()
        assert row is not None
        data = json.loads(bytes(row[0]))
        data["amount"] = data["amount"] + 1_000_000
        conn.execute(
            sql.SQL("UPDATE {} SET state = %s WHERE originator_id = %s AND originator_version = %s").format(
                table
            ),
            (json.dumps(data).encode(), stream_id, version),
        )


def test_an_altered_stored_event_is_named_by_verify(database_url):
    ledger, agg, eid = elderly_on_store(database_url, datetime(2024, 9, 1, 9, tzinfo=UTC), "075130077777")
    for month in ("2024-07", "2024-08"):
        ledger.record_payment(
            "po",
            payment_id=f"V-{month}",
            beneficiary_id=agg.id,
            entitlement_id=eid,
            period=month,
            amount=500_000,
            paid_on=f"{month}-10",
        )
    clean = verify_streams(ledger)
    assert clean.ok
    assert clean.first_broken is None
    _tamper(database_url, str(agg.id), 3)  # the July payment
    report = verify_streams(ledger)
    assert not report.ok
    assert report.first_broken is not None
    assert (report.first_broken.stream_id, report.first_broken.version) == (str(agg.id), 3)
    assert "altered" in report.first_broken.problem
    assert report.events_checked == clean.events_checked
