"""``ledger verify --against`` (issue 13): a careful insider with write access to the database — who
deletes, rewrites with the hash chain recomputed, renumbers — is named by a consistency check from a
signed checkpoint saved before, on SQLite and PostgreSQL. Each tampering is done directly in the
database (tests/tampering.py), after the checkpoint was taken and saved outside the store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from eventsourcing.persistence import StoredEvent
from typer.testing import CliRunner

from api.cli import app as cli
from domain.beneficiary import Beneficiary
from domain.events import event_content_hash
from domain.indexes import index_id
from domain.merkle import CompactRange
from domain.users import User, user_id
from ledger.adapters.merkle_tables import frontier_bytes
from ledger.application import BenefitsLedger, open_ledger
from ledger.checkpoints import verify_against
from ledger.integrity import verify_streams
from ledger.merkle_log import execute, log_leaves, tables_of
from ledger.signing import generate_key_file, load_signer
from tests.tampering import _execute, delete_event, read_row, write_state

if TYPE_CHECKING:
    from pathlib import Path
    from uuid import UUID

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
BASIS = {"decision_no": "21/QĐ-UBND", "decision_date": "2024-07-01", "issuer": "UBND phường Trấn Biên"}


@dataclass
class Signed:
    """A store with two paid beneficiaries and a disabled user, its public key and a saved checkpoint."""

    url: str
    app: BenefitsLedger
    key: str
    note: str
    lan: UUID
    minh: UUID

    def findings(self) -> list[dict[str, Any]]:
        report = verify_against(self.app, [self.note], self.key)
        assert report.checked == [int(self.note.splitlines()[1])]
        return [f.as_dict() for f in report.findings]


@pytest.fixture
def signed(database_url: str, tmp_path: Path) -> Any:
    app = open_ledger(database_url, clock=lambda: NOW)
    key = generate_key_file(tmp_path / "key", "benefits-ledger/vn")
    app.signer = load_signer(tmp_path / "key")
    people = []
    others = [(f"Người {n}", f"0750400300{n:02d}") for n in range(1, 5)]
    for name, cid in (("Lê Thị Lan", "075140011111"), ("Đỗ Văn Minh", "075040022222"), *others):
        person = app.register_beneficiary(
            "can_bo", kind="social_assistance", full_name=name, commune_code="26041", citizen_id=cid,
            date_of_birth=f"19{cid[4:6]}-01-01",
        )  # fmt: skip
        eid = app.grant_entitlement(
            "can_bo", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=BASIS
        )["entitlement_id"]
        for month in ("2024-07", "2024-08", "2024-09"):
            app.record_payment(
                "chi_tra", payment_id=f"{cid}-{month}", beneficiary_id=person.id, entitlement_id=eid,
                period=month, amount=500_000, paid_on=f"{month}-10",
            )  # fmt: skip
        people.append(person.id)
    app.add_user("admin", "can-bo-nghi", role="officer")
    app.disable_user("admin", "can-bo-nghi")
    note = app.checkpoint()
    assert note is not None
    assert int(note.splitlines()[1]) > 50
    yield Signed(database_url, app, key, note, people[0], people[1])
    app.close()


def rehash(
    app: BenefitsLedger, stream: UUID, version: int, topic: str, state: dict[str, Any]
) -> dict[str, Any]:
    """``state`` with the ``event_hash`` a careful forger would store for it."""
    event = app.mapper.to_domain_event(StoredEvent(stream, version, topic, json.dumps(state).encode()))
    return {**state, "event_hash": event_content_hash(event)}


def rewrite_from(signed: Signed, stream: UUID, first: int, change: dict[str, Any]) -> None:
    """What a careful forger does: ``change`` into event ``first`` of ``stream``, and every event from
    there re-hashed, each ``prev_hash`` the hash of the forged event before it, so the chain holds."""
    previous = None
    for event in signed.app.stream_events(stream):
        version = event.originator_version
        if version < first:
            continue
        topic, state = read_row(signed.url, stream, version)
        if version == first:
            state = {**state, **change}
        if previous is not None:
            state["prev_hash"] = previous
        state = rehash(signed.app, stream, version, topic, state)
        write_state(signed.url, stream, version, state)
        previous = state["event_hash"]


def assert_names(findings: list[dict[str, Any]], stream: UUID, version: int) -> None:
    assert findings, "the tampering passed the check against the saved checkpoint"
    assert (findings[0]["stream_id"], findings[0]["version"]) == (str(stream), version), findings


def test_an_untouched_log_is_consistent_with_the_saved_checkpoint(signed: Signed) -> None:
    assert signed.findings() == []
    signed.app.record_death("can_bo", signed.minh, date_of_death="2024-10-02")  # appending is allowed
    assert signed.findings() == []


def test_a_deleted_last_payment_is_named(signed: Signed) -> None:
    last = signed.app.beneficiary(signed.lan).version
    delete_event(signed.url, signed.lan, last)
    assert_names(signed.findings(), signed.lan, last)


def test_the_last_events_of_the_whole_log_deleted_are_counted_and_named(signed: Signed) -> None:
    _execute(signed.url, "DELETE FROM {table} WHERE notification_id > ?" if "postgres" in signed.url else
             "DELETE FROM {table} WHERE rowid > ?", (_log_size(signed) - 50,))  # fmt: skip
    findings = signed.findings()
    assert findings
    assert "50 fewer" in findings[0]["message"]
    assert "deleted from the end of the log" in findings[0]["message"]
    assert findings[0]["position"] == _log_size(signed) - 50


def test_a_whole_beneficiary_stream_deleted_with_its_claims_is_named(signed: Signed) -> None:
    for stream in (signed.minh, index_id("citizen_id", "075040022222")):
        _execute(signed.url, "DELETE FROM {table} WHERE originator_id = ?", (stream,))
    first = signed.findings()
    assert first
    assert first[0]["stream_id"] in {str(signed.minh), str(index_id("citizen_id", "075040022222"))}


def test_a_deleted_user_disabled_event_is_named(signed: Signed) -> None:
    officer = user_id("can-bo-nghi")
    events = [e for e in signed.app.stream_events(officer) if isinstance(e, User.UserDisabled)]
    delete_event(signed.url, officer, events[-1].originator_version)
    assert_names(signed.findings(), officer, events[-1].originator_version)


def test_a_past_payment_rewritten_with_its_hash_recomputed_is_named(signed: Signed) -> None:
    payments = [e for e in signed.app.stream_events(signed.lan) if isinstance(e, Beneficiary.PaymentRecorded)]
    version = payments[0].originator_version
    topic, state = read_row(signed.url, signed.lan, version)
    write_state(
        signed.url,
        signed.lan,
        version,
        rehash(signed.app, signed.lan, version, topic, {**state, "amount": 5_000_000}),
    )
    assert_names(signed.findings(), signed.lan, version)


def test_a_registration_rewritten_with_the_chain_recomputed_from_there_is_named(signed: Signed) -> None:
    """The name and the bank account of a registration changed, and every later event of the stream
    re-hashed so that its chain holds: the registration is named."""
    events = signed.app.stream_events(signed.lan)
    account = {"kind": "bank", "bank": "970436", "account": "0011009988776"}
    rewrite_from(
        signed,
        signed.lan,
        events[0].originator_version,
        {"full_name": "Lê Thị Lân", "payment_channel": account},
    )
    assert verify_streams(signed.app, {signed.lan}).ok  # the chain holds: only the Merkle log tells
    assert_names(signed.findings(), signed.lan, events[0].originator_version)


def test_a_forged_event_appended_behind_the_ledgers_back_is_named_by_plain_verify(signed: Signed) -> None:
    """A correctly chained ``PaymentChannelChanged`` to another bank account, inserted straight into the
    events table after the checkpoint: an append, so the saved checkpoint still holds — but the event
    never went through the recorder, has no leaf in the Merkle log, and ``ledger verify`` names it."""
    last = signed.app.stream_events(signed.lan)[-1]
    topic, state = read_row(signed.url, signed.lan, last.originator_version)
    forged_topic = topic.rsplit(":", 1)[0] + ":Beneficiary.PaymentChannelChanged"
    forged = {
        "originator_topic": state.get("originator_topic"), "timestamp": state["timestamp"],
        "actor": "can_bo", "reason": "", "occurred_on": state.get("occurred_on"),
        "previous_hash": state.get("event_hash"), "effective_from": "2024-11",
        "payment_channel": {"kind": "bank", "bank": "970436", "account": "9999000011112"},
    }  # fmt: skip
    version = last.originator_version + 1
    forged = rehash(
        signed.app, signed.lan, version, forged_topic, {k: v for k, v in forged.items() if v is not None}
    )
    _execute(
        signed.url,
        "INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
        (signed.lan, version, forged_topic, json.dumps(forged).encode()),
    )
    report = verify_streams(signed.app)
    assert not report.ok
    assert any(f.stream_id == str(signed.lan) and f.kind in {"leaf", "merkle_tree", "stream_head"}
               for f in report.findings), [f.line() for f in report.findings]  # fmt: skip


def test_a_middle_payment_deleted_and_the_stream_renumbered_is_named(signed: Signed) -> None:
    payments = [e for e in signed.app.stream_events(signed.lan) if isinstance(e, Beneficiary.PaymentRecorded)]
    middle, last = payments[1].originator_version, signed.app.beneficiary(signed.lan).version
    delete_event(signed.url, signed.lan, middle)
    for version in range(middle + 1, last + 1):
        _execute(
            signed.url,
            "UPDATE {table} SET originator_version = ? WHERE originator_id = ? AND originator_version = ?",
            (version - 1, signed.lan, version),
        )
    assert_names(signed.findings(), signed.lan, middle)


def test_a_checkpoint_signed_by_another_key_or_altered_is_refused(signed: Signed, tmp_path: Path) -> None:
    other = generate_key_file(tmp_path / "other", "benefits-ledger/vn")
    with pytest.raises(Exception, match="not signed by"):
        verify_against(signed.app, [signed.note], other)
    size_line = signed.note.splitlines()[1]
    altered = signed.note.replace(f"\n{size_line}\n", f"\n{int(size_line) - 1}\n", 1)
    with pytest.raises(Exception, match="altered"):
        verify_against(signed.app, [altered], signed.key)


def test_ledger_verify_against_a_saved_file_exits_1_naming_the_event(signed: Signed, tmp_path: Path) -> None:
    saved = tmp_path / "day.txt"
    saved.write_text(signed.note, encoding="utf-8")
    env = {"LEDGER_DATABASE_URL": signed.url}
    ok = CliRunner().invoke(cli, ["verify", "--against", str(saved), "--public-key", signed.key], env=env)
    assert ok.exit_code == 0, ok.output
    last = signed.app.beneficiary(signed.lan).version
    delete_event(signed.url, signed.lan, last)
    found = CliRunner().invoke(cli, ["verify", "--against", str(saved), "--public-key", signed.key], env=env)
    assert found.exit_code == 1, found.output
    assert f"stream {signed.lan} version {last}" in found.output


def _log_size(signed: Signed) -> int:
    return int(signed.note.splitlines()[1])


def test_plain_verify_checks_the_log_against_the_latest_signed_checkpoint(signed: Signed) -> None:
    """An event rewritten with its hash recomputed, and its Merkle leaf and the frontier rewritten to
    match (the store agrees with itself): the latest kept checkpoint, whose signature the key still
    checks, names the log as changed."""
    assert verify_streams(signed.app).ok
    payments = [e for e in signed.app.stream_events(signed.lan) if isinstance(e, Beneficiary.PaymentRecorded)]
    version = payments[0].originator_version
    rewrite_from(signed, signed.lan, version, {"amount": 1})
    side = signed.app.recorder.write_side  # the write side rewritten to match too (a thorough insider)
    p = side.placeholder
    execute(signed.app, f"UPDATE {side.payment_ids} SET amount = 1 WHERE payment_id = {p}",  # noqa: S608
            (payments[0].payment_id,))  # fmt: skip
    first = payments[0]
    moved = (first.amount, first.entitlement_id, first.period)
    execute(signed.app, f"UPDATE {side.positions} SET paid = paid - {p} + 1 "  # noqa: S608
            f"WHERE entitlement_id = {p} AND period = {p}", moved)  # fmt: skip
    tables = tables_of(signed.app)
    now = [leaf.leaf_hash for leaf in log_leaves(signed.app)]
    for position, leaf in enumerate(now):
        execute(signed.app, f"UPDATE {tables.leaves} SET leaf_hash = {tables.placeholder} "  # noqa: S608
                f"WHERE position = {tables.placeholder}", (leaf, position))  # fmt: skip
    frontier = CompactRange()
    frontier.extend(now)
    execute(signed.app, f"UPDATE {tables.frontier} SET hashes = {tables.placeholder} WHERE id = 1",  # noqa: S608
            (frontier_bytes(frontier),))  # fmt: skip
    report = verify_streams(signed.app)
    named = [f.line() for f in report.findings]
    assert [f for f in report.findings if f.kind != "merkle_tree"] == [], named  # the store agrees
    assert any("latest signed checkpoint" in f.message for f in report.findings), named
