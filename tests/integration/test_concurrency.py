"""Concurrent writers on one beneficiary's stream — ghi đồng thời.

Eight threads released together by a barrier record payments for the same beneficiary, through one
shared ledger instance and through one ledger instance per thread (as separate API workers would),
on SQLite and PostgreSQL:

* the same entitlement-month under eight payment ids: exactly one is recorded, seven are refused;
* eight different months: all eight are recorded (no write is lost), versions stay contiguous;
* the same payment id with the same body eight times: recorded once, the others are retries;
* all of those at once;

and a payment id raced for by eight beneficiaries, one decree entered eight times, eight ledgers opening
a new store together, and a save that fails halfway (nothing kept, the retry records once).

Afterwards the stream holds exactly the payments the answers claim, every claimed payment id belongs to
a recorded payment (no orphan claim from a refused attempt), and the hash chain verifies.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from domain.beneficiary import Beneficiary
from domain.errors import Conflict
from domain.events import event_content_hash
from ledger.application import BenefitsLedger, open_ledger
from ledger.config import parse_database_url
from ledger.integrity import verify_streams

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

THREADS = 8
COMMUNE = "26041"
NOW = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
MONTHLY = 500_000  # BTXH 80+ (coefficient 1.0) at the 500,000 standard from 2024-07
MONTHS = [f"2024-{m:02d}" for m in range(7, 13)] + ["2025-01", "2025-02"]
BASIS = {"decision_no": "15/QĐ-UBND", "decision_date": "2024-07-01", "issuer": "UBND phường Trấn Biên"}


@dataclass
class Setup:
    """A store with the reference rates, one beneficiary and one BTXH 80+ entitlement from 2024-07."""

    url: str
    beneficiary_id: Any
    entitlement_id: str


def _open(url: str) -> BenefitsLedger:
    return open_ledger(url, clock=lambda: NOW)


@pytest.fixture
def setup(database_url: str) -> Setup:
    app = _open(database_url)
    try:
        app.seed_reference_rates()
        person = app.register_beneficiary(
            "can_bo",
            kind="social_assistance",
            full_name="Phạm Thị Mười",
            commune_code=COMMUNE,
            citizen_id="075140012345",
            date_of_birth="1940-02-02",
        )
        eid = app.grant_entitlement(
            "can_bo", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=BASIS
        )["entitlement_id"]
        assert app.beneficiary_view(person.id)["entitlements"][0]["monthly_amount"] == MONTHLY
    finally:
        app.close()
    return Setup(database_url, person.id, eid)


@pytest.fixture(params=["shared", "per_thread"])
def ledgers(request: pytest.FixtureRequest, setup: Setup) -> Iterator[list[BenefitsLedger]]:
    """Eight handles on the store: one shared instance, or one instance each (opened concurrently)."""
    with ExitStack() as stack:
        if request.param == "shared":
            app = _open(setup.url)
            stack.callback(app.close)
            yield [app] * THREADS
            return
        opened: list[BenefitsLedger | None] = [None] * THREADS

        def open_one(n: int) -> None:
            opened[n] = _open(setup.url)

        run_together(open_one)
        apps = [a for a in opened if a is not None]
        for app in apps:
            stack.callback(app.close)
        assert len(apps) == THREADS
        yield apps


def run_together(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(n)`` in eight threads released at once; return each result or the exception raised."""
    barrier = threading.Barrier(THREADS, timeout=60)
    results: list[Any] = [None] * THREADS

    def target(n: int) -> None:
        barrier.wait()
        try:
            results[n] = work(n)
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            results[n] = error

    threads = [threading.Thread(target=target, args=(n,), name=f"writer-{n}") for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), f"{thread.name} is stuck"
    return results


def pay(app: BenefitsLedger, setup: Setup, payment_id: str, month: str) -> tuple[bool, dict[str, Any]]:
    return app.record_payment(
        "can_bo_chi_tra",
        payment_id=payment_id,
        beneficiary_id=setup.beneficiary_id,
        entitlement_id=setup.entitlement_id,
        period=month,
        amount=MONTHLY,
        paid_on="2025-03-10",
    )


