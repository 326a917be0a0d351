"""Payment positions — sổ theo dõi chi trả: what the write side keeps beside the events so that the
database itself refuses a payment twice.

For every entitlement and period a beneficiary was paid (or withheld from, or recorded as not
collected), one *position*: what was due when it last grew, what is paid, what is withheld, whether it
was not collected. For every payment id, the one payment it names. Both live in tables written in the
same transaction as the events (:mod:`ledger.adapters.write_side`), where

* the payment id is a primary key: a second payment with the same id — for anyone — cannot be stored;
* the position's ``paid`` and ``withheld`` are *added to* by the database from each event's amount, and
  ``paid + withheld <= due`` is a check constraint with ``due`` as the domain computed it for the
  decision: a payment that Python let through for a month already paid in full (a bug in a rule, a
  cache that lied) makes the transaction fail, and nothing of it is stored.

This module is the one place that turns a beneficiary's new events into those rows
(:func:`write_side_of`); the aggregate's own rules (``record_payment`` and its neighbours) decide, and
the rows only say what the decision was. It also names the compact *terms* of a beneficiary
(:func:`terms_of`, :func:`restore_terms`): the state a payment's rule reads besides the position —
entitlements, communes, channels, death — which a bulk import restores instead of a whole aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from domain.errors import Conflict
from domain.indexes import TAKEN
from domain.snapshots import restore, state_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import date
    from uuid import UUID

    from domain.beneficiary import Beneficiary
    from domain.catalogue import RateBook
    from domain.parts import Payment


class PositionChange(NamedTuple):
    """One event's change to the position of an entitlement-period.

    ``due`` is what the domain computes is due after the event when the event adds to what is paid or
    withheld (the check constraint is taken against it); ``None`` when the event only takes away
    (a reversal) or marks the period not collected, and the stored ``due`` stays as it was."""

    beneficiary_id: UUID
    entitlement_id: str
    period: str
    due: int | None
    paid: int
    withheld: int
    not_collected: bool


class PaymentIdRow(NamedTuple):
    """The payment a payment id names (mã chi trả): whose, which entitlement-period, how much, when."""

    payment_id: str
    beneficiary_id: UUID
    entitlement_id: str
    period: str
    amount: int
    paid_on: date
    version: int


class TermsRow(NamedTuple):
    """A beneficiary's terms at a version of its stream (the stream's head, and its hash)."""

    beneficiary_id: UUID
    version: int
    chain_head: str
    terms: dict[str, Any]


@dataclass
class WriteSide:
    """The rows one transaction writes beside its events."""

    positions: list[PositionChange] = field(default_factory=list)
    payment_ids: list[PaymentIdRow] = field(default_factory=list)
    terms: list[TermsRow] = field(default_factory=list)
    #: Streams whose terms are unchanged by the new events and only move from the head they were
    #: stored at to the new one: (stream, version before, version, hash). A terms row at another version
    #: than "before" is left as it is (stale: a bulk import then decides on the whole aggregate).
    heads: list[tuple[UUID, int, int, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.positions or self.payment_ids or self.terms or self.heads)

    def extend(self, other: WriteSide) -> None:
        """Add ``other``'s rows to these."""
        self.positions.extend(other.positions)
        self.payment_ids.extend(other.payment_ids)
        self.terms.extend(other.terms)
        self.heads.extend(other.heads)


PAYMENT_EVENTS = ("PaymentRecorded", "PaymentNotCollected", "PaymentReversed", "OverpaymentDeducted")
"""The events that change a position (by class name: the events are nested in ``Beneficiary``)."""
TERMS_UNCHANGED = frozenset({*PAYMENT_EVENTS, "OverpaymentRecovered"})
"""The events after which a beneficiary's terms are what they were (only its head moves)."""


def position_changes(
    agg: Beneficiary, events: Sequence[Any], rates: RateBook | Callable[[], RateBook]
) -> list[PositionChange]:
    """The position changes of ``events`` (the new events of ``agg``, already applied to it), in order;
    ``due`` as the rule that recorded the event found it (``decided_due``), else as ``agg`` computes it
    with ``rates`` (or what the callable ``rates`` gives: asked only then)."""
    decided: dict[tuple[str, str], int] = agg.__dict__.pop("_pending_dues", {})

    def due(event: Any) -> int:
        key = (event.entitlement_id, event.period)
        found = decided.get(key)
        if found is not None:
            return found
        return agg.due_amount(key[0], key[1], rates() if callable(rates) else rates)

    changes: list[PositionChange] = []
    for event in events:
        name = type(event).__name__
        if name == "PaymentRecorded":
            changes.append(
                PositionChange(agg.id, event.entitlement_id, event.period, due(event), event.amount, 0, False)  # noqa: FBT003
            )
        elif name == "OverpaymentDeducted":
            changes.append(
                PositionChange(agg.id, event.entitlement_id, event.period, due(event), 0, event.amount, False)  # noqa: FBT003
            )
        elif name == "PaymentReversed":
            payment = agg.payments[event.payment_id]
            changes.append(
                PositionChange(
                    agg.id,
                    payment.entitlement_id,
                    payment.period,
                    None,
                    -payment.amount,
                    0,
                    False,  # noqa: FBT003
                )
            )
        elif name == "PaymentNotCollected":
            changes.append(PositionChange(agg.id, event.entitlement_id, event.period, due(event), 0, 0, True))  # noqa: FBT003
    return changes


