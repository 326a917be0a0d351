"""Beneficiaries, their entitlements, deaths, relocations, channels, recoveries and cards."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from api.http import responses
from api.http.deps import CurrentUser, Svc, idempotent_write
from api.web.formats import (
    CITIZEN_ID_PATTERN,
    DATE_PATTERN,
    IDENTIFIER_PATTERN,
    AccountNumber,
    Amount,
    BankCode,
    BeneficiaryRef,
    CardNumber,
    CardPath,
    CitizenId,
    CommuneCode,
    CommuneFilter,
    DateText,
    Identifier,
    Moment,
    MonthText,
    Params,
    SchemeCode,
    UuidPath,
)
from api.web.text import (
    LINE,
    MAX_QUERY_LENGTH,
    SAID,
    NoControl,
    RequiredReason,
    SafeLine,
    SafeName,
    SafeQuery,
    SafeReason,
    SafeTree,
    Written,
)
from domain.errors import InvalidInput
from domain.values import MAX_NAME_LENGTH, parse_commune_code
from ledger.access_log import search_read
from ledger.authorization import readable_communes, require_reader
from projections.history import history_answer
from projections.queries import search_beneficiaries

router = APIRouter(tags=["beneficiaries"], responses=responses.READ)


class Body(BaseModel):
    """Common to every write: a free-text reason."""

    model_config = ConfigDict(extra="forbid")
    reason: SafeReason | None = Field(default=None, description="Why (lý do)")

    def fields(self) -> dict[str, Any]:
        """The body without the reason and unset fields."""
        return self.model_dump(exclude={"reason"}, exclude_none=True)


class Basis(BaseModel):
    """Legal basis: the decision (căn cứ: số quyết định, ngày, cơ quan ban hành)."""

    decision_no: Written = Field(max_length=100)
    decision_date: DateText
    issuer: Written = Field(max_length=200)


class PaymentChannel(BaseModel):
    """Cash at the post office (Bưu điện), or a bank account (its bank's code and the account number)."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"type": {"const": "bank"}}, "required": ["type"]},
            "then": {
                "required": ["bank_code", "account_number"],
                "properties": {"bank_code": {"type": "string"}, "account_number": {"type": "string"}},
            },
        }
    )  # the domain's rule (parse_payment_channel): a bank account names its bank and its number
    type: Literal["cash", "bank"]
    bank_code: BankCode | None = None
    account_number: AccountNumber | None = None


class Member(BaseModel):
    """A household member."""

    citizen_id: CitizenId
    full_name: SafeName
    date_of_birth: DateText | None = None
    relation: Written = Field(default="member", max_length=50)


_PERSON_OR_HOUSEHOLD: dict[str, Any] = {
    "if": {"properties": {"kind": {"const": "poor_household"}}, "required": ["kind"]},
    "then": {
        "required": ["household_code", "poverty_status"],
        "properties": {"household_code": {"type": "string"}, "poverty_status": {"type": "string"}},
    },
    "else": {
        "required": ["citizen_id"],
        "properties": {
            "citizen_id": {"type": "string"},
            "household_code": {"type": "null"},
            "poverty_status": {"type": "null"},
        },
    },
}
"""A person (meritorious, social assistance) has a citizen ID; a household has its code and poverty
status, and only a household has them (the domain's rule, :meth:`Beneficiary.register`)."""


class Register(Body):
    """Register a beneficiary."""

    model_config = ConfigDict(json_schema_extra=_PERSON_OR_HOUSEHOLD)

    kind: Literal["meritorious", "social_assistance", "poor_household"]
    full_name: SafeName
    commune_code: CommuneCode
    citizen_id: CitizenId | None = Field(
        default=None, description="12 digits; required unless poor_household"
    )
    household_code: Identifier | None = Field(default=None, max_length=50)
    poverty_status: Literal["poor", "near_poor"] | None = None
    date_of_birth: DateText | None = None
    sex: Literal["male", "female"] | None = None
    members: list[Member] | None = None
    payment_channel: PaymentChannel | None = None


class Grant(Body):
    """Grant an entitlement by decision."""

    scheme: SchemeCode
    effective_from: MonthText
    basis: Basis
    params: Params | None = None
    end_month: MonthText | None = None


