"""Read models kept in proportion to the change: a payment event writes only its own rows, and whatever
the batches, the tables end equal to a rebuild from zero (which folds the log in memory and writes each
beneficiary once, its secondary indexes dropped for the load)."""

from __future__ import annotations

import contextlib
import itertools
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.values import Month
from ledger.bulk import BulkLoader
from projections.engine import ProjectionEngine, open_projections
from projections.views import ALL_TABLES, DUES_AHEAD
from tests import read_model_fixtures
from tests.support import (
    COMMUNE,
    OTHER_COMMUNE,
    FixedClock,
    basis,
    citizen_id,
    dump,
    martyr_relative,
    pay_in_month,
    register_person,
)

if TYPE_CHECKING:
    from ledger.application import BenefitsLedger

clock, ledger = read_model_fixtures.clock, read_model_fixtures.ledger  # January 2024, rates to June

SERIALS = itertools.count(300)


@pytest.fixture
def engine(ledger: BenefitsLedger, database_url: str) -> ProjectionEngine:
    eng = open_projections(ledger, database_url, batch_size=5)
    yield eng
    eng.store.close()


# ------------------------------------------------------------------ a payment writes its own rows only

IDENTITY = {"sqlite": "rowid", "postgres": "ctid::text"}
KEYED_TABLES = {  # the rows of one beneficiary, each with its key
    "rm_dues": "entitlement_id, period",
    "rm_payments": "payment_id",
    "rm_entitlements": "entitlement_id",
    "rm_places": "effective_from",
    "rm_cards": "card_number",
    "rm_recoveries": "recovery_id",
    "rm_problems": "entitlement_id",
}


def row_identities(engine: ProjectionEngine, beneficiary_id: object) -> dict[tuple[str, tuple], object]:
    """Each row of the beneficiary's tables: (table, its key) → its physical identity (a row deleted and
    inserted again gets another one)."""
    identity = IDENTITY[engine.store.dialect]
    out = {}
    with engine.store.read() as tx:
        for table, key in KEYED_TABLES.items():
            for row in tx.fetchall(
                f"SELECT {identity}, {key} FROM {table} WHERE beneficiary_id = ?",  # noqa: S608
                (str(beneficiary_id),),
            ):
                out[table, tuple(row[1:])] = row[0]
    return out


def test_a_payment_after_a_long_history_writes_only_its_own_rows(ledger, engine, clock):
    """Nine months paid, a card: October's payment (in the month of the last event) and, in December, a
    not-collected record (which moves the horizon on) leave every other row of that beneficiary where it
    was — not deleted and inserted again — and the tables equal a rebuild."""
    bid, eid = martyr_relative(ledger, "075150000901")
    for month in range(1, 10):
        pay_in_month(ledger, clock, bid, eid, f"2024-{month:02d}", 2_055_000)
    clock.set("2024-10-02")
    ledger.issue_card("officer", bid, card_number="TS2750000000901", valid_from="2024-01-01")
    other, _ = martyr_relative(ledger, "075150000902")
    engine.catch_up()
    ledger.relocate("officer", other, commune_code=OTHER_COMMUNE, effective_from="2024-10")
    engine.catch_up()  # the other person's rows written last: a re-inserted row could not get its old id
    before = row_identities(engine, bid)
    assert ("rm_dues", (eid, "2024-11")) in before  # the horizon: the month after the last event
    clock.set("2024-10-25")
    ledger.record_payment(
        "po", payment_id="P-NEXT", beneficiary_id=bid, entitlement_id=eid, period="2024-10",
        amount=2_055_000, paid_on="2024-10-25",
    )  # fmt: skip
    engine.catch_up()
    after = row_identities(engine, bid)
    changed = {("rm_dues", (eid, "2024-10")), ("rm_payments", ("P-NEXT",))}
    assert ("rm_dues", (eid, "2024-10")) in before
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert set(after) - set(before) == {("rm_payments", ("P-NEXT",))}

    # the horizon moves on to 2025-01: the dues lines, DUES_AHEAD months past it, gain two months
    clock.set("2024-12-03")
    ledger.record_not_collected("po", beneficiary_id=bid, entitlement_id=eid, period="2024-11")
    engine.catch_up()
    later = row_identities(engine, bid)
    assert {k: v for k, v in later.items() if k in after and k != ("rm_dues", (eid, "2024-11"))} == {
        k: v for k, v in after.items() if k != ("rm_dues", (eid, "2024-11"))
    }
    gained = {("rm_dues", (eid, str(Month(2024, 12).plus(n + DUES_AHEAD)))) for n in (0, 1)}
    assert set(later) - set(after) == gained
    caught_up = dump(engine)
    engine.rebuild()
    assert dump(engine) == caught_up