def refuse_another_payment_id(recorded: PaymentIdRow | None, beneficiary_id: UUID) -> None:
    """A payment id names one payment: one recorded for another beneficiary is refused (409, naming
    ``payment_id``) — for a command and an import row alike; the database's key refuses it anyway."""
    if recorded is not None and recorded.beneficiary_id != beneficiary_id:
        raise Conflict(TAKEN["payment_id"].format(value=recorded.payment_id, owner=recorded.beneficiary_id),
                       "payment_id")  # fmt: skip


def payment_id_rows(agg_id: UUID, events: Iterable[Any]) -> list[PaymentIdRow]:
    """A row per payment recorded among ``events``."""
    return [
        PaymentIdRow(
            e.payment_id, agg_id, e.entitlement_id, e.period, e.amount, e.paid_on, e.originator_version
        )
        for e in events
        if type(e).__name__ == "PaymentRecorded"
    ]


def write_side_of(
    agg: Beneficiary, events: Sequence[Any], rates: RateBook | Callable[[], RateBook]
) -> WriteSide:
    """The rows a save of ``agg`` with its new ``events`` (applied already) writes beside them: its
    position changes, its new payment ids, and its terms at the new head — or only the new head when
    no event changed the terms."""
    side = WriteSide(position_changes(agg, events, rates), payment_id_rows(agg.id, events))
    if events:
        if all(type(e).__name__ in TERMS_UNCHANGED for e in events) and events[0].originator_version > 1:
            side.heads.append((agg.id, events[0].originator_version - 1, agg.version, agg.chain_head))
        else:
            side.terms.append(TermsRow(agg.id, agg.version, agg.chain_head, terms_of(agg)))
    return side


# ---------------------------------------------------------------------------------------------- terms

_PAYMENT_STATE = ("payments", "paid", "not_collected", "withheld", "recoveries", "cards")


def terms_of(agg: Beneficiary) -> dict[str, Any]:
    """The beneficiary's state as a snapshot holds it (:func:`domain.snapshots.state_of`) without what
    its positions and payment ids hold (payments, paid, withheld, not collected), its recoveries and its
    cards (and the amount recovered): what a payment's rule reads besides the position. Its head hash and
    time of last change are left out: the stored row's version and hash say at which head the terms
    hold."""
    state = state_of(agg)
    for key in _PAYMENT_STATE:
        state[key] = []
    # what moves with every event is the row's own version and head hash, not the terms
    state["chain_head"] = ""
    state["modified_on"] = state["created_on"]
    state["person"] = [*state["person"][:-1], 0]  # the amount recovered: the recoveries' side
    return state


def restore_terms(
    terms: dict[str, Any],
    beneficiary_id: UUID,
    version: int,
    chain_head: str,
    positions: Iterable[tuple[str, str, int, int, bool]] = (),
    payments: Iterable[Payment] = (),
) -> Beneficiary:
    """A beneficiary restored from its terms at ``version`` (head hash ``chain_head``), with the
    positions ``(entitlement_id, period, paid, withheld, not_collected)`` and the ``payments`` given —
    enough for the payment rules on those entitlement-periods and payment ids, nothing else: a partial
    aggregate that a bulk import decides on and never saves as a whole."""
    agg = restore({**terms, "chain_head": chain_head}, beneficiary_id, version)
    for eid, period, paid, withheld, not_collected in positions:
        if paid:
            agg.paid[eid, period] = paid
        if withheld:
            agg.withheld[eid, period] = withheld
        if not_collected:
            agg.not_collected.add((eid, period))
    for payment in payments:
        agg.payments[payment.payment_id] = payment
    agg.__dict__[PARTIAL] = True  # BeneficiarySnapshot.take refuses it: the state is not whole
    return agg


PARTIAL = "_partial_from_terms"
"""Marks an aggregate restored by :func:`restore_terms` (never snapshotted, never shown)."""
