"""Health-insurance card commands — thẻ BHYT: issue, renew, revoke (card numbers claimed once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.errors import Conflict
from domain.indexes import UniqueClaim
from ledger import views

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.beneficiary import Beneficiary
    from domain.events import LedgerAggregate
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
        owner = ledger.claim_owner("card_number", number)
        if owner is not None and owner.beneficiary_id != str(agg.id):
            raise Conflict(f"card number {number} is in use by another beneficiary", "card_number")
        extra = [UniqueClaim.claim(ctx, "card_number", number, agg.id)] if owner is None else []
        return views.card_view(agg, number), extra

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
    ctx = ledger.context(actor, reason)

    def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        agg.renew_card(ctx, card_number, valid_to=valid_to)
        return views.card_view(agg, str(card_number).replace(" ", "").upper()), []

    return ledger.update(beneficiary_id, decide, by=actor)


def revoke_card(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    card_number: object,
    *,
    reason: object,
    effective_on: object,
) -> dict[str, Any]:
    """End a card."""
    ctx = ledger.context(actor, "")

    def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        agg.revoke_card(ctx, card_number, reason=reason, effective_on=effective_on)
        return views.card_view(agg, str(card_number).replace(" ", "").upper()), []

    return ledger.update(beneficiary_id, decide, by=actor)
