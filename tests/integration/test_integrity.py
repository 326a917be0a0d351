"""Tampering with the stored record is found — kiểm tra toàn vẹn khi dữ liệu bị sửa trực tiếp.

A small history is recorded, then the database is edited behind the ledger's back, the way someone with
access to the SQLite file or the PostgreSQL server could: an amount changed, an amount changed together
with its recorded hash, an event deleted, two events swapped, a claim redirected, bytes that are no
longer an event. ``verify_streams`` names the stream, the version and what is wrong; an untouched store
verifies with exact counts. Runs on SQLite (table ``stored_events``, ids as 32 hex digits, ``state``
BLOB of JSON) and PostgreSQL (table ``<schema>.benefits_ledger_events``, ``state`` bytea).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from eventsourcing.persistence import StoredEvent

from domain.beneficiary import Beneficiary
from domain.events import event_content_hash
from domain.rates import rate_schedule_id
from ledger.application import BenefitsLedger, open_ledger
from ledger.integrity import verify_stream, verify_streams
from tests.tampering import count_rows, delete_event, execute, read_row, write_state, write_topic

if TYPE_CHECKING:
    from uuid import UUID

COMMUNE = "26041"
NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
BASIS = {"decision_no": "21/QĐ-UBND", "decision_date": "2024-07-01", "issuer": "UBND phường Trấn Biên"}
RATE_EVENTS = 11  # BTXH_STANDARD: opened + 2; NCC_STANDARD: opened + 3; NCC tables: opened + 3 editions
RATE_STREAMS = 3


# ------------------------------------------------------------------------------------ the history


@dataclass
class History:
    """A store with two beneficiaries: Lan (registered, granted, paid July–September, one reversal,
    paid again) and Minh (registered, granted, paid July)."""

    url: str
    app: BenefitsLedger
    lan: UUID
    minh: UUID
    payment_ids: list[str]

    def version_of(self, stream: UUID, event_type: type[Any], nth: int = 0) -> int:
        """The version of the ``nth`` event of ``event_type`` in ``stream``."""
        events = [e for e in self.app.stream_events(stream) if isinstance(e, event_type)]
        return events[nth].originator_version


@pytest.fixture
def history(database_url: str) -> Any:
    app = open_ledger(database_url, clock=lambda: NOW)
    try:
        app.seed_reference_rates()
        paid: list[str] = []
        ids = []
        for name, cid, months in (
            ("Lê Thị Lan", "075140011111", ("2024-07", "2024-08", "2024-09")),
            ("Đỗ Văn Minh", "075040022222", ("2024-07",)),
        ):
            person = app.register_beneficiary(
                "can_bo",
                kind="social_assistance",
                full_name=name,
                commune_code=COMMUNE,
                citizen_id=cid,
                date_of_birth=f"19{cid[4:6]}-01-01",
            )
            eid = app.grant_entitlement(
                "can_bo", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=BASIS
            )["entitlement_id"]
            for month in months:
                pid = f"{cid}-{month}"
                app.record_payment(
                    "chi_tra",
                    payment_id=pid,
                    beneficiary_id=person.id,
                    entitlement_id=eid,
                    period=month,
                    amount=500_000,
                    paid_on=f"{month}-10",
                )
                paid.append(pid)
            ids.append(person.id)
        # Lan: August reversed (recorded by mistake), then paid again under a new id.
        app.reverse_payment("chi_tra", "075140011111-2024-08", reason="ghi nhầm kỳ")
        lan_eid = next(iter(app.beneficiary(ids[0]).entitlements))
        app.record_payment(
            "chi_tra",
            payment_id="075140011111-2024-08-b",
            beneficiary_id=ids[0],
            entitlement_id=lan_eid,
            period="2024-08",
            amount=500_000,
            paid_on="2024-08-20",
        )
        paid.append("075140011111-2024-08-b")
        yield History(database_url, app, ids[0], ids[1], paid)
    finally:
        app.close()


# ------------------------------------------------------------------------------------ the database


def rehash(app: BenefitsLedger, stream: UUID, version: int, topic: str, state: dict[str, Any]) -> str:
    """The content hash ``state`` would have as the event at ``stream``/``version``: what a careful
    forger would store as its ``event_hash``."""
    event = app.mapper.to_domain_event(
        StoredEvent(
            originator_id=stream,
            originator_version=version,
            topic=topic,
            state=json.dumps(state).encode(),
        )
    )
    return event_content_hash(event)


# ------------------------------------------------------------------------------------ the tests


def test_an_untouched_store_verifies_with_exact_counts(history):
    lan, minh = history.app.beneficiary(history.lan), history.app.beneficiary(history.minh)
    assert lan.version == 2 + 3 + 2  # registered, granted, three payments, a reversal, a payment
    assert minh.version == 3
    # Streams: two rate schedules, two beneficiaries, two citizen-ID claims (payment ids are the write
    # side's key, not streams).
    streams = RATE_STREAMS + 2 + 2
    events = RATE_EVENTS + lan.version + minh.version + 2
    assert all(history.app.recorded_payment(pid) is not None for pid in history.payment_ids)
    report = verify_streams(history.app)
    assert report.ok
    assert report.first_broken is None
    assert report.broken == []
    assert (report.streams_checked, report.events_checked) == (streams, events)
    assert count_rows(history.url) == (events, streams)
    assert report.as_dict() == {
        "ok": True,
        "streams_checked": streams,
        "events_checked": events,
        "first_broken": None,
        "broken_count": 0,
        "snapshots_checked": 0,  # commands leave no snapshots; bulk writers do (test_snapshots.py)
        "findings": [],
        "findings_count": 0,
    }
    # Only some streams.
    one = verify_streams(history.app, stream_ids={history.lan})
    assert (one.ok, one.streams_checked, one.events_checked) == (True, 1, lan.version)


def test_an_altered_amount_is_named_with_its_stream_and_version(history):
    version = history.version_of(history.lan, Beneficiary.PaymentRecorded, nth=0)  # July
    clean = verify_streams(history.app)
    topic, state = read_row(history.url, history.lan, version)
    assert topic.endswith("PaymentRecorded")
    assert state["amount"] == 500_000
    write_state(history.url, history.lan, version, {**state, "amount": 5_000_000})
    # The ledger itself now believes the forged amount...
    assert history.app.beneficiary(history.lan).payments["075140011111-2024-07"].amount == 5_000_000
    # ...and verify says where and what.
    report = verify_streams(history.app)
    assert not report.ok
    broken = report.first_broken
    assert broken is not None
    assert (broken.stream_id, broken.version, broken.event_type) == (
        str(history.lan),
        version,
        "PaymentRecorded",
    )
    assert "altered" in broken.problem
    assert len(report.broken) == 1  # the next event still links to the recorded hash: one break
    assert (report.streams_checked, report.events_checked) == (clean.streams_checked, clean.events_checked)
    assert report.as_dict()["first_broken"]["version"] == version
    # The other beneficiary's stream is untouched and verifies on its own.
    assert verify_streams(history.app, stream_ids={history.minh}).ok
    # One stream checked from its own events says the same.
    single = verify_stream(history.app, history.lan)
    assert single is not None
    assert (single.stream_id, single.version, single.event_type, single.problem) == (
        broken.stream_id, broken.version, broken.event_type, broken.problem,
    )  # fmt: skip
    assert verify_stream(history.app, history.minh) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor", "nguoi_khac"),
        ("reason", "lý do viết lại"),
        ("paid_on", {"_type_": "date_iso", "_data_": "2024-07-11"}),
        ("timestamp", {"_type_": "datetime_iso", "_data_": "2024-11-05T10:00:00+00:00"}),
    ],
)
def test_any_altered_field_is_found(history, field, value):
    version = history.version_of(history.lan, Beneficiary.PaymentRecorded, nth=1)
    _, state = read_row(history.url, history.lan, version)
    assert state[field] != value
    write_state(history.url, history.lan, version, {**state, field: value})
    report = verify_streams(history.app)
    assert report.first_broken is not None
    assert (report.first_broken.stream_id, report.first_broken.version) == (str(history.lan), version)
    assert "altered" in report.first_broken.problem


def test_an_event_relabelled_as_another_type_is_found(history):
    """A payment turned into a non-collection by editing the topic column: the type is hashed too."""
    version = history.version_of(history.lan, Beneficiary.PaymentRecorded, nth=2)
    topic, _ = read_row(history.url, history.lan, version)
    write_topic(history.url, history.lan, version, topic.replace("PaymentRecorded", "PaymentNotCollected"))
    report = verify_streams(history.app)
    assert report.first_broken is not None
    assert (report.first_broken.stream_id, report.first_broken.version) == (str(history.lan), version)
    assert report.first_broken.event_type == "PaymentNotCollected"
    assert "altered" in report.first_broken.problem


def test_an_altered_event_with_its_hash_recomputed_breaks_the_next_link(history):
    version = history.version_of(history.lan, Beneficiary.PaymentRecorded, nth=0)
    topic, state = read_row(history.url, history.lan, version)
    forged = {**state, "amount": 5_000_000}
    forged["event_hash"] = rehash(history.app, history.lan, version, topic, forged)
    assert forged["event_hash"] != state["event_hash"]
    write_state(history.url, history.lan, version, forged)
    report = verify_streams(history.app)
    assert not report.ok
    broken = report.first_broken
    assert broken is not None
    assert (broken.stream_id, broken.version) == (str(history.lan), version + 1)
    assert "prev_hash" in broken.problem
    assert len(report.broken) == 1


def test_a_deleted_event_in_the_middle_is_reported_missing(history):
    clean = verify_streams(history.app)
    version = history.version_of(history.lan, Beneficiary.PaymentRecorded, nth=1)  # August
    delete_event(history.url, history.lan, version)
    report = verify_streams(history.app)
    assert not report.ok
    broken = report.first_broken
    assert broken is not None
    assert (broken.stream_id, broken.version) == (str(history.lan), version + 1)
    assert "missing" in broken.problem
    assert f"version {version + 1} where {version} was expected" in broken.problem
    single = verify_stream(history.app, history.lan)
    assert single is not None
    assert (single.version, single.problem) == (broken.version, broken.problem)
    assert len(report.broken) == 1
    assert report.events_checked == clean.events_checked - 1
    assert report.streams_checked == clean.streams_checked


def test_a_deleted_first_event_is_reported_missing(history):
    delete_event(history.url, history.minh, 1)
    report = verify_streams(history.app)
    assert report.first_broken is not None
    assert (report.first_broken.stream_id, report.first_broken.version) == (str(history.minh), 2)
    assert "version 2 where 1 was expected" in report.first_broken.problem


def test_two_swapped_events_are_found(history):
    """Exchanging the stored content of two events of a stream (reordering history) breaks both."""
    first = history.version_of(history.lan, Beneficiary.PaymentRecorded, nth=0)
    second = first + 1
    _, a = read_row(history.url, history.lan, first)
    _, b = read_row(history.url, history.lan, second)
    write_state(history.url, history.lan, first, b)
    write_state(history.url, history.lan, second, a)
    report = verify_streams(history.app)
    assert report.first_broken is not None
    assert (report.first_broken.stream_id, report.first_broken.version) == (str(history.lan), first)
    assert {(x.stream_id, x.version) for x in report.broken} >= {(str(history.lan), first)}


def test_a_redirected_payment_id_and_an_altered_rate_are_found(history):
    """A payment id's row of the write side pointed at another beneficiary is named (the replay of
    Minh's stream holds that payment); a decree's amount altered breaks the rate stream's chain."""
    changed, _ = execute(
        history.url, "payment_ids", "UPDATE {table} SET beneficiary_id = ? WHERE payment_id = ?",
        (history.lan, "075040022222-2024-07"),
    )  # fmt: skip
    assert changed == 1
    rates = rate_schedule_id("BTXH_STANDARD", None)
    _, amended = read_row(history.url, rates, 3)
    assert amended["amount"] == 500_000
    write_state(history.url, rates, 3, {**amended, "amount": 400_000})
    report = verify_streams(history.app)
    found = {(b.stream_id, b.version, b.event_type) for b in report.broken}
    assert found == {(str(rates), 3, "RateAmended")}
    side = [f for f in report.findings if f.kind == "write_side"]
    assert [(f.stream_id, "075040022222-2024-07" in f.message) for f in side] == [(str(history.minh), True)]


