"""Web pages for officers and inspectors — giao diện web: server-rendered, in Vietnamese.

Served by ``ledger serve`` under ``/pages`` beside the JSON API, with the same users and roles:

* ``/pages/dang-nhap`` — sign in by pasting the API token (``ledger users add``). The token is checked
  once; the browser gets a random session id (HttpOnly, SameSite=Lax cookie) mapped on the server to
  the user and to a CSRF token (:mod:`api.web_sessions`). Every POST form carries that token in a
  hidden ``csrf_token`` field and is refused (403) without it; the sign-in form itself is protected by
  a double-submit cookie. The form's token check is throttled like the API's (429 after 10 wrong tokens
  from one address, :mod:`api.web.throttle`); a session idles out after 30 minutes and ends when its
  token is rotated or expires (:mod:`api.pages.sessions`). ``/pages/dang-xuat`` signs out.
* ``/pages/doi-tuong`` — tra cứu đối tượng: by name (accent-insensitive) or citizen ID, commune, scheme
  and status. An officer with a commune scope sees only the people of their communes.
* ``/pages/doi-tuong/{id}`` and its forms — hồ sơ đối tượng (:mod:`api.pages.profile`).
* ``/pages/dang-ky`` — đăng ký đối tượng (:mod:`api.pages.registration`); ``/pages/nhap-tep`` — the
  upload of a confirmation file with its report row by row (:mod:`api.pages.uploads`); ``/pages/dot-chi``
  — a campaign, one one-off for many people (:mod:`api.pages.campaigns`).
* ``/pages/danh-sach-chi-tra`` — the monthly roster, its files and print view (:mod:`api.pages.rosters`).
* ``/pages/nhat-ky``, ``/pages/ngoai-le``, ``/pages/bao-cao``, ``/pages/toan-ven`` — the inspector pages:
  audit log, exceptions, provincial report with charts, integrity check (:mod:`api.pages.inspection`).

What the pages share (templates, the visitor, refusals) is in :mod:`api.pages.kit`; formats and
Vietnamese labels in :mod:`api.pages.support`.
"""

from __future__ import annotations

import re
import secrets
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.pages import campaigns, inspection, profile, registration, rosters, uploads
from api.pages import support as vi
from api.pages.kit import (
    COOKIE_PATH,
    CSRF_REFUSAL,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    Visitor,
    commune_options,
    csrf_ok,
    field_errors,
    forbidden,
    page,
    scheme_options,
    sessions,
    to_signin,
    visitor_of,
)
from api.pages.sessions import LIFETIME
from api.web.services import Services, services
from api.web.throttle import Throttled, client_address
from domain.catalogue import scheme_catalogue
from domain.errors import DomainError, TokenExpired
from domain.users import token_hash
from ledger.access_log import search_read
from ledger.authorization import readable_communes
from projections.queries import STATUSES, search_beneficiaries

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
STATIC_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of this site only (no open redirect)."""
    if target and target.startswith(f"{COOKIE_PATH}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{COOKIE_PATH}/doi-tuong"


# ------------------------------------------------------------------------------------------- routes


@router.get("/")
def landing() -> RedirectResponse:
    """The site's root opens the pages."""
    return RedirectResponse(f"{COOKIE_PATH}/", status_code=307)


@router.get(COOKIE_PATH)
@router.get(f"{COOKIE_PATH}/")
def home(request: Request) -> Response:
    """Trang chủ: the search page once signed in, else the sign-in page."""
    if visitor_of(request) is None:
        return RedirectResponse(f"{COOKIE_PATH}/dang-nhap", status_code=303)
    return RedirectResponse(f"{COOKIE_PATH}/doi-tuong", status_code=303)


@router.get(f"{COOKIE_PATH}/static/{{name}}")
def static(name: str) -> Response:
    """The style sheets and the print view's script (package data, no front-end build): files, never
    inline, so that the Content-Security-Policy allows them."""
    kind = re.fullmatch(r"[a-z0-9-]+\.(css|js)", name)
    if kind is None:
        return Response(status_code=404)
    resource = resources.files("api.pages").joinpath("static", name)
    if not resource.is_file():
        return Response(status_code=404)
    return Response(
        resource.read_text(encoding="utf-8"),
        media_type=STATIC_TYPES[kind.group(1)],
        headers={"Cache-Control": "max-age=3600"},
    )


