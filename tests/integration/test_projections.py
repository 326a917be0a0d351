"""Read models and rosters: exactly once, rebuildable, equal to what the aggregates compute."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from domain.beneficiary import Beneficiary
from domain.errors import Conflict, DomainError
from domain.values import Month
from ledger.application import BenefitsLedger, open_ledger
from ledger.synthetic import generate_province
from projections.engine import ProjectionEngine, open_projections
from projections.exports import roster_csv, roster_xlsx
from projections.reports import exceptions, summary_report
from projections.rosters import (
    RosterScope,
    build_roster,
    current_roster,
    issue_roster,
    lines_from_aggregate,
    roster_as_of,
)
from tests.support import dump

COMMUNE = "26041"  # Phường Trấn Biên, Đồng Nai (75)
OTHER_COMMUNE = "25195"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2024, 1, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def set(self, year: int, month: int, day: int) -> None:
        self.now = datetime(year, month, day, 9, 0, tzinfo=UTC)


def basis(day: str) -> dict[str, str]:
    return {"decision_no": f"{day[-2:]}/QĐ-UBND", "decision_date": day, "issuer": "UBND tỉnh Đồng Nai"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(database_url: str, clock: Clock) -> BenefitsLedger:
    """The ledger without the packaged rates: each test records those it needs (some only up to a month)."""
    return open_ledger(database_url, clock=clock, seed_reference=False)


@pytest.fixture
def engine(ledger: BenefitsLedger, database_url: str) -> ProjectionEngine:
    eng = open_projections(ledger, database_url, batch_size=7)
    yield eng
    eng.store.close()


def martyr_relative(
    ledger: BenefitsLedger, citizen_id: str = "075150012345", commune: str = COMMUNE
) -> tuple:
    person = ledger.register_beneficiary(
        "officer", kind="meritorious", full_name="Trần Thị Bình", commune_code=commune, citizen_id=citizen_id,
        date_of_birth=f"19{citizen_id[4:6]}-02-01", sex="female",
    )  # fmt: skip
    granted = ledger.grant_entitlement(
        "officer", person.id, scheme="NCC_MARTYR_RELATIVE", effective_from="2024-01",
        basis=basis("2024-01-03"), params={"martyrs": 1},
    )  # fmt: skip
    return person.id, granted["entitlement_id"]


def pay(ledger: BenefitsLedger, clock: Clock, bid, eid, period: str, amount: int) -> None:
    year, month = map(int, period.split("-"))
    clock.set(year, month, 10)
    ledger.record_payment(
        "payment-officer", payment_id=f"P-{bid}-{period}-{amount}", beneficiary_id=bid, entitlement_id=eid,
        period=period, amount=amount, paid_on=f"{period}-10",
    )  # fmt: skip


def test_arrears_item_for_july_in_the_august_roster(ledger, engine, clock):
    """NCC standard amended on 2024-08-05 from 2024-07: the August roster pays 734,000 arrears for July."""
    ledger.seed_reference_rates(until=Month(2024, 6))
    bid, eid = martyr_relative(ledger)
    for month in range(1, 8):
        pay(ledger, clock, bid, eid, f"2024-{month:02d}", 2_055_000)
    clock.set(2024, 8, 5)
    ledger.amend_rate(
        "admin", "NCC_STANDARD", effective_from="2024-07", amount=2_789_000, legal_basis="NĐ 77/2024"
    )
    roster = build_roster(engine, "2024-08")
    (line,) = roster.lines
    items = [(i.type, i.period, i.amount) for i in line.items]
    assert items == [("regular", "2024-08", 2_789_000), ("arrears", "2024-07", 734_000)]
    assert line.net_amount == 3_523_000
    assert roster.totals()["amount"] == 3_523_000
    # what the ledger knew before the amendment: no arrears yet
    before = roster_as_of(ledger, "2024-08", datetime(2024, 8, 4, tzinfo=UTC))
    assert [(i.type, i.amount) for i in before.lines[0].items] == [("regular", 2_055_000)]


def test_late_death_overpayment_in_exceptions_and_deducted_once(ledger, engine, clock):
    """Death on 2024-09-20 recorded 2024-11-25 after Oct and Nov were paid: 1,000,000 overpaid, listed,
    deducted from the funeral allowance on the roster until a recovery by deduction is recorded."""
    ledger.seed_reference_rates()
    person = ledger.register_beneficiary(
        "officer", kind="social_assistance", full_name="Lê Văn Cường", commune_code=COMMUNE,
        citizen_id="075040012345", date_of_birth="1940-05-01", sex="male",
    )  # fmt: skip
    eid = ledger.grant_entitlement(
        "officer", person.id, scheme="BTXH_ELDERLY_80", effective_from="2024-07", basis=basis("2024-07-02")
    )["entitlement_id"]
    for month in range(7, 12):
        pay(ledger, clock, person.id, eid, f"2024-{month:02d}", 500_000)
    clock.set(2024, 11, 25)
    result = ledger.record_death("officer", person.id, date_of_death="2024-09-20", basis=basis("2024-11-25"))
    assert result["overpayment"]["amount"] == 1_000_000
    listed = exceptions(engine, "overpayment_outstanding")
    assert [(x["beneficiary_id"], x["outstanding"]) for x in listed] == [(str(person.id), 1_000_000)]
    after_death = exceptions(engine, "paid_after_death")
    assert sorted(x["period"] for x in after_death) == ["2024-10", "2024-11"]
    funeral = ledger.grant_entitlement(
        "officer", person.id, scheme="BTXH_FUNERAL", effective_from="2024-11", basis=basis("2024-11-26")
    )
    assert funeral["amount"] == 10_000_000
    clock.set(2024, 12, 1)
    roster = build_roster(engine, "2024-12")
    (line,) = roster.lines
    assert [(i.type, i.amount) for i in line.items] == [("one_off", 10_000_000), ("recovery", -1_000_000)]
    assert line.net_amount == 9_000_000
    ledger.record_recovery(
        "payment-officer", person.id, amount=1_000_000, method="deduction", reference="BB-12"
    )
    roster = build_roster(engine, "2024-12")
    # withheld from the funeral allowance itself: the family still receives 9,000,000
    assert [(i.type, i.amount) for i in roster.lines[0].items] == [("one_off", 9_000_000)]
    assert roster.lines[0].net_amount == 9_000_000
    assert exceptions(engine, "overpayment_outstanding") == []


def test_uncollected_amount_carried_over_exactly_once(ledger, engine, clock):
    """August not collected: September's roster carries it once; once paid it is gone."""
    ledger.seed_reference_rates()
    bid, eid = martyr_relative(ledger)
    for month in range(1, 8):
        pay(ledger, clock, bid, eid, f"2024-{month:02d}", 2_789_000 if month >= 7 else 2_055_000)
    clock.set(2024, 8, 28)
    ledger.record_not_collected("payment-officer", beneficiary_id=bid, entitlement_id=eid, period="2024-08")
    september = build_roster(engine, "2024-09")
    assert [(i.type, i.period) for i in september.lines[0].items] == [
        ("regular", "2024-09"),
        ("carried_over", "2024-08"),
    ]
    pay(ledger, clock, bid, eid, "2024-08", 2_789_000)
    pay(ledger, clock, bid, eid, "2024-09", 2_789_000)
    october = build_roster(engine, "2024-10")
    assert [(i.type, i.period) for i in october.lines[0].items] == [("regular", "2024-10")]


