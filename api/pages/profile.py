"""Hồ sơ đối tượng — the beneficiary page and the officer's forms on it.

``GET /pages/doi-tuong/{id}``: details, entitlements and this month's amounts, cards, balances, the
timeline of every event (optionally as of a date) and whether the stream's hash chain verifies
(:func:`ledger.integrity.verify_stream`). An officer outside the person's commune gets 403.

Each form posts to a route under ``/pages/doi-tuong/{id}/`` that calls the same ledger command as the
JSON API (``api/routes/beneficiaries.py``, ``api/routes/payments.py``):

==================  ====================================  =========================================
route               form                                  ledger command
==================  ====================================  =========================================
``chi-tra``         ghi nhận chi trả                      ``record_payment``
``khong-nhan``      ghi nhận không nhận                   ``record_not_collected``
``che-do``          quyết định hưởng chế độ               ``grant_entitlement``
``dieu-chinh``      điều chỉnh mức hưởng                  ``adjust_entitlement``
``thoi-huong``      thôi hưởng                            ``terminate_entitlement``
``bao-tu``          báo tử                                ``record_death``
``cap-the``         cấp thẻ BHYT                          ``issue_card``
``thu-hoi-the``     thu hồi thẻ BHYT                      ``revoke_card``
``thu-hoi``         thu hồi chi thừa / hoàn trả           ``record_recovery``
``tam-dung``        tạm dừng hưởng                        ``suspend_entitlement``
``tiep-tuc``        tiếp tục hưởng                        ``resume_entitlement``
``chuyen-xa``       chuyển xã/phường                      ``relocate``
``hinh-thuc-nhan``  đổi hình thức nhận                    ``change_payment_channel``
``dinh-chinh``      đính chính thông tin                  ``correct_details``
``gia-han-the``     gia hạn thẻ BHYT                      ``renew_card``
==================  ====================================  =========================================

A refusal is shown beside its field, in Vietnamese, with what was typed kept, and nothing is
recorded. Every form carries the session's CSRF token; the decision forms also carry a one-time
``form_key`` (kept with the API's idempotency keys) so that a double click records once. Inspectors
see no forms and get 403 when posting; an officer outside the person's commune gets 403.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

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
    forbidden,
    not_found,
    page,
    poster,
    read_dates,
    record_once,
    scheme_options,
    to_signin,
    visitor_of,
)
from api.web.problems import status_of
from api.web.services import Services, services
from domain.beneficiary import RECOVERY_METHODS
from domain.catalogue import EDUCATION_LEVELS, Scheme, scheme_catalogue, validate_params
from domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, UnknownBeneficiary
from domain.params import CHOICE_NAMES_VI
from domain.values import Month
from ledger.adapters.communes import commune_name
from ledger.application import BenefitsLedger
from ledger.history import beneficiary_history
from ledger.integrity import verify_stream

if TYPE_CHECKING:
    from domain.users import User

router = APIRouter(include_in_schema=False)

NOTICES = {
    "da-ghi-chi-tra": "Đã ghi nhận khoản chi trả.",
    "chi-tra-da-co": "Khoản chi trả này đã được ghi trước đó (cùng mã chi trả): không ghi thêm.",
    "da-ghi-khong-nhan": "Đã ghi nhận kỳ không nhận; số tiền được chuyển sang danh sách chi trả kỳ sau.",
    "da-ghi-che-do": "Đã ghi quyết định hưởng chế độ.",
    "da-dieu-chinh": "Đã ghi quyết định điều chỉnh mức hưởng.",
    "da-thoi-huong": "Đã ghi quyết định thôi hưởng.",
    "da-bao-tu": "Đã ghi nhận báo tử: chi trả dừng từ tháng sau tháng mất, thẻ BHYT hết giá trị từ ngày mất.",
    "da-cap-the": "Đã ghi nhận cấp thẻ BHYT.",
    "da-thu-hoi-the": "Đã ghi nhận thu hồi thẻ BHYT.",
    "da-thu-hoi": "Đã ghi nhận khoản thu hồi.",
    "da-tam-dung": "Đã ghi tạm dừng hưởng: chế độ không được đưa vào danh sách chi trả từ tháng đã chọn.",
    "da-tiep-tuc": "Đã ghi tiếp tục hưởng.",
    "da-chuyen-xa": "Đã ghi chuyển xã/phường.",
    "da-doi-hinh-thuc": "Đã ghi đổi hình thức nhận.",
    "da-dinh-chinh": "Đã ghi đính chính thông tin.",
    "da-gia-han-the": "Đã ghi gia hạn thẻ BHYT.",
    "da-dang-ky": "Đã đăng ký đối tượng. Có thể ghi quyết định hưởng chế độ ở phần bên dưới.",
    "da-gui-truoc": "Biểu mẫu này đã được gửi và ghi trước đó: không ghi thêm.",
}
DECISION = ("decision_no", "decision_date", "issuer")
PARAMS = ("martyrs", "injury_rate", "extremely_severe", "children", "level", "amount")
INTEGER_PARAMS = ("martyrs", "injury_rate", "children")
CHANNEL = ("channel_type", "bank_code", "account_number")
# What the correction form shows (the registered details a correction may change; members below).
CORRECTED = ("full_name", "citizen_id", "date_of_birth", "sex", "household_code", "poverty_status")
# A household's members as rows of fields (registration, correction): ``member_{row}_{field}``.
MEMBER_ROWS = 10
MEMBER_FIELDS = ("citizen_id", "full_name", "date_of_birth", "relation")
MEMBER_INPUTS = tuple(f"member_{i}_{name}" for i in range(MEMBER_ROWS) for name in MEMBER_FIELDS)
FORMS: dict[str, tuple[str, ...]] = {
    "payment": ("payment_id", "entitlement_id", "period", "amount", "paid_on", "channel", "reference",
                "reason"),
    "not_collected": ("entitlement_id", "period", "reason"),
    "grant": ("scheme", "effective_from", "end_month", *PARAMS, *DECISION, "reason"),
    "adjust": ("entitlement_id", "effective_from", *PARAMS, *DECISION, "reason"),
    "terminate": ("entitlement_id", "last_month", *DECISION, "reason"),
    "death": ("date_of_death", *DECISION, "reason"),
    "card": ("card_number", "valid_from", "valid_to", "reason"),
    "revoke": ("card_number", "effective_on", "reason"),
    "recovery": ("amount", "method", "reference", "reason"),
    "suspend": ("entitlement_id", "effective_from", *DECISION, "reason"),
    "resume": ("entitlement_id", "effective_from", *DECISION, "reason"),
    "relocate": ("commune_code", "effective_from", "reason"),
    "channel": (*CHANNEL, "effective_from", "reason"),
    "correct": (*CORRECTED, *MEMBER_INPUTS, "reason"),
    "renew": ("card_number", "valid_to", "reason"),
}  # fmt: skip
PARAM_HINTS = {
    "martyrs": "số liệt sĩ",
    "injury_rate": "tỷ lệ tổn thương",
    "children": "số con đang nuôi",
    "level": "cấp học",
    "amount": "số tiền",
}
LEVEL_LABELS = CHOICE_NAMES_VI["level"]


# ------------------------------------------------------------------------------------------- form data


def scheme_needs(scheme: Scheme) -> str | None:
    """The parameter a scheme's rule needs (``martyrs``, ``injury_rate``…), as the catalogue checks it."""
    try:
        validate_params(scheme, {})
    except InvalidInput as error:
        return error.field.removeprefix("params.")
    return None


