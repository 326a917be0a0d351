"""The scheme catalogue and the rates: every scheme code of reference/schemes.csv is known, each rule gives
the amount the decrees give, with the rates in force in the month, and bad parameters are named."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import (
    RateMissing,
    get_scheme,
    reference_rate_book,
    reference_rate_entries,
    scheme_catalogue,
    scheme_components,
    validate_params,
)
from domain.errors import Conflict, InvalidInput
from domain.values import Month, round_to_thousand
from tests.support import amount, book

JULY_2024 = Month(2024, 7)


def reference_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("domain").joinpath("reference", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --------------------------------------------------------------------------------------- catalogue


SCHEME_CODES = [row["code"] for row in reference_rows("schemes.csv") if "<" not in row["code"]]


@pytest.mark.parametrize("code", SCHEME_CODES)
def test_every_code_of_the_scheme_catalogue_is_accepted(code):
    """Each code listed in reference/schemes.csv is a scheme the ledger accepts, with the listed rule."""
    row = next(r for r in reference_rows("schemes.csv") if r["code"] == code)
    scheme = get_scheme(code)
    assert scheme.code == code
    assert (scheme.kind, scheme.frequency, scheme.rule) == (row["kind"], row["frequency"], row["rule"])
    assert get_scheme(f" {code.lower()} ") == scheme


def test_pattern_rows_expand_to_single_row_tables_and_one_off_allowances():
    """``NCC_<table code>`` covers the single-row NCC tables; ``NCC_1L_<code>`` every one-off allowance."""
    catalogue = scheme_catalogue()
    for row in reference_rows("ncc_one_off_allowances.csv"):
        assert catalogue[row["scheme_code"]].frequency == "one_off"
    assert catalogue["NCC_TUDAY"].rule == "table"
    assert catalogue["NCC_ANHHUNG"].rule == "table"


@pytest.mark.parametrize("code", ["", None, 12, "BTXH_UNKNOWN", "NCC_<table code>"])
def test_an_unknown_scheme_code_is_refused_naming_the_field(code):
    """A code that is not in the catalogue is refused, naming the field."""
    with pytest.raises(InvalidInput) as err:
        get_scheme(code, "entitlements[0].scheme")
    assert err.value.field == "entitlements[0].scheme"


RULE_PARAMS = {
    "coefficient_per_param": {"children": 2},
    "multiple_by_param": {"martyrs": 2},
    "fixed": {"amount": 1_000_000},
}
CODE_PARAMS = {
    "NCC_EDUCATION": {"level": "school"},
    **{
        code: {"injury_rate": 61}
        for code in ("NCC_WAR_INVALID", "NCC_WAR_INVALID_B", "NCC_TOXIC_CHEMICAL", "NCC_SICK_SOLDIER")
    },
}


def _valid_params(code: str) -> dict:
    return RULE_PARAMS.get(get_scheme(code).rule) or CODE_PARAMS.get(code, {})


@pytest.mark.parametrize("code", sorted(scheme_catalogue()))
def test_every_scheme_gives_a_whole_thousand_amount_in_july_2024(code):
    """Every scheme of the catalogue computes a positive amount in whole thousands of đồng (funeral: at a
    death in July 2024)."""
    scheme = get_scheme(code)
    death = JULY_2024 if scheme.rule == "funeral" else None
    total = amount(code, JULY_2024, _valid_params(code), death_month=death)
    assert total > 0
    assert total % 1000 == 0


# --------------------------------------------------------------------------------------- social assistance


BTXH_COEFFICIENTS = [
    (row["scheme_code"], Decimal(row["coefficient"]))
    for row in reference_rows("btxh_coefficients.csv")
    if row["scheme_code"] in scheme_catalogue() and get_scheme(row["scheme_code"]).rule == "coefficient"
]


@pytest.mark.parametrize(("code", "coefficient"), BTXH_COEFFICIENTS)
def test_social_assistance_is_coefficient_times_the_standard_in_force(code, coefficient):
    """A social-assistance scheme pays its coefficient (from btxh_coefficients.csv) × 360,000 until June
    2024 and × 500,000 from July 2024."""
    assert get_scheme(code).coefficient == coefficient
    assert amount(code, Month(2024, 6)) == round_to_thousand(coefficient * 360_000)
    assert amount(code, JULY_2024) == round_to_thousand(coefficient * 500_000)


@given(
    st.sampled_from(BTXH_COEFFICIENTS),
    st.integers(100, 5_000).map(lambda n: n * 1000),
    st.integers(0, 60),
)
def test_coefficient_times_any_standard_is_rounded_to_the_thousand(code_and_coefficient, standard, offset):
    """Whatever standard a decree sets, a coefficient scheme pays coefficient × standard, to the 1,000."""
    code, coefficient = code_and_coefficient
    month = Month(2025, 1).plus(offset)
    rates = book(("BTXH_STANDARD", "2025-01", standard, None))
    expected = round_to_thousand(coefficient * standard)
    assert amount(code, month, rates=rates) == expected
    assert expected % 1000 == 0
    assert abs(Decimal(expected) - coefficient * standard) <= 500


def test_single_parent_is_paid_per_child():
    """A poor single parent gets 1.0 × the standard for each child raised."""
    assert amount("BTXH_SINGLE_PARENT_PER_CHILD", JULY_2024, {"children": 3}) == 1_500_000


def test_no_standard_before_the_first_recorded_one():
    """Before July 2021 no social-assistance standard is recorded: the amount cannot be computed."""
    with pytest.raises(RateMissing):
        amount("BTXH_ELDERLY_80", Month(2021, 6))
    assert issubclass(RateMissing, Conflict)


def test_a_later_amendment_for_the_same_month_replaces_the_earlier():
    """Two entries for one schedule and month: the one recorded later is in force."""
    rates = book(("NCC_STANDARD", "2024-07", 2_800_000, None), ("NCC_STANDARD", "2024-07", 2_789_000, None))
    assert rates.standard("NCC_STANDARD", JULY_2024) == 2_789_000


# --------------------------------------------------------------------------------------- meritorious people


def test_war_invalid_below_81_percent_has_no_allowance():
    """Under 81% a war invalid gets the table amount only (no ≥81% allowance)."""
    scheme = get_scheme("NCC_WAR_INVALID")
    parts = scheme_components(scheme, {"injury_rate": 80}, JULY_2024, reference_rate_book())
    assert [(p.code, p.amount) for p in parts] == [("NCC_TB", 7_150_000)]


def test_ncc_one_off_allowances_match_the_reference_amounts():
    """Each one-off allowance is its multiple of the standard, rounded half-up to the thousand, as listed."""
    for row in reference_rows("ncc_one_off_allowances.csv"):
        assert amount(row["scheme_code"], JULY_2024) == int(row["amount_vnd_at_2789000"]), row["scheme_code"]


def test_an_ncc_standard_without_a_table_edition_cannot_be_paid_from_a_table():
    """A new NCC standard with no table edition loaded is refused for table schemes (no invented amounts)."""
    rates = book(("NCC_STANDARD", "2025-07", 3_000_000, None))
    with pytest.raises(RateMissing, match="edition"):
        rates.table_amount("NCC_TB", Month(2025, 7), 81)
    assert amount("NCC_MARTYR_RELATIVE", Month(2025, 7), {"martyrs": 1}, rates=rates) == 3_000_000


@pytest.mark.parametrize("rate", [10, 20, 101])
def test_an_injury_rate_outside_the_table_is_refused_naming_params_injury_rate(rate):
    """An injury rate that no row of the table covers is refused, naming params.injury_rate."""
    with pytest.raises(InvalidInput) as err:
        reference_rate_book().table_amount("NCC_TB", JULY_2024, rate)
    assert err.value.field == "params.injury_rate"
    with pytest.raises(InvalidInput) as err:
        validate_params(get_scheme("NCC_WAR_INVALID"), {"injury_rate": rate})
    assert err.value.field == "params.injury_rate"


def test_a_sick_soldier_starts_at_41_percent():
    """Sick soldiers (bệnh binh) are rated from 41%."""
    scheme = get_scheme("NCC_SICK_SOLDIER")
    with pytest.raises(InvalidInput) as err:
        validate_params(scheme, {"injury_rate": 40})
    assert err.value.field == "params.injury_rate"
    assert validate_params(scheme, {"injury_rate": 41}) == {"injury_rate": 41, "extremely_severe": False}


# --------------------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("code", "params", "field"),
    [
        ("NCC_MARTYR_RELATIVE", {}, "params.martyrs"),
        ("NCC_MARTYR_RELATIVE", {"martyrs": 0}, "params.martyrs"),
        ("NCC_MARTYR_RELATIVE", {"martyrs": "1"}, "params.martyrs"),
        ("NCC_MARTYR_RELATIVE", {"martyrs": True}, "params.martyrs"),
        ("NCC_MARTYR_RELATIVE", {"martyrs": 1.0}, "params.martyrs"),
        ("NCC_WAR_INVALID", {}, "params.injury_rate"),
        ("NCC_WAR_INVALID", {"injury_rate": 81, "extremely_severe": "yes"}, "params.extremely_severe"),
        ("NCC_WAR_INVALID", {"injury_rate": 80, "extremely_severe": True}, "params.extremely_severe"),
        ("BTXH_SINGLE_PARENT_PER_CHILD", {}, "params.children"),
        ("BTXH_SINGLE_PARENT_PER_CHILD", {"children": 21}, "params.children"),
        ("GIFT", {}, "params.amount"),
        ("GIFT", {"amount": -5}, "params.amount"),
        ("GIFT", {"amount": 0}, "params.amount"),
        ("GIFT", {"amount": 500_000, "funding_source": "bank"}, "params.funding_source"),
        ("NCC_EDUCATION", {"level": "phd"}, "params.level"),
        ("BTXH_ELDERLY_80", {"injury_rate": 81}, "params.injury_rate"),
        ("NCC_MARTYR_RELATIVE", {"martyrs": 1, "zeta": 1, "alpha": 2}, "params.alpha"),
        ("BTXH_ELDERLY_80", ["martyrs"], "params"),
    ],
)
def test_bad_parameters_are_refused_naming_params_dot_the_parameter(code, params, field):
    """A parameter the rule needs but is missing or out of range, or one the scheme does not have, is
    refused as ``params.<name>``."""
    with pytest.raises(InvalidInput) as err:
        validate_params(get_scheme(code), params)
    assert err.value.field == field


def test_parameters_are_normalised():
    """Defaults are filled in (no extremely severe injury; central funding for a gift)."""
    assert validate_params(get_scheme("NCC_WAR_INVALID"), {"injury_rate": 81}) == {
        "injury_rate": 81,
        "extremely_severe": False,
    }
    assert validate_params(get_scheme("GIFT"), {"amount": 500_000, "occasion": "tet"}) == {
        "amount": 500_000,
        "funding_source": "central",
        "occasion": "tet",
    }
    assert validate_params(get_scheme("BTXH_ELDERLY_80"), None) == {}
    assert validate_params(get_scheme("BTXH_ELDERLY_80"), {"note": "x"}) == {}


def test_reference_rate_entries_can_stop_at_a_month():
    """The packaged standards can be taken up to a month (to record a later decree as an amendment)."""
    until_june = reference_rate_entries(Month(2024, 6))
    assert {(e.schedule, str(e.effective_from), e.amount) for e in until_june} == {
        ("BTXH_STANDARD", "2021-07", 360_000),
        ("NCC_STANDARD", "2021-07", 1_624_000),
        ("NCC_STANDARD", "2023-07", 2_055_000),
    }
    assert len(reference_rate_entries()) == 5
