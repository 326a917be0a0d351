"""``ledger verify`` checks everything it can, and never crashes — kiểm tra toàn vẹn đầy đủ.

A synthetic province (bulk-written: every beneficiary has a snapshot), an issued roster and a user; then
the database is edited behind the ledger's back, on SQLite and PostgreSQL, and each check names what
was done: a middle event of a snapshotted stream deleted (a finding, not an ``OriginatorVersionError``,
from the library, the CLI and the API), a stream cut short, a whole stream deleted with its claims, a
leaf rewritten, a claim removed or pointed elsewhere, a roster's bytes changed or removed, a snapshot
altered, a read-model row edited. A snapshot that disagrees with the stored head is not trusted by a
write: a paid month made to look unpaid is still refused.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from domain.beneficiary import Beneficiary
from domain.errors import Conflict
from domain.indexes import index_id
from domain.snapshots import state_of
from ledger.application import BenefitsLedger, open_ledger
from ledger.demo import generate_province
from ledger.integrity import verify_streams
from ledger.integrity_read_models import ReadModels
from projections.engine import ProjectionEngine, open_projections
from projections.views import ALL_TABLES
from tests.api_support import Api
from tests.integration.test_snapshots import snapshot_rows
from tests.tampering import (
    delete_event,
    delete_stream,
    execute,
    read_row,
    read_snapshot,
    write_snapshot,
    write_state,
)

if TYPE_CHECKING:
    from ledger.integrity import IntegrityReport

TODAY = date(2025, 6, 16)
ROSTER = b'{"month": "2025-06", "lines": []}'


@pytest.fixture
def province(database_url: str) -> Any:
    ledger = open_ledger(
        database_url, clock=lambda: datetime(2025, 6, 16, 2, tzinfo=UTC), seed_reference=False
    )
    generate_province(ledger, beneficiaries=12, today=TODAY, batch_size=5)
    prepared = ledger.issue_roster(
        "payer", month="2025-06", commune_code=None, channel="cash", content=ROSTER, lines=0, amount=0
    )
    ledger.approve_roster("truong.phong", prepared.id)
    ledger.add_user("admin", "thanh.tra", role="inspector")
    yield ledger
    ledger.close()


def paid_person(ledger: BenefitsLedger) -> tuple[Beneficiary, list[Any]]:
    """A snapshotted beneficiary with payments, and its events."""
    for stream in snapshot_rows(ledger):
        agg = ledger.beneficiary(stream)
        if agg.payments and agg.cards and agg.citizen_id:
            return agg, list(ledger.events.get(stream))
    pytest.fail("the synthetic province has nobody paid with a card")


def named(report: IntegrityReport) -> set[tuple[str, str | None, int | None]]:
    return {(f.kind, f.stream_id, f.version) for f in report.findings}


def test_an_untouched_province_verifies_with_no_findings(province):
    report = verify_streams(province)
    assert report.ok, report.findings
    assert report.findings == []
    assert report.snapshots_checked == 12


# ------------------------------------------------------------------------------------- the crash


def test_a_missing_middle_event_of_a_snapshotted_stream_is_a_finding_everywhere(province, database_url):
    stream, version = next(iter(snapshot_rows(province).items()))
    assert version > 3
    delete_event(database_url, stream, 3)
    report = verify_streams(province)  # was OriginatorVersionError
    assert not report.ok
    assert ("chain", str(stream), 4) in named(report)
    assert ("snapshot", str(stream), version) in named(report)
    snapshot = next(f for f in report.findings if f.kind == "snapshot")
    assert "cannot be replayed" in snapshot.message
    # The command line: exit status 1, every finding printed; JSON has them too.
    result = CliRunner().invoke(cli, ["verify"], env={"LEDGER_DATABASE_URL": database_url})
    assert result.exit_code == 1, result.output
    assert "BROKEN:" in result.output
    assert f"snapshot: stream {stream}, version {version}" in result.output
    result = CliRunner().invoke(
        cli, ["verify", "--format", "json"], env={"LEDGER_DATABASE_URL": database_url}
    )
    assert result.exit_code == 1
    assert {(f["kind"], f["stream_id"]) for f in json.loads(result.stdout)["findings"]} >= {
        ("chain", str(stream)), ("snapshot", str(stream)),
    }  # fmt: skip
    # The API: 200, ok false, the same findings.
    api = Api(database_url, ledger=province).standard_users()
    try:
        response = api.get("/v1/integrity")
    finally:
        api.close()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False
    assert body["first_broken"]["stream_id"] == str(stream)
    assert {(f["kind"], f["stream_id"], f["version"]) for f in body["findings"]} >= {
        ("chain", str(stream), 4), ("snapshot", str(stream), version),
    }  # fmt: skip


# ------------------------------------------------------------------------------------- snapshots


def _unpaid_snapshot(
    province: BenefitsLedger, database_url: str, *, keep_head: bool
) -> tuple[Beneficiary, Any]:
    """Make the last paid month of someone look unpaid in their stored snapshot: the state of the
    stream just before that payment, at the snapshot's version (its own head hash, or the stored one)."""
    agg, events = paid_person(province)
    payment = next(e for e in reversed(events) if isinstance(e, Beneficiary.PaymentRecorded))
    before: Any = None
    for event in events[: payment.originator_version - 1]:
        before = event.mutate(before)
    version, stored = read_snapshot(database_url, agg.id)
    assert version == agg.version
    state = state_of(before)
    if keep_head:
        state["chain_head"] = stored["state"]["chain_head"]
    write_snapshot(database_url, agg.id, version, {**stored, "state": state})
    return agg, payment


