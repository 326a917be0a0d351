"""The embedded store opens without racing (ledger/adapters/sqlite_store.py) and keeps the library's contract.

* The library's own recorder contract (``eventsourcing.tests.persistence``) runs against the ledger's
  SQLite recorders (tables created in ``BEGIN IMMEDIATE``) and its factory.
* A new file is made whole: many processes and threads opening one new file at once all succeed, the
  file is in WAL mode, and no file made aside is left behind.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from typing import TYPE_CHECKING, ClassVar

import pytest
from eventsourcing.sqlite import SQLiteDatastore, SQLiteProcessRecorder, SQLiteTrackingRecorder
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
)
from eventsourcing.utils import Environment

from ledger.adapters.sqlite_store import (
    LedgerSQLiteAggregateRecorder,
    LedgerSQLiteApplicationRecorder,
    LedgerSQLiteFactory,
    prepare_sqlite_file,
)
from ledger.application import open_ledger
from ledger.config import persistence_environment
from ledger.integrity import verify_streams
from tests.support import run_in_processes_at_once

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class _OnAFile:
    """A fresh database file per test (file mode: WAL, several connections)."""

    datastore: SQLiteDatastore

    @pytest.fixture(autouse=True)
    def _file(self, tmp_path: Path) -> Iterator[None]:
        path = str(tmp_path / "contract.db")
        prepare_sqlite_file(path)
        before = set(threading.enumerate())
        self.datastore = SQLiteDatastore(db_name=path, lock_timeout=30)
        yield
        # the contract's concurrency case tells its reader threads to stop but does not wait for them:
        # closing the connections under a reader still inside SQLite would crash the process
        for thread in set(threading.enumerate()) - before:
            thread.join(30)
        self.datastore.close()


class TestAggregateRecorderContract(_OnAFile, AggregateRecorderTestCase):
    """The snapshot table's recorder."""

    def create_recorder(self) -> LedgerSQLiteAggregateRecorder:
        recorder = LedgerSQLiteAggregateRecorder(self.datastore, events_table_name="stored_snapshots")
        recorder.create_table()
        return recorder


class TestApplicationRecorderContract(_OnAFile, ApplicationRecorderTestCase[LedgerSQLiteApplicationRecorder]):
    """The event log's recorder."""

    def create_recorder(self) -> LedgerSQLiteApplicationRecorder:
        recorder = LedgerSQLiteApplicationRecorder(self.datastore)
        recorder.create_table()
        return recorder

    # the contract's two timing cases are measurements: they belong to `make bench`, not to the suite
    test_performance = None  # type: ignore[assignment]
    test_concurrent_throughput = None  # type: ignore[assignment]


class TestFactoryContract(InfrastructureFactoryTestCase[LedgerSQLiteFactory]):
    """The factory the ledger names in ``PERSISTENCE_MODULE``."""

    path: ClassVar[str] = ""

    @pytest.fixture(autouse=True)
    def _env(self, tmp_path: Path) -> None:
        env = persistence_environment(f"sqlite:///{tmp_path / 'factory.db'}")
        self.env = Environment("TestCase", env)

    def setUp(self) -> None:  # the fixture above runs first under pytest
        if hasattr(self, "env"):
            super().setUp()

    def expected_factory_class(self) -> type[LedgerSQLiteFactory]:
        return LedgerSQLiteFactory

    def expected_aggregate_recorder_class(self) -> type[LedgerSQLiteAggregateRecorder]:
        return LedgerSQLiteAggregateRecorder

    def expected_application_recorder_class(self) -> type[LedgerSQLiteApplicationRecorder]:
        return LedgerSQLiteApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[SQLiteTrackingRecorder]:
        return SQLiteTrackingRecorder

    def tracking_recorder_subclass(self) -> type[SQLiteTrackingRecorder]:
        class Tracking(SQLiteTrackingRecorder):
            pass

        return Tracking

    def expected_process_recorder_class(self) -> type[SQLiteProcessRecorder]:
        return SQLiteProcessRecorder


# ------------------------------------------------------------------------------------ opening at once


def _open_and_write(url: str) -> None:
    """Open the ledger, record the packaged rates, close."""
    app = open_ledger(url)
    try:
        app.seed_reference_rates()
    finally:
        app.close()


def test_a_new_file_is_made_whole_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "ledger.db"
    prepare_sqlite_file(str(path))
    assert path.exists()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    before = path.stat().st_ino
    prepare_sqlite_file(str(path))  # an existing file is left as it is
    assert path.stat().st_ino == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.db"]


@pytest.mark.parametrize("round_", range(5))
def test_eight_processes_opening_one_new_file_at_once(tmp_path: Path, round_: int) -> None:
    """Eight processes (and in each the library's pool) open the same new file at one moment: every
    one opens it and records, nothing is locked, the log verifies and holds the rates once."""
    url = f"sqlite:///{tmp_path / f'new-{round_}.db'}"
    assert run_in_processes_at_once(_open_and_write, url) == []
    app = open_ledger(url)
    try:
        report = verify_streams(app)
        assert report.ok
        assert app.seed_reference_rates() == 0
    finally:
        app.close()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".new")]


def test_sixteen_threads_opening_one_new_file_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'threads.db'}"
    barrier = threading.Barrier(16)
    errors: list[str] = []
    opened = []

    def run() -> None:
        barrier.wait()
        try:
            opened.append(open_ledger(url))
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(error))

    threads = [threading.Thread(target=run) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in opened:
        app.close()
    assert errors == []
    assert len(opened) == 16
