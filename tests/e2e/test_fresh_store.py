"""A fresh store computes: the packaged reference rates are recorded the first time it is opened.

* the README's "HTTP API in five minutes" block, run as it is with bash against a real ``ledger serve`` on
  a store that never saw the demo (SQLite and PostgreSQL): users, server, registration, a grant that
  computes, a payment, the roster file — and the server's log;
* the first open records every packaged standard and NCC table edition once, by the system actor, with
  its legal basis; later opens record nothing; eight processes opening a new store at once record them
  once between them;
* a newer release's reference file adds its new entries on the next open, corrects its own older
  entries, and never overwrites what an administrator recorded.
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import sys
from dataclasses import replace
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import load_workbook

import ledger.commands.rates as rates_commands
from domain.catalogue import reference_rate_entries, reference_table_editions
from domain.values import Month
from ledger.application import SYSTEM_ACTOR, open_ledger
from ledger.integrity import verify_streams
from tests.support import run_in_processes_at_once

if TYPE_CHECKING:
    import pytest

    from domain.catalogue import RateEntry, TableEdition

README = Path(__file__).resolve().parents[2] / "README.md"
PACKAGED_EVENTS = 11  # 2 schedules opened + 5 standards + the tables' stream opened + 3 editions


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def readme_walk_through() -> str:
    """The shell block of README's "HTTP API in five minutes"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## HTTP API in five minutes", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found, "README has no sh block under 'HTTP API in five minutes'"
    return found.group(1)


def test_the_readme_walk_through_runs_on_a_store_that_never_saw_the_demo(database_url: str, tmp_path: Path):
    """From `ledger users add` to the roster download, exactly as README says, on an empty store."""
    script = readme_walk_through()
    assert "make demo" not in script
    ledger_command = f"{shlex.quote(sys.executable)} -m api"
    port = str(free_port())
    script = script.replace(".venv/bin/ledger", ledger_command).replace("8000", port)
    script = re.sub(
        r"export LEDGER_DATABASE_URL=\S+", f"export LEDGER_DATABASE_URL={shlex.quote(database_url)}", script
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr + (tmp_path / "server.log").read_text()

    rates = json.loads((tmp_path / "rates.json").read_text())
    standards = {(i["schedule"], e["effective_from"]): e for i in rates["items"] for e in i["entries"]}
    assert standards[("NCC_STANDARD", "2024-07")]["amount"] == 2_789_000
    assert standards[("BTXH_STANDARD", "2024-07")]["legal_basis"].startswith("NĐ 76/2024")
    assert {e["recorded_by"] for e in standards.values()} == {SYSTEM_ACTOR}
    assert [t["standard"] for t in rates["ncc_tables"]] == [1_624_000, 2_055_000, 2_789_000]
    assert json.loads((tmp_path / "payment.json").read_text())["amount"] == 2_789_000

    book = load_workbook(BytesIO((tmp_path / "roster.xlsx").read_bytes()))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Trần Thị Bình" in cells

    log = (tmp_path / "server.log").read_text()
    requests = [line for line in log.splitlines() if " api.requests request " in line]
    assert any("path=/v1/beneficiaries" in r and "status=201" in r and "user=officer1" in r for r in requests)
    assert any("path=/v1/rates" in r and "user=admin1" in r for r in requests)
    assert "075150098765" not in log
    assert "recorded BeneficiaryRegistered" in log


# ------------------------------------------------------------------------------------ the first open


def test_the_first_open_records_every_packaged_rate_once(database_url: str):
    app = open_ledger(database_url)
    try:
        assert app.recorder.max_notification_id() == PACKAGED_EVENTS
        book = app.rates()
        recorded = [(e.schedule, e.effective_from, e.amount, e.legal_basis) for e in book.entries]
        packaged = [(e.schedule, e.effective_from, e.amount, e.legal_basis) for e in reference_rate_entries()]
        assert sorted(recorded, key=str) == sorted(packaged, key=str)
        assert {e.recorded_by for e in book.entries} == {SYSTEM_ACTOR}
        editions = book.table_editions()
        assert [(t.standard, t.rows, t.derived) for t in editions] == [
            (t.standard, t.rows, False) for t in reference_table_editions()
        ]
        assert editions[-1].legal_basis.startswith("NĐ 77/2024/NĐ-CP")
        assert app.seed_reference_rates() == 0
    finally:
        app.close()
    again = open_ledger(database_url)
    try:
        assert again.recorder.max_notification_id() == PACKAGED_EVENTS
        assert verify_streams(again).ok
    finally:
        again.close()


def _open_and_close(url: str) -> None:
    open_ledger(url).close()


def test_eight_processes_opening_a_new_store_record_the_rates_once(database_url: str):
    assert run_in_processes_at_once(_open_and_close, database_url) == []
    app = open_ledger(database_url, seed_reference=False)
    try:
        assert app.recorder.max_notification_id() == PACKAGED_EVENTS
        assert verify_streams(app).ok
    finally:
        app.close()


# ------------------------------------------------------------------------------------ a newer release


def _scaled(edition: TableEdition, standard: int) -> TableEdition:
    rows = tuple(
        (c, b, lo, hi, round(a * standard / edition.standard, -3)) for c, b, lo, hi, a in edition.rows
    )
    return replace(edition, standard=standard, rows=tuple((c, b, lo, hi, int(a)) for c, b, lo, hi, a in rows))


def test_a_newer_release_adds_its_entries_and_never_overwrites_an_administrator(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    app = open_ledger(database_url)
    try:
        app.amend_rate(
            "admin1", "BTXH_STANDARD", effective_from="2024-07", amount=550_000, legal_basis="QĐ tỉnh"
        )
    finally:
        app.close()

    old_entries = reference_rate_entries()
    old_editions = reference_table_editions()

    def newer_entries(until: Month | None = None) -> list[RateEntry]:
        entries = []
        for old in old_entries:
            entry = old
            if entry.schedule == "BTXH_STANDARD" and entry.effective_from == Month(2024, 7):
                entry = replace(entry, amount=510_000)  # the release "corrects" a month the admin set
            if entry.schedule == "NCC_STANDARD" and entry.effective_from == Month(2021, 7):
                entry = replace(entry, legal_basis=entry.legal_basis + " (đã đối chiếu)")  # its own entry
            entries.append(entry)
        entries.append(
            replace(old_entries[-1], effective_from=Month(2026, 7), amount=3_012_000, legal_basis="NĐ mới")
        )
        return [e for e in entries if until is None or e.effective_from <= until]

    monkeypatch.setattr(rates_commands, "reference_rate_entries", newer_entries)
    monkeypatch.setattr(
        rates_commands,
        "reference_table_editions",
        lambda: (*old_editions, _scaled(old_editions[-1], 3_012_000)),
    )
    app = open_ledger(database_url)
    try:
        book = app.rates()
        assert book.standard("BTXH_STANDARD", Month(2024, 7)) == 550_000  # the administrator's stands
        assert book.standard("NCC_STANDARD", Month(2026, 7)) == 3_012_000  # the release's new decree
        ncc_2021 = book.series("NCC_STANDARD")[0]
        assert ncc_2021.legal_basis.endswith("(đã đối chiếu)")  # its own older entry corrected
        assert [t.standard for t in book.table_editions()] == [1_624_000, 2_055_000, 2_789_000, 3_012_000]
        assert app.recorder.max_notification_id() == PACKAGED_EVENTS + 1 + 3  # admin's + 2 entries + edition
        assert app.seed_reference_rates() == 0
        assert verify_streams(app).ok
    finally:
        app.close()
