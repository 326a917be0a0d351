"""The ledger application — sổ cái chi trả: one command per write of the public contract.

Commands load the beneficiary's stream, let the aggregate decide, and save the new events in one
transaction together with any uniqueness claim they need (citizen ID, payment id, card number).
Optimistic concurrency: if another writer appended to the same stream first, the event store refuses
the save (``IntegrityError``) and the command is retried on the fresh state, a bounded number of times.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    JSONTranscoder,
    Recording,
    Transcoding,
)
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import get_topic

from domain.beneficiary import Beneficiary
from domain.catalogue import (
    BTXH_FUNERAL,
    BTXH_STANDARD,
    NCC_STANDARD,
    RateBook,
    RateEntry,
    RateMissing,
    TableEdition,
    reference_rate_book,
    reference_rate_entries,
    reference_table_editions,
)
from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.events import LedgerAggregate, RecordContext
from domain.indexes import UniqueClaim, index_id
from domain.rates import (
    NCC_TABLES_ID,
    NccTables,
    RateSchedule,
    derive_edition,
    edition_rows_from_table,
    needs_approval,
    rate_schedule_id,
)
from domain.rosters import IssuedRoster, roster_id
from domain.snapshots import BeneficiarySnapshot
from domain.users import User, token_hash, user_id
from domain.values import Month, parse_amount, parse_citizen_id, parse_identifier, parse_text
from ledger.communes import configured_province, resolve_commune
from ledger.config import Settings, load_settings, persistence_environment
from ledger.documents import DocumentStore
from ledger.sqlstore import open_read_store

T = TypeVar("T")
Clock = Callable[[], datetime]
SYSTEM_ACTOR = "system"
REFERENCE_REASON = "packaged reference data (domain/reference)"
log = logging.getLogger(__name__)


def _log_recorded(events: Sequence[object]) -> None:
    """One line for what a command recorded: the event types, how many events, in how many streams."""
    kinds = Counter(type(e).__name__ for e in events)
    streams = {getattr(e, "originator_id", None) for e in events}
    actor = next((getattr(e, "actor", "") for e in events), "")
    log.info(
        "recorded %s",
        ", ".join(f"{name}×{n}" if n > 1 else name for name, n in kinds.items()),
        extra={"events": len(events), "streams": len(streams), "actor": actor},
    )


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


class DateAsISO(Transcoding):
    """Stores a :class:`datetime.date` as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """Encode a date."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """Decode a date."""
        return date.fromisoformat(data)


def utc_now() -> datetime:
    """The wall clock, timezone-aware (the ledger reads the clock; the domain never does)."""
    return datetime.now(UTC)


def parse_beneficiary_id(value: object, field: str = "beneficiary_id") -> UUID:
    """A beneficiary id (UUID) or :class:`InvalidInput`."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(field, f"must be a beneficiary id (UUID), got {value!r}") from None


