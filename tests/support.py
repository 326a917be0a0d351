"""Small builders shared by the value, catalogue, worked-example and command tests.

* :class:`FixedClock` — a clock the test moves by hand (``clock.now = ...`` or ``clock.set("2024-08-05")``);
* :func:`basis` — a legal basis (decision number, date, issuer) signed on a given day;
* :func:`citizen_id` — a structurally valid 12-digit citizen ID for a birth year and sex;
* :func:`open_test_ledger` — the ledger on a store URL with the fixed clock and the packaged rates seeded;
* :func:`register_person` / :func:`grant` / :func:`pay` — the commands the examples repeat, with defaults;
* :func:`log_position` / :func:`records_nothing` — the event log's head, to show that a refused command
  recorded nothing;
* :func:`ctx` / :func:`person` / :func:`due` — the pure aggregate without a store (a record context, a
  registered person, the amount due), for the rules that need no database;
* :func:`amount` / :func:`book` — a scheme's amount for a month straight from the catalogue, and a rate book
  of the packaged standards plus a decree or provincial override;
* :func:`martyr_relative` / :func:`pay_in_month` — the roster examples' martyr's relative and payments made
  on the 10th of their month.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest

from domain.beneficiary import Beneficiary
from domain.catalogue import (
    RateBook,
    RateEntry,
    get_scheme,
    reference_rate_book,
    scheme_components,
    validate_params,
)
from domain.events import RecordContext
from domain.values import Month
from ledger.application import BenefitsLedger, open_ledger
from ledger.signing import generate_key_file, load_signer
from projections.views import ALL_TABLES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path

    from projections.engine import ProjectionEngine

COMMUNE = "26041"  # Phường Trấn Biên, Đồng Nai (province 75)
OTHER_COMMUNE = "25210"  # Phường Đồng Xoài, Đồng Nai: where relocations go
PROVINCE = "75"
OFFICER = "officer"


class FixedClock:
    """A clock that only moves when the test says so; calling it returns the current ``now``."""

    def __init__(self, now: datetime | str = "2024-03-20") -> None:
        self.now = self._moment(now)

    @staticmethod
    def _moment(value: datetime | date | str) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)

    def set(self, value: datetime | date | str) -> datetime:
        """Move the clock to ``value`` (a date means 09:00 UTC that day)."""
        self.now = self._moment(value)
        return self.now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Tick:
    """A clock in seconds (the throttle's, the page sessions'), moved by the test."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


def basis(day: str = "2024-03-15", number: str = "01/QĐ-UBND", issuer: str = "UBND tỉnh Đồng Nai") -> dict:
    """A legal basis: decision ``number`` signed on ``day`` by ``issuer``."""
    return {"decision_no": number, "decision_date": day, "issuer": issuer}


_serials = itertools.count(1)


