"""The read models against the log — bảng đọc so với nhật ký: ``ledger verify --read-models``.

Every read model is rebuilt from the event log into a scratch copy (a temporary SQLite file, or a
temporary schema in the same PostgreSQL database, dropped afterwards), both copies are brought to the
same log position, and each table is compared row by row: the first row that differs per table is named
with the columns that differ. A read model is derived, never the record, but reports, rosters and
exception lists are read from it, so a row edited in the database would mislead them.

The projections live above the ledger (``projections/``): the entrance that asks for this check hands
in the live engine and a way to open another engine on a store (:class:`ReadModels`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ledger.adapters.sqlstore import PostgresReadStore, ReadStore, SQLiteReadStore, open_read_store
from ledger.config import parse_database_url
from ledger.integrity_findings import CHECK_FAILED, READ_MODEL, IntegrityReport

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

#: Columns that name the stream a read-model row belongs to, in the order they are looked for.
STREAM_COLUMNS = ("beneficiary_id", "stream_id", "id")


class Projections(Protocol):
    """What the check needs of a projection engine (``projections.engine.ProjectionEngine``)."""

    @property
    def store(self) -> ReadStore: ...
    def position(self) -> int: ...
    def catch_up(self, until: int | None = None) -> int: ...
    def rebuild(self, batch_size: int = ...) -> int: ...


@dataclass
class ReadModels:
    """The live read models, how to open the same projections on another store, and their tables."""

    database_url: str
    live: Projections
    open_on: Callable[[ReadStore], Projections]
    tables: Sequence[str]


@contextlib.contextmanager
def scratch_store(database_url: str) -> Iterator[ReadStore]:
    """An empty read store beside the ledger's: a temporary SQLite file, or a temporary PostgreSQL schema."""
    loc = parse_database_url(database_url)
    if loc.backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ledger-verify-") as folder:
            lite = SQLiteReadStore(str(Path(folder) / "read_models.db"))
            try:
                yield lite
            finally:
                lite.close()
        return
    schema = f"ledger_verify_{uuid.uuid4().hex[:12]}"
    admin = open_read_store(database_url)
    admin.script([f'CREATE SCHEMA "{schema}"'])
    scratch = PostgresReadStore(dataclasses.replace(loc, schema=schema))
    try:
        yield scratch
    finally:
        scratch.close()
        admin.script([f'DROP SCHEMA "{schema}" CASCADE'])
        admin.close()


def check_read_models(models: ReadModels, report: IntegrityReport) -> None:
    """Rebuild every read model into a scratch copy and name the first differing row of each table."""
    with scratch_store(models.database_url) as store:
        fresh = models.open_on(store)
        fresh.rebuild()
        models.live.catch_up(until=fresh.position())
        if models.live.position() > fresh.position():  # the log moved on meanwhile
            fresh.catch_up(until=models.live.position())
        if models.live.position() != fresh.position():
            report.add(
                CHECK_FAILED, None, None,
                f"the read models are at log position {models.live.position()}, the rebuild at "
                f"{fresh.position()}: they cannot be compared",
            )  # fmt: skip
            return
        for table in models.tables:
            _compare(report, table, models.live.store, store)


def _rows(store: ReadStore, table: str, columns: list[str]) -> Counter[tuple[Any, ...]]:
    with store.read() as tx:
        return Counter(tuple(r) for r in tx.fetchall(f"SELECT {', '.join(columns)} FROM {table}"))  # noqa: S608


def _compare(report: IntegrityReport, table: str, live: ReadStore, fresh: ReadStore) -> None:
    columns = sorted(fresh.columns(table))
    missing = sorted(set(columns) - live.columns(table))
    if missing:
        report.add(READ_MODEL, None, None, f"{table}: the read model lacks the columns {', '.join(missing)}")
        return
    have, rebuilt = _rows(live, table, columns), _rows(fresh, table, columns)
    extra = sorted((have - rebuilt).elements(), key=repr)
    lacking = sorted((rebuilt - have).elements(), key=repr)
    if not extra and not lacking:
        return
    count = f" ({len(extra)} rows not in the rebuild, {len(lacking)} rows of the rebuild missing)"
    if extra:
        row = extra[0]
        twin = max(
            lacking, key=lambda other: sum(a == b for a, b in zip(row, other, strict=True)), default=None
        )
        if twin is not None and sum(a == b for a, b in zip(row, twin, strict=True)) * 2 >= len(columns):
            changed = [
                f"{name}={mine!r} where a rebuild from the log gives {theirs!r}"
                for name, mine, theirs in zip(columns, row, twin, strict=True)
                if mine != theirs
            ]
            text = f"{table}: the row {_key(columns, row, twin)} has {'; '.join(changed)}"
        else:
            text = f"{table}: the row {_key(columns, row, row)} is not given by a rebuild from the log"
    else:
        row = lacking[0]
        text = f"{table}: the row {_key(columns, row, row)} that a rebuild from the log gives is missing"
    report.add(READ_MODEL, _stream_of(columns, row), None, text + count)


def _key(columns: list[str], row: tuple[Any, ...], twin: tuple[Any, ...]) -> str:
    """The row by the values it shares with its rebuilt twin (at most six of them)."""
    same = [
        f"{n}={a!r}" for n, a, b in zip(columns, row, twin, strict=True) if a == b and a not in (None, "")
    ]
    same.sort(key=lambda text: not text.partition("=")[0].endswith(("id", "period", "month")))
    return "(" + ", ".join(same[:6]) + (", …" if len(same) > 6 else "") + ")"


def _stream_of(columns: list[str], row: tuple[Any, ...]) -> str | None:
    for name in STREAM_COLUMNS:
        if name in columns:
            value = row[columns.index(name)]
            return None if value is None else str(value)
    return None
