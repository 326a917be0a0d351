"""The request log — nhật ký yêu cầu: one line per HTTP request, with who asked and how it went.

:class:`RequestLog` is plain ASGI middleware around the whole app (API, pages, docs). For every request
it takes the caller's ``X-Request-ID`` (if it is a short token of letters, digits, ``.``, ``_``, ``-``)
or makes one, returns it as ``X-Request-ID``, and logs ``request`` with ``method``, ``path`` (never the
query string: it can carry a citizen ID or a name), ``status``, ``duration_ms``, ``request_id``,
``user`` (the authenticated user's name, set by :func:`note_user`; never a token) and ``client``. Every
line logged while the request is served (what a command recorded, why it was refused) carries the same
``request_id`` and ``user`` (:func:`ledger.logs.request_scope`). Digits of IDs are masked by the log
filter (``0751*****765``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from starlette.datastructures import MutableHeaders

from ledger.logs import current_scope, request_scope

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("api.requests")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def note_user(name: str) -> None:
    """The request being served was made by user ``name`` (for its log lines)."""
    scope = current_scope()
    if scope is not None:
        scope["user"] = name


def _request_id(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id":
            text = bytes(value).decode("latin-1").strip()
            if _SAFE_ID.match(text):
                return text
            break
    return uuid.uuid4().hex


class RequestLog:
    """ASGI middleware: request id in and out, one log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500
        bytes_sent = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, bytes_sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            elif message["type"] == "http.response.body":
                bytes_sent += len(message.get("body", b""))
            await send(message)

        with request_scope(request_id) as context:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                fields: dict[str, Any] = {
                    "method": scope.get("method", ""),
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "bytes": bytes_sent,
                    "client": (scope.get("client") or ("", 0))[0],
                }
                if not context.get("user"):
                    fields["user"] = "-"
                log.info("request", extra=fields)
