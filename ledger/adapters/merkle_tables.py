"""The Merkle log's tables — bảng cây Merkle: one leaf per stored event, the tree's right edge, kept in
the same transaction as the events, on SQLite and PostgreSQL alike.

* ``merkle_leaves`` — position (0, 1, 2, … in the order of the event log), the event's stream id and
  version, and its leaf hash (RFC 9162: SHA-256(0x00 ‖ :func:`domain.evidence.event_leaf_data`)).
* ``merkle_checkpoints`` — the signed checkpoints taken (:mod:`ledger.checkpoints`), one per size.
* ``merkle_frontier`` — one row: the tree size, its root and the compact range (the O(log n) hashes of
  its right edge, :class:`domain.merkle.CompactRange`), so an append costs O(log n) hashes, never a
  rescan.

The recorders (:mod:`ledger.adapters.sqlite_store`, :mod:`ledger.adapters.recorders`) call
:meth:`MerkleTables.extend` inside their insert transaction, after the writers' lock is held (SQLite's
single writer, PostgreSQL's ``EXCLUSIVE`` lock on the events table), so positions follow the order of
notification ids and a rolled-back transaction leaves no leaf behind. Nothing here is trusted by
``ledger verify``: it recomputes every leaf from the stored events and compares them with these rows and
with the signed checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.evidence import event_leaf_data
from domain.merkle import CompactRange, leaf_hash

if TYPE_CHECKING:
    from collections.abc import Sequence

HASH = 32


def stored_leaf_hash(event: StoredEvent) -> bytes:
    """The leaf hash of one stored event."""
    originator = event.originator_id
    stream = originator if isinstance(originator, UUID) else UUID(str(originator))
    state = event.state
    # a row edited behind the ledger's back may hold text where bytes were stored: hashed as its UTF-8
    data = state.encode() if isinstance(state, str) else bytes(state)
    return leaf_hash(event_leaf_data(stream, int(event.originator_version), str(event.topic), data))


def frontier_bytes(tree: CompactRange) -> bytes:
    """The compact range's hashes, left to right, as one value."""
    return b"".join(tree.hashes)


def restore_frontier(size: int, packed: bytes) -> CompactRange:
    """The compact range of a tree of ``size`` leaves from its stored hashes."""
    hashes = [bytes(packed[i : i + HASH]) for i in range(0, len(packed), HASH)]
    return CompactRange.restore(size, hashes)


