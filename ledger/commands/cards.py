"""Health-insurance card commands — thẻ BHYT: issue, renew, revoke (card numbers claimed once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.values import parse_card_number
from ledger import views

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.beneficiary import Beneficiary
    from domain.events import LedgerAggregate, RecordContext
    from ledger.authorization import Actor
    from ledger.store import LedgerStore


def issue_card(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    *,
    card_number: object,
    valid_from: object,
    valid_to: object = None,
    reason: str = "",
) -> dict[str, Any]:
    """Issue a health-insurance card; a number held by another beneficiary is refused (409)."""
    ctx = ledger.context(actor, reason)

    def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        number = agg.issue_card(ctx, card_number=card_number, valid_from=valid_from, valid_to=valid_to)
        return views.card_view(agg, number), ledger.claim_for(ctx, "card_number", number, agg.id)

    return ledger.update(beneficiary_id, decide, by=actor)


def renew_card(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    card_number: object,
    *,
    valid_to: object,
    reason: str = "",
) -> dict[str, Any]:
    """Extend a card."""

    def decide(agg: Beneficiary, ctx: RecordContext) -> dict[str, Any]:
        agg.renew_card(ctx, card_number, valid_to=valid_to)
        return _card_as_now(agg, card_number)

    return ledger.decide_on(actor, reason, beneficiary_id, decide)


def revoke_card(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    card_number: object,
    *,
    reason: object,
    effective_on: object,
) -> dict[str, Any]:
    """End a card (its ``reason`` is the revocation's own field, not the record's reason)."""

    def decide(agg: Beneficiary, ctx: RecordContext) -> dict[str, Any]:
        agg.revoke_card(ctx, card_number, reason=reason, effective_on=effective_on)
        return _card_as_now(agg, card_number)

    return ledger.decide_on(actor, "", beneficiary_id, decide)


def _card_as_now(agg: Beneficiary, card_number: object) -> dict[str, Any]:
    """The card as the entrance shows it after a renewal or revocation (found by its number as stored)."""
    return views.card_view(agg, parse_card_number(card_number))
