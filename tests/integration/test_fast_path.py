"""The fast path of a payment file equals the slow one (issue 16, item 5): random histories of one
beneficiary through the ledger application (grants, payments, partial payments, non-collection,
reversals, deductions, recoveries, deaths, relocations, suspensions, rate amendments — the commands of
``test_properties``), then a random confirmation file decided twice on the same store: on aggregates
restored from the stored terms and the file's positions (what an import does), and on whole aggregates
replayed from the events. Both must take the same decisions (rows recorded, already recorded, refused
with the same field and reason), build the same events byte for byte as stored, write the same rows
beside them, and leave the same dues (the roster's items); then the file is imported for real and the
store verifies (the write side equals the replay)."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.beneficiary import Beneficiary
from domain.events import RecordContext
from domain.parts import ONE_OFF
from domain.positions import write_side_of
from ledger.bulk import BulkLoader
from ledger.import_workers import record_in_workers
from ledger.imports import ImportReport, _checked, check_rows, import_payments, read_table
from ledger.integrity import verify_streams
from tests.integration.test_properties import (
    ACTOR,
    COMMANDS,
    COMMUNE,
    LATE,
    MONTHS,
    PEOPLE,
    SCHEMES,
    START_DAY,
    Clock,
    Cmd,
    Model,
    World,
    _open,
    _person,
)

HEADER = ["payment_id", "beneficiary_id", "entitlement_id", "scheme", "period", "amount", "paid_on", "status",
          "channel"]  # fmt: skip

ROW = st.fixed_dictionaries(
    {
        "which": st.integers(0, 7),
        "month": st.sampled_from(MONTHS),
        "amount": st.sampled_from(
            ["outstanding", "outstanding", "outstanding", "due", "half", "over", "one"]
        ),
        "status": st.sampled_from(["paid", "paid", "paid", "not_collected"]),
        "pid": st.sampled_from(["new", "new", "new", "recorded", "repeat"]),
        "channel": st.sampled_from(["", "", "cash", "bank"]),
        "by_scheme": st.booleans(),
    }
)


def payment_file(agg: Beneficiary, rates: Any, rows: list[dict[str, Any]], tag: str) -> bytes:
    """A confirmation file for ``agg``'s entitlements from the random ``rows``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    entitlements = list(agg.entitlements.values())
    recorded = list(agg.payments.values())
    for n, row in enumerate(rows):
        if not entitlements:
            break
        ent = entitlements[row["which"] % len(entitlements)]
        period = row["month"] if ent.scheme.monthly else ONE_OFF
        item = agg.due_item(ent.entitlement_id, period, rates)
        amount = {
            "outstanding": item.outstanding, "due": item.due, "half": item.outstanding // 2,
            "over": item.outstanding + 1_000, "one": 1,
        }[row["amount"]]  # fmt: skip
        pid = f"{tag}F{n}"
        if row["pid"] == "recorded" and recorded:
            pid = recorded[n % len(recorded)].payment_id
        elif row["pid"] == "repeat" and n:
            pid = f"{tag}F{n - 1}"
        writer.writerow(
            [
                pid, str(agg.id), "" if row["by_scheme"] else ent.entitlement_id,
                ent.scheme_code if row["by_scheme"] else "", "" if period == ONE_OFF else period,
                str(max(amount, 1)), "2025-11-20", row["status"], row["channel"],
            ]
        )  # fmt: skip
    return out.getvalue().encode()


def decided(app: Any, content: bytes, *, from_terms: bool, allow_partial: bool) -> tuple[Any, ...]:
    """What the import's rules decide on ``content`` without saving: the report, the refused rows, the
    events as they would be stored, the write side's rows, and the aggregates' dues after."""
    rows, errors = check_rows(read_table(content, "file.csv"))
    loader = BulkLoader(app)
    try:
        report, refused = ImportReport(), set[int]()
        ctx = RecordContext(ACTOR, app.clock(), "import file.csv")
        rates = app.rates()
        batch = _checked(app, loader, rows, {}, ctx, rates, report, refused, allow_partial=allow_partial,
                         from_terms=from_terms)  # fmt: skip
        stored = []
        sides = []
        items = []
        for agg in batch.pending():
            events = list(agg.pending_events)
            stored.extend(
                (str(s.originator_id), s.originator_version, s.topic, bytes(s.state))
                for s in map(app.mapper.to_stored_event, events)
            )
            sides.append(write_side_of(agg, events, rates))
            touched = {(e.entitlement_id, e.period) for e in events if hasattr(e, "period")}
            items.extend(agg.due_item(e, p, rates) for e, p in sorted(touched))  # the roster's items
        partial = set(loader.partial)
    finally:
        loader.close()
    counts = (batch.report.recorded, batch.report.already_recorded, batch.report.not_collected)
    refusals = sorted((e.row, e.column, e.reason) for e in [*errors, *report.errors])
    return (counts, refusals, stored, sides, items), partial


