"""Tampering with a store behind the ledger's back — for the integrity tests: read, overwrite, relabel or
delete one stored event directly in SQLite or PostgreSQL, and count what is stored; and any statement on
the other tables (snapshots, Merkle leaves, documents, read models) with :func:`execute`."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from ledger.config import parse_database_url

if TYPE_CHECKING:
    from uuid import UUID


#: The tables by what they hold: (SQLite name, PostgreSQL name in the store's schema); any other name
#: (a read model, ``rm_dues``) is the same on both.
TABLES = {
    "events": ("stored_events", "benefits_ledger_events"),
    "snapshots": ("stored_snapshots", "benefits_ledger_snapshots"),
    "leaves": ("merkle_leaves", "benefits_ledger_events_merkle_leaves"),
    "frontier": ("merkle_frontier", "benefits_ledger_events_merkle_frontier"),
    "documents": ("ledger_documents", "ledger_documents"),
    "payment_ids": ("payment_ids", "benefits_ledger_events_payment_ids"),
    "payment_positions": ("payment_positions", "benefits_ledger_events_payment_positions"),
    "beneficiary_terms": ("beneficiary_terms", "benefits_ledger_events_beneficiary_terms"),
}


def execute(
    url: str, what: str, statement: str, args: tuple[Any, ...] = ()
) -> tuple[int, tuple[Any, ...] | None]:
    """Run one statement on the table ``what`` (a key of :data:`TABLES`, or a read model's name) of
    either backend, in its own transaction: ``{table}`` names the table, ``?`` the parameters (a stream
    id as the backend stores it). Returns the rows changed and the first row read."""
    return _execute(url, statement, args, what)


def _execute(
    url: str, statement: str, args: tuple[Any, ...] = (), what: str = "events"
) -> tuple[int, tuple[Any, ...] | None]:
    """Run one statement on the stored events (or the table ``what``) of either backend."""
    lite_name, pg_name = TABLES.get(what, (what, what))
    loc = parse_database_url(url)
    if loc.backend == "sqlite":
        args = tuple(a.hex if isinstance(a, uuid.UUID) else a for a in args)
        with sqlite3.connect(loc.sqlite_path, timeout=30) as lite:
            cursor = lite.execute(statement.format(table=lite_name), args)
            return cursor.rowcount, cursor.fetchone()
    conn = psycopg.connect(
        host=loc.host, port=loc.port, user=loc.user, password=loc.password or None, dbname=loc.dbname,
        autocommit=True,
    )  # fmt: skip
    table = sql.Identifier(loc.schema, pg_name)
    with conn:
        query = sql.SQL(statement.replace("?", "%s").replace("{table}", "{}")).format(table)
        cur = conn.execute(query, args)
        return cur.rowcount, (cur.fetchone() if cur.description else None)


def read_row(url: str, stream: UUID, version: int) -> tuple[str, dict[str, Any]]:
    """``(topic, state)`` of one stored event."""
    _, row = _execute(
        url,
        "SELECT topic, state FROM {table} WHERE originator_id = ? AND originator_version = ?",
        (stream, version),
    )
    assert row is not None, f"no stored event {stream} v{version}"
    return row[0], json.loads(bytes(row[1]))


def write_state(url: str, stream: UUID, version: int, state: dict[str, Any] | bytes) -> None:
    """Overwrite one stored event's state."""
    data = state if isinstance(state, bytes) else json.dumps(state, ensure_ascii=False).encode()
    changed, _ = _execute(
        url,
        "UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        (data, stream, version),
    )
    assert changed == 1


def write_topic(url: str, stream: UUID, version: int, topic: str) -> None:
    """Relabel one stored event as another type."""
    changed, _ = _execute(
        url,
        "UPDATE {table} SET topic = ? WHERE originator_id = ? AND originator_version = ?",
        (topic, stream, version),
    )
    assert changed == 1


def delete_event(url: str, stream: UUID, version: int) -> None:
    """Remove one stored event."""
    changed, _ = _execute(
        url, "DELETE FROM {table} WHERE originator_id = ? AND originator_version = ?", (stream, version)
    )
    assert changed == 1


def count_rows(url: str) -> tuple[int, int]:
    """``(events, streams)`` as the database itself counts them."""
    _, row = _execute(url, "SELECT count(*), count(DISTINCT originator_id) FROM {table}")
    assert row is not None
    return int(row[0]), int(row[1])


def delete_stream(url: str, stream: UUID) -> int:
    """Remove every stored event of a stream; how many there were."""
    changed, _ = _execute(url, "DELETE FROM {table} WHERE originator_id = ?", (stream,))
    return changed


def read_snapshot(url: str, stream: UUID) -> tuple[int, dict[str, Any]]:
    """``(version, stored JSON)`` of a stream's latest snapshot."""
    _, row = execute(
        url, "snapshots",
        "SELECT originator_version, state FROM {table} WHERE originator_id = ?"
        " ORDER BY originator_version DESC",
        (stream,),
    )  # fmt: skip
    assert row is not None, f"no snapshot of {stream}"
    return int(row[0]), json.loads(bytes(row[1]))


def write_snapshot(url: str, stream: UUID, version: int, stored: dict[str, Any]) -> None:
    """Overwrite the stored JSON of a stream's snapshot at ``version``."""
    changed, _ = execute(
        url, "snapshots", "UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        (json.dumps(stored, ensure_ascii=False).encode(), stream, version),
    )  # fmt: skip
    assert changed == 1
