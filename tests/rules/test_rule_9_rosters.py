"""Rule 9 — rosters, danh sách chi trả (DESIGN §3.9).

The roster for month M and a scope (province, commune, payment channel) lists, per beneficiary, every
item due: the regular amount for M, arrears, carried-over uncollected amounts, one-offs, minus recoveries
by deduction; with totals per commune and channel. Generating it twice gives the same roster; an issued
roster is frozen (its content hash recorded); a roster "as of" a past date shows what was known then (see
also tests/rules/test_rule_3_arrears.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import Conflict
from projections.rosters import (
    RosterScope,
    approve_roster,
    build_roster,
    current_roster,
    issue_roster,
    roster_as_of,
)
from tests.support import (
    COMMUNE,
    OTHER_COMMUNE,
    basis,
    grant,
    martyr_relative,
    months,
    pay_in_month,
    record_standards_before_july_2024,
    register_person,
)

BANK = {"type": "bank", "bank_code": "VCB", "account_number": "0123456789"}


def test_roster_is_deterministic_totals_add_up_and_issued_hash_never_changes(ledger, engine, clock):
    """Same input, same bytes; totals equal the sum of lines; an issued roster stays frozen."""
    ledger.seed_reference_rates()
    a, ea = martyr_relative(ledger, "075150012345")
    b, _ = martyr_relative(ledger, "079160012345", commune=OTHER_COMMUNE)
    pay_in_month(ledger, clock, a, ea, "2024-01", 2_055_000)
    clock.set("2024-03-01")
    ledger.change_payment_channel(
        "officer", b, payment_channel=BANK,
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
    assert approve_roster(engine, "approver", issued["roster_id"])["status"] == "issued"
    pay_in_month(ledger, clock, a, ea, "2024-03", 2_055_000)  # a later change...
    frozen, info = current_roster(engine, "2024-03", RosterScope())
    assert info is not None
    assert frozen.content_hash() == issued["content_hash"]  # ...does not rewrite the issued roster
    assert build_roster(engine, "2024-03").content_hash() != issued["content_hash"]
    with pytest.raises(Conflict):
        issue_roster(engine, "payment-officer", "2024-03", RosterScope())


def test_a_roster_as_of_a_past_date_shows_what_was_known_then(ledger, engine, clock):
    """A martyr's relative paid for January and February 2024 dies on 2024-02-10; the death is recorded on
    2024-03-05. The March roster as of 2024-03-04 still lists 2,055,000 for March; today's lists nobody."""
    ledger.seed_reference_rates()
    bid, eid = martyr_relative(ledger)
    for month in months(1, 2):
        pay_in_month(ledger, clock, bid, eid, month, 2_055_000)
    clock.set("2024-03-05")
    ledger.record_death("officer", bid, date_of_death="2024-02-10", basis=basis("2024-03-05"))
    before = roster_as_of(ledger, "2024-03", datetime(2024, 3, 4, tzinfo=UTC))
    assert [(line.beneficiary_id, [(i.type, i.amount) for i in line.items]) for line in before.lines] == [
        (str(bid), [("regular", 2_055_000)])
    ]
    assert before.totals()["amount"] == 2_055_000
    now = build_roster(engine, "2024-03")
    assert now.lines == []
    assert now.totals()["amount"] == 0


def test_a_roster_lists_every_kind_of_item_with_totals_per_commune_and_channel(ledger, engine, clock):
    """August 2024, after NĐ 76/2024 (500,000 from July) is entered on 2024-08-05. In Trấn Biên, paid in
    cash, an 80+ recipient who left June uncollected and was paid 360,000 for July: 500,000 for August,
    140,000 arrears for July, 360,000 carried over for June (1,000,000). In Đồng Xoài, paid by bank, one
    who died on 2024-06-20, known only now, after July was paid: the funeral allowance 20 × 360,000 =
    7,200,000 minus the 360,000 overpaid (6,840,000)."""
    record_standards_before_july_2024(ledger)
    alive = register_person(ledger, birth_year=1940)
    died = register_person(ledger, birth_year=1938, commune_code=OTHER_COMMUNE, payment_channel=BANK)
    entitlements = {
        bid: grant(ledger, bid, "BTXH_ELDERLY_80", effective_from="2024-01", signed="2024-01-03")[
            "entitlement_id"
        ]
        for bid in (alive, died)
    }
    for month in months(1, 7):
        for bid, eid in entitlements.items():
            if (bid, month) != (alive, "2024-06"):
                pay_in_month(ledger, clock, bid, eid, month, 360_000)
    ledger.record_not_collected(
        "payment-officer", beneficiary_id=alive, entitlement_id=entitlements[alive], period="2024-06"
    )
    clock.set("2024-08-05")
    ledger.amend_rate(
        "admin", "BTXH_STANDARD", effective_from="2024-07", amount=500_000, legal_basis="NĐ 76/2024/NĐ-CP"
    )
    ledger.record_death("officer", died, date_of_death="2024-06-20", basis=basis("2024-08-05"))
    grant(ledger, died, "BTXH_FUNERAL", effective_from="2024-08", signed="2024-08-05")

    roster = build_roster(engine, "2024-08")
    lines = {line.beneficiary_id: line for line in roster.lines}
    assert sorted((i.type, i.period, i.amount) for i in lines[alive].items) == [
        ("arrears", "2024-07", 140_000),
        ("carried_over", "2024-06", 360_000),
        ("regular", "2024-08", 500_000),
    ]
    assert sorted((i.type, i.amount) for i in lines[died].items) == [
        ("one_off", 7_200_000),
        ("recovery", -360_000),
    ]
    assert (lines[alive].net_amount, lines[died].net_amount) == (1_000_000, 6_840_000)
    totals = roster.totals()
    assert totals["amount"] == 7_840_000
    assert totals["by_channel"] == {"cash": 1_000_000, "bank": 6_840_000}
    assert totals["by_commune"] == {COMMUNE: 1_000_000, OTHER_COMMUNE: 6_840_000}
    bank_only = build_roster(engine, "2024-08", RosterScope(channel="bank"))
    assert [(line.beneficiary_id, line.net_amount) for line in bank_only.lines] == [(died, 6_840_000)]
