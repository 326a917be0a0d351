"""The ledger's Merkle log as read back — nhật ký Merkle: what the store holds (the frontier, the leaves)
and what the stored events hash to now, for checkpoints, proofs and ``ledger verify``.

The recorders keep the tree in the events' own transaction (:mod:`ledger.adapters.merkle_tables`);
this module only reads. Nothing it reads is trusted on its own: :func:`log_leaves` recomputes each leaf
from the stored event, and a verifier compares the three — stored leaves, recomputed leaves, the
roots of checkpoints signed earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.adapters.merkle_tables import MerkleTables, restore_frontier, stored_leaf_hash

if TYPE_CHECKING:
    from collections.abc import Iterator

    from domain.merkle import CompactRange
    from ledger.store import LedgerStore

BATCH = 5000


@dataclass(frozen=True)
class LogLeaf:
    """One event of the log, where it stands in the tree, and the hash it has now."""

    position: int
    notification_id: int
    stream_id: UUID
    version: int
    topic: str
    leaf_hash: bytes


def tables_of(ledger: LedgerStore) -> MerkleTables:
    """The Merkle log's tables in the store's dialect."""
    tables: MerkleTables = getattr(ledger.recorder, "merkle")  # noqa: B009 - set by the ledger's recorders
    return tables


def query(ledger: LedgerStore, statement: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of one read of the event store's database."""
    with ledger.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute(statement, args)
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in cursor.fetchall()]


def execute(ledger: LedgerStore, statement: str, args: tuple[Any, ...] = ()) -> None:
    """One write to the event store's database, in its own transaction."""
    with ledger.recorder.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
        cursor.execute(statement, args)


def stored_tree(ledger: LedgerStore) -> CompactRange:
    """The tree as the store's frontier row says: its size and root."""
    tables = tables_of(ledger)
    ((size, packed),) = query(ledger, f"SELECT size, hashes FROM {tables.frontier} WHERE id = 1")  # noqa: S608
    return restore_frontier(int(size), bytes(packed))


def stored_leaves(ledger: LedgerStore, start: int = 0, end: int | None = None) -> list[bytes]:
    """The stored leaf hashes of positions ``start`` … ``end − 1`` (to the end of the tree)."""
    tables, p = tables_of(ledger), tables_of(ledger).placeholder
    stop = end if end is not None else 2**62
    rows = query(
        ledger,
        f"SELECT leaf_hash FROM {tables.leaves} WHERE position >= {p} AND position < {p} ORDER BY position",  # noqa: S608
        (start, stop),
    )
    return [bytes(r[0]) for r in rows]


def stored_leaf_at(ledger: LedgerStore, position: int) -> tuple[UUID, int] | None:
    """The stream and version the store's leaves table records at ``position`` (what was signed)."""
    tables = tables_of(ledger)
    statement = f"SELECT originator_id, originator_version FROM {tables.leaves} WHERE position = "  # noqa: S608
    rows = query(ledger, statement + tables.placeholder, (position,))
    return (UUID(str(rows[0][0])), int(rows[0][1])) if rows else None


def log_leaves(ledger: LedgerStore) -> Iterator[LogLeaf]:
    """Every stored event in the order of the log, with the leaf hash it has *now* (recomputed)."""
    position, start = 0, 1
    while True:
        batch = ledger.recorder.select_notifications(start, BATCH)
        for n in batch:
            stream = n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id))
            event = StoredEvent(stream, n.originator_version, n.topic, n.state)
            yield LogLeaf(position, n.id, stream, n.originator_version, n.topic, stored_leaf_hash(event))
            position += 1
        if len(batch) < BATCH:
            return
        start = batch[-1].id + 1
