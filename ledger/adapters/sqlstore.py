"""SQL tables beside the event log — bảng SQL cạnh sổ sự kiện: one adapter per backend, one interface.

Read models live in plain SQL tables on the same backend as the event log (the same SQLite file, or the
same PostgreSQL schema), so that a view update and its tracking position commit in one transaction.
SQL is written once with ``?`` placeholders; the PostgreSQL adapter turns them into ``%s``.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import weakref
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql as pg_sql

from ledger.config import StoreLocation, parse_database_url

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

Row = tuple[Any, ...]
UNIQUE_VIOLATIONS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)


class _ThreadEnd:
    """Kept in a thread's local storage beside its connection: freed when the thread ends."""

    __slots__ = ("__weakref__",)


def _forget(conn: Any, registry: list[Any]) -> None:
    # no lock here: a finalizer may run in a thread that holds it; list.remove is atomic under the GIL
    with contextlib.suppress(ValueError):
        registry.remove(conn)
    with contextlib.suppress(Exception):
        conn.close()


def _keep_for_thread(local: threading.local, conn: Any, registry: list[Any], lock: threading.Lock) -> None:
    """Make ``conn`` this thread's connection, closed when the thread ends.

    Web servers run requests in worker threads that come and go (an idle worker exits after a while):
    without this, every new worker would leave one more connection open until the store is closed.
    """
    token = _ThreadEnd()
    local.conn = conn
    local.token = token
    with lock:
        registry.append(conn)
    weakref.finalize(token, _forget, conn, registry)


