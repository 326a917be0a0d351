"""A store written by the code of December 2026 (``tests/fixtures/store-2026-12.db``, made by
``tests/fixtures/make_store.py`` before any module moved) still loads, computes and verifies.

Event classes are stored by topic (``module:qualname``): a class moved without its old topic pinned
would make this store unreadable. It holds every kind of event the ledger records (beneficiaries, rate
schedules and their pending and approved amendments, NCC table editions, claims, users, an issued
roster, a campaign) and snapshots.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from eventsourcing.utils import get_topic, resolve_topic

from domain.beneficiary import Beneficiary
from domain.values import Month
from ledger.application import BenefitsLedger, open_ledger
from ledger.campaigns import campaign
from ledger.integrity import verify_streams
from projections.engine import open_projections
from projections.rosters import RosterScope, build_roster

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-2026-12.db"


def test_the_fixture_store_of_december_2026_loads_computes_and_verifies(tmp_path: Path):
    copy = tmp_path / "store.db"
    shutil.copy(FIXTURE, copy)
    url = f"sqlite:///{copy}"
    ledger = open_ledger(url, clock=lambda: datetime(2025, 1, 6, 9, tzinfo=UTC))
    try:
        before = ledger.recorder.max_notification_id()
        report = verify_streams(ledger)
        assert report.ok, report.first_broken
        assert report.snapshots_checked >= 2
        assert ledger.recorder.max_notification_id() == before  # opening it recorded nothing new
        kinds: Counter[str] = Counter()
        for stream_id in ledger.all_stream_ids():
            kinds[type(ledger.repository.get(stream_id)).__name__] += 1
        assert kinds["Beneficiary"] == 4
        assert {"RateSchedule", "NccTables", "UniqueClaim", "User", "IssuedRoster", "Campaign"} <= set(kinds)
        people = [
            a for s in ledger.all_stream_ids() if isinstance(a := ledger.repository.get(s), Beneficiary)
        ]
        assert {p.full_name for p in people} >= {"Hộ ông Lò Văn Páo", "Trần Thị Bính"}  # a correction kept
        assert campaign(ledger, "TET-2025").summary()["granted"] == 3
        assert ledger.rates().standard("BTXH_STANDARD", Month(2025, 2), "75") == 5_200_000  # approved
        engine = open_projections(ledger, url)
        try:
            engine.rebuild()
            issued = ledger.issued_roster("2024-09", "26041", None)
            assert issued is not None
            again = build_roster(engine, "2024-09", RosterScope("26041", None))
            assert again.content_hash() == issued.content_hash  # the same roster from the same record
        finally:
            engine.store.close()
    finally:
        ledger.close()


def test_the_fixture_holds_every_kind_of_event():
    """Every event class the ledger defines today is in the fixture (a new one: make the fixture again
    only before any module moves, or add a second fixture)."""
    with contextlib.closing(sqlite3.connect(FIXTURE)) as conn:
        topics = {r[0] for r in conn.execute("SELECT DISTINCT topic FROM stored_events")}
        snapshots = conn.execute("SELECT COUNT(*) FROM stored_snapshots").fetchone()[0]
    assert snapshots >= 2
    assert {t.rsplit(".", 1)[-1] for t in topics} >= {
        name
        for name, value in vars(Beneficiary).items()
        if isinstance(value, type) and name[0].isupper() and name not in {"Event", "Created"}
    }


def _fixture_topics() -> tuple[set[str], set[str]]:
    with contextlib.closing(sqlite3.connect(FIXTURE)) as conn:
        events = {r[0] for r in conn.execute("SELECT DISTINCT topic FROM stored_events")}
        snapshots = {r[0] for r in conn.execute("SELECT DISTINCT topic FROM stored_snapshots")}
    return events, snapshots


def test_every_topic_of_the_fixture_resolves_to_a_class_of_today():
    """Every event and snapshot topic stored in the fixture names a class the code defines today (a moved
    class keeps its old topic pinned with ``register_topic``)."""
    events, snapshots = _fixture_topics()
    assert events
    assert snapshots
    for topic in events | snapshots:
        cls = resolve_topic(topic)
        assert isinstance(cls, type), topic
        assert callable(getattr(cls, "mutate", None)), topic  # an event, or a snapshot


def test_the_beneficiary_events_are_still_written_under_their_stored_topics():
    """The beneficiary aggregate is assembled from several modules (domain/dues.py, the *_commands.py
    mixins) but its events stay nested in ``domain.beneficiary:Beneficiary``: a new event is written under
    the very topic the fixture's events carry, and a snapshot under the aggregate's."""
    events, _ = _fixture_topics()
    stored = {t for t in events if t.startswith("domain.beneficiary:")}
    assert len(stored) == 18  # every event class of the aggregate (the test above)
    for topic in stored:
        assert get_topic(resolve_topic(topic)) == topic
    assert get_topic(Beneficiary) == "domain.beneficiary:Beneficiary"


def test_read_models_written_before_the_item_columns_are_rebuilt_when_opened(tmp_path: Path):
    """The fixture's read models were written before ``rm_dues.overdue_kind``/``item_month`` and
    ``rm_payments.after_death`` existed: opening them adds the columns and replays the log, so that every
    row holds what the domain computes, and the issued roster comes out the same without a rebuild."""
    copy = tmp_path / "store.db"
    shutil.copy(FIXTURE, copy)
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        assert "item_month" not in {r[1] for r in conn.execute("PRAGMA table_info(rm_dues)")}
    url = f"sqlite:///{copy}"
    ledger = open_ledger(url, clock=lambda: datetime(2025, 1, 6, 9, tzinfo=UTC))
    try:
        engine = open_projections(ledger, url)
        try:
            with engine.store.read() as tx:
                empty = tx.scalar("SELECT COUNT(*) FROM rm_dues WHERE item_month = '' OR overdue_kind = ''")
                dues = tx.scalar("SELECT COUNT(*) FROM rm_dues")
            assert dues
            assert empty == 0
            issued = ledger.issued_roster("2024-09", "26041", None)
            assert issued is not None
            again = build_roster(engine, "2024-09", RosterScope("26041", None))
            assert again.content_hash() == issued.content_hash
        finally:
            engine.store.close()
    finally:
        ledger.close()


def test_the_application_name_that_prefixes_the_stores_tables_is_pinned() -> None:
    """The library names an ``Application`` subclass after the class unless it says otherwise, and the
    name prefixes the PostgreSQL tables and the settings: splitting the class must not rename them."""
    assert BenefitsLedger.name == "benefits_ledger"
