"""The health-insurance card commands of a beneficiary (thẻ BHYT, DESIGN §3 rule 8): issue (cấp), renew
(gia hạn), revoke (thu hồi).

:class:`CardCommands` is a mixin of :class:`~domain.beneficiary.Beneficiary`; the events it records are
defined there (their stored topics are ``domain.beneficiary:Beneficiary.<Event>``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.dues import Dues
from domain.errors import Conflict, InvalidInput, NotFound
from domain.values import (
    BHYT_GROUPS,
    CARD_GROUP_BY_POVERTY,
    CARD_GROUPS_BY_KIND,
    CHILD_CARD_AGE,
    CHILD_CARD_GROUP,
    card_group,
    parse_card_number,
    parse_date,
    parse_reason,
)

if TYPE_CHECKING:
    from datetime import date

    from domain.events import RecordContext
    from domain.parts import Card


class CardCommands(Dues):
    """Issue, renew and revoke health-insurance cards."""

    def issue_card(
        self, ctx: RecordContext, *, card_number: object, valid_from: object, valid_to: object = None
    ) -> str:
        """Issue a health-insurance card (cấp thẻ BHYT)."""
        number = parse_card_number(card_number)
        start = parse_date(valid_from, "valid_from", today=ctx.today)
        end = parse_date(valid_to, "valid_to") if valid_to is not None else None
        if end is not None and end < start:
            raise InvalidInput("valid_to", "must not be before valid_from")
        self._require_alive("card")
        allowed = self.card_groups_allowed(start)
        if card_group(number) not in allowed:
            group = card_group(number)
            msg = (
                f"group {group} ({BHYT_GROUPS[group]}) is not for this beneficiary: a {self.kind} "
                f"beneficiary holds {' or '.join(allowed) or 'no card group'}"
            )
            raise InvalidInput("card_number", msg)
        card = self.cards.get(number)
        if card is not None and card.active:
            raise Conflict(f"card {number} is already in use by this beneficiary", "card_number")
        self.record(
            self.HealthInsuranceCardIssued,
            ctx,
            occurred_on=start,
            card_number=number,
            valid_from=start,
            valid_to=end,
        )
        return number

    def card_groups_allowed(self, on: date) -> tuple[str, ...]:
        """The card groups this beneficiary may hold on ``on`` (DESIGN §3 rule 8): by kind, a household
        by its poverty status, and ``TE`` for a child under 6."""
        groups = list(CARD_GROUPS_BY_KIND.get(self.kind, ()))
        if self.kind == "poor_household" and self.poverty_status in CARD_GROUP_BY_POVERTY:
            groups.append(CARD_GROUP_BY_POVERTY[self.poverty_status])
        dob = self.date_of_birth
        age = None if dob is None else on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
        if age is not None and age < CHILD_CARD_AGE:
            groups.append(CHILD_CARD_GROUP)
        return tuple(groups)

    def _active_card(self, card_number: object) -> Card:
        number = parse_card_number(card_number)
        card = self.cards.get(number)
        if card is None:
            raise NotFound(f"card {number} not found for beneficiary {self.id}")
        if not card.active:
            raise Conflict(f"card {number} was revoked on {card.revoked_on}", "card_number")
        return card

    def renew_card(self, ctx: RecordContext, card_number: object, *, valid_to: object) -> None:
        """Extend a card's validity (gia hạn)."""
        card = self._active_card(card_number)
        end = parse_date(valid_to, "valid_to")
        if card.valid_to is not None and end <= card.valid_to:
            raise InvalidInput("valid_to", f"must be after the current end {card.valid_to.isoformat()}")
        if end < card.valid_from:
            raise InvalidInput("valid_to", "must not be before valid_from")
        self._require_alive("card renewal")
        self.record(self.HealthInsuranceCardRenewed, ctx, card_number=card.card_number, valid_to=end)

    def revoke_card(
        self, ctx: RecordContext, card_number: object, *, reason: object, effective_on: object
    ) -> None:
        """End a card (death, termination, moved away)."""
        card = self._active_card(card_number)
        why = parse_reason(reason)
        if not why:
            raise InvalidInput("reason", "must not be empty")
        day = parse_date(effective_on, "effective_on", today=ctx.today)
        if day < card.valid_from:
            raise InvalidInput("effective_on", "must not be before the card's valid_from")
        self.record(
            self.HealthInsuranceCardRevoked,
            ctx,
            reason=why,
            occurred_on=day,
            card_number=card.card_number,
            effective_on=day,
        )
