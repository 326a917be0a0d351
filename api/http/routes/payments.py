"""Payments: disbursements, non-collection and reversals (chi trả, không nhận, hủy chi)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.http import responses
from api.http.deps import CurrentUser, Svc, idempotent_write
from api.http.routes.audit import Cursor
from api.web.files import table_file
from api.web.formats import (
    USER_NAME_PATTERN,
    Amount,
    CommuneCode,
    DateText,
    Identifier,
    IdentifierPath,
    MonthText,
    Uuid,
)
from api.web.text import RequiredReason, SafeLine, SafeReason
from ledger.access_log import search_read
from ledger.adapters.communes import resolve_commune
from ledger.authorization import readable_communes
from ledger.proofs import payment_proof, payment_stream
from projections.audit import MAX_LIMIT
from projections.payments import every_payment, payments_list, payments_table
from projections.tables import file_stem

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


@router.get("/payments", responses=responses.FILE_EXPORT)
def list_payments(
    svc: Svc,
    user: CurrentUser,
    commune_code: Annotated[CommuneCode | None, Query()] = None,
    period: Annotated[MonthText | None, Query(description="the month paid")] = None,
    channel: Literal["cash", "bank"] | None = None,
    recorded_by: Annotated[
        str | None, Query(pattern=USER_NAME_PATTERN, max_length=64, description="who recorded it")
    ] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    format: Literal["json", "csv", "xlsx"] = "json",  # noqa: A002 - the contract's name
    sep: Literal["comma", "semicolon"] = "comma",
) -> Response:
    """Recorded payments, newest first (các khoản đã chi): who was paid, for which scheme (its Vietnamese
    name) and month, how much, when, how, on which receipt, recorded by whom and when, reversed or not.
    An officer with a commune scope sees its communes' payments only. ``format=csv|xlsx`` gives every
    payment of the search as a file (``sep=semicolon`` for Excel under Vietnamese settings)."""
    if commune_code:
        resolve_commune(commune_code, province=svc.ledger.province)
    filters: dict[str, Any] = {"commune_code": commune_code, "period": period, "channel": channel,
                               "recorded_by": recorded_by, "communes": readable_communes(user)}  # fmt: skip
    named = search_read({k: v for k, v in filters.items() if k != "communes"}).split()[1:]
    what = " ".join(["payments", *named, *([format] if format != "json" else [])])
    if format == "json":
        found = payments_list(svc.engine, **filters, cursor=cursor, limit=limit)
        svc.reads.record_list(user, what, sorted({p["beneficiary_id"] for p in found["items"]}))
        return Response(orjson.dumps(found), media_type="application/json")
    items = list(every_payment(svc.engine, **filters))
    svc.reads.record_list(user, what, sorted({p["beneficiary_id"] for p in items}))
    name = file_stem("chi-tra", commune_code, period, channel, str(svc.ledger.today()))
    return table_file([payments_table(items, "CÁC KHOẢN ĐÃ CHI TRẢ")], format, name, sep)


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
