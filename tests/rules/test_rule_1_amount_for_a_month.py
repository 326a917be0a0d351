"""Rule 1 — the amount for a month (DESIGN §3.1).

The entitlement's rule evaluated with the rates in force that month: coefficient × standard (social
assistance: 360,000 from 2021-07, 500,000 from 2024-07), a row of the NCC amount table of the edition in
force (1,624,000 / 2,055,000 from 2023-07 / 2,789,000 from 2024-07), a multiple of the NCC standard
(relatives of martyrs), or a fixed amount from the decision; a province may set a higher standard from a
month of its own. Amounts from reference/rate_schedules.csv, btxh_coefficients.csv and
ncc_monthly_allowances_history.csv, to the đồng.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.catalogue import RateEntry, get_scheme, reference_rate_book, scheme_components, validate_params
from domain.errors import InvalidInput
from domain.values import Month, round_to_thousand
from tests.support import amount, book, due, entitle, grant, person, register_person

JULY_2024 = Month(2024, 7)


# --------------------------------------------------------------------------------- pure: the catalogue


def test_one_entitlement_pays_1_5_standards_at_the_standard_of_each_month():
    """A severely disabled person (coefficient 1.5) granted in March 2024: 1.5 × 360,000 = 540,000 for
    2024-06 and 1.5 × 500,000 = 750,000 for 2024-07, from the same entitlement."""
    agg = person()
    eid = entitle(agg, "BTXH_DISABLED_SEVERE", "2024-03").entitlement_id
    assert due(agg, eid, "2024-06") == 540_000
    assert due(agg, eid, "2024-07") == 750_000


@pytest.mark.parametrize(
    ("injury_rate", "amounts"),
    [
        (21, (1_094_000, 1_384_000, 1_878_000)),
        (61, (3_174_000, 4_016_000, 5_450_000)),
        (100, (5_207_000, 6_589_000, 8_941_000)),
    ],
)
def test_a_war_invalid_is_paid_the_table_row_of_the_edition_in_force(injury_rate, amounts):
    """A war invalid's entitlement reads PL II of the edition in force each month: 2023-06 (1,624,000
    edition), 2023-07 (2,055,000), 2024-07 (2,789,000); at 100% the ≥81% allowance (815,000 / 1,031,000 /
    1,399,000) comes on top."""
    agg = person("meritorious", "075050012345", "1950-01-01")
    eid = entitle(agg, "NCC_WAR_INVALID", "2023-01", params={"injury_rate": injury_rate}).entitlement_id
    rates = reference_rate_book()
    tables = [
        agg.due_components(eid, period, rates)[0].amount for period in ("2023-06", "2023-07", "2024-07")
    ]
    assert tables == list(amounts)
    if injury_rate == 100:
        assert [due(agg, eid, p) for p in ("2023-06", "2023-07", "2024-07")] == [
            5_207_000 + 815_000,
            6_589_000 + 1_031_000,
            8_941_000 + 1_399_000,
        ]


@pytest.mark.parametrize(
    ("martyrs", "amounts"),
    [(1, (1_624_000, 2_055_000, 2_789_000)), (2, (3_248_000, 4_110_000, 5_578_000))],
)
def test_a_martyrs_relative_is_paid_a_multiple_of_the_ncc_standard_of_each_month(martyrs, amounts):
    """A relative of one (two) martyr(s): 1× (2×) the NCC standard in force — 2023-06, 2023-07, 2024-07."""
    agg = person("meritorious", "075050012345", "1950-01-01")
    eid = entitle(agg, "NCC_MARTYR_RELATIVE", "2023-01", params={"martyrs": martyrs}).entitlement_id
    assert tuple(due(agg, eid, p) for p in ("2023-06", "2023-07", "2024-07")) == amounts


def test_a_fixed_amount_is_the_one_in_the_decision_whatever_the_standard():
    """A fixed scheme (electricity support for a poor household) pays the decision's amount, 150,000,
    before and after the standards change in July 2024."""
    assert amount("HN_ELECTRICITY", Month(2024, 6), {"amount": 150_000}) == 150_000
    assert amount("HN_ELECTRICITY", JULY_2024, {"amount": 150_000}) == 150_000


@pytest.mark.parametrize(
    ("provincial", "expected"),
    [(600_000, 600_000), (500_000, 500_000), (450_000, 500_000)],
    ids=["higher-is-used", "equal", "lower-is-ignored"],
)
def test_a_provincial_standard_is_used_only_when_higher(provincial, expected):
    """A province may set a higher social-assistance standard than the national one; a lower one does
    not reduce the national minimum, and the override applies only to that province."""
    rates = book(("BTXH_STANDARD", "2024-07", provincial, "75"))
    assert rates.standard("BTXH_STANDARD", JULY_2024, "75") == expected
    assert rates.standard("BTXH_STANDARD", JULY_2024, "79") == 500_000
    assert rates.standard("BTXH_STANDARD", JULY_2024) == 500_000
    assert amount("BTXH_DISABLED_SEVERE", JULY_2024, rates=rates, province="75") == round_to_thousand(
        Decimal("1.5") * expected
    )


def test_a_provincial_standard_is_effective_dated():
    """A provincial standard from 2024-01 applies from then on, not before."""
    rates = book(("BTXH_STANDARD", "2024-01", 400_000, "75"))
    assert rates.standard("BTXH_STANDARD", Month(2023, 12), "75") == 360_000
    assert rates.standard("BTXH_STANDARD", Month(2024, 1), "75") == 400_000
    assert rates.standard("BTXH_STANDARD", JULY_2024, "75") == 500_000  # the national one overtook it


@pytest.mark.parametrize(
    ("month", "standard", "table_amount"),
    [
        (Month(2022, 1), 1_624_000, 4_216_000),
        (Month(2023, 7), 2_055_000, 5_335_000),
        (JULY_2024, 2_789_000, 7_240_000),
    ],
)
def test_war_invalid_81_percent_follows_the_table_edition_of_the_standard_in_force(
    month, standard, table_amount
):
    """NCC amounts are read from the table edition made for the NCC standard in force that month:
    81% is 4,216,000 / 5,335,000 / 7,240,000 under 1,624,000 / 2,055,000 / 2,789,000."""
    rates = reference_rate_book()
    assert rates.standard("NCC_STANDARD", month) == standard
    assert rates.table_amount("NCC_TB", month, 81) == table_amount
    assert (
        amount("NCC_WAR_INVALID", month, {"injury_rate": 81})
        == table_amount
        + {
            1_624_000: 815_000,
            2_055_000: 1_031_000,
            2_789_000: 1_399_000,
        }[standard]
    )


def test_martyrs_relative_is_a_multiple_of_the_standard_up_to_three():
    """Relatives of 1, 2, 3 or more martyrs get 1×, 2×, 3× the NCC standard (as the TNLS tables say)."""
    rates = reference_rate_book()
    for martyrs, times in ((1, 1), (2, 2), (3, 3), (5, 3)):
        assert amount("NCC_MARTYR_RELATIVE", JULY_2024, {"martyrs": martyrs}) == times * 2_789_000
    for martyrs in (1, 2, 3):
        assert rates.table_amount(f"NCC_TNLS_{martyrs}", JULY_2024) == martyrs * 2_789_000


def test_ncc_tables_follow_the_standard_in_force():
    rates = reference_rate_book()
    scheme = get_scheme("NCC_WAR_INVALID")
    amounts = [
        scheme_components(scheme, {"injury_rate": 81}, Month(y, m), rates)[0].amount
        for y, m in ((2022, 1), (2023, 7), (2024, 7))
    ]
    assert amounts == [4_216_000, 5_335_000, 7_240_000]
    with pytest.raises(InvalidInput) as error:
        validate_params(scheme, {"injury_rate": 15})
    assert error.value.field == "params.injury_rate"
    with pytest.raises(InvalidInput) as error:
        validate_params(get_scheme("NCC_MARTYR_RELATIVE"), {"martyrs": 1, "colour": "red"})
    assert error.value.field == "params.colour"


def test_a_provincial_standard_counts_only_when_higher():
    rates = reference_rate_book()
    higher = rates.with_entries([RateEntry("BTXH_STANDARD", Month(2024, 7), 600_000, "NQ HĐND", "75")])
    lower = rates.with_entries([RateEntry("BTXH_STANDARD", Month(2024, 7), 400_000, "NQ HĐND", "75")])
    assert higher.standard("BTXH_STANDARD", Month(2024, 8), "75") == 600_000
    assert higher.standard("BTXH_STANDARD", Month(2024, 8), "79") == 500_000
    assert lower.standard("BTXH_STANDARD", Month(2024, 8), "75") == 500_000


def test_severely_disabled_elderly_person():
    agg = person()
    eid = entitle(agg, "BTXH_DISABLED_SEVERE_CHILD_OR_ELDERLY", "2024-03").entitlement_id
    assert due(agg, eid, "2024-07") == 1_000_000


def test_martyr_relative_and_war_invalid_81():
    rates = reference_rate_book()
    agg = person("meritorious", "075050012345", "1950-01-01")
    martyr = entitle(agg, "NCC_MARTYR_RELATIVE", "2024-01", params={"martyrs": 1}, rates=rates)
    assert due(agg, martyr.entitlement_id, "2024-06") == 2_055_000
    assert due(agg, martyr.entitlement_id, "2024-07") == 2_789_000
    invalid = entitle(agg, "NCC_WAR_INVALID", "2024-01", params={"injury_rate": 81}, rates=rates)
    parts = agg.due_components(invalid.entitlement_id, "2024-07", rates)
    assert [(c.code, c.amount) for c in parts] == [("NCC_TB", 7_240_000), ("NCC_PC81_TB", 1_399_000)]


# --------------------------------------------------------------------------------- on the ledger


def test_severely_disabled_elderly_person_gets_twice_the_standard(app):
    """An elderly person with a severe disability (coefficient 2.0): 2 × 500,000 = 1,000,000 for July 2024."""
    bid = register_person(app, birth_year=1950)
    ent = grant(app, bid, "BTXH_DISABLED_SEVERE_CHILD_OR_ELDERLY")
    assert ent["monthly_amount"] == 720_000  # 2 × 360,000 in March
    assert app.beneficiary(bid).due_amount(ent["entitlement_id"], "2024-07", app.rates()) == 1_000_000


def test_relative_of_one_martyr_gets_one_ncc_standard(app):
    """A martyr's relative (one martyr) gets 1 × the NCC standard: 2,055,000 in June 2024, 2,789,000 from
    July 2024."""
    bid = register_person(app, kind="meritorious", birth_year=1950)
    ent = grant(app, bid, "NCC_MARTYR_RELATIVE", effective_from="2024-01", params={"martyrs": 1})
    agg, rates = app.beneficiary(bid), app.rates()
    assert agg.due_amount(ent["entitlement_id"], "2024-06", rates) == 2_055_000
    assert agg.due_amount(ent["entitlement_id"], "2024-07", rates) == 2_789_000


@pytest.mark.parametrize(
    ("extremely_severe", "allowance"),
    [(False, ("NCC_PC81_TB", 1_399_000)), (True, ("NCC_PC81_TB_DBN", 2_867_000))],
)
def test_war_invalid_at_81_percent_gets_the_table_amount_and_the_81_percent_allowance(
    app, extremely_severe, allowance
):
    """A war invalid at 81%: the PL II amount (7,240,000) plus the ≥81% allowance (1,399,000), or the
    allowance for extremely severe injuries instead when the decision says so."""
    bid = register_person(app, kind="meritorious", birth_year=1950)
    params = {"injury_rate": 81, "extremely_severe": extremely_severe}
    eid = grant(app, bid, "NCC_WAR_INVALID", effective_from="2024-01", params=params)["entitlement_id"]
    parts = app.beneficiary(bid).due_components(eid, "2024-07", app.rates())
    assert [(c.code, c.amount) for c in parts] == [("NCC_TB", 7_240_000), allowance]
    assert app.beneficiary(bid).due_amount(eid, "2024-07", app.rates()) == 7_240_000 + allowance[1]


def test_a_provincial_standard_counts_from_its_own_month_on_the_ledger(app, clock):
    """Đồng Nai (75) sets its own social-assistance standard of 600,000 from 2024-09: a severely disabled
    person there (1.5) is due 750,000 for August and 1.5 × 600,000 = 900,000 from September."""
    bid = register_person(app, birth_year=1950)
    eid = grant(app, bid, "BTXH_DISABLED_SEVERE")["entitlement_id"]
    clock.set("2024-08-20")
    app.amend_rate(
        "admin",
        "BTXH_STANDARD",
        province_code="75",
        effective_from="2024-09",
        amount=600_000,
        legal_basis="NQ HĐND tỉnh Đồng Nai",
    )
    agg, rates = app.beneficiary(bid), app.rates()
    assert [agg.due_amount(eid, m, rates) for m in ("2024-08", "2024-09", "2024-10")] == [
        750_000,
        900_000,
        900_000,
    ]