def test_roster_is_deterministic_totals_add_up_and_issued_hash_never_changes(ledger, engine, clock):
    """Same input, same bytes; totals equal the sum of lines; an issued roster stays frozen."""
    ledger.seed_reference_rates()
    a, ea = martyr_relative(ledger, "075150012345")
    b, _ = martyr_relative(ledger, "079160012345", commune=OTHER_COMMUNE)
    pay(ledger, clock, a, ea, "2024-01", 2_055_000)
    clock.set(2024, 3, 1)
    ledger.change_payment_channel(
        "officer", b, payment_channel={"type": "bank", "bank_code": "VCB", "account_number": "0123456789"},
        effective_from="2024-03",
    )  # fmt: skip
    first = build_roster(engine, "2024-03")
    second = build_roster(engine, "2024-03")
    assert first.canonical_json() == second.canonical_json()
    totals = first.totals()
    assert totals["amount"] == sum(line.net_amount for line in first.lines)
    assert totals["lines"] == len(first.lines) == 2
    assert totals["by_channel"]["bank"] + totals["by_channel"]["cash"] == totals["amount"]
    assert sum(totals["by_commune"].values()) == totals["amount"]
    engine.rebuild()
    assert build_roster(engine, "2024-03").canonical_json() == first.canonical_json()
    scoped = build_roster(engine, "2024-03", RosterScope(commune_code=OTHER_COMMUNE))
    assert [line.commune_code for line in scoped.lines] == [OTHER_COMMUNE]
    assert build_roster(engine, "2024-03", RosterScope(channel="bank")).lines[0].beneficiary_id == str(b)
    issued = issue_roster(engine, "payment-officer", "2024-03", RosterScope())
    assert issued["content_hash"] == first.content_hash()
    pay(ledger, clock, a, ea, "2024-03", 2_055_000)  # a later change...
    frozen, info = current_roster(engine, "2024-03", RosterScope())
    assert info is not None
    assert frozen.content_hash() == issued["content_hash"]  # ...does not rewrite the issued roster
    assert build_roster(engine, "2024-03").content_hash() != issued["content_hash"]
    with pytest.raises(Conflict):
        issue_roster(engine, "payment-officer", "2024-03", RosterScope())