class BenefitsLedger(Application[UUID]):
    """The event-sourced ledger of one deployment (one province, or the whole country)."""

    name = "benefits_ledger"
    MAX_ATTEMPTS = 12
    # Beneficiary snapshots (a cache of state, see domain/snapshots.py) in the library's snapshot table;
    # taken by bulk writers (ledger/snapshots.py), used by every load.
    is_snapshotting_enabled = True
    snapshot_class = BeneficiarySnapshot

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Clock | None = None,
        province: str | None = None,
        database_url: str | None = None,
    ) -> None:
        super().__init__(env)
        self.database_url = database_url
        self._documents: DocumentStore | None = None
        self.clock: Clock = clock or utc_now
        self.province = province if province is not None else configured_province()
        self._rates_lock = threading.Lock()
        self._rates_position = 0
        self._rate_streams: dict[UUID, list[RateEntry]] = {}
        self._table_editions: list[TableEdition] = []
        self._rate_book: RateBook | None = None
        self._token_users: dict[str, User] = {}  # token hash → the user at the version last read
        self._rate_topics = [
            get_topic(RateSchedule.RateScheduleOpened),
            get_topic(RateSchedule.RateAmended),
            get_topic(RateSchedule.RateAmendmentApproved),
            get_topic(NccTables.EditionRecorded),
        ]

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Dates travel as ISO strings."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def construct_recorder(self) -> ApplicationRecorder:
        """The event store's recorder; on PostgreSQL its tables and function are created under an
        advisory lock, so that ledgers opening at once (API workers, a CLI beside the server) do not
        fail with "tuple concurrently updated" from two concurrent ``CREATE OR REPLACE FUNCTION``."""
        return self._under_schema_lock(super().construct_recorder)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """The snapshot store; its table is created under the same advisory lock."""
        return self._under_schema_lock(super().construct_snapshot_store)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's ``save``, without its runtime-protocol checks for the ledger's own aggregates
        (on Python 3.11 each ``isinstance`` against a protocol walks the protocol's attributes: a
        sixth of a bulk import's time). Anything else is collected by the library as usual."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, LedgerAggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, kept as the library does
        return recordings

    def _under_schema_lock(self, construct: Callable[[], T]) -> T:
        datastore = getattr(self.factory, "datastore", None)
        if not isinstance(datastore, PostgresDatastore):
            return construct()  # SQLite: ledger/sqlite_store.py makes opening at once safe
        key = zlib.crc32(f"benefits-ledger-schema:{datastore.schema}".encode())
        with datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                return construct()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    # ------------------------------------------------------------------ plumbing

    def context(self, actor: str, reason: object = "") -> RecordContext:
        """Who records, and now."""
        if not isinstance(actor, str) or not actor.strip():
            raise InvalidInput("actor", "every write needs the name of who records it")
        if reason is not None and not isinstance(reason, str):
            raise InvalidInput("reason", f"must be text, got {reason!r}")
        return RecordContext(
            actor=actor.strip(), recorded_at=self.clock(), reason=" ".join((reason or "").split())
        )

    def _save_with_retry(self, attempt_fn: Callable[[], tuple[T, Sequence[LedgerAggregate]]]) -> T:
        """Run ``attempt_fn`` (which loads state and decides) and save, retrying on a write conflict."""
        for attempt in range(self.MAX_ATTEMPTS):
            result, aggregates = attempt_fn()
            pending = [a for a in aggregates if a.pending_events]
            if not pending:
                return result
            events = [e for a in pending for e in a.pending_events]
            try:
                self.save(*pending)
            except IntegrityError:
                log.debug("write conflict, trying again on fresh state", extra={"attempt": attempt + 1})
                time.sleep(random.uniform(0, 0.002 * (2**attempt)))  # noqa: S311 - jitter, not crypto
                continue
            _log_recorded(events)
            return result
        msg = "the record was changed by someone else at the same time too often; nothing recorded, try again"
        raise Conflict(msg)

    def _update(
        self, beneficiary_id: object, decide: Callable[[Beneficiary], tuple[T, Sequence[LedgerAggregate]]]
    ) -> T:
        bid = parse_beneficiary_id(beneficiary_id)

        def attempt() -> tuple[T, Sequence[LedgerAggregate]]:
            agg = self.beneficiary(bid)
            result, extra = decide(agg)
            return result, [agg, *extra]

        return self._save_with_retry(attempt)

    def beneficiary(self, beneficiary_id: object) -> Beneficiary:
        """The beneficiary's current state, or :class:`NotFound` (also for an id that is not a UUID)."""
        try:
            bid = parse_beneficiary_id(beneficiary_id)
        except InvalidInput:
            raise NotFound(f"beneficiary {beneficiary_id} not found") from None
        try:
            agg: object = self.repository.get(bid)
        except AggregateNotFoundError:
            raise NotFound(f"beneficiary {bid} not found") from None
        if not isinstance(agg, Beneficiary):
            raise NotFound(f"beneficiary {bid} not found")
        return agg

    def claim_owner(self, kind: str, value: str) -> UniqueClaim | None:
        """The claim on a citizen ID, payment id or card number, if any."""
        try:
            claim: object = self.repository.get(index_id(kind, value))
        except AggregateNotFoundError:
            return None
        assert isinstance(claim, UniqueClaim)  # noqa: S101 - index ids are only used by claims
        return claim

    def find_by_citizen_id(self, citizen_id: object) -> Beneficiary:
        """The beneficiary holding a citizen ID (a household member's ID is not looked up here)."""
        cid = parse_citizen_id(citizen_id)
        claim = self.claim_owner("citizen_id", cid)
        if claim is None:
            raise NotFound(f"no beneficiary with citizen ID {cid}")
        return self.beneficiary(claim.beneficiary_id)

    def resolve(self, key: object) -> Beneficiary:
        """A beneficiary by id or by 12-digit citizen ID."""
        text = str(key).strip()
        if len(text) == 12 and text.isdigit():
            return self.find_by_citizen_id(text)
        return self.beneficiary(text)

    def beneficiary_stream(self, key: object) -> UUID:
        """The stream id of a beneficiary by id or 12-digit citizen ID, without loading its state
        (a claim lookup for a citizen ID; a UUID as given — the caller finds out from the events
        whether it is a beneficiary)."""
        text = str(key).strip()
        if len(text) == 12 and text.isdigit():
            claim = self.claim_owner("citizen_id", parse_citizen_id(text))
            if claim is None:
                raise NotFound(f"no beneficiary with citizen ID {text}")
            return UUID(claim.beneficiary_id)
        try:
            return parse_beneficiary_id(text)
        except InvalidInput:
            raise NotFound(f"beneficiary {text} not found") from None

    def current_month(self) -> Month:
        """The month of the ledger's clock."""
        return Month.of(self.clock().date())

    def commune_now(self, beneficiary_id: object) -> str:
        """The commune a beneficiary lives in this month: the one an officer's write scope is checked
        against (a relocation effective next month moves the person only then)."""
        return self.beneficiary(beneficiary_id).commune_at(self.current_month())[0]

    # ------------------------------------------------------------------ rates

    def rates(self) -> RateBook:
        """The rate book: every recorded schedule amendment, plus the packaged NCC tables.

        Kept in memory and brought up to date from the event log's notifications of rate events, so an
        amendment recorded by another process is seen by the next command.
        """
        with self._rates_lock:
            top = self.recorder.max_notification_id() or 0
            changed: set[UUID] = set()
            start = self._rates_position + 1
            while start <= top:
                batch = self.recorder.select_notifications(start, 500, stop=top, topics=self._rate_topics)
                changed.update(UUID(str(n.originator_id)) for n in batch)
                if len(batch) < 500:
                    break
                start = batch[-1].id + 1
            self._rates_position = top
            for stream_id in changed:
                stream: object = self.repository.get(stream_id)
                if isinstance(stream, NccTables):
                    self._table_editions = list(stream.editions)
                else:
                    assert isinstance(stream, RateSchedule)  # noqa: S101 - the topics are the rate streams'
                    self._rate_streams[stream_id] = list(stream.entries)
            if changed or self._rate_book is None:
                entries = sorted(
                    (e for es in self._rate_streams.values() for e in es),
                    key=lambda e: e.recorded_at or datetime.min.replace(tzinfo=UTC),
                )
                self._rate_book = reference_rate_book(entries, self._table_editions)
            return self._rate_book

    def amend_rate(
        self,
        actor: str,
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
        ctx = self.context(actor, reason)
        if not isinstance(derive_tables, bool):
            raise InvalidInput("derive_tables", f"must be true or false, got {derive_tables!r}")

        amendment_id = str(uuid4())

        def attempt() -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            stream = self._schedule_stream(ctx, schedule, province_code)
            month = Month.parse(effective_from, "effective_from")
            value = parse_amount(amount, "amount", positive=True)
            if needs_approval(value, self._value_in_force(stream, month)):
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
            return result, [stream, *self._tables_for(ctx, stream, result, derive_tables=derive_tables)]

        return self._save_with_retry(attempt)

    def approve_rate_amendment(self, actor: str, amendment_id: object, *, reason: str = "") -> dict[str, Any]:
        """A second administrator approves a pending amendment (:meth:`amend_rate` far from the value in
        force); it is in force from now, with its NCC tables' edition for a new NCC standard."""
        ctx = self.context(actor, reason)
        wanted = str(amendment_id).strip()

        def attempt() -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            stream = next((s for s in self._rate_schedules() if wanted in s.pending), None)
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
            return result, [stream, *self._tables_for(ctx, stream, result, derive_tables=derive)]

        return self._save_with_retry(attempt)

    def pending_rate_amendments(self) -> list[dict[str, Any]]:
        """Every amendment waiting for approval."""
        return [p.as_dict() for s in self._rate_schedules() for p in s.pending.values()]

    def _rate_schedules(self) -> list[RateSchedule]:
        self.rates()  # brings the known rate streams up to date
        found = []
        for stream_id in list(self._rate_streams):
            stream: object = self.repository.get(stream_id)
            if isinstance(stream, RateSchedule):
                found.append(stream)
        return found

    def _schedule_stream(self, ctx: RecordContext, schedule: object, province_code: object) -> RateSchedule:
        probe = RateSchedule.open(ctx, schedule, province_code)
        try:
            stream: object = self.repository.get(probe.id)
        except AggregateNotFoundError:
            return probe
        assert isinstance(stream, RateSchedule)  # noqa: S101
        return stream

    def _value_in_force(self, stream: RateSchedule, month: Month) -> int | None:
        """What an amendment of ``stream`` for ``month`` is compared with: the schedule's own value in
        force, else (a first provincial override) the national value it overrides."""
        own = [e for e in sorted(stream.entries, key=lambda e: e.effective_from) if e.effective_from <= month]
        if own:
            return own[-1].amount
        rates = self.rates()
        try:
            if stream.schedule == BTXH_FUNERAL:  # the national funeral minimum: 20 × the BTXH standard
                return 20 * rates.standard(BTXH_STANDARD, month)
            if stream.province_code is not None:
                return rates.standard(stream.schedule, month)
        except RateMissing:
            return None
        return None

    def _tables_for(
        self, ctx: RecordContext, stream: RateSchedule, result: dict[str, Any], *, derive_tables: bool
    ) -> list[LedgerAggregate]:
        """A new national NCC standard's edition of the amount tables, in the same transaction."""
        if stream.schedule != NCC_STANDARD or stream.province_code is not None or not stream.entries:
            return []
        tables, edition = self._edition_for(ctx, stream.entries[-1], derive_tables=derive_tables)
        result["ncc_tables"] = {
            "standard": edition.standard,
            "derived": edition.derived,
            "legal_basis": edition.legal_basis,
        }
        return [tables]

    def _edition_for(
        self, ctx: RecordContext, entry: RateEntry, *, derive_tables: bool
    ) -> tuple[NccTables, TableEdition]:
        """The NCC tables' stream with an edition for the standard of ``entry`` (derived if need be)."""
        tables = self.ncc_tables() or NccTables.open(ctx)
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
        self,
        actor: str,
        table: list[dict[str, str]],
        *,
        standard: object,
        legal_basis: object,
        reason: str = "",
    ) -> dict[str, Any]:
        """Record an official edition of the NCC amount tables for ``standard`` (checked whole; see
        :func:`domain.rates.edition_rows_from_table`). It replaces an edition derived for that standard:
        every month paid at it is computed again (arrears or overpayments follow)."""
        ctx = self.context(actor, reason)
        value = parse_amount(standard, "standard", positive=True)
        basis = parse_text(legal_basis, "legal_basis", max_length=300)
        rows, errors = edition_rows_from_table(table, value)
        if errors:
            raise InvalidInput.many([FieldError(f"file row {n}: {column}", why) for n, column, why in errors])

        def attempt() -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            tables = self.ncc_tables() or NccTables.open(ctx)
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

        return self._save_with_retry(attempt)

    def seed_reference_rates(self, until: Month | None = None) -> int:
        """Record the packaged reference rates that the store does not hold yet, in one transaction, by
        the system actor: every standard of ``reference/rate_schedules.csv`` (those effective up to
        ``until`` if given) and every edition of the NCC amount tables. Returns how many were recorded.

        Idempotent, also across processes opening the store at once (a concurrent writer makes this one
        re-read and find them). A newer release's reference file adds its new entries; an entry recorded
        by an administrator is never overwritten: a packaged standard is recorded only for a month that
        has no entry yet, or whose entry in force came from an older packaged file (the system's).
        """
        ctx = self.context(SYSTEM_ACTOR, REFERENCE_REASON)

        def attempt() -> tuple[int, Sequence[LedgerAggregate]]:
            streams: dict[UUID, LedgerAggregate] = {}
            added = 0
            for entry in reference_rate_entries(until):
                schedule = streams.get(rate_schedule_id(entry.schedule, None))
                if schedule is None:
                    schedule = self.rate_schedule(entry.schedule) or RateSchedule.open(ctx, entry.schedule)
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
            tables = self.ncc_tables() or NccTables.open(ctx)
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

        return self._save_with_retry(attempt)

    def ncc_tables(self) -> NccTables | None:
        """The stream of the NCC amount tables' editions, if opened."""
        try:
            stream: object = self.repository.get(NCC_TABLES_ID)
        except AggregateNotFoundError:
            return None
        assert isinstance(stream, NccTables)  # noqa: S101
        return stream

    def rate_schedule(self, schedule: str, province: str | None = None) -> RateSchedule | None:
        """One schedule's stream."""
        try:
            stream: object = self.repository.get(rate_schedule_id(schedule, province))
        except AggregateNotFoundError:
            return None
        assert isinstance(stream, RateSchedule)  # noqa: S101
        return stream

    # ------------------------------------------------------------------ registration and details

    def register_beneficiary(self, actor: str, *, reason: str = "", **fields: Any) -> Beneficiary:
        """Register a beneficiary; the citizen ID must not be registered already (409)."""
        ctx = self.context(actor, reason)
        commune = resolve_commune(fields.get("commune_code"), province=self.province)
        known = {
            "kind",
            "full_name",
            "commune_code",
            "citizen_id",
            "date_of_birth",
            "sex",
            "household_code",
            "poverty_status",
            "members",
            "payment_channel",
        }
        unknown = set(fields) - known
        if unknown:
            raise InvalidInput(min(unknown), "is not a field of a beneficiary")
        new_id = uuid4()

        def attempt() -> tuple[Beneficiary, Sequence[LedgerAggregate]]:
            agg = Beneficiary.register(
                ctx,
                beneficiary_id=new_id,
                province_code=commune.province_code,
                **{**fields, "commune_code": commune.code},
            )
            extra: list[LedgerAggregate] = []
            if agg.citizen_id:
                extra += self._claim_unique(ctx, "citizen_id", agg.citizen_id, agg.id)
            if agg.household_code:
                extra += self._claim_unique(ctx, "household_code", agg.household_code, agg.id)
            return agg, [agg, *extra]

        return self._save_with_retry(attempt)

    def _claim_unique(
        self, ctx: RecordContext, kind: str, value: str, owner_id: UUID
    ) -> list[LedgerAggregate]:
        """The claim on ``value`` for the beneficiary ``owner_id`` to save with its events: none if it is
        theirs already, :class:`Conflict` naming the field if it is someone else's."""
        owner = self.claim_owner(kind, value)
        if owner is None:
            return [UniqueClaim.claim(ctx, kind, value, owner_id)]
        if owner.beneficiary_id != str(owner_id):
            label = {"citizen_id": "citizen ID"}.get(kind, kind.replace("_", " "))
            raise Conflict(f"{label} {value} is already registered ({owner.beneficiary_id})", kind)
        return []

    def correct_details(
        self, actor: str, beneficiary_id: object, changes: dict[str, Any], *, reason: str = ""
    ) -> Beneficiary:
        """Correct registered details; a new citizen ID must not belong to someone else."""
        ctx = self.context(actor, reason)

        def decide(agg: Beneficiary) -> tuple[Beneficiary, Sequence[LedgerAggregate]]:
            out = agg.correct_details(ctx, changes)
            extra: list[LedgerAggregate] = []
            if "citizen_id" in out:
                extra += self._claim_unique(ctx, "citizen_id", out["citizen_id"], agg.id)
            if out.get("household_code"):
                extra += self._claim_unique(ctx, "household_code", out["household_code"], agg.id)
            return agg, extra

        return self._update(beneficiary_id, decide)

    def relocate(
        self,
        actor: str,
        beneficiary_id: object,
        *,
        commune_code: object,
        effective_from: object,
        reason: str = "",
    ) -> Beneficiary:
        """Move a beneficiary to another commune from a month."""
        ctx = self.context(actor, reason)
        commune = resolve_commune(commune_code, province=self.province)

        def decide(agg: Beneficiary) -> tuple[Beneficiary, Sequence[LedgerAggregate]]:
            agg.relocate(ctx, commune.code, commune.province_code, effective_from)
            return agg, []

        return self._update(beneficiary_id, decide)

    def change_payment_channel(
        self,
        actor: str,
        beneficiary_id: object,
        *,
        payment_channel: object,
        effective_from: object = None,
        reason: str = "",
    ) -> Beneficiary:
        """Switch cash ⇄ bank account from a month (default: the current month)."""
        ctx = self.context(actor, reason)
        month = effective_from if effective_from is not None else str(self.current_month())

        def decide(agg: Beneficiary) -> tuple[Beneficiary, Sequence[LedgerAggregate]]:
            agg.change_payment_channel(ctx, payment_channel, month)
            return agg, []

        return self._update(beneficiary_id, decide)

    # ------------------------------------------------------------------ entitlements

    def grant_entitlement(
        self,
        actor: str,
        beneficiary_id: object,
        *,
        scheme: object,
        effective_from: object,
        basis: object,
        params: object = None,
        end_month: object = None,
        reason: str = "",
    ) -> dict[str, Any]:
        """Grant a scheme by decision. Returns the entitlement with its amount for the current month."""
        ctx = self.context(actor, reason)
        rates = self.rates()

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            ent = agg.grant_entitlement(
                ctx,
                scheme=scheme,
                effective_from=effective_from,
                basis=basis,
                params=params,
                end_month=end_month,
                rates=rates,
            )
            return self.entitlement_view(agg, ent.entitlement_id, rates), []

        return self._update(beneficiary_id, decide)

    def entitlement_view(
        self, agg: Beneficiary, entitlement_id: str, rates: RateBook | None = None
    ) -> dict[str, Any]:
        """An entitlement as the API shows it."""
        rates = rates or self.rates()
        ent = agg.entitlement(entitlement_id)
        view: dict[str, Any] = {
            "entitlement_id": ent.entitlement_id,
            "scheme": ent.scheme_code,
            "scheme_name": ent.scheme.name_vi,
            "frequency": ent.scheme.frequency,
            "start_month": str(ent.start),
            "end_month": str(ent.end) if ent.end else None,
            "last_month": str(ent.last_month) if ent.last_month else None,
            "params": ent.params_for(self.current_month()),
            "basis": ent.basis,
            "suspended": ent.suspended_now,
        }
        try:
            if ent.scheme.monthly:
                month = self.current_month()
                view["month"] = str(month)
                view["monthly_amount"] = agg.due_amount(ent.entitlement_id, str(month), rates)
            else:
                view["amount"] = agg.due_amount(ent.entitlement_id, "once", rates)
        except RateMissing as error:  # named, never fatal: the rest of the record still shows
            view["monthly_amount" if ent.scheme.monthly else "amount"] = None
            view["problem"] = error.message
        return view

    def adjust_entitlement(
        self,
        actor: str,
        beneficiary_id: object,
        entitlement_id: object,
        *,
        effective_from: object,
        params: object,
        basis: object,
        reason: str = "",
    ) -> dict[str, Any]:
        """Change an entitlement's parameters from a month."""
        return self._on_entitlement(
            actor,
            reason,
            beneficiary_id,
            entitlement_id,
            lambda agg, ctx, rates: agg.adjust_entitlement(
                ctx, entitlement_id, effective_from=effective_from, params=params, basis=basis, rates=rates
            ),
        )

    def _on_entitlement(
        self,
        actor: str,
        reason: str,
        beneficiary_id: object,
        entitlement_id: object,
        action: Callable[[Beneficiary, RecordContext, RateBook], None],
    ) -> dict[str, Any]:
        """Run a decision on one entitlement and answer with the entitlement as it is now."""
        ctx = self.context(actor, reason)
        rates = self.rates()

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            action(agg, ctx, rates)
            return self.entitlement_view(agg, str(entitlement_id), rates), []

        return self._update(beneficiary_id, decide)

    def suspend_entitlement(
        self,
        actor: str,
        beneficiary_id: object,
        entitlement_id: object,
        *,
        effective_from: object,
        basis: object = None,
        reason: str = "",
    ) -> dict[str, Any]:
        """Suspend an entitlement from a month."""
        return self._on_entitlement(
            actor,
            reason,
            beneficiary_id,
            entitlement_id,
            lambda agg, ctx, _: agg.suspend_entitlement(
                ctx, entitlement_id, effective_from=effective_from, basis=basis
            ),
        )

    def resume_entitlement(
        self,
        actor: str,
        beneficiary_id: object,
        entitlement_id: object,
        *,
        effective_from: object,
        basis: object = None,
        reason: str = "",
    ) -> dict[str, Any]:
        """Resume a suspended entitlement from a month."""
        return self._on_entitlement(
            actor,
            reason,
            beneficiary_id,
            entitlement_id,
            lambda agg, ctx, _: agg.resume_entitlement(
                ctx, entitlement_id, effective_from=effective_from, basis=basis
            ),
        )

    def terminate_entitlement(
        self,
        actor: str,
        beneficiary_id: object,
        entitlement_id: object,
        *,
        last_month: object,
        basis: object,
        reason: str = "",
    ) -> dict[str, Any]:
        """Terminate an entitlement after its last paid month; later payments become overpayments."""
        ctx = self.context(actor, reason)
        rates = self.rates()

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            agg.terminate_entitlement(ctx, entitlement_id, last_month=last_month, basis=basis)
            view = self.entitlement_view(agg, str(entitlement_id), rates)
            view["overpayment"] = self.overpayment_view(agg, rates)
            return view, []

        return self._update(beneficiary_id, decide)

    @staticmethod
    def overpayment_view(agg: Beneficiary, rates: RateBook) -> dict[str, Any]:
        """The overpaid months and the amount still to recover."""
        items = agg.overpayments(rates)
        return {
            "months": sorted({i.period for i in items}),
            "amount": sum(i.excess for i in items),
            "outstanding": agg.overpayment_outstanding(rates),
        }

    def record_death(
        self,
        actor: str,
        beneficiary_id: object,
        *,
        date_of_death: object,
        basis: object = None,
        reason: str = "",
    ) -> dict[str, Any]:
        """Record a death; returns the overpayment it reveals (months paid after the stop)."""
        ctx = self.context(actor, reason)
        rates = self.rates()

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            agg.record_death(ctx, date_of_death=date_of_death, basis=basis)
            stop = agg.death_month.next() if agg.death_month else None
            return {"stop_from": str(stop), "overpayment": self.overpayment_view(agg, rates)}, []

        return self._update(beneficiary_id, decide)

    # ------------------------------------------------------------------ payments

    def record_payment(
        self,
        actor: str,
        *,
        payment_id: object,
        beneficiary_id: object,
        entitlement_id: object,
        period: object,
        amount: object,
        paid_on: object,
        channel: object = None,
        reference: object = None,
        reason: str = "",
    ) -> tuple[bool, dict[str, Any]]:
        """Record a disbursement. Returns ``(created, payment)``; a retry of the same payment is not new."""
        ctx = self.context(actor, reason)
        rates = self.rates()
        if not isinstance(payment_id, str) or not payment_id.strip():
            raise InvalidInput("payment_id", "is required: a client-chosen unique id")
        pid = parse_identifier(payment_id, "payment_id")
        bid = parse_beneficiary_id(beneficiary_id)

        def decide(agg: Beneficiary) -> tuple[tuple[bool, dict[str, Any]], Sequence[LedgerAggregate]]:
            owner = self.claim_owner("payment_id", pid)
            if owner is not None and owner.beneficiary_id != str(agg.id):
                msg = f"payment_id {pid} was already used for another beneficiary's payment"
                raise Conflict(msg, "payment_id")
            created = agg.record_payment(
                ctx,
                payment_id=pid,
                entitlement_id=entitlement_id,
                period=period,
                amount=amount,
                paid_on=paid_on,
                channel=channel,
                reference=reference,
                rates=rates,
            )
            extra = [UniqueClaim.claim(ctx, "payment_id", pid, agg.id)] if created and owner is None else []
            return (created, self.payment_view(agg, pid)), extra

        return self._update(bid, decide)

    @staticmethod
    def payment_view(agg: Beneficiary, payment_id: str) -> dict[str, Any]:
        """A payment as the API shows it."""
        p = agg.payments[payment_id]
        return {
            "payment_id": p.payment_id,
            "beneficiary_id": str(agg.id),
            "entitlement_id": p.entitlement_id,
            "period": None if p.period == "once" else p.period,
            "amount": p.amount,
            "paid_on": p.paid_on.isoformat(),
            "channel": p.channel,
            "reference": p.reference,
            "reversed": p.reversed,
        }

    def record_not_collected(
        self, actor: str, *, beneficiary_id: object, entitlement_id: object, period: object, reason: str = ""
    ) -> dict[str, Any]:
        """The beneficiary did not collect a month: it is carried over to the next roster."""
        ctx = self.context(actor, reason)
        rates = self.rates()

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            agg.record_not_collected(ctx, entitlement_id=entitlement_id, period=period, rates=rates)
            return {
                "beneficiary_id": str(agg.id),
                "entitlement_id": str(entitlement_id),
                "period": str(period),
                "suspension_candidate": agg.is_suspension_candidate,
            }, []

        return self._update(beneficiary_id, decide)

    def reverse_payment(self, actor: str, payment_id: object, *, reason: str) -> dict[str, Any]:
        """Reverse a payment recorded by mistake (found by its payment id)."""
        ctx = self.context(actor, reason)
        if not isinstance(payment_id, str) or not payment_id.strip():
            raise InvalidInput("payment_id", "is required")
        pid = parse_identifier(payment_id, "payment_id")
        owner = self.claim_owner("payment_id", pid)
        if owner is None:
            raise NotFound(f"payment {pid} not found")

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            agg.reverse_payment(ctx, pid)
            return self.payment_view(agg, pid), []

        return self._update(owner.beneficiary_id, decide)

    def record_recovery(
        self,
        actor: str,
        beneficiary_id: object,
        *,
        amount: object,
        method: object,
        reference: object = None,
        reason: str = "",
        entitlement_id: object = None,
        period: object = None,
    ) -> dict[str, Any]:
        """Record money recovered against an overpayment: in cash, or by deduction from an amount still
        owed to the beneficiary (named, or the first payable one up to this month)."""
        ctx = self.context(actor, reason)
        rates = self.rates()

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            done = agg.record_recovery(
                ctx, amount=amount, method=method, reference=reference, rates=rates,
                month=self.current_month(), entitlement_id=entitlement_id, period=period,
            )  # fmt: skip
            return {
                **done,
                "amount": amount,
                "method": method,
                "overpayment_outstanding": agg.overpayment_outstanding(rates),
                "recovery_credit": agg.recovery_credit(rates),
            }, []

        return self._update(beneficiary_id, decide)

    # ------------------------------------------------------------------ cards

    def issue_card(
        self,
        actor: str,
        beneficiary_id: object,
        *,
        card_number: object,
        valid_from: object,
        valid_to: object = None,
        reason: str = "",
    ) -> dict[str, Any]:
        """Issue a health-insurance card; a number held by another beneficiary is refused (409)."""
        ctx = self.context(actor, reason)

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            number = agg.issue_card(ctx, card_number=card_number, valid_from=valid_from, valid_to=valid_to)
            owner = self.claim_owner("card_number", number)
            if owner is not None and owner.beneficiary_id != str(agg.id):
                raise Conflict(f"card number {number} is in use by another beneficiary", "card_number")
            extra = [UniqueClaim.claim(ctx, "card_number", number, agg.id)] if owner is None else []
            return self.card_view(agg, number), extra

        return self._update(beneficiary_id, decide)

    @staticmethod
    def card_view(agg: Beneficiary, card_number: str) -> dict[str, Any]:
        """A card as the API shows it."""
        card = agg.cards[card_number]
        return {
            "card_number": card.card_number,
            "group": card.group,
            "valid_from": card.valid_from.isoformat(),
            "valid_to": card.valid_to.isoformat() if card.valid_to else None,
            "status": "active" if card.active else "revoked",
            "revoked_on": card.revoked_on.isoformat() if card.revoked_on else None,
            "revoke_reason": card.revoke_reason or None,
        }

    def renew_card(
        self, actor: str, beneficiary_id: object, card_number: object, *, valid_to: object, reason: str = ""
    ) -> dict[str, Any]:
        """Extend a card."""
        ctx = self.context(actor, reason)

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            agg.renew_card(ctx, card_number, valid_to=valid_to)
            return self.card_view(agg, str(card_number).replace(" ", "").upper()), []

        return self._update(beneficiary_id, decide)

    def revoke_card(
        self, actor: str, beneficiary_id: object, card_number: object, *, reason: object, effective_on: object
    ) -> dict[str, Any]:
        """End a card."""
        ctx = self.context(actor, "")

        def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
            agg.revoke_card(ctx, card_number, reason=reason, effective_on=effective_on)
            return self.card_view(agg, str(card_number).replace(" ", "").upper()), []

        return self._update(beneficiary_id, decide)

    # ------------------------------------------------------------------ users

    def add_user(
        self, actor: str, name: object, *, role: object, scope: Sequence[object] = (), reason: str = ""
    ) -> tuple[User, str]:
        """Create a user and its API token; the token is returned once, only its hash is kept."""
        ctx = self.context(actor, reason)
        token = secrets.token_urlsafe(32)
        digest = token_hash(token)

        def attempt() -> tuple[User, Sequence[LedgerAggregate]]:
            existing = self.user(str(name)) if isinstance(name, str) and name.strip() else None
            user = User.register(
                ctx, name=name, role=role, scope=list(scope), token_sha256=digest, existing=existing
            )
            for commune in user.scope:
                resolve_commune(commune, "scope", province=self.province)
            return user, [user, UniqueClaim.claim(ctx, "token", digest, user.id)]

        return self._save_with_retry(attempt), token

    def disable_user(self, actor: str, name: str, *, reason: str = "") -> User:
        """Lock a user out: the next request with its token is refused (401)."""
        ctx = self.context(actor, reason)

        def attempt() -> tuple[User, Sequence[LedgerAggregate]]:
            user = self.user(name)
            if user is None:
                raise NotFound(f"no user named {name}")
            user.disable(ctx)
            return user, [user]

        return self._save_with_retry(attempt)

    def user(self, name: str) -> User | None:
        """A user by name."""
        try:
            found: object = self.repository.get(user_id(name.strip()))
        except (AggregateNotFoundError, ValueError):
            return None
        return found if isinstance(found, User) else None

    def users(self) -> list[User]:
        """Every user, by name."""
        found = []
        for notification in self.recorder.select_notifications(
            1, 10**9, topics=[get_topic(User.UserRegistered)]
        ):
            user: object = self.repository.get(UUID(str(notification.originator_id)))
            if isinstance(user, User):
                found.append(user)
        return sorted(found, key=lambda u: u.name)

    def authenticate(self, token: str) -> User | None:
        """The enabled user holding ``token``, or ``None``.

        Every request asks this. A token's claim never changes once recorded, so the user it names is
        remembered; the user's own stream can (disabled, role changed), so each call reads the
        stream's last version — one row — and reloads the user only when it moved."""
        digest = token_hash(token)
        known = self._token_users.get(digest)
        if known is not None:
            last = self.recorder.select_events(known.id, desc=True, limit=1)
            if last and last[0].originator_version == known.version:
                return None if known.disabled else known
        claim = self.claim_owner("token", digest)
        if claim is None:
            return None
        user: object = self.repository.get(UUID(claim.beneficiary_id))
        if not isinstance(user, User):
            return None
        with self._rates_lock:
            if len(self._token_users) > 10_000:
                self._token_users.clear()
            self._token_users[digest] = user
        return None if user.disabled else user

    # ------------------------------------------------------------------ issued rosters

    @property
    def documents(self) -> DocumentStore:
        """Write-once documents (issued roster files) beside the event log."""
        if self._documents is None:
            if not self.database_url:
                msg = "this ledger was opened without a database URL: documents are not available"
                raise Conflict(msg)
            self._documents = DocumentStore(open_read_store(self.database_url))
        return self._documents

    def issued_roster(
        self, month: object, commune_code: str | None, channel: str | None
    ) -> IssuedRoster | None:
        """The issued roster of a month and scope, if any."""
        try:
            stream: object = self.repository.get(
                roster_id(Month.parse(month, "month"), commune_code, channel)
            )
        except AggregateNotFoundError:
            return None
        assert isinstance(stream, IssuedRoster)  # noqa: S101
        return stream

    def issue_roster(
        self,
        actor: str,
        *,
        month: object,
        commune_code: str | None,
        channel: str | None,
        content: bytes,
        lines: int,
        amount: int,
        reason: str = "",
    ) -> IssuedRoster:
        """Freeze a roster: keep its bytes and record their hash; a second issue of one scope is refused."""
        ctx = self.context(actor, reason)
        target = Month.parse(month, "month")
        existing = self.issued_roster(target, commune_code, channel)
        IssuedRoster.issue(
            ctx,
            month=target,
            commune_code=commune_code,
            channel=channel,
            content_hash="0" * 64,
            lines=lines,
            amount=amount,
            existing=existing,
        )
        digest = self.documents.put(content)

        def attempt() -> tuple[IssuedRoster, Sequence[LedgerAggregate]]:
            issued = IssuedRoster.issue(
                ctx,
                month=target,
                commune_code=commune_code,
                channel=channel,
                content_hash=digest,
                lines=lines,
                amount=amount,
                existing=self.issued_roster(target, commune_code, channel),
            )
            return issued, [issued]

        return self._save_with_retry(attempt)

    # ------------------------------------------------------------------ reading

    def beneficiary_view(self, beneficiary_id: object, month: Month | None = None) -> dict[str, Any]:
        """Current state as ``GET /v1/beneficiaries/{id}`` shows it."""
        agg = self.resolve(beneficiary_id)
        rates = self.rates()
        month = month or self.current_month()
        items, problems = agg.computable_items(month.previous(), rates)
        arrears = [i for i in items if i.outstanding > 0 and not (i.not_collected and i.paid == 0)]
        carried = [i for i in items if i.not_collected and i.paid == 0 and i.outstanding > 0]
        excess = sum(i.excess for i in items)
        return {
            "id": str(agg.id),
            "kind": agg.kind,
            "full_name": agg.full_name,
            "citizen_id": agg.citizen_id,
            "date_of_birth": agg.date_of_birth.isoformat() if agg.date_of_birth else None,
            "sex": agg.sex,
            "household_code": agg.household_code,
            "poverty_status": agg.poverty_status,
            "members": agg.members,
            "commune_code": agg.commune_at(month)[0],  # in force this month; moves come from their month
            "province_code": agg.commune_at(month)[1],
            "status": agg.status(month),
            "date_of_death": agg.date_of_death.isoformat() if agg.date_of_death else None,
            "payment_channel": agg.channel_at(month),
            "places": [
                {"effective_from": str(m), "commune_code": code, "province_code": province}
                for m, code, province in agg.communes
            ],
            "payment_channels": [{"effective_from": str(m), **channel} for m, channel in agg.channels],
            "entitlements": [self.entitlement_view(agg, eid, rates) for eid in agg.entitlements],
            "cards": [self.card_view(agg, n) for n in agg.cards],
            "balances": {
                "arrears_due": sum(i.outstanding for i in arrears),
                "carried_over_due": sum(i.outstanding for i in carried),
                "overpayment_outstanding": max(excess - agg.recovered, 0),
                "recovery_credit": max(agg.recovered - excess, 0),
            },
            "problems": [{"entitlement_id": eid, "reason": why} for eid, why in problems.items()],
            "suspension_candidate": agg.is_suspension_candidate,
            "version": agg.version,
        }

    def stream_events(self, stream_id: UUID) -> list[LedgerAggregate.Event]:
        """Every event of one stream, oldest first."""
        return [e for e in self.events.get(stream_id) if isinstance(e, LedgerAggregate.Event)]

    def all_stream_ids(self) -> Iterable[UUID]:
        """Every stream id in the log, in order of first appearance."""
        seen: set[UUID] = set()
        start = 1
        while True:
            batch = self.recorder.select_notifications(start, 1000)
            for n in batch:
                sid = UUID(str(n.originator_id))
                if sid not in seen:
                    seen.add(sid)
                    yield sid
            if len(batch) < 1000:
                return
            start = batch[-1].id + 1


def open_ledger(
    database_url: str | None = None,
    *,
    settings: Settings | None = None,
    seed_reference: bool = True,
    **kwargs: Any,
) -> BenefitsLedger:
    """Open the ledger on ``database_url`` (default: the settings' ``LEDGER_DATABASE_URL``, else the
    embedded SQLite file).

    A store that lacks the packaged reference rates — a new one, or one written by an older release — has
    them recorded now (:meth:`BenefitsLedger.seed_reference_rates`), so that a fresh store computes from
    its first command. ``seed_reference=False`` records nothing (a read-only replica, an inspector's
    copy, a test that records its own rates).
    """
    settings = settings or load_settings()
    url = database_url or settings.database_url
    kwargs.setdefault("province", settings.province)
    ledger = BenefitsLedger(env=persistence_environment(url, settings), database_url=url, **kwargs)
    if seed_reference:
        try:
            ledger.seed_reference_rates()
        except BaseException:
            ledger.close()
            raise
    return ledger