def unexpected(results: list[Any]) -> list[Any]:
    """Outcomes that are neither an answer nor a Conflict (e.g. "database is locked")."""
    return [r for r in results if isinstance(r, BaseException) and not isinstance(r, Conflict)]


def check_stream(app: BenefitsLedger, setup: Setup) -> tuple[Beneficiary, list[Any]]:
    """The stored stream: contiguous versions, an intact chain, a paid map matching the payments."""
    events = app.stream_events(setup.beneficiary_id)
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    previous = ""
    for event in events:
        assert event.prev_hash == previous
        assert event_content_hash(event) == event.event_hash
        previous = event.event_hash
    state = app.beneficiary(setup.beneficiary_id)
    assert state.version == len(events)
    payments = [e for e in events if isinstance(e, Beneficiary.PaymentRecorded)]
    assert sorted(state.payments) == sorted(e.payment_id for e in payments)
    # Every recorded payment id (the write side's key) names a payment of this stream, and the other way
    # round; the stream's positions add up to what its payments say.
    for event in payments:
        recorded = app.recorded_payment(event.payment_id)
        assert recorded is not None
        assert (recorded.beneficiary_id, recorded.period, recorded.amount) == (
            setup.beneficiary_id,
            event.period,
            event.amount,
        )
    report = verify_streams(app)
    assert report.ok, report.as_dict()
    return state, payments


def test_the_same_month_under_eight_payment_ids_is_paid_once(ledgers, setup):
    results = run_together(lambda n: pay(ledgers[n], setup, f"same-month-{n}", "2024-09"))
    assert unexpected(results) == []
    winners = [n for n, r in enumerate(results) if not isinstance(r, BaseException)]
    assert len(winners) == 1, results
    assert results[winners[0]][0] is True
    refusals = [r for r in results if isinstance(r, Conflict)]
    assert len(refusals) == THREADS - 1
    assert all(r.field == "period" and "already paid" in r.message for r in refusals)
    state, payments = check_stream(ledgers[0], setup)
    assert [(e.payment_id, e.period, e.amount) for e in payments] == [
        (f"same-month-{winners[0]}", "2024-09", MONTHLY)
    ]
    assert state.paid == {(setup.entitlement_id, "2024-09"): MONTHLY}
    # A refused attempt leaves no claim on its payment id: the id is still free for a real payment.
    for n in set(range(THREADS)) - set(winners):
        assert ledgers[0].recorded_payment(f"same-month-{n}") is None


def test_eight_different_months_are_all_recorded(ledgers, setup):
    results = run_together(lambda n: pay(ledgers[n], setup, f"month-{MONTHS[n]}", MONTHS[n]))
    assert [r if isinstance(r, BaseException) else r[0] for r in results] == [True] * THREADS
    state, payments = check_stream(ledgers[0], setup)
    assert len(payments) == THREADS
    assert sorted(e.period for e in payments) == MONTHS
    assert state.version == 2 + THREADS  # registered, granted, eight payments
    assert state.paid == {(setup.entitlement_id, m): MONTHLY for m in MONTHS}


def test_eight_retries_of_one_payment_record_it_once(ledgers, setup):
    results = run_together(lambda n: pay(ledgers[n], setup, "retried-once", "2024-10"))
    assert unexpected(results) == []
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert Counter(r[0] for r in results) == Counter({True: 1, False: THREADS - 1})
    assert all(r[1] == results[0][1] for r in results)  # every answer shows the same payment
    assert results[0][1]["payment_id"] == "retried-once"
    _, payments = check_stream(ledgers[0], setup)
    assert [(e.payment_id, e.period) for e in payments] == [("retried-once", "2024-10")]