class Tx(ABC):
    """A transaction on the read store."""

    @abstractmethod
    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""

    @abstractmethod
    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many rows."""

    @abstractmethod
    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query and return every row."""

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows into ``table`` (one ``INSERT`` per row; PostgreSQL sends them by ``COPY``)."""
        if rows:
            marks = ", ".join("?" for _ in columns)
            self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608

    def upsert_rows(
        self, table: str, columns: Sequence[str], key: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows of ``columns`` into ``table``, each replacing the row with the same ``key``
        (one statement per row; PostgreSQL stages them by ``COPY`` and upserts them in one statement)."""
        if rows:
            self.executemany(upsert_statement(table, columns, key), rows)

    def update_rows(
        self, table: str, columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]],
        added: Sequence[str] = (),
    ) -> None:  # fmt: skip
        """Update many rows of ``table`` by ``key``: each row gives the ``columns`` set, the ``added``
        columns added to, then the key (one statement per row; PostgreSQL: staged, one statement)."""
        if rows:
            sets = [f"{c} = ?" for c in columns] + [f"{c} = {c} + ?" for c in added]
            self.executemany(f"UPDATE {table} SET {', '.join(sets)} WHERE {key} = ?", rows)  # noqa: S608

    def delete_rows(self, table: str, key: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Delete the rows of ``table`` whose ``key`` columns are each of ``rows``."""
        if rows:
            where = " AND ".join(f"{c} = ?" for c in key)
            self.executemany(f"DELETE FROM {table} WHERE {where}", rows)  # noqa: S608

    def empty(self, tables: Sequence[str]) -> None:
        """Delete every row of ``tables`` (PostgreSQL truncates them)."""
        for table in tables:
            self.execute(f"DELETE FROM {table}")  # noqa: S608 - the caller's fixed table names

    @abstractmethod
    def secondary_indexes(self, tables: Sequence[str]) -> list[tuple[str, str]]:
        """The indexes of ``tables`` besides their primary keys and unique constraints: (name, the
        statement that creates it) — a bulk load drops them first and creates them after."""

    def fetch_page(self, statement: str, params: Sequence[Any], limit: int) -> tuple[list[Row], bool]:
        """The first ``limit`` rows of ``statement`` (ending in ``LIMIT ?``, given ``limit + 1``), and
        whether more follow them."""
        rows = self.fetchall(statement, (*params, limit + 1))
        return rows[:limit], len(rows) > limit

    def fetchone(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a query and return its first row."""
        rows = self.fetchall(statement, params)
        return rows[0] if rows else None

    def scalar(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or ``None``."""
        row = self.fetchone(statement, params)
        return row[0] if row else None


class ReadStore(ABC):
    """Where the read models are kept."""

    dialect: str

    @abstractmethod
    @contextmanager
    def write(self, *, exclusive: bool = True) -> Iterator[Tx]:
        """A write transaction; ``exclusive`` also takes the store-wide writer lock (one projector)."""

    @abstractmethod
    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read-only transaction (a consistent snapshot)."""

    # each backend keeps one connection per thread in ``_local``, every one of them in ``_all``
    _local: threading.local
    _all: list[Any]
    _lock: threading.Lock

    def close(self) -> None:
        """Release every thread's connection."""
        with self._lock:
            for conn in list(self._all):
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def script(self, statements: Sequence[str]) -> None:
        """Run DDL statements in one transaction."""
        with self.write() as tx:
            for statement in statements:
                tx.execute(statement)

    @abstractmethod
    def columns(self, table: str) -> set[str]:
        """The columns ``table`` has (empty if it does not exist)."""

    def add_missing_columns(self, table: str, columns: dict[str, str]) -> None:
        """Add each ``name: type`` column ``table`` lacks (a store written by an older release); under
        the writer lock, so processes opening at once add it once."""
        if set(columns) <= self.columns(table):
            return
        with self.write() as tx:
            present = self.columns(table)
            for name, kind in columns.items():
                if name not in present:
                    tx.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


# ------------------------------------------------------------------------------------------- SQLite


NUL_REPLACEMENT = "\ufffd"
"""What a read model holds in place of U+0000: the replacement character. PostgreSQL's text cannot hold
NUL at all, SQLite's string functions (``LIKE``, ``instr``) stop at it; the event keeps its bytes, only the
read models (and a lookup by such a value) spell it so — on both backends, so that they answer alike."""


def without_nul(row: Sequence[Any]) -> tuple[Any, ...]:
    """``row`` with U+0000 in its text values replaced by :data:`NUL_REPLACEMENT`: a name recorded with one
    before the boundary refused it must not take the read side down."""
    return tuple(v.replace("\x00", NUL_REPLACEMENT) if type(v) is str and "\x00" in v else v for v in row)


def upsert_statement(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """``INSERT`` of one row of ``table`` that replaces the columns of the row with the same ``key``."""
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608 - fixed names
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


def last_by_key(
    rows: Sequence[Sequence[Any]], at: Sequence[int], summed: Sequence[int] = ()
) -> list[Sequence[Any]]:
    """``rows`` with one row per key (the values at ``at``), the last one given, but for the values at
    ``summed``, which are added up over the key's rows: what one statement per row in order would leave
    (a single set-based statement must not meet a key twice)."""
    found: dict[tuple[Any, ...], Sequence[Any]] = {}
    for row in rows:
        key = tuple(row[i] for i in at)
        before = found.get(key) if summed else None
        if before is not None:
            merged = list(row)
            for i in summed:
                merged[i] = before[i] + row[i]
            row = merged  # noqa: PLW2901 - the merged row replaces the given one
        found[key] = row
    return list(found.values())


class _SQLiteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(statement, without_nul(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(statement, [without_nul(r) for r in rows])

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in self.conn.execute(statement, without_nul(params)).fetchall()]

    def secondary_indexes(self, tables: Sequence[str]) -> list[tuple[str, str]]:
        marks = ", ".join("?" for _ in tables)
        return [
            (str(r[0]), str(r[1]))
            for r in self.fetchall(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"  # noqa: S608
                f" AND tbl_name IN ({marks}) ORDER BY name",
                tables,
            )
        ]


class SQLiteReadStore(ReadStore):
    """Read models in the ledger's SQLite file (WAL mode: readers never block the writer)."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            _keep_for_thread(self._local, conn, self._all, self._lock)
        return conn

    @contextmanager
    def write(self, *, exclusive: bool = True) -> Iterator[Tx]:
        del exclusive  # SQLite has one writer at a time anyway
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SQLiteTx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Tx]:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield _SQLiteTx(conn)
        finally:
            conn.execute("ROLLBACK")

    def columns(self, table: str) -> set[str]:
        """The columns of ``table``, from SQLite's table_info."""
        return {str(row[1]) for row in self._conn().execute(f"PRAGMA table_info({table})").fetchall()}


# --------------------------------------------------------------------------------------- PostgreSQL

_PLACEHOLDER = re.compile(r"\?")
STAGED_ROWS = 50
"""From this many rows on, an upsert, update or delete of many rows is staged by ``COPY`` and run as one
statement; fewer go one statement per row (a temporary table costs more than a few statements)."""


def _pg(statement: str) -> str:
    return _PLACEHOLDER.sub("%s", statement.replace("%", "%%"))


class _PgTx(Tx):
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(_pg(statement), without_nul(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(_pg(statement), [without_nul(r) for r in rows])

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with (
                self.conn.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(without_nul(row))

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in self.conn.execute(_pg(statement), without_nul(params)).fetchall()]

    def _staged(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
        """A temporary table of ``columns`` (typed as ``table``'s, without its constraints) holding
        ``rows``, sent by ``COPY``; dropped at the end of the transaction."""
        self._stages = getattr(self, "_stages", 0) + 1
        stage = f"stage_{self._stages}"
        self.conn.execute(
            f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "  # noqa: S608 - the caller's fixed names
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
        self.insert_rows(stage, columns, rows)
        return stage

    def upsert_rows(
        self, table: str, columns: Sequence[str], key: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if len(rows) < STAGED_ROWS:
            super().upsert_rows(table, columns, key, rows)
            return
        unique = last_by_key(rows, [columns.index(c) for c in key])
        stage = self._staged(table, columns, unique)
        names = ", ".join(columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        self.conn.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} "  # noqa: S608 - fixed names
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )

    def update_rows(
        self, table: str, columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]],
        added: Sequence[str] = (),
    ) -> None:  # fmt: skip
        if len(rows) < STAGED_ROWS:
            super().update_rows(table, columns, key, rows, added)
            return
        width = len(columns) + len(added)
        rows = last_by_key(rows, [width], summed=range(len(columns), width))
        stage = self._staged(table, [*columns, *added, key], rows)
        sets = [f"{c} = s.{c}" for c in columns] + [f"{c} = t.{c} + s.{c}" for c in added]
        self.conn.execute(
            f"UPDATE {table} AS t SET {', '.join(sets)} FROM {stage} AS s WHERE t.{key} = s.{key}"  # noqa: S608
        )

    def delete_rows(self, table: str, key: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if len(rows) < STAGED_ROWS:
            super().delete_rows(table, key, rows)
            return
        stage = self._staged(table, key, rows)
        where = " AND ".join(f"t.{c} = s.{c}" for c in key)
        self.conn.execute(f"DELETE FROM {table} AS t USING {stage} AS s WHERE {where}")  # noqa: S608

    def empty(self, tables: Sequence[str]) -> None:
        self.execute(f"TRUNCATE {', '.join(tables)}")

    def secondary_indexes(self, tables: Sequence[str]) -> list[tuple[str, str]]:
        return [
            (str(r[0]), str(r[1]))
            for r in self.fetchall(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE n.nspname = current_schema() AND t.relname = ANY(?)"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
                " ORDER BY i.relname",
                (list(tables),),
            )
        ]


class PostgresReadStore(ReadStore):
    """Read models in the ledger's PostgreSQL database and schema."""

    dialect = "postgres"
    LOCK_KEY = 7_512_904_113  # advisory lock: one projection writer at a time

    def __init__(self, loc: StoreLocation) -> None:
        self.loc = loc
        self._local = threading.local()
        self._all: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()

    def _conn(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(
                host=self.loc.host,
                port=self.loc.port,
                user=self.loc.user,
                password=self.loc.password or None,
                dbname=self.loc.dbname,
                autocommit=False,
            )
            if self.loc.schema:
                conn.execute(pg_sql.SQL("SET search_path TO {}").format(pg_sql.Identifier(self.loc.schema)))
                conn.commit()
            _keep_for_thread(self._local, conn, self._all, self._lock)
        return conn

    @contextmanager
    def write(self, *, exclusive: bool = True) -> Iterator[Tx]:
        conn = self._conn()
        try:
            if exclusive:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.LOCK_KEY,))
            yield _PgTx(conn)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        conn = self._conn()
        try:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield _PgTx(conn)
        finally:
            conn.rollback()

    def columns(self, table: str) -> set[str]:
        """The columns of ``table`` in the store's schema (inside a transaction, or in one of its own)."""
        conn = self._conn()
        idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = %s AND table_schema = current_schema()",
            (table,),
        ).fetchall()
        if idle:
            conn.rollback()
        return {str(row[0]) for row in rows}


def open_read_store(database_url: str) -> ReadStore:
    """The read store beside the event log named by ``database_url``."""
    loc = parse_database_url(database_url)
    if loc.backend == "sqlite":
        return SQLiteReadStore(loc.sqlite_path)
    return PostgresReadStore(loc)
