# ruff: noqa: INP001 - a script beside the packages, not a package
"""benefits-ledger benchmark suite (issue 5): one run on PostgreSQL, one ``name: value`` line per figure.

    python bench/run.py --n 2000 [--scale 1000000] [--database-url postgresql://...] [--keep]

Everything runs in a fresh schema ``bench_<timestamp>`` of the database (``ledger_test`` by default),
dropped at the end unless ``--keep``. What is measured, in this order:

* setup (not a target): a synthetic province of N beneficiaries (``generate_province``, two years of
  history by default, ``--months`` for fewer) and the projections caught up over it;
* roster: ``build_roster`` for the current month, then ``canonical_json`` and ``roster_xlsx`` of it,
  and the month view (``month_roster``: every line due, with statuses: ``roster_month_view_s``);
  ``roster_json_s`` and ``roster_xlsx_s`` both include the build;
* ingest: a confirmation CSV made from that roster (one row per item; about 2 % not collected) through
  ``import_payments``; then the projections catching up over what it wrote (``catch_up_vs_ingest``);
* COPY: the same number of rows, as large as the events the import stored, into a scratch table shaped
  like the events table (same columns and indexes), with psycopg's ``cursor.copy()``;
* library: the eventsourcing library used plainly as a peer, the same number of events as bare
  one-event aggregates (a few payment fields, no rules), 500 new aggregates per ``Application.save``,
  with its own ``eventsourcing.postgres`` persistence (database functions off) in a schema of its own
  (``library_batched_events_per_s``, ``ingest_vs_library``);
* naive: one ``record_payment`` command per beneficiary (next month's payment) for a sample;
* decode and rebuild: the whole log read in pages and decoded, then ``engine.rebuild()``;
* history: one beneficiary with 120 events fetched over HTTP from a real ``ledger serve``, warmed by
  30 sequential requests (``history_sequential_p50_ms``), then by 8 clients of 50 requests each run in
  client processes of their own (``--client-processes``, one per client by default: spawned, each
  client with its own HTTP connection, all started together), so that p99 measures the server;
* ``--scale M``: roster and history again on a province of M beneficiaries and on a 10,000-beneficiary
  reference province of the same shape (``--scale-months`` of history, 3 by default, to keep the
  generation of a million beneficiaries within a session), with the ratios M / 10k
  (``scale_roster_vs_base``: the worst of the per-line roster ratios; ``scale_history_vs_base``: p99).

Progress goes to stderr; the figures (and a ``#`` header with the machine) go to stdout, and at the end
a ``#`` summary block of each figure against the issue's target (``met: yes/no``; never asserted).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import inspect
import io
import math
import multiprocessing
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from queue import Empty
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent
from psycopg import sql

import ledger as ledger_package
from domain.errors import DomainError
from domain.values import Month
from ledger.adapters.communes import communes_of
from ledger.adapters.pg_databases import ensure_database
from ledger.application import open_ledger
from ledger.campaigns import grant_campaign
from ledger.checkpoints import verify_against
from ledger.config import parse_database_url
from ledger.demo import DEFAULT_PROVINCE, VN_TZ, WINDOW_MONTHS, generate_province
from ledger.demo.timeline import MIN_WINDOW_MONTHS
from ledger.imports import import_payments
from ledger.signing import generate_key_file, load_signer
from projections.engine import open_projections
from projections.exports import roster_xlsx
from projections.rosters import build_roster, month_roster, roster_rows

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from ledger.application import BenefitsLedger
    from projections.engine import ProjectionEngine
    from projections.rosters import Roster

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/ledger_test"
FIRST_RATED_MONTH = Month(2021, 7)  # the packaged standards start here: the history beneficiary's start
FULL_MONTHS = WINDOW_MONTHS  # the generator's window: two years
MIN_MONTHS = MIN_WINDOW_MONTHS
REFERENCE_SIZE = 10_000
HISTORY_EVENTS = 120
NOT_COLLECTED_SHARE = 0.02
ACTOR = "bench"
LIBRARY_BATCH = 500  # new aggregates per Application.save call of the library peer
STARTED = time.perf_counter()
FIGURES: dict[str, object] = {}  # every figure emitted, for the summary against the targets


# ---------------------------------------------------------------------------------------------- output


def log(message: str) -> None:
    """Progress, on stderr, with the time since the start."""
    sys.stderr.write(f"[{time.perf_counter() - STARTED:8.1f}s] {message}\n")
    sys.stderr.flush()


def emit(name: str, value: object) -> None:
    """One figure: ``name: value`` on stdout (and kept in ``FIGURES`` for the summary)."""
    FIGURES[name] = value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            text = str(value)
        elif abs(value) >= 1000:
            text = f"{value:.0f}"
        elif abs(value) >= 1:
            text = f"{value:.3f}"
        else:
            text = f"{value:.4f}"
    else:
        text = str(value)
    sys.stdout.write(f"{name}: {text}\n")
    sys.stdout.flush()


def header(line: str) -> None:
    """A header line (machine, versions, settings): starts with ``#``."""
    sys.stdout.write(f"# {line}\n")
    sys.stdout.flush()


class LoadSampler:
    """The 1-minute load average every 30 s, in the background: the machine may be shared, and a busy
    neighbour on two cores shows in every figure."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(30):
            self.samples.append(os.getloadavg()[0])

    def summary(self) -> str:
        """Mean and maximum of the samples."""
        self.stop.set()
        samples = self.samples or [os.getloadavg()[0]]
        return f"mean {sum(samples) / len(samples):.2f}, max {max(samples):.2f} ({len(samples)} samples)"


def worst(ratios: list[float]) -> float:
    """The largest of the ratios, NaN when any of them is NaN (or there are none)."""
    if not ratios or any(math.isnan(value) for value in ratios):
        return float("nan")
    return max(ratios)


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is zero."""
    return numerator / denominator if denominator else float("nan")


# ---------------------------------------------------------------------------------------------- database


def connect(url: str) -> psycopg.Connection[Any]:
    """An autocommit connection to the database of a ledger URL (its schema is ignored)."""
    loc = parse_database_url(url)
    if loc.backend != "postgres":
        msg = f"the benchmark runs on PostgreSQL only, not {url!r}"
        raise SystemExit(msg)
    return psycopg.connect(
        host=loc.host,
        port=loc.port,
        user=loc.user,
        password=loc.password or None,
        dbname=loc.dbname,
        connect_timeout=5,
        autocommit=True,
    )


@contextlib.contextmanager
def fresh_schema(base_url: str, name: str, *, keep: bool) -> Iterator[str]:
    """Create schema ``name``, yield the ledger URL that uses it, drop it afterwards unless ``keep``."""
    with connect(base_url) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    base = base_url.split("?", 1)[0]
    try:
        yield f"{base}?schema={name}"
    finally:
        if keep:
            log(f"kept schema {name}")
        else:
            with connect(base_url) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
            log(f"dropped schema {name}")


