"""Value objects: what the ledger accepts as a month, an amount, a citizen ID, a commune, a card, a channel,
a legal basis — and that every refusal names the field it came from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.values import (
    CITIZEN_ID_PROVINCES,
    Month,
    month_text,
    months_between,
    parse_amount,
    parse_basis,
    parse_card_number,
    parse_citizen_id,
    parse_commune_code,
    parse_payment_channel,
    round_to_thousand,
)
from tests.support import basis, citizen_id

# --------------------------------------------------------------------------------------- months


def test_month_parses_yyyy_mm_and_prints_it_back():
    """A month is written YYYY-MM; surrounding spaces are ignored."""
    assert Month.parse("2024-07") == Month(2024, 7)
    assert Month.parse(" 2024-07 ") == Month(2024, 7)
    assert str(Month(2024, 7)) == "2024-07"
    assert Month.parse(Month(2021, 1)) == Month(2021, 1)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-13", "01–12"),
        ("2024-00", "01–12"),
        ("2024-7", "YYYY-MM"),
        ("24-07", "YYYY-MM"),
        ("2024/07", "YYYY-MM"),
        ("2024-07-01", "YYYY-MM"),
        ("", "YYYY-MM"),
        (202407, "YYYY-MM"),
        (None, "YYYY-MM"),
        ("1900-01", "between 1945 and 2200"),
        ("2201-01", "between 1945 and 2200"),
    ],
)
def test_a_bad_month_is_refused_naming_the_field(value, reason):
    """Anything but a real YYYY-MM month in range is refused, naming the field it was given for."""
    with pytest.raises(InvalidInput) as err:
        Month.parse(value, "effective_from")
    assert err.value.field == "effective_from"
    assert reason in err.value.message
    assert str(err.value).startswith("effective_from:")


def test_month_arithmetic_crosses_years():
    """Months move across year ends both ways."""
    assert Month(2024, 12).next() == Month(2025, 1)
    assert Month(2024, 1).previous() == Month(2023, 12)
    assert Month(2024, 7).plus(-19) == Month(2022, 12)
    assert Month.of(date(2024, 9, 20)) == Month(2024, 9)
    assert Month(2024, 2).first_day() == date(2024, 2, 1)
    assert Month(2023, 12) < Month(2024, 1)


@given(st.integers(1945 * 12, 2200 * 12 + 11), st.integers(-30, 30))
def test_a_month_from_its_ordinal_is_the_month_and_its_text(ordinal, step):
    """``from_ordinal`` (shared objects) and ``month_text`` agree with the month built and printed."""
    month = Month(ordinal // 12, ordinal % 12 + 1)
    assert Month.from_ordinal(ordinal) == month
    assert Month.from_ordinal(ordinal) is Month.from_ordinal(ordinal)
    assert month_text(ordinal) == str(month) == f"{month.year:04d}-{month.month:02d}"
    assert month.plus(step) == Month((ordinal + step) // 12, (ordinal + step) % 12 + 1)


def test_months_between_is_inclusive_and_empty_when_reversed():
    """A range of months includes both ends; a reversed range is empty."""
    assert [str(m) for m in months_between(Month(2024, 11), Month(2025, 2))] == [
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
    ]
    assert months_between(Month(2024, 5), Month(2024, 4)) == []


@given(st.integers(1945 * 12, 2200 * 12 + 11), st.integers(-1200, 1200))
def test_month_plus_and_ordinal_round_trip(ordinal, shift):
    """Moving a month forward and back returns it; its ordinal and its text both round-trip."""
    month = Month.from_ordinal(ordinal)
    assert month.ordinal == ordinal
    assert Month.parse(str(month)) == month
    assert month.plus(shift).plus(-shift) == month
    assert month.plus(shift).ordinal - month.ordinal == shift
    assert len(months_between(month, month.plus(abs(shift)))) == abs(shift) + 1


# --------------------------------------------------------------------------------------- money


@pytest.mark.parametrize("value", [0, 1, 500_000, 10_000_000_000])
def test_an_amount_is_a_whole_number_of_dong(value):
    """Money is integer đồng (VND has no minor unit)."""
    assert parse_amount(value) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (-1, "negative"),
        (500_000.0, "integer"),
        (0.5, "integer"),
        (True, "integer"),
        (False, "integer"),
        ("500000", "integer"),
        (None, "integer"),
        (Decimal(500_000), "integer"),
        (10_000_000_001, "implausibly large"),
    ],
)
def test_an_amount_that_is_not_whole_dong_is_refused(value, reason):
    """Negative numbers, floats, booleans, text and absurd sums are refused, naming the field."""
    with pytest.raises(InvalidInput) as err:
        parse_amount(value, "params.amount")
    assert err.value.field == "params.amount"
    assert reason in err.value.message


def test_a_positive_amount_refuses_zero():
    """Where a payment is meant, zero is refused."""
    with pytest.raises(InvalidInput, match="greater than zero") as err:
        parse_amount(0, "amount", positive=True)
    assert err.value.field == "amount"


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("4183500", 4_184_000),  # 1.5 × 2,789,000: the half goes up
        ("2510100", 2_510_000),  # 0.9 × 2,789,000
        ("499.999", 0),
        ("500", 1_000),
        ("1499", 1_000),
        ("1500", 2_000),
        ("360000", 360_000),
        ("0", 0),
    ],
)
def test_round_to_thousand_rounds_halves_up(amount, rounded):
    """Multiples of a standard are rounded to the nearest 1,000 đồng, halves upwards."""
    assert round_to_thousand(Decimal(amount)) == rounded


@given(st.decimals(min_value=0, max_value=10**11, places=3, allow_nan=False, allow_infinity=False))
def test_round_to_thousand_is_a_multiple_of_1000_within_500(amount):
    """The rounded amount is a whole number of thousands no more than 500 đồng away, and a half goes up."""
    rounded = round_to_thousand(amount)
    assert isinstance(rounded, int)
    assert rounded % 1000 == 0
    assert abs(Decimal(rounded) - amount) <= 500
    if abs(Decimal(rounded) - amount) == 500:
        assert rounded > amount


# --------------------------------------------------------------------------------------- citizen ID


def test_a_well_formed_citizen_id_is_accepted_and_agrees_with_birth_and_sex():
    """075 (Đồng Nai) + 0 (man born 19xx) + 40 + serial; 1 is a woman born 19xx, 2/3 born 20xx."""
    assert parse_citizen_id("075040012345") == "075040012345"
    assert parse_citizen_id(" 075040012345 ") == "075040012345"
    assert parse_citizen_id("075040012345", date_of_birth=date(1940, 5, 1), sex="male") == "075040012345"
    assert parse_citizen_id("001135000001", date_of_birth=date(1935, 1, 1), sex="female")
    assert parse_citizen_id("079205000001", date_of_birth=date(2005, 1, 1), sex="male")
    assert parse_citizen_id("079318000001", date_of_birth=date(2018, 1, 1), sex="female")


@pytest.mark.parametrize(
    ("value", "kwargs", "reason"),
    [
        ("07504001234", {}, "exactly 12 digits"),
        ("0750400123456", {}, "exactly 12 digits"),
        ("07504001234A", {}, "exactly 12 digits"),
        ("075 040 012345", {}, "exactly 12 digits"),
        (75040012345, {}, "12 digits"),
        (None, {}, "12 digits"),
        ("003040012345", {}, "not a province code"),  # 003 is no province of birth registration
        ("099040012345", {}, "not a province code"),
        ("075040012345", {"date_of_birth": date(1941, 1, 1)}, "birth year 1940"),
        ("075240012345", {"date_of_birth": date(1940, 1, 1)}, "birth year 2040"),
        ("075040012345", {"sex": "female"}, "encodes sex male"),
        ("075140012345", {"sex": "male"}, "encodes sex female"),
    ],
    ids=[
        "11-digits",
        "13-digits",
        "letter",
        "spaces-inside",
        "integer",
        "missing",
        "province-003",
        "province-099",
        "birth-year",
        "century",
        "sex-male-as-female",
        "sex-female-as-male",
    ],
)
def test_a_malformed_citizen_id_is_refused_naming_the_field(value, kwargs, reason):
    """Wrong length, a province code that does not exist, or a number that contradicts the date of birth
    or sex given with it is refused."""
    with pytest.raises(InvalidInput) as err:
        parse_citizen_id(value, "members[0].citizen_id", **kwargs)
    assert err.value.field == "members[0].citizen_id"
    assert reason in err.value.message


@given(
    st.sampled_from(sorted(CITIZEN_ID_PROVINCES)),
    st.integers(1900, 2099),
    st.sampled_from(["male", "female"]),
    st.integers(0, 999_999),
)
def test_every_citizen_id_built_from_the_rules_parses(province, birth_year, sex, serial):
    """Any province of birth registration + the century/sex digit + the year + six digits parses, and
    agrees with the date of birth and sex it was built from."""
    number = citizen_id(birth_year, sex, province, serial)
    assert len(number) == 12
    dob = date(birth_year, 6, 15)
    assert parse_citizen_id(number, date_of_birth=dob, sex=sex) == number
    other_sex = "female" if sex == "male" else "male"
    with pytest.raises(InvalidInput):
        parse_citizen_id(number, sex=other_sex)
    with pytest.raises(InvalidInput):
        parse_citizen_id(number, date_of_birth=date(birth_year + 1, 1, 1))


# --------------------------------------------------------------------------------------- commune


def test_a_commune_code_is_five_digits():
    """The 2025-reform commune code has five digits (existence is checked by the ledger)."""
    assert parse_commune_code("26041") == "26041"
    assert parse_commune_code(" 00004 ") == "00004"


@pytest.mark.parametrize("value", ["2604", "260411", "2604A", "", 26041, None])
def test_a_malformed_commune_code_is_refused(value):
    """Four or six digits, letters, a number type or nothing is refused, naming commune_code."""
    with pytest.raises(InvalidInput) as err:
        parse_commune_code(value)
    assert err.value.field == "commune_code"
    assert "5-digit" in err.value.message


# ------------------------------------------------------------------------------- health-insurance card


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("XX2807912345678", "group code XX"),
        ("BT6807912345678", "benefit digit 1–5"),
        ("BT0807912345678", "benefit digit 1–5"),
        ("BT280791234567", "15 characters"),
        ("BT28079123456789", "15 characters"),
        ("BT2037912345678", "province code 03"),
        ("B22807912345678", "15 characters"),
        (2807912345678, "card number"),
    ],
    ids=["group", "benefit-6", "benefit-0", "short", "long", "province", "one-letter", "not-text"],
)
def test_a_malformed_card_number_is_refused(value, reason):
    """An unknown group, a benefit digit outside 1–5, a wrong length or province is refused."""
    with pytest.raises(InvalidInput) as err:
        parse_card_number(value)
    assert err.value.field == "card_number"
    assert reason in err.value.message


# --------------------------------------------------------------------------------------- payment channel


def test_payment_channel_is_cash_by_default_or_a_bank_account():
    """Cash at the post office unless a bank account (bank code + 6–19 digits) is given."""
    assert parse_payment_channel(None) == {"type": "cash"}
    assert parse_payment_channel({"type": "cash"}) == {"type": "cash"}
    assert parse_payment_channel(
        {"type": "bank", "bank_code": " vcb ", "account_number": "0071000123456"}
    ) == {
        "type": "bank",
        "bank_code": "VCB",
        "account_number": "0071000123456",
    }


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("cash", "payment_channel"),
        ({"type": "cheque"}, "payment_channel.type"),
        ({}, "payment_channel.type"),
        ({"type": "bank", "account_number": "0071000123456"}, "payment_channel.bank_code"),
        ({"type": "bank", "bank_code": "V", "account_number": "0071000123456"}, "payment_channel.bank_code"),
        ({"type": "bank", "bank_code": "VCB"}, "payment_channel.account_number"),
        ({"type": "bank", "bank_code": "VCB", "account_number": "12345"}, "payment_channel.account_number"),
        (
            {"type": "bank", "bank_code": "VCB", "account_number": "00710001234X"},
            "payment_channel.account_number",
        ),
    ],
)
def test_a_bad_payment_channel_names_the_part_that_is_wrong(value, field):
    """A channel that is not an object, an unknown type, or a bank account without a valid bank code or
    account number is refused, naming the sub-field."""
    with pytest.raises(InvalidInput) as err:
        parse_payment_channel(value)
    assert err.value.field == field


# --------------------------------------------------------------------------------------- legal basis


def test_a_legal_basis_is_decision_number_date_and_issuer():
    """The basis keeps the decision number, its date (ISO) and the issuer, spaces tidied."""
    assert parse_basis(
        {"decision_no": " 01/QĐ-UBND ", "decision_date": "2024-03-15", "issuer": "UBND  tỉnh"}
    ) == {
        "decision_no": "01/QĐ-UBND",
        "decision_date": "2024-03-15",
        "issuer": "UBND tỉnh",
    }
    assert parse_basis(None, required=False) is None


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (None, "basis"),
        ("01/QĐ-UBND", "basis"),
        ({**basis(), "decision_no": ""}, "basis.decision_no"),
        ({k: v for k, v in basis().items() if k != "decision_no"}, "basis.decision_no"),
        ({**basis(), "decision_date": "15/03/2024"}, "basis.decision_date"),
        ({**basis(), "decision_date": "2024-02-30"}, "basis.decision_date"),
        ({**basis(), "issuer": "   "}, "basis.issuer"),
    ],
)
def test_an_incomplete_legal_basis_names_the_missing_part(value, field):
    """A decision needs its number, a real date and an issuer; each gap is named."""
    with pytest.raises(InvalidInput) as err:
        parse_basis(value)
    assert err.value.field == field


def test_money_is_written_one_way_everywhere():
    """One format_vnd for files, pages and the command line (issue 12): 1.234.567, with ``đ`` on request."""
    from domain.values import format_vnd  # noqa: PLC0415

    assert format_vnd(2_789_000) == "2.789.000"
    assert format_vnd(2_789_000, unit=True) == "2.789.000 đ"
    assert format_vnd(-1_000_000) == "-1.000.000"
    assert format_vnd(0, unit=True) == "0 đ"
