"""Payment events written row by row — cập nhật theo dòng: only the rows an event changes.

A payment file records one event per beneficiary (paid, not collected, a reversal, a recovery); rewriting
each one's whole set of rows (two years of dues lines per entitlement, every payment) for it made the
read side far slower than the write side. For the events of :data:`PAYMENT_EVENTS` the engine writes
instead, by key:

* the ``rm_dues`` row of the item the event changes — the :class:`~domain.parts.DueItem` of that
  (entitlement, period) as the aggregate computes it (``due_item``), the same row
  :func:`projections.views.beneficiary_rows` writes for it — and the rows of the months the beneficiary's
  dues lines' reach (:func:`~projections.views.rows_until`: ``DUES_AHEAD`` months past the horizon)
  gained or lost;
* the ``rm_payments`` row of a payment recorded or reversed, the ``rm_recoveries`` row of a recovery;
* the ``rm_beneficiaries`` columns such events change: status (as of the horizon), last event, version,
  horizon, suspension candidate, recovered, and ``overpaid`` — the sum of the items' excess, moved by the
  change of the domain's :attr:`~domain.parts.DueItem.excess` of the items written.

Nothing else of a beneficiary depends on these events (due amounts, communes, channels, entitlements,
cards and places do not). Every other event, a rate change, or an item no rate in force can compute
(``rm_problems`` names those) rewrites the beneficiary's rows whole, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from domain.beneficiary import Beneficiary
from domain.catalogue import RateMissing
from projections.views import (
    BENEFICIARY_COLUMNS,
    DUES_COLUMNS,
    PAYMENT_COLUMNS,
    RECOVERY_COLUMNS,
    ROW_KEYS,
    BeneficiaryRows,
    beneficiary_row,
    beneficiary_rows,
    due_row,
    horizon,
    payment_row,
    recovery_row,
    rows_until,
)

if TYPE_CHECKING:
    from uuid import UUID

    from domain.catalogue import RateBook
    from domain.events import LedgerAggregate
    from domain.parts import DueItem
    from ledger.adapters.sqlstore import Tx

PAYMENT_EVENTS = (
    Beneficiary.PaymentRecorded,
    Beneficiary.PaymentNotCollected,
    Beneficiary.PaymentReversed,
    Beneficiary.OverpaymentRecovered,
    Beneficiary.OverpaymentDeducted,
)
"""The events whose rows are written by key (everything else rewrites the beneficiary's rows)."""
SUMMARY_COLUMNS = (
    "status", "last_event_at", "version", "horizon", "suspension_candidate", "recovered", "dues_until",
)  # fmt: skip
"""The ``rm_beneficiaries`` columns a payment event can change, besides ``overpaid``."""
_SUMMARY_AT = tuple(BENEFICIARY_COLUMNS.index(c) for c in SUMMARY_COLUMNS)

Key = tuple[str, str]  # (entitlement_id, period)


def changed_item(agg: Beneficiary, event: LedgerAggregate.Event) -> Key | None:
    """The item (entitlement, period) a payment event changes in ``agg`` (its state before the event):
    none for a recovery in cash."""
    if isinstance(event, Beneficiary.PaymentReversed):
        payment = agg.payments[event.payment_id]
        return payment.entitlement_id, payment.period
    if isinstance(
        event, (Beneficiary.PaymentRecorded, Beneficiary.PaymentNotCollected, Beneficiary.OverpaymentDeducted)
    ):
        return event.entitlement_id, event.period
    return None


@dataclass
class RowChanges:
    """What the payment events of one batch change of one beneficiary whose rows were written before.

    ``keys`` are the items with a ``rm_dues`` row (up to the month the rows were written to),
    ``recoveries`` how many ``rm_recoveries`` rows there are; ``before`` holds each item an event
    changes, as it was written (the state before the batch)."""

    keys: frozenset[Key]
    recoveries: int
    before: dict[Key, DueItem] = field(default_factory=dict)
    payments: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, agg: Beneficiary) -> RowChanges:
        """The rows of ``agg`` as written (its state before the batch's first event of it)."""
        return cls(frozenset(agg.periods(rows_until(agg))), len(agg.recoveries))

    def note(self, agg: Beneficiary, event: LedgerAggregate.Event, rates: RateBook) -> None:
        """Before ``event`` is applied to ``agg``: keep the item it changes as it was written."""
        key = changed_item(agg, event)
        if key is not None and key not in self.before:
            self.before[key] = agg.due_item(key[0], key[1], rates)
        if isinstance(event, (Beneficiary.PaymentRecorded, Beneficiary.PaymentReversed)):
            self.payments.add(event.payment_id)


