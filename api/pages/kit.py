"""What every web page shares — bộ khung trang: templates, the signed-in visitor, refusals, forms.

The page modules (:mod:`api.pages.router`, :mod:`api.pages.profile`, :mod:`api.pages.rosters`,
:mod:`api.pages.inspection`) render through :func:`page`, find the visitor with :func:`visitor_of`, refuse
with :func:`forbidden` / :func:`not_found`, check a form's CSRF token with :func:`csrf_ok`, and show a
ledger refusal beside its field with :func:`field_errors`.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.templating import Jinja2Templates

from api.pages import support as vi
from api.pages.sessions import SessionStore, WebSession
from api.web.idempotency import IdempotencyStore, KeyBusy, KeyReused
from api.web.request_log import note_user
from api.web.services import services
from domain.catalogue import scheme_catalogue
from domain.errors import NotAllowed, NotFound, TokenExpired
from domain.values import BHYT_GROUPS
from ledger.adapters.communes import commune_name, communes_of
from ledger.authorization import may_read, readable_communes, require_file_import
from projections.roster_paper import NATIONAL_HEADING

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.datastructures import FormData

    from api.web.services import Services
    from domain.errors import DomainError
    from domain.users import User
    from ledger.application import BenefitsLedger

SESSION_COOKIE = "ledger_session"
SIGNIN_COOKIE = "ledger_signin_csrf"
COOKIE_PATH = "/pages"
# A page or file of the site is never kept by a cache; the Content-Security-Policy, nosniff, the referrer
# policy and the framing refusal are on every response (api.web.security_headers).
SECURITY_HEADERS = {"Cache-Control": "no-store"}
CSRF_REFUSAL = "Thiếu mã bảo vệ biểu mẫu (CSRF). Hãy tải lại trang rồi thử lại."
OUT_OF_SCOPE = "Đối tượng này thuộc xã/phường ngoài phạm vi được giao của bạn."
INSPECTOR_READS_ONLY = "Thanh tra chỉ được xem, không được ghi."
# Who sees the inspector pages (audit log, exceptions, report, integrity check).
INSPECTING_ROLES = frozenset({"inspector", "admin"})


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api.pages", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        vnd=vi.vnd,
        ngay=vi.ngay,
        thang=vi.thang,
        thoi_diem=vi.thoi_diem,
        phan_tram=vi.phan_tram,
        so=vi.so,
        ngay_nhap=vi.date_input,
        thang_nhap=vi.month_input,
    )
    env.globals.update(
        KIND_LABELS=vi.KIND_LABELS,
        STATUS_LABELS=vi.STATUS_LABELS,
        ROLE_LABELS=vi.ROLE_LABELS,
        CHANNEL_LABELS=vi.CHANNEL_LABELS,
        SEX_LABELS=vi.SEX_LABELS,
        POVERTY_LABELS=vi.POVERTY_LABELS,
        CARD_STATUS_LABELS=vi.CARD_STATUS_LABELS,
        RECOVERY_LABELS=vi.RECOVERY_LABELS,
        EVENT_LABELS=vi.EVENT_LABELS,
        INSPECTING_ROLES=INSPECTING_ROLES,
        NATIONAL_HEADING=NATIONAL_HEADING,
        commune_name=commune_name,
        basis_text=vi.basis_text,
        channel_text=vi.channel_text,
        params_text=vi.params_text,
        amount_text=vi.amount_text,
        entitlement_status=vi.entitlement_status,
        BHYT_GROUPS=BHYT_GROUPS,
    )
    return env


templates = Jinja2Templates(env=_environment())
_sessions_lock = threading.Lock()


# ------------------------------------------------------------------------------------------- visitors


@dataclass(frozen=True)
class Visitor:
    """A signed-in user and their session."""

    user: User
    session: WebSession

    @property
    def scoped(self) -> bool:
        """An officer limited to the communes of their scope (``readable_communes``)."""
        return readable_communes(self.user) is not None

    @property
    def inspects(self) -> bool:
        """Sees the inspector pages."""
        return self.user.role in INSPECTING_ROLES

    @property
    def writes(self) -> bool:
        """Records anything at all (officers and administrators)."""
        return self.user.role in {"officer", "admin"} and not self.user.disabled

    @property
    def imports(self) -> bool:
        """Imports whole files (officers of the whole province, administrators: the API's rule,
        :func:`ledger.authorization.require_file_import`)."""
        try:
            require_file_import(self.user)
        except NotAllowed:
            return False
        return True

    def may_read(self, commune_code: str | None) -> bool:
        """Officers with a scope read only their communes; everyone else reads everything (the API's
        rule: :func:`ledger.authorization.may_read`)."""
        return may_read(self.user, commune_code)

    def read(
        self, svc: Services, what: str, ids: list[Any] | None = None, beneficiary_id: object = None
    ) -> None:
        """Record in the access log that the visitor was shown personal data: one beneficiary's, or a
        list of ``ids``."""
        if ids is None:
            svc.reads.record(self.user, what, beneficiary_id=beneficiary_id, via="pages")
        else:
            svc.reads.record_list(self.user, what, ids, via="pages")


def sessions(request: Request) -> SessionStore:
    """The app's session store, created with its table on first use (beside the idempotency keys)."""
    state = request.app.state
    with _sessions_lock:
        store: SessionStore | None = getattr(state, "web_sessions", None)
        if store is None:
            svc = services(request)
            # read at each call: a test replaces the services' session clock to move time
            store = SessionStore(svc.keys.store, clock=lambda: svc.session_clock())  # noqa: PLW0108
            state.web_sessions = store
    return store


