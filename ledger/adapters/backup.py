"""Backups — sao lưu: a consistent copy of the store, taken while the server keeps writing.

* SQLite: SQLite's online backup API copies the whole file in one step under a read transaction, so the
  copy is the store as of one moment (WAL mode lets the writers go on meanwhile); the copy is itself a
  store (``LEDGER_DATABASE_URL=sqlite:///COPY``), checked with ``ledger verify``.
* PostgreSQL: ``pg_dump --format=custom`` (one snapshot transaction, so equally consistent), of the
  ledger's schema only when the URL names one; restored with ``pg_restore --dbname=NEWDB FILE``.

:func:`backup_store` writes the file beside its final name and moves it into place at the end, so a
backup cut short never leaves a half file under the name asked for.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ledger.config import ConfigurationError, parse_database_url


class BackupError(RuntimeError):
    """The copy could not be taken (the tool failed, the disk is full); nothing was left in its place."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote."""

    path: Path
    backend: str
    size_bytes: int
    events: int | None  # events in the copy (SQLite: counted in the copy itself)


def _aside(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.partial")


def backup_store(database_url: str, target: Path) -> BackupReport:
    """A consistent copy of the store at ``database_url`` in ``target`` (replaced if it exists)."""
    loc = parse_database_url(database_url)
    target = target.expanduser().resolve()
    if loc.backend == "sqlite" and Path(loc.sqlite_path).resolve() == target:
        raise ConfigurationError("backup FILE: the copy cannot be the store itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _aside(target)
    try:
        if loc.backend == "sqlite":
            events = _backup_sqlite(loc.sqlite_path, partial)
        else:
            _backup_postgres(database_url, partial)
            events = None
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(target, loc.backend, target.stat().st_size, events)


def _backup_sqlite(source: str, partial: Path) -> int:
    if not Path(source).exists():
        msg = f"LEDGER_DATABASE_URL: there is no store at {source}"
        raise ConfigurationError(msg)
    source_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    with contextlib.closing(source_db) as src, contextlib.closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)  # every page in one step: the store as of one moment
        dst.execute("PRAGMA journal_mode=WAL")  # the copy opens like the store it came from
    with contextlib.closing(sqlite3.connect(f"file:{partial}?mode=ro", uri=True)) as copy:
        row = copy.execute("SELECT count(*) FROM stored_events").fetchone()
    for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    return int(row[0])


def _backup_postgres(database_url: str, partial: Path) -> None:
    loc = parse_database_url(database_url)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        msg = "pg_dump is not installed (Debian: apt-get install postgresql-client)"
        raise BackupError(msg)
    command = [
        pg_dump,
        "--format=custom",
        "--no-owner",
        f"--file={partial}",
        f"--host={loc.host}",
        f"--port={loc.port}",
        f"--username={loc.user}",
        "--no-password",
    ]
    if loc.schema:
        command.append(f"--schema={loc.schema}")
    command.append(loc.dbname)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if loc.password:
        env["PGPASSWORD"] = loc.password  # the child's environment only, never this process's
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        msg = f"pg_dump failed: {done.stderr.strip() or done.returncode}"
        raise BackupError(msg)
