"""Đăng ký đối tượng — the registration page: a person (người có công, bảo trợ xã hội) or a household
(hộ nghèo, cận nghèo, with its members), with the payment channel.

``GET /pages/dang-ky`` shows the form; ``POST /pages/dang-ky`` calls the same ledger command as
``POST /v1/beneficiaries`` (:meth:`~ledger.application.BenefitsLedger.register_beneficiary`) and opens
the new person's page with a notice. A refusal is shown beside its field in Vietnamese with what was
typed kept, and nothing is recorded; a commune outside an officer's scope is refused as the API
refuses it (403), beside the commune. The form carries the session's CSRF token and a one-time
``form_key`` (a double click registers once); inspectors get 403.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.pages import support as vi
from api.pages.kit import (
    COOKIE_PATH,
    OUT_OF_SCOPE,
    Posted,
    Visitor,
    commune_options,
    field_errors,
    page,
    poster,
    record_once,
    writer_only,
)
from api.pages.profile import CHANNEL, MEMBER_INPUTS, channel_values, typed_channel, typed_members
from api.web.problems import status_of
from api.web.services import Services, services
from domain.errors import DomainError, NotAllowed

router = APIRouter(include_in_schema=False)

PATH = f"{COOKIE_PATH}/dang-ky"
SHOWN_MEMBER_ROWS = 5  # blank member rows the form offers
PERSON = ("kind", "full_name", "citizen_id", "date_of_birth", "sex", "commune_code")
HOUSEHOLD = ("household_code", "poverty_status")
FIELDS = (*PERSON, *HOUSEHOLD, *CHANNEL, "reason", *MEMBER_INPUTS)
KINDS = (
    ("meritorious", "Người có công với cách mạng"),
    ("social_assistance", "Đối tượng bảo trợ xã hội"),
    ("poor_household", "Hộ nghèo, hộ cận nghèo"),
)


def _registration(values: dict[str, str]) -> dict[str, Any]:
    """The typed form as the ledger's registration fields: the blank ones left out (the ledger says
    which are required), dates as ``YYYY-MM-DD``, the members that have anything typed."""
    fields: dict[str, Any] = {name: values[name].strip() for name in (*PERSON, *HOUSEHOLD)}
    fields["date_of_birth"] = vi.parse_date_text(fields["date_of_birth"])
    members = typed_members(values)
    out = {k: v for k, v in fields.items() if v}
    out["kind"] = fields["kind"]
    out["full_name"] = fields["full_name"]
    out["commune_code"] = fields["commune_code"]
    if members:
        out["members"] = members
    out["payment_channel"] = typed_channel(values)
    return out


def _form_page(
    request: Request, visitor: Visitor, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    svc: Services = services(request)
    communes = commune_options(svc.ledger, visitor)
    blank = dict.fromkeys(FIELDS, "")
    blank.update(channel_values(None))
    if visitor.scoped:
        blank["commune_code"] = visitor.user.scope[0]
    context = {
        "nav": "dang-ky",
        "v": {**blank, **(values or {})},
        "errs": errors or {},
        "form_key": secrets.token_urlsafe(16),
        "kinds": KINDS,
        "communes": communes,
        "member_rows": range(SHOWN_MEMBER_ROWS),
    }
    return page(request, "dang_ky.html", context, visitor=visitor, status=status)


@router.get(PATH)
def registration_form(request: Request) -> Response:
    """Đăng ký đối tượng (officers and administrators)."""
    visitor = writer_only(request)
    return visitor if isinstance(visitor, Response) else _form_page(request, visitor)


@router.post(PATH)
def register(request: Request, posted: Posted) -> Response:
    """Register through the ledger; the new person's page, or the form with the refusal."""
    visitor = poster(request, posted.get("csrf_token", ""), lambda v: v.writes)
    if isinstance(visitor, Response):
        return visitor
    values = {name: posted.get(name, "") for name in FIELDS}
    ledger = services(request).ledger

    def action() -> dict[str, Any]:
        agg = ledger.register_beneficiary(
            visitor.user, reason=values["reason"].strip(), **_registration(values)
        )
        return {"notice": "da-dang-ky", "id": str(agg.id)}

    try:
        once = record_once(request, visitor, posted, values, action)
    except NotAllowed:
        return _form_page(request, visitor, values, {"commune_code": OUT_OF_SCOPE}, status=403)
    except DomainError as error:
        return _form_page(request, visitor, values, field_errors(error, FIELDS), status=status_of(error))
    if once.conflict:
        return _form_page(request, visitor, values, {"_form": once.conflict}, status=409)
    notice = "da-gui-truoc" if once.repeated else "da-dang-ky"
    target = f"{COOKIE_PATH}/doi-tuong/{once.answer.get('id', '')}?thong_bao={notice}"
    return RedirectResponse(target, status_code=303)
