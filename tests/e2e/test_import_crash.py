"""kill -9 of a payment import, again and again: re-running it completes the file, only once.

A province of 2,500 people on the 80+ social allowance, granted from January 2024 and never paid. Five
confirmation files of 10,000 rows each (2,500 people × 4 months of arrears). Each file is imported by
the real ``ledger import payments`` command in a child process, and that process is killed with
SIGKILL four times at random points of its progress (a random share of the file's events already in
the log, or a random moment while it still reads and checks) — 20 kills in all. After each file's
fifth, uninterrupted run: every row is recorded exactly once (one payment event and one payment-id
claim per paid row, one non-collection event per not-collected row), every hash chain verifies, and
the read models caught up across the crashes equal a rebuild from the log. Both backends.
"""

from __future__ import annotations

import csv
import io
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from domain.beneficiary import Beneficiary
from domain.indexes import UniqueClaim
from domain.values import Month
from ledger.adapters.communes import resolve_commune
from ledger.adapters.write_side import PAYMENT_TOPIC
from ledger.application import BenefitsLedger, open_ledger
from ledger.integrity import verify_streams
from projections.engine import open_projections
from tests.support import dump

pytestmark = [pytest.mark.timeout(1800), pytest.mark.slow]  # minutes: 20 kills over five files, per backend

PEOPLE = 2500
MONTHS = [str(Month(2024, 1).plus(i)) for i in range(20)]  # 2024-01 … 2025-08: five files of four
FILES = 5
KILLS_PER_FILE = 4
NOW = datetime(2025, 9, 20, 2, tzinfo=UTC)
BASIS = {"decision_no": "12/QĐ-UBND", "decision_date": "2024-01-05", "issuer": "UBND xã"}
ROOT = Path(__file__).resolve().parents[2]


def unpaid_province(ledger: BenefitsLedger) -> list[tuple[str, dict[str, int]]]:
    """Register the people in batches (through the aggregates' rules); (citizen ID, month → due)."""
    ledger.seed_reference_rates()
    rates = ledger.rates()
    commune = resolve_commune("26041", province=ledger.province)
    ctx = ledger.context("officer", "crash-test province")
    people = []
    batch: list[object] = []
    for n in range(PEOPLE):
        cid = f"07513{n:07d}"
        agg = Beneficiary.register(
            ctx, beneficiary_id=uuid4(), kind="social_assistance", full_name=f"Người Cao Tuổi {n}",
            commune_code=commune.code, province_code=commune.province_code, citizen_id=cid,
            date_of_birth="1930-01-01", sex="female",
        )  # fmt: skip
        ent = agg.grant_entitlement(
            ctx, scheme="BTXH_ELDERLY_80", effective_from="2024-01", basis=BASIS, rates=rates
        )
        dues = {m: agg.due_item(ent.entitlement_id, m, rates).outstanding for m in MONTHS}
        people.append((cid, dues))
        batch += [agg, UniqueClaim.claim(ctx, "citizen_id", cid, agg.id)]
        if len(batch) >= 400:
            ledger.save(*batch)  # type: ignore[arg-type]
            batch = []
    if batch:
        ledger.save(*batch)  # type: ignore[arg-type]
    return people


def confirmation_file(
    people: list[tuple[str, dict[str, int]]], months: list[str], seed: int
) -> tuple[bytes, Counter]:
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["payment_id", "citizen_id", "scheme", "period", "amount", "paid_on", "status", "reference"]
    )
    expected: Counter = Counter()
    for cid, dues in people:
        for month in months:
            status = "not_collected" if rng.random() < 0.03 else "paid"
            expected[status] += 1
            reference = f"BL-{cid}-{month}" if status == "paid" else ""
            row = [f"CRASH-{cid}-{month}", cid, "BTXH_ELDERLY_80", month, dues[month], "2025-09-10", status]
            writer.writerow([*row, reference])
    return buffer.getvalue().encode(), expected


def log_size(ledger: BenefitsLedger) -> int:
    return ledger.recorder.max_notification_id() or 0


def run_import(
    url: str, path: Path, *, kill_after_events: int | None, kill_after_s: float | None, ledger: BenefitsLedger
) -> str:
    """Run ``ledger import payments``; SIGKILL it once the log has grown by ``kill_after_events`` (or
    after ``kill_after_s``). Returns how it ended."""
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    start = log_size(ledger)
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "import", "payments", str(path), "--batch-size", "500"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    started = time.monotonic()
    try:
        while proc.poll() is None:
            grown = log_size(ledger) - start
            if (kill_after_events is not None and grown >= kill_after_events) or (
                kill_after_s is not None and time.monotonic() - started >= kill_after_s
            ):
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                return f"killed after {grown} events"
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert proc.returncode == 0, out
    return "completed"


