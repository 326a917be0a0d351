"""Web pages for officers and inspectors — giao diện web: server-rendered, in Vietnamese.

Served by ``ledger serve`` under ``/pages`` beside the JSON API, with the same users and roles:

* ``/pages/dang-nhap`` — sign in by pasting the API token (``ledger users add``). The token is checked
  once; the browser gets a random session id (HttpOnly, SameSite=Lax cookie) mapped on the server to
  the user and to a CSRF token (:mod:`api.web_sessions`). Every POST form carries that token in a
  hidden ``csrf_token`` field and is refused (403) without it; the sign-in form itself is protected by
  a double-submit cookie. ``/pages/dang-xuat`` signs out.
* ``/pages/doi-tuong`` — tra cứu đối tượng: by name (accent-insensitive) or citizen ID, commune, scheme
  and status. An officer with a commune scope sees only the people of their communes.
* ``/pages/doi-tuong/{id}`` — hồ sơ đối tượng: details, entitlements and this month's amounts, cards,
  balances, the timeline of every event (optionally as of a date) and whether the stream's hash chain
  verifies. An officer outside the person's commune gets 403.
* ``/pages/doi-tuong/{id}/chi-tra`` and ``.../khong-nhan`` — record a payment or a non-collection with
  the same ledger commands as ``POST /v1/payments``; a refusal is shown beside its field, in
  Vietnamese, and nothing is recorded. Inspectors see no forms and get 403 when posting.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.templating import Jinja2Templates

from api import page_support as vi
from api.app import Services, services
from api.problems import status_of
from api.web_sessions import LIFETIME, SessionStore, WebSession
from domain.catalogue import scheme_catalogue
from domain.errors import DomainError, NotFound
from domain.users import User
from ledger.application import BenefitsLedger
from ledger.communes import commune_name, communes_of
from ledger.history import beneficiary_history
from ledger.integrity import verify_stream
from projections.queries import STATUSES, search_beneficiaries

router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "ledger_session"
SIGNIN_COOKIE = "ledger_signin_csrf"
COOKIE_PATH = "/pages"
PAGE_SIZE = 50
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NOTICES = {
    "da-ghi-chi-tra": "Đã ghi nhận khoản chi trả.",
    "chi-tra-da-co": "Khoản chi trả này đã được ghi trước đó (cùng mã chi trả): không ghi thêm.",
    "da-ghi-khong-nhan": "Đã ghi nhận kỳ không nhận; số tiền được chuyển sang danh sách chi trả kỳ sau.",
}
PAYMENT_FIELDS = (
    "payment_id",
    "entitlement_id",
    "period",
    "amount",
    "paid_on",
    "channel",
    "reference",
    "reason",
)
NOT_COLLECTED_FIELDS = ("entitlement_id", "period", "reason")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(vnd=vi.vnd, ngay=vi.ngay, thang=vi.thang, thoi_diem=vi.thoi_diem)
    env.globals.update(
        KIND_LABELS=vi.KIND_LABELS,
        STATUS_LABELS=vi.STATUS_LABELS,
        ROLE_LABELS=vi.ROLE_LABELS,
        CHANNEL_LABELS=vi.CHANNEL_LABELS,
        SEX_LABELS=vi.SEX_LABELS,
        POVERTY_LABELS=vi.POVERTY_LABELS,
        CARD_STATUS_LABELS=vi.CARD_STATUS_LABELS,
        EVENT_LABELS=vi.EVENT_LABELS,
        commune_name=commune_name,
        basis_text=vi.basis_text,
        channel_text=vi.channel_text,
        params_text=vi.params_text,
    )
    return env


templates = Jinja2Templates(env=_environment())
_sessions_lock = threading.Lock()


# ------------------------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class Visitor:
    """A signed-in user and their session."""

    user: User
    session: WebSession

    @property
    def scoped(self) -> bool:
        """An officer limited to the communes of their scope."""
        return self.user.role == "officer" and bool(self.user.scope)

    def may_read(self, commune_code: str | None) -> bool:
        """Officers with a scope read only their communes; everyone else reads everything."""
        return not self.scoped or commune_code in self.user.scope


def _sessions(request: Request) -> SessionStore:
    """The app's session store, created with its table on first use (beside the idempotency keys)."""
    state = request.app.state
    with _sessions_lock:
        store: SessionStore | None = getattr(state, "web_sessions", None)
        if store is None:
            store = SessionStore(services(request).keys.store)
            state.web_sessions = store
    return store


