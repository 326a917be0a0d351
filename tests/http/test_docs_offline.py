"""No third-party script (issue 14, item 7): the API's docs come from this server, and every response
carries a strict Content-Security-Policy.

``/docs`` (Swagger UI) and ``/redoc`` name only files of this origin — the bundles of the
``fastapi-offline`` package and our boot scripts, each served with its type — and no inline script or
style; the pages, the docs and the JSON API answer with ``default-src 'self'`` and no
``'unsafe-inline'``. (In a browser with the network cut: ``tests/e2e/test_browser_policy.py``.)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from policy_support import STRICT_POLICY, directives, tags_of

if TYPE_CHECKING:
    from api_support import Api

DOCS = ("/docs", "/redoc")
TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def test_docs_name_only_files_of_this_origin_and_each_is_served(api: Api) -> None:
    served: set[str] = set()
    for path in DOCS:
        answer = api.client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("text/html")
        tags = tags_of(answer.text)
        assert tags.addresses, path
        for address in tags.addresses:  # no CDN, no protocol-relative address
            assert address.startswith("/"), (path, address)
            assert not address.startswith("//"), (path, address)
        assert "http://" not in answer.text
        assert "https://" not in answer.text
        assert tags.inline == [], path  # the boot code is a file: a strict policy lets it run
        assert 'data-openapi-url="/openapi.json"' in answer.text
        served.update(tags.addresses)
    assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/redoc.standalone.js"} <= served
    for address in sorted(served):
        asset = api.client.get(address)
        assert asset.status_code == 200, address
        kind = TYPES[address[address.rindex(".") :]]
        assert asset.headers["content-type"].startswith(kind), (address, asset.headers["content-type"])
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert len(api.client.get("/docs/assets/swagger-ui-bundle.js").content) > 500_000  # the real bundle
    assert "SwaggerUIBundle(" in api.client.get("/docs/assets/swagger-init.js").text
    assert "Redoc.init(" in api.client.get("/docs/assets/redoc-init.js").text
    for nothing in ("/docs/assets/core.py", "/docs/assets/..%2Fcore.py", "/docs/assets/nothing.js"):
        assert api.client.get(nothing).status_code == 404, nothing
    assert api.client.get("/openapi.json").status_code == 200  # the contract's addresses stay


def test_every_response_carries_the_strict_policy_and_the_docs_add_only_what_they_need(api: Api) -> None:
    strict = STRICT_POLICY
    answers = {
        "/pages/dang-nhap": api.client.get("/pages/dang-nhap"),
        "/pages/static/pages.css": api.client.get("/pages/static/pages.css"),
        "/healthz": api.client.get("/healthz"),
        "/v1/rates": api.get("/v1/rates"),
        "/v1/rates (401)": api.client.get("/v1/rates"),
        "/v1/no-such-thing (404)": api.get("/v1/no-such-thing"),
        "/openapi.json": api.client.get("/openapi.json"),
    }
    for name, answer in answers.items():
        assert directives(answer.headers["content-security-policy"]) == strict, name
        assert answer.headers["x-content-type-options"] == "nosniff", name
        assert answer.headers["referrer-policy"] == "no-referrer", name
        assert answer.headers["x-frame-options"] == "DENY", name
    swagger = directives(api.client.get("/docs").headers["content-security-policy"])
    assert swagger == {**strict, "img-src": ["'self'", "data:"]}  # its style sheet's icons
    redoc = directives(api.client.get("/redoc").headers["content-security-policy"])
    styles = redoc.pop("style-src")  # ReDoc's run-time <style> elements, each allowed by its hash
    assert redoc == {**strict, "img-src": ["'self'", "data:"]}
    assert styles[0] == "'self'"
    assert len(styles) == 3
    assert all(re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", source) for source in styles[1:])
    for policy in (swagger, redoc, {"style-src": styles}):
        assert "script-src" not in policy  # scripts: 'self' only (default-src)
        assert not any("unsafe" in source for sources in policy.values() for source in sources)
