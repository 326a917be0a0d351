"""The projection engine — bộ cập nhật bảng đọc: follows the event log, exactly once, in batches.

Each batch of notifications is applied to every read model and the tracking position is moved in the
same transaction: if the process dies mid-batch nothing of that batch is visible and the next run
starts again from the last committed position. Queries call :meth:`ProjectionEngine.catch_up` first,
so a read that follows a write sees it (read-your-writes) without any fixed sleep; a follower process
(``ledger projections follow``) can keep the tables warm with a pull loop, which works on both SQLite
(no subscriptions) and PostgreSQL.

The beneficiary read models are derived from the aggregate state after the batch (folded here from the
events, never read ahead of the tracked position) and from the rates known at that position, so a
rebuild from zero gives the same tables whatever the batch boundaries were.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson

from domain.beneficiary import Beneficiary
from domain.catalogue import RateBook, RateEntry, TableEdition, reference_rate_book
from domain.events import LedgerAggregate
from domain.rates import NccTables, RateSchedule
from domain.values import Month
from ledger.adapters.sqlstore import ReadStore, Tx, open_read_store
from ledger.bulk import BulkLoader
from projections.changes import BatchChanges, write_differences
from projections.views import (
    ADDED_COLUMNS,
    ALL_TABLES,
    INDEXES,
    NEW_TABLES,
    PAYMENT_RECORD_COLUMNS,
    RECOMPUTED_COLUMNS,
    SCHEMA,
    BeneficiaryRows,
    audit_row,
    beneficiary_rows,
    payment_records,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from ledger.application import BenefitsLedger

TRACKING_NAME = "read_models"
BENEFICIARY_TABLES = (
    "rm_beneficiaries",
    "rm_entitlements",
    "rm_dues",
    "rm_payments",
    "rm_recoveries",
    "rm_cards",
    "rm_places",
    "rm_problems",
)
BENEFICIARY_EVENTS = tuple(
    v for v in vars(Beneficiary).values() if isinstance(v, type) and issubclass(v, LedgerAggregate.Event)
)
DEFAULT_BATCH = 2000
REBUILD_BATCH = 20_000
BULK_STATES = 20
"""A batch needing the states of this many beneficiaries or more reads them in bulk."""
REBUILD_WRITE_CHUNK = 2000  # beneficiaries whose rows a rebuild computes and copies at a time
STATE_CACHE = 200_000
"""Beneficiaries whose state the engine keeps between batches (about 20 kB each with two years of
payments): a province's whole register, so that the payment file of a month finds every state in memory
— a state not kept is read from the event store, one query per beneficiary."""
AUDIT_COLUMNS = (
    "notification_id", "stream_id", "seq", "type", "actor", "occurred_on", "recorded_at", "commune_code",
    "reason", "basis", "data", "hash", "prev_hash", "entry",
)  # fmt: skip


class ProjectionEngine:
    """Keeps every read model of one ledger up to date."""

    def __init__(
        self,
        ledger: BenefitsLedger,
        store: ReadStore,
        *,
        batch_size: int = DEFAULT_BATCH,
        cache_size: int = STATE_CACHE,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._lock = threading.RLock()
        self._states: OrderedDict[UUID, Beneficiary] = OrderedDict()
        self._rates: RateBook | None = None
        self.fail_after_apply: int | None = None  # tests: raise inside the n-th batch, before commit
        self._batches = 0
        new = [t for t in NEW_TABLES if not self.store.columns(t)]
        self.store.script(SCHEMA)
        stale = [t for t, names in RECOMPUTED_COLUMNS.items() if not set(names) <= self.store.columns(t)]
        stale += new
        for table, columns in ADDED_COLUMNS.items():
            self.store.add_missing_columns(table, columns)
        self.store.script(INDEXES)
        if stale and self.position() > 0:
            # Rows written before these columns existed hold their defaults, not what the domain computes:
            # replay the log so that every row is written again (rosters and reports read the columns).
            self.rebuild()

    # ------------------------------------------------------------------ position

    @staticmethod
    def _position(tx: Tx) -> int:
        value = tx.scalar("SELECT position FROM rm_tracking WHERE name = ?", (TRACKING_NAME,))
        return int(value) if value is not None else 0

    def position(self) -> int:
        """The last notification id applied to the read models."""
        with self.store.read() as tx:
            return self._position(tx)

    # ------------------------------------------------------------------ rates at the tracked position

    def _rate_book(self, tx: Tx) -> RateBook:
        """The rates known at the tracked position (rm_rates is kept in the same transactions)."""
        if self._rates is None:
            rows = tx.fetchall(
                "SELECT schedule, province, effective_from, amount, legal_basis FROM rm_rates "
                "ORDER BY notification_id"
            )
            entries = [
                RateEntry(
                    schedule=r[0],
                    province=r[1] or None,
                    effective_from=Month.parse(r[2]),
                    amount=int(r[3]),
                    legal_basis=r[4],
                )
                for r in rows
            ]
            editions = [
                TableEdition(
                    standard=int(r[0]),
                    legal_basis=r[1],
                    derived=bool(r[2]),
                    rows=tuple(tuple(row) for row in orjson.loads(r[3])),
                    recorded_by=r[4],
                )
                for r in tx.fetchall(
                    "SELECT standard, legal_basis, derived, rows_json, recorded_by FROM rm_rate_tables "
                    "ORDER BY notification_id"
                )
            ]
            self._rates = reference_rate_book(entries, editions)
        return self._rates

    def rates_in(self, tx: Tx) -> RateBook:
        """The rates known at the tracked position, read in transaction ``tx``."""
        return self._rate_book(tx)

    def state_at(self, stream_id: UUID, version: int) -> Beneficiary | None:
        """A beneficiary's aggregate at ``version`` (the version the read models show)."""
        with self._lock:
            return self._state_before(stream_id, version)

    # ------------------------------------------------------------------ state folding

    def _state_before(self, stream_id: UUID, version: int) -> Beneficiary | None:
        """The beneficiary at ``version`` (the state just before the event being applied)."""
        cached = self._states.get(stream_id)
        if cached is not None and cached.version == version:
            self._states.move_to_end(stream_id)
            return cached
        if version == 0:
            return None
        agg: Any = self.ledger.repository.get(stream_id, version=version)
        return agg if isinstance(agg, Beneficiary) else None

    def _load_states_before(self, decoded: list[tuple[Any, Any, UUID]]) -> None:
        """Hold the state of each beneficiary of a batch just before its first event there: those not
        held already read in bulk (:meth:`ledger.bulk.BulkLoader.load_at`, two queries per 500) rather
        than one by one — after a large import, or in a process that has just started."""
        first: dict[UUID, int] = {}
        for _, event, stream_id in decoded:
            if isinstance(event, BENEFICIARY_EVENTS):
                first.setdefault(stream_id, event.originator_version - 1)
        missing = {
            s: v for s, v in first.items()
            if v > 0 and (s not in self._states or self._states[s].version != v)
        }  # fmt: skip
        if len(missing) < BULK_STATES or not self.ledger.database_url or len(missing) > self.cache_size:
            return
        loader = BulkLoader(self.ledger)
        try:
            for agg in loader.load_at(missing).values():
                if isinstance(agg, Beneficiary):
                    self._remember(agg)
        finally:
            loader.close()

    def _remember(self, agg: Beneficiary) -> None:
        self._states[agg.id] = agg
        self._states.move_to_end(agg.id)
        while len(self._states) > self.cache_size:
            self._states.popitem(last=False)

    # ------------------------------------------------------------------ applying

    def catch_up(self, until: int | None = None) -> int:
        """Apply every notification up to ``until`` (default: the end of the log). Returns how many."""
        applied = 0
        target = until if until is not None else (self.ledger.recorder.max_notification_id() or 0)
        if self.position() >= target:  # up to date: a read, without the writers' lock (every query asks)
            return 0
        with self._lock:
            while True:
                done = self._apply_batch(target)
                if done == 0:
                    return applied
                applied += done

    @contextmanager
    def read_caught_up(self) -> Iterator[Tx]:
        """A read transaction on the read models holding every event recorded when it is asked for
        (read-your-writes), in as few round trips as a query can make: the position is checked inside the
        transaction itself, and only a log that moved on is applied first (then a new transaction)."""
        target = self.ledger.recorder.max_notification_id() or 0
        with self.store.read() as tx:
            if self._position(tx) >= target:
                yield tx
                return
        self.catch_up(until=target)
        with self.store.read() as tx:
            yield tx

    def _apply_batch(self, target: int) -> int:
        try:
            with self.store.write() as tx:
                position = self._position(tx)
                if position >= target:
                    return 0
                limit = min(self.batch_size, target - position)
                notifications = self.ledger.recorder.select_notifications(position + 1, limit, stop=target)
                if not notifications:
                    return 0
                self._apply(tx, notifications)
                last = notifications[-1].id
                tx.execute(
                    "UPDATE rm_tracking SET position = ? WHERE name = ?",
                    (last, TRACKING_NAME),
                )
                self._batches += 1
                self._maybe_fail()
                return len(notifications)
        except BaseException:
            # What was folded in memory is ahead of the committed position: forget it.
            self._states.clear()
            self._rates = None
            raise

    def _maybe_fail(self) -> None:
        if self.fail_after_apply is not None and self._batches >= self.fail_after_apply:
            msg = "simulated crash inside a projection batch"
            raise RuntimeError(msg)

    def _apply(  # noqa: C901 - one pass over the batch
        self, tx: Tx, notifications: Any, folded: dict[UUID, Beneficiary] | None = None
    ) -> None:
        """Apply a batch: the audit trail, the payment records and the rates now, the beneficiaries' rows
        from their state after the batch — by key for those only payment events changed
        (:mod:`projections.changes`), whole for the others. A rebuild passes ``folded``, the states of
        the log read so far, and writes the beneficiaries' rows once at the end."""
        touched: dict[UUID, Beneficiary] = {} if folded is None else folded
        changes = BatchChanges(self._rate_book(tx)) if folded is None else None
        rates_changed = False
        audit = []
        payments: list[tuple[Any, ...]] = []
        decoded = [
            (n, self.ledger.mapper.to_domain_event(n), UUID(str(n.originator_id))) for n in notifications
        ]
        if folded is None:
            self._load_states_before(decoded)
        for notification, event, stream_id in decoded:
            if isinstance(event, BENEFICIARY_EVENTS):
                agg = touched.get(stream_id) or self._state_before(stream_id, event.originator_version - 1)
                if agg is None and event.originator_version != 1:
                    continue
                if changes is not None:
                    changes.before(stream_id, agg, event)
                agg = event.mutate(agg)
                if isinstance(agg, Beneficiary):
                    touched[stream_id] = agg
                    self._remember(agg)
            if isinstance(event, (RateSchedule.RateAmended, RateSchedule.RateAmendmentApproved)):
                rates_changed = True
                self._record_rate(tx, stream_id, event, notification.id)
            elif isinstance(event, NccTables.EditionRecorded):
                rates_changed = True
                self._record_edition(tx, event, notification.id)
            if isinstance(event, LedgerAggregate.Event):
                state = touched.get(stream_id)
                audit.append(audit_row(notification.id, event, state))
                payments.extend(payment_records(notification.id, event))
        tx.insert_rows("rm_audit", AUDIT_COLUMNS, audit)
        tx.insert_rows("rm_payment_records", PAYMENT_RECORD_COLUMNS, payments)
        if rates_changed:
            self._rates = None
        if changes is not None:
            self._write_batch(tx, touched, None if rates_changed else changes)

    def _write_batch(self, tx: Tx, touched: dict[UUID, Beneficiary], changes: BatchChanges | None) -> None:
        """Write the rows of the beneficiaries a batch touched; with ``changes`` ``None`` (the rates
        changed) every beneficiary's rows are rewritten whole."""
        rates = self._rate_book(tx)
        if changes is None:
            for row in tx.fetchall("SELECT id, version FROM rm_beneficiaries"):
                sid = UUID(row[0])
                if sid not in touched:
                    agg = self._state_before(sid, int(row[1]))
                    if agg is not None:
                        touched[sid] = agg
        if changes is None:
            self._write_beneficiaries(tx, list(touched.values()), rates)
            return
        whole = changes.write(tx, touched, rates)
        self._write_beneficiaries(tx, [a for a in whole if a.id in changes.new], rates, replace=False)
        write_differences(tx, changes.rows_before, [a for a in whole if a.id in changes.by_difference], rates)
        rest = [a for a in whole if a.id not in changes.new and a.id not in changes.by_difference]
        self._write_beneficiaries(tx, rest, rates)

    def _record_rate(
        self,
        tx: Tx,
        stream_id: UUID,
        event: RateSchedule.RateAmended | RateSchedule.RateAmendmentApproved,
        position: int,
    ) -> None:
        schedule: Any = self.ledger.repository.get(stream_id, version=event.originator_version)
        entry = schedule.entries[-1]  # the amendment (or the approved proposal) this event put in force
        key = (schedule.schedule, schedule.province_code or "", str(entry.effective_from))
        tx.execute("DELETE FROM rm_rates WHERE schedule = ? AND province = ? AND effective_from = ?", key)
        tx.execute(
            "INSERT INTO rm_rates (schedule, province, effective_from, amount, legal_basis, recorded_at,"
            " notification_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*key, entry.amount, entry.legal_basis, event.timestamp.isoformat(), position),
        )

    @staticmethod
    def _record_edition(tx: Tx, event: NccTables.EditionRecorded, position: int) -> None:
        tx.execute("DELETE FROM rm_rate_tables WHERE standard = ?", (event.standard,))
        tx.execute(
            "INSERT INTO rm_rate_tables (standard, legal_basis, derived, rows_json, recorded_by, recorded_at,"
            " notification_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.standard,
                event.legal_basis,
                event.derived,
                orjson.dumps(event.rows).decode(),
                event.actor,
                event.timestamp.isoformat(),
                position,
            ),
        )

    @staticmethod
    def _write_beneficiaries(
        tx: Tx, aggregates: Sequence[Beneficiary], rates: RateBook, *, replace: bool = True
    ) -> None:
        """Write every row of ``aggregates`` (``replace``: deleting the rows they had first)."""
        if not aggregates:
            return
        rows = BeneficiaryRows()
        for agg in aggregates:
            beneficiary_rows(agg, rates, rows)
        ids = [(str(a.id),) for a in aggregates]
        for table in BENEFICIARY_TABLES if replace else ():
            column = "id" if table == "rm_beneficiaries" else "beneficiary_id"
            tx.executemany(f"DELETE FROM {table} WHERE {column} = ?", ids)  # noqa: S608 - fixed table names
        for table, columns, values in rows.inserts():
            tx.insert_rows(table, columns, values)

    def follow(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Pull loop: catch up, then wait ``interval`` seconds, until ``stop`` is set.

        SQLite has no subscriptions, so this is how a follower keeps the tables warm there; it works the
        same on PostgreSQL. Queries still catch up by themselves, so the follower only saves them time.
        """
        while not stop.is_set():
            self.catch_up()
            stop.wait(interval)

    # ------------------------------------------------------------------ rebuild

    def rebuild(self, batch_size: int = REBUILD_BATCH) -> int:
        """Empty every read model and apply the whole log again from zero, in one transaction.

        The log is read in order, ``batch_size`` events at a time, and folded in memory: the audit trail,
        the payment records and the rates are written as it goes, each beneficiary's rows once at the
        end from its final state (by ``COPY`` on PostgreSQL), with the tables' secondary indexes dropped
        for the load and created after it. A failure leaves the read models as they were; readers see
        the old tables until the commit (PostgreSQL: they wait for it)."""
        with self._lock:
            self._states.clear()
            self._rates = None
            folded: dict[UUID, Beneficiary] = {}
            try:
                with self.store.write() as tx:
                    tx.empty(ALL_TABLES)
                    indexes = tx.secondary_indexes(ALL_TABLES)
                    for name, _ in indexes:
                        tx.execute(f"DROP INDEX {name}")
                    applied, position = self._fold_log(tx, folded, batch_size)
                    rates = self._rate_book(tx)
                    states = list(folded.values())
                    for start in range(0, len(states), REBUILD_WRITE_CHUNK):
                        chunk = states[start : start + REBUILD_WRITE_CHUNK]
                        self._write_beneficiaries(tx, chunk, rates, replace=False)
                    for _, create in indexes:
                        tx.execute(create)
                    tx.execute(
                        "UPDATE rm_tracking SET position = ? WHERE name = ?", (position, TRACKING_NAME)
                    )
            except BaseException:
                self._states.clear()
                self._rates = None
                raise
            return applied

    def _fold_log(self, tx: Tx, folded: dict[UUID, Beneficiary], batch_size: int) -> tuple[int, int]:
        """Apply the whole log in order into ``folded`` (the beneficiaries' rows left unwritten): how many
        events, and the last position."""
        target = self.ledger.recorder.max_notification_id() or 0
        position = applied = 0
        while position < target:
            notifications = self.ledger.recorder.select_notifications(position + 1, batch_size, stop=target)
            if not notifications:
                break
            self._apply(tx, notifications, folded)
            position = notifications[-1].id
            applied += len(notifications)
        return applied, position


def open_projections(ledger: BenefitsLedger, database_url: str, **kwargs: Any) -> ProjectionEngine:
    """The projection engine for ``ledger`` with its read models beside the event log."""
    return ProjectionEngine(ledger, open_read_store(database_url), **kwargs)
