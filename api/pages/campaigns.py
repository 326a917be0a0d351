"""Đợt chi — a one-off (a Tết gift, a support) granted to many people at once, on a page.

``POST /pages/dot-chi`` runs the same campaign as ``POST /v1/campaigns`` and ``ledger campaigns grant``
(:func:`ledger.campaigns.grant_campaign`: a one-off scheme, a month, its amount and funding source, the
decision, and who it is for — kind, commune, schemes held), for the same users
(:func:`ledger.authorization.require_campaign_runner`: an officer with a commune scope for one of its
communes, named beside the commune field when missing or outside it). ``GET /pages/dot-chi?dot=ID``
shows what a campaign did (granted, already granted, skipped and why). The same campaign id again
records nothing new; the form's one-time key and CSRF token as on every form; inspectors get 403.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.pages import support as vi
from api.pages.kit import (
    COOKIE_PATH,
    OUT_OF_SCOPE,
    Visitor,
    commune_options,
    field_errors,
    page,
    posted_form,
    read_dates,
    record_once,
    writer_only,
)
from api.pages.profile import DECISION, typed_basis
from api.pages.registration import KINDS
from api.web.problems import status_of
from api.web.services import Services, services
from domain.catalogue import scheme_catalogue
from domain.errors import DomainError, NotAllowed, NotFound
from ledger.authorization import require_campaign_runner
from ledger.campaigns import campaign, grant_campaign

router = APIRouter(include_in_schema=False)

PATH = f"{COOKIE_PATH}/dot-chi"
PARAMS = ("amount", "funding_source", "occasion")
FIELDS = ("campaign_id", "scheme", "month", *PARAMS, *DECISION, "kind", "commune_code", "reason")
FUNDING_LABELS = {
    "central": "Ngân sách trung ương",
    "province": "Ngân sách tỉnh",
    "district": "Ngân sách huyện",
    "commune": "Ngân sách xã",
    "donation": "Nguồn vận động, tài trợ",
}
OCCASIONS = (("tet", "Tết Nguyên đán"), ("27-7", "Ngày Thương binh – Liệt sĩ 27/7"), ("30-4", "Ngày 30/4"),
             ("2-9", "Quốc khánh 2/9"), ("other", "Dịp khác"))  # fmt: skip
SKIPPED_SHOWN = 200


def _one_off_schemes() -> list[tuple[str, list[tuple[str, str]]]]:
    """The one-off schemes a campaign may grant, by kind (those with a fixed amount first)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, scheme in scheme_catalogue().items():
        if not scheme.monthly:
            label = vi.KIND_LABELS.get(scheme.kind, scheme.kind)
            groups.setdefault(label, []).append((code, scheme.name_vi))
    return sorted(groups.items(), key=lambda item: item[0] != vi.KIND_LABELS["any"])


def _held_schemes() -> list[tuple[str, str]]:
    return [(code, f"{s.name_vi} ({code})") for code, s in scheme_catalogue().items() if s.monthly]


def _campaign_page(
    request: Request, visitor: Visitor, *, values: dict[str, str] | None = None,
    schemes: list[str] | None = None,
    errors: dict[str, str] | None = None, result: dict[str, Any] | None = None, notice: str = "",
    status: int = 200,
) -> Response:  # fmt: skip
    svc: Services = services(request)
    ledger = svc.ledger
    today = ledger.today()
    blank = dict.fromkeys(FIELDS, "")
    blank.update(campaign_id=f"DOT-{today:%Y%m%d}-{secrets.token_hex(3).upper()}",
                 month=str(ledger.current_month()),
                 decision_date=today.isoformat(), scheme="GIFT", occasion="tet")  # fmt: skip
    if visitor.scoped:
        blank["commune_code"] = visitor.user.scope[0]
    context = {
        "nav": "dot-chi",
        "v": {**blank, **(values or {})},
        "chosen": schemes or [],
        "errs": errors or {},
        "form_key": secrets.token_urlsafe(16),
        "schemes": _one_off_schemes(),
        "held": _held_schemes(),
        "scheme_names": {code: s.name_vi for code, s in scheme_catalogue().items()},
        "kinds": KINDS,
        "funding": list(FUNDING_LABELS.items()),
        "occasions": OCCASIONS,
        "communes": commune_options(ledger, visitor),
        "result": result,
        "skipped": _skipped(result),
        "notice": notice,
    }
    return page(request, "dot_chi.html", context, visitor=visitor, status=status)


