"""Tampering with a store behind the ledger's back — for the integrity tests: read, overwrite, relabel or
delete one stored event directly in SQLite or PostgreSQL, and count what is stored."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from ledger.config import parse_database_url

if TYPE_CHECKING:
    from uuid import UUID


def _is_sqlite(url: str) -> bool:
    return parse_database_url(url).backend == "sqlite"


def _pg(url: str) -> tuple[psycopg.Connection[Any], sql.Composed]:
    loc = parse_database_url(url)
    conn = psycopg.connect(
        host=loc.host,
        port=loc.port,
        user=loc.user,
        password=loc.password or None,
        dbname=loc.dbname,
        autocommit=True,
    )
    return conn, sql.SQL("{}").format(sql.Identifier(loc.schema, "benefits_ledger_events"))


def _sqlite(url: str) -> sqlite3.Connection:
    return sqlite3.connect(parse_database_url(url).sqlite_path, timeout=30)


def read_row(url: str, stream: UUID, version: int) -> tuple[str, dict[str, Any]]:
    """``(topic, state)`` of one stored event."""
    if _is_sqlite(url):
        with _sqlite(url) as conn:
            row = conn.execute(
                "SELECT topic, state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
                (stream.hex, version),
            ).fetchone()
    else:
        conn, table = _pg(url)
        with conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT topic, state FROM {} WHERE originator_id = %s AND originator_version = %s"
                ).format(table),
                (stream, version),
            ).fetchone()
    assert row is not None, f"no stored event {stream} v{version}"
    return row[0], json.loads(bytes(row[1]))


def write_state(url: str, stream: UUID, version: int, state: dict[str, Any] | bytes) -> None:
    """Overwrite one stored event's state."""
    data = state if isinstance(state, bytes) else json.dumps(state, ensure_ascii=False).encode()
    if _is_sqlite(url):
        with _sqlite(url) as conn:
            changed = conn.execute(
                "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
                (data, stream.hex, version),
            ).rowcount
    else:
        conn, table = _pg(url)
        with conn:
            changed = conn.execute(
                sql.SQL(
                    "UPDATE {} SET state = %s WHERE originator_id = %s AND originator_version = %s"
                ).format(table),
                (data, stream, version),
            ).rowcount
    assert changed == 1


def write_topic(url: str, stream: UUID, version: int, topic: str) -> None:
    """Relabel one stored event as another type."""
    if _is_sqlite(url):
        with _sqlite(url) as conn:
            changed = conn.execute(
                "UPDATE stored_events SET topic = ? WHERE originator_id = ? AND originator_version = ?",
                (topic, stream.hex, version),
            ).rowcount
    else:
        conn, table = _pg(url)
        with conn:
            changed = conn.execute(
                sql.SQL(
                    "UPDATE {} SET topic = %s WHERE originator_id = %s AND originator_version = %s"
                ).format(table),
                (topic, stream, version),
            ).rowcount
    assert changed == 1


def delete_event(url: str, stream: UUID, version: int) -> None:
    """Remove one stored event."""
    if _is_sqlite(url):
        with _sqlite(url) as conn:
            changed = conn.execute(
                "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
                (stream.hex, version),
            ).rowcount
    else:
        conn, table = _pg(url)
        with conn:
            changed = conn.execute(
                sql.SQL("DELETE FROM {} WHERE originator_id = %s AND originator_version = %s").format(table),
                (stream, version),
            ).rowcount
    assert changed == 1


def count_rows(url: str) -> tuple[int, int]:
    """``(events, streams)`` as the database itself counts them."""
    query = "SELECT count(*), count(DISTINCT originator_id) FROM {}"
    if _is_sqlite(url):
        with _sqlite(url) as conn:
            row = conn.execute(query.format("stored_events")).fetchone()
    else:
        conn, table = _pg(url)
        with conn:
            row = conn.execute(sql.SQL(query).format(table)).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
