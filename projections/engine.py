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
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson

from domain.beneficiary import Beneficiary
from domain.catalogue import RateBook, RateEntry, TableEdition, reference_rate_book
from domain.events import LedgerAggregate
from domain.rates import NccTables, RateSchedule
from domain.values import Month
from ledger.adapters.sqlstore import ReadStore, Tx, open_read_store
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
AUDIT_COLUMNS = (
    "notification_id", "stream_id", "seq", "type", "actor", "occurred_on", "recorded_at", "commune_code",
    "reason", "basis", "data", "hash", "prev_hash",
)  # fmt: skip


class ProjectionEngine:
    """Keeps every read model of one ledger up to date."""

    def __init__(
        self,
        ledger: BenefitsLedger,
        store: ReadStore,
        *,
        batch_size: int = DEFAULT_BATCH,
        cache_size: int = 50_000,
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
        # During a rebuild: the beneficiaries written since the tables were emptied (only their old
        # rows need deleting); None outside a rebuild (every beneficiary may have rows).
        self._written_in_rebuild: set[UUID] | None = None
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

    def _remember(self, agg: Beneficiary) -> None:
        self._states[agg.id] = agg
        self._states.move_to_end(agg.id)
        while len(self._states) > self.cache_size:
            self._states.popitem(last=False)

    # ------------------------------------------------------------------ applying

    def catch_up(self, until: int | None = None) -> int:
        """Apply every notification up to ``until`` (default: the end of the log). Returns how many."""
        applied = 0
        with self._lock:
            target = until if until is not None else (self.ledger.recorder.max_notification_id() or 0)
            while True:
                done = self._apply_batch(target)
                if done == 0:
                    return applied
                applied += done

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

    def _apply(self, tx: Tx, notifications: Any) -> None:  # noqa: C901 - one pass over the batch
        touched: dict[UUID, Beneficiary] = {}
        rates_changed = False
        audit = []
        payments: list[tuple[Any, ...]] = []
        for notification in notifications:
            event = self.ledger.mapper.to_domain_event(notification)
            stream_id = UUID(str(notification.originator_id))
            if isinstance(event, BENEFICIARY_EVENTS):
                agg = touched.get(stream_id) or self._state_before(stream_id, event.originator_version - 1)
                if agg is None and event.originator_version != 1:
                    continue
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
        rates = self._rate_book(tx)
        if rates_changed:
            for row in tx.fetchall("SELECT id, version FROM rm_beneficiaries"):
                sid = UUID(row[0])
                if sid not in touched:
                    agg = self._state_before(sid, int(row[1]))
                    if agg is not None:
                        touched[sid] = agg
        self._write_beneficiaries(tx, list(touched.values()), rates)

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

    def _write_beneficiaries(self, tx: Tx, aggregates: list[Beneficiary], rates: RateBook) -> None:
        if not aggregates:
            return
        rows = BeneficiaryRows()
        for agg in aggregates:
            beneficiary_rows(agg, rates, rows)
        written = self._written_in_rebuild
        ids = [(str(a.id),) for a in aggregates if written is None or a.id in written]
        if written is not None:
            written.update(a.id for a in aggregates)
        for table in BENEFICIARY_TABLES:
            column = "id" if table == "rm_beneficiaries" else "beneficiary_id"
            if ids:
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
        """Drop every read model and apply the whole log again from zero.

        The same code as following the log, in larger batches (a beneficiary's rows are recomputed once
        per batch that touches it, not once per 2,000 events), and without deleting the rows of
        beneficiaries not written yet since the tables were emptied."""
        with self._lock:
            self._states.clear()
            self._rates = None
            with self.store.write() as tx:
                for table in ALL_TABLES:
                    tx.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                tx.execute("UPDATE rm_tracking SET position = 0 WHERE name = ?", (TRACKING_NAME,))
            usual, self.batch_size = self.batch_size, max(self.batch_size, batch_size)
            self._written_in_rebuild = set()
            try:
                return self.catch_up()
            finally:
                self.batch_size = usual
                self._written_in_rebuild = None


def open_projections(ledger: BenefitsLedger, database_url: str, **kwargs: Any) -> ProjectionEngine:
    """The projection engine for ``ledger`` with its read models beside the event log."""
    return ProjectionEngine(ledger, open_read_store(database_url), **kwargs)