class Adjust(Body):
    """Change an entitlement's parameters from a month."""

    effective_from: MonthText
    params: Params
    basis: Basis


class SuspendResume(Body):
    """Suspend or resume from a month."""

    effective_from: MonthText
    basis: Basis | None = None


class Terminate(Body):
    """Terminate after the last month paid."""

    last_month: MonthText
    basis: Basis


class Death(Body):
    """Record a death."""

    date_of_death: DateText
    basis: Basis | None = None


class Relocate(Body):
    """Move to another commune from a month."""

    commune_code: CommuneCode
    effective_from: MonthText


class ChannelChange(Body):
    """Switch cash ⇄ bank account."""

    payment_channel: PaymentChannel
    effective_from: MonthText | None = None


class Recovery(Body):
    """Money recovered against an overpayment."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"method": {"not": {"const": "deduction"}}}, "required": ["method"]},
            "then": {"properties": {"entitlement_id": {"type": "null"}, "period": {"type": "null"}}},
            "dependentRequired": {"period": ["entitlement_id"]},
        }
    )  # an entitlement and a period name the item a deduction is withheld from: deductions only

    amount: Amount
    method: Literal["cash", "deduction", "refund"]
    reference: SafeLine | None = Field(default=None, max_length=200)
    entitlement_id: Identifier | None = Field(
        default=None,
        description="deduction: the entitlement whose amount still owed is withheld (default: the first "
        "payable item that covers the amount; the answer names it in withheld_from)",
    )
    period: MonthText | None = Field(
        default=None, description="deduction: that item's month (omit for a one-off)"
    )


class CardIssue(Body):
    """Issue a health-insurance card."""

    card_number: CardNumber
    valid_from: DateText
    valid_to: DateText | None = None


class CardRenew(Body):
    """Extend a card."""

    valid_to: DateText


class HistoryItem(BaseModel):
    """One event of a beneficiary's history."""

    seq: int
    type: str
    occurred_on: str | None
    recorded_at: str
    actor: str
    reason: str
    basis: dict[str, Any] | None
    data: dict[str, Any]
    hash: str
    prev_hash: str


class HistoryPage(BaseModel):
    """A beneficiary's history, oldest first."""

    items: list[HistoryItem]


class CardRevoke(BaseModel):
    """End a card."""

    model_config = ConfigDict(extra="forbid")
    reason: RequiredReason
    effective_on: DateText


CHANGES_SCHEMA = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "full_name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH, **SAID},
        "date_of_birth": {"type": "string", "format": "date", "pattern": DATE_PATTERN},
        "sex": {"type": "string", "enum": ["male", "female"]},
        "citizen_id": {"type": "string", "pattern": CITIZEN_ID_PATTERN},
        "household_code": {"type": "string", "maxLength": 50, "pattern": IDENTIFIER_PATTERN},
        "poverty_status": {"type": "string", "enum": ["poor", "near_poor"]},
        "members": {"type": "array", "items": {"$ref": "#/components/schemas/Member"}},
    },
    "description": "the registered details to change (CORRECTABLE), each checked as at registration",
}
"""What a correction may change; the domain checks each (and refuses any other) naming the field."""


class Correction(Body):
    """Correct registered details; a correction says why."""

    reason: RequiredReason = Field(description="Why (lý do)")
    changes: Annotated[SafeTree, WithJsonSchema(CHANGES_SCHEMA)]


def _reason(body: Body | CardRevoke) -> str:
    return body.reason or ""


@router.post(
    "/beneficiaries",
    status_code=201,
    responses=responses.writes(
        responses.success(201, responses.Beneficiary, "registered: its state", responses.BENEFICIARY_LINKS)
    ),
)
def register(body: Register, request: Request, svc: Svc, user: CurrentUser) -> JSONResponse:
    """Register a beneficiary (đăng ký đối tượng)."""
    data = body.model_dump(mode="json", exclude={"reason"}, exclude_none=True)

    def run() -> tuple[int, Any]:
        agg = svc.ledger.register_beneficiary(user, reason=_reason(body), **data)
        return 201, svc.ledger.beneficiary_view(agg.id)

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


