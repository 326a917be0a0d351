"""Uniqueness indexes as streams — chỉ mục duy nhất.

A citizen ID, a client-chosen payment id and a health-insurance card number must each belong to one
beneficiary. Each is claimed by creating a small stream whose id is derived from the value
(``uuid5``); the event store refuses a second stream with the same id, so two concurrent claims cannot
both succeed, and the claim is saved in the same transaction as the event it guards.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.errors import Conflict
from domain.events import LedgerAggregate, RecordContext

NAMESPACES = {
    "citizen_id": UUID("a5d3c0f4-7a3e-4c1f-9b7e-1f0d2c3b4a51"),
    "payment_id": UUID("c2e8b1d7-6f4a-4e2b-8d1c-3a5f7e9b0c62"),
    "card_number": UUID("e4a1f9c3-2b7d-4a6e-9c0f-5d3b1a7e8f73"),
    "token": UUID("1b8d4f2e-3c6a-4d9b-8e7f-2a5c0d1e3f46"),
    "household_code": UUID("7d2e5a91-4c3b-4f8e-a6d0-9b1c2e3f4a85"),
}


def index_id(kind: str, value: str) -> UUID:
    """The stream id that claims ``value`` of ``kind`` (citizen_id, payment_id, card_number)."""
    return uuid5(NAMESPACES[kind], value)


class UniqueClaim(LedgerAggregate):
    """A claim that ``value`` of ``kind`` belongs to ``beneficiary_id``."""

    class ValueClaimed(LedgerAggregate.Created):
        """The value was claimed."""

        kind: str
        value: str
        beneficiary_id: str
        detail: dict[str, str]

    def __init__(self, kind: str, value: str, beneficiary_id: str, detail: dict[str, str]) -> None:
        self.kind = kind
        self.value = value
        self.beneficiary_id = beneficiary_id
        self.detail = dict(detail)

    @classmethod
    def claim(
        cls,
        ctx: RecordContext,
        kind: str,
        value: str,
        beneficiary_id: UUID,
        detail: dict[str, str] | None = None,
    ) -> UniqueClaim:
        """Claim ``value`` for a beneficiary."""
        return cls._create(
            cls.ValueClaimed,
            id=index_id(kind, value),
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.today,
            reason=ctx.reason,
            kind=kind,
            value=value,
            beneficiary_id=str(beneficiary_id),
            detail=dict(detail or {}),
        )


TAKEN = {
    "citizen_id": "citizen ID {value} is already registered ({owner})",
    "household_code": "household code {value} is already registered ({owner})",
    "payment_id": "payment_id {value} was already used for another beneficiary's payment",
    "card_number": "card number {value} is in use by another beneficiary",
}
"""What a refusal says when the value is someone else's, by kind."""


def claims_needed(
    ctx: RecordContext, owner: UniqueClaim | None, kind: str, value: str, beneficiary_id: UUID
) -> list[UniqueClaim]:
    """The one rule of every uniqueness claim: the claim to save with the beneficiary's events when
    ``value`` is free, none when it is theirs already, :class:`Conflict` naming the field (HTTP 409)
    when it belongs to someone else — for a command, an import row and a campaign alike."""
    if owner is None:
        return [UniqueClaim.claim(ctx, kind, value, beneficiary_id)]
    if owner.beneficiary_id != str(beneficiary_id):
        raise Conflict(TAKEN[kind].format(value=value, owner=owner.beneficiary_id), kind)
    return []