def test_a_payment_file_decided_on_terms_equals_the_one_decided_on_whole_aggregates(
    database_url: str,
) -> None:
    serials = itertools.count(1)
    clock = Clock()
    app = _open(database_url, clock)
    app.seed_reference_rates()

    @given(
        history=st.tuples(
            st.sampled_from(sorted(SCHEMES)),
            st.integers(0, len(PEOPLE) - 1),
            st.integers(0, 1),
            st.sampled_from(MONTHS[:12]),
            st.lists(COMMANDS, min_size=6, max_size=18),
        ),
        rows=st.lists(ROW, min_size=1, max_size=12),
        allow_partial=st.booleans(),
    )
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def run(
        history: tuple[str, int, int, str, list[Cmd]], rows: list[dict[str, Any]], allow_partial: bool
    ) -> None:
        kind, person, scheme, month, cmds = history
        clock.now = START_DAY
        serial = next(serials)
        fields, dob = _person(kind, person, serial)
        stored = app.register_beneficiary(ACTOR, commune_code=COMMUNE, **fields)
        shadow = Beneficiary.register(
            RecordContext(ACTOR, clock.now), beneficiary_id=stored.id, commune_code=stored.commune_code,
            province_code=stored.province_code, **fields,
        )  # fmt: skip
        world = World(shadow, Model(kind, dob), clock, app.rates(), app=app, tag=f"{serial}-",
                      card_base=8_000_000_000 + serial * 10)  # fmt: skip
        grant = {"month": month, "signed": 0, "end": None, "martyrs": 2, "injury": 61, "severe": False}
        for cmd in [Cmd("grant", {"pick": scheme, **grant}), *cmds]:
            world.step(cmd)
        clock.now = clock.now.replace(year=2025, month=11, day=21)
        agg = app.beneficiary(stored.id)
        content = payment_file(agg, app.rates(), rows, f"{serial}-")
        fast, partial = decided(app, content, from_terms=True, allow_partial=allow_partial)
        slow, whole = decided(app, content, from_terms=False, allow_partial=allow_partial)
        checked = bool(check_rows(read_table(content, "file.csv"))[0])
        assert partial == ({stored.id} if checked else set()), "the fast path decided on the stored terms"
        assert whole == set()
        fast_path_used.append(checked)
        assert fast == slow
        report = import_payments(app, content, "file.csv", actor=ACTOR, accept_good_rows=True,
                                 allow_partial=allow_partial)  # fmt: skip
        assert report.recorded == fast[0][0]
        after = app.beneficiary(stored.id)
        assert after.ledger_items(LATE, app.rates()) == app.beneficiary_to_decide(stored.id).ledger_items(
            LATE, app.rates()
        )
        verified = verify_streams(app, stream_ids={stored.id})
        assert verified.ok, verified.as_dict()

    fast_path_used: list[bool] = []
    try:
        run()
        assert sum(fast_path_used) >= len(fast_path_used) // 2, "most files had rows for the rules"
        assert verify_streams(app).ok  # the write side of every example equals its replay
    finally:
        app.close()


def test_a_file_recorded_by_two_workers_equals_one_recorded_by_one(
    database_url: str, monkeypatch: Any
) -> None:
    """Two groups of eight people, the same file shape for each (one row over what is due): one file
    imported by one process, the other by two workers over disjoint beneficiaries (each chunk its own
    transaction). Both record the same, refuse the same row, and the store verifies — its write side
    and Merkle log kept by every worker's transactions."""
    spawned: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> None:
        spawned.append(kwargs["workers"])
        record_in_workers(*args, **kwargs)

    monkeypatch.setattr("ledger.imports.record_in_workers", counted)
    app = _open(database_url, Clock(now=START_DAY.replace(year=2025, month=8, day=20)))
    try:
        app.seed_reference_rates()
        results = []
        for workers in (1, 2):
            content = _small_province_file(app, group=workers)
            report = import_payments(app, content, "file.csv", actor=ACTOR, accept_good_rows=True,
                                     batch_size=3, workers=workers)  # fmt: skip
            assert report.committed
            results.append((report.recorded, report.not_collected, report.events,
                            [(e.row, e.column) for e in report.errors]))  # fmt: skip
        assert spawned == [2], "the second file went through the workers"
        assert results[0] == results[1] == (7, 0, 7, [(5, "amount")])
        payments = [
            e for e in (app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 10**6))
            if isinstance(e, Beneficiary.PaymentRecorded)
        ]  # fmt: skip
        assert sorted(e.payment_id for e in payments) == sorted(
            f"W{g}-{n}" for g in (1, 2) for n in range(8) if n != 3
        )
        assert verify_streams(app).ok
    finally:
        app.close()


def _small_province_file(app: Any, group: int) -> bytes:
    """Eight people of one commune granted the 80+ allowance from January 2025; a file paying their
    August, the fourth row 1 đồng over what is due."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n in range(8):
        fields, _ = _person("social_assistance", 0, 900_000 + 10 * group + n)
        agg = app.register_beneficiary(ACTOR, commune_code=COMMUNE, **fields)
        basis = {"decision_no": f"{group}{n}/QĐ-UBND", "decision_date": "2025-01-05", "issuer": "UBND xã"}
        ent = app.grant_entitlement(ACTOR, agg.id, scheme="BTXH_ELDERLY_80", effective_from="2025-01",
                                    basis=basis)  # fmt: skip
        due = app.beneficiary(agg.id).due_item(ent["entitlement_id"], "2025-08", app.rates()).outstanding
        writer.writerow([f"W{group}-{n}", str(agg.id), ent["entitlement_id"], "", "2025-08",
                         str(due + (n == 3)), "2025-08-20", "paid", ""])  # fmt: skip
    return out.getvalue().encode()
