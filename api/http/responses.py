"""What the API answers, declared once — các phản hồi của API: the ``Problem`` body of every refusal
(``application/problem+json``, RFC 9457), the sets of refusals the route decorators name (``READ`` for
every ``/v1`` operation, ``WRITE`` for the writes, ``FILE_EXPORT`` for ``format=csv|xlsx``), the bodies
of the main answers, and the links from one answer to the next operations (OpenAPI ``links``: a
registered beneficiary's ``id`` leads to reading it and granting it an entitlement, an entitlement to its
payments and decisions, a payment to its reversal and proof), so that clients and schemathesis's
stateful mode can follow them.

:func:`complete_openapi` adds what a route decorator cannot: the ``Problem`` component and the
``CommuneCode`` enum of the communes the deployment serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.web.formats import COMMUNE_CODE_MARK, COMMUNE_PATTERN, is_commune_schema
from api.web.problems import PROBLEM
from ledger.adapters.communes import all_commune_codes
from projections.exports import XLSX

if TYPE_CHECKING:
    from fastapi import FastAPI

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class FieldProblem(BaseModel):
    """One invalid field and why."""

    field: str
    message: str


class RowProblem(BaseModel):
    """One refused row of an imported file: its number (the header is row 1), the column and why."""

    row: int
    column: str
    reason: str


class Problem(BaseModel):
    """A refusal (RFC 9457); ``errors`` on invalid input: each field and why, or — an import refused
    whole, which adds its report — each refused row of the file."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["urn:benefits-ledger:problem:invalid-input"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    errors: list[FieldProblem | RowProblem] | None = None


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {PROBLEM: {"schema": PROBLEM_REF}}}
    if headers:
        answer["headers"] = headers
    return answer


_RETRY_AFTER = {"description": "seconds to wait before retrying", "schema": {"type": "integer", "minimum": 0}}

