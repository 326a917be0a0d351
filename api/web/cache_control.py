"""No copies of personal data in caches — không lưu đệm: ``Cache-Control: no-store`` on the JSON API.

The simplest honest rule: every ``/v1`` response (a beneficiary, a search, a history, a roster and its
CSV/XLSX, the exceptions, the access log, refusals too) tells browsers and proxies to keep no copy,
except the signed checkpoints (``/v1/checkpoints…``), which hold no personal data and are meant to be
handed around by witnesses. ``/healthz``, ``/openapi.json`` and ``/docs`` are outside ``/v1``; the pages
send ``no-store`` themselves (:data:`api.pages.kit.SECURITY_HEADERS`). A header a route set itself stays.
The header is added by the one response-header middleware, :class:`api.web.security_headers.SecurityHeaders`.
"""

from __future__ import annotations

NO_STORE = "no-store"
PUBLIC_PREFIXES = ("/v1/checkpoints",)


def keeps_no_copy(path: str) -> bool:
    """Whether a response to ``path`` carries ``Cache-Control: no-store``."""
    return (path == "/v1" or path.startswith("/v1/")) and not path.startswith(PUBLIC_PREFIXES)