def test_kill_9_twenty_times_then_every_row_is_recorded_once(database_url, tmp_path):
    ledger = open_ledger(database_url, clock=lambda: NOW)
    people = unpaid_province(ledger)
    engine = open_projections(ledger, database_url)
    rng = random.Random(20251130)
    kills = 0
    outcomes: list[str] = []
    totals: Counter = Counter()
    for index in range(FILES):
        months = MONTHS[index * 4 : index * 4 + 4]
        content, expected = confirmation_file(people, months, seed=index)
        totals.update(expected)
        path = tmp_path / f"xac-nhan-{index}.csv"
        path.write_bytes(content)
        file_events = expected["paid"] + expected["not_collected"]  # payment ids: the write side's key
        file_start = log_size(ledger)
        killed_here = attempts = 0
        target = KILLS_PER_FILE * (index + 1) - kills  # a file finished early passes its kills on
        while killed_here < target and attempts < 3 * KILLS_PER_FILE:
            attempts += 1
            remaining = file_events - (log_size(ledger) - file_start)
            if remaining < 2:
                break
            if rng.random() < 0.25:  # while it reads, checks and loads
                outcome = run_import(
                    database_url,
                    path,
                    kill_after_events=None,
                    kill_after_s=rng.uniform(0.2, 2.5),
                    ledger=ledger,
                )
            else:  # a random point of the first third of what is left to record
                outcome = run_import(
                    database_url,
                    path,
                    kill_after_events=rng.randrange(1, max(2, remaining // 3)),
                    kill_after_s=None,
                    ledger=ledger,
                )
            killed_here += outcome.startswith("killed")
            outcomes.append(f"file {index}: {outcome}")
            engine.catch_up()  # the read models follow whatever was committed
        kills += killed_here
        assert (
            run_import(database_url, path, kill_after_events=None, kill_after_s=None, ledger=ledger)
            == "completed"
        )
        # nothing lost, nothing doubled
        counts = topic_counts(ledger)
        assert counts["PaymentRecorded"] == totals["paid"]
        assert counts["PaymentNotCollected"] == totals["not_collected"]
        assert counts["claims"] == PEOPLE  # citizen IDs; a payment id is a row of the write side
        assert positions_add_up(ledger, totals["paid"])
        report = verify_streams(ledger)
        assert report.ok, report.first_broken
    assert kills >= FILES * KILLS_PER_FILE, f"only {kills} runs were still going when killed: {outcomes}"
    engine.catch_up()
    caught_up = dump(engine)
    engine.rebuild()
    assert dump(engine) == caught_up
    engine.store.close()


def topic_counts(ledger: BenefitsLedger) -> Counter:
    counts: Counter = Counter()
    start = 1
    while True:
        page = ledger.recorder.select_notifications(start, 5000)
        for n in page:
            name = n.topic.rsplit(".", 1)[-1]
            counts["claims" if n.topic.startswith("domain.indexes") else name] += 1
        if len(page) < 5000:
            return counts
        start = page[-1].id + 1


def positions_add_up(ledger: BenefitsLedger, paid: int) -> bool:
    """The write side survived every kill with its events: one payment-id row per payment recorded, and
    the positions' paid amounts add up to the payment events' (same transaction, nothing doubled)."""
    side = ledger.recorder.write_side  # type: ignore[attr-defined]
    with ledger.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute(f"SELECT count(*), sum(amount) FROM {side.payment_ids}")  # noqa: S608
        row = cursor.fetchone()
        ids, amount = tuple(row.values()) if isinstance(row, dict) else tuple(row)
        cursor.execute(f"SELECT sum(paid) FROM {side.positions}")  # noqa: S608
        row = cursor.fetchone()
        (positions,) = tuple(row.values()) if isinstance(row, dict) else tuple(row)
    events = sum(e.amount for n in ledger.recorder.select_notifications(1, 10**7, topics=[PAYMENT_TOPIC])
                 for e in [ledger.mapper.to_domain_event(n)])  # fmt: skip
    return int(ids) == paid and int(amount) == int(positions) == events
