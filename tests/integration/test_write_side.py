"""The write side the database keeps honest (issue 16, item 1): payment positions and payment ids in the
events' transaction, with the database's own key and check — so that a bug in Python can no longer pay
twice — on SQLite and PostgreSQL."""

from __future__ import annotations

from uuid import UUID

import orjson
import pytest

from domain.beneficiary import Beneficiary
from domain.errors import Conflict
from domain.parts import DueItem
from ledger.application import open_ledger
from ledger.bulk import BulkLoader
from ledger.integrity import verify_streams
from tests import ledger_fixtures
from tests.support import grant, pay, register_person
from tests.tampering import execute

clock, app = ledger_fixtures.clock, ledger_fixtures.app  # at 2024-03-20; every packaged standard recorded


def elderly_recipient(app) -> tuple[str, str]:
    bid = register_person(app)
    return bid, grant(app, bid, "BTXH_ELDERLY_80")["entitlement_id"]


def stored_position(url: str, eid: str, period: str) -> tuple[int, int] | None:
    _, row = execute(
        url, "payment_positions", "SELECT paid, due FROM {table} WHERE entitlement_id = ? AND period = ?",
        (eid, period),
    )  # fmt: skip
    return None if row is None else (int(row[0]), int(row[1]))


def test_each_payment_moves_its_position_in_the_same_transaction(app, clock, database_url):
    """A payment adds to its position; a reversal takes it away; the payment id names its payment."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-08-10")
    pay(app, bid, eid, "2024-08", 200_000, payment_id="P-1")
    assert stored_position(database_url, eid, "2024-08") == (200_000, 500_000)
    pay(app, bid, eid, "2024-08", 300_000, payment_id="P-2")
    assert stored_position(database_url, eid, "2024-08") == (500_000, 500_000)
    app.reverse_payment("officer", "P-1", reason="ghi nhầm")
    assert stored_position(database_url, eid, "2024-08") == (300_000, 500_000)
    recorded = app.recorded_payment("P-2")
    assert recorded is not None
    assert (str(recorded.beneficiary_id), recorded.entitlement_id, recorded.amount) == (bid, eid, 300_000)
    assert verify_streams(app).ok


def test_a_rule_that_lets_a_paid_month_through_is_stopped_by_the_database(
    app, clock, database_url, monkeypatch
):
    """Simulate a bug in Python: the aggregate forgets what was paid (``due_item`` reports nothing paid).
    The second full payment of August passes every Python rule — and the database refuses it: 409,
    nothing recorded, the position unchanged."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-08-10")
    pay(app, bid, eid, "2024-08", 500_000, payment_id="AUG-1")
    before = app.recorder.max_notification_id()
    real = Beneficiary.due_item

    def forgetful(self: Beneficiary, entitlement_id: str, period: str, rates: object) -> DueItem:
        item = real(self, entitlement_id, period, rates)  # type: ignore[arg-type]
        return DueItem(item.entitlement_id, item.scheme, item.period, item.due, 0, item.components,
                       month=item.month)  # fmt: skip

    monkeypatch.setattr(Beneficiary, "due_item", forgetful)
    with pytest.raises(Conflict, match="beyond what is due") as refused:
        pay(app, bid, eid, "2024-08", 500_000, payment_id="AUG-2")
    assert refused.value.errors[0].field == "period"
    assert app.recorder.max_notification_id() == before
    assert stored_position(database_url, eid, "2024-08") == (500_000, 500_000)
    assert app.recorded_payment("AUG-2") is None


def test_a_payment_id_used_for_another_is_refused_by_the_database_too(app, clock, monkeypatch):
    """Simulate a bug: the check of the payment id against the table is skipped. The database's key
    refuses the second beneficiary's payment under the same id; the first keeps it."""
    first, first_eid = elderly_recipient(app)
    second, second_eid = elderly_recipient(app)
    clock.set("2024-08-10")
    pay(app, first, first_eid, "2024-08", 500_000, payment_id="SHARED")
    monkeypatch.setattr("ledger.commands.payments.refuse_another_payment_id", lambda *_: None)
    app.MAX_ATTEMPTS = 2
    before = app.recorder.max_notification_id()
    with pytest.raises(Conflict):
        pay(app, second, second_eid, "2024-08", 500_000, payment_id="SHARED")
    assert app.recorder.max_notification_id() == before
    recorded = app.recorded_payment("SHARED")
    assert recorded is not None
    assert str(recorded.beneficiary_id) == first