def citizen_id(
    birth_year: int = 1940, sex: str = "male", province: int = 75, serial: int | None = None
) -> str:
    """A valid citizen ID: province of birth + century/sex digit + 2-digit year + 6-digit serial."""
    century_digit = 2 * ((birth_year - 1900) // 100) + (1 if sex == "female" else 0)
    number = next(_serials) if serial is None else serial
    return f"{province:03d}{century_digit}{birth_year % 100:02d}{number:06d}"


def open_test_ledger(
    database_url: str, clock: FixedClock, *, seed: bool = True, seed_until: Month | None = None
) -> BenefitsLedger:
    """The ledger on ``database_url`` with ``clock``; the packaged standards seeded (up to ``seed_until``)."""
    app = open_ledger(database_url, clock=clock, seed_reference=seed and seed_until is None)
    if seed and seed_until is not None:
        app.seed_reference_rates(until=seed_until)
    return app


BEFORE_THE_2024_DECREES = "standard unchanged until the July 2024 decrees are entered (test)"


def record_standards_before_july_2024(app: BenefitsLedger) -> None:
    """A store as it stood before the July 2024 decrees were entered: the packaged standards up to
    2024-06, and for 2024-07 the old standards again, recorded by an administrator — so that opening the
    store (which records missing packaged standards) leaves July alone, and a test can enter the decree
    itself (arrears follow)."""
    app.seed_reference_rates(until=Month(2024, 6))
    for schedule, amount in (("NCC_STANDARD", 2_055_000), ("BTXH_STANDARD", 360_000)):
        app.amend_rate(
            "admin", schedule, effective_from="2024-07", amount=amount, legal_basis=BEFORE_THE_2024_DECREES
        )


@contextlib.contextmanager
def ledger_on(
    database_url: str, clock: FixedClock, *, seed: bool = True, seed_until: Month | None = None
) -> Iterator[BenefitsLedger]:
    """:func:`open_test_ledger`, closed afterwards (so that the test's PostgreSQL schema can be dropped)."""
    app = open_test_ledger(database_url, clock, seed=seed, seed_until=seed_until)
    try:
        yield app
    finally:
        if app._documents is not None:
            app._documents.store.close()
        app.close()


def ledger_with_rates_to_june_2024(database_url: str, clock: FixedClock) -> BenefitsLedger:
    """A ledger whose packaged rates are recorded up to 2024-06 (its decrees of July 2024 left for the
    test to enter), on ``clock`` — the read-model tests' store."""
    opened = open_ledger(database_url, clock=clock, seed_reference=False)
    opened.seed_reference_rates(until=Month(2024, 6))
    return opened


def register_person(
    app: BenefitsLedger,
    *,
    kind: str = "social_assistance",
    birth_year: int = 1940,
    sex: str = "male",
    full_name: str = "Nguyễn Văn An",
    commune_code: str = COMMUNE,
    **fields: Any,
) -> str:
    """Register a person born on 1 January ``birth_year`` and return the beneficiary id."""
    fields.setdefault("citizen_id", citizen_id(birth_year, sex))
    fields.setdefault("date_of_birth", f"{birth_year}-01-01")
    agg = app.register_beneficiary(
        OFFICER, kind=kind, full_name=full_name, commune_code=commune_code, sex=sex, **fields
    )
    return str(agg.id)


def grant(
    app: BenefitsLedger,
    beneficiary_id: str,
    scheme: str,
    effective_from: str = "2024-03",
    *,
    signed: str = "2024-03-15",
    params: dict | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Grant ``scheme`` by a decision signed on ``signed``; returns the entitlement view."""
    return app.grant_entitlement(
        OFFICER,
        beneficiary_id,
        scheme=scheme,
        effective_from=effective_from,
        basis=basis(signed),
        params=params,
        **kwargs,
    )


_payment_ids = itertools.count(1)


def pay(
    app: BenefitsLedger,
    beneficiary_id: str,
    entitlement_id: str,
    period: str | None,
    amount: int,
    *,
    payment_id: str | None = None,
    paid_on: str | None = None,
    **kwargs: Any,
) -> tuple[bool, dict[str, Any]]:
    """Record a payment (paid today by the ledger's clock unless ``paid_on`` is given)."""
    return app.record_payment(
        "payer",
        payment_id=payment_id or f"P-{next(_payment_ids)}",
        beneficiary_id=beneficiary_id,
        entitlement_id=entitlement_id,
        period=period,
        amount=amount,
        paid_on=paid_on or app.today().isoformat(),
        **kwargs,
    )


def recipient_who_died_in_september(app: BenefitsLedger, clock: FixedClock) -> tuple[str, str]:
    """A 500,000 recipient (80+) paid for October and November before her death on 2024-09-20 is known."""
    bid = register_person(app, birth_year=1935, sex="female", full_name="Trần Thị Bình")
    eid = grant(app, bid, "BTXH_ELDERLY_80", effective_from="2024-03")["entitlement_id"]
    for day, month in (("2024-10-10", "2024-10"), ("2024-11-10", "2024-11")):
        clock.set(day)
        pay(app, bid, eid, month, 500_000)
    clock.set("2024-11-25")
    return bid, eid


def log_position(app: BenefitsLedger) -> int:
    """The id of the last event in the log (a refused command must leave it unchanged)."""
    return app.recorder.max_notification_id() or 0


@contextlib.contextmanager
def records_nothing(
    app: BenefitsLedger, error: type[Exception], *, field: str | None = None, match: str | None = None
) -> Iterator[pytest.ExceptionInfo[Exception]]:
    """Expect the block to be refused with ``error`` (naming ``field``), the event log left as it was."""
    head = log_position(app)
    with pytest.raises(error, match=match) as info:
        yield info
    if field is not None:
        assert getattr(info.value, "field", None) == field, info.value
    assert log_position(app) == head, "a refused command recorded something"


def _run_at_barrier(work: Callable[[str], object], url: str, barrier: Any, errors: Any) -> None:
    try:
        barrier.wait()
        work(url)
    except Exception as error:  # noqa: BLE001 - reported to the parent
        errors.put(repr(error))


def run_in_processes_at_once(work: Callable[[str], object], url: str, processes: int = 8) -> list[str]:
    """Run ``work(url)`` in ``processes`` forked processes released at one moment; the errors they met
    (empty if none), after checking that every process ended with status 0."""
    ctx = multiprocessing.get_context("fork")
    barrier, errors = ctx.Barrier(processes), ctx.Queue()
    workers = [
        ctx.Process(target=_run_at_barrier, args=(work, url, barrier, errors)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    found = []
    while not errors.empty():
        found.append(errors.get())
    if not found:
        assert [w.exitcode for w in workers] == [0] * processes
    return found


def dump(engine: ProjectionEngine) -> dict[str, list[tuple[object, ...]]]:
    """Every read-model table, sorted, for comparison."""
    out = {}
    with engine.store.read() as tx:
        for table in ALL_TABLES:
            out[table] = sorted(tx.fetchall(f"SELECT * FROM {table}"), key=repr)  # noqa: S608
    return out


def months(first: int, last: int, year: int = 2024) -> list[str]:
    """The months ``first``..``last`` of ``year`` as ``YYYY-MM``."""
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


# --- the pure aggregate, without a store -----------------------------------------------------------

BASIS = basis(issuer="UBND phường Trấn Biên")


def ctx(day: str = "2024-03-20", actor: str = "officer") -> RecordContext:
    """Recorded by ``actor`` at 09:00 UTC on ``day``."""
    return RecordContext(actor, datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC))


def person(
    kind: str = "social_assistance", citizen_id: str = "075030012345", dob: str = "1930-02-01"
) -> Beneficiary:
    """A beneficiary registered on 2024-01-02 in :data:`COMMUNE`, as a pure aggregate."""
    return Beneficiary.register(
        ctx("2024-01-02"),
        beneficiary_id=uuid4(),
        kind=kind,
        full_name="Nguyễn Thị Lan",
        commune_code=COMMUNE,
        province_code="75",
        citizen_id=citizen_id,
        date_of_birth=dob,
    )


def due(agg: Beneficiary, eid: str, period: str, rates: RateBook | None = None) -> int:
    """What ``agg`` is due for entitlement ``eid`` in ``period`` (the packaged rates unless given)."""
    return agg.due_amount(eid, period, rates or reference_rate_book())


# --- the catalogue ---------------------------------------------------------------------------------


def amount(code: str, month: Month, params: dict | None = None, rates: RateBook | None = None, **kw) -> int:
    """The amount scheme ``code`` computes for ``month`` with ``params`` (the packaged rates unless given)."""
    scheme = get_scheme(code)
    parts = scheme_components(
        scheme, validate_params(scheme, params), month, rates or reference_rate_book(), **kw
    )
    return sum(p.amount for p in parts)


def book(*entries: tuple[str, str, int, str | None]) -> RateBook:
    """A rate book with the packaged standards plus ``(schedule, YYYY-MM, amount, province)`` entries."""
    extra = [RateEntry(s, Month.parse(m), a, "test", province=p) for s, m, a, p in entries]
    return reference_rate_book().with_entries(extra)


# --- the roster examples ---------------------------------------------------------------------------


def martyr_relative(
    ledger: BenefitsLedger, citizen_id: str = "075150012345", commune: str = COMMUNE
) -> tuple:
    """A relative of one martyr granted from 2024-01: (beneficiary id, entitlement id)."""
    registered = ledger.register_beneficiary(
        "officer", kind="meritorious", full_name="Trần Thị Bình", commune_code=commune, citizen_id=citizen_id,
        date_of_birth=f"19{citizen_id[4:6]}-02-01", sex="female",
    )  # fmt: skip
    granted = ledger.grant_entitlement(
        "officer", registered.id, scheme="NCC_MARTYR_RELATIVE", effective_from="2024-01",
        basis=basis("2024-01-03"), params={"martyrs": 1},
    )  # fmt: skip
    return registered.id, granted["entitlement_id"]


def pay_in_month(ledger: BenefitsLedger, clock: FixedClock, bid, eid, period: str, amount: int) -> None:
    """Pay ``amount`` for ``period`` on the 10th of that month (the clock moved there)."""
    clock.set(f"{period}-10")
    ledger.record_payment(
        "payment-officer", payment_id=f"P-{bid}-{period}-{amount}", beneficiary_id=bid, entitlement_id=eid,
        period=period, amount=amount, paid_on=f"{period}-10",
    )  # fmt: skip


def entitle(
    agg: Beneficiary, scheme: str, effective_from: str, *, day: str = "2024-03-20", **fields: Any
) -> Any:
    """Grant ``scheme`` to the pure aggregate on ``day``; ``basis`` :data:`BASIS` and ``rates`` the packaged
    ones unless given."""
    fields.setdefault("basis", BASIS)
    fields.setdefault("rates", reference_rate_book())
    return agg.grant_entitlement(ctx(day), scheme=scheme, effective_from=effective_from, **fields)


def elderly_from_july() -> tuple[Beneficiary, str, RateBook]:
    """An 80+ recipient (1.0: 500,000 a month) granted from 2024-07, as a pure aggregate: (aggregate,
    entitlement id, the packaged rates)."""
    rates = reference_rate_book()
    agg = person()
    return agg, entitle(agg, "BTXH_ELDERLY_80", "2024-07", rates=rates).entitlement_id, rates


def pay_month(
    agg: Beneficiary,
    eid: str,
    month: str,
    amount: int,
    rates: RateBook,
    *,
    payment_id: str | None = None,
    on: str | None = None,
) -> bool:
    """The pure aggregate pays ``month`` on ``on`` (default: paid on its 10th, recorded on its 15th);
    payment id ``month`` unless given."""
    return agg.record_payment(
        ctx(on or f"{month}-15"),
        payment_id=payment_id or month,
        entitlement_id=eid,
        period=month,
        amount=amount,
        paid_on=on or f"{month}-10",
        rates=rates,
    )


def paid_since_january(
    ledger: BenefitsLedger, clock: FixedClock, scheme: str, last_paid: int, amount: int, **person_fields: Any
) -> tuple[str, str]:
    """A person granted ``scheme`` from 2024-01 (signed 2024-01-03) and paid ``amount`` for January to month
    ``last_paid`` of 2024: (beneficiary id, entitlement id)."""
    bid = register_person(ledger, **person_fields)
    eid = grant(ledger, bid, scheme, effective_from="2024-01", signed="2024-01-03")["entitlement_id"]
    for month in months(1, last_paid):
        pay_in_month(ledger, clock, bid, eid, month, amount)
    return bid, eid


def signed_ledger(database_url: str, clock: FixedClock, key_dir: Path) -> tuple[BenefitsLedger, str]:
    """A seeded ledger holding a fresh signing key (issue 13's checkpoints), and its public key."""
    ledger = open_test_ledger(database_url, clock)
    key = generate_key_file(key_dir / "key", "benefits-ledger/vn")
    ledger.signer = load_signer(key_dir / "key")
    return ledger, key


def paid_elderly(ledger: BenefitsLedger, serial: int, months: Sequence[str], prefix: str = "P") -> list[str]:
    """An 80+ social-assistance beneficiary of commune 26041 granted from 2024-07 and paid 500,000 for
    each of ``months``; the payment ids (``<prefix><serial>-<month>``)."""
    person = ledger.register_beneficiary(
        "can_bo", kind="social_assistance", full_name=f"Phạm Thị {serial}", commune_code="26041",
        citizen_id=citizen_id(1930, "female", serial=serial), date_of_birth="1930-01-01", sex="female",
    )  # fmt: skip
    eid = ledger.grant_entitlement(
        "can_bo", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=basis()
    )["entitlement_id"]
    ids = []
    for month in months:
        ledger.record_payment(
            "chi_tra", payment_id=f"{prefix}{serial}-{month}", beneficiary_id=person.id, entitlement_id=eid,
            period=month, amount=500_000, paid_on=f"{month}-10",
        )  # fmt: skip
        ids.append(f"{prefix}{serial}-{month}")
    return ids