def _visitor(request: Request) -> Visitor | None:
    session = _sessions(request).get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    user = services(request).ledger.user(session.user_name)
    if user is None or user.disabled:
        return None
    return Visitor(user, session)


def _csrf_ok(expected: str, given: str) -> bool:
    return bool(expected) and bool(given) and secrets.compare_digest(expected.encode(), given.encode())


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of this site only (no open redirect)."""
    if target and target.startswith(f"{COOKIE_PATH}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{COOKIE_PATH}/doi-tuong"


def _to_signin(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{COOKIE_PATH}/dang-nhap?next={quote(target, safe='')}", status_code=303)


# ------------------------------------------------------------------------------------------- rendering


def _page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    visitor: Visitor | None,
    status: int = 200,
) -> Response:
    full = {
        "visitor": visitor,
        "csrf": visitor.session.csrf if visitor else "",
        "nav": "",
        **context,
    }
    response = templates.TemplateResponse(request, template, full, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _error_page(request: Request, visitor: Visitor | None, status: int, title: str, detail: str) -> Response:
    return _page(request, "loi.html", {"title": title, "detail": detail, "status": status}, visitor=visitor,
                 status=status)  # fmt: skip


def _forbidden(request: Request, visitor: Visitor | None, detail: str) -> Response:
    return _error_page(request, visitor, 403, "Không có quyền truy cập", detail)


def _not_found(request: Request, visitor: Visitor | None) -> Response:
    return _error_page(request, visitor, 404, "Không tìm thấy", "Không có đối tượng này trong sổ.")


def _field_errors(error: DomainError, fields: tuple[str, ...]) -> dict[str, str]:
    """The refusal as ``{field: Vietnamese message}``; what names no field of the form goes to ``_form``."""
    errors: dict[str, str] = {}
    for item in error.errors:
        key = item.field if item.field in fields else "_form"
        errors.setdefault(key, vi.vietnamese(item.message))
    if not errors:
        if (
            isinstance(error, NotFound)
            and error.message.startswith("entitlement")
            and "entitlement_id" in fields
        ):
            errors["entitlement_id"] = vi.vietnamese(error.message)
        else:
            errors["_form"] = vi.vietnamese(error.message)
    return errors


# ------------------------------------------------------------------------------------------- routes


@router.get("/")
def landing() -> RedirectResponse:
    """The site's root opens the pages."""
    return RedirectResponse(f"{COOKIE_PATH}/", status_code=307)


@router.get(COOKIE_PATH)
@router.get(f"{COOKIE_PATH}/")
def home(request: Request) -> Response:
    """Trang chủ: the search page once signed in, else the sign-in page."""
    if _visitor(request) is None:
        return RedirectResponse(f"{COOKIE_PATH}/dang-nhap", status_code=303)
    return RedirectResponse(f"{COOKIE_PATH}/doi-tuong", status_code=303)


@router.get(f"{COOKIE_PATH}/static/{{name}}")
def static(name: str) -> Response:
    """The style sheet (package data, no front-end build)."""
    if not re.fullmatch(r"[a-z0-9-]+\.css", name):
        return Response(status_code=404)
    resource = resources.files("api").joinpath("static", name)
    if not resource.is_file():
        return Response(status_code=404)
    return Response(
        resource.read_text(encoding="utf-8"),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "max-age=3600"},
    )


@router.get(f"{COOKIE_PATH}/dang-nhap")
def signin_form(request: Request, next: str | None = None, da_thoat: str | None = None) -> Response:  # noqa: A002
    """Đăng nhập: paste the API token."""
    visitor = _visitor(request)
    if visitor is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _signin_page(request, next_url=_safe_next(next), signed_out=bool(da_thoat))


