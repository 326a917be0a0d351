"""Issue 14: no upload exhausts a real `ledger serve` — the 1.5 KB workbook declaring 30,000 × 16,384
cells and a 50 MB CSV (sent with its Content-Length, and streamed without one) are refused at once, and
the server's peak resident memory (VmHWM) stays far under 300 MB. The figures are printed (-s)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from upload_files import csv_of, hostile_workbook

from tests.e2e.test_serve_e2e import server, token_for  # noqa: F401 - its `server` fixture

MB = 1024 * 1024


def server_pid(port: int) -> int:
    """The process of `ledger serve --port PORT` (the test's own child)."""
    wanted = f"serve\0--port\0{port}\0".encode()
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if wanted in status.read_bytes():
                return int(status.parent.name)
        except OSError:
            continue
    raise AssertionError(f"no ledger serve on port {port}")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def multipart(content: bytes, filename: str) -> tuple[bytes, str]:
    head = f'--B\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'.encode()
    return head + content + b"\r\n--B--\r\n", "multipart/form-data; boundary=B"


def test_hostile_uploads_leave_the_server_small(server) -> None:  # noqa: F811 - the imported fixture
    base, url = server
    token = token_for(url, "importer", "officer")
    auth = {"Authorization": f"Bearer {token}"}
    pid = server_pid(int(base.rsplit(":", 1)[1]))
    small = b"ma_chi_tra,so_cccd,che_do,ky,so_tien,ngay_chi\n"
    assert httpx.post(
        f"{base}/v1/imports/payments", files={"file": ("p.csv", small)}, headers=auth
    ).status_code
    before = peak_rss_mb(pid)
    figures = {}

    started = time.perf_counter()
    answer = httpx.post(f"{base}/v1/imports/payments", files={"file": ("h.xlsx", hostile_workbook())},
                        headers=auth, timeout=60)  # fmt: skip
    figures["hostile workbook"] = (time.perf_counter() - started, peak_rss_mb(pid))
    assert answer.status_code == 422
    assert "30,000 rows × 16,384 columns" in answer.json()["errors"][0]["message"]

    body, kind = multipart(csv_of(50 * MB), "p.csv")
    started = time.perf_counter()
    try:
        answer = httpx.post(f"{base}/v1/imports/payments", content=body,
                            headers={**auth, "Content-Type": kind}, timeout=60)  # fmt: skip
        status = answer.status_code
        assert answer.json()["max_bytes"] == 20 * MB
    except httpx.TransportError:  # the server may close the connection while the client still sends
        status = 413
    figures["50 MB CSV, Content-Length"] = (time.perf_counter() - started, peak_rss_mb(pid))
    assert status == 413

    def chunks():
        for at in range(0, len(body), MB):
            yield body[at : at + MB]

    started = time.perf_counter()
    try:
        answer = httpx.post(f"{base}/v1/imports/payments", content=chunks(),
                            headers={**auth, "Content-Type": kind}, timeout=60)  # fmt: skip
        status = answer.status_code
    except httpx.TransportError:
        status = 413
    figures["50 MB CSV, streamed"] = (time.perf_counter() - started, peak_rss_mb(pid))
    assert status == 413

    started = time.perf_counter()
    try:
        answer = httpx.post(f"{base}/v1/imports/payments", content=body, headers={"Content-Type": kind})
        status = answer.status_code
    except httpx.TransportError:
        status = 401
    figures["50 MB CSV, no token"] = (time.perf_counter() - started, peak_rss_mb(pid))
    assert status in {401, 413}

    print(f"\nserver peak RSS before: {before:.0f} MB")  # noqa: T201 - the figures of the issue
    for name, (seconds, peak) in figures.items():
        print(f"{name}: {seconds:.2f} s, server peak RSS {peak:.0f} MB")  # noqa: T201
    after = peak_rss_mb(pid)
    assert after < 300
    assert after - before < 40
