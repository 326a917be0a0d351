"""Rate commands — mức chuẩn: amendments of a rate schedule (two people for a large change), NCC
amount-table editions (derived or official), and the packaged reference data a store lacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.catalogue import (
    BTXH_FUNERAL,
    BTXH_STANDARD,
    NCC_STANDARD,
    RateEntry,
    RateMissing,
    TableEdition,
    reference_rate_entries,
    reference_table_editions,
)
from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.rates import (
    NccTables,
    RateSchedule,
    derive_edition,
    edition_rows_from_table,
    needs_approval,
    rate_schedule_id,
)
from domain.values import Month, parse_amount, parse_text
from ledger import checkpoints
from ledger.authorization import require_admin

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.events import LedgerAggregate, RecordContext
    from ledger.authorization import Actor
    from ledger.store import LedgerStore


SYSTEM_ACTOR = "system"
REFERENCE_REASON = "packaged reference data (domain/reference)"


def _packaged_entry_missing(schedule: RateSchedule, entry: RateEntry) -> bool:
    """Whether a packaged standard is still to be recorded: its month has no entry, or the entry in force
    for that month came from a packaged file (the system's) and differs; never over an administrator's."""
    same_month = [e for e in schedule.entries if e.effective_from == entry.effective_from]
    if not same_month:
        return True
    current = same_month[-1]
    if current.recorded_by != SYSTEM_ACTOR:
        return False
    return (current.amount, current.legal_basis) != (entry.amount, entry.legal_basis)


def amend_rate(
    ledger: LedgerStore,
    actor: Actor,
    schedule: object,
    *,
    effective_from: object,
    amount: object,
    legal_basis: object,
    province_code: object = None,
    reason: str = "",
    derive_tables: bool = True,
) -> dict[str, Any]:
    """Record a decree's standard from an effective month (possibly in the past: arrears follow).

    A new national NCC standard comes with its edition of the NCC amount tables, in the same
    transaction: the official edition if one was loaded for that standard, otherwise (unless
    ``derive_tables`` is false, which refuses with 409) one derived from the latest official edition
    and marked so — a standard the ledger cannot compute with is never in force."""
    require_admin(actor)
    ctx = ledger.context(actor, reason)
    if not isinstance(derive_tables, bool):
        raise InvalidInput("derive_tables", f"must be true or false, got {derive_tables!r}")

    amendment_id = str(uuid4())

    def attempt() -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        stream = _schedule_stream(ledger, ctx, schedule, province_code)
        month = Month.parse(effective_from, "effective_from")
        value = parse_amount(amount, "amount", positive=True)
        if needs_approval(value, _value_in_force(ledger, stream, month)):
            proposal = stream.propose(
                ctx, amendment_id=amendment_id, effective_from=month, amount=value,
                legal_basis=legal_basis, derive_tables=derive_tables,
            )  # fmt: skip
            return {**proposal.as_dict(), "recorded": False}, [stream]
        added = stream.amend(ctx, effective_from=effective_from, amount=amount, legal_basis=legal_basis)
        result: dict[str, Any] = {
            "schedule": stream.schedule,
            "province_code": stream.province_code,
            "effective_from": str(month),
            "amount": amount,
            "legal_basis": legal_basis,
            "recorded": added,
            "status": "recorded" if added else "already_recorded",
        }
        return result, [stream, *_tables_for(ledger, ctx, stream, result, derive_tables=derive_tables)]

    result = ledger.save_with_retry(attempt)
    checkpoints.after_write(ledger)  # a rate amendment: the log is signed as it stands
    return result


def approve_rate_amendment(
    ledger: LedgerStore, actor: Actor, amendment_id: object, *, reason: str = ""
) -> dict[str, Any]:
    """A second administrator approves a pending amendment (:meth:`amend_rate` far from the value in
    force); it is in force from now, with its NCC tables' edition for a new NCC standard."""
    require_admin(actor)
    ctx = ledger.context(actor, reason)
    wanted = str(amendment_id).strip()

    def attempt() -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        stream = next((s for s in ledger.rate_schedules() if wanted in s.pending), None)
        if stream is None:
            raise NotFound(f"no pending rate amendment {wanted}")
        derive = stream.pending[wanted].derive_tables
        entry = stream.approve(ctx, wanted)
        result: dict[str, Any] = {
            "amendment_id": wanted, "schedule": stream.schedule, "province_code": stream.province_code,
            "effective_from": str(entry.effective_from), "amount": entry.amount,
            "legal_basis": entry.legal_basis, "status": "approved", "proposed_by": entry.recorded_by,
            "approved_by": entry.approved_by, "recorded": True,
        }  # fmt: skip
        return result, [stream, *_tables_for(ledger, ctx, stream, result, derive_tables=derive)]

    result = ledger.save_with_retry(attempt)
    checkpoints.after_write(ledger)  # a rate amendment: the log is signed as it stands
    return result


def _schedule_stream(
    ledger: LedgerStore, ctx: RecordContext, schedule: object, province_code: object
) -> RateSchedule:
    probe = RateSchedule.open(ctx, schedule, province_code)
    try:
        stream: object = ledger.repository.get(probe.id)
    except AggregateNotFoundError:
        return probe
    assert isinstance(stream, RateSchedule)  # noqa: S101
    return stream


def _value_in_force(ledger: LedgerStore, stream: RateSchedule, month: Month) -> int | None:
    """What an amendment of ``stream`` for ``month`` is compared with: the schedule's own value in
    force, else (a first provincial override) the national value it overrides."""
    own = [e for e in sorted(stream.entries, key=lambda e: e.effective_from) if e.effective_from <= month]
    if own:
        return own[-1].amount
    rates = ledger.rates()
    try:
        if stream.schedule == BTXH_FUNERAL:  # the national funeral minimum: 20 × the BTXH standard
            return 20 * rates.standard(BTXH_STANDARD, month)
        if stream.province_code is not None:
            return rates.standard(stream.schedule, month)
    except RateMissing:
        return None
    return None


def _tables_for(
    ledger: LedgerStore,
    ctx: RecordContext,
    stream: RateSchedule,
    result: dict[str, Any],
    *,
    derive_tables: bool,
) -> list[LedgerAggregate]:
    """A new national NCC standard's edition of the amount tables, in the same transaction."""
    if stream.schedule != NCC_STANDARD or stream.province_code is not None or not stream.entries:
        return []
    tables, edition = _edition_for(ledger, ctx, stream.entries[-1], derive_tables=derive_tables)
    result["ncc_tables"] = {
        "standard": edition.standard,
        "derived": edition.derived,
        "legal_basis": edition.legal_basis,
    }
    return [tables]


def _edition_for(
    ledger: LedgerStore, ctx: RecordContext, entry: RateEntry, *, derive_tables: bool
) -> tuple[NccTables, TableEdition]:
    """The NCC tables' stream with an edition for the standard of ``entry`` (derived if need be)."""
    tables = ledger.ncc_tables() or NccTables.open(ctx)
    edition = tables.edition(entry.amount)
    if edition is not None:
        return tables, edition
    official = tables.latest_official()
    if not derive_tables or official is None:
        msg = (
            f"no edition of the NCC amount tables is loaded for the standard {entry.amount:,}: load the "
            "decree's tables first (ledger rates load-tables, POST /v1/rates/ncc-tables)"
            + ("" if official is None else ", or amend with derive_tables true")
            + "; nothing recorded"
        )
        raise Conflict(msg, "derive_tables")
    derived = derive_edition(official, entry.amount, entry.legal_basis)
    tables.record_edition(
        ctx,
        standard=derived.standard,
        legal_basis=derived.legal_basis,
        rows=list(derived.rows),
        derived=True,
    )
    found = tables.edition(entry.amount)
    assert found is not None  # noqa: S101 - just recorded
    return tables, found


def load_ncc_tables(
    ledger: LedgerStore,
    actor: Actor,
    table: list[dict[str, str]],
    *,
    standard: object,
    legal_basis: object,
    reason: str = "",
) -> dict[str, Any]:
    """Record an official edition of the NCC amount tables for ``standard`` (checked whole; see
    :func:`domain.rates.edition_rows_from_table`). It replaces an edition derived for that standard:
    every month paid at it is computed again (arrears or overpayments follow)."""
    require_admin(actor)
    ctx = ledger.context(actor, reason)
    value = parse_amount(standard, "standard", positive=True)
    basis = parse_text(legal_basis, "legal_basis", max_length=300)
    rows, errors = edition_rows_from_table(table, value)
    if errors:
        raise InvalidInput.many([FieldError(f"file row {n}: {column}", why) for n, column, why in errors])

    def attempt() -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        tables = ledger.ncc_tables() or NccTables.open(ctx)
        replaced = tables.edition(value)
        recorded = tables.record_edition(ctx, standard=value, legal_basis=basis, rows=list(rows))
        changes = [] if replaced is None else [
            {"scheme_code": new[0], "band": new[1], "rate_from_pct": new[2], "rate_to_pct": new[3],
             "was": old[4], "now": new[4]}
            for old, new in zip(replaced.rows, rows, strict=True) if old[4] != new[4]
        ]  # fmt: skip
        result = {
            "standard": value,
            "legal_basis": basis,
            "rows": len(rows),
            "recorded": recorded,
            "replaced": None
            if replaced is None
            else {"derived": replaced.derived, "legal_basis": replaced.legal_basis},
            "changed_rows": changes,
        }
        return result, [tables]

    result = ledger.save_with_retry(attempt)
    checkpoints.after_write(ledger)  # a rate amendment: the log is signed as it stands
    return result


def seed_reference_rates(ledger: LedgerStore, until: Month | None = None) -> int:
    """Record the packaged reference rates that the store does not hold yet, in one transaction, by
    the system actor: every standard of ``reference/rate_schedules.csv`` (those effective up to
    ``until`` if given) and every edition of the NCC amount tables. Returns how many were recorded.

    Idempotent, also across processes opening the store at once (a concurrent writer makes this one
    re-read and find them). A newer release's reference file adds its new entries; an entry recorded
    by an administrator is never overwritten: a packaged standard is recorded only for a month that
    has no entry yet, or whose entry in force came from an older packaged file (the system's).
    """
    ctx = ledger.context(SYSTEM_ACTOR, REFERENCE_REASON)

    def attempt() -> tuple[int, Sequence[LedgerAggregate]]:
        streams: dict[UUID, LedgerAggregate] = {}
        added = 0
        for entry in reference_rate_entries(until):
            schedule = streams.get(rate_schedule_id(entry.schedule, None))
            if schedule is None:
                schedule = ledger.rate_schedule(entry.schedule) or RateSchedule.open(ctx, entry.schedule)
                streams[schedule.id] = schedule
            assert isinstance(schedule, RateSchedule)  # noqa: S101
            if not _packaged_entry_missing(schedule, entry):
                continue
            schedule.amend(
                ctx,
                effective_from=str(entry.effective_from),
                amount=entry.amount,
                legal_basis=entry.legal_basis,
            )
            added += 1
        tables = ledger.ncc_tables() or NccTables.open(ctx)
        for edition in reference_table_editions():
            current = tables.edition(edition.standard)
            kept = current is not None and (
                current.recorded_by != SYSTEM_ACTOR or current.rows == edition.rows
            )
            if kept:
                continue  # recorded (by an administrator, or this very edition): leave it
            tables.record_edition(
                ctx, standard=edition.standard, legal_basis=edition.legal_basis, rows=list(edition.rows)
            )
            added += 1
        streams[tables.id] = tables
        return added, list(streams.values())

    return ledger.save_with_retry(attempt)