def test_a_position_lowered_to_let_a_month_be_paid_again_is_found(history):
    """An insider lowers the paid amount of Minh's July position (so that the database's check would let
    July be paid again): ``ledger verify`` names the position against the replay of the stream."""
    minh = history.app.beneficiary(history.minh)
    eid = next(iter(minh.entitlements))
    changed, _ = execute(
        history.url, "payment_positions",
        "UPDATE {table} SET paid = 0 WHERE entitlement_id = ? AND period = ?", (eid, "2024-07"),
    )  # fmt: skip
    assert changed == 1
    report = verify_streams(history.app)
    side = [f for f in report.findings if f.kind == "write_side"]
    assert [(f.stream_id, f"{eid} 2024-07" in f.message) for f in side] == [(str(history.minh), True)]


def test_bytes_that_are_not_an_event_are_reported(history):
    version = history.version_of(history.minh, Beneficiary.PaymentRecorded)
    write_state(history.url, history.minh, version, b"\x00not json at all")
    report = verify_streams(history.app)
    assert report.first_broken is not None
    assert (report.first_broken.stream_id, report.first_broken.version) == (str(history.minh), version)
    assert "cannot be decoded" in report.first_broken.problem


# ------------------------------------------------------------------------------------ the last event
# A per-stream hash chain has no anchor for its last event; the Merkle log's leaves are that anchor.