def test_a_store_written_before_the_write_side_is_backfilled_from_its_events(app, clock, database_url):
    """A store of an earlier release has no positions or payment ids: opening it fills both from the
    payment events (reversals and partial payments included), and the store verifies."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-09-10")
    pay(app, bid, eid, "2024-07", 500_000, payment_id="J-1")
    pay(app, bid, eid, "2024-08", 100_000, payment_id="A-1")
    pay(app, bid, eid, "2024-08", 100_000, payment_id="A-2")
    app.reverse_payment("officer", "J-1", reason="ghi nhầm")
    for table in ("payment_ids", "payment_positions", "beneficiary_terms"):
        execute(database_url, table, "DELETE FROM {table}")
    app.close()
    reopened = open_ledger(database_url, clock=clock)
    try:
        assert stored_position(database_url, eid, "2024-07") == (
            0,
            0,
        )  # paid and reversed: due = what is paid
        assert stored_position(database_url, eid, "2024-08") == (200_000, 200_000)
        assert {p: reopened.recorded_payment(p) is not None for p in ("J-1", "A-1", "A-2")} == dict.fromkeys(
            ("J-1", "A-1", "A-2"), True
        )
        assert verify_streams(reopened).ok
        # the next payment of August brings the domain's due back into its position
        pay(reopened, bid, eid, "2024-08", 300_000, payment_id="A-3")
        assert stored_position(database_url, eid, "2024-08") == (500_000, 500_000)
        with pytest.raises(Conflict, match="already paid"):
            pay(reopened, bid, eid, "2024-08", 1, payment_id="A-4")
    finally:
        reopened.close()


def test_an_import_decides_on_terms_only_where_they_stand_at_the_streams_head(app, clock, database_url):
    """The terms row is used where the stored event of its version names its hash and no later event
    exists — the database checks both, in the query that reads the terms; a row whose hash is not that
    event's, or one a later event has left behind, is not used: the beneficiary is loaded whole."""
    bid, eid = elderly_recipient(app)
    clock.set("2024-08-10")
    pay(app, bid, eid, "2024-08", 500_000, payment_id="AUG-1")
    stream = UUID(bid)
    whole = app.repository.get(stream)

    def decided_on_terms() -> bool:
        loader = BulkLoader(app)
        try:
            found = loader.load_for_payments([stream], ["2024-09"], {})
            assert found[stream].version == whole.version  # whole or from terms: the same head
            return stream in loader.partial
        finally:
            loader.close()

    assert decided_on_terms()
    _, row = execute(database_url, "beneficiary_terms", "SELECT chain_head, originator_version FROM {table}")
    assert row is not None
    assert (row[0], int(row[1])) == (whole.chain_head, whole.version)
    execute(database_url, "beneficiary_terms", "UPDATE {table} SET chain_head = ?", ("ab" * 32,))
    assert not decided_on_terms()  # a hash the head event does not name
    (earlier,) = app.recorder.select_events(stream, lte=whole.version - 1, desc=True, limit=1)
    earlier_hash = orjson.loads(earlier.state)["event_hash"]
    execute(
        database_url, "beneficiary_terms", "UPDATE {table} SET chain_head = ?, originator_version = ?",
        (earlier_hash, whole.version - 1),
    )  # fmt: skip
    assert not decided_on_terms()  # the event of its version names it, but a later event exists
    execute(
        database_url, "beneficiary_terms", "UPDATE {table} SET chain_head = ?, originator_version = ?",
        (whole.chain_head, whole.version),
    )  # fmt: skip
    assert decided_on_terms()
