"""No copies of personal data in caches — không lưu đệm: ``Cache-Control: no-store`` on the JSON API.

The simplest honest rule: every ``/v1`` response (a beneficiary, a search, a history, a roster and its
CSV/XLSX, the exceptions, the access log, refusals too) tells browsers and proxies to keep no copy,
except the signed checkpoints (``/v1/checkpoints…``), which hold no personal data and are meant to be
handed around by witnesses. ``/healthz``, ``/openapi.json`` and ``/docs`` are outside ``/v1``; the pages
send ``no-store`` themselves (:data:`api.pages.kit.SECURITY_HEADERS`). A header a route set itself stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import MutableHeaders

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = "no-store"
PUBLIC_PREFIXES = ("/v1/checkpoints",)


def keeps_no_copy(path: str) -> bool:
    """Whether a response to ``path`` carries ``Cache-Control: no-store``."""
    return (path == "/v1" or path.startswith("/v1/")) and not path.startswith(PUBLIC_PREFIXES)


class NoStore:
    """ASGI middleware: ``Cache-Control: no-store`` on the responses :func:`keeps_no_copy` names."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not keeps_no_copy(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_no_store)