def test_a_mix_of_all_three_at_once(ledgers, setup):
    """Three threads race for one month, three retry one payment, two pay months of their own."""
    plan = [
        ("race-0", "2024-07"),
        ("race-1", "2024-07"),
        ("race-2", "2024-07"),
        ("retry", "2024-08"),
        ("retry", "2024-08"),
        ("retry", "2024-08"),
        ("own-11", "2024-11"),
        ("own-12", "2024-12"),
    ]
    results = run_together(lambda n: pay(ledgers[n], setup, *plan[n]))
    assert unexpected(results) == []
    race, retry, own = results[:3], results[3:6], results[6:]
    assert sum(not isinstance(r, BaseException) for r in race) == 1
    assert sum(isinstance(r, Conflict) for r in race) == 2
    assert Counter(r[0] for r in retry) == Counter({True: 1, False: 2})
    assert [r[0] for r in own] == [True, True]
    state, payments = check_stream(ledgers[0], setup)
    assert sorted(e.period for e in payments) == ["2024-07", "2024-08", "2024-11", "2024-12"]
    assert len(payments) == 4
    assert state.version == 2 + 4


def test_eight_registrations_of_one_citizen_id_register_one_person(ledgers, setup):
    """The uniqueness claim on a citizen ID holds under a race: one stream, seven refusals."""

    def register(n: int) -> Beneficiary:
        return ledgers[n].register_beneficiary(
            "can_bo",
            kind="social_assistance",
            full_name=f"Người thứ {n}",
            commune_code=COMMUNE,
            citizen_id="075150054321",
        )

    results = run_together(register)
    assert unexpected(results) == []
    registered = [r for r in results if isinstance(r, Beneficiary)]
    assert len(registered) == 1
    refusals = [r for r in results if isinstance(r, Conflict)]
    assert len(refusals) == THREADS - 1
    assert all(r.field == "citizen_id" for r in refusals)
    app = ledgers[0]
    assert app.find_by_citizen_id("075150054321").id == registered[0].id
    names = [
        n.originator_id
        for n in app.recorder.select_notifications(1, 10_000)
        if n.topic.endswith("BeneficiaryRegistered")
    ]
    assert len(names) == 2  # the setup's beneficiary and the winner: the losers stored nothing
    assert verify_streams(app).ok


