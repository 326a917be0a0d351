"""Loading many streams at once — nạp hàng loạt: one query for a chunk of streams, not one per stream.

The repository loads one aggregate per query; a province-wide import touches tens of thousands. This
reads the stored events of a chunk of streams in one statement (ordered by stream and version), decodes
them with the application's mapper and folds them into aggregates. It only reads: events are written
by the application as usual, so optimistic concurrency is unchanged — a stream that moved on meanwhile
makes the later save fail with ``IntegrityError`` and the caller loads it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.config import parse_database_url
from ledger.sqlstore import ReadStore, open_read_store

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ledger.application import BenefitsLedger

CHUNK = 500


class BulkLoader:
    """Loads aggregates of many streams with one query per chunk."""

    def __init__(self, ledger: BenefitsLedger) -> None:
        if not ledger.database_url:
            msg = "bulk loading needs the ledger's database URL"
            raise ValueError(msg)
        self.ledger = ledger
        loc = parse_database_url(ledger.database_url)
        self.store: ReadStore = open_read_store(ledger.database_url)
        self.sqlite = loc.backend == "sqlite"
        self.table = "stored_events" if self.sqlite else f'"{loc.schema or "public"}"."{ledger.name}_events"'

    def close(self) -> None:
        """Release the connection."""
        self.store.close()

    def load(self, stream_ids: Iterable[UUID]) -> dict[UUID, Any]:
        """The current aggregate of every stream in ``stream_ids`` that exists."""
        wanted = list(dict.fromkeys(stream_ids))
        found: dict[UUID, Any] = {}
        for start in range(0, len(wanted), CHUNK):
            found.update(self._load_chunk(wanted[start : start + CHUNK]))
        return found

    def _load_chunk(self, ids: Sequence[UUID]) -> dict[UUID, Any]:
        if not ids:
            return {}
        columns = "originator_id, originator_version, topic, state"
        with self.store.read() as tx:
            if self.sqlite:
                marks = ", ".join("?" for _ in ids)
                rows = tx.fetchall(
                    f"SELECT {columns} FROM {self.table} WHERE originator_id IN ({marks})"  # noqa: S608
                    " ORDER BY originator_id, originator_version",
                    [i.hex for i in ids],
                )
            else:
                rows = tx.fetchall(
                    f"SELECT {columns} FROM {self.table} WHERE originator_id = ANY(?)"  # noqa: S608
                    " ORDER BY originator_id, originator_version",
                    [list(ids)],
                )
        aggregates: dict[UUID, Any] = {}
        mapper = self.ledger.mapper
        for originator_id, version, topic, state in rows:
            stream = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
            event: Any = mapper.to_domain_event(
                StoredEvent(
                    originator_id=stream, originator_version=int(version), topic=topic, state=bytes(state)
                )
            )
            aggregates[stream] = event.mutate(aggregates.get(stream))
        return aggregates
