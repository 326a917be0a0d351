"""Payments: disbursements, non-collection and reversals (chi trả, không nhận, hủy chi)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.http import responses
from api.http.deps import CurrentUser, Svc, idempotent_write
from api.web.formats import Amount, DateText, Identifier, IdentifierPath, MonthText, Uuid
from api.web.text import RequiredReason, SafeLine, SafeReason
from ledger.proofs import payment_proof, payment_stream

router = APIRouter(tags=["payments"], responses=responses.READ)


class Payment(BaseModel):
    """A disbursement against an entitlement and month."""

    model_config = ConfigDict(extra="forbid")
    payment_id: Identifier = Field(description="client-chosen, unique")
    beneficiary_id: Uuid
    entitlement_id: Uuid
    period: MonthText | None = Field(default=None, description="YYYY-MM; omit for a one-off")
    amount: Amount
    paid_on: DateText = Field(description="YYYY-MM-DD, not after today")
    channel: Literal["cash", "bank"] | None = None
    reference: SafeLine | None = Field(
        default=None, max_length=200, description="receipt or bank transaction"
    )
    reason: SafeReason | None = None


class NotCollected(BaseModel):
    """The beneficiary did not collect a month."""

    model_config = ConfigDict(extra="forbid")
    beneficiary_id: Uuid
    entitlement_id: Uuid
    period: MonthText
    reason: SafeReason | None = None


class Reverse(BaseModel):
    """Reverse a payment recorded by mistake."""

    model_config = ConfigDict(extra="forbid")
    reason: RequiredReason


@router.post(
    "/payments",
    status_code=201,
    responses=responses.writes(
        responses.success(201, responses.PaymentRecord, "recorded", responses.PAYMENT_LINKS),
        responses.success(200, responses.PaymentRecord, "the same payment again: nothing new recorded"),
    ),
)
def record_payment(body: Payment, request: Request, svc: Svc, user: CurrentUser) -> JSONResponse:
    """Record a payment; the same ``payment_id`` with the same body again answers 200 and records nothing."""

    def run() -> tuple[int, Any]:
        created, payment = svc.ledger.record_payment(
            user, payment_id=body.payment_id, beneficiary_id=body.beneficiary_id,
            entitlement_id=body.entitlement_id, period=body.period, amount=body.amount, paid_on=body.paid_on,
            channel=body.channel, reference=body.reference, reason=body.reason or "",
        )  # fmt: skip
        return (201 if created else 200), payment

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


@router.post("/payments/not-collected", status_code=201, responses=responses.WRITE)
def not_collected(body: NotCollected, request: Request, svc: Svc, user: CurrentUser) -> JSONResponse:
    """Record that a month was not collected: it is carried over to the next roster."""

    def run() -> tuple[int, Any]:
        return 201, svc.ledger.record_not_collected(
            user, beneficiary_id=body.beneficiary_id, entitlement_id=body.entitlement_id,
            period=body.period, reason=body.reason or "",
        )  # fmt: skip

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


@router.post(
    "/payments/{payment_id}/reverse",
    responses=responses.writes(responses.success(200, responses.PaymentRecord, "reversed")),
)
def reverse(
    payment_id: IdentifierPath, body: Reverse, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Reverse a payment (hủy chi trả); the month can then be paid again."""

    def run() -> tuple[int, Any]:
        return 200, svc.ledger.reverse_payment(user, payment_id, reason=body.reason)

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


@router.get("/payments/{payment_id}/proof")
def proof(payment_id: IdentifierPath, svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """The payment's proof: its stored event, its leaf in the Merkle log, the inclusion path and a
    signed checkpoint; ``ledger verify-proof`` checks it with the public key alone. The payment is a
    beneficiary's: read within an officer's communes."""
    pid, stream = payment_stream(svc.ledger, payment_id)
    svc.ledger.readable(user, stream)
    proof = payment_proof(svc.ledger, pid)
    svc.reads.record(user, f"payment proof {pid}", beneficiary_id=stream)
    return proof