def test_one_payment_id_raced_for_eight_beneficiaries_goes_to_one(ledgers, setup):
    """A payment id is unique across the whole ledger, also when eight streams claim it at once."""
    app = ledgers[0]
    people = []
    for n in range(THREADS):
        person = app.register_beneficiary(
            "can_bo",
            kind="social_assistance",
            full_name=f"Người nhận {n}",
            commune_code=COMMUNE,
            citizen_id=f"075030{n:06d}",
        )
        eid = app.grant_entitlement(
            "can_bo", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=BASIS
        )["entitlement_id"]
        people.append(Setup(setup.url, person.id, eid))
    results = run_together(lambda n: pay(ledgers[n], people[n], "shared-id", "2024-12"))
    assert unexpected(results) == []
    winners = [n for n, r in enumerate(results) if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(r.field == "payment_id" for r in results if isinstance(r, Conflict))
    recorded = app.recorded_payment("shared-id")
    assert recorded is not None
    assert recorded.beneficiary_id == people[winners[0]].beneficiary_id
    for n, person in enumerate(people):
        assert len(check_stream(app, person)[1]) == (1 if n == winners[0] else 0)


def test_eight_identical_rate_amendments_record_one(ledgers, setup):
    """A decree entered eight times at once is one amendment; the others answer "already recorded"."""
    results = run_together(
        lambda n: ledgers[n].amend_rate(
            "quan_tri",
            "BTXH_STANDARD",
            effective_from="2025-01",
            amount=600_000,
            legal_basis="NĐ thử nghiệm 2025",
        )
    )
    assert unexpected(results) == []
    assert Counter(r["recorded"] for r in results) == Counter({True: 1, False: THREADS - 1})
    app = ledgers[0]
    schedule = app.rate_schedule("BTXH_STANDARD")
    assert schedule is not None
    assert [(str(e.effective_from), e.amount) for e in schedule.entries][-1] == ("2025-01", 600_000)
    assert sum(str(e.effective_from) == "2025-01" for e in schedule.entries) == 1
    assert app.beneficiary(setup.beneficiary_id).due_amount(setup.entitlement_id, "2025-01", app.rates()) == (
        600_000
    )
    assert verify_streams(app).ok


def test_eight_ledgers_opening_at_once_on_a_new_store(database_url):
    """Workers starting together on an empty store all open it (on PostgreSQL the event table and
    its function are created once, under an advisory lock), then write and verify."""
    opened = run_together(lambda n: _open(database_url))
    apps = [a for a in opened if isinstance(a, BenefitsLedger)]
    try:
        assert [type(a).__name__ for a in opened] == ["BenefitsLedger"] * THREADS
        # opening recorded the packaged rates once between them: 2 schedules opened, 5 standards, the
        # NCC tables' stream opened and its 3 editions
        assert apps[0].seed_reference_rates() == 0
        assert verify_streams(apps[3]).ok
        assert verify_streams(apps[3]).events_checked == 11
    finally:
        for app in apps:
            app.close()


# ------------------------------------------------------------------------------------ a failing save


def _sql(url: str, statements: list[str]) -> None:
    """Run DDL on the store behind the ledger's back (``{schema}`` is the PostgreSQL schema)."""
    loc = parse_database_url(url)
    if loc.backend == "sqlite":
        with sqlite3.connect(loc.sqlite_path, timeout=30) as conn:
            for statement in statements:
                conn.execute(statement)
        return
    with psycopg.connect(
        host=loc.host, port=loc.port, user=loc.user, password=loc.password or None, dbname=loc.dbname
    ) as conn:
        for statement in statements:
            conn.execute(statement.replace("{schema}", f'"{loc.schema}"'))  # type: ignore[arg-type]


FAIL_CLAIMS = {
    "sqlite": [
        (
            "CREATE TRIGGER fail_claims BEFORE INSERT ON payment_ids "
            "BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END"
        )
    ],
    "postgres": [
        (
            "CREATE FUNCTION {schema}.fail_claims() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'disk full (simulated)'; "
            "RETURN NEW; END $$"
        ),
        (
            "CREATE TRIGGER fail_claims BEFORE INSERT ON {schema}.benefits_ledger_events_payment_ids "
            "FOR EACH ROW EXECUTE FUNCTION {schema}.fail_claims()"
        ),
    ],
}
HEAL = {"sqlite": ["DROP TRIGGER fail_claims"], "postgres": ["DROP FUNCTION {schema}.fail_claims() CASCADE"]}


def test_a_save_failing_midway_records_nothing_and_the_retry_records_once(setup):
    """The payment and its payment-id row (the write side) are one transaction: when the store fails on
    that row (after the payment's event was written), neither is kept; the same request later records
    once."""
    backend = parse_database_url(setup.url).backend
    app = _open(setup.url)
    app.MAX_ATTEMPTS = 2  # the simulated failure is not a write conflict: do not wait through retries
    try:
        before = app.beneficiary(setup.beneficiary_id).version
        _sql(setup.url, FAIL_CLAIMS[backend])
        with pytest.raises(Exception, match=r"disk full|changed by someone else") as failure:
            pay(app, setup, "fault-1", "2024-11")
        assert not isinstance(failure.value, AssertionError)
        state = app.beneficiary(setup.beneficiary_id)
        assert state.version == before
        assert "fault-1" not in state.payments
        assert app.recorded_payment("fault-1") is None
        assert verify_streams(app).ok
        _sql(setup.url, HEAL[backend])
        assert pay(app, setup, "fault-1", "2024-11")[0] is True
        assert pay(app, setup, "fault-1", "2024-11")[0] is False
        _, payments = check_stream(app, setup)
        assert [e.payment_id for e in payments] == ["fault-1"]
    finally:
        app.close()
