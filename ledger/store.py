"""The ledger's store — kho sự kiện: the eventsourcing ``Application`` the commands run on.

It opens the event store (SQLite or PostgreSQL), saves the aggregates of one decision in one
transaction, loads beneficiaries, claims and users, keeps the rate book up to date from the log, and
runs each decision in a unit of work (:mod:`ledger.unit_of_work`): load once, authorise once, decide,
save once, retried on a write conflict. The commands themselves are in :mod:`ledger.commands`.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    JSONTranscoder,
    Recording,
    StoredEvent,
    Transcoding,
)
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import get_topic

from domain.beneficiary import Beneficiary
from domain.catalogue import (
    RateBook,
    RateEntry,
    TableEdition,
    reference_rate_book,
)
from domain.errors import Conflict, InvalidInput, NotFound, UnknownBeneficiary
from domain.events import LedgerAggregate, RecordContext
from domain.indexes import UniqueClaim, claims_needed, index_id
from domain.positions import PaymentIdRow, WriteSide, write_side_of
from domain.rates import (
    NCC_TABLES_ID,
    NccTables,
    RateSchedule,
    rate_schedule_id,
)
from domain.rosters import ISSUED, IssuedRoster, roster_id
from domain.snapshots import BeneficiarySnapshot
from domain.users import User, token_hash, user_id
from domain.values import Month, parse_citizen_id, parse_reason, vietnam_today
from ledger import unit_of_work
from ledger.adapters.communes import configured_province
from ledger.adapters.documents import DocumentStore
from ledger.adapters.sqlstore import open_read_store
from ledger.authorization import Actor, actor_name, require_reader, require_writer

if TYPE_CHECKING:
    from ledger.signing import Signer

T = TypeVar("T")
Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


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


class LedgerStore(Application[UUID]):
    """The event store of one deployment (one province, or the whole country), without its commands."""

    name = "benefits_ledger"
    MAX_ATTEMPTS = unit_of_work.MAX_ATTEMPTS
    signer: Signer | None = None  # the checkpoints' key (LEDGER_SIGNING_KEY), when this process has it
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
        sixth of a bulk import's time). Anything else is collected by the library as usual.

        Beside the events, in their transaction, the write side's rows (:mod:`domain.positions`): each
        saved beneficiary's payment positions, payment ids and terms — so that the database refuses a
        payment id used before and a period paid beyond what is due."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        side = kwargs.pop("write_side", None) or WriteSide()
        for obj in objs:
            if isinstance(obj, LedgerAggregate):
                events = obj.collect_events()
                if isinstance(obj, Beneficiary) and events:
                    # the rates only where an event's rule left no due of its decision (rarely: read then)
                    side.extend(write_side_of(obj, events, self.rates))
                processing_event.events.extend(events)
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        if side:
            processing_event.saved_kwargs["write_side"] = side
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, kept as the library does
        return recordings

    def record_stored(self, stored: Sequence[StoredEvent], write_side: WriteSide) -> None:
        """Store events already turned into stored events by the mapper, with their write side's rows, in
        one transaction (a bulk import's sealed chunk: :meth:`save` has made them so for each
        aggregate). The library's notification of followers is not called: the ledger has none; readers
        tail the log."""
        if stored:
            self.recorder.insert_events(stored, write_side=write_side)

    def _under_schema_lock(self, construct: Callable[[], T]) -> T:
        datastore = getattr(self.factory, "datastore", None)
        if not isinstance(datastore, PostgresDatastore):
            return construct()  # SQLite: ledger/adapters/sqlite_store.py makes opening at once safe
        key = zlib.crc32(f"benefits-ledger-schema:{datastore.schema}".encode())
        with datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                return construct()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    # ------------------------------------------------------------------ plumbing

    def context(self, actor: Actor, reason: object = "") -> RecordContext:
        """Who records, and now."""
        if isinstance(actor, User):
            require_writer(actor)  # an inspector records nothing, whatever the command
            actor = actor_name(actor)
        if not isinstance(actor, str) or not actor.strip():
            raise InvalidInput("actor", "every write needs the name of who records it")
        return RecordContext(actor=actor.strip(), recorded_at=self.clock(), reason=parse_reason(reason))

    def save_with_retry(self, attempt_fn: Callable[[], tuple[T, Sequence[LedgerAggregate]]]) -> T:
        """Run ``attempt_fn`` (which loads state and decides) and save, retrying on a write conflict."""
        return unit_of_work.run_attempts(self, attempt_fn)

    def update(
        self,
        beneficiary_id: object,
        decide: Callable[[Beneficiary], tuple[T, Sequence[LedgerAggregate]]],
        *,
        by: Actor,
    ) -> T:
        """Decide on one beneficiary in a unit of work: loaded once, ``by`` checked once against its
        commune this month, saved in one transaction with the aggregates ``decide`` adds."""
        bid = parse_beneficiary_id(beneficiary_id)

        def attempt(uow: unit_of_work.UnitOfWork) -> T:
            result, extra = decide(uow.beneficiary(bid))
            uow.add(*extra)
            return result

        return unit_of_work.run(self, by, attempt)

    def decide_on(
        self,
        actor: Actor,
        reason: object,
        beneficiary_id: object,
        decide: Callable[[Beneficiary, RecordContext], T],
    ) -> T:
        """The shape of most commands: who records and why (:meth:`context`, so an inspector is refused
        before anything is read), then ``decide`` on one beneficiary in a unit of work (:meth:`update`)
        with nothing to save beside it; returns what ``decide`` answers (the entrance's view)."""
        ctx = self.context(actor, reason)
        return self.update(beneficiary_id, lambda agg: (decide(agg, ctx), ()), by=actor)

    def beneficiary(self, beneficiary_id: object) -> Beneficiary:
        """The beneficiary's current state, or :class:`NotFound` (also for an id that is not a UUID)."""
        return self._loaded(beneficiary_id, self._trusted_snapshot_load)

    def beneficiary_to_decide(self, beneficiary_id: object) -> Beneficiary:
        """The beneficiary's state replayed from its own events, never from a snapshot: what a decision
        (a payment, a grant, a recovery) is taken on. A snapshot is a cache for reading and bulk loads;
        one edited in the database — even with its head hash kept — cannot steer a write."""
        return self._loaded(beneficiary_id, self._replayed)

    @staticmethod
    def _loaded(beneficiary_id: object, load: Callable[[UUID], object]) -> Beneficiary:
        try:
            bid = parse_beneficiary_id(beneficiary_id)
        except InvalidInput:
            raise UnknownBeneficiary(f"beneficiary {beneficiary_id} not found") from None
        agg = load(bid)
        if not isinstance(agg, Beneficiary):
            raise UnknownBeneficiary(f"beneficiary {bid} not found")
        return agg

    def _replayed(self, bid: UUID) -> object:
        found: Any = None
        stored: Any
        for stored in self.events.get(bid):
            found = stored.mutate(found)
        return found

    def _trusted_snapshot_load(self, bid: UUID) -> object:
        """The stream's aggregate from its latest snapshot and the events after it — only if the stored
        event at the snapshot's version carries the snapshot's head hash and every later event continues
        the chain (as :mod:`ledger.bulk` checks); otherwise, with a warning, replayed from its first event.
        The library's ``repository.get`` takes the latest snapshot as it is: one altered in the database
        would steer the rules (a paid month made to look unpaid lets a second payment through)."""
        if self.snapshots is not None:
            agg, version = None, "?"
            try:
                snapshot = next(iter(self.snapshots.get(bid, desc=True, limit=1)), None)
                if snapshot is None:
                    version = ""
                else:
                    version = str(snapshot.originator_version)
                    agg = self._from_snapshot(
                        snapshot, self.events.get(bid, gt=snapshot.originator_version - 1)
                    )
            except Exception:
                log.debug("snapshot of %s unreadable", bid, exc_info=True)
            if agg is not None:
                return agg
            if version:
                log.warning(
                    "snapshot of stream %s at version %s disagrees with the stored events (or cannot be "
                    "read): replayed from its first event",
                    bid,
                    version,
                )
        return self._replayed(bid)

    @staticmethod
    def _from_snapshot(snapshot: Any, events: Iterable[Any]) -> Any:
        """The snapshot folded with ``events`` (from the snapshot's own version on), or ``None`` when the
        first is not the event the snapshot was taken at or a later one does not continue the chain."""
        head = snapshot.state.get("chain_head") if isinstance(snapshot.state, dict) else None
        agg: Any = None
        for event in events:
            if agg is None:
                if event.originator_version != snapshot.originator_version or event.event_hash != head:
                    return None
                agg = snapshot.mutate(None)
            elif event.prev_hash == agg.chain_head:
                agg = event.mutate(agg)
            else:
                return None
        return agg

    def claim_owner(self, kind: str, value: str) -> UniqueClaim | None:
        """The claim on a citizen ID, payment id or card number, if any."""
        try:
            claim: object = self.repository.get(index_id(kind, value))
        except AggregateNotFoundError:
            return None
        assert isinstance(claim, UniqueClaim)  # noqa: S101 - index ids are only used by claims
        return claim

    def recorded_payment(self, payment_id: str) -> PaymentIdRow | None:
        """The payment a payment id names, from the write side's table of payment ids (the database's
        unique key on it is what makes a payment id name one payment), if recorded."""
        return self.recorded_payments([payment_id]).get(payment_id)

    def recorded_payments(self, payment_ids: Sequence[str]) -> dict[str, PaymentIdRow]:
        """:meth:`recorded_payment` of many payment ids at once (those recorded)."""
        tables = self.recorder.write_side  # type: ignore[attr-defined]
        with self.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            found: dict[str, PaymentIdRow] = tables.payments(cursor, payment_ids)
            return found

    def claim_for(self, ctx: RecordContext, kind: str, value: str, owner_id: UUID) -> list[UniqueClaim]:
        """The claim of ``value`` (a citizen ID, a household code, a card number, a payment id) for the
        beneficiary ``owner_id``, to save with its events — the domain's one rule
        (:func:`domain.indexes.claims_needed`) applied to the claim on record."""
        return claims_needed(ctx, self.claim_owner(kind, value), kind, value, owner_id)

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

    def readable(self, actor: Actor, key: object) -> Beneficiary:
        """A beneficiary by id or citizen ID whose personal data ``actor`` may read: 403 for an officer
        outside its communes (the commune in force this month, as for writing)."""
        agg = self.resolve(key)
        require_reader(actor, agg.commune_at(self.current_month())[0])
        return agg

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

    def today(self) -> date:
        """The ledger's business day: the day its clock is at in Vietnam (Asia/Ho_Chi_Minh), not in UTC
        (:func:`domain.values.vietnam_today`; the clock itself stays UTC)."""
        return vietnam_today(self.clock())

    def current_month(self) -> Month:
        """The month of the ledger's business day (:meth:`today`): Vietnam's, so December from 00:00 on
        1 December in Vietnam (17:00 UTC on 30 November)."""
        return Month.of(self.today())

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

    def rate_schedules(self) -> list[RateSchedule]:
        self.rates()  # brings the known rate streams up to date
        found = []
        for stream_id in list(self._rate_streams):
            stream: object = self.repository.get(stream_id)
            if isinstance(stream, RateSchedule):
                found.append(stream)
        return found

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

    # ------------------------------------------------------------------ entitlements

    # ------------------------------------------------------------------ payments

    # ------------------------------------------------------------------ cards

    # ------------------------------------------------------------------ users

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
        """The enabled user whose current, unexpired token is ``token``, or ``None``;
        :class:`~domain.errors.TokenExpired` (naming the day) for a current token whose day has passed."""
        return self.authenticate_hash(token_hash(token))

    def authenticate_hash(self, digest: str) -> User | None:
        """:meth:`authenticate` by the token's SHA-256 (what a page session remembers of its sign-in).

        Every request asks this. A token's claim never changes once recorded, so the user it names is
        remembered; the user's own stream can (disabled, token rotated, role changed), so each call reads
        the stream's last version — one row — and reloads the user only when it moved: a token rotated
        or a user disabled by another process (``ledger users rotate`` beside a running server) is
        refused from the next request on. Whether the token is the current one and before its expiry
        day (on the ledger's clock) is the user's rule, :meth:`~domain.users.User.accepts`."""
        known = self._token_users.get(digest)
        if known is not None:
            last = self.recorder.select_events(known.id, desc=True, limit=1)
            if last and last[0].originator_version == known.version:
                return self._accepted(known, digest)
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
        return self._accepted(user, digest)

    def _accepted(self, user: User, digest: str) -> User | None:
        return user if user.accepts(digest, self.today()) else None

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
        """The issued (approved) roster of a month and scope, if any."""
        found = self.roster(month, commune_code, channel)
        return found if found is not None and found.status == ISSUED else None

    def roster(self, month: object, commune_code: str | None, channel: str | None) -> IssuedRoster | None:
        """The roster of a month and scope, whatever its status (prepared, issued, returned), if any."""
        return self.roster_by_id(roster_id(Month.parse(month, "month"), commune_code, channel))

    def roster_by_id(self, stream_id: UUID) -> IssuedRoster | None:
        """The roster stream with this id, if any."""
        try:
            stream: object = self.repository.get(stream_id)
        except AggregateNotFoundError:
            return None
        return stream if isinstance(stream, IssuedRoster) else None

    def roster_ids(self) -> list[UUID]:
        """Every roster stream prepared for approval (the two-step rosters), oldest first."""
        return [
            UUID(str(n.originator_id))
            for n in self.recorder.select_notifications(
                1, 10**9, topics=[get_topic(IssuedRoster.RosterPrepared)]
            )
        ]

    def roster_awaiting_approval(
        self,
        month: object,
        commune_code: str,
        channel: str,
        cache: dict[UUID, IssuedRoster | None] | None = None,
    ) -> IssuedRoster | None:
        """A roster covering a line of this commune and channel in ``month`` (the commune's or the
        province's, the channel's or all channels') that was prepared or returned but not approved —
        unless another covering roster was issued: payments are recorded against approved rosters.
        ``cache`` (stream id → roster) spares an import reading the same streams again."""
        target = Month.parse(month, "month")
        covering = [
            roster_id(target, commune, chan)
            for commune, chan in (
                (commune_code, channel),
                (commune_code, None),
                (None, channel),
                (None, None),
            )
        ]
        unknown = [sid for sid in covering if cache is None or sid not in cache]
        existing = self._existing_streams(unknown) if unknown else set()
        pending: IssuedRoster | None = None
        for sid in covering:
            if cache is not None and sid in cache:
                found = cache[sid]
            else:
                found = self.roster_by_id(sid) if sid in existing else None
                if cache is not None:
                    cache[sid] = found
            if found is None:
                continue
            if found.status == ISSUED:
                return None
            pending = pending or found
        return pending

    def _existing_streams(self, stream_ids: Sequence[UUID]) -> set[UUID]:
        """Which of ``stream_ids`` have a stored event (one query; most covering rosters do not exist)."""
        tables = self.recorder.write_side  # type: ignore[attr-defined]  # names the events table
        with self.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            found: set[UUID] = tables.existing_streams(cursor, stream_ids)
            return found

    # ------------------------------------------------------------------ reading

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