def _params(values: dict[str, str]) -> dict[str, Any]:
    """The scheme parameters typed in a form: only the filled ones, whole numbers as integers (anything
    else as typed, for the ledger to refuse beside the field)."""
    params: dict[str, Any] = {}
    for name in INTEGER_PARAMS:
        text = values.get(name, "").strip().removesuffix("%").strip()
        if text:
            params[name] = int(text) if text.isdigit() else text
    if values.get("extremely_severe"):
        params["extremely_severe"] = True
    if values.get("level", "").strip():
        params["level"] = values["level"].strip()
    if values.get("amount", "").strip():
        params["amount"] = vi.parse_amount_text(values["amount"])
    return params


def typed_basis(values: dict[str, str], *, required: bool = True) -> dict[str, str] | None:
    """The decision typed in a form; ``None`` when optional and left blank."""
    typed = {name: values.get(name, "").strip() for name in DECISION}
    if not required and not any(typed.values()):
        return None
    typed["decision_date"] = vi.parse_date_text(typed["decision_date"])
    return typed


def _month(text: str) -> str | None:
    return vi.parse_month_text(text) or None


def _amount_text(amount: object) -> str:
    return vi.vnd(amount).removesuffix(" đ") if isinstance(amount, int) and amount else ""


# ------------------------------------------------------------------------------------------- the page


