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
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.beneficiary import Beneficiary
from domain.errors import DomainError
from domain.values import Month
from ledger.application import BenefitsLedger, open_ledger
from ledger.demo import generate_province
from projections.engine import ProjectionEngine, open_projections
from projections.exports import roster_csv, roster_xlsx
from projections.reports import summary_report
from projections.rosters import (
    RosterScope,
    build_roster,
    lines_from_aggregate,
    month_roster,
    roster_json,
    roster_rows,
)
from projections.views import COMPLETE, DUES_AHEAD
from tests.support import FixedClock, dump, martyr_relative, pay_in_month
from tests.workbook_reading import commune_table, open_roster


def basis(day: str) -> dict[str, str]:
    return {"decision_no": f"{day[-2:]}/QĐ-UBND", "decision_date": day, "issuer": "UBND tỉnh Đồng Nai"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock("2024-01-05")


@pytest.fixture
def ledger(database_url: str, clock: FixedClock) -> BenefitsLedger:
    """The ledger without the packaged rates: each test records those it needs (some only up to a month)."""
    return open_ledger(database_url, clock=clock, seed_reference=False)


@pytest.fixture
def engine(ledger: BenefitsLedger, database_url: str) -> ProjectionEngine:
    eng = open_projections(ledger, database_url, batch_size=7)
    yield eng
    eng.store.close()


def test_roster_files_have_the_vietnamese_headings(ledger, engine, clock):
    ledger.seed_reference_rates()
    martyr_relative(ledger)
    roster = build_roster(engine, "2024-02")
    text = roster_csv(roster).decode("utf-8-sig")
    assert "STT,Họ và tên,Số CCCD,Xã/phường,Chế độ,Số tiền,Hình thức,Ký nhận" in text
    assert ",4110000," in text  # January arrears + February, a plain integer a spreadsheet sums
    book = open_roster(roster_xlsx(roster))
    assert book.sheetnames[0] == "Tổng hợp"
    headings, rows, total = commune_table(book[book.sheetnames[1]])
    assert headings == ["STT", "Họ và tên", "Số CCCD", "Khoản chi", "Số tiền (đ)", "Thực nhận (đ)",
                        "Hình thức", "Ký nhận"]  # fmt: skip
    assert [r[4] for r in rows] == [2_055_000, 2_055_000]  # January arrears, February: a row each
    assert total[1].startswith("Cộng ")
    assert total[5] == 4_110_000


def _history(ledger: BenefitsLedger, clock: FixedClock) -> None:
    """A small province: several people, payments, a rate amendment, a death, cards."""
    ledger.seed_reference_rates(until=Month(2024, 6))
    people = [martyr_relative(ledger, f"07515{n:07d}") for n in range(1, 5)]
    for month in range(1, 8):
        for bid, eid in people[:3]:
            pay_in_month(ledger, clock, bid, eid, f"2024-{month:02d}", 2_055_000)
    clock.set("2024-08-05")
    ledger.amend_rate(
        "admin", "NCC_STANDARD", effective_from="2024-07", amount=2_789_000, legal_basis="NĐ 77/2024"
    )
    ledger.issue_card("officer", people[0][0], card_number="TS2750000000001", valid_from="2024-01-01")
    ledger.record_not_collected(
        "po", beneficiary_id=people[1][0], entitlement_id=people[1][1], period="2024-08"
    )
    clock.set("2024-09-02")
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
        tx.execute("DROP INDEX rm_dues_owed")  # an index of a later release, on the columns dropped
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
            until = tx.scalar("SELECT dues_until FROM rm_beneficiaries WHERE id = ?", (str(bid),))
        projected = {(r[0], r[1]): (r[2], r[3], bool(r[4])) for r in rows}
        # the dues lines reach DUES_AHEAD months past the horizon, or every month (COMPLETE: nothing
        # more can fall due — what the aggregate computes after them is nothing)
        last = Month(2026, 12) if until == COMPLETE else Month.parse(until)
        computed = {
            (i.entitlement_id, i.period): (i.due, i.paid, i.not_collected)
            for i in agg.ledger_items(last, rates)
        }
        assert projected == {k: v for k, v in computed.items() if k in projected}
        missing = set(computed) - set(projected)
        if until == COMPLETE:
            assert all(computed[k][0] == 0 for k in missing)
        else:
            assert missing <= {k for k in computed if k[1] > until}
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
    clock.set("2024-01-02")
    people = [martyr_relative(ledger, f"075150{next(SERIALS):06d}") for _ in range(3)]
    paid: list[str] = []
    clock.set("2024-12-20")
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


def test_the_sql_roster_equals_the_aggregates_for_every_scope_view_and_month(database_url):
    """A synthetic province (deaths, terminations, suspensions, relocations, arrears, recoveries): for the
    current month, the next ones and one beyond every person's dues lines (``DUES_AHEAD``: read from the
    aggregates), every scope (the province, communes, a channel, a commune's channel) and both views, the
    roster built in SQL (:func:`roster_rows`) holds line for line what each aggregate computes
    (:func:`lines_from_aggregate`), and its JSON, encoded from the rows piece by piece, is the roster's
    canonical JSON byte for byte."""
    today = date(2025, 6, 16)
    app = open_ledger(database_url, clock=lambda: datetime(2025, 6, 16, 2, tzinfo=UTC))
    generate_province(app, beneficiaries=60, today=today, batch_size=20)
    eng = open_projections(app, database_url)
    rates = app.rates()
    aggregates = [a for bid in app.all_stream_ids() if isinstance(a := app.repository.get(bid), Beneficiary)]
    for ahead in (0, 1, 2, DUES_AHEAD + 2):
        month = Month.of(today).plus(ahead)
        whole = roster_rows(eng, month)
        communes = sorted({line[3] for line in whole.lines})
        scopes = [RosterScope(), RosterScope(None, "cash"), RosterScope(None, "bank"),
                  *(RosterScope(c) for c in communes[:3]), RosterScope(communes[0], "cash")]  # fmt: skip
        for scope, month_view in itertools.product(scopes, (False, True)):
            expected = []
            for agg in aggregates:
                line = lines_from_aggregate(agg, month, rates, month_view=month_view)
                if line.items and scope.admits(line.commune_code, line.channel):
                    expected.append(line.as_dict(status=month_view))
            expected.sort(
                key=lambda x: (x["commune_code"], x["full_name"], x["citizen_id"] or "", x["beneficiary_id"])
            )
            roster = month_roster(eng, month, scope) if month_view else build_roster(eng, month, scope)
            assert [line.as_dict(status=month_view) for line in roster.lines] == expected, (ahead, scope)
            document, _ = roster_json(eng, month, scope, outstanding_only=not month_view)
            assert b"".join(document.parts) + b"}" == roster.canonical_json(), (ahead, scope, month_view)
            assert document.beneficiary_ids == [line.beneficiary_id for line in roster.lines]
    eng.store.close()