READ: dict[int | str, dict[str, Any]] = {
    401: _problem(
        "missing, unknown, expired or disabled token",
        {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    ),
    403: _problem("the role or the commune scope of the token forbids it"),
    404: _problem("unknown id (beneficiary, entitlement, payment, roster, campaign, amendment, checkpoint)"),
    422: _problem("invalid input: `errors` names each field and the reason; nothing was recorded"),
    429: _problem(
        "too many failed authentications from this client or token prefix",
        {"Retry-After": {**_RETRY_AFTER, "required": True}},
    ),
}
"""The refusals of every ``/v1`` operation."""

WRITE: dict[int | str, dict[str, Any]] = {
    400: _problem("the body could not be read (not UTF-8 JSON, or a broken form)"),
    409: _problem(
        "conflict with the ledger's state (paid twice, payment after the stop, duplicate citizen ID, card "
        "number in use), or an Idempotency-Key used for another request or still running (Retry-After)",
        {"Retry-After": _RETRY_AFTER},
    ),
    413: _problem("the request body is larger than the limit"),
}
"""What a write adds to :data:`READ`."""

BODY_READ: dict[int | str, dict[str, Any]] = {code: WRITE[code] for code in (400, 413)}
"""What a read that sends a body (a lookup) adds to :data:`READ`."""

FILE_EXPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON, or with `format=csv` / `format=xlsx` the same as a file (Content-Disposition)",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
"""The file media types of a ``format=json|csv|xlsx`` read (added to its JSON answer)."""


def writes(*extra: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """:data:`WRITE` with an operation's own answers (its success body, its links)."""
    merged: dict[int | str, dict[str, Any]] = dict(WRITE)
    for answers in extra:
        merged.update(answers)
    return merged


def success(
    status: int, model: type[BaseModel], description: str, links: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """A success answer with its body's model and its links."""
    answer: dict[str, Any] = {"model": model, "description": description}
    if links:
        answer["links"] = links
    return {status: answer}


# ----------------------------------------------------------------------------------- answer bodies


class Answer(BaseModel):
    """An answer body: the fields named are promised, more may come (add freely, never drop)."""

    model_config = ConfigDict(extra="allow")


class Balances(Answer):
    """Money still owed either way."""

    arrears_due: int
    overpayment_outstanding: int


class Entitlement(Answer):
    """An entitlement as granted or changed: ``monthly_amount`` for ``month`` (monthly schemes) or
    ``amount`` (one-off)."""

    entitlement_id: str = Field(description="its id (UUID)")
    scheme: str = Field(description="its scheme code")
    frequency: str = Field(description="monthly, quarterly or one_off")
    start_month: str | None = Field(default=None, description="the first month it pays")
    month: str | None = Field(default=None, description="the month monthly_amount is for (this month)")
    monthly_amount: int | None = Field(default=None, description="đồng for month (monthly schemes)")
    amount: int | None = Field(default=None, description="đồng (one-off schemes)")
    paid_amount: int | None = Field(default=None, description="đồng paid of a one-off (one-off schemes)")
    paid_on: str | None = Field(default=None, description="the day a one-off was paid (last payment)")
    next_payment_month: str | None = Field(
        default=None, description="the next month a quarterly scheme pays in (quarterly schemes)"
    )
    payment_amount: int | None = Field(default=None, description="đồng it pays then (quarterly schemes)")
    suspended: bool | None = Field(default=None, description="suspended now")


class Beneficiary(Answer):
    """A beneficiary's current state."""

    id: str = Field(description="the beneficiary id (UUID)")
    kind: Literal["meritorious", "social_assistance", "poor_household"] = Field(description="its kind")
    full_name: str = Field(description="the name (a household: its head's)")
    citizen_id: str | None = Field(description="CCCD (none for a household)")
    commune_code: str = Field(description="the commune it lives in now")
    status: Literal["active", "suspended", "terminated", "deceased"] = Field(description="now")
    payment_channel: dict[str, Any] = Field(description="cash, or its bank account")
    entitlements: list[Entitlement] = Field(description="with this month's amounts")
    cards: list[dict[str, Any]] = Field(description="health-insurance cards")
    balances: Balances = Field(description="arrears due and overpayment outstanding")


class PaymentRecord(Answer):
    """A recorded payment."""

    payment_id: str = Field(description="the client's id")
    beneficiary_id: str = Field(description="who was paid")
    entitlement_id: str = Field(description="for which entitlement")
    period: str | None = Field(description="for which month (none: a one-off)")
    amount: int = Field(description="đồng paid")
    paid_on: str = Field(description="the day it was paid")
    reversed: bool = Field(description="reversed since")


AS_VIEWED = writes(success(200, Beneficiary, "recorded: the beneficiary as it now stands"))
"""A write whose answer is the beneficiary's state afterwards."""


def _link(operation_id: str, description: str, **fields: str) -> dict[str, Any]:
    """A link to ``operation_id``; ``fields`` are its parameters, or ``body.NAME`` a body property."""
    link: dict[str, Any] = {"operationId": operation_id, "description": description}
    parameters = {k: v for k, v in fields.items() if not k.startswith("body_")}
    body = {k.removeprefix("body_"): v for k, v in fields.items() if k.startswith("body_")}
    if parameters:
        link["parameters"] = parameters
    if body:
        link["requestBody"] = body
    return link


_ID = "$response.body#/id"
BENEFICIARY_LINKS = {
    "GetBeneficiary": _link("get_beneficiary", "the beneficiary's current state", beneficiary_id=_ID),
    "History": _link("history", "its audit trail", beneficiary_id=_ID),
    "GrantEntitlement": _link("grant", "grant it an entitlement", beneficiary_id=_ID),
    "RecordDeath": _link("death", "record its death", beneficiary_id=_ID),
    "Relocate": _link("relocate", "move it to another commune", beneficiary_id=_ID),
    "ChangePaymentChannel": _link("payment_channel", "switch cash / bank", beneficiary_id=_ID),
    "CorrectDetails": _link("correct", "correct its details", beneficiary_id=_ID),
    "IssueCard": _link("issue_card", "issue it a health-insurance card", beneficiary_id=_ID),
    "RecordRecovery": _link("recovery", "recover an overpayment", beneficiary_id=_ID),
}
"""From a registered beneficiary (201 ``id``) to what can be done with it."""

_FIRST = "$response.body#/entitlements/0/"
VIEW_LINKS = {
    "PayFirstEntitlement": _link(
        "record_payment", "pay its first entitlement's amount for this month", body_beneficiary_id=_ID,
        body_entitlement_id=f"{_FIRST}entitlement_id", body_period=f"{_FIRST}month",
        body_amount=f"{_FIRST}monthly_amount",
    ),
}  # fmt: skip
"""From a beneficiary's state to paying its first entitlement."""

_BID = "$request.path.beneficiary_id"
_EID = "$response.body#/entitlement_id"
ENTITLEMENT_LINKS = {
    "RecordPayment": _link(
        "record_payment", "pay this month's amount", body_beneficiary_id=_BID, body_entitlement_id=_EID,
        body_period="$response.body#/month", body_amount="$response.body#/monthly_amount",
    ),
    "RecordNotCollected": _link(
        "not_collected", "this month was not collected", body_beneficiary_id=_BID,
        body_entitlement_id=_EID, body_period="$response.body#/month",
    ),
    **{
        name: _link(operation, description, beneficiary_id=_BID, entitlement_id=_EID)
        for name, operation, description in (
            ("Adjust", "adjust", "change its parameters from a month"),
            ("Suspend", "suspend", "suspend it from a month"),
            ("Resume", "resume", "resume it from a month"),
            ("Terminate", "terminate", "terminate it after the last month paid"),
        )
    },
    "GetBeneficiary": _link("get_beneficiary", "the beneficiary with it", beneficiary_id=_BID),
}  # fmt: skip
"""From a granted (or changed) entitlement to its payments and decisions."""

_PID = "$response.body#/payment_id"
PAYMENT_LINKS = {
    "ReversePayment": _link("reverse", "reverse it", payment_id=_PID),
    "PaymentProof": _link("proof", "its inclusion proof", payment_id=_PID),
    "GetBeneficiary": _link(
        "get_beneficiary", "the beneficiary paid", beneficiary_id="$response.body#/beneficiary_id"
    ),
}
"""From a recorded payment to its reversal and its proof."""


# ----------------------------------------------------------------------------------- the document


def complete_openapi(app: FastAPI, province: str | None) -> None:
    """Make ``app.openapi()`` add the ``Problem`` component and the ``CommuneCode`` enum (the communes of
    ``province``, or of the country) and point every commune code at it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        schemas["CommuneCode"] = {
            "type": "string",
            "pattern": COMMUNE_PATTERN,
            "enum": all_commune_codes(province),
            "examples": ["26041"],
            "description": "5-digit commune code of the 2025 reform, one the deployment serves",
        }
        app.openapi_schema = _point_at_communes(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _point_at_communes(node: Any) -> Any:
    """Replace every schema marked as a commune code by a reference to ``CommuneCode``."""
    if is_commune_schema(node):
        kept = {k: v for k, v in node.items() if k in {"description", "title"}}
        return {"allOf": [{"$ref": "#/components/schemas/CommuneCode"}], **kept}
    if isinstance(node, dict):
        return {k: _point_at_communes(v) for k, v in node.items() if k != COMMUNE_CODE_MARK}
    if isinstance(node, list):
        return [_point_at_communes(v) for v in node]
    return node