def _skipped(result: dict[str, Any] | None) -> list[dict[str, str]]:
    if not result:
        return []
    return [{"beneficiary_id": s["beneficiary_id"], "reason": vi.vietnamese(s["reason"])}
            for s in result.get("skipped", [])[:SKIPPED_SHOWN]]  # fmt: skip


@router.get(PATH)
def campaign_form(request: Request, dot: str = "", thong_bao: str = "") -> Response:
    """The campaign form, or what a campaign did (``dot``: its id)."""
    visitor = writer_only(request)
    if isinstance(visitor, Response):
        return visitor
    if not dot:
        return _campaign_page(request, visitor)
    try:
        result = campaign(services(request).ledger, dot).summary()
    except NotFound:
        return _campaign_page(request, visitor, errors={"_form": f"Không có đợt chi {dot}."}, status=404)
    notice = {
        "da-ghi": "Đã ghi đợt chi.",
        "da-gui-truoc": "Đợt chi này đã được ghi trước đó: không ghi thêm.",
    }
    return _campaign_page(request, visitor, result=result, notice=notice.get(thong_bao, ""))


def _params(values: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if values["amount"].strip():
        params["amount"] = vi.parse_amount_text(values["amount"])
    for name in ("funding_source", "occasion"):
        if values[name].strip():
            params[name] = values[name].strip()
    return params


@router.post(PATH)
async def run_campaign(request: Request) -> Response:
    """Grant the campaign; its result page (303), or the form with the refusal beside the field."""
    sent = await posted_form(request, writer_only)
    if isinstance(sent, Response):
        return sent
    visitor, form, posted = sent
    values, bad_dates = read_dates({name: posted.get(name, "") for name in FIELDS})
    schemes = [s.strip() for s in form.getlist("schemes") if isinstance(s, str) and s.strip()]
    ledger = services(request).ledger
    commune = values["commune_code"].strip() or None
    select: dict[str, Any] = {"kind": values["kind"].strip() or None, "commune_code": commune,
                              "schemes": schemes or None}  # fmt: skip

    def action() -> dict[str, Any]:
        require_campaign_runner(visitor.user, commune)
        created, summary = grant_campaign(
            ledger, visitor.user.name, campaign_id=values["campaign_id"].strip(),
            scheme=values["scheme"].strip(),
            month=vi.parse_month_text(values["month"]), params=_params(values), basis=typed_basis(values),
            select={k: v for k, v in select.items() if v is not None}, reason=values["reason"].strip(),
        )  # fmt: skip
        return {"campaign_id": summary["campaign_id"], "created": created}

    def again(errors: dict[str, str], status: int) -> Response:
        return _campaign_page(request, visitor, values=values, schemes=schemes, errors=errors, status=status)

    if bad_dates:
        return again(bad_dates, 422)
    try:
        once = await run_in_threadpool(
            record_once, request, visitor, posted, {**values, "schemes": schemes}, action
        )
    except NotAllowed:
        return again({"commune_code": OUT_OF_SCOPE if commune else "Chọn xã/phường được giao."}, 403)
    except DomainError as error:
        errors = field_errors(error, (*FIELDS, "schemes"))
        if set(errors) == {"_form"} and error.message.startswith("campaign "):
            errors = {"campaign_id": errors["_form"]}
        return again(errors, status_of(error))
    if once.conflict:
        return again({"_form": once.conflict}, 409)
    notice = "da-ghi" if once.answer.get("created") and not once.repeated else "da-gui-truoc"
    target = f"{PATH}?dot={quote(str(once.answer.get('campaign_id', '')), safe='')}&thong_bao={notice}"
    return RedirectResponse(target, status_code=303)