def test_roster_files_have_the_vietnamese_headings(ledger, engine, clock):
    ledger.seed_reference_rates()
    martyr_relative(ledger)
    roster = build_roster(engine, "2024-02")
    text = roster_csv(roster).decode("utf-8-sig")
    assert "STT,Họ và tên,Số CCCD,Xã/phường,Chế độ,Số tiền,Hình thức,Ký nhận" in text
    assert "4.110.000" in text  # January arrears + February, formatted 1.234.567
    book = load_workbook(BytesIO(roster_xlsx(roster)))
    assert book.sheetnames[0] == "Tổng hợp"
    sheet = book[book.sheetnames[1]]
    assert [c.value for c in sheet[2]] == ["STT", "Họ và tên", "Số CCCD", "Xã/phường", "Chế độ", "Số tiền",
                                           "Hình thức", "Ký nhận"]  # fmt: skip
    assert sheet.cell(row=sheet.max_row, column=2).value == "Tổng cộng"
    assert sheet.cell(row=sheet.max_row, column=6).value == 4_110_000


def _history(ledger: BenefitsLedger, clock: Clock) -> None:
    """A small province: several people, payments, a rate amendment, a death, cards."""
    ledger.seed_reference_rates(until=Month(2024, 6))
    people = [martyr_relative(ledger, f"07515{n:07d}") for n in range(1, 5)]
    for month in range(1, 8):
        for bid, eid in people[:3]:
            pay(ledger, clock, bid, eid, f"2024-{month:02d}", 2_055_000)
    clock.set(2024, 8, 5)
    ledger.amend_rate(
        "admin", "NCC_STANDARD", effective_from="2024-07", amount=2_789_000, legal_basis="NĐ 77/2024"
    )
    ledger.issue_card("officer", people[0][0], card_number="TS2750000000001", valid_from="2024-01-01")
    ledger.record_not_collected(
        "po", beneficiary_id=people[1][0], entitlement_id=people[1][1], period="2024-08"
    )
    clock.set(2024, 9, 2)
    ledger.record_death("officer", people[2][0], date_of_death="2024-05-03")


def test_read_models_equal_a_rebuild_after_a_crash_inside_a_batch(ledger, engine, clock):
    """A batch that fails before commit leaves nothing; the next run ends equal to a fresh rebuild."""
    _history(ledger, clock)
    engine.fail_after_apply = 3
    with pytest.raises(RuntimeError, match="simulated crash"):
        engine.catch_up()
    position = engine.position()
    assert 0 < position < (ledger.recorder.max_notification_id() or 0)
    engine.fail_after_apply = None
    engine.catch_up()
    caught_up = dump(engine)
    engine.rebuild()
    assert dump(engine) == caught_up


def test_read_models_of_an_older_release_get_the_item_columns_and_are_rebuilt(
    ledger, engine, clock, database_url
):
    """A read store written before ``rm_dues.overdue_kind``/``item_month`` and ``rm_payments.after_death``
    existed (dropped here) gets them when opened and is rebuilt: the tables equal a fresh rebuild."""
    _history(ledger, clock)
    engine.catch_up()
    expected = dump(engine)
    with engine.store.write() as tx:
        tx.execute("ALTER TABLE rm_dues DROP COLUMN overdue_kind")
        tx.execute("ALTER TABLE rm_dues DROP COLUMN item_month")
        tx.execute("ALTER TABLE rm_payments DROP COLUMN after_death")
    reopened = open_projections(ledger, database_url)
    try:
        assert {"overdue_kind", "item_month"} <= reopened.store.columns("rm_dues")
        assert dump(reopened) == expected
    finally:
        reopened.store.close()