def analyze_schema(url: str, schema: str) -> None:
    """ANALYZE every table of the schema, as autovacuum would after a bulk load.

    Without statistics (a fresh bulk load, or a server with autovacuum off, as the CI machine's) the
    planner guesses ~120,000 events per stream on a 4.5M-row events table and loads each aggregate with
    a parallel bitmap scan and JIT compilation: 100 ms instead of 0.05 ms (``--no-analyze`` shows it).
    """
    started = time.perf_counter()
    with connect(url) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
        for (table,) in tables:
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, table)))
    log(f"analyzed {len(tables)} tables of {schema} in {time.perf_counter() - started:.1f} s")


def events_table(ledger: BenefitsLedger, schema: str) -> sql.Composed:
    """The qualified name of the ledger's events table."""
    table = getattr(ledger.recorder, "events_table_name", f"{ledger.name}_events")
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


# ---------------------------------------------------------------------------------------------- machine

MEASURED = ("domain", "ledger", "projections", "api")


def git(arguments: list[str]) -> str:
    """The output of a git command in the project, or ``""``."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        command = ["git", "-C", str(ROOT), *arguments]
        return subprocess.run(  # noqa: S603 - fixed arguments
            command, capture_output=True, text=True, check=True, timeout=30
        ).stdout
    return ""


def machine_header(base_url: str, args: argparse.Namespace) -> None:
    """CPU, memory, Python, PostgreSQL and its durability settings, date, commit."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    with connect(base_url) as conn:
        version = conn.execute("SELECT version()").fetchone()
        settings = {
            name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            for name in ("fsync", "synchronous_commit", "shared_buffers", "max_wal_size", "autovacuum", "jit")
        }
    commit = git(["describe", "--always", "--dirty"]).strip() or "unknown (not a git checkout)"
    changed = git(["status", "--porcelain", "--", *MEASURED]).splitlines()
    header("benefits-ledger benchmark (issue 5)")
    header(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")
    header(f"cpus: {os.cpu_count()} ({cpu}); memory: {memory}; {platform.platform()}")
    header(f"python: {platform.python_version()}; eventsourcing {metadata.version('eventsourcing')}")
    header(f"postgresql: {version[0] if version else 'unknown'}")
    header("postgresql settings: " + ", ".join(f"{k}={v[0] if v else '?'}" for k, v in settings.items()))
    header(f"commit: {commit}; code measured: {Path(ledger_package.__file__).resolve().parent.parent}")
    if changed:
        header("uncommitted changes in the measured code: " + " ".join(c[3:] for c in changed))
    header(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header(
        f"run: n={args.n} months={args.months} scale={args.scale or '-'} scale_months={args.scale_months}"
        f" naive_sample={args.naive_sample} http={args.threads}x{args.requests}"
        f" client_processes={args.client_processes} ingest_workers={args.ingest_workers or 'default'}"
        f" server_workers={args.server_workers} analyze={args.analyze}"
    )


# ---------------------------------------------------------------------------------------------- province


class SteadyClock:
    """A ledger clock anchored on a business moment that then moves on with real time."""

    def __init__(self, anchor: datetime) -> None:
        self.anchor = anchor
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.anchor + timedelta(seconds=time.monotonic() - self.started)


def province_today() -> date:
    """The generator's ``today``: the present in Viet Nam, whatever the months of history (the window
    ends the month before; ``generate_province(months=...)`` sets how far back it starts)."""
    return datetime.now(VN_TZ).date()


@dataclass
class Province:
    """A generated province and the handles on it."""

    url: str
    schema: str
    ledger: BenefitsLedger
    engine: ProjectionEngine
    month: Month
    today: date
    beneficiaries: int
    events: int
    generate_s: float
    catch_up_s: float


def build_province(
    url: str, schema: str, beneficiaries: int, months: int, label: str, *, analyze: bool
) -> Province:
    """Generate the province (setup), catch the projections up over it, ANALYZE its tables."""
    today = province_today()
    clock = SteadyClock(datetime(today.year, today.month, today.day, 9, tzinfo=VN_TZ))
    ledger = open_ledger(url, clock=clock, seed_reference=False)
    last = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 15 or done == total:
            last[0] = now
            log(f"{label}: generated {done:,}/{total:,} beneficiaries")

    log(f"{label}: generating {beneficiaries:,} beneficiaries ({months} months of history, today {today})")
    started = time.perf_counter()
    summary = generate_province(
        ledger, beneficiaries=beneficiaries, today=today, progress=progress, months=months
    )
    generate_s = time.perf_counter() - started
    log(f"{label}: {summary.events:,} events in {generate_s:.1f} s; catching the projections up")
    engine = open_projections(ledger, url)
    started = time.perf_counter()
    engine.catch_up()
    catch_up_s = time.perf_counter() - started
    log(f"{label}: projections caught up in {catch_up_s:.1f} s")
    if analyze:
        analyze_schema(url, schema)
    return Province(
        url=url,
        schema=schema,
        ledger=ledger,
        engine=engine,
        month=Month.of(today),
        today=today,
        beneficiaries=beneficiaries,
        events=summary.events,
        generate_s=generate_s,
        catch_up_s=catch_up_s,
    )


def close_province(province: Province) -> None:
    """Release the ledger's and the read store's connections."""
    province.engine.store.close()
    province.ledger.close()


# ---------------------------------------------------------------------------------------------- roster


@dataclass
class RosterFigures:
    """Seconds to build a roster, and to build it and turn it into JSON or XLSX."""

    lines: int
    build_s: float
    json_s: float
    xlsx_s: float
    json_bytes: int
    xlsx_bytes: int
    month_view_s: float = 0.0  # the month view (every line due, with statuses: month_roster)


def measure_roster(province: Province, label: str) -> tuple[RosterFigures, Roster]:
    """The roster as ``GET /v1/rosters/{month}?outstanding_only=true`` answers it — its lines read in SQL
    (``roster_rows``) and written as the canonical JSON from the rows (``json_parts``), build included —
    then the ``Roster`` objects (``build_roster``, what the XLSX and the pages use), the XLSX and the
    month view."""
    started = time.perf_counter()
    rows = roster_rows(province.engine, province.month)
    rows_s = time.perf_counter() - started
    as_json = b"".join(rows.json_parts()) + b"}"
    json_s = time.perf_counter() - started
    started = time.perf_counter()
    roster = build_roster(province.engine, province.month)
    build_s = time.perf_counter() - started
    if as_json != roster.canonical_json():
        log(
            f"{label}: the SQL-built roster's JSON differs from canonical_json — a bug, figures still printed"
        )
    log(f"{label}: roster of {len(roster.lines):,} lines: rows in {rows_s:.2f} s, JSON (rows included) "
        f"{json_s:.2f} s; as objects in {build_s:.2f} s")  # fmt: skip
    started = time.perf_counter()
    month_view = month_roster(province.engine, province.month)
    month_s = time.perf_counter() - started
    log(f"{label}: month view ({len(month_view.lines):,} lines, with statuses) built in {month_s:.2f} s")
    started = time.perf_counter()
    as_xlsx = roster_xlsx(roster)
    xlsx_s = time.perf_counter() - started
    log(f"{label}: roster XLSX in {xlsx_s:.2f} s")
    figures = RosterFigures(
        lines=len(roster.lines),
        build_s=build_s,
        json_s=json_s,
        xlsx_s=build_s + xlsx_s,
        json_bytes=len(as_json),
        xlsx_bytes=len(as_xlsx),
        month_view_s=month_s,
    )
    return figures, roster


# ---------------------------------------------------------------------------------------------- ingest

CSV_COLUMNS = (
    "payment_id",
    "citizen_id",
    "beneficiary_id",
    "scheme",
    "period",
    "amount",
    "paid_on",
    "status",
    "reference",
)


@dataclass
class PaymentFile:
    """A confirmation file made from a roster."""

    content: bytes
    rows: int
    not_collected: int
    skipped: dict[str, int] = field(default_factory=dict)


def payment_file(roster: Roster, paid_on: date, seed: int = 5) -> PaymentFile:
    """One row per payable item of the roster: paid, or (about 2 %) not collected.

    Recovery deductions are not payments and have no row; one-off items are left out because a row
    needs a period and a one-off has none on the roster.
    """
    rng = random.Random(seed)  # noqa: S311 - a benchmark's sample, not secrets
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows = not_collected = 0
    skipped: dict[str, int] = {}
    for line in roster.lines:
        for item in line.items:
            if item.type in {"recovery", "one_off"} or item.period is None:
                skipped[item.type] = skipped.get(item.type, 0) + 1
                continue
            rows += 1
            status = "paid"
            if item.type == "regular" and rng.random() < NOT_COLLECTED_SHARE:
                status = "not_collected"
                not_collected += 1
            writer.writerow(
                (
                    f"BENCH-{roster.month}-{rows:07d}",
                    line.citizen_id or "",
                    "" if line.citizen_id else line.beneficiary_id,
                    item.scheme,
                    item.period,
                    item.amount,
                    paid_on.isoformat(),
                    status,
                    f"BL-{rows:07d}" if status == "paid" else "",
                )
            )
    return PaymentFile(("\ufeff" + buffer.getvalue()).encode(), rows, not_collected, skipped)


@dataclass
class IngestFigures:
    """What the import did, and how fast."""

    rows: int
    events: int
    seconds: float
    state_bytes: float
    topics: list[str]
    workers: int | None = None  # the import's workers= when the run set it


def ingest_options(workers: int | None) -> dict[str, Any]:
    """``workers=`` for ``import_payments`` when asked for and the import takes it (else its default)."""
    if workers is None:
        return {}
    if "workers" not in inspect.signature(import_payments).parameters:
        log(f"ingest: this import_payments has no workers parameter; --ingest-workers {workers} ignored")
        return {}
    return {"workers": workers}


def measure_ingest(province: Province, file: PaymentFile, workers: int | None = None) -> IngestFigures:
    """Time ``import_payments`` over the file; then the average size of the events it stored."""
    ledger = province.ledger
    before = ledger.recorder.max_notification_id() or 0
    options = ingest_options(workers)
    log(f"ingest: importing {file.rows:,} rows ({file.not_collected:,} not collected) {options or ''}")
    started = time.perf_counter()
    report = import_payments(ledger, file.content, "bench-payments.csv", actor="bench-import", **options)
    seconds = time.perf_counter() - started
    if report.errors:
        for error in report.errors[:10]:
            log(f"ingest: refused row {error.row}, {error.column}: {error.reason}")
        emit("ingest_refused_rows", len({e.row for e in report.errors}))
    if not report.committed:
        msg = f"the import refused the file ({len(report.errors)} errors): nothing to measure"
        raise SystemExit(msg)
    after = ledger.recorder.max_notification_id() or 0
    if after - before != report.events:
        log(f"ingest: the report says {report.events} events but the log grew by {after - before}")
    log(
        f"ingest: {report.recorded:,} payments, {report.not_collected:,} not collected, "
        f"{report.events:,} events in {seconds:.2f} s"
    )
    with connect(province.url) as conn:
        table = events_table(ledger, province.schema)
        row = conn.execute(
            sql.SQL("SELECT avg(length(state))::float8 FROM {} WHERE notification_id > %s").format(table),
            (before,),
        ).fetchone()
        topics = [
            r[0]
            for r in conn.execute(
                sql.SQL("SELECT DISTINCT topic FROM {} WHERE notification_id > %s").format(table), (before,)
            ).fetchall()
        ]
    state_bytes = float(row[0] or 0) if row else 0.0
    return IngestFigures(report.rows, report.events, seconds, state_bytes, topics, options.get("workers"))


def measure_copy(province: Province, rows: int, state_bytes: int, topics: list[str]) -> tuple[float, float]:
    """Rows/s of a raw binary COPY of ``rows`` event-sized rows, in one transaction: into a table shaped
    like the events table (primary key, notification id with its unique index), and into a bare one."""
    rng = random.Random(7)  # noqa: S311 - a benchmark's sample, not secrets
    topics = topics or ["domain.beneficiary:Beneficiary.PaymentRecorded"]
    data = [
        (uuid.UUID(int=rng.getrandbits(128), version=4), 1, topic, rng.randbytes(state_bytes))
        for topic in (topics[i % len(topics)] for i in range(rows))
    ]
    shaped = sql.Identifier(province.schema, "bench_copy_events")
    bare = sql.Identifier(province.schema, "bench_copy_bare")
    rates = []
    with connect(province.url) as conn:
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
                " topic text, state bytea, notification_id bigserial NOT NULL,"
                " PRIMARY KEY (originator_id, originator_version))"
            ).format(shaped)
        )
        conn.execute(
            sql.SQL("CREATE UNIQUE INDEX ON {} (notification_id)").format(shaped),
        )
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (originator_id uuid, originator_version bigint, topic text, state bytea)"
            ).format(bare)
        )
        for table in (shaped, bare):
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cursor:
                statement = sql.SQL(
                    "COPY {} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
                ).format(table)
                with cursor.copy(statement) as copy:
                    copy.set_types(["uuid", "int8", "text", "bytea"])
                    for record in data:
                        copy.write_row(record)
            rates.append(rows / (time.perf_counter() - started))
        conn.execute(sql.SQL("DROP TABLE {}, {}").format(shaped, bare))
    log(f"copy: {rows:,} rows of {state_bytes} bytes: {rates[0]:,.0f} rows/s (bare table {rates[1]:,.0f})")
    return rates[0], rates[1]