def _defaults(ledger: BenefitsLedger, view: dict[str, Any]) -> dict[str, dict[str, str]]:
    """What each form shows before anything is typed."""
    today = ledger.today().isoformat()
    month = str(ledger.current_month())
    entitlements = view["entitlements"]
    monthly = [e for e in entitlements if "monthly_amount" in e]
    first = monthly[0] if monthly else (entitlements[0] if entitlements else {})
    running = [e for e in monthly if not e["last_month"]]
    active_cards = [c for c in view["cards"] if c["status"] == "active"]
    issuers = [e["basis"]["issuer"] for e in entitlements if isinstance(e.get("basis"), dict)]
    decision = {"decision_no": "", "decision_date": today, "issuer": issuers[-1] if issuers else ""}
    no_decision = {"decision_no": "", "decision_date": "", "issuer": "", "reason": ""}
    pausable, paused = _pausable(view, running)
    blank_params = dict.fromkeys(PARAMS, "")
    balances = view["balances"]
    owed = balances["overpayment_outstanding"]
    credit = balances["recovery_credit"]
    return {
        "payment": {
            "payment_id": f"WEB-{ledger.today():%Y%m%d}-{secrets.token_hex(4).upper()}",
            "entitlement_id": str(first.get("entitlement_id", "")),
            "period": month if monthly else "",
            "amount": _amount_text(first.get("monthly_amount", first.get("amount"))),
            "paid_on": today,
            "channel": "",
            "reference": "",
            "reason": "",
        },
        "not_collected": {
            "entitlement_id": str(first.get("entitlement_id", "")),
            "period": month if monthly else "",
            "reason": "",
        },
        "grant": {"scheme": "", "effective_from": month, "end_month": "", **blank_params, **decision,
                  "reason": ""},
        "adjust": {"entitlement_id": running[0]["entitlement_id"] if running else "", "effective_from": month,
                   **blank_params, **decision, "reason": ""},
        "terminate": {"entitlement_id": running[0]["entitlement_id"] if running else "", "last_month": month,
                      **decision, "reason": ""},
        "death": {"date_of_death": "", "decision_no": "", "decision_date": "", "issuer": "", "reason": ""},
        "card": {"card_number": "", "valid_from": today, "valid_to": "", "reason": ""},
        "revoke": {"card_number": active_cards[0]["card_number"] if active_cards else "",
                   "effective_on": today, "reason": ""},
        "suspend": {"entitlement_id": pausable[0]["entitlement_id"] if pausable else "",
                    "effective_from": month,
                    **no_decision},
        "resume": {"entitlement_id": paused[0]["entitlement_id"] if paused else "",
                   "effective_from": str(Month.parse(month).next()), **no_decision},
        "relocate": {"commune_code": "", "effective_from": month, "reason": ""},
        "channel": {**channel_values(view["payment_channel"]), "effective_from": month, "reason": ""},
        "correct": {**dict.fromkeys(MEMBER_INPUTS, ""), **member_values(view.get("members")),
                    **{name: str(view.get(name) or "") for name in CORRECTED}, "reason": ""},
        "renew": {"card_number": active_cards[0]["card_number"] if active_cards else "", "valid_to": "",
                  "reason": ""},
        "recovery": {"amount": _amount_text(owed if owed > 0 else credit),
                     "method": "cash" if owed > 0 or not credit else "refund", "reference": "", "reason": ""},
    }  # fmt: skip


def channel_values(channel: object) -> dict[str, str]:
    """A payment channel as the channel fields show it (the registration and the channel form)."""
    given = channel if isinstance(channel, dict) else {}
    return {"channel_type": str(given.get("type") or "cash"), "bank_code": str(given.get("bank_code") or ""),
            "account_number": str(given.get("account_number") or "")}  # fmt: skip


def typed_channel(values: dict[str, str]) -> dict[str, str]:
    """The payment channel typed in a form, for the ledger to check (cash, or a bank and an account)."""
    kind = values.get("channel_type", "").strip()
    if kind != "bank":
        return {"type": kind}
    return {"type": kind, "bank_code": values.get("bank_code", "").strip(),
            "account_number": values.get("account_number", "").replace(" ", "").strip()}  # fmt: skip


