"""The request body limit — giới hạn kích thước yêu cầu: no request can make the server read more than
its limit.

:class:`BodyLimit` is plain ASGI middleware around the whole app (API, pages, docs). A file upload
(``POST /v1/imports/*``, ``POST /v1/rates/ncc-tables``) and a campaign's list of people
(``POST /v1/campaigns``) may carry up to ``LEDGER_MAX_UPLOAD_BYTES`` (20 MB); every other request up to
``LEDGER_MAX_BODY_BYTES`` (1 MB). A request whose ``Content-Length`` says more is answered 413 before
any of its body is read; one that sends more than it said (or says nothing: chunked) is answered 413 as
soon as the bytes received pass the limit — the rest is never read. An upload without a known bearer
token is answered 401 before its body is read at all (the route would refuse it only after parsing the
whole form); that check goes through the throttle of failed authentications like every other
(``authenticate`` is given the client's address and the token: 429 while throttled). The answers are
problems (``application/problem+json``) naming the limit and its setting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.web import problems
from api.web.throttle import Throttled, client_address
from domain.errors import TokenExpired

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from ledger.config import Settings

UPLOAD_ROUTES = ("/v1/imports/", "/v1/rates/ncc-tables", "/v1/campaigns")
# The pages' upload of a confirmation file: the upload limit too; the page checks the session and the
# visitor's role before it reads the body (a session cookie, not a bearer token, signs it).
PAGE_UPLOAD_ROUTES = ("/pages/nhap-tep",)


class BodyTooLarge(HTTPException):
    """Raised by the counting ``receive`` once the body passes the limit (the app's handler of
    HTTP errors answers it with a 413 problem; the middleware does if it reaches it)."""

    def __init__(self, detail: str) -> None:
        super().__init__(413, detail)


def is_upload(scope: Scope, routes: tuple[str, ...] = UPLOAD_ROUTES) -> bool:
    """Whether the request is one of the large-body routes (``POST`` of a file or a list of people)."""
    path = str(scope.get("path", ""))
    return scope.get("method") == "POST" and any(
        path.startswith(route) if route.endswith("/") else path == route for route in routes
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


class _CountingReceive:
    """``receive`` that counts the body's bytes and raises :class:`BodyTooLarge` past the limit."""

    def __init__(self, receive: Receive, limit: int, detail: str) -> None:
        self.receive = receive
        self.limit = limit
        self.detail = detail
        self.received = 0

    async def __call__(self) -> Message:
        if self.received > self.limit:
            raise BodyTooLarge(self.detail)
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyTooLarge(self.detail)
        return message


class BodyLimit:
    """ASGI middleware: the body limit of every request, and uploads only from known users."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        authenticate: Callable[[str | None, str], Any] | None = None,
    ) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.max_upload = settings.max_upload_bytes
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, detail = self._limit(scope)
        refusal = await self._refusal(scope, limit, detail)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        counted = _CountingReceive(receive, limit, detail)
        started = False

        async def noted(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, noted)
        except BodyTooLarge:
            if started:
                raise
            await problems.problem(413, detail, max_bytes=limit)(scope, receive, send)

    def _limit(self, scope: Scope) -> tuple[int, str]:
        """The request's limit and the sentence that refuses a body over it."""
        large = is_upload(scope) or is_upload(scope, PAGE_UPLOAD_ROUTES)
        limit, setting = (self.max_upload, "LEDGER_MAX_UPLOAD_BYTES") if large else (
            self.max_body, "LEDGER_MAX_BODY_BYTES")  # fmt: skip
        detail = (
            f"the request body is larger than the limit of {limit:,} bytes ({_megabytes(limit)}, "
            f"{setting}) for this request"
        )
        return limit, detail

    async def _refusal(self, scope: Scope, limit: int, detail: str) -> Response | None:
        """The answer to a request refused before its body is read: its ``Content-Length`` is over the
        limit (or not a number), or it is an upload without a known user's token."""
        declared = (_header(scope, b"content-length") or "0").strip()
        if not declared.isdigit():
            return problems.problem(400, "the Content-Length header is not a number")
        if int(declared) > limit:
            return problems.problem(413, detail, max_bytes=limit)
        if is_upload(scope) and self.authenticate is not None:
            return await self._unknown(scope)
        return None

    async def _unknown(self, scope: Scope) -> Response | None:
        """The refusal of an upload that does not carry the bearer token of a known, enabled user (401;
        429 while its address or token prefix is throttled), or ``None``."""
        authorization = _header(scope, b"authorization") or ""
        token = authorization.split(" ", 1)[1].strip() if authorization.lower().startswith("bearer ") else ""
        if not token or self.authenticate is None:
            return problems.problem(401, "missing or unknown bearer token: the upload was not read")
        try:
            user = await run_in_threadpool(self.authenticate, client_address(scope), token)
        except Throttled as refused:
            return problems.throttled(refused.retry_after)
        except TokenExpired as expired:
            return problems.problem(401, f"{expired.message}: the upload was not read")
        if user is None:
            return problems.problem(401, "missing or unknown bearer token: the upload was not read")
        return None