def pay_again(province: BenefitsLedger, agg: Beneficiary, payment: Any) -> None:
    """The month of ``payment`` paid a second time, under a new payment id."""
    province.record_payment(
        "chi_tra", payment_id=f"AGAIN-{uuid4().hex[:8]}", beneficiary_id=agg.id,
        entitlement_id=payment.entitlement_id, period=payment.period, amount=payment.amount,
        paid_on=str(TODAY),
    )  # fmt: skip


def test_a_snapshot_rolled_back_to_before_a_payment_does_not_let_it_be_paid_twice(province, database_url):
    agg, payment = _unpaid_snapshot(province, database_url, keep_head=False)
    # The library's own load takes the snapshot as it is: the month looks unpaid...
    assert (payment.entitlement_id, payment.period) not in province.repository.get(agg.id).paid
    # ...the ledger's does not trust it.
    loaded = province.beneficiary(agg.id)
    assert (payment.entitlement_id, payment.period) in loaded.paid
    assert loaded.version == agg.version
    with pytest.raises(Conflict):
        pay_again(province, agg, payment)
    assert province.beneficiary(agg.id).version == agg.version  # nothing recorded
    assert ("snapshot", str(agg.id), agg.version) in named(verify_streams(province))


def test_a_snapshot_forged_with_its_head_hash_kept_does_not_let_a_month_be_paid_twice(province, database_url):
    """A decision is taken on the stream's own events, never on a snapshot (the unit of work replays):
    a snapshot whose state was edited with its head hash kept cannot steer a write; verify names it."""
    agg, payment = _unpaid_snapshot(province, database_url, keep_head=True)
    assert ("snapshot", str(agg.id), agg.version) in named(verify_streams(province))
    with pytest.raises(Conflict):
        pay_again(province, agg, payment)


def test_a_snapshot_with_bytes_that_are_not_json_is_named(province, database_url):
    stream, version = next(iter(snapshot_rows(province).items()))
    execute(
        database_url,
        "snapshots",
        "UPDATE {table} SET state = ? WHERE originator_id = ?",
        (b"\x00 no", stream),
    )
    report = verify_streams(province)
    assert [(f.kind, f.stream_id) for f in report.findings] == [("snapshot", str(stream))]
    assert "cannot be read" in report.findings[0].message
    assert province.beneficiary(stream).version == version  # a load replays the events instead


# ------------------------------------------------------------------------------------- stream heads


def test_a_deleted_last_payment_is_named_by_its_stream_head(province, database_url):
    agg, events = paid_person(province)
    last = events[-1]
    delete_event(database_url, agg.id, last.originator_version)
    report = verify_streams(province)
    head = [f for f in report.findings if f.kind == "stream_head"]
    assert [(f.stream_id, f.version) for f in head] == [(str(agg.id), last.originator_version - 1)]
    assert f"recorded it to version {last.originator_version}" in head[0].message


def test_a_beneficiary_deleted_with_its_claims_is_named(province, database_url):
    agg, events = paid_person(province)
    claims = [index_id("citizen_id", agg.citizen_id or "")]
    claims += [index_id("card_number", c) for c in agg.cards]
    assert delete_stream(database_url, agg.id) == len(events)
    for claim in claims:
        assert delete_stream(database_url, claim) == 1
    report = verify_streams(province)
    assert not report.ok
    missing = {f.stream_id: f for f in report.findings if f.kind == "missing_stream"}
    assert set(missing) == {str(agg.id), *map(str, claims)}
    assert f"recorded {len(events)} events" in missing[str(agg.id)].message
    assert "deleted" in missing[str(agg.id)].message


