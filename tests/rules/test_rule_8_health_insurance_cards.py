"""Rule 8 — health-insurance cards, thẻ BHYT (DESIGN §3.8).

Card number = 2-letter group code + benefit digit + 2-digit province code + 10-digit social-insurance
number (``BT2 80 7912345678`` written without spaces). Groups: CC, CK (NCC), TS (martyrs' relatives), BT
(social assistance), HN (poor), CN (near-poor), TE (children under 6). A card is issued, renewed, revoked;
monthly counts per group: in use, new, ended.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import Conflict, InvalidInput
from domain.values import card_group, parse_card_number
from projections.reports import summary_report
from tests.support import grant, person, records_nothing, register_person

# --------------------------------------------------------------------------------- pure


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("BT2807912345678", "BT2807912345678"),
        ("BT2 80 7912345678", "BT2807912345678"),
        ("bt2807912345678", "BT2807912345678"),
        ("CC1757912345678", "CC1757912345678"),
        ("TE1017912345678", "TE1017912345678"),
    ],
)
def test_a_card_number_is_group_benefit_province_and_insurance_number(value, normalised):
    """Card number = group code + benefit digit + province code + 10-digit social-insurance number;
    spaces and lower case are normalised away."""
    assert parse_card_number(value) == normalised
    assert card_group(normalised) == normalised[:2]


def test_card_numbers():
    assert parse_card_number("BT2 80 7912345678") == "BT2807912345678"
    for bad, fragment in [
        ("XX2807912345678", "group code"),
        ("BT9807912345678", "benefit digit"),
        ("BT28079123456", "15 characters"),
        ("BT2037912345678", "province code"),
    ]:
        with pytest.raises(InvalidInput) as error:
            parse_card_number(bad)
        assert error.value.field == "card_number"
        assert fragment in error.value.message


def test_a_child_under_six_may_hold_a_te_card_beside_the_group_of_its_kind():
    """A child in social assistance born 2020-05-01 may hold BT or TE until the sixth birthday; an
    elderly person only BT; a người có công CC, CK or TS."""
    child = person(citizen_id="075220012345", dob="2020-05-01")
    assert child.card_groups_allowed(date(2024, 3, 1)) == ("BT", "TE")
    assert child.card_groups_allowed(date(2026, 5, 1)) == ("BT",)
    assert person().card_groups_allowed(date(2024, 3, 1)) == ("BT",)
    merit = person("meritorious", "075050012345", "1950-01-01")
    assert set(merit.card_groups_allowed(date(2024, 3, 1))) == {"CC", "CK", "TS"}


# --------------------------------------------------------------------------------- on the ledger


def test_a_card_is_issued_renewed_and_revoked(app, clock):
    """``BT2 80 7912345678`` issued to a social-assistance recipient is kept as ``BT2807912345678`` (group
    BT), renewed to the end of 2025, revoked at death; the same number for another person is refused."""
    bid = register_person(app, birth_year=1940)
    card = app.issue_card(
        "officer", bid, card_number="BT2 80 7912345678", valid_from="2024-03-01", valid_to="2024-12-31"
    )
    assert (card["card_number"], card["group"], card["status"]) == ("BT2807912345678", "BT", "active")
    assert card["valid_to"] == "2024-12-31"
    renewed = app.renew_card("officer", bid, "BT2807912345678", valid_to="2025-12-31")
    assert renewed["valid_to"] == "2025-12-31"
    other = register_person(app, birth_year=1941)
    with records_nothing(app, Conflict, match="in use"):
        app.issue_card("officer", other, card_number="BT2807912345678", valid_from="2024-04-01")
    clock.set("2024-09-25")
    revoked = app.revoke_card("officer", bid, "BT2807912345678", reason="chết", effective_on="2024-09-20")
    assert (revoked["status"], revoked["revoked_on"]) == ("revoked", "2024-09-20")
    assert app.beneficiary_view(bid)["cards"][0]["status"] == "revoked"


def test_a_card_of_a_group_the_person_does_not_belong_to_is_refused(app):
    """A social-assistance recipient cannot be given a CC (người có công) card; nothing is recorded."""
    bid = register_person(app, birth_year=1940)
    with records_nothing(app, InvalidInput):
        app.issue_card("officer", bid, card_number="CC1757912345678", valid_from="2024-03-01")


def test_cards_are_counted_per_group_and_month(ledger, engine, clock):
    """Two BT cards and one CK card issued in March 2024, one BT card revoked in April: March has BT 2 in
    use / 2 new and CK 1 / 1; April BT 1 in use, 1 ended, CK 1 in use."""
    ledger.seed_reference_rates()
    clock.set("2024-03-01")
    first, second = register_person(ledger, birth_year=1940), register_person(ledger, birth_year=1941)
    invalid = register_person(ledger, kind="meritorious", birth_year=1950)
    grant(ledger, invalid, "NCC_WAR_INVALID", effective_from="2024-01", signed="2024-02-20",
          params={"injury_rate": 61})  # fmt: skip
    for bid, number in (
        (first, "BT2757900000001"),
        (second, "BT2757900000002"),
        (invalid, "CK2757900000003"),
    ):
        ledger.issue_card("officer", bid, card_number=number, valid_from="2024-03-01")
    clock.set("2024-04-16")
    ledger.revoke_card("officer", second, "BT2757900000002", reason="chuyển đi", effective_on="2024-04-15")
    march = summary_report(engine, "2024-03", "2024-03")["cards"]
    assert march == {"BT": {"in_use": 2, "new": 2, "ended": 0}, "CK": {"in_use": 1, "new": 1, "ended": 0}}
    april = summary_report(engine, "2024-04", "2024-04")["cards"]
    assert april == {"BT": {"in_use": 1, "new": 0, "ended": 1}, "CK": {"in_use": 1, "new": 0, "ended": 0}}