class LibraryPayment(Aggregate):
    """The library peer's payment: a trivial aggregate with one event carrying a few payment fields, no
    rules (no due amount, no approval, no uniqueness of the payment id)."""

    @event("Recorded")
    def __init__(self, payment_id: str, entitlement_id: str, period: str, amount: int, paid_on: str) -> None:
        self.payment_id = payment_id
        self.entitlement_id = entitlement_id
        self.period = period
        self.amount = amount
        self.paid_on = paid_on


class LibraryPeer(Application):
    """The eventsourcing library used plainly: its PostgreSQL persistence, its default mapper."""


def library_env(url: str, schema: str) -> dict[str, str]:
    """The library's own environment for its PostgreSQL persistence in ``schema`` (database functions
    off: its plain INSERT path)."""
    loc = parse_database_url(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": loc.dbname,
        "POSTGRES_HOST": loc.host,
        "POSTGRES_PORT": str(loc.port),
        "POSTGRES_USER": loc.user,
        "POSTGRES_PASSWORD": loc.password or "",
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "CREATE_TABLE": "y",
    }


def measure_library(province: Province, events: int, batch: int = LIBRARY_BATCH) -> float:
    """Events/s of the eventsourcing library as a peer: ``events`` new ``LibraryPayment`` aggregates
    (one event each), ``batch`` per ``Application.save`` call, on the same PostgreSQL in a schema of
    its own. The aggregates are built inside the timed loop, as the import builds its events."""
    schema = f"{province.schema}_library"
    rng = random.Random(17)  # noqa: S311 - a benchmark's sample, not secrets
    period = str(province.month)
    paid_on = province.today.isoformat()
    with fresh_schema(province.url, schema, keep=False) as url:
        app = LibraryPeer(env=library_env(url, schema))
        try:
            started = time.perf_counter()
            done = 0
            while done < events:
                payments = [
                    LibraryPayment(
                        f"LIB-{period}-{number:08d}",
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        period,
                        2_789_000,
                        paid_on,
                    )
                    for number in range(done, min(done + batch, events))
                ]
                app.save(*payments)
                done += len(payments)
            seconds = time.perf_counter() - started
            stored = app.recorder.max_notification_id() or 0
        finally:
            app.close()
    if stored != events:
        log(f"library: {events:,} events saved but the library's log holds {stored:,}")
    rate = ratio(events, seconds)
    log(f"library: {events:,} aggregates, {batch} per save, in {seconds:.2f} s: {rate:,.0f} events/s")
    return rate