def visitor_of(request: Request) -> Visitor | None:
    """The signed-in visitor, or ``None``: a live session (:mod:`api.pages.sessions`) whose token still
    signs its user in — not rotated, not expired, the user not disabled (the API's own rule,
    :meth:`~ledger.store.LedgerStore.authenticate_hash`)."""
    session = sessions(request).get(request.cookies.get(SESSION_COOKIE))
    if session is None or not session.token_sha256:
        return None
    try:
        user = services(request).ledger.authenticate_hash(session.token_sha256)
    except TokenExpired:
        return None
    if user is None or user.name != session.user_name:
        return None
    note_user(user.name)
    return Visitor(user, session)


def csrf_ok(expected: str, given: str) -> bool:
    """The form carries the session's token."""
    return bool(expected) and bool(given) and secrets.compare_digest(expected.encode(), given.encode())


def to_signin(request: Request) -> RedirectResponse:
    """Sign in first, then come back here."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{COOKIE_PATH}/dang-nhap?next={quote(target, safe='')}", status_code=303)


# ------------------------------------------------------------------------------------------- rendering


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    visitor: Visitor | None,
    status: int = 200,
) -> Response:
    """A page of the site, with the security headers."""
    full = {
        "visitor": visitor,
        "csrf": visitor.session.csrf if visitor else "",
        "nav": "",
        **context,
    }
    response = templates.TemplateResponse(request, template, full, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(request: Request, visitor: Visitor | None, status: int, title: str, detail: str) -> Response:
    """A refusal as a page."""
    context = {"title": title, "detail": detail, "status": status}
    return page(request, "loi.html", context, visitor=visitor, status=status)


def forbidden(request: Request, visitor: Visitor | None, detail: str) -> Response:
    """403."""
    return error_page(request, visitor, 403, "Không có quyền truy cập", detail)


def not_found(request: Request, visitor: Visitor | None, detail: str = "") -> Response:
    """404."""
    return error_page(request, visitor, 404, "Không tìm thấy", detail or "Không có đối tượng này trong sổ.")


def admitted(request: Request, may: Callable[[Visitor], bool], refusal: str) -> Visitor | Response:
    """The visitor of a page only some may open (``may``), or the response that sends them away: sign
    in first, else 403 with ``refusal``."""
    visitor = visitor_of(request)
    if visitor is None:
        return to_signin(request)
    if not may(visitor):
        return forbidden(request, visitor, refusal)
    return visitor


def inspector_only(request: Request) -> Visitor | Response:
    """The visitor of an inspector page, or the response that sends them away (sign in, 403)."""
    return admitted(request, lambda v: v.inspects, "Trang này dành cho thanh tra và quản trị viên.")


def writer_only(request: Request) -> Visitor | Response:
    """The visitor of a page that records (officers, administrators), or the response that sends them
    away (sign in; 403 for an inspector)."""
    return admitted(request, lambda v: v.writes, INSPECTOR_READS_ONLY)


def poster(request: Request, csrf_token: str, may_post: Callable[[Visitor], bool]) -> Visitor | Response:
    """The visitor who may post a form (signed in, with the session's CSRF token, and ``may_post``), or
    the response that refuses the post (sign in; 403 without the token; 403 to one who only reads)."""
    visitor = visitor_of(request)
    if visitor is None:
        return to_signin(request)
    if not csrf_ok(visitor.session.csrf, csrf_token):
        return forbidden(request, visitor, CSRF_REFUSAL)
    if not may_post(visitor):
        return forbidden(request, visitor, INSPECTOR_READS_ONLY)
    return visitor


# ------------------------------------------------------------------------------------------- forms


def scheme_options(kind: str | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The catalogue's schemes grouped by kind, ``[(group label, [(code, name)])]``; with ``kind``, only
    the schemes a beneficiary of that kind may hold."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, scheme in scheme_catalogue().items():
        if kind is None or scheme.applies_to(kind):
            label = vi.KIND_LABELS.get(scheme.kind, scheme.kind)
            groups.setdefault(label, []).append((code, scheme.name_vi))
    return list(groups.items())


def commune_options(ledger: BenefitsLedger, visitor: Visitor) -> list[tuple[str, str]]:
    """The communes the visitor may choose: their scope, else the province's."""
    if visitor.scoped:
        return [(c, commune_name(c)) for c in visitor.user.scope]
    if ledger.province:
        return [(c.code, c.name) for c in communes_of(ledger.province)]
    return []


# The fields of the pages' forms that hold a date (typed dd/mm/yyyy, rendered by ``m.input(..., "date")``),
# besides those the naming rule of :func:`is_date_field` finds (``…_date``, ``…_on``, ``date_…``).
DATE_FIELDS = frozenset({"valid_from", "valid_to", "as_of"})


def is_date_field(name: str) -> bool:
    """Whether a form's field ``name`` holds a date: in :data:`DATE_FIELDS`, or named ``…_date``,
    ``…_on`` or ``date_…`` (``decision_date``, ``paid_on``, ``effective_on``, ``date_of_death``,
    ``date_from``…)."""
    return name in DATE_FIELDS or name.endswith(("_date", "_on")) or name.startswith("date_")


def read_dates(values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The one reading of the dates a page's form sends: ``values`` with every date field
    (:func:`is_date_field`) as ISO ``yyyy-mm-dd`` (typed ``dd/mm/yyyy``, or ISO), and the refusals
    ``{field: message}`` of those that are no date (the field keeps what was typed). A form whose
    refusals are not empty records nothing: show them beside their fields."""
    read = dict(values)
    refused: dict[str, str] = {}
    for name, typed in values.items():
        if is_date_field(name):
            try:
                read[name] = vi.read_date(typed)
            except ValueError as error:
                refused[name] = str(error)
    return read, refused


_FIELD_PREFIXES = ("params.", "basis.", "payment_channel.", "select.", "changes.")
# The forms' names for the fields the ledger names as a whole (``basis``) or as a channel's type.
_FIELD_NAMES = {"basis": "decision_no", "payment_channel": "channel_type", "type": "channel_type"}


def _form_field(ledger_field: str) -> str:
    """The form's name for a field the ledger names (``params.martyrs`` → ``martyrs``,
    ``payment_channel.bank_code`` → ``bank_code``, ``members[2].full_name`` → ``member_2_full_name``)."""
    member = re.fullmatch(r"members\[(\d+)\]\.(\w+)", ledger_field)
    if member:
        return f"member_{member.group(1)}_{member.group(2)}"
    for prefix in _FIELD_PREFIXES:
        ledger_field = ledger_field.removeprefix(prefix)
    return _FIELD_NAMES.get(ledger_field, ledger_field)


def field_errors(error: DomainError, fields: tuple[str, ...]) -> dict[str, str]:
    """The refusal as ``{field: Vietnamese message}``; what names no field of the form goes to ``_form``."""
    errors: dict[str, str] = {}
    for item in error.errors:
        name = _form_field(item.field)
        key = name if name in fields else "_form"
        errors.setdefault(key, vi.vietnamese(item.message, name))
    if not errors:
        key = "_form"
        if isinstance(error, NotFound):
            for what, field in (("entitlement", "entitlement_id"), ("card", "card_number")):
                if error.message.startswith(what) and field in fields:
                    key = field
        errors[key] = vi.vietnamese(error.message)
    return errors


# ------------------------------------------------------------------------------------------- once


def text_fields(form: FormData) -> dict[str, str]:
    """A posted form's text fields (files are ignored)."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def _posted(request: Request) -> dict[str, str]:
    """The posted form's text fields (files are ignored)."""
    return text_fields(await request.form())


async def posted_form(
    request: Request, admit: Callable[[Request], Visitor | Response]
) -> tuple[Visitor, FormData, dict[str, str]] | Response:
    """The visitor ``admit`` lets in (checked before anything of the body is read) and the form they
    posted (all of it, and its text fields); else ``admit``'s refusal (sign in, 403), or 403 without the
    session's CSRF token — for a handler that reads more than the text fields (a file, a list)."""
    visitor = admit(request)
    if isinstance(visitor, Response):
        return visitor
    form = await request.form()
    posted = text_fields(form)
    if not csrf_ok(visitor.session.csrf, posted.get("csrf_token", "")):
        return forbidden(request, visitor, CSRF_REFUSAL)
    return visitor, form, posted


Posted = Annotated[dict[str, str], Depends(_posted)]


KEY_BUSY = "Biểu mẫu này đang được xử lý. Hãy đợi giây lát rồi tải lại trang."
KEY_REUSED = "Biểu mẫu này đã được gửi với nội dung khác. Hãy tải lại trang rồi nhập lại."


@dataclass(frozen=True)
class Once:
    """What posting a form with its one-time ``form_key`` came to: the action's answer (``repeated``: the
    answer stored when the same form was first sent, nothing new recorded), or a ``conflict`` to show
    (the key still busy, or used for other content)."""

    answer: dict[str, Any]
    repeated: bool = False
    conflict: str = ""


def form_key_of(visitor: Visitor, posted: dict[str, str]) -> str:
    """The idempotency key of a posted form (``""`` without a ``form_key``), the visitor's own."""
    form_key = posted.get("form_key", "").strip()[:100]
    return f"{visitor.user.name}:trang:{form_key}" if form_key else ""


def record_once(
    request: Request, visitor: Visitor, posted: dict[str, str], values: dict[str, Any],
    action: Callable[[], dict[str, Any]],
) -> Once:  # fmt: skip
    """Run ``action`` (a ledger command; its answer JSON) once per ``form_key``, with the API's
    idempotency keys: a double click or the back button gets the first answer again. A refusal of the
    ledger (:class:`~domain.errors.DomainError`) propagates, and the key is freed for a corrected post."""
    keys = services(request).keys
    claimed = form_key_of(visitor, posted)
    if not claimed:
        return Once(action())
    fingerprint = IdempotencyStore.fingerprint(visitor.user.name, "POST", request.url.path, values)
    try:
        stored = keys.claim(claimed, fingerprint)
    except (KeyReused, KeyBusy) as error:
        return Once({}, conflict=KEY_BUSY if isinstance(error, KeyBusy) else KEY_REUSED)
    if stored is not None:
        return Once(stored.body if isinstance(stored.body, dict) else {}, repeated=True)
    with keys.held(claimed):
        answer = action()
    keys.answer(claimed, 303, answer)
    return Once(answer)