def typed_members(values: dict[str, str]) -> list[dict[str, str]]:
    """The member rows typed in a form that have anything in them, for the ledger to check (dates as
    ``YYYY-MM-DD``; a blank date or relation left out)."""
    members = []
    for i in range(MEMBER_ROWS):
        row = {name: values.get(f"member_{i}_{name}", "").strip() for name in MEMBER_FIELDS}
        if any(row.values()):
            row["date_of_birth"] = vi.parse_date_text(row["date_of_birth"])
            members.append({k: v for k, v in row.items() if v or k in {"citizen_id", "full_name"}})
    return members


def member_values(members: object) -> dict[str, str]:
    """A household's registered members as the member rows show them."""
    rows = members if isinstance(members, list) else []
    return {f"member_{i}_{name}": str(member.get(name) or "")
            for i, member in enumerate(rows[:MEMBER_ROWS]) if isinstance(member, dict)
            for name in MEMBER_FIELDS}  # fmt: skip


def _same_members(typed: list[dict[str, str]], registered: object) -> bool:
    def key(member: dict[str, Any]) -> tuple[str, ...]:
        return (str(member.get("citizen_id") or ""), str(member.get("full_name") or ""),
                str(member.get("date_of_birth") or ""), str(member.get("relation") or "member"))  # fmt: skip

    rows = [m for m in registered if isinstance(m, dict)] if isinstance(registered, list) else []
    return [key(m) for m in typed] == [key(m) for m in rows]


def _pausable(view: dict[str, Any], running: list[Any]) -> tuple[list[Any], list[Any]]:
    """The running entitlements that may be suspended, and those suspended (that may be resumed)."""
    if view["date_of_death"]:
        return [], []
    return [e for e in running if not e["suspended"]], [e for e in running if e["suspended"]]


