"""The PostgreSQL event recorder with a bulk path — ghi hàng loạt bằng COPY.

The library's recorder inserts a transaction's events with ``INSERT … SELECT FROM unnest(%s)`` of an
array of composite values; building and sending that array costs more per event than the database
spends storing it. For a large transaction (a chunk of a province's payment file) this recorder sends
the rows with a binary ``COPY`` instead, under the very same rules as the library's path:

- the table is locked ``EXCLUSIVE`` first, so notification ids are issued in commit order and a reader
  tailing the log never passes over a gap that is filled later (the library's ``_lock_table``);
- the channel is notified in the same transaction (subscriptions wake up as usual);
- the primary key on (originator_id, originator_version) still decides optimistic concurrency: a row
  whose version is taken fails the whole ``COPY`` with a unique violation, which surfaces as the
  library's ``IntegrityError`` and nothing of the transaction is stored;
- the notification ids are returned: under the table lock the sequence hands this transaction
  consecutive values, so they are ``currval - n + 1 … currval``.

Small transactions (an officer's single command) keep the library's path. The library's own recorder
contract tests run against this class with the bulk path forced on (``tests/test_recorders.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from ledger.adapters.merkle_tables import MerkleTables
from ledger.adapters.write_side import WriteSideTables

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.persistence import StoredEvent
    from psycopg import Cursor
    from psycopg.rows import DictRow

    from domain.positions import WriteSide

COPY_TYPES = ["uuid", "int8", "text", "bytea"]


class BulkPostgresApplicationRecorder(PostgresApplicationRecorder):
    """:class:`PostgresApplicationRecorder` that stores large transactions with ``COPY``."""

    #: Transactions of at least this many events take the COPY path.
    copy_threshold: ClassVar[int] = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = Identifier(self.datastore.schema, self.events_table_name)
        self.copy_statement = SQL(
            "COPY {table} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
        ).format(table=table)
        qualified = f"{self.datastore.schema}.{self.events_table_name}"
        self.last_id_statement = SQL(
            "SELECT currval(pg_get_serial_sequence({table}, 'notification_id'))"
        ).format(table=SQL("%s"))
        self._qualified_table = qualified
        self.merkle = MerkleTables.postgres(self.datastore.schema, self.events_table_name)
        self.write_side = WriteSideTables.postgres(self.datastore.schema, self.events_table_name)
        self.sql_create_statements.extend(SQL(s).format() for s in self.merkle.create_statements())
        self.sql_create_statements.extend(SQL(s).format() for s in self.write_side.create_statements())

    def create_table(self) -> None:
        """The tables, then the leaves of a store written before the Merkle log (under the lock)."""
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            self.merkle.backfill(curs)
            self.write_side.backfill(curs)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's last step inside the insert's transaction, once the rows are in (a taken
        version has failed the transaction already, as the library's ``IntegrityError``): the Merkle
        log's leaves and frontier, under the table lock the insert took (positions follow ids), after the
        write side's rows (:mod:`ledger.adapters.write_side`: a key or check they violate fails the
        transaction, surfaced by the frontier's read as the library's ``IntegrityError``)."""
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self.write_side.write(curs, kwargs.get("write_side"))
        if stored_events:
            self.merkle.extend(curs, stored_events)
        return ids

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Store the events of one transaction: by ``COPY`` when there are many, else as the library."""
        ids: Sequence[int] | None
        if len(stored_events) < self.copy_threshold or self.datastore.enable_db_functions:
            ids = super().insert_events(stored_events, **kwargs)
        else:
            ids = self._copy_events(stored_events, kwargs.get("write_side"))
        return ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _copy_events(
        self, stored_events: Sequence[StoredEvent], write_side: WriteSide | None = None
    ) -> Sequence[int]:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)
            self._notify_channel(curs)
            with curs.copy(self.copy_statement) as copy:
                copy.set_types(COPY_TYPES)
                for event in stored_events:
                    originator = event.originator_id
                    copy.write_row(
                        (
                            originator if isinstance(originator, UUID) else UUID(str(originator)),
                            event.originator_version,
                            event.topic,
                            event.state,
                        )
                    )
            curs.execute(self.last_id_statement, (self._qualified_table,))
            row = curs.fetchone()
            self.write_side.write(curs, write_side)
            # the rows are in (a taken version has failed the COPY): the Merkle log, under the lock
            self.merkle.extend(curs, stored_events, copy=True)
        assert row is not None  # noqa: S101 - currval after an insert always answers
        last = int(next(iter(row.values())) if isinstance(row, dict) else row[0])
        return list(range(last - len(stored_events) + 1, last + 1))