def test_projected_dues_equal_what_the_aggregates_compute(ledger, engine, clock):
    _history(ledger, clock)
    roster = build_roster(engine, "2024-09")
    rates = ledger.rates()
    by_id = {line.beneficiary_id: line for line in roster.lines}
    with engine.store.read() as tx:
        rows = tx.fetchall(
            "SELECT entitlement_id, period, due, paid, not_collected, overdue_kind, item_month FROM rm_dues"
        )
        ids = [r[0] for r in tx.fetchall("SELECT id FROM rm_beneficiaries")]
        after_death = {
            r[0]: bool(r[1]) for r in tx.fetchall("SELECT payment_id, after_death FROM rm_payments")
        }
    projected = {(r[0], r[1]): (r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows}
    for bid in ids:
        agg = ledger.beneficiary(bid)
        for item in agg.ledger_items(Month(2024, 9), rates):
            if (item.entitlement_id, item.period) in projected:
                assert projected[(item.entitlement_id, item.period)] == (
                    item.due,
                    item.paid,
                    item.not_collected,
                    item.overdue_kind,  # what the domain says of the item, stored for rosters
                    item.month,
                )
        for payment in agg.payments.values():
            assert after_death[payment.payment_id] == agg.paid_after_death(payment)
        expected = lines_from_aggregate(agg, Month(2024, 9), rates)
        got = by_id.get(bid)
        assert (got.as_dict() if got else None) == (expected.as_dict() if expected.items else None)
    report = summary_report(engine, "2024-01", "2024-09")
    assert report["payments"] == 21
    assert report["cards"]["TS"]["in_use"] == 1


def _dump_json(engine: ProjectionEngine) -> str:
    return json.dumps({k: [list(map(str, r)) for r in v] for k, v in dump(engine).items()}, sort_keys=True)


@pytest.mark.slow
def test_killed_projection_process_resumes_to_the_same_tables(ledger, engine, clock, database_url, tmp_path):
    """kill -9 a process that is catching up, twice; the next run ends equal to a fresh rebuild."""
    _history(ledger, clock)
    script = tmp_path / "follow.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, time
            sys.path.insert(0, {str(Path.cwd())!r})
            from ledger.application import open_ledger
            from projections.engine import open_projections
            url = {database_url!r}
            engine = open_projections(open_ledger(url), url, batch_size=1)
            original = engine._apply
            def paced(tx, notifications):
                original(tx, notifications)
                print("batch", flush=True)
                sys.stdin.readline()  # the next batch only when the test says so
            engine._apply = paced
            engine.catch_up()
            """
        )
    )
    total = ledger.recorder.max_notification_id() or 0
    for _ in range(2):
        proc = subprocess.Popen(
            [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        assert proc.stdin is not None
        for step in range(5):  # the kill lands inside the fifth batch: applied, its transaction open
            assert proc.stdout.readline() == "batch\n"
            if step < 4:
                proc.stdin.write("next\n")
                proc.stdin.flush()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    position = engine.position()
    assert 0 < position < total
    engine.catch_up()
    resumed = _dump_json(engine)
    engine.rebuild()
    assert _dump_json(engine) == resumed


SERIALS = itertools.count(100)

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["pay", "pay_part", "not_collected", "reverse", "adjust", "rate", "death", "terminate", "recover",
             "catch_up"]
        ),
        st.integers(0, 2),  # which person
        st.integers(1, 12),  # which month of 2024
        st.integers(1, 3),  # a small parameter
    ),
    min_size=5,
    max_size=25,
)  # fmt: skip


def _operate(ledger, engine, person, op, month, small, tag, paid):
    """Run one random operation; refusals by the ledger's rules are part of the game."""
    bid, eid = person
    period = f"2024-{month:02d}"
    basis_ = basis("2024-12-01")
    if op in {"pay", "pay_part"}:
        item = ledger.beneficiary(bid).due_item(eid, period, ledger.rates())
        amount = item.outstanding if op == "pay" else max(item.outstanding // (small + 1), 1)
        pid = f"{tag}-{period}-{len(paid)}"
        ledger.record_payment(
            "po", payment_id=pid, beneficiary_id=bid, entitlement_id=eid, period=period, amount=amount,
            paid_on="2024-12-20",
        )  # fmt: skip
        paid.append(pid)
        return
    actions = {
        "not_collected": lambda: ledger.record_not_collected(
            "po", beneficiary_id=bid, entitlement_id=eid, period=period
        ),
        "reverse": lambda: paid and ledger.reverse_payment("po", paid[small % len(paid)], reason="ghi nhầm"),
        "adjust": lambda: ledger.adjust_entitlement(
            "officer", bid, eid, effective_from=period, params={"martyrs": small}, basis=basis_
        ),
        "rate": lambda: ledger.amend_rate(
            "admin", "NCC_STANDARD", effective_from=period, amount=2_000_000 + small * 100_000,
            legal_basis=f"test decree {tag}-{month}",
        ),
        "death": lambda: ledger.record_death("officer", bid, date_of_death=f"{period}-15"),
        "terminate": lambda: ledger.terminate_entitlement(
            "officer", bid, eid, last_month=period, basis=basis_
        ),
        "recover": lambda: ledger.record_recovery("po", bid, amount=small * 100_000, method="cash"),
        "catch_up": engine.catch_up,
    }  # fmt: skip
    actions[op]()


def _assert_projection_matches(ledger, engine, people):
    roster = build_roster(engine, "2024-12")
    rates = ledger.rates()
    by_id = {line.beneficiary_id: line for line in roster.lines}
    for bid, _ in people:
        agg = ledger.beneficiary(bid)
        with engine.store.read() as tx:
            rows = tx.fetchall(
                "SELECT entitlement_id, period, due, paid, not_collected FROM rm_dues"
                " WHERE beneficiary_id = ?",
                (str(bid),),
            )
            horizon = tx.scalar("SELECT horizon FROM rm_beneficiaries WHERE id = ?", (str(bid),))
        projected = {(r[0], r[1]): (r[2], r[3], bool(r[4])) for r in rows}
        computed = {
            (i.entitlement_id, i.period): (i.due, i.paid, i.not_collected)
            for i in agg.ledger_items(Month(2025, 1), rates)
        }
        assert projected == {k: v for k, v in computed.items() if k in projected}
        assert set(computed) - set(projected) <= {k for k in computed if k[1] > horizon}
        expected = lines_from_aggregate(agg, Month(2024, 12), rates)
        got = by_id.get(str(bid))
        assert (got.as_dict() if got else None) == (expected.as_dict() if expected.items else None)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS, seed=st.integers(0, 10**6))
def test_random_histories_project_to_what_the_aggregates_compute(ledger, engine, clock, operations, seed):
    """For random event histories (payments, non-collection, reversals, adjustments, retroactive rate
    amendments, deaths, terminations, recoveries), caught up at random points: the projected dues and
    the roster equal what the aggregates compute, and a rebuild gives the same tables."""
    if ledger.rate_schedule("NCC_STANDARD") is None:
        ledger.seed_reference_rates(until=Month(2023, 12))
    clock.set(2024, 1, 2)
    people = [martyr_relative(ledger, f"075150{next(SERIALS):06d}") for _ in range(3)]
    paid: list[str] = []
    clock.set(2024, 12, 20)
    for op, who, month, small in operations:
        with contextlib.suppress(DomainError):
            _operate(ledger, engine, people[who], op, month, small, f"H{seed}-{who}", paid)
    _assert_projection_matches(ledger, engine, people)
    before = _dump_json(engine)
    engine.rebuild()
    assert _dump_json(engine) == before


@pytest.mark.parametrize("ahead", [0, 1, 3])
def test_a_generated_province_roster_equals_the_aggregates_months_ahead(database_url, ahead):
    """Deaths, terminations, suspensions, non-collection and arrears of a synthetic province: the roster
    built from the read models (bulk-loaded states for whoever the dues lines do not reach yet) equals
    what every aggregate computes, for the current month and months beyond every horizon."""
    today = date(2025, 6, 16)
    app = open_ledger(database_url, clock=lambda: datetime(2025, 6, 16, 2, tzinfo=UTC))
    generate_province(app, beneficiaries=60, today=today, batch_size=20)
    eng = open_projections(app, database_url)
    month = Month.of(today).plus(ahead)
    roster = build_roster(eng, month)
    rates = app.rates()
    by_id = {line.beneficiary_id: line for line in roster.lines}
    for bid in app.all_stream_ids():
        agg = app.repository.get(bid)
        if not isinstance(agg, Beneficiary):
            continue
        expected = lines_from_aggregate(agg, month, rates)
        got = by_id.get(str(bid))
        assert (got.as_dict() if got else None) == (expected.as_dict() if expected.items else None), bid
    eng.store.close()
