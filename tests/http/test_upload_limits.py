"""Issue 14: an upload never exhausts the server — the request body limits (413 before the body is
read, or as soon as it passes the limit), unauthenticated uploads refused unread (401), workbooks and
CSV files checked before they are read, the error list of a report capped, and the server's memory
bounded for the hostile files (a 1.5 KB workbook declaring 30,000 × 16,384 cells, a 50 MB CSV)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from api.bootstrap import create_app
from ledger.config import load_settings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from api_support import Api

MB = 1024 * 1024


def asgi_post(
    app: Any, path: str, chunks: Iterable[bytes], headers: dict[str, str]
) -> tuple[int, dict[str, Any], int]:
    """POST ``chunks`` to the ASGI ``app`` as a server streams them, one message per chunk, pulled only
    when the app asks; the status, the JSON body and how many body bytes the app pulled."""
    source = iter(chunks)
    pulled = 0
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(source, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1), "server": ("testserver", 80),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return int(answer["status"]), json.loads(answer["body"]), pulled


def multipart_chunks(filename: str, size: int, chunk: int = MB) -> Iterable[bytes]:
    """A multipart form with one file of ``size`` bytes of CSV, in chunks (never all in memory)."""
    yield (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="' + filename.encode()
        + b'"\r\nContent-Type: text/csv\r\n\r\n'
    )  # fmt: skip
    line = b"P1,075150000001,BTXH,2024-01,500000,2024-01-10\n"
    block = line * (chunk // len(line))
    sent = 0
    while sent < size:
        yield block
        sent += len(block)
    yield b"\r\n--B--\r\n"


def test_a_request_that_declares_too_large_a_body_is_refused_before_any_of_it_is_read(api: Api) -> None:
    headers = {**api.headers("officer_all"), "content-type": "multipart/form-data; boundary=B",
               "content-length": str(50 * MB)}  # fmt: skip
    status, body, pulled = asgi_post(
        api.app, "/v1/imports/payments", multipart_chunks("p.csv", 50 * MB), headers
    )
    assert (status, pulled) == (413, 0)
    assert body["max_bytes"] == 20 * MB
    assert "LEDGER_MAX_UPLOAD_BYTES" in body["detail"]
    assert body["type"] == "urn:benefits-ledger:problem:too-large"
    # every other request: 1 MB
    headers = {**api.headers("officer"), "content-type": "application/json", "content-length": str(2 * MB)}
    status, body, pulled = asgi_post(api.app, "/v1/beneficiaries", [b"{}"], headers)
    assert (status, pulled, body["max_bytes"]) == (413, 0, MB)
    assert "LEDGER_MAX_BODY_BYTES" in body["detail"]


def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit(api: Api) -> None:
    headers = {**api.headers("officer_all"), "content-type": "multipart/form-data; boundary=B"}  # chunked
    status, body, pulled = asgi_post(
        api.app, "/v1/imports/payments", multipart_chunks("p.csv", 50 * MB), headers
    )
    assert status == 413, body
    assert "20,971,520 bytes" in body["detail"]
    assert 20 * MB < pulled <= 21 * MB + 1024  # the rest of the 50 MB never read
    headers = {**api.headers("officer"), "content-type": "application/json"}
    status, body, pulled = asgi_post(api.app, "/v1/beneficiaries", [b" " * (256 * 1024)] * 40, headers)
    assert status == 413
    assert pulled <= MB + 256 * 1024


def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(api: Api) -> None:
    for as_ in (None, "not-a-token"):
        headers = {**api.headers(as_), "content-type": "multipart/form-data; boundary=B"}
        status, body, pulled = asgi_post(
            api.app, "/v1/imports/beneficiaries", multipart_chunks("p.csv", 5 * MB), headers
        )
        assert (status, pulled) == (401, 0), body
        assert body["type"] == "urn:benefits-ledger:problem:unauthenticated"


def test_the_limits_are_settings(api: Api) -> None:
    settings = load_settings(database_url=api.url, max_upload_bytes=4096, max_body_bytes=2048)
    assert {"LEDGER_MAX_UPLOAD_BYTES", "LEDGER_MAX_BODY_BYTES"} <= {r[0] for r in settings.describe()}
    app = create_app(settings=settings, ledger=api.ledger)
    headers = {**api.headers("officer_all"), "content-type": "multipart/form-data; boundary=B"}
    status, body, _ = asgi_post(app, "/v1/imports/payments", multipart_chunks("p.csv", 8192, 1024), headers)
    assert (status, body["status"]) == (413, 413)
    assert "4,096 bytes (4 KB" in body["detail"]
    answer = api.client.post("/v1/imports/payments", files={"file": ("p.csv", b"x" * 100)},
                             headers=api.headers("officer_all"))  # fmt: skip
    assert answer.status_code != 413  # the app of the standard settings takes it
