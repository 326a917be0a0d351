"""One beneficiary's history from the read models (``rm_audit.entry``) — the HTTP answer of
``GET /v1/beneficiaries/{id}/history``: byte for byte what the log gives (:func:`beneficiary_history`),
for random histories, after a rebuild and on a store older than the column; refused to the same readers
as :meth:`readable`; a write shows in the next read; an edited entry is named by ``verify --read-models``.
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, NotAllowed, NotFound
from ledger.application import BenefitsLedger, open_ledger
from ledger.history import beneficiary_history
from ledger.integrity import verify_streams
from ledger.integrity_read_models import ReadModels
from projections.engine import ProjectionEngine, open_projections
from projections.history import history_answer
from projections.views import ALL_TABLES
from tests import read_model_fixtures
from tests.api_support import Api
from tests.support import (
    COMMUNE,
    OTHER_COMMUNE,
    FixedClock,
    basis,
    dump,
    martyr_relative,
)
from tests.tampering import execute

if TYPE_CHECKING:
    from collections.abc import Iterator

    from domain.users import User

clock, ledger = read_model_fixtures.clock, read_model_fixtures.ledger  # January 2024, rates to June

SERIALS = itertools.count(1)
TEXT = st.text(alphabet=st.sampled_from('aăêđ "\\/<>&\u00e9\u1ebf\U0001f600\u2028\t'), max_size=12)
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["pay", "relocate", "relocate_back", "channel", "correct", "card", "death", "recover", "suspend",
             "catch_up", "next_month"]
        ),
        st.integers(0, 1),  # which person
        st.integers(1, 12),  # a month of 2024
        TEXT,  # a reason, a name
    ),
    min_size=3,
    max_size=18,
)  # fmt: skip


@pytest.fixture
def engine(ledger: BenefitsLedger, database_url: str) -> Iterator[ProjectionEngine]:
    """The read models in batches of seven events (a history spans several)."""
    opened = open_projections(ledger, database_url, batch_size=7)
    try:
        yield opened
    finally:
        opened.store.close()


def readers(ledger: BenefitsLedger) -> list[User]:
    """An officer of each commune, one of the whole province, an inspector."""
    tag = next(SERIALS)
    made = [
        ledger.add_user("setup", f"officer-{tag}", role="officer", scope=[COMMUNE]),
        ledger.add_user("setup", f"officer-other-{tag}", role="officer", scope=[OTHER_COMMUNE]),
        ledger.add_user("setup", f"officer-all-{tag}", role="officer"),
        ledger.add_user("setup", f"inspector-{tag}", role="inspector"),
    ]
    return [user for user, _ in made]


def from_the_log(ledger: BenefitsLedger, key: object, as_of: object = None) -> bytes:
    """The answer as the route wrote it before the read model: the log's items, serialised together."""
    return orjson.dumps({"items": beneficiary_history(ledger, key, as_of)})


def _operate(
    ledger: BenefitsLedger, engine: ProjectionEngine, clock: FixedClock, person: Any, step: Any
) -> None:
    op, _, month, text = step
    bid, eid = person
    period = f"2024-{month:02d}"
    if op == "pay":
        item = ledger.beneficiary(bid).due_item(eid, period, ledger.rates())
        ledger.record_payment(
            "po", payment_id=f"H-{bid}-{period}-{item.paid}", beneficiary_id=bid, entitlement_id=eid,
            period=period, amount=item.outstanding, paid_on=clock().date().isoformat(),
        )  # fmt: skip
        return
    actions = {
        "relocate": lambda: ledger.relocate(
            "officer", bid, commune_code=OTHER_COMMUNE, effective_from=period, reason=text
        ),
        "relocate_back": lambda: ledger.relocate(
            "officer", bid, commune_code=COMMUNE, effective_from=period, reason=text
        ),
        "channel": lambda: ledger.change_payment_channel(
            "officer", bid, effective_from=period, reason=text,
            payment_channel={"type": "bank", "bank_code": "VCB", "account_number": f"{100_000 + month}"},
        ),
        "correct": lambda: ledger.correct_details(
            "officer", bid, {"full_name": f"Trần {text}"}, reason=f"sửa {text}"
        ),
        "card": lambda: ledger.issue_card(
            "officer", bid, card_number=f"TS27500000{next(SERIALS):05d}", valid_from=f"{period}-01"
        ),
        "death": lambda: ledger.record_death(
            "officer", bid, date_of_death=f"2024-01-{10 + month}", reason=text
        ),
        "recover": lambda: ledger.record_recovery("po", bid, amount=month * 10_000, method="cash"),
        "suspend": lambda: ledger.suspend_entitlement(
            "officer", bid, eid, effective_from=period, reason=text or "tạm dừng", basis=basis("2024-01-04")
        ),
        "catch_up": engine.catch_up,
        "next_month": lambda: clock.set(clock() + timedelta(days=31)),
    }  # fmt: skip
    actions[op]()