def measure_naive(province: Province, roster: Roster, sample: int, limit_s: float) -> tuple[int, float]:
    """One ``record_payment`` per beneficiary (next month's regular payment) for a sample; returns the
    events written (payment + payment-id claim) and the seconds."""
    rng = random.Random(11)  # noqa: S311 - a benchmark's sample, not secrets
    candidates = [
        (line, item) for line in roster.lines for item in line.items if item.type == "regular" and item.period
    ]
    picked = rng.sample(candidates, min(sample, len(candidates)))
    ledger = province.ledger
    period = str(province.month.next())
    paid_on = province.today.isoformat()
    before = ledger.recorder.max_notification_id() or 0
    refused = 0
    log(f"naive: {len(picked):,} record_payment commands (at most {limit_s:.0f} s)")
    started = time.perf_counter()
    deadline = started + limit_s
    for index, (line, item) in enumerate(picked):
        if time.perf_counter() > deadline:
            log(f"naive: stopped at the time limit after {index:,} commands")
            break
        try:
            ledger.record_payment(
                ACTOR,
                payment_id=f"BENCH-NAIVE-{period}-{index:07d}",
                beneficiary_id=line.beneficiary_id,
                entitlement_id=item.entitlement_id,
                period=period,
                amount=item.amount,
                paid_on=paid_on,
            )
        except DomainError as error:
            refused += 1
            if refused <= 5:
                log(f"naive: refused {line.beneficiary_id}: {error.message}")
    seconds = time.perf_counter() - started
    events = (ledger.recorder.max_notification_id() or 0) - before
    if refused:
        emit("naive_refused", refused)
    log(f"naive: {events:,} events in {seconds:.2f} s")
    return events, seconds


# ---------------------------------------------------------------------------------------------- rebuild


def measure_decode(ledger: BenefitsLedger, page: int = 2000) -> tuple[int, float]:
    """Read the whole log in pages and decode every event, as a rebuild reads it."""
    top = ledger.recorder.max_notification_id() or 0
    count = 0
    started = time.perf_counter()
    start = 1
    while start <= top:
        batch = ledger.recorder.select_notifications(start, page, stop=top)
        if not batch:
            break
        for notification in batch:
            ledger.mapper.to_domain_event(notification)
        count += len(batch)
        start = batch[-1].id + 1
    return count, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------- history


