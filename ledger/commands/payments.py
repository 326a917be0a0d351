"""Payment commands — chi trả: disbursements (never twice per entitlement and month, never twice by
payment id — the aggregate's rules, and the write side's keys in the database: domain/positions.py),
non-collection, reversal, and recovery of overpayments (thu hồi).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.errors import Conflict, DomainError, InvalidInput, NotFound
from domain.positions import refuse_another_payment_id
from domain.rosters import RETURNED, STATUS_LABELS
from domain.values import parse_identifier
from ledger import views
from ledger.store import parse_beneficiary_id

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from domain.beneficiary import Beneficiary
    from domain.events import LedgerAggregate, RecordContext
    from domain.rosters import IssuedRoster
    from ledger.authorization import Actor
    from ledger.store import LedgerStore


def _payment_id(value: object, missing: str) -> str:
    """A payment id as given by the client (text, required: ``missing`` says why), checked."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("payment_id", missing)
    return parse_identifier(value, "payment_id")


def require_approved_roster(
    ledger: LedgerStore,
    agg: Beneficiary,
    *,
    entitlement_id: object,
    period: object,
    channel: object = None,
    cache: dict[UUID, IssuedRoster | None] | None = None,
) -> None:
    """Refuse (409) a payment whose covering roster — of its month, the beneficiary's commune and
    channel that month, or the province's, or all channels' — was prepared or returned but not
    approved: payments are recorded against approved rosters. Where no roster was ever prepared, the
    payment is recorded as before. A payment the domain refuses anyway is left for it to name."""
    try:
        ent = agg.entitlement(entitlement_id)
        month = agg.month_of(ent.entitlement_id, agg._period_key(ent, period))  # noqa: SLF001 - its key
        how = str(channel) if channel is not None else agg.channel_at(month)["type"]
        commune = agg.commune_at(month)[0]
    except DomainError:
        return
    pending = ledger.roster_awaiting_approval(month, commune, how, cache)
    if pending is None:
        return
    state = STATUS_LABELS[pending.status].lower()
    again = ", chờ lập lại và phê duyệt" if pending.status == RETURNED else ""
    msg = (
        f"danh sách chi trả {pending.describe()} {state}{again} — chỉ ghi chi trả theo danh sách đã phê "
        f"duyệt (the roster of {month} awaits approval, {pending.status}; record the payment once it is "
        "approved)"
    )
    raise Conflict(msg, "period")


def record_payment(
    ledger: LedgerStore,
    actor: Actor,
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
    ctx = ledger.context(actor, reason)
    rates = ledger.rates()
    pid = _payment_id(payment_id, "is required: a client-chosen unique id")
    bid = parse_beneficiary_id(beneficiary_id)

    def decide(agg: Beneficiary) -> tuple[tuple[bool, dict[str, Any]], Sequence[LedgerAggregate]]:
        if pid not in agg.payments:  # a retry of a payment recorded is not a new payment
            refuse_another_payment_id(ledger.recorded_payment(pid), agg.id)
            require_approved_roster(
                ledger, agg, entitlement_id=entitlement_id, period=period, channel=channel
            )
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
        return (created, views.payment_view(agg, pid)), []

    return ledger.update(bid, decide, by=actor)


def record_not_collected(
    ledger: LedgerStore,
    actor: Actor,
    *,
    beneficiary_id: object,
    entitlement_id: object,
    period: object,
    reason: str = "",
) -> dict[str, Any]:
    """The beneficiary did not collect a month: it is carried over to the next roster."""

    def decide(agg: Beneficiary, ctx: RecordContext) -> dict[str, Any]:
        agg.record_not_collected(ctx, entitlement_id=entitlement_id, period=period, rates=ledger.rates())
        return views.not_collected_view(agg, entitlement_id, period)

    return ledger.decide_on(actor, reason, beneficiary_id, decide)


def reverse_payment(ledger: LedgerStore, actor: Actor, payment_id: object, *, reason: str) -> dict[str, Any]:
    """Reverse a payment recorded by mistake (found by its payment id)."""
    ctx = ledger.context(actor, reason)
    pid = _payment_id(payment_id, "is required")
    owner = ledger.recorded_payment(pid)
    if owner is None:
        raise NotFound(f"payment {pid} not found")

    def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        agg.reverse_payment(ctx, pid)
        return views.payment_view(agg, pid), []

    return ledger.update(owner.beneficiary_id, decide, by=actor)


def record_recovery(
    ledger: LedgerStore,
    actor: Actor,
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

    def decide(agg: Beneficiary, ctx: RecordContext) -> dict[str, Any]:
        rates = ledger.rates()
        done = agg.record_recovery(
            ctx, amount=amount, method=method, reference=reference, rates=rates,
            month=ledger.current_month(), entitlement_id=entitlement_id, period=period,
        )  # fmt: skip
        return views.recovery_view(agg, {**done, "amount": amount, "method": method}, rates)

    return ledger.decide_on(actor, reason, beneficiary_id, decide)
