"""The embedded store's opening — mở kho SQLite: a new file is made whole, tables are created waiting.

Two things made ledgers that open a new SQLite file at the same moment (API workers, a CLI beside the
server, eight threads of a test) fail with "database is locked", and neither is cured by retrying:

* the library switches every new connection's file to WAL mode (``PRAGMA journal_mode=WAL``) when it
  finds it in rollback mode; that switch needs the file to itself and, on a file that another
  connection is reading or switching at the same moment, fails at once — SQLite does not wait on the
  busy timeout for it. :func:`prepare_sqlite_file` therefore makes a missing file aside, already in WAL
  mode, and moves it into place with ``link(2)``, which only one process can win: every connection
  then finds a WAL file and never switches.
* the library creates its tables in a deferred transaction (``BEGIN``); the statement that writes the
  schema then has to upgrade a read lock, which WAL refuses at once when another connection wrote in
  between. :class:`LedgerSQLiteFactory`'s recorders create them in ``BEGIN IMMEDIATE``, which takes the
  write lock first and waits for it on the busy timeout like any other write.

``LedgerSQLiteFactory`` is chosen by ``PERSISTENCE_MODULE`` (the library's documented way to name a
factory class); the library's recorder contract tests run against its recorders.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import OperationalError
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteDatastore,
    SQLiteFactory,
)

from ledger.adapters.merkle_tables import MerkleTables
from ledger.adapters.write_side import WriteSideTables

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteCursor
    from eventsourcing.utils import Environment, EnvType


def is_memory_database(path: str) -> bool:
    """``:memory:`` or a ``mode=memory`` URI: nothing on disk to prepare."""
    return not path or ":memory:" in path or "mode=memory" in path


def prepare_sqlite_file(path: str) -> None:
    """Make sure the database file at ``path`` exists in WAL mode, without racing anyone for it.

    A missing file is created beside its final name under a name of its own, switched to WAL (which
    the file header then remembers), and linked into place: exactly one of several processes doing
    this at once succeeds, and the others find its file. An existing file is left as it is.
    """
    if is_memory_database(path) or path.startswith("file:"):
        return
    target = Path(path)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.new")
    try:
        conn = sqlite3.connect(aside, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()
        with contextlib.suppress(FileExistsError):  # another opener made it first: theirs stands
            os.link(aside, target)
    finally:
        for leftover in (aside, Path(f"{aside}-wal"), Path(f"{aside}-shm")):
            leftover.unlink(missing_ok=True)


class _CreateTablesImmediately:
    """Create the recorder's tables in ``BEGIN IMMEDIATE`` (waits for the write lock on the timeout)."""

    datastore: SQLiteDatastore
    if TYPE_CHECKING:  # provided by the library's recorder this is mixed into

        def _create_table(self, c: SQLiteCursor) -> None: ...

    def create_table(self) -> None:
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                self._create_table(cursor)
                conn.commit()
            except sqlite3.OperationalError as error:
                conn.rollback()
                raise OperationalError(error) from error
            except BaseException:
                conn.rollback()
                raise


class LedgerSQLiteAggregateRecorder(_CreateTablesImmediately, SQLiteAggregateRecorder):
    """The library's aggregate recorder (the snapshot table), tables created immediately."""


class LedgerSQLiteApplicationRecorder(_CreateTablesImmediately, SQLiteApplicationRecorder):
    """The library's application recorder (the event log), tables created immediately, and the Merkle
    log (:mod:`ledger.adapters.merkle_tables`) and the write side's tables (:mod:`ledger.adapters.write_side`)
    extended in the same transaction as the events."""

    merkle = MerkleTables.sqlite()
    write_side = WriteSideTables.sqlite()

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            *self.merkle.create_statements(),
            *self.write_side.create_statements(),
        ]

    def create_table(self) -> None:
        """The tables, then the leaves of a store written before the Merkle log (BEGIN IMMEDIATE)."""
        super().create_table()
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                self.merkle.backfill(cursor)
                self.write_side.backfill(cursor)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        self.write_side.write(c, kwargs.get("write_side"))  # payment positions and ids: write_side.py
        if stored_events:
            self.merkle.extend(c, stored_events)
        return ids


class LedgerSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory: the file prepared first, tables created immediately."""

    aggregate_recorder_class = LedgerSQLiteAggregateRecorder
    application_recorder_class = LedgerSQLiteApplicationRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        prepare_sqlite_file(self.datastore.pool.db_name)