def _signin_page(
    request: Request, *, next_url: str, signed_out: bool = False, error: str = "", status: int = 200
) -> Response:
    token = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)
    context = {"signin_csrf": token, "next_url": next_url, "signed_out": signed_out, "error": error}
    response = _page(request, "dang_nhap.html", context, visitor=None, status=status)
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


@router.post(f"{COOKIE_PATH}/dang-nhap")
def signin(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",  # noqa: A002
) -> Response:
    """Check the token once; open a session (a random id in the cookie, never the token)."""
    if not _csrf_ok(request.cookies.get(SIGNIN_COOKIE, ""), csrf_token):
        return _forbidden(
            request, None, "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang đăng nhập."
        )
    next_url = _safe_next(next)
    secret = token.strip()
    if not secret:
        return _signin_page(request, next_url=next_url, error="Bắt buộc nhập mã truy cập.", status=422)
    svc: Services = services(request)
    user = svc.ledger.authenticate(secret)
    if user is None:
        message = "Mã truy cập không đúng hoặc tài khoản đã bị khóa."
        return _signin_page(request, next_url=next_url, error=message, status=401)
    store = _sessions(request)
    store.end(request.cookies.get(SESSION_COOKIE))  # a new id at every sign-in (no session fixation)
    session_id, _ = store.create(user.name)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(LIFETIME),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(SIGNIN_COOKIE, path=COOKIE_PATH)
    return response


@router.post(f"{COOKIE_PATH}/dang-xuat")
def signout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Đăng xuất: the session ends on the server and the cookie is cleared."""
    visitor = _visitor(request)
    if visitor is None:
        return RedirectResponse(f"{COOKIE_PATH}/dang-nhap", status_code=303)
    if not _csrf_ok(visitor.session.csrf, csrf_token):
        return _forbidden(request, visitor, "Thiếu mã bảo vệ biểu mẫu (CSRF). Hãy tải lại trang rồi thử lại.")
    _sessions(request).end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(f"{COOKIE_PATH}/dang-nhap?da_thoat=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


# ------------------------------------------------------------------------------------------- search


def _scheme_options() -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, scheme in scheme_catalogue().items():
        groups.setdefault(vi.KIND_LABELS.get(scheme.kind, scheme.kind), []).append((code, scheme.name_vi))
    return list(groups.items())


def _commune_options(ledger: BenefitsLedger, visitor: Visitor) -> list[tuple[str, str]]:
    if visitor.scoped:
        return [(c, commune_name(c)) for c in visitor.user.scope]
    if ledger.province:
        return [(c.code, c.name) for c in communes_of(ledger.province)]
    return []


@router.get(f"{COOKIE_PATH}/doi-tuong")
def search(
    request: Request,
    q: str = "",
    commune_code: str = "",
    scheme: str = "",
    status: str = "",
    cursor: str = "",
) -> Response:
    """Tra cứu đối tượng."""
    visitor = _visitor(request)
    if visitor is None:
        return _to_signin(request)
    svc: Services = services(request)
    form = {
        "q": q.strip(),
        "commune_code": commune_code.strip(),
        "scheme": scheme.strip(),
        "status": status.strip(),
    }
    errors: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    next_url = ""
    searched = any(form.values())
    if searched:
        try:
            results, next_cursor = _find(svc, visitor, form, cursor.strip() or None, errors)
        except DomainError as error:
            errors.update(_field_errors(error, ("q", "commune_code", "scheme", "status")))
            next_cursor = None
        if next_cursor:
            next_url = f"{COOKIE_PATH}/doi-tuong?" + urlencode({**form, "cursor": next_cursor})
    context = {
        "nav": "tra-cuu",
        "form": form,
        "errors": errors,
        "results": results,
        "searched": searched,
        "next_url": next_url,
        "statuses": STATUSES,
        "scheme_groups": _scheme_options(),
        "communes": _commune_options(svc.ledger, visitor),
        "schemes": {code: s.name_vi for code, s in scheme_catalogue().items()},
    }
    return _page(request, "tra_cuu.html", context, visitor=visitor, status=422 if errors else 200)


def _find(
    svc: Services, visitor: Visitor, form: dict[str, str], cursor: str | None, errors: dict[str, str]
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of results within the visitor's communes, and the cursor of the next page."""
    filters: dict[str, Any] = {
        "status": form["status"] or None,
        "scheme": form["scheme"] or None,
        "cursor": cursor,
        "limit": PAGE_SIZE,
    }
    query = form["q"]
    if query.isdigit():
        if len(query) != 12:
            errors["q"] = "Số CCCD gồm 12 chữ số."
            return [], None
        filters["citizen_id"] = query
    elif query:
        filters["name"] = query
    communes: list[str | None] = [form["commune_code"] or None]
    if visitor.scoped:
        if form["commune_code"] and form["commune_code"] not in visitor.user.scope:
            errors["commune_code"] = "Xã/phường này ngoài phạm vi được giao của bạn."
            return [], None
        communes = [form["commune_code"]] if form["commune_code"] else list(visitor.user.scope)
    items: list[dict[str, Any]] = []
    more = False
    for code in communes:
        page = search_beneficiaries(svc.engine, commune_code=code, **filters)
        items.extend(page["items"])
        more = more or page["next_cursor"] is not None
    items.sort(key=lambda item: str(item["id"]))
    if len(items) > PAGE_SIZE:
        more = True
        items = items[:PAGE_SIZE]
    return items, (str(items[-1]["id"]) if more and items else None)