def assert_same_answers(
    ledger: BenefitsLedger, engine: ProjectionEngine, people: list[Any], users: list[User]
):
    """For every person and reader: refused alike, else the same bytes, also by citizen ID and as of each
    moment an event was recorded (and before the first)."""
    for bid, _ in people:
        for user in users:
            try:
                ledger.readable(user, bid)
            except NotAllowed:
                with pytest.raises(NotAllowed):
                    history_answer(engine, user, bid)
                continue
            stream, answer = history_answer(engine, user, bid)
            assert str(stream) == str(bid)
            assert answer == from_the_log(ledger, bid)
        inspector = users[-1]
        items = orjson.loads(from_the_log(ledger, bid))["items"]
        moments = [items[0]["recorded_at"][:10] + "T00:00:00+00:00", *(i["recorded_at"] for i in items)]
        for moment in moments:
            assert history_answer(engine, inspector, bid, moment)[1] == from_the_log(ledger, bid, moment)
        citizen = ledger.beneficiary(bid).citizen_id
        assert history_answer(engine, inspector, citizen)[1] == from_the_log(ledger, bid)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_random_histories_read_from_the_read_model_equal_the_log(ledger, engine, clock, operations):
    """Random histories (payments, relocations there and back from some month, channel changes, corrected
    names with quotes, backslashes, emoji and U+2028, cards, deaths, recoveries, suspensions, the clock
    moving on), caught up at random points: the stored entries give the log's answer byte for byte, to
    the readers :meth:`readable` lets in (the commune in force this month) and to no one else — and
    again after a rebuild."""
    clock.set("2024-01-05")
    people = [martyr_relative(ledger, f"075150{next(SERIALS):06d}") for _ in range(2)]
    users = readers(ledger)
    clock.set("2024-02-05")
    for step in operations:
        with contextlib.suppress(DomainError):
            _operate(ledger, engine, clock, people[step[1]], step)
    assert_same_answers(ledger, engine, people, users)
    engine.rebuild()
    assert_same_answers(ledger, engine, people, users)


def test_a_relocation_moves_the_reader_in_its_month(ledger, engine, clock):
    """A move to another commune from March, recorded in February: the old commune's officer reads the
    history until March begins (in Vietnam), the new one's from then on, as for the record itself."""
    bid, _ = martyr_relative(ledger, f"075150{next(SERIALS):06d}")
    here, there, *_ = readers(ledger)
    clock.set("2024-02-10")
    ledger.relocate("officer", bid, commune_code=OTHER_COMMUNE, effective_from="2024-03")
    assert history_answer(engine, here, bid)[1] == from_the_log(ledger, bid)
    with pytest.raises(NotAllowed):
        history_answer(engine, there, bid)
    clock.set("2024-03-01")
    with pytest.raises(NotAllowed):
        history_answer(engine, here, bid)
    assert history_answer(engine, there, bid)[1] == from_the_log(ledger, bid)


def test_no_beneficiary_no_history(ledger, engine):
    """A user's stream, an unknown id, an unknown citizen ID and not an id at all: not found."""
    *_, inspector = readers(ledger)
    for key in (inspector.id, "7d0c5b8e-2f7c-4a51-9f0e-3c2b1a000000", "075999999999", "not-an-id"):
        with pytest.raises(NotFound):
            history_answer(engine, inspector, key)


def paid_in_february(ledger: BenefitsLedger, engine: ProjectionEngine, clock: FixedClock) -> str:
    """A martyr's relative paid January's allowance on 10 February (three events), projected."""
    bid, eid = martyr_relative(ledger, f"075150{next(SERIALS):06d}")
    clock.set("2024-02-10")
    ledger.record_payment(
        "po", payment_id=f"JAN-{bid}", beneficiary_id=bid, entitlement_id=eid, period="2024-01",
        amount=2_055_000, paid_on="2024-02-10",
    )  # fmt: skip
    engine.catch_up()
    return str(bid)