@dataclass(frozen=True)
class MerkleTables:
    """The two tables in one backend's dialect: ``?`` (SQLite) or ``%s`` (PostgreSQL) placeholders,
    stream ids stored as the events table stores them (hex text, or ``uuid``)."""

    leaves: str
    frontier: str
    checkpoints: str
    events: str
    id_column: str
    placeholder: str
    uuid_as_hex: bool

    @classmethod
    def sqlite(cls) -> MerkleTables:
        return cls(
            "merkle_leaves", "merkle_frontier", "merkle_checkpoints", "stored_events", "rowid", "?",
            uuid_as_hex=True,
        )  # fmt: skip

    @classmethod
    def postgres(cls, schema: str, events_table: str) -> MerkleTables:
        name = f'"{schema}"."{events_table}'
        return cls(
            f'{name}_merkle_leaves"', f'{name}_merkle_frontier"', f'{name}_merkle_checkpoints"', f'{name}"',
            "notification_id", "%s",
            uuid_as_hex=False,
        )  # fmt: skip

    def create_statements(self) -> list[str]:
        """The tables, and the frontier's one row for the empty tree."""
        sqlite = self.uuid_as_hex
        blob, integer, stream = ("BLOB", "INTEGER", "TEXT") if sqlite else ("bytea", "bigint", "uuid")
        empty = "x''" if sqlite else "''::bytea"
        leaves = (
            f"CREATE TABLE IF NOT EXISTS {self.leaves} (position {integer} PRIMARY KEY, "
            f"originator_id {stream} NOT NULL, originator_version {integer} NOT NULL, "
            f"leaf_hash {blob} NOT NULL, UNIQUE (originator_id, originator_version))"
        )
        frontier = (
            f"CREATE TABLE IF NOT EXISTS {self.frontier} (id {integer} PRIMARY KEY CHECK (id = 1), "
            f"size {integer} NOT NULL, hashes {blob} NOT NULL)"
        )
        first = (
            f"INSERT INTO {self.frontier} (id, size, hashes) VALUES (1, 0, {empty}) ON CONFLICT DO NOTHING"  # noqa: S608
        )
        checkpoints = (
            f"CREATE TABLE IF NOT EXISTS {self.checkpoints} (size {integer} PRIMARY KEY, "
            "signed_at TEXT NOT NULL, note TEXT NOT NULL)"
        )
        return [leaves, frontier, first, checkpoints]

    def extend(self, cursor: Any, events: Sequence[StoredEvent], *, copy: bool = False) -> CompactRange:
        """Append the leaves of ``events`` (in the order they are stored) and move the frontier, on
        ``cursor`` — inside the transaction that stores the events, under the writers' lock;
        ``copy``: the leaves by ``COPY`` (PostgreSQL, not in a pipeline)."""
        p = self.placeholder
        cursor.execute(f"SELECT size, hashes FROM {self.frontier} WHERE id = 1")  # noqa: S608 - table names are ours
        row = cursor.fetchone()
        size, packed = (row["size"], row["hashes"]) if isinstance(row, dict) else (row[0], row[1])
        tree = restore_frontier(int(size), bytes(packed))
        start = tree.size
        hashes = [stored_leaf_hash(e) for e in events]
        tree.extend(hashes)
        rows = [
            (start + i, self._stream(e.originator_id), e.originator_version, h)
            for i, (e, h) in enumerate(zip(events, hashes, strict=True))
        ]
        columns = "(position, originator_id, originator_version, leaf_hash)"
        if copy:  # PostgreSQL's bulk path, outside a pipeline: the leaves by binary COPY as the events
            with cursor.copy(f"COPY {self.leaves} {columns} FROM STDIN (FORMAT BINARY)") as out:
                out.set_types(["int8", "uuid", "int8", "bytea"])
                for row in rows:
                    out.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {self.leaves} {columns} VALUES ({p}, {p}, {p}, {p})", rows)  # noqa: S608
        cursor.execute(
            f"UPDATE {self.frontier} SET size = {p}, hashes = {p} WHERE id = 1",  # noqa: S608
            (tree.size, frontier_bytes(tree)),
        )
        return tree

    def backfill(self, cursor: Any, batch: int = 5000) -> int:
        """A store written before the Merkle log (an older release): the leaves of every stored event,
        in the order of the log, under the writers' lock; nothing when the tree has leaves already
        (a tree shorter than the log is then for ``ledger verify`` to name, never to paper over)."""
        cursor.execute(f"SELECT size FROM {self.frontier} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
        if int(row["size"] if isinstance(row, dict) else row[0]):
            return 0
        last, added = 0, 0
        while True:
            cursor.execute(
                f"SELECT {self.id_column}, originator_id, originator_version, topic, state "  # noqa: S608
                f"FROM {self.events} WHERE {self.id_column} > {self.placeholder} "
                f"ORDER BY {self.id_column} LIMIT {batch:d}",
                (last,),
            )
            rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in cursor.fetchall()]
            if not rows:
                return added
            events = [StoredEvent(UUID(str(r[1])), int(r[2]), str(r[3]), bytes(r[4])) for r in rows]
            self.extend(cursor, events)
            added += len(events)
            last = int(rows[-1][0])

    def _stream(self, originator: object) -> Any:
        stream = originator if isinstance(originator, UUID) else UUID(str(originator))
        return stream.hex if self.uuid_as_hex else stream
