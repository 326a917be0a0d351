"""Security headers on every response — tiêu đề bảo mật: an ASGI middleware that gives the pages, the API
docs and the JSON API one strict Content-Security-Policy and the headers browsers need beside it.

:data:`POLICY` allows nothing but this origin: no script, style, image, font or connection from anywhere
else, no inline ``<script>``, ``<style>``, ``style=`` or ``onclick=`` (the pages load their style sheets
and the print button's script from ``/pages/static``), no plugins, no ``<base>`` elsewhere, no framing,
forms posting only here. The API's docs add only what their bundles cannot do without, and scripts stay
``'self'`` there too (their boot code is a file of :mod:`api.http.docs`, never inline):

* ``/docs`` (Swagger UI): ``data:`` images — its style sheet draws icons as ``data:`` URIs;
* ``/redoc``: the same, and the two ``<style>`` elements ReDoc writes at run time, allowed by their
  SHA-256 (:data:`REDOC_STYLE_HASHES`), not by ``'unsafe-inline'``. ReDoc's "API docs by Redocly" logo is
  an image on ``cdn.redoc.ly``: the policy refuses it (one report in the console), nothing else is lost.

``X-Content-Type-Options: nosniff`` (a file is what its type says), ``Referrer-Policy: no-referrer``
(a page's address, which can hold a beneficiary's id, never leaves in a ``Referer``) and
``X-Frame-Options: DENY`` (``frame-ancestors`` for older browsers) are set where a route has not set
them already; the policy itself is always this module's. ``Cache-Control: no-store`` goes on the JSON
API's answers (:func:`api.web.cache_control.keeps_no_copy`) the same way: one middleware for every
header a response gets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import MutableHeaders

from api.web.cache_control import NO_STORE, keeps_no_copy

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STRICT = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)
POLICY = "; ".join(_STRICT)
# ReDoc (redoc.standalone.js of fastapi-offline 1.7.7) writes two <style> elements: styled-components'
# empty one, which it then fills through the CSSOM (not governed by the policy), and perfect-scrollbar's
# style sheet. A new bundle with other styles shows up as a policy violation in the browser test
# (tests/e2e/test_browser_policy.py).
REDOC_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
)
_DOCS = (*_STRICT, "img-src 'self' data:")
PAGE_POLICIES = {
    "/docs": "; ".join(_DOCS),
    "/redoc": "; ".join((*_DOCS, " ".join(("style-src 'self'", *REDOC_STYLE_HASHES)))),
}
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def policy_for(path: str) -> str:
    """The Content-Security-Policy of the response to ``path``."""
    return PAGE_POLICIES.get(path, POLICY)


def _with_headers(send: Send, path: str) -> Send:
    """``send``, adding the policy of ``path``, :data:`HEADERS` and, on the JSON API, ``no-store`` to the
    response's start."""
    policy = policy_for(path)
    extra = {**HEADERS, "cache-control": NO_STORE} if keeps_no_copy(path) else HEADERS

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["Content-Security-Policy"] = policy
            for name, value in extra.items():
                headers.setdefault(name, value)
        await send(message)

    return sending


class SecurityHeaders:
    """ASGI middleware: the Content-Security-Policy of :func:`policy_for` and :data:`HEADERS` on every
    response, ``Cache-Control: no-store`` on the JSON API's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            send = _with_headers(send, str(scope.get("path", "")))
        await self.app(scope, receive, send)
