"""Rule 7 — one-off payments (DESIGN §3.7).

Funeral allowance (mai táng phí: 20 × the social-assistance standard at the date of death, or the
provincial amount), NCC one-off allowances, convalescence (điều dưỡng), Tết gifts by campaign with a
funding source (central, province, district, commune, donations). Multiples of a standard are rounded to
the nearest 1,000 đồng, halves up (reference/README.md).
"""

from __future__ import annotations

import pytest

from domain.catalogue import reference_rate_book
from domain.errors import Conflict
from domain.values import Month
from ledger.campaigns import grant_campaign
from projections.reports import summary_report
from tests.support import (
    amount,
    basis,
    book,
    grant,
    log_position,
    pay,
    recipient_who_died_in_september,
    register_person,
)

# --------------------------------------------------------------------------------- pure


@pytest.mark.parametrize(
    ("provincial", "expected"),
    [(None, 10_000_000), (12_000_000, 12_000_000), (8_000_000, 10_000_000)],
    ids=["national", "province-higher", "province-lower"],
)
def test_funeral_allowance_is_20_standards_at_the_death_or_the_higher_provincial_amount(provincial, expected):
    """Funeral allowance = 20 × the standard in the month of death, or the province's own amount if higher."""
    rates = book(("BTXH_FUNERAL", "2024-01", provincial, "75")) if provincial else reference_rate_book()
    assert amount(
        "BTXH_FUNERAL", Month(2024, 11), rates=rates, province="75", death_month=Month(2024, 9)
    ) == (expected)
    # A death in June 2024 falls under the 360,000 standard: 7,200,000 unless the province pays more.
    june = amount("BTXH_FUNERAL", Month(2024, 11), rates=rates, province="75", death_month=Month(2024, 6))
    assert june == max(7_200_000, provincial or 0)


def test_a_provincial_funeral_amount_above_the_national_minimum_is_paid():
    """The provincial report's 74 funerals for 592,000,000: 8,000,000 each, the province's own amount, above
    20 × 360,000 = 7,200,000 for a death in May 2024."""
    national = amount("BTXH_FUNERAL", Month(2024, 6), province="75", death_month=Month(2024, 5))
    assert national == 7_200_000
    rates = book(("BTXH_FUNERAL", "2024-01", 8_000_000, "75"))
    provincial = amount(
        "BTXH_FUNERAL", Month(2024, 6), rates=rates, province="75", death_month=Month(2024, 5)
    )
    assert provincial == 8_000_000
    assert 74 * provincial == 592_000_000


@pytest.mark.parametrize(
    ("code", "amounts"),
    [
        ("NCC_CONVALESCENCE_HOME", (1_462_000, 1_850_000, 2_510_000)),
        ("NCC_CONVALESCENCE_GROUP", (2_923_000, 3_699_000, 5_020_000)),
    ],
)
def test_convalescence_is_a_multiple_of_the_ncc_standard_of_the_year(code, amounts):
    """Convalescence at home 0.9 × and in a group 1.8 × the NCC standard, a new standard counting from the
    next 1 January: in 2023 (1,624,000: 1,461,600 → 1,462,000; 2,923,200 → 2,923,000), 2024 (2,055,000:
    1,849,500 → 1,850,000; 3,699,000) and 2025 (2,789,000: 2,510,100 → 2,510,000; 5,020,200 → 5,020,000)."""
    assert tuple(amount(code, Month(year, 7)) for year in (2023, 2024, 2025)) == amounts


def test_an_ncc_one_off_allowance_is_its_multiple_of_the_standard_in_force_rounded_half_up():
    """A người có công giúp đỡ cách mạng who died before being granted: 1.5 × the standard — 2,436,000 in
    2023-06, 1.5 × 2,055,000 = 3,082,500 → 3,083,000 in 2023-07, 1.5 × 2,789,000 = 4,183,500 → 4,184,000 in
    2024-07."""
    amounts = [
        amount("NCC_1L_GDCM_CHET", month) for month in (Month(2023, 6), Month(2023, 7), Month(2024, 7))
    ]
    assert amounts == [2_436_000, 3_083_000, 4_184_000]


# --------------------------------------------------------------------------------- on the ledger


@pytest.mark.parametrize(
    ("provincial_amount", "funeral"),
    [(None, 10_000_000), (12_000_000, 12_000_000), (8_000_000, 10_000_000)],
    ids=["national", "province-higher", "province-lower"],
)
def test_funeral_allowance_is_20_standards_or_the_higher_provincial_amount(
    app, clock, provincial_amount, funeral
):
    """Funeral allowance (mai táng phí) = 20 × the standard at the month of death (20 × 500,000); a
    province's own amount is used only when it is higher."""
    if provincial_amount is not None:
        app.amend_rate(
            "admin",
            "BTXH_FUNERAL",
            province_code="75",
            effective_from="2024-01",
            amount=provincial_amount,
            legal_basis="NQ HĐND tỉnh",
        )
    bid, _ = recipient_who_died_in_september(app, clock)
    app.record_death("officer", bid, date_of_death="2024-09-20")
    ent = grant(app, bid, "BTXH_FUNERAL", effective_from="2024-11", signed="2024-11-25")
    assert ent["amount"] == funeral
    created, payment = pay(app, bid, ent["entitlement_id"], None, funeral)
    assert created is True
    assert payment["period"] is None


def test_funeral_allowance_before_the_death_is_recorded_is_refused(app, clock):
    """A funeral allowance needs the death recorded first; the refusal records nothing."""
    bid, _ = recipient_who_died_in_september(app, clock)
    head = log_position(app)
    with pytest.raises(Conflict, match="death"):
        grant(app, bid, "BTXH_FUNERAL", effective_from="2024-11", signed="2024-11-25")
    assert log_position(app) == head


def test_a_tet_gift_campaign_is_reported_by_its_funding_source(ledger, engine, clock):
    """A provincial Tết gift of 300,000 granted by campaign to every social-assistance recipient (two) and
    paid: the report counts 2 people and 600,000 under the province's funding; granting the campaign again
    grants nothing."""
    ledger.seed_reference_rates()
    clock.set("2025-01-05")
    people = [register_person(ledger, birth_year=year) for year in (1940, 1941)]
    params = {"amount": 300_000, "funding_source": "province", "occasion": "tet"}
    definition = {
        "campaign_id": "TET-2025-75",
        "scheme": "GIFT",
        "month": "2025-01",
        "params": params,
        "basis": basis("2025-01-03", "12/QĐ-UBND"),
        "select": {"kind": "social_assistance"},
    }
    created, summary = grant_campaign(ledger, "admin", **definition)
    assert created is True
    assert summary["granted"] == 2
    for bid in people:
        (gift,) = ledger.beneficiary_view(bid)["entitlements"]
        assert gift["amount"] == 300_000
        pay(ledger, bid, gift["entitlement_id"], None, 300_000)
    report = summary_report(engine, "2025-01", "2025-01")
    assert report["by_funding_source"] == {"province": {"people": 2, "payments": 2, "amount": 600_000}}
    again, _ = grant_campaign(ledger, "admin", **definition)
    assert again is False