def test_a_store_older_than_the_entries_is_rebuilt_when_opened(ledger, engine, clock, database_url):
    """Read models written before ``rm_audit.entry`` existed (dropped here) get it, filled by the rebuild
    that opening them starts: the answers equal the log's and the tables a fresh rebuild."""
    bid = paid_in_february(ledger, engine, clock)
    expected = dump(engine)
    with engine.store.write() as tx:
        tx.execute("ALTER TABLE rm_audit DROP COLUMN entry")
    reopened = open_projections(ledger, database_url)
    try:
        assert "entry" in reopened.store.columns("rm_audit")
        assert dump(reopened) == expected
        assert history_answer(reopened, "operator", bid)[1] == from_the_log(ledger, bid)
    finally:
        reopened.store.close()


def test_an_entry_edited_in_the_database_is_named_by_verify(ledger, engine, database_url):
    """The entries are a cache of the log: one edited behind the ledger's back is served as edited, and
    ``verify --read-models`` names its row and the column."""
    bid, _ = martyr_relative(ledger, f"075150{next(SERIALS):06d}")
    engine.catch_up()
    models = ReadModels(database_url, engine, lambda store: ProjectionEngine(ledger, store), ALL_TABLES)
    assert verify_streams(ledger, read_models=models).ok
    forged = orjson.loads(from_the_log(ledger, bid))["items"][0] | {"actor": "someone else"}
    changed, _ = execute(
        database_url, "rm_audit", "UPDATE {table} SET entry = ? WHERE stream_id = ? AND seq = 1",
        (orjson.dumps(forged).decode(), str(bid)),
    )  # fmt: skip
    assert changed == 1
    report = verify_streams(ledger, read_models=models)
    (finding,) = report.findings
    assert (finding.kind, finding.stream_id) == ("read_model", str(bid))
    assert finding.message.startswith("rm_audit: the row (")
    assert "entry=" in finding.message
    assert "someone else" in finding.message


def test_rows_without_their_entry_are_answered_from_the_log(ledger, engine, clock, database_url):
    """Rows written by a projection process of an older release (its rows hold the column's default):
    the history is read from the log for that beneficiary, the same bytes, as of a moment too."""
    bid = paid_in_february(ledger, engine, clock)
    changed, _ = execute(
        database_url, "rm_audit", "UPDATE {table} SET entry = '' WHERE stream_id = ? AND seq = 3", (str(bid),)
    )
    assert changed == 1
    assert history_answer(engine, "operator", bid)[1] == from_the_log(ledger, bid)
    moment = "2024-02-10T09:00:00+00:00"
    assert history_answer(engine, "operator", bid, moment)[1] == from_the_log(ledger, bid, moment)
    assert history_answer(engine, "operator", bid, "2024-01-31")[1] == from_the_log(ledger, bid, "2024-01-31")


# ------------------------------------------------------------------------------------- over HTTP


def test_the_history_shows_a_write_of_another_process_at_once(database_url):
    """Read-your-writes without the app's engine having seen the write: a payment recorded through
    another ledger on the store (as ``ledger`` commands or a second worker do) is in the next answer,
    and the answer equals the log's."""
    api = Api(database_url).standard_users()
    try:
        api.clock.set(2024, 2, 10)
        person = api.register()
        bid = person["id"]
        eid = api.grant(bid, "NCC_MARTYR_RELATIVE", "2024-01", params={"martyrs": 1})["entitlement_id"]
        assert [e["type"] for e in api.history(bid)] == ["BeneficiaryRegistered", "EntitlementGranted"]
        other = open_ledger(database_url, clock=api.clock, seed_reference=False)
        other.record_payment(
            "po", payment_id="ELSEWHERE-1", beneficiary_id=bid, entitlement_id=eid, period="2024-01",
            amount=2_055_000, paid_on="2024-02-10",
        )  # fmt: skip
        answer = api.get(f"/v1/beneficiaries/{bid}/history")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["items"][-1]["data"]["payment_id"] == "ELSEWHERE-1"
        assert answer.content == from_the_log(api.ledger, bid)
        other.close()
    finally:
        api.close()