def test_a_stored_leaf_that_no_longer_matches_its_event_is_named(province, database_url):
    agg, events = paid_person(province)
    version = events[2].originator_version
    execute(
        database_url, "leaves",
        "UPDATE {table} SET leaf_hash = ? WHERE originator_id = ? AND originator_version = ?",
        (b"\x01" * 32, agg.id, version),
    )  # fmt: skip
    report = verify_streams(province)
    assert ("leaf", str(agg.id), version) in named(report)
    assert any(f.kind == "merkle_tree" for f in report.findings)  # the frontier is not their tree now


# ------------------------------------------------------------------------------------- claims


def test_a_removed_payment_id_row_is_named_on_its_owner(province, database_url):
    """The payment ids are the write side's key (no claim streams since issue 16): a row deleted from
    that table — which would let the id be used again — is named on the stream holding the payment."""
    agg, _ = paid_person(province)
    payment_id = next(iter(agg.payments))
    changed, _ = execute(
        database_url, "payment_ids", "DELETE FROM {table} WHERE payment_id = ?", (payment_id,)
    )
    assert changed == 1
    report = verify_streams(province)
    owner = [f for f in report.findings if f.kind == "write_side"]
    assert [(f.stream_id, f.message) for f in owner] == [
        (str(agg.id), f"payment {payment_id} has no row in the table of payment ids")
    ]


def test_a_claim_pointed_at_no_one_is_named(province, database_url):
    agg, _ = paid_person(province)
    claim = index_id("card_number", next(iter(agg.cards)))
    _, state = read_row(database_url, claim, 1)
    nobody = uuid4()
    write_state(database_url, claim, 1, {**state, "beneficiary_id": str(nobody)})
    report = verify_streams(province)
    claims = {(f.stream_id, f.message) for f in report.findings if f.kind == "claim"}
    card = next(iter(agg.cards))
    assert claims == {
        (str(claim), f"card_number {card} is claimed for stream {nobody}, which does not exist"),
        (str(agg.id), f"the claim on card_number {card} of this stream names stream {nobody}"),
    }


def test_a_removed_token_claim_is_named_on_its_user(province, database_url):
    user = province.user("thanh.tra")
    assert user is not None
    delete_stream(database_url, index_id("token", user.token_sha256))
    report = verify_streams(province)
    assert ("claim", str(user.id), None) in named(report)


# ------------------------------------------------------------------------------------- rosters


@pytest.mark.parametrize("tamper", ["altered", "removed"])
def test_an_issued_rosters_document_altered_or_removed_is_named(province, database_url, tamper):
    if tamper == "altered":
        execute(database_url, "documents", "UPDATE {table} SET content = ?", (b'{"month": "2025-05"}',))
    else:
        execute(database_url, "documents", "DELETE FROM {table}")
    report = verify_streams(province)
    (finding,) = report.findings
    roster = province.issued_roster("2025-06", None, "cash")
    assert roster is not None
    assert (finding.kind, finding.stream_id) == ("roster_document", str(roster.id))
    assert ("no longer match" if tamper == "altered" else "is not stored") in finding.message


# ------------------------------------------------------------------------------------- read models


def test_a_read_model_row_edited_in_the_database_is_named(province, database_url):
    engine = open_projections(province, database_url)
    engine.catch_up()
    models = ReadModels(database_url, engine, lambda store: ProjectionEngine(province, store), ALL_TABLES)
    assert verify_streams(province, read_models=models).ok
    agg, _ = paid_person(province)
    paid = next(p for p in agg.payments.values() if not p.reversed)
    changed, _ = execute(
        database_url, "rm_dues", "UPDATE {table} SET paid = 0 WHERE entitlement_id = ? AND period = ?",
        (paid.entitlement_id, paid.period),
    )  # fmt: skip
    assert changed == 1
    report = verify_streams(province, read_models=models)
    (finding,) = report.findings
    assert (finding.kind, finding.stream_id) == ("read_model", str(agg.id))
    assert finding.message.startswith("rm_dues: the row (")
    assert "paid=0 where a rebuild from the log gives" in finding.message
    # The command line's option does the same.
    result = CliRunner().invoke(cli, ["verify", "--read-models"], env={"LEDGER_DATABASE_URL": database_url})
    assert result.exit_code == 1, result.output
    assert f"read_model: stream {agg.id}: rm_dues" in result.output
    # And the API's.
    api = Api(database_url, ledger=province).standard_users()
    try:
        without, body = api.get("/v1/integrity").json(), api.get("/v1/integrity", read_models="true").json()
    finally:
        api.close()
    assert without["ok"] is True
    assert body["ok"] is False
    assert [(f["kind"], f["stream_id"]) for f in body["findings"]] == [("read_model", str(agg.id))]
