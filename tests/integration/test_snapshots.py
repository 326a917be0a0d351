"""Beneficiary snapshots: a cache that never changes what the rules see.

On both backends: a bulk load from snapshots equals a replay of the events; a stale snapshot is
completed with the later events; a snapshot whose head hash disagrees with the stored event is
ignored (the stream is replayed); one whose content was altered is named by ``ledger verify``; an
import from snapshots records exactly what an import without them records.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from domain.beneficiary import Beneficiary
from domain.indexes import index_id
from domain.snapshots import BeneficiarySnapshot
from ledger.application import BenefitsLedger, open_ledger
from ledger.bulk import BulkLoader
from ledger.demo import generate_province
from ledger.imports import import_payments
from ledger.integrity import verify_streams

if TYPE_CHECKING:
    from uuid import UUID

TODAY = date(2025, 6, 16)


def replay(ledger: BenefitsLedger, stream: UUID) -> Any:
    agg = None
    for event in ledger.events.get(stream):
        agg = event.mutate(agg)
    return agg


def state(agg: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(agg).items() if not k.startswith("_pending")}  # events and their dues


@pytest.fixture
def province(database_url: str) -> BenefitsLedger:
    ledger = open_ledger(
        database_url, clock=lambda: datetime(2025, 6, 16, 2, tzinfo=UTC), seed_reference=False
    )
    generate_province(ledger, beneficiaries=12, today=TODAY, batch_size=5)
    return ledger


def snapshot_rows(ledger: BenefitsLedger) -> dict[UUID, int]:
    loader = BulkLoader(ledger)
    try:
        return {k: v.originator_version for k, v in loader._snapshots(loader.beneficiary_ids()).items()}
    finally:
        loader.close()


def forge(ledger: BenefitsLedger, stream: UUID, **changes: Any) -> None:
    """Replace the stream's snapshot by one with ``changes`` to its state (as someone with database
    access could)."""
    loader = BulkLoader(ledger)
    try:
        snapshot = loader._snapshots([stream])[stream]
        with loader.store.write(exclusive=False) as tx:
            key = stream.hex if loader.sqlite else stream
            tx.execute(f"DELETE FROM {loader.snapshot_table} WHERE originator_id = ?", [key])  # noqa: S608
    finally:
        loader.close()
    assert ledger.snapshots is not None
    ledger.snapshots.put([dataclasses.replace(snapshot, state={**snapshot.state, **changes})])


def test_the_generator_leaves_a_snapshot_per_beneficiary_and_loads_equal_replays(province):
    loader = BulkLoader(province)
    ids = loader.beneficiary_ids()
    assert len(ids) == 12
    assert set(snapshot_rows(province)) == set(ids)
    loaded = loader.load(ids)
    loader.close()
    for stream in ids:
        assert state(loaded[stream]) == state(replay(province, stream))
        assert loader.snapshot_versions[stream] == loaded[stream].version
    assert loader.rejected_snapshots == 0
    report = verify_streams(province)
    assert report.ok
    assert report.snapshots_checked == 12


def test_a_stale_snapshot_is_completed_with_the_later_events(province):
    stream = next(iter(snapshot_rows(province)))
    before = province.beneficiary(stream).version
    province.correct_details("officer", stream, {"full_name": "Nguyễn Thị Đổi Tên"}, reason="sai chính tả")
    loader = BulkLoader(province)
    agg = loader.load([stream])[stream]
    loader.close()
    assert agg.version == before + 1
    assert agg.full_name == "Nguyễn Thị Đổi Tên"
    assert state(agg) == state(replay(province, stream))
    assert loader.snapshot_versions[stream] == before


def test_a_snapshot_that_disagrees_with_the_stored_head_hash_is_ignored(province):
    stream = next(iter(snapshot_rows(province)))
    forge(province, stream, chain_head="0" * 64, recovered=999_999)
    loader = BulkLoader(province)
    agg = loader.load([stream])[stream]
    loader.close()
    assert loader.rejected_snapshots == 1
    assert agg.recovered == replay(province, stream).recovered
    assert state(agg) == state(replay(province, stream))


def test_a_snapshot_with_altered_content_is_named_by_verify(province):
    stream = next(iter(snapshot_rows(province)))
    forge(province, stream, recovered=999_999)
    report = verify_streams(province)
    assert not report.ok
    assert report.first_broken is not None
    assert report.first_broken.stream_id == str(stream)
    assert report.first_broken.event_type == "BeneficiarySnapshot"
    assert "disagrees" in report.first_broken.problem


def test_save_snapshots_refreshes_only_lagging_streams_and_keeps_one_per_stream(province):
    loader = BulkLoader(province)
    ids = loader.beneficiary_ids()
    aggregates = loader.load(ids)
    assert loader.save_snapshots(aggregates.values()) == 0  # fresh from the generator
    stream = ids[0]
    for n in range(3):
        province.correct_details("officer", stream, {"full_name": f"Tên Mới {n}"}, reason="sai tên")
    again = loader.load([stream])
    assert loader.save_snapshots(again.values(), lag=3) == 1
    loader.close()
    assert snapshot_rows(province)[stream] == again[stream].version
    assert verify_streams(province).snapshots_checked == 12


def test_an_import_from_snapshots_records_what_an_import_from_events_records(database_url, tmp_path):
    """Two identical provinces; one loses its snapshots; the same file; the same streams after."""
    results = []
    for keep in (True, False):
        # the twin without snapshots lives in a SQLite file beside the test's store
        url = database_url if keep else f"sqlite:///{tmp_path / 'twin.db'}"
        ledger = open_ledger(url, clock=lambda: datetime(2025, 6, 16, 2, tzinfo=UTC), seed_reference=False)
        generate_province(ledger, beneficiaries=12, today=TODAY, batch_size=5)
        loader = BulkLoader(ledger)
        if not keep:
            with loader.store.write(exclusive=False) as tx:
                tx.execute(f"DELETE FROM {loader.snapshot_table}")  # noqa: S608
        ids = loader.beneficiary_ids()
        lines = []
        for stream, agg in sorted(loader.load(ids).items()):
            assert isinstance(agg, Beneficiary)
            for ent in agg.entitlements.values():
                item = agg.due_item(ent.entitlement_id, "2025-06", ledger.rates())
                if item.outstanding and agg.citizen_id:
                    lines.append((agg.citizen_id, ent.scheme_code, item.outstanding, stream))
        loader.close()
        header = "payment_id,citizen_id,scheme,period,amount,paid_on,status,reference\n"
        body = "".join(
            f"SNAP-{n},{c},{s},2025-06,{a},2025-06-15,paid,R{n}\n" for n, (c, s, a, _) in enumerate(lines)
        )
        report = import_payments(ledger, (header + body).encode(), "june.csv", actor="import")
        assert report.committed, report.errors
        results.append(
            (
                report.recorded,
                report.events,
                {str(s): state(replay(ledger, s))["_version"] for *_, s in lines},
            )
        )
        assert verify_streams(ledger).ok
        ledger.close()
    assert results[0] == results[1]
    assert results[0][0] > 0


def test_snapshots_are_not_taken_of_other_streams(province):
    agg = next(a for a in (province.beneficiary(i) for i in snapshot_rows(province)) if a.citizen_id)
    claim = province.repository.get(index_id("citizen_id", agg.citizen_id))
    with pytest.raises(TypeError):
        BeneficiarySnapshot.take(claim)