def _grant_schemes(kind: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The schemes this person may be granted, each named with the parameter it needs."""
    catalogue = scheme_catalogue()
    out = []
    for group, options in scheme_options(kind):
        named = []
        for code, name in options:
            needs = scheme_needs(catalogue[code])
            named.append((code, f"{name} — nhập {PARAM_HINTS.get(needs, needs)}" if needs else name))
        out.append((group, named))
    return out


def _shown(view: dict[str, Any], running: list[Any], active_cards: list[Any]) -> set[str]:
    """The forms the page shows for this person (to someone who may write for them)."""
    shown = {"grant"}
    if view["entitlements"]:
        shown |= {"payment", "not_collected"}
    if running:
        shown |= {"adjust", "terminate"}
    shown.add("correct")
    pausable, paused = _pausable(view, running)
    if pausable:
        shown.add("suspend")
    if paused:
        shown.add("resume")
    if not view["date_of_death"]:
        shown |= {"death", "card", "relocate", "channel"}
        if active_cards:
            shown.add("renew")
    if active_cards:
        shown.add("revoke")
    balances = view["balances"]
    if balances["overpayment_outstanding"] > 0 or balances["recovery_credit"] > 0:
        shown.add("recovery")
    return shown


def _profile(
    request: Request,
    visitor: Visitor,
    beneficiary_id: str,
    *,
    as_of: str = "",
    notice: str = "",
    forms: dict[str, dict[str, str]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    svc: Services = services(request)
    ledger = svc.ledger
    view = ledger.beneficiary_view(beneficiary_id)
    if not visitor.may_read(view["commune_code"]):
        return forbidden(request, visitor, OUT_OF_SCOPE)
    visitor.read(svc, f"profile as of {as_of}" if as_of else "profile", beneficiary_id=view["id"])
    errors = dict(errors or {})
    as_of_value = ""
    try:
        as_of_value = vi.read_date(as_of)
    except ValueError as error:
        errors["as_of"] = {"as_of": str(error)}
        status = 422 if status == 200 else status
    try:  # what was recorded by the end of that day in Vietnam
        history = beneficiary_history(
            ledger, view["id"], vi.end_of_vietnam_day(as_of_value) if as_of_value else None
        )
    except DomainError as error:
        errors["as_of"] = {"as_of": vi.vietnamese(error.errors[0].message if error.errors else error.message)}
        history = beneficiary_history(ledger, view["id"])
        as_of_value = ""
        status = 422 if status == 200 else status
    schemes = {e["entitlement_id"]: e["scheme_name"] for e in view["entitlements"]}
    communes = {
        str(item["data"].get("commune_code")): f"{commune_name(str(item['data'].get('commune_code')))}"
        f" ({item['data'].get('commune_code')})"
        for item in history
        if item["data"].get("commune_code")
    }
    timeline = [
        {**item, "label": vi.EVENT_LABELS.get(item["type"], item["type"]),
         "lines": vi.describe(item, schemes, communes), "basis_text": vi.basis_text(item["basis"])}
        for item in reversed(history)
    ]  # fmt: skip
    broken = verify_stream(ledger, UUID(view["id"]))
    problem = vi.chain_problem(broken.version, broken.event_type, broken.problem) if broken else ""
    values = {**_defaults(ledger, view), **(forms or {})}
    may_write = visitor.user.can_write_commune(view["commune_code"])
    monthly = [e for e in view["entitlements"] if "monthly_amount" in e]
    running = [e for e in monthly if not e["last_month"]]
    active_cards = [c for c in view["cards"] if c["status"] == "active"]
    shown = _shown(view, running, active_cards) if may_write else set()
    # A refusal of a form the page no longer shows (a second death, a card after it) is said at the top.
    hidden = [message for name, found in errors.items() if name in FORMS and name not in shown
              for message in found.values()]  # fmt: skip
    context = {
        "nav": "tra-cuu",
        "b": view,
        "timeline": timeline,
        "events_total": len(history),
        "as_of": as_of_value,
        "as_of_typed": as_of if "as_of" in errors else as_of_value,
        "verified": broken is None,
        "chain_problem": problem,
        "may_write": may_write,
        "notice": NOTICES.get(notice, ""),
        "f": values,
        "payment": values["payment"],
        "not_collected": values["not_collected"],
        "errors": {k: errors.get(k, {}) for k in (*FORMS, "as_of")},
        "form_keys": {name: secrets.token_urlsafe(16) for name in FORMS},
        "grant_schemes": _grant_schemes(view["kind"]) if may_write else [],
        "running": running,
        "active_cards": active_cards,
        "pausable": _pausable(view, running)[0],
        "paused": _pausable(view, running)[1],
        "communes": commune_options(ledger, visitor) if may_write else [],
        "member_rows": range(min(MEMBER_ROWS, len(view.get("members") or []) + 2)),
        "shown": shown,
        "refusal": " ".join(hidden),
        "levels": [(level, LEVEL_LABELS.get(level, level)) for level in EDUCATION_LEVELS],
        "recovery_methods": [(m, vi.RECOVERY_LABELS.get(m, m)) for m in RECOVERY_METHODS],
    }
    return page(request, "ho_so.html", context, visitor=visitor, status=status)


@router.get(f"{COOKIE_PATH}/doi-tuong/{{beneficiary_id}}")
def beneficiary(
    request: Request, beneficiary_id: str, as_of: str = "", thong_bao: str = ""
) -> Response:  # fmt: skip
    """Hồ sơ đối tượng."""
    visitor = visitor_of(request)
    if visitor is None:
        return to_signin(request)
    try:
        return _profile(request, visitor, beneficiary_id, as_of=as_of, notice=thong_bao)
    except NotFound:
        return not_found(request, visitor)


# ------------------------------------------------------------------------------------------- posting


def _may_post(visitor: Visitor) -> bool:
    """Whether the visitor may write for this beneficiary is the ledger's to decide
    (:mod:`ledger.authorization`), when the command loads it; inspectors never post."""
    return visitor.user.role != "inspector"


def _done(beneficiary_id: str, notice: str) -> RedirectResponse:
    return RedirectResponse(
        f"{COOKIE_PATH}/doi-tuong/{beneficiary_id}?thong_bao={notice}#dong-thoi-gian", status_code=303
    )


Action = Callable[[Visitor, dict[str, str]], str]


def _submit(
    request: Request, beneficiary_id: str, form: str, posted: dict[str, str], action: Action
) -> Response:
    """Run one form's ledger command for the visitor: the page again with the refusal beside its field,
    or a redirect to the page with a notice (the key :data:`NOTICES` names, which ``action`` returns).

    With a ``form_key`` the same form is recorded once: a second post of it (a double click, the back
    button) gets the notice ``da-gui-truoc`` and records nothing."""
    visitor = poster(request, posted.get("csrf_token", ""), _may_post)
    if isinstance(visitor, Response):
        return visitor
    typed = {name: posted.get(name, "") for name in FORMS[form]}
    values, bad_dates = read_dates(typed)
    if bad_dates:
        return _profile(request, visitor, beneficiary_id, forms={form: typed}, errors={form: bad_dates},
                        status=422)  # fmt: skip
    try:
        once = record_once(request, visitor, posted, values, lambda: {"notice": action(visitor, values)})
    except DomainError as error:
        return _refused(request, visitor, beneficiary_id, form, values, error)
    if once.conflict:
        return _profile(request, visitor, beneficiary_id, forms={form: values},
                        errors={form: {"_form": once.conflict}}, status=409)  # fmt: skip
    return _done(beneficiary_id, "da-gui-truoc" if once.repeated else str(once.answer.get("notice", "")))


def _refused(
    request: Request, visitor: Visitor, beneficiary_id: str, form: str, values: dict[str, str],
    error: DomainError,
) -> Response:  # fmt: skip
    """The ledger's refusal of a form: the forbidden page when the beneficiary is outside the visitor's
    communes, the not-found page for an unknown one, else the page with the refusal beside its field."""
    if isinstance(error, NotAllowed):
        return forbidden(request, visitor, OUT_OF_SCOPE)
    if isinstance(error, UnknownBeneficiary):
        return not_found(request, visitor)
    return _profile(
        request, visitor, beneficiary_id, forms={form: values},
        errors={form: field_errors(error, FORMS[form])}, status=status_of(error),
    )  # fmt: skip


# Each form's ledger command: the visitor's typed values in, the notice (:data:`NOTICES`) out.
Command = Callable[[BenefitsLedger, "User", str, dict[str, str]], str]


def _reason(v: dict[str, str]) -> str:
    return v["reason"].strip()


def _payment(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    created, _ = ledger.record_payment(
        user, payment_id=v["payment_id"].strip(), beneficiary_id=beneficiary_id,
        entitlement_id=v["entitlement_id"].strip(), period=_month(v["period"]),
        amount=vi.parse_amount_text(v["amount"]), paid_on=vi.parse_date_text(v["paid_on"]),
        channel=v["channel"].strip() or None, reference=v["reference"].strip() or None, reason=_reason(v),
    )  # fmt: skip
    return "da-ghi-chi-tra" if created else "chi-tra-da-co"


def _not_collected(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    entitlement_id, period = v["entitlement_id"].strip(), vi.parse_month_text(v["period"])
    ledger.record_not_collected(user, beneficiary_id=beneficiary_id, entitlement_id=entitlement_id,
                                period=period, reason=_reason(v))  # fmt: skip
    return "da-ghi-khong-nhan"


def _grant(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    ledger.grant_entitlement(
        user, beneficiary_id, scheme=v["scheme"].strip(), basis=typed_basis(v), params=_params(v) or None,
        effective_from=vi.parse_month_text(v["effective_from"]), end_month=_month(v["end_month"]),
        reason=_reason(v),
    )  # fmt: skip
    return "da-ghi-che-do"


def _adjust(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    ledger.adjust_entitlement(user, beneficiary_id, v["entitlement_id"].strip(),
                              effective_from=vi.parse_month_text(v["effective_from"]), params=_params(v),
                              basis=typed_basis(v), reason=_reason(v))  # fmt: skip
    return "da-dieu-chinh"


def _terminate(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    last_month = vi.parse_month_text(v["last_month"])
    ledger.terminate_entitlement(user, beneficiary_id, v["entitlement_id"].strip(), last_month=last_month,
                                 basis=typed_basis(v), reason=_reason(v))  # fmt: skip
    return "da-thoi-huong"


def _death(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    """The decision is optional."""
    died = vi.parse_date_text(v["date_of_death"])
    ledger.record_death(user, beneficiary_id, date_of_death=died, basis=typed_basis(v, required=False),
                        reason=_reason(v))  # fmt: skip
    return "da-bao-tu"


def _card(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    valid = vi.parse_date_text(v["valid_from"]), vi.parse_date_text(v["valid_to"]) or None
    ledger.issue_card(user, beneficiary_id, card_number=v["card_number"], valid_from=valid[0],
                      valid_to=valid[1], reason=_reason(v))  # fmt: skip
    return "da-cap-the"


def _revoke(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    """A reason is required."""
    ledger.revoke_card(user, beneficiary_id, v["card_number"], reason=_reason(v),
                       effective_on=vi.parse_date_text(v["effective_on"]))  # fmt: skip
    return "da-thu-hoi-the"


def _recovery(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    """Thu hồi chi thừa (tiền mặt, khấu trừ) or hoàn trả."""
    amount, reference = vi.parse_amount_text(v["amount"]), v["reference"].strip() or None
    ledger.record_recovery(user, beneficiary_id, amount=amount, method=v["method"].strip(),
                           reference=reference, reason=_reason(v))  # fmt: skip
    return "da-thu-hoi"


def _suspend(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    """Tạm dừng; the decision is optional (as over the API)."""
    ledger.suspend_entitlement(user, beneficiary_id, v["entitlement_id"].strip(),
                               effective_from=vi.parse_month_text(v["effective_from"]),
                               basis=typed_basis(v, required=False), reason=_reason(v))  # fmt: skip
    return "da-tam-dung"


def _resume(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    """Tiếp tục hưởng; the decision is optional."""
    ledger.resume_entitlement(user, beneficiary_id, v["entitlement_id"].strip(),
                              effective_from=vi.parse_month_text(v["effective_from"]),
                              basis=typed_basis(v, required=False), reason=_reason(v))  # fmt: skip
    return "da-tiep-tuc"


def _relocate(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    """Chuyển xã/phường from a month."""
    ledger.relocate(user, beneficiary_id, commune_code=v["commune_code"].strip(),
                    effective_from=vi.parse_month_text(v["effective_from"]), reason=_reason(v))  # fmt: skip
    return "da-chuyen-xa"


def _channel(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    """Đổi hình thức nhận: cash, or a bank account, from a month."""
    ledger.change_payment_channel(user, beneficiary_id, payment_channel=typed_channel(v),
                                  effective_from=vi.parse_month_text(v["effective_from"]) or None,
                                  reason=_reason(v))  # fmt: skip
    return "da-doi-hinh-thuc"


def _correct(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    """Đính chính: the fields whose typed value differs from what is registered (a reason required)."""
    view = ledger.beneficiary_view(beneficiary_id)
    changes: dict[str, Any] = {}
    for name in CORRECTED:
        typed = v[name].strip()
        if name == "date_of_birth":
            typed = vi.parse_date_text(typed)
        if typed != str(view.get(name) or ""):
            changes[name] = typed or None
    members = typed_members(v)
    if view["kind"] == "poor_household" and not _same_members(members, view.get("members")):
        changes["members"] = members
    ledger.correct_details(user, beneficiary_id, changes, reason=_reason(v))
    return "da-dinh-chinh"


def _renew(ledger: BenefitsLedger, user: User, beneficiary_id: str, v: dict[str, str]) -> str:
    """Gia hạn thẻ BHYT: a later end date."""
    valid_to = vi.parse_date_text(v["valid_to"])
    ledger.renew_card(user, beneficiary_id, v["card_number"].strip(), valid_to=valid_to,
                      reason=_reason(v))  # fmt: skip
    return "da-gia-han-the"


# (route under /pages/doi-tuong/{id}/, form, command): the table of the module's docstring.
POSTS: tuple[tuple[str, str, Command], ...] = (
    ("chi-tra", "payment", _payment),
    ("khong-nhan", "not_collected", _not_collected),
    ("che-do", "grant", _grant),
    ("dieu-chinh", "adjust", _adjust),
    ("thoi-huong", "terminate", _terminate),
    ("bao-tu", "death", _death),
    ("cap-the", "card", _card),
    ("thu-hoi-the", "revoke", _revoke),
    ("thu-hoi", "recovery", _recovery),
    ("tam-dung", "suspend", _suspend),
    ("tiep-tuc", "resume", _resume),
    ("chuyen-xa", "relocate", _relocate),
    ("hinh-thuc-nhan", "channel", _channel),
    ("dinh-chinh", "correct", _correct),
    ("gia-han-the", "renew", _renew),
)


def _poster(form: str, command: Command) -> Callable[[Request, str, dict[str, str]], Response]:
    """The route that posts ``form``: its ledger command run for the visitor by :func:`_submit`."""

    def post(request: Request, beneficiary_id: str, posted: Posted) -> Response:
        def action(visitor: Visitor, values: dict[str, str]) -> str:
            return command(services(request).ledger, visitor.user, beneficiary_id, values)

        return _submit(request, beneficiary_id, form, posted, action)

    post.__name__ = f"post_{form}"
    return post


for _path, _form, _command in POSTS:
    router.add_api_route(
        f"{COOKIE_PATH}/doi-tuong/{{beneficiary_id}}/{_path}", _poster(_form, _command), methods=["POST"]
    )