def test_a_gift_to_a_long_history_writes_only_the_rows_it_changes(ledger, engine, clock):
    """A one-off grant (the Tết gift of a campaign to everyone) is not a payment: the beneficiary's rows
    are computed whole — and only those that differ are written (its entitlement, its dues line, the
    summary); the nine months of dues lines and payments stay where they were, and the tables equal a
    rebuild."""
    bid, eid = martyr_relative(ledger, "075150000903")
    for month in range(1, 10):
        pay_in_month(ledger, clock, bid, eid, f"2024-{month:02d}", 2_055_000)
    other, _ = martyr_relative(ledger, "075150000904")
    engine.catch_up()
    ledger.relocate("officer", other, commune_code=OTHER_COMMUNE, effective_from="2024-09")
    engine.catch_up()  # the other person's rows written last: a re-inserted row could not get its old id
    before = row_identities(engine, bid)
    granted = ledger.grant_entitlement(
        "officer", bid, scheme="GIFT", effective_from="2024-09", basis=basis("2024-09-01"),
        params={"amount": 300_000, "funding_source": "province", "occasion": "tet"},
    )  # fmt: skip
    engine.catch_up()
    after = row_identities(engine, bid)
    gift = granted["entitlement_id"]
    assert set(after) - set(before) == {("rm_entitlements", (gift,)), ("rm_dues", (gift, "once"))}
    assert {k: v for k, v in after.items() if k in before} == before
    caught_up = dump(engine)
    engine.rebuild()
    assert dump(engine) == caught_up


# ------------------------------------------------------------------ any batches: equal to a rebuild

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["pay", "pay", "pay_part", "not_collected", "reverse", "deduct", "recover", "death", "grant",
             "adjust", "relocate", "rate", "later", "catch_up", "catch_up"]
        ),
        st.integers(0, 2),  # which person
        st.integers(1, 14),  # which month (from 2024-01)
        st.integers(1, 9),  # a small parameter: an amount, a batch size, an entitlement
    ),
    min_size=15,
    max_size=60,
)  # fmt: skip