@router.get("/beneficiaries")
def list_beneficiaries(
    svc: Svc,
    user: CurrentUser,
    citizen_id: Annotated[
        str | None,
        NoControl,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description="as registered (an ill-formed one finds nothing)",
            json_schema_extra=LINE,
        ),
    ] = None,
    commune_code: Annotated[CommuneFilter | None, Query()] = None,
    kind: Literal["meritorious", "social_assistance", "poor_household"] | None = None,
    status: Literal["active", "suspended", "terminated", "deceased"] | None = None,
    name: Annotated[
        str | None,
        NoControl,
        Query(
            max_length=MAX_NAME_LENGTH,
            description="accent-insensitive part of the name",
            json_schema_extra=LINE,
        ),
    ] = None,
    scheme: SafeQuery = None,
    cursor: SafeQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    x_citizen_id: Annotated[
        str | None,
        NoControl,
        Header(
            alias="X-Citizen-ID",
            max_length=MAX_QUERY_LENGTH,
            json_schema_extra=LINE,
            description="the citizen ID to find, kept out of URLs and access logs (instead of ?citizen_id=)",
        ),
    ] = None,
) -> dict[str, Any]:
    """Find beneficiaries (tra cứu), a page at a time; an officer with a commune scope finds the
    beneficiaries of its communes only (a ``commune_code`` outside them: 403)."""
    if citizen_id and x_citizen_id and citizen_id.strip() != x_citizen_id.strip():
        raise InvalidInput("citizen_id", "the query and the X-Citizen-ID header name different citizen IDs")
    citizen_id = citizen_id or x_citizen_id
    if commune_code:
        require_reader(user, parse_commune_code(commune_code))
    found = search_beneficiaries(
        svc.engine, citizen_id=citizen_id, commune_code=commune_code, kind=kind, status=status, name=name,
        scheme=scheme, cursor=cursor, limit=limit, communes=readable_communes(user),
    )  # fmt: skip
    named = {"citizen_id": citizen_id, "commune_code": commune_code, "kind": kind, "status": status,
             "name": name, "scheme": scheme}  # fmt: skip
    svc.reads.record_list(user, search_read(named), [item["id"] for item in found["items"]])
    return found


class Lookup(BaseModel):
    """Find a beneficiary by citizen ID without the ID in the URL."""

    model_config = ConfigDict(extra="forbid")
    citizen_id: CitizenId


