"""Logs an operator can read (ledger/logs.py, api/web/request_log.py), read off a real ``ledger serve``.

One JSON line per request with method, path, status, duration, request id (also sent back as
``X-Request-ID``) and the user's name; a line for what each command recorded and for each refusal with
its reason; an import's summary line — and never a token or a full citizen ID anywhere in the log.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import warnings
from typing import TYPE_CHECKING

import httpx
import pytest

from ledger.config import load_settings
from ledger.logs import configure_logging, mask_identifiers, request_scope

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CITIZEN_ID = "075150098765"
MASKED = "0751*****765"
BASIS = {"decision_no": "12/QĐ-SNV", "decision_date": "2024-07-01", "issuer": "Sở Nội vụ"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(url: str, *args: str) -> str:
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_LOG_FORMAT": "json"}
    done = subprocess.run(
        [sys.executable, "-m", "api", *args], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout


@contextlib.contextmanager
def serving(database_url: str, log_file: Path, **settings: str) -> Iterator[str]:
    """``ledger serve`` with its standard output and error going to ``log_file``, ``LEDGER_*`` settings
    added; yields its base URL."""
    port = free_port()
    env = {**os.environ, "LEDGER_DATABASE_URL": database_url, **settings}
    with log_file.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, proc)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """``ledger serve`` with JSON logs going to a file; yields (base URL, database URL, log file)."""
    log_file = tmp_path / "server.log"
    with serving(database_url, log_file, LEDGER_LOG_FORMAT="json") as base:
        yield base, database_url, log_file


def _wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):  # a bounded wait on the condition "answers /healthz", not on a fixed delay
        if proc.poll() is not None:
            pytest.fail("ledger serve exited")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("ledger serve did not answer")


def _records(log_file: Path) -> list[dict[str, object]]:
    lines = [line for line in log_file.read_text().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def test_the_server_log_names_requests_and_users_and_holds_no_token_or_citizen_id(served):
    base, url, log_file = served
    token = cli(url, "users", "add", "officer1", "--role", "officer").splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        created = http.post(
            "/v1/beneficiaries",
            headers={**auth, "X-Request-ID": "req-from-client-1"},
            json={"kind": "meritorious", "full_name": "Trần Thị Bình", "commune_code": "26041",
                  "citizen_id": CITIZEN_ID},
        )  # fmt: skip
        assert created.status_code == 201
        assert created.headers["X-Request-ID"] == "req-from-client-1"
        bid = created.json()["id"]
        duplicate = http.post(
            "/v1/beneficiaries",
            headers=auth,
            json={"kind": "meritorious", "full_name": "B", "commune_code": "26041", "citizen_id": CITIZEN_ID},
        )
        assert duplicate.status_code == 409
        generated = duplicate.headers["X-Request-ID"]
        assert len(generated) == 32
        assert http.get(f"/v1/beneficiaries/{CITIZEN_ID}", headers=auth).status_code in {200, 404}
        assert (
            http.get("/v1/beneficiaries", params={"citizen_id": CITIZEN_ID}, headers=auth).status_code == 200
        )
        assert (
            http.get("/v1/beneficiaries", headers={"Authorization": "Bearer wrong-token-abc"}).status_code
            == 401
        )
        hostile = http.get("/healthz", headers={"X-Request-ID": "bad id with spaces; and more"})
        assert len(hostile.headers["X-Request-ID"]) == 32  # not echoed: a fresh id
        granted = http.post(
            f"/v1/beneficiaries/{bid}/entitlements",
            headers=auth,
            json={"scheme": "NCC_MARTYR_RELATIVE", "effective_from": "2024-07", "params": {"martyrs": 1},
                  "basis": BASIS},
        )  # fmt: skip
        assert granted.status_code == 201, granted.text
    time.sleep(0)  # the server writes each line before answering the next request
    text = log_file.read_text()
    assert token not in text
    assert "wrong-token-abc" not in text
    assert CITIZEN_ID not in text
    records = _records(log_file)
    requests = [r for r in records if r["message"] == "request"]
    first = next(r for r in requests if r["request_id"] == "req-from-client-1")
    assert first["method"] == "POST"
    assert first["path"] == "/v1/beneficiaries"
    assert first["status"] == 201
    assert first["user"] == "officer1"
    assert isinstance(first["duration_ms"], float)
    assert first["level"] == "INFO"
    assert "time" in first
    assert first["logger"] == "api.requests"
    lookup = [r for r in requests if str(r["path"]).startswith("/v1/beneficiaries/0751")]
    assert lookup
    assert lookup[0]["path"] == f"/v1/beneficiaries/{MASKED}"
    assert any(r["status"] == 401 and r["user"] == "-" for r in requests)
    recorded = [r for r in records if str(r["message"]).startswith("recorded ")]
    registration = next(r for r in recorded if r.get("request_id") == "req-from-client-1")
    assert registration["message"] == "recorded BeneficiaryRegistered, ValueClaimed"
    assert registration["events"] == 2
    assert registration["actor"] == "officer1"
    refusals = [r for r in records if r["message"] == "refused"]
    refused = next((r for r in refusals if r.get("request_id") == generated), None)
    assert refused is not None, json.dumps([generated, refusals])
    assert refused["status"] == 409
    assert MASKED in str(refused["reason"])
    assert refused["user"] == "officer1"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_line_of_the_server_holds_a_citizen_id_in_full(database_url: str, tmp_path: Path, log_format: str):
    """Need-to-know in the logs: a real ``ledger serve`` at DEBUG, asked for one person by citizen ID in
    every way a client can — in the path, in the query, in the lookup's body, in the ``X-Citizen-ID``
    header, refused (unknown, outside the officer's communes, malformed, glued to letters) — writes the
    12 digits nowhere in its whole standard output and error; the masked form is there."""
    log_file = tmp_path / "server.log"
    admin = cli(database_url, "users", "add", "admin1", "--role", "admin").splitlines()[-1]
    outsider = cli(database_url, "users", "add", "xa-khac", "--role", "officer", "--scope", "25195")
    auth = {"Authorization": f"Bearer {admin}"}
    other = {"Authorization": f"Bearer {outsider.splitlines()[-1]}"}
    unknown = "079150012345"
    settings = {"LEDGER_LOG_FORMAT": log_format, "LEDGER_LOG_LEVEL": "DEBUG"}
    with serving(database_url, log_file, **settings) as base, httpx.Client(base_url=base, timeout=30) as http:
        person = {"kind": "meritorious", "full_name": "Trần Thị Bình", "commune_code": "26041",
                  "citizen_id": CITIZEN_ID}  # fmt: skip
        assert http.post("/v1/beneficiaries", headers=auth, json=person).status_code == 201
        answers = [
            http.get(f"/v1/beneficiaries/{CITIZEN_ID}", headers=auth),
            http.get(f"/v1/beneficiaries/{CITIZEN_ID}/history", headers=auth),
            http.get("/v1/beneficiaries", params={"citizen_id": CITIZEN_ID}, headers=auth),
            http.get("/v1/beneficiaries", headers={**auth, "X-Citizen-ID": CITIZEN_ID}),
            http.post("/v1/beneficiaries/lookup", json={"citizen_id": CITIZEN_ID}, headers=auth),
        ]
        assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
        assert all(a.headers["cache-control"] == "no-store" for a in answers)
        refused = [
            http.post("/v1/beneficiaries/lookup", json={"citizen_id": CITIZEN_ID}, headers=other),
            http.get(f"/v1/beneficiaries/{CITIZEN_ID}", headers=other),
            http.post("/v1/beneficiaries/lookup", json={"citizen_id": unknown}, headers=auth),
            http.get(f"/v1/beneficiaries/{unknown}", headers=auth),
            http.post("/v1/beneficiaries/lookup", json={"citizen_id": f"{CITIZEN_ID}9"}, headers=auth),
            http.get(f"/v1/beneficiaries/x{CITIZEN_ID}x", headers=auth),
            http.get("/v1/beneficiaries", params={"citizen_id": f"{CITIZEN_ID}ab"}, headers=auth),
            http.post("/v1/beneficiaries", headers=auth, json=person),  # a duplicate citizen ID
            http.get(f"/v1/beneficiaries/{CITIZEN_ID}", headers={"Authorization": "Bearer wrong"}),
        ]
        assert [a.status_code for a in refused] == [403, 403, 404, 404, 422, 404, 200, 409, 401], [
            a.text for a in refused
        ]
    text = log_file.read_text()
    assert "DEBUG" in text or '"level": "DEBUG"' in text  # the most talkative level was on
    for full in (CITIZEN_ID, unknown):
        assert full not in text, [line for line in text.splitlines() if full in line][:5]
    assert MASKED in text


def test_an_import_logs_its_summary_line(database_url: str, tmp_path: Path):
    """A refused import names in the log what it refused; nothing is recorded."""
    cli(database_url, "users", "add", "admin1", "--role", "admin")
    bad = tmp_path / "xac-nhan.csv"
    bad.write_text(
        "payment_id,citizen_id,scheme,period,amount,paid_on\nBD-1,075150098765,BTXH_ELDERLY_80,2024-07,1,2024-07-10\n",
        encoding="utf-8",
    )
    env = {**os.environ, "LEDGER_DATABASE_URL": database_url, "LEDGER_LOG_FORMAT": "json"}
    done = subprocess.run(
        [sys.executable, "-m", "api", "import", "payments", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    summaries = [json.loads(line) for line in done.stderr.splitlines() if line.startswith('{"')]
    summary = next(r for r in summaries if r["message"] == "import refused")
    assert summary["rows"] == 1
    assert summary["refused_rows"] == 1
    assert summary["recorded_events"] == 0
    assert "075150098765" not in done.stderr


# ------------------------------------------------------------------------------------ the pieces


def test_long_digit_runs_are_masked_to_four_and_three():
    assert mask_identifiers(f"citizen {CITIZEN_ID} paid") == f"citizen {MASKED} paid"
    assert mask_identifiers("card BT2807912345678") == "card BT2*********678"
    assert (
        mask_identifiers("request db554000716c44d8b9c2f5271904b29e")
        == "request db554000716c44d8b9c2f5271904b29e"
    )
    assert (
        mask_identifiers("/v1/beneficiaries/075150098765/history") == "/v1/beneficiaries/0751*****765/history"
    )
    assert mask_identifiers("period 2024-07, amount 2789000") == "period 2024-07, amount 2789000"
    # glued to letters (a mistyped path, a reference): masked too; a hex id (SHA-256, request id) is not
    assert mask_identifiers(f"/v1/beneficiaries/x{CITIZEN_ID}x") == f"/v1/beneficiaries/x{MASKED}x"
    assert mask_identifiers(f"ref CCCD{CITIZEN_ID}") == f"ref CCCD{MASKED}"
    sha = "0123456789012345abcdef0123456789abcdef0123456789abcdef0123456789"
    assert mask_identifiers(f"content_hash={sha}") == f"content_hash={sha}"


def test_text_and_json_lines_carry_the_request_and_mask_every_field(monkeypatch: pytest.MonkeyPatch):
    for fmt in ("text", "json"):
        monkeypatch.setenv("LEDGER_LOG_FORMAT", fmt)
        stream = io.StringIO()
        configure_logging(load_settings(), stream)
        with request_scope("rid-1") as scope:
            scope["user"] = "officer7"
            logging.getLogger("test").info("looked up %s", CITIZEN_ID, extra={"path": f"/x/{CITIZEN_ID}"})
        out = stream.getvalue()
        assert CITIZEN_ID not in out
        assert out.count(MASKED) == 2
        if fmt == "json":
            record = json.loads(out)
            assert (record["request_id"], record["user"], record["level"]) == ("rid-1", "officer7", "INFO")
        else:
            assert "request_id=rid-1 user=officer7" in out or (
                "request_id=rid-1" in out and "user=officer7" in out
            )
    configure_logging(load_settings(log_level="WARNING"))


def test_a_python_warning_is_a_masked_log_record():
    """A warning that quotes a value goes through the same masking as every record, not raw to stderr."""
    stream = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        configure_logging(load_settings(log_format="text"), stream)
        warnings.warn(f"unexpected value {CITIZEN_ID!r}", UserWarning, stacklevel=1)
    out = stream.getvalue()
    assert "py.warnings" in out
    assert MASKED in out
    assert CITIZEN_ID not in out
    configure_logging(load_settings(log_level="WARNING"))


def test_the_log_level_is_a_setting(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LEDGER_LOG_LEVEL", "warning")
    stream = io.StringIO()
    configure_logging(load_settings(), stream)
    logging.getLogger("test").info("hidden")
    logging.getLogger("test").warning("shown")
    assert "hidden" not in stream.getvalue()
    assert "shown" in stream.getvalue()
    configure_logging(load_settings(log_level="WARNING"))