@dataclass
class RowUpdates:
    """The statements' rows for a batch's beneficiaries written by key."""

    dues: list[tuple[Any, ...]] = field(default_factory=list)
    gone: list[Key] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    recoveries: list[tuple[Any, ...]] = field(default_factory=list)
    summaries: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, agg: Beneficiary, change: RowChanges, rates: RateBook) -> None:
        """The rows of ``agg`` (its state after the batch) that differ from what ``change`` says is
        written. :class:`~domain.catalogue.RateMissing` when an item cannot be computed (nothing added)."""
        last = horizon(agg)
        keys = set(agg.periods(rows_until(agg, last)))
        bid = str(agg.id)
        dues: list[tuple[Any, ...]] = []
        gone: list[Key] = []
        overpaid = 0
        for key in sorted(change.before.keys() | (keys ^ change.keys)):
            now = agg.due_item(key[0], key[1], rates) if key in keys else None
            was = None
            if key in change.keys:  # an item no event of the batch changed is as it was written
                was = change.before.get(key) or now or agg.due_item(key[0], key[1], rates)
            overpaid += (now.excess if now else 0) - (was.excess if was else 0)
            if now is None:
                gone.append(key)
            elif now != was:
                dues.append(due_row(agg, bid, now))
        self.dues.extend(dues)
        self.gone.extend(gone)
        self.payments.extend(payment_row(agg, bid, agg.payments[pid]) for pid in sorted(change.payments))
        self.recoveries.extend(recovery_row(bid, r) for r in agg.recoveries[change.recoveries :])
        summary = beneficiary_row(agg, last, 0)
        self.summaries.append((*(summary[i] for i in _SUMMARY_AT), overpaid, bid))

    def write(self, tx: Tx) -> None:
        """Write the rows by key."""
        tx.delete_rows("rm_dues", ("entitlement_id", "period"), self.gone)
        tx.upsert_rows("rm_dues", DUES_COLUMNS, ("entitlement_id", "period"), self.dues)
        tx.upsert_rows("rm_payments", PAYMENT_COLUMNS, ("payment_id",), self.payments)
        tx.upsert_rows("rm_recoveries", RECOVERY_COLUMNS, ("beneficiary_id", "recovery_id"), self.recoveries)
        tx.update_rows("rm_beneficiaries", SUMMARY_COLUMNS, "id", self.summaries, added=("overpaid",))


def write_differences(
    tx: Tx, before: BeneficiaryRows, beneficiaries: list[Beneficiary], rates: RateBook
) -> None:
    """Write the rows of ``beneficiaries`` (their states after the batch) that differ from ``before``,
    the rows they had (:func:`projections.views.beneficiary_rows` of their states before, what the tables
    hold): a row whose key is gone is deleted, a new or changed one upserted — the tables end as a
    delete-and-rewrite leaves them, without touching the rows that stay."""
    after = BeneficiaryRows()
    for agg in beneficiaries:
        beneficiary_rows(agg, rates, after)
    for (table, columns, old), (_, _, new) in zip(before.tables(), after.tables(), strict=True):
        at = [columns.index(c) for c in ROW_KEYS[table]]
        had = {tuple(row[i] for i in at): row for row in old}
        has = {tuple(row[i] for i in at): row for row in new}
        tx.delete_rows(table, ROW_KEYS[table], [key for key in had if key not in has])
        tx.upsert_rows(
            table, columns, ROW_KEYS[table], [row for key, row in has.items() if had.get(key) != row]
        )


class BatchChanges:
    """Which beneficiaries of a batch are written by key, and what changed of each."""

    def __init__(self, rates: RateBook) -> None:
        self.rates = rates  # the rates the rows were written with (a batch that changes them writes all)
        self.changes: dict[UUID, RowChanges] = {}
        self.whole: set[UUID] = set()  # beneficiaries whose rows are rewritten whole
        self.new: set[UUID] = set()  # of those, the streams the batch starts: no rows yet
        # of those, the ones written by difference (the batch's first event of them was not a payment)
        # and the rows they had before it: only the rows that differ are written (a grant to everyone
        # must not rewrite everyone's rows)
        self.by_difference: set[UUID] = set()
        self.rows_before = BeneficiaryRows()

    def before(self, stream_id: UUID, agg: Beneficiary | None, event: LedgerAggregate.Event) -> None:
        """Note ``event`` before it is applied to ``agg`` (``None``: the stream starts with it)."""
        if stream_id in self.whole:
            return
        if agg is None or not isinstance(event, PAYMENT_EVENTS):
            self.whole.add(stream_id)
            if agg is None:
                self.new.add(stream_id)
            elif stream_id not in self.changes:  # the state the rows were written from, untouched yet
                self.by_difference.add(stream_id)
                beneficiary_rows(agg, self.rates, self.rows_before)
            self.changes.pop(stream_id, None)
            return
        change = self.changes.get(stream_id)
        try:
            if change is None:
                change = self.changes[stream_id] = RowChanges.of(agg)
            change.note(agg, event, self.rates)
        except RateMissing:
            self.whole.add(stream_id)
            self.changes.pop(stream_id, None)

    def write(self, tx: Tx, touched: dict[UUID, Beneficiary], rates: RateBook) -> list[Beneficiary]:
        """Write the rows of the beneficiaries changed by payment events only; return the others (their
        rows are to be rewritten whole)."""
        updates = RowUpdates()
        whole = []
        for stream_id, agg in touched.items():
            change = self.changes.get(stream_id)
            if change is None:
                whole.append(agg)
                continue
            try:
                updates.add(agg, change, rates)
            except RateMissing:
                whole.append(agg)
        updates.write(tx)
        return whole