def test_a_rewritten_last_event_with_its_hash_recomputed_is_found(history):
    version = history.app.beneficiary(history.lan).version  # the last payment, nothing after it
    topic, state = read_row(history.url, history.lan, version)
    forged = {**state, "amount": 5_000_000}
    forged["event_hash"] = rehash(history.app, history.lan, version, topic, forged)
    write_state(history.url, history.lan, version, forged)
    report = verify_streams(history.app)
    assert not report.ok
    assert report.first_broken is None  # the chain itself holds...
    leaf = [(f.kind, f.stream_id, f.version) for f in report.findings if f.kind != "write_side"]
    assert leaf == [("leaf", str(history.lan), version)]  # ...its Merkle leaf does not
    assert "altered" in report.findings[0].message
    # and the write side, written in the payment's transaction, still says 360,000 đồng was paid
    side = [f.message for f in report.findings if f.kind == "write_side"]
    assert side, "the payment-id row and the position disagree with the forged event"


def test_a_deleted_last_event_is_found(history):
    version = history.app.beneficiary(history.lan).version
    delete_event(history.url, history.lan, version)
    report = verify_streams(history.app)
    assert not report.ok
    assert report.first_broken is None
    (finding,) = [f for f in report.findings if f.kind != "write_side"]
    assert {f.stream_id for f in report.findings if f.kind == "write_side"} == {str(history.lan)}
    assert (finding.kind, finding.stream_id, finding.version) == (
        "stream_head",
        str(history.lan),
        version - 1,
    )
    assert f"ends at version {version - 1}" in finding.message
    assert f"to version {version}" in finding.message