# ------------------------------------------------------------------------------------------- beneficiary


def _payment_defaults(ledger: BenefitsLedger, view: dict[str, Any]) -> dict[str, str]:
    today = ledger.clock().date()
    monthly = [e for e in view["entitlements"] if "monthly_amount" in e]
    first = monthly[0] if monthly else (view["entitlements"][0] if view["entitlements"] else {})
    amount = first.get("monthly_amount", first.get("amount"))
    return {
        "payment_id": f"WEB-{today:%Y%m%d}-{secrets.token_hex(4).upper()}",
        "entitlement_id": str(first.get("entitlement_id", "")),
        "period": str(ledger.current_month()) if monthly else "",
        "amount": vi.vnd(amount).removesuffix(" đ") if isinstance(amount, int) else "",
        "paid_on": today.isoformat(),
        "channel": "",
        "reference": "",
        "reason": "",
    }


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
        return _forbidden(request, visitor, "Đối tượng này thuộc xã/phường ngoài phạm vi được giao của bạn.")
    errors = dict(errors or {})
    as_of_value = vi.parse_date_text(as_of) if as_of else ""
    try:
        history = beneficiary_history(ledger, view["id"], as_of_value or None)
    except DomainError as error:
        errors["as_of"] = {"as_of": vi.vietnamese(error.errors[0].message if error.errors else error.message)}
        history = beneficiary_history(ledger, view["id"])
        as_of_value = ""
        status = 422 if status == 200 else status
    schemes = {e["entitlement_id"]: f"{e['scheme_name']} ({e['scheme']})" for e in view["entitlements"]}
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
    defaults = _payment_defaults(ledger, view)
    given = forms or {}
    context = {
        "nav": "tra-cuu",
        "b": view,
        "timeline": timeline,
        "events_total": len(history),
        "as_of": as_of_value,
        "verified": broken is None,
        "chain_problem": problem,
        "may_write": visitor.user.can_write_commune(view["commune_code"]),
        "notice": NOTICES.get(notice, ""),
        "payment": given.get("payment", defaults),
        "not_collected": given.get("not_collected", {"entitlement_id": defaults["entitlement_id"],
                                                     "period": defaults["period"], "reason": ""}),
        "errors": {k: errors.get(k, {}) for k in ("payment", "not_collected", "as_of")},
    }  # fmt: skip
    return _page(request, "ho_so.html", context, visitor=visitor, status=status)


@router.get(f"{COOKIE_PATH}/doi-tuong/{{beneficiary_id}}")
def beneficiary(
    request: Request, beneficiary_id: str, as_of: str = "", thong_bao: str = ""
) -> Response:  # fmt: skip
    """Hồ sơ đối tượng."""
    visitor = _visitor(request)
    if visitor is None:
        return _to_signin(request)
    try:
        return _profile(request, visitor, beneficiary_id, as_of=as_of, notice=thong_bao)
    except NotFound:
        return _not_found(request, visitor)