class History:
    """Three people (two relatives of martyrs, an 80+ recipient) and the operations run on them."""

    def __init__(self, ledger: BenefitsLedger, engine: ProjectionEngine, clock: FixedClock, tag: str) -> None:
        self.ledger, self.engine, self.clock, self.tag = ledger, engine, clock, tag
        self.cold = False
        self.now = Month(2024, 3)
        clock.set("2024-01-05")
        self.people: list[tuple[str, list[str]]] = []
        for _ in range(2):
            bid, eid = martyr_relative(ledger, f"075150{next(SERIALS):06d}")
            self.people.append((str(bid), [eid]))
        elderly = register_person(
            ledger, birth_year=1935, sex="female", citizen_id=citizen_id(1935, "female", serial=next(SERIALS))
        )
        granted = ledger.grant_entitlement(
            "officer", elderly, scheme="BTXH_ELDERLY_80", effective_from="2024-01", basis=basis("2024-01-03")
        )
        self.people.append((elderly, [granted["entitlement_id"]]))
        self.paid: list[str] = []
        self.clock.set(f"{self.now}-05")
        for bid, eids in self.people:  # January and March paid, February owed
            self.pay(bid, eids, Month(2024, 1), 0)
            self.pay(bid, eids, Month(2024, 3), 0)

    def run(self, op: str, who: int, month: int, small: int) -> None:
        """One operation; refusals by the ledger's rules are part of the game."""
        with contextlib.suppress(DomainError):
            getattr(self, op)(*self.people[who], Month(2024, 1).plus(month - 1), small)

    def pay(self, bid: str, eids: list[str], month: Month, small: int, *, part: bool = False) -> None:
        eid = eids[small % len(eids)]
        agg = self.ledger.beneficiary(bid)
        one_off = not agg.entitlements[eid].scheme.monthly
        item = agg.due_item(eid, "once" if one_off else str(month), self.ledger.rates())
        amount = max(item.outstanding // (small + 1), 1) if part else item.outstanding
        pid = f"{self.tag}-{len(self.paid)}"
        self.ledger.record_payment(
            "po", payment_id=pid, beneficiary_id=bid, entitlement_id=eid,
            period=None if one_off else str(month), amount=amount, paid_on=self.ledger.today().isoformat(),
        )  # fmt: skip
        self.paid.append(pid)

    def pay_part(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        self.pay(bid, eids, month, small, part=True)

    def not_collected(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        self.ledger.record_not_collected(
            "po", beneficiary_id=bid, entitlement_id=eids[small % len(eids)], period=str(month)
        )

    def reverse(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        del bid, eids, month
        if self.paid:
            self.ledger.reverse_payment("po", self.paid[small % len(self.paid)], reason="ghi nhầm")

    def deduct(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        del eids, month
        self.ledger.record_recovery("po", bid, amount=small * 10_000, method="deduction")

    def recover(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        del eids, month
        self.ledger.record_recovery("po", bid, amount=small * 10_000, method="cash")

    def death(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        """Died in ``month``, or before the last month paid (what was paid after it is overpaid)."""
        del eids
        paid = [p.period for p in self.ledger.beneficiary(bid).payments.values() if p.period != "once"]
        if paid and small % 3:
            month = min(month, Month.parse(max(paid)).plus(-1))
        self.ledger.record_death("officer", bid, date_of_death=f"{month}-{small + 10:02d}")

    def grant(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        del month
        granted = self.ledger.grant_entitlement(
            "officer", bid, scheme="GIFT", effective_from=str(self.now), basis=basis(f"{self.now}-01"),
            params={"amount": small * 100_000, "funding_source": "province", "occasion": "tet"},
        )  # fmt: skip
        eids.append(granted["entitlement_id"])

    def adjust(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        self.ledger.adjust_entitlement(
            "officer", bid, eids[0], effective_from=str(month), params={"martyrs": small % 3 + 1},
            basis=basis("2024-01-03"),
        )  # fmt: skip

    def relocate(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        del eids
        commune = OTHER_COMMUNE if small % 2 else COMMUNE
        self.ledger.relocate("officer", bid, commune_code=commune, effective_from=str(month))

    def rate(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        del bid, eids
        self.ledger.amend_rate(
            "admin", "NCC_STANDARD", effective_from=str(month), amount=2_000_000 + small * 100_000,
            legal_basis=f"test decree {self.tag}-{month}",
        )  # fmt: skip

    def later(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        del bid, eids, month
        self.now = self.now.plus(1 + small % 2)
        self.clock.set(f"{self.now}-{small + 3:02d}")

    def catch_up(self, bid: str, eids: list[str], month: Month, small: int) -> None:
        del bid, eids, month
        self.engine.batch_size = small
        if self.cold:  # as a process that has just started: every state read again, in bulk
            self.engine._states.clear()  # the cache a new process does not have
        self.engine.catch_up()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS, seed=st.integers(0, 10**6))
def test_caught_up_in_any_batches_the_tables_equal_a_rebuild(ledger, engine, clock, operations, seed):
    """Random histories (payments in full and in part, not collected, reversals, deductions and cash
    recoveries, deaths, one-off grants, adjustments, relocations, rate amendments, the months going by)
    caught up at random points in random batch sizes: every read-model table holds exactly the rows a
    rebuild from zero writes."""
    history = History(ledger, engine, clock, f"C{seed}-{next(SERIALS)}")
    for operation in operations:
        history.run(*operation)
    engine.catch_up()
    caught_up = dump(engine)
    engine.rebuild()
    assert dump(engine) == caught_up


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS, seed=st.integers(0, 10**6))
def test_caught_up_cold_with_states_and_rows_in_bulk_the_tables_equal_a_rebuild(
    ledger, engine, clock, monkeypatch, operations, seed
):
    """The same, with nothing held between catch-ups and every bulk path taken at any size: each batch
    reads its beneficiaries' states at the version before it in bulk (``BulkLoader.load_at``, snapshots
    at or below that version) and writes its rows by the staged set statements (``Tx.upsert_rows``,
    ``update_rows``, ``delete_rows``)."""
    monkeypatch.setattr("projections.engine.BULK_STATES", 1)
    monkeypatch.setattr("ledger.adapters.sqlstore.STAGED_ROWS", 1)
    loaded: list[int] = []
    real = BulkLoader.load_at

    def load_at(loader: BulkLoader, versions: dict) -> dict:
        found = real(loader, versions)
        loaded.append(len(found))
        return found

    monkeypatch.setattr(BulkLoader, "load_at", load_at)
    history = History(ledger, engine, clock, f"K{seed}-{next(SERIALS)}")
    history.cold = True
    history.catch_up("", [], history.now, 3)
    first = engine.position()
    for operation in operations:
        history.run(*operation)
    history.catch_up("", [], history.now, 3)
    if engine.position() > first:
        assert sum(loaded) > 0  # the states came in bulk
    caught_up = dump(engine)
    engine.rebuild()
    assert dump(engine) == caught_up


# ------------------------------------------------------------------ the rebuild's load


def secondary_indexes(engine: ProjectionEngine) -> list[tuple[str, str]]:
    with engine.store.read() as tx:
        return tx.secondary_indexes(ALL_TABLES)


def test_a_rebuild_creates_the_indexes_it_dropped_and_a_failed_one_changes_nothing(
    ledger, engine, clock, monkeypatch
):
    """The read models' secondary indexes are there after a rebuild (dropped for the load only); a
    rebuild that fails while writing the beneficiaries leaves the tables, their indexes and the tracked
    position as they were."""
    bid, eid = martyr_relative(ledger, "075150000903")
    for month in range(1, 4):
        pay_in_month(ledger, clock, bid, eid, f"2024-{month:02d}", 2_055_000)
    engine.catch_up()
    indexes = secondary_indexes(engine)
    assert {"rm_dues_period", "rm_audit_stream", "rm_payments_item"} <= {name for name, _ in indexes}
    tables, position = dump(engine), engine.position()
    engine.rebuild()
    assert engine.position() == position
    assert secondary_indexes(engine) == indexes
    assert dump(engine) == tables

    def broken(*_: object, **__: object) -> None:
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(ProjectionEngine, "_write_beneficiaries", staticmethod(broken))
    with pytest.raises(OSError, match="disk full"):
        engine.rebuild()
    monkeypatch.undo()
    assert secondary_indexes(engine) == indexes
    assert dump(engine) == tables
    assert engine.position() == position