@router.get(f"{COOKIE_PATH}/dang-nhap")
def signin_form(request: Request, next: str | None = None, da_thoat: str | None = None) -> Response:  # noqa: A002
    """Đăng nhập: paste the API token."""
    visitor = visitor_of(request)
    if visitor is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _signin_page(request, next_url=_safe_next(next), signed_out=bool(da_thoat))


def _signin_page(
    request: Request, *, next_url: str, signed_out: bool = False, error: str = "", status: int = 200
) -> Response:
    token = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)
    context = {"signin_csrf": token, "next_url": next_url, "signed_out": signed_out, "error": error}
    response = page(request, "dang_nhap.html", context, visitor=None, status=status)
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
    if not csrf_ok(request.cookies.get(SIGNIN_COOKIE, ""), csrf_token):
        return forbidden(request, None, "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang đăng nhập.")
    next_url = _safe_next(next)
    secret = token.strip()
    if not secret:
        return _signin_page(request, next_url=next_url, error="Bắt buộc nhập mã truy cập.", status=422)
    svc: Services = services(request)
    try:
        user = svc.throttle.attempt(client_address(request.scope), secret, svc.ledger.authenticate)
    except Throttled as refused:
        message = f"Đăng nhập sai quá nhiều lần. Hãy thử lại sau {_wait_text(refused.retry_after)}."
        response = _signin_page(request, next_url=next_url, error=message, status=429)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    except TokenExpired as expired:
        day = vi.ngay(expired.expired_on)
        message = f"Mã truy cập đã hết hạn từ ngày {day}. Hãy xin quản trị viên cấp mã mới."
        return _signin_page(request, next_url=next_url, error=message, status=401)
    if user is None:
        message = "Mã truy cập không đúng, đã được thay hoặc tài khoản đã bị khóa."
        return _signin_page(request, next_url=next_url, error=message, status=401)
    store = sessions(request)
    store.end(request.cookies.get(SESSION_COOKIE))  # a new id at every sign-in (no session fixation)
    session_id, _ = store.create(user.name, token_hash(secret))
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


def _wait_text(seconds: int) -> str:
    """``Retry-After`` in Vietnamese: seconds under two minutes, else whole minutes (rounded up)."""
    return f"{seconds} giây" if seconds < 120 else f"{-(-seconds // 60)} phút"


@router.post(f"{COOKIE_PATH}/dang-xuat")
def signout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Đăng xuất: the session ends on the server and the cookie is cleared."""
    visitor = visitor_of(request)
    if visitor is None:
        return RedirectResponse(f"{COOKIE_PATH}/dang-nhap", status_code=303)
    if not csrf_ok(visitor.session.csrf, csrf_token):
        return forbidden(request, visitor, CSRF_REFUSAL)
    sessions(request).end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(f"{COOKIE_PATH}/dang-nhap?da_thoat=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


# ------------------------------------------------------------------------------------------- search


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
    visitor = visitor_of(request)
    if visitor is None:
        return to_signin(request)
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
            errors.update(field_errors(error, ("q", "commune_code", "scheme", "status")))
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
        "scheme_groups": scheme_options(),
        "communes": commune_options(svc.ledger, visitor),
        "schemes": {code: s.name_vi for code, s in scheme_catalogue().items()},
        "may_register": visitor.writes,
    }
    return page(request, "tra_cuu.html", context, visitor=visitor, status=422 if errors else 200)


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
    if form["commune_code"] and not visitor.may_read(form["commune_code"]):
        errors["commune_code"] = "Xã/phường này ngoài phạm vi được giao của bạn."
        return [], None
    found = search_beneficiaries(
        svc.engine, commune_code=form["commune_code"] or None, communes=readable_communes(visitor.user),
        **filters,
    )  # fmt: skip
    named = {"citizen_id": filters.get("citizen_id"), "commune_code": form["commune_code"],
             "status": form["status"], "name": filters.get("name"), "scheme": form["scheme"]}  # fmt: skip
    visitor.read(svc, search_read(named), [item["id"] for item in found["items"]])
    return found["items"], found["next_cursor"]


# ------------------------------------------------------------------------------------------- other pages

for _module in (profile, registration, uploads, campaigns, rosters, inspection):
    router.include_router(_module.router)