@router.post(
    "/beneficiaries/lookup",
    responses={
        **responses.BODY_READ,
        **responses.success(200, responses.Beneficiary, "its state", responses.VIEW_LINKS),
    },
)
def lookup(body: Lookup, svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """The beneficiary holding a citizen ID, as ``GET /v1/beneficiaries/{id}`` shows it: the ID travels in
    the body, so that it never lands in a URL, a proxy's access log or a browser's history. A read, not a
    write: scoped and recorded like the others."""
    agg = svc.ledger.readable(user, svc.ledger.find_by_citizen_id(body.citizen_id).id)
    svc.reads.record(user, "lookup", beneficiary_id=agg.id)
    return svc.ledger.beneficiary_view(agg.id)


@router.get(
    "/beneficiaries/{beneficiary_id}",
    response_model=responses.Beneficiary,
    responses=responses.success(200, responses.Beneficiary, "its state", responses.VIEW_LINKS),
)
def get_beneficiary(beneficiary_id: BeneficiaryRef, svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """Current state: entitlements with this month's amounts, cards, balances (``beneficiary_id``: the
    id, or a 12-digit citizen ID — prefer ``POST /v1/beneficiaries/lookup`` for those)."""
    view = svc.ledger.beneficiary_view(beneficiary_id)
    require_reader(user, view["commune_code"])
    svc.reads.record(user, "beneficiary", beneficiary_id=view["id"])
    return view


@router.get("/beneficiaries/{beneficiary_id}/history", response_model=HistoryPage)
def history(
    beneficiary_id: UuidPath, svc: Svc, user: CurrentUser, as_of: Annotated[Moment | None, Query()] = None
) -> Response:
    """Every event of the stream, oldest first; with ``as_of`` only what was recorded by then.

    The answer is read from the read models, each item's JSON stored with its event and the items
    joined (:func:`projections.history.history_answer`): one indexed read instead of loading the stream
    twice and encoding 120 events per request."""
    bid, answer = history_answer(svc.engine, user, beneficiary_id, as_of)
    svc.reads.record(user, f"history as of {as_of}" if as_of else "history", beneficiary_id=bid)
    return Response(answer, media_type="application/json")


def _write(
    request: Request,
    svc: Svc,
    user: CurrentUser,
    body: BaseModel,
    status: int,
    action: Any,
) -> JSONResponse:
    def run() -> tuple[int, Any]:
        return status, action()

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


def _write_then_view(
    request: Request, svc: Svc, user: CurrentUser, body: BaseModel, beneficiary_id: str, record: Any
) -> JSONResponse:
    """A write whose answer is the beneficiary as ``GET`` shows it afterwards."""

    def action() -> dict[str, Any]:
        record()
        return svc.ledger.beneficiary_view(beneficiary_id)

    return _write(request, svc, user, body, 200, action)


@router.post(
    "/beneficiaries/{beneficiary_id}/entitlements",
    status_code=201,
    responses=responses.writes(
        responses.success(201, responses.Entitlement, "granted", responses.ENTITLEMENT_LINKS)
    ),
)
def grant(
    beneficiary_id: UuidPath, body: Grant, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Grant an entitlement (quyết định hưởng)."""
    basis = body.basis.model_dump()
    return _write(request, svc, user, body, 201, lambda: svc.ledger.grant_entitlement(
        user, beneficiary_id, scheme=body.scheme, effective_from=body.effective_from, basis=basis,
        params=body.params, end_month=body.end_month, reason=_reason(body),
    ))  # fmt: skip


@router.post(
    "/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/adjust",
    responses=responses.writes(
        responses.success(200, responses.Entitlement, "adjusted", responses.ENTITLEMENT_LINKS)
    ),
)
def adjust(
    beneficiary_id: UuidPath,
    entitlement_id: UuidPath,
    body: Adjust,
    request: Request,
    svc: Svc,
    user: CurrentUser,
) -> JSONResponse:
    """Adjust an entitlement from a month (điều chỉnh)."""
    return _write(request, svc, user, body, 200, lambda: svc.ledger.adjust_entitlement(
        user, beneficiary_id, entitlement_id, effective_from=body.effective_from, params=body.params,
        basis=body.basis.model_dump(), reason=_reason(body),
    ))  # fmt: skip


def _pause_route(verb: str, command: str, doc: str) -> None:
    """``POST …/entitlements/{id}/suspend`` and ``…/resume``: the same body, another command."""

    def route(
        beneficiary_id: UuidPath,
        entitlement_id: UuidPath,
        body: SuspendResume,
        request: Request,
        svc: Svc,
        user: CurrentUser,
    ) -> JSONResponse:
        basis = body.basis.model_dump() if body.basis else None
        return _write(request, svc, user, body, 200, lambda: getattr(svc.ledger, command)(
            user, beneficiary_id, entitlement_id, effective_from=body.effective_from, basis=basis,
            reason=_reason(body),
        ))  # fmt: skip

    route.__name__ = route.__qualname__ = verb
    route.__doc__ = doc
    router.post(
        f"/beneficiaries/{{beneficiary_id}}/entitlements/{{entitlement_id}}/{verb}",
        responses=responses.writes(
            responses.success(200, responses.Entitlement, f"{verb}d", responses.ENTITLEMENT_LINKS)
        ),
    )(route)


_pause_route("suspend", "suspend_entitlement", "Suspend payment from a month (tạm dừng).")
_pause_route("resume", "resume_entitlement", "Resume payment from a month (tiếp tục).")


@router.post(
    "/beneficiaries/{beneficiary_id}/entitlements/{entitlement_id}/terminate",
    responses=responses.writes(responses.success(200, responses.Entitlement, "terminated")),
)
def terminate(
    beneficiary_id: UuidPath,
    entitlement_id: UuidPath,
    body: Terminate,
    request: Request,
    svc: Svc,
    user: CurrentUser,
) -> JSONResponse:
    """Terminate after the last month paid (thôi hưởng)."""
    return _write(request, svc, user, body, 200, lambda: svc.ledger.terminate_entitlement(
        user, beneficiary_id, entitlement_id, last_month=body.last_month, basis=body.basis.model_dump(),
        reason=_reason(body),
    ))  # fmt: skip


@router.post("/beneficiaries/{beneficiary_id}/death", responses=responses.WRITE)
def death(
    beneficiary_id: UuidPath, body: Death, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Record a death (báo tử); returns the overpayment it reveals."""
    basis = body.basis.model_dump() if body.basis else None
    return _write(request, svc, user, body, 200, lambda: svc.ledger.record_death(
        user, beneficiary_id, date_of_death=body.date_of_death, basis=basis, reason=_reason(body),
    ))  # fmt: skip


@router.post("/beneficiaries/{beneficiary_id}/relocate", responses=responses.AS_VIEWED)
def relocate(
    beneficiary_id: UuidPath, body: Relocate, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Move to another commune from a month (chuyển xã)."""

    return _write_then_view(request, svc, user, body, beneficiary_id, lambda: svc.ledger.relocate(
        user, beneficiary_id, commune_code=body.commune_code, effective_from=body.effective_from,
        reason=_reason(body),
    ))  # fmt: skip


@router.post("/beneficiaries/{beneficiary_id}/payment-channel", responses=responses.AS_VIEWED)
def payment_channel(
    beneficiary_id: UuidPath, body: ChannelChange, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Switch cash ⇄ bank account (đổi hình thức nhận)."""
    channel = body.payment_channel.model_dump(exclude_none=True)
    change = svc.ledger.change_payment_channel
    return _write_then_view(request, svc, user, body, beneficiary_id, lambda: change(
        user, beneficiary_id, payment_channel=channel, effective_from=body.effective_from,
        reason=_reason(body),
    ))  # fmt: skip


@router.post("/beneficiaries/{beneficiary_id}/corrections", responses=responses.AS_VIEWED)
def correct(
    beneficiary_id: UuidPath, body: Correction, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Correct registered details (đính chính); needs a reason."""

    return _write_then_view(request, svc, user, body, beneficiary_id, lambda: svc.ledger.correct_details(
        user, beneficiary_id, body.changes, reason=_reason(body)
    ))  # fmt: skip


@router.post("/beneficiaries/{beneficiary_id}/recoveries", status_code=201, responses=responses.WRITE)
def recovery(
    beneficiary_id: UuidPath, body: Recovery, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Record money recovered against an overpayment (thu hồi)."""
    return _write(request, svc, user, body, 201, lambda: svc.ledger.record_recovery(
        user, beneficiary_id, amount=body.amount, method=body.method, reference=body.reference,
        reason=_reason(body), entitlement_id=body.entitlement_id, period=body.period,
    ))  # fmt: skip


@router.post("/beneficiaries/{beneficiary_id}/cards", status_code=201, responses=responses.WRITE)
def issue_card(
    beneficiary_id: UuidPath, body: CardIssue, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Issue a health-insurance card (cấp thẻ BHYT)."""
    return _write(request, svc, user, body, 201, lambda: svc.ledger.issue_card(
        user, beneficiary_id, card_number=body.card_number, valid_from=body.valid_from,
        valid_to=body.valid_to, reason=_reason(body),
    ))  # fmt: skip


@router.post("/beneficiaries/{beneficiary_id}/cards/{card_number}/renew", responses=responses.WRITE)
def renew_card(
    beneficiary_id: UuidPath,
    card_number: CardPath,
    body: CardRenew,
    request: Request,
    svc: Svc,
    user: CurrentUser,
) -> JSONResponse:
    """Extend a card (gia hạn)."""
    return _write(request, svc, user, body, 200, lambda: svc.ledger.renew_card(
        user, beneficiary_id, card_number, valid_to=body.valid_to, reason=_reason(body),
    ))  # fmt: skip


@router.post("/beneficiaries/{beneficiary_id}/cards/{card_number}/revoke", responses=responses.WRITE)
def revoke_card(
    beneficiary_id: UuidPath,
    card_number: CardPath,
    body: CardRevoke,
    request: Request,
    svc: Svc,
    user: CurrentUser,
) -> JSONResponse:
    """End a card (thu hồi thẻ)."""
    return _write(request, svc, user, body, 200, lambda: svc.ledger.revoke_card(
        user, beneficiary_id, card_number, reason=body.reason, effective_on=body.effective_on,
    ))  # fmt: skip