def create_history_beneficiary(url: str, events: int = HISTORY_EVENTS) -> str:
    """A war invalid who is also a martyr's relative, registered in June 2021 and paid both allowances
    every month since, with a health-insurance card renewed every year, until the stream holds
    ``events`` events. The clock is the business time of each step."""
    moment = [datetime(2021, 6, 20, 9, tzinfo=VN_TZ)]
    ledger = open_ledger(url, clock=lambda: moment[0])
    rng = random.Random(13)  # noqa: S311 - a benchmark's sample, not secrets
    commune = communes_of(DEFAULT_PROVINCE)[0].code
    basis = {"decision_no": "120/QĐ-SNV", "decision_date": "2021-06-25", "issuer": "Sở Nội vụ"}
    try:
        for _attempt in range(20):
            try:
                person = ledger.register_beneficiary(
                    ACTOR,
                    kind="meritorious",
                    full_name="Nguyễn Văn Lịch",
                    commune_code=commune,
                    citizen_id=f"075048{rng.randint(0, 999_999):06d}",
                    date_of_birth="1948-03-02",
                    sex="male",
                )
                break
            except DomainError:
                continue
        else:
            msg = "no free citizen ID for the history beneficiary"
            raise SystemExit(msg)
        bid = person.id
        moment[0] = datetime(2021, 6, 25, 10, tzinfo=VN_TZ)
        grants = [
            ledger.grant_entitlement(
                ACTOR, bid, scheme="NCC_WAR_INVALID", effective_from="2021-07", basis=basis,
                params={"injury_rate": 45},
            ),
            ledger.grant_entitlement(
                ACTOR, bid, scheme="NCC_MARTYR_RELATIVE", effective_from="2021-07", basis=basis,
                params={"martyrs": 1},
            ),
        ]  # fmt: skip
        card_end = date(2022, 6, 30)
        card = ""
        for _attempt in range(20):
            insurance = 75 * 100_000_000 + rng.randint(1, 99_999_999)
            try:
                card = ledger.issue_card(
                    ACTOR, bid, card_number=f"CK275{insurance:010d}", valid_from="2021-07-01",
                    valid_to=card_end.isoformat(),
                )["card_number"]  # fmt: skip
                break
            except DomainError:
                continue
        month = FIRST_RATED_MONTH
        while ledger.beneficiary(bid).version < events:
            moment[0] = datetime(month.year, month.month, 10, 9, tzinfo=VN_TZ)
            if card and month.month == 6 and ledger.beneficiary(bid).version < events:
                card_end = card_end.replace(year=card_end.year + 1)
                ledger.renew_card(ACTOR, bid, card, valid_to=card_end.isoformat())
            for grant in grants:
                agg = ledger.beneficiary(bid)
                if agg.version >= events:
                    break
                due = agg.due_item(grant["entitlement_id"], str(month), ledger.rates()).outstanding
                moment[0] += timedelta(minutes=5)
                ledger.record_payment(
                    ACTOR, payment_id=f"BENCH-HISTORY-{bid}-{month}-{grant['scheme']}", beneficiary_id=bid,
                    entitlement_id=grant["entitlement_id"], period=str(month), amount=due,
                    paid_on=moment[0].date().isoformat(),
                )  # fmt: skip
            month = month.next()
        return str(bid)
    finally:
        ledger.close()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ledger_command(url: str, *args: str) -> str:
    """Run the ``ledger`` command line on ``url``; its standard output."""
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    return subprocess.run(  # noqa: S603 - this interpreter, the project's own command line
        [sys.executable, "-m", "api", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=ROOT,
    ).stdout


@contextlib.contextmanager
def served(url: str, workers: int = 1) -> Iterator[str]:
    """A running ``ledger serve`` on the loopback interface; yields its base URL."""
    port = free_port()
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen(  # noqa: S603 - this interpreter, the project's own command line
            [
                sys.executable,
                "-m",
                "api",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    msg = f"ledger serve did not start: {errors.read()[-2000:]}"
                    raise SystemExit(msg)
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class HistoryFigures:
    """Latencies of ``GET /v1/beneficiaries/{id}/history`` (milliseconds)."""

    events: int
    requests: int
    failures: int
    sequential_p50_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests_per_s: float
    clients: int = 0
    processes: int = 0


@dataclass(frozen=True)
class HttpLoad:
    """The shape of the history load: ``clients`` concurrent clients in ``processes`` processes of
    their own (not the benchmark's), ``requests`` each, against ``ledger serve --workers workers``."""

    clients: int
    processes: int
    requests: int
    limit_s: float
    workers: int = 2

    def threads_per_process(self) -> list[int]:
        """The clients of each process, as even as they divide."""
        processes = max(1, min(self.processes, self.clients))
        return [self.clients // processes + (i < self.clients % processes) for i in range(processes)]

    def describe(self) -> str:
        """``8 clients × 50 requests in 8 processes, 2 server workers``."""
        counts = self.threads_per_process()
        shape = f"{len(counts)} processes" + (f" of {counts[0]} threads" if max(counts) > 1 else "")
        return f"{self.clients} clients x {self.requests} requests in {shape}, {self.workers} server workers"


# one client's outcome, as plain values across the process boundary: latencies (s), failures, the
# monotonic time of its first request and of the end of its last (one clock for every process), an error
ClientOutcome = tuple[list[float], int, float, float, str]


def history_client(base: str, headers: dict[str, str], path: str, requests: int, limit_s: float,
                   opened: threading.Event, start: threading.Event) -> ClientOutcome:  # fmt: skip
    """One client with its own HTTP connection: opened (and used once) before the start, then
    ``requests`` requests one after the other, each timed."""
    latencies: list[float] = []
    failures = 0
    first = last = math.nan
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            client.get("/healthz").raise_for_status()  # the connection is open before the clock starts
            opened.set()
            start.wait()
            first = time.monotonic()
            deadline = first + limit_s
            for _ in range(requests):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                try:
                    response = client.get(path)
                except httpx.HTTPError:
                    failures += 1
                    continue
                latencies.append(time.perf_counter() - started)
                failures += response.status_code != 200
            last = time.monotonic()
    except (httpx.HTTPError, OSError) as error:
        return latencies, failures, first, last, f"{type(error).__name__}: {error}"
    finally:
        opened.set()
    return latencies, failures, first, last, ""


def history_client_process(
    base: str, headers: dict[str, str], path: str, threads: int, requests: int, limit_s: float,
    ready: Any, go: Any, results: Any,
) -> None:  # fmt: skip
    """A load-generator process: ``threads`` clients, each with its own HTTP client; says it is ready
    once every connection is open, starts them all when ``go`` is set, sends back their outcomes."""
    outcomes: list[ClientOutcome] = []
    lock = threading.Lock()
    start = threading.Event()
    opened = [threading.Event() for _ in range(threads)]

    def run(index: int) -> None:
        outcome = history_client(base, headers, path, requests, limit_s, opened[index], start)
        with lock:
            outcomes.append(outcome)

    pool = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for flag in opened:
        flag.wait(timeout=120)
    ready.put(os.getpid())
    go.wait(timeout=600)
    start.set()
    for thread in pool:
        thread.join(timeout=limit_s + 120)
    results.put(outcomes)


def gather(queue: Any, processes: list[Any], count: int, limit_s: float, what: str) -> list[Any]:
    """``count`` messages from ``queue``, failing early when a client process has died."""
    messages: list[Any] = []
    deadline = time.monotonic() + limit_s
    while len(messages) < count:
        try:
            messages.append(queue.get(timeout=1))
        except Empty:
            dead = [p.exitcode for p in processes if p.exitcode not in {None, 0}]
            if dead or time.monotonic() > deadline:
                msg = f"the HTTP client processes did not {what} (exit codes {dead or 'none yet'})"
                raise SystemExit(msg) from None
    return messages


def run_clients(base: str, headers: dict[str, str], path: str, load: HttpLoad) -> list[ClientOutcome]:
    """The load from processes of their own (spawned: fresh interpreters, nothing of the benchmark's
    heap), started together once every client's connection is open; their outcomes."""
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(
            target=history_client_process,
            args=(base, headers, path, threads, load.requests, load.limit_s, ready, go, results),
            daemon=True,
        )
        for threads in load.threads_per_process()
    ]
    for process in processes:
        process.start()
    try:
        gather(ready, processes, len(processes), 300, "become ready")
        go.set()
        batches = gather(results, processes, len(processes), load.limit_s + 180, "report")
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join(timeout=30)
    return [outcome for batch in batches for outcome in batch]


def measure_history(url: str, bid: str, load: HttpLoad) -> HistoryFigures:
    """Sequential warm-up requests from this process (the server warm), then the load from client
    processes of their own, so that the latencies measure the server rather than this process."""
    token = ledger_command(url, "users", "add", f"bench-admin-{uuid.uuid4().hex[:6]}", "--role", "admin")
    headers = {"Authorization": f"Bearer {token.strip().splitlines()[-1]}"}
    path = f"/v1/beneficiaries/{bid}/history"
    with served(url, load.workers) as base:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            first = client.get(path)
            first.raise_for_status()
            events = len(first.json()["items"])
            sequential = []
            for _ in range(30):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                sequential.append(time.perf_counter() - started)
        outcomes = run_clients(base, headers, path, load)
    latencies = [latency for outcome in outcomes for latency in outcome[0]]
    for error in {outcome[4] for outcome in outcomes if outcome[4]}:
        log(f"history: a client failed: {error}")
    if not latencies:
        msg = "no history request succeeded"
        raise SystemExit(msg)
    starts = [outcome[2] for outcome in outcomes if not math.isnan(outcome[2])]
    ends = [outcome[3] for outcome in outcomes if not math.isnan(outcome[3])]
    wall = max(ends) - min(starts) if starts and ends else math.nan
    return HistoryFigures(
        events=events,
        requests=len(latencies),
        failures=sum(outcome[1] for outcome in outcomes) + sum(bool(outcome[4]) for outcome in outcomes),
        sequential_p50_ms=percentile(sequential, 0.5) * 1000,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies) * 1000,
        requests_per_s=ratio(len(latencies), wall),
        clients=len(outcomes),
        processes=len(load.threads_per_process()),
    )


def emit_history(figures: HistoryFigures, suffix: str = "") -> None:
    """The history figures, with a suffix (``_scale``, ``_scale_10k``)."""
    emit(f"history_events{suffix}", figures.events)
    emit(f"history_requests{suffix}", figures.requests)
    if figures.failures:
        emit(f"history_failures{suffix}", figures.failures)
    emit(f"history_sequential_p50_ms{suffix}", figures.sequential_p50_ms)
    emit(f"history_p50_ms{suffix}", figures.p50_ms)
    emit(f"history_p99_ms{suffix}", figures.p99_ms)
    emit(f"history_max_ms{suffix}", figures.max_ms)
    emit(f"history_requests_per_s{suffix}", figures.requests_per_s)
    emit(f"history_clients{suffix}", figures.clients)
    emit(f"history_client_processes{suffix}", figures.processes)


# ---------------------------------------------------------------------------------------------- targets

ROSTER_TARGET_LINES = 100_000  # the targets of the roster are stated for a roster of this many lines
ROSTER_TARGETS_S = {"roster_json_s": 1.0, "roster_xlsx_s": 5.0}  # seconds for that many lines


@dataclass(frozen=True)
class Target:
    """One figure of the run against its target: ``met`` is None when the run did not measure it."""

    figure: str
    value: float | None
    statement: str
    met: bool | None


def figure_value(figures: Mapping[str, object], name: str) -> float | None:
    """A figure as a finite number, or None (not measured, or not a number: NaN, infinite, text)."""
    value = figures.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def targets(figures: Mapping[str, object]) -> list[Target]:
    """The issue's targets, each with the run's figure (issue 16): nothing here is asserted."""
    rows: list[Target] = []

    def check(name: str, bound: float | None, *, at_least: bool, statement: str) -> None:
        value = figure_value(figures, name)
        met = None
        if value is not None and bound is not None:
            met = value >= bound if at_least else value <= bound
        rows.append(Target(name, value, statement, met))

    check("ingest_events_per_s", 40_000, at_least=True, statement=">= 40,000 events/s")
    check("ingest_vs_copy", 0.25, at_least=True, statement=">= 0.25 x raw COPY")
    check("ingest_vs_library", 1.5, at_least=True, statement=">= 1.5 x the library's batched save")
    check("catch_up_vs_ingest", 1.0, at_least=True, statement=">= 1 (catch-up at least as fast as ingest)")
    check("rebuild_vs_decode", 0.5, at_least=True, statement=">= 0.5 x raw read-and-decode")
    lines = figure_value(figures, "roster_lines")
    for name, per_target in ROSTER_TARGETS_S.items():
        stated = f"{per_target:g} s per {ROSTER_TARGET_LINES:,} lines"
        if lines is None:
            check(name, None, at_least=False, statement=f"<= {stated}")
            continue
        bound = per_target * lines / ROSTER_TARGET_LINES
        check(name, bound, at_least=False, statement=f"<= {bound:.3g} s ({stated}, at {lines:,.0f})")
    check("history_p99_ms", 20, at_least=False, statement="<= 20 ms")
    check("scale_roster_vs_base", 2, at_least=False, statement="<= 2 (per line, scale size / 10k)")
    check("scale_history_vs_base", 2, at_least=False, statement="<= 2 (p99, scale size / 10k)")
    return rows


def figure_text(value: float) -> str:
    """A figure as ``emit`` writes it, with thousands separated for the large ones."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.3f}"
    return f"{value:.4f}"


def summary_lines(rows: list[Target]) -> list[str]:
    """The summary block: one ``#`` line per target, ``met: yes``, ``met: no`` or ``not measured``."""
    width = max(len(row.figure) for row in rows)
    lines = ["summary: each figure against its target (measured, never asserted)"]
    for row in rows:
        value = "-" if row.value is None else figure_text(row.value)
        met = "not measured" if row.met is None else f"met: {'yes' if row.met else 'no'}"
        lines.append(f"  {row.figure:<{width}}  {value:>10}  target {row.statement:<58} {met}")
    return lines


def print_summary() -> None:
    """The summary block of the figures emitted so far."""
    for line in summary_lines(targets(FIGURES)):
        header(line)


# ---------------------------------------------------------------------------------------------- runs


def measure_tree_cost(province: Province, rows: int, state_bytes: int) -> tuple[float, float]:
    """Rows/s of storing ``rows`` event-sized rows in one transaction through the ledger's own COPY
    recorder (events table, lock, notify) with the Merkle log kept — and with its extend switched off
    for this measurement only: the cost of keeping the tree at the store (issue 13). In a scratch
    schema beside the province's, so its log stays the province's."""
    rng = random.Random(11)  # noqa: S311 - a benchmark's sample, not secrets
    rates = []
    with fresh_schema(province.url, f"{province.schema}_tree", keep=False) as url:
        scratch = open_ledger(url, seed_reference=False)
        recorder = scratch.recorder
        tables = recorder.merkle  # type: ignore[attr-defined]
        original = type(tables).extend
        try:
            for keep in (True, False):
                events = [
                    StoredEvent(
                        uuid.UUID(int=rng.getrandbits(128), version=4),
                        1,
                        "bench:Tree",
                        rng.randbytes(state_bytes),
                    )
                    for _ in range(rows)
                ]
                type(tables).extend = original if keep else (lambda *_, **__: None)
                started = time.perf_counter()
                recorder.insert_events(events)
                rates.append(rows / (time.perf_counter() - started))
        finally:
            type(tables).extend = original
            scratch.close()
    log(f"tree: {rows:,} events by COPY: {rates[0]:,.0f} rows/s with the Merkle log, {rates[1]:,.0f} without")
    return rates[0], rates[1]


def main_merkle(province: Province, note: str, key: str) -> None:
    """The Merkle log: what keeping it costs an ingest, and verify --against on the whole N log."""
    with_tree, without = measure_tree_cost(province, 20_000, 200)
    emit("tree_copy_rows_per_s", with_tree)
    emit("tree_copy_without_rows_per_s", without)
    emit("tree_cost_ratio", ratio(with_tree, without))
    started = time.perf_counter()
    report = verify_against(province.ledger, [note], key)
    seconds = time.perf_counter() - started
    if not report.ok:
        log(f"verify --against: {report.findings[0].message}")
    emit("verify_against_events", report.log_size)
    emit("verify_against_s", seconds)
    emit("verify_against_events_per_s", ratio(report.log_size, seconds))


def main_setup(args: argparse.Namespace, url: str, schema: str) -> Province:
    """The N-beneficiary province, caught up: setup figures."""
    province = build_province(url, schema, args.n, args.months, "main", analyze=args.analyze)
    emit("n_beneficiaries", args.n)
    emit("history_months", args.months)
    emit("setup_events", province.events)
    emit("setup_generate_s", province.generate_s)
    emit("setup_catch_up_s", province.catch_up_s)
    emit("setup_catch_up_events_per_s", ratio(province.events, province.catch_up_s))
    return province


def main_roster(province: Province) -> Roster:
    """Roster figures at N; returns the roster the payment file is made from."""
    figures, roster = measure_roster(province, "main")
    emit("roster_month", str(province.month))
    emit("roster_lines", figures.lines)
    emit("roster_build_s", figures.build_s)
    emit("roster_month_view_s", figures.month_view_s)
    emit("roster_json_s", figures.json_s)
    emit("roster_xlsx_s", figures.xlsx_s)
    emit("roster_json_mb", figures.json_bytes / 1e6)
    emit("roster_xlsx_mb", figures.xlsx_bytes / 1e6)
    return roster


def main_ingest(args: argparse.Namespace, province: Province, roster: Roster) -> None:
    """Import, catch-up, COPY and the naive path."""
    file = payment_file(roster, province.today)
    for kind, count in sorted(file.skipped.items()):
        log(f"ingest: {count:,} {kind} items of the roster have no row in the file")
    ingest = measure_ingest(province, file, args.ingest_workers)
    if ingest.workers is not None:
        emit("ingest_workers", ingest.workers)
    ingest_events_per_s = ratio(ingest.events, ingest.seconds)
    emit("ingest_rows", ingest.rows)
    emit("ingest_events", ingest.events)
    emit("ingest_s", ingest.seconds)
    emit("ingest_rows_per_s", ratio(ingest.rows, ingest.seconds))
    emit("ingest_events_per_s", ingest_events_per_s)

    before = province.engine.position()
    started = time.perf_counter()
    applied = province.engine.catch_up()
    catch_up_s = time.perf_counter() - started
    log(f"projections: {applied:,} events from position {before:,} in {catch_up_s:.2f} s")
    emit("projection_catch_up_events", applied)
    emit("projection_catch_up_s", catch_up_s)
    emit("projection_catch_up_events_per_s", ratio(applied, catch_up_s))
    emit("catch_up_vs_ingest", ratio(ratio(applied, catch_up_s), ingest_events_per_s))

    state_bytes = max(1, round(ingest.state_bytes))
    copy_rate, bare_rate = measure_copy(province, ingest.events, state_bytes, ingest.topics)
    emit("event_state_bytes", state_bytes)
    emit("copy_rows", ingest.events)
    emit("copy_rows_per_s", copy_rate)
    emit("copy_bare_rows_per_s", bare_rate)
    emit("ingest_vs_copy", ratio(ingest_events_per_s, copy_rate))

    library_rate = measure_library(province, ingest.events)
    emit("library_batch", LIBRARY_BATCH)
    emit("library_batched_events_per_s", library_rate)
    emit("ingest_vs_library", ratio(ingest_events_per_s, library_rate))

    naive_events, naive_s = measure_naive(province, roster, args.naive_sample, args.naive_seconds)
    naive_rate = ratio(naive_events, naive_s)
    emit("naive_events", naive_events)
    emit("naive_events_per_s", naive_rate)
    emit("ingest_speedup_vs_naive", ratio(ingest_events_per_s, naive_rate))


def main_campaign(province: Province) -> None:
    """A province-wide Tết gift campaign: every living beneficiary granted a GIFT in one run."""
    month = province.month.next()
    log(f"campaign: a Tết gift for every living beneficiary in {month}")
    started = time.perf_counter()
    _, summary = grant_campaign(
        province.ledger, "bench", campaign_id=f"BENCH-TET-{month}", scheme="GIFT", month=str(month),
        params={"amount": 500_000, "funding_source": "province", "occasion": "tet"},
        basis={"decision_no": "BENCH/QĐ-UBND", "decision_date": province.today.isoformat(),
               "issuer": "UBND tỉnh"},
    )  # fmt: skip
    seconds = time.perf_counter() - started
    emit("campaign_granted", summary["granted"])
    emit("campaign_skipped", len(summary["skipped"]))
    emit("campaign_s", seconds)
    emit("campaign_grants_per_s", ratio(summary["granted"], seconds))
    started = time.perf_counter()  # the read models after it: every granted person has a new row or two
    applied = province.engine.catch_up()
    seconds = time.perf_counter() - started
    log(f"campaign: projections caught up on {applied:,} events in {seconds:.1f} s")
    emit("campaign_catch_up_s", seconds)
    emit("campaign_catch_up_events_per_s", ratio(applied, seconds))


def main_rebuild(province: Province, *, analyze: bool) -> None:
    """The whole log read and decoded, then the projections rebuilt from it."""
    log("decode: reading and decoding the whole log")
    decoded, decode_s = measure_decode(province.ledger)
    decode_rate = ratio(decoded, decode_s)
    log(f"decode: {decoded:,} events in {decode_s:.1f} s; rebuilding the projections")
    started = time.perf_counter()
    rebuilt = province.engine.rebuild()
    rebuild_s = time.perf_counter() - started
    rebuild_rate = ratio(rebuilt, rebuild_s)
    log(f"rebuild: {rebuilt:,} events in {rebuild_s:.1f} s")
    emit("decode_events", decoded)
    emit("decode_events_per_s", decode_rate)
    emit("rebuild_events", rebuilt)
    emit("rebuild_s", rebuild_s)
    emit("rebuild_events_per_s", rebuild_rate)
    emit("rebuild_vs_decode", ratio(rebuild_rate, decode_rate))
    if analyze:  # every read model was rewritten: autovacuum would analyze them now
        analyze_schema(province.url, province.schema)


def main_run(args: argparse.Namespace, url: str, schema: str) -> None:
    """Every figure at N beneficiaries."""
    province = main_setup(args, url, schema)
    try:
        with tempfile.TemporaryDirectory() as keys:
            key = generate_key_file(Path(keys) / "key", "benefits-ledger/vn")
            province.ledger.signer = load_signer(Path(keys) / "key")
        note = province.ledger.checkpoint() or ""
        roster = main_roster(province)
        main_ingest(args, province, roster)
        del roster
        main_merkle(province, note, key)
        main_campaign(province)
        log("history: creating a beneficiary with 120 events")
        history_id = create_history_beneficiary(url)
        province.engine.catch_up()
        main_rebuild(province, analyze=args.analyze)
    finally:
        close_province(province)
    load = http_load(args)
    log(f"history: {load.describe()}")
    emit_history(measure_history(url, history_id, load))


@dataclass
class ScaleFigures:
    """Roster and history at one province size."""

    beneficiaries: int
    events: int
    generate_s: float
    catch_up_s: float
    roster: RosterFigures
    history: HistoryFigures


def scale_point(
    args: argparse.Namespace, url: str, schema: str, beneficiaries: int, label: str
) -> ScaleFigures:
    """Generate a province of the scale mode's shape, then measure its roster and a history."""
    province = build_province(url, schema, beneficiaries, args.scale_months, label, analyze=args.analyze)
    try:
        roster, _lines = measure_roster(province, label)
        del _lines  # a million lines need not stay in memory during the HTTP load
        history_id = create_history_beneficiary(url)
    finally:
        close_province(province)
    log(f"{label}: history over HTTP")
    history = measure_history(url, history_id, http_load(args))
    return ScaleFigures(
        beneficiaries, province.events, province.generate_s, province.catch_up_s, roster, history
    )


def emit_scale(point: ScaleFigures, suffix: str) -> None:
    """The figures of one scale point."""
    emit(f"n_beneficiaries{suffix}", point.beneficiaries)
    emit(f"setup_events{suffix}", point.events)
    emit(f"setup_generate_s{suffix}", point.generate_s)
    emit(f"setup_catch_up_s{suffix}", point.catch_up_s)
    emit(f"roster_lines{suffix}", point.roster.lines)
    emit(f"roster_build_s{suffix}", point.roster.build_s)
    emit(f"roster_json_s{suffix}", point.roster.json_s)
    emit(f"roster_xlsx_s{suffix}", point.roster.xlsx_s)
    emit_history(point.history, suffix)


def scale_run(args: argparse.Namespace, base_url: str, stamp: str) -> None:
    """Roster and history at ``--scale`` beneficiaries beside a 10k province of the same shape."""
    emit("scale_history_months", args.scale_months)
    header(
        f"scale mode: {args.scale_months} months of history per province (the main run has "
        f"{min(args.months, FULL_MONTHS)}); ratios compare {args.scale:,} with {REFERENCE_SIZE:,} "
        "beneficiaries of the same shape, roster ratios per roster line"
    )
    points = []
    for size, suffix in ((REFERENCE_SIZE, "_scale_10k"), (args.scale, "_scale")):
        schema = f"bench_{stamp}{suffix}"
        with fresh_schema(base_url, schema, keep=args.keep) as url:
            point = scale_point(args, url, schema, size, suffix.lstrip("_"))
        emit_scale(point, suffix)
        points.append(point)
    small, large = points
    per_line = []
    for name in ("build_s", "json_s", "xlsx_s"):
        per_line_small = ratio(getattr(small.roster, name), small.roster.lines)
        per_line_large = ratio(getattr(large.roster, name), large.roster.lines)
        per_line.append(ratio(per_line_large, per_line_small))
        emit(f"roster_{name.removesuffix('_s')}_per_line_ratio_scale", per_line[-1])
    emit("history_p50_ratio_scale", ratio(large.history.p50_ms, small.history.p50_ms))
    emit("history_p99_ratio_scale", ratio(large.history.p99_ms, small.history.p99_ms))
    emit("scale_roster_vs_base", worst(per_line))
    emit("scale_history_vs_base", ratio(large.history.p99_ms, small.history.p99_ms))


def http_load(args: argparse.Namespace) -> HttpLoad:
    """The history load of the command line."""
    return HttpLoad(
        clients=args.threads,
        processes=args.client_processes,
        requests=args.requests,
        limit_s=args.http_seconds,
        workers=args.server_workers,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="beneficiaries of the province (100,000)")
    parser.add_argument("--months", type=int, default=FULL_MONTHS, help="months of history (24, the most)")
    parser.add_argument("--scale", type=int, default=0, help="also measure roster and history at this size")
    parser.add_argument("--scale-months", type=int, default=3, help="months of history in scale mode (3)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("LEDGER_TEST_POSTGRES_URL")
        or DEFAULT_URL,
        help="PostgreSQL database to run in (BENCH_DATABASE_URL, LEDGER_TEST_POSTGRES_URL, or ledger_test)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench_* schemas")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="do not ANALYZE after the setup and the rebuild (shows the cost of missing statistics)",
    )
    parser.add_argument(
        "--ingest-workers",
        type=int,
        default=2,
        help="workers= for import_payments (processes over disjoint beneficiaries; default 2, a core each)",
    )
    parser.add_argument("--naive-sample", type=int, default=None, help="commands of the naive path")
    parser.add_argument("--naive-seconds", type=float, default=300.0, help="time limit of the naive path")
    parser.add_argument("--threads", type=int, default=8, help="concurrent HTTP clients (8)")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=None,
        help="processes the HTTP clients run in, none of them the benchmark's (one per client)",
    )
    parser.add_argument(
        "--server-workers",
        type=int,
        default=2,
        help="ledger serve --workers for the history load (2: a core each)",
    )
    parser.add_argument("--requests", type=int, default=50, help="requests per HTTP client (50)")
    parser.add_argument("--http-seconds", type=float, default=300.0, help="time limit of the HTTP load")
    args = parser.parse_args(argv)
    if args.n < 10 or (args.scale and args.scale < 10):
        parser.error("--n and --scale need at least 10 beneficiaries")
    if args.months < MIN_MONTHS or not MIN_MONTHS <= args.scale_months <= FULL_MONTHS:
        parser.error(f"--months and --scale-months must be at least {MIN_MONTHS} (--scale-months at most 24)")
    args.months = min(args.months, FULL_MONTHS)
    if args.threads < 1 or (args.client_processes is not None and args.client_processes < 1):
        parser.error("--threads and --client-processes must be at least 1")
    args.client_processes = min(args.client_processes or args.threads, args.threads)
    if args.naive_sample is None:
        args.naive_sample = min(args.n, 2000)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; figures on stdout."""
    args = parse_args(argv)
    base_url = args.database_url
    if parse_database_url(base_url).backend != "postgres":
        msg = f"the benchmark runs on PostgreSQL only, not {base_url!r}"
        raise SystemExit(msg)
    try:
        if ensure_database(base_url):
            log(f"created the database of {base_url}")
    except (psycopg.Error, OSError) as error:
        msg = f"the benchmark needs PostgreSQL at {base_url}: {error} (make pg starts it as root)"
        raise SystemExit(msg) from None
    for name in list(os.environ):  # the stores are chosen by URL only, as in the tests
        if name.startswith(("POSTGRES_", "SQLITE_")) or name in {"PERSISTENCE_MODULE", "LEDGER_DATABASE_URL"}:
            del os.environ[name]
    machine_header(base_url, args)
    load = LoadSampler()
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    schema = f"bench_{stamp}"
    with fresh_schema(base_url, schema, keep=args.keep) as url:
        main_run(args, url, schema)
    if args.scale:
        scale_run(args, base_url, stamp)
    emit("total_s", time.perf_counter() - STARTED)
    print_summary()
    header(f"load average (1 min) during the run: {load.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
