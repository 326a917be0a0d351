"""The bulk (COPY) event recorder keeps the library's recorder contract.

``eventsourcing.tests.persistence.ApplicationRecorderTestCase`` is the library's own contract: inserts
and selects, optimistic concurrency (a taken version is an ``IntegrityError`` and stores nothing),
notification ids contiguous and in commit order under concurrent writers, subscriptions. It runs here
against :class:`BulkPostgresApplicationRecorder` with the COPY path forced on for every transaction,
and once more with the library's threshold, on a fresh PostgreSQL schema each test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from ledger.adapters.recorders import BulkPostgresApplicationRecorder
from ledger.config import parse_database_url

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.postgres


class CopyAlways(BulkPostgresApplicationRecorder):
    """Every transaction takes the COPY path."""

    copy_threshold: ClassVar[int] = 1


class _Contract(ApplicationRecorderTestCase[BulkPostgresApplicationRecorder]):
    __test__ = False
    recorder_class: ClassVar[type[BulkPostgresApplicationRecorder]] = CopyAlways
    datastore: PostgresDatastore

    @pytest.fixture(autouse=True)
    def _datastore(self, postgres_url: str) -> Iterator[None]:
        loc = parse_database_url(postgres_url)
        self.datastore = PostgresDatastore(
            dbname=loc.dbname, host=loc.host, port=loc.port, user=loc.user, password=loc.password,
            schema=loc.schema or "public", pool_size=4, max_overflow=4,
        )  # fmt: skip
        yield
        self.datastore.close()

    def create_recorder(self) -> BulkPostgresApplicationRecorder:
        recorder = self.recorder_class(self.datastore, events_table_name="stored_events")
        recorder.create_table()
        return recorder

    # the contract's two timing cases are measurements: they belong to `make bench`, not to the suite
    test_performance = None  # type: ignore[assignment]
    test_concurrent_throughput = None  # type: ignore[assignment]


class TestCopyPathContract(_Contract):
    """The library's contract, every insert by COPY."""

    __test__ = True

    def test_a_taken_version_fails_the_whole_copy(self) -> None:
        recorder = self.create_recorder()
        first, second = uuid4(), uuid4()
        recorder.insert_events([StoredEvent(first, 1, "topic", b"state")])
        batch = [StoredEvent(second, 1, "topic", b"a"), StoredEvent(first, 1, "topic", b"b")]
        with pytest.raises(IntegrityError):
            recorder.insert_events(batch)
        assert recorder.select_events(second) == []
        assert [e.state for e in recorder.select_events(first)] == [b"state"]
        ids = recorder.insert_events(
            [StoredEvent(second, 1, "topic", b"a"), StoredEvent(second, 2, "t", b"c")]
        )
        assert ids is not None
        assert [n.id for n in recorder.select_notifications(start=None, limit=10)][-2:] == list(ids)


class TestLibraryPathContract(_Contract):
    """The same contract with the shipped threshold (small transactions by the library's INSERT)."""

    __test__ = True
    recorder_class = BulkPostgresApplicationRecorder


class TestNonInterleavingNotificationIds(NonInterleavingNotificationIDsBaseCase):
    """Two writers of 1,000 events each at once, both by COPY: each one's notification ids are one run,
    never interleaved with the other's (the table lock orders them)."""

    datastore: PostgresDatastore
    _datastore = _Contract._datastore

    def create_recorder(self) -> BulkPostgresApplicationRecorder:
        recorder = BulkPostgresApplicationRecorder(self.datastore, events_table_name="stored_events")
        recorder.create_table()
        return recorder