def _writer(request: Request, beneficiary_id: str, csrf_token: str) -> tuple[Visitor | None, Response | None]:
    """The visitor allowed to write for this beneficiary, or the response that refuses the post."""
    visitor = _visitor(request)
    if visitor is None:
        return None, _to_signin(request)
    if not _csrf_ok(visitor.session.csrf, csrf_token):
        return None, _forbidden(
            request, visitor, "Thiếu mã bảo vệ biểu mẫu (CSRF). Hãy tải lại trang rồi thử lại."
        )
    if visitor.user.role == "inspector":
        return None, _forbidden(request, visitor, "Thanh tra chỉ được xem, không được ghi.")
    try:
        agg = services(request).ledger.beneficiary(beneficiary_id)
    except NotFound:
        return None, _not_found(request, visitor)
    if not visitor.user.can_write_commune(agg.commune_code):
        return None, _forbidden(
            request, visitor, "Đối tượng này thuộc xã/phường ngoài phạm vi được giao của bạn."
        )
    return visitor, None


def _done(beneficiary_id: str, notice: str) -> RedirectResponse:
    return RedirectResponse(
        f"{COOKIE_PATH}/doi-tuong/{beneficiary_id}?thong_bao={notice}#dong-thoi-gian", status_code=303
    )


@router.post(f"{COOKIE_PATH}/doi-tuong/{{beneficiary_id}}/chi-tra")
def record_payment(
    request: Request,
    beneficiary_id: str,
    csrf_token: Annotated[str, Form()] = "",
    payment_id: Annotated[str, Form()] = "",
    entitlement_id: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    paid_on: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Ghi nhận chi trả: the ledger command of ``POST /v1/payments``."""
    visitor, refusal = _writer(request, beneficiary_id, csrf_token)
    if visitor is None:
        assert refusal is not None  # noqa: S101
        return refusal
    typed = (payment_id, entitlement_id, period, amount, paid_on, channel, reference, reason)
    values = dict(zip(PAYMENT_FIELDS, typed, strict=True))
    ledger = services(request).ledger
    try:
        created, _ = ledger.record_payment(
            visitor.user.name,
            payment_id=payment_id.strip(),
            beneficiary_id=beneficiary_id,
            entitlement_id=entitlement_id.strip(),
            period=vi.parse_month_text(period) or None,
            amount=vi.parse_amount_text(amount),
            paid_on=vi.parse_date_text(paid_on),
            channel=channel.strip() or None,
            reference=reference.strip() or None,
            reason=reason.strip(),
        )
    except DomainError as error:
        return _profile(
            request, visitor, beneficiary_id, forms={"payment": values},
            errors={"payment": _field_errors(error, PAYMENT_FIELDS)}, status=status_of(error),
        )  # fmt: skip
    return _done(beneficiary_id, "da-ghi-chi-tra" if created else "chi-tra-da-co")


@router.post(f"{COOKIE_PATH}/doi-tuong/{{beneficiary_id}}/khong-nhan")
def record_not_collected(
    request: Request,
    beneficiary_id: str,
    csrf_token: Annotated[str, Form()] = "",
    entitlement_id: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Ghi nhận không nhận: the ledger command of ``POST /v1/payments/not-collected``."""
    visitor, refusal = _writer(request, beneficiary_id, csrf_token)
    if visitor is None:
        assert refusal is not None  # noqa: S101
        return refusal
    values = {"entitlement_id": entitlement_id, "period": period, "reason": reason}
    try:
        services(request).ledger.record_not_collected(
            visitor.user.name,
            beneficiary_id=beneficiary_id,
            entitlement_id=entitlement_id.strip(),
            period=vi.parse_month_text(period),
            reason=reason.strip(),
        )
    except DomainError as error:
        return _profile(
            request, visitor, beneficiary_id, forms={"not_collected": values},
            errors={"not_collected": _field_errors(error, NOT_COLLECTED_FIELDS)}, status=status_of(error),
        )  # fmt: skip
    return _done(beneficiary_id, "da-ghi-khong-nhan")
