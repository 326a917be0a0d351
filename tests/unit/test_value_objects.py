"""Value objects and the scheme catalogue: bad input is refused with the field and the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import (
    get_scheme,
    reference_rate_book,
    scheme_catalogue,
    scheme_components,
    validate_params,
)
from domain.errors import InvalidInput
from domain.values import (
    CITIZEN_ID_PROVINCES,
    Month,
    parse_amount,
    parse_basis,
    parse_citizen_id,
    parse_commune_code,
    parse_date,
    parse_payment_channel,
    round_to_thousand,
)
from ledger.adapters.communes import communes_of, resolve_commune


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("2024-13", "01–12"), ("24-01", "YYYY-MM"), (202401, "YYYY-MM"), ("1900-01", "between")],
)
def test_month_refuses_bad_input(value, fragment):
    with pytest.raises(InvalidInput) as error:
        Month.parse(value, "period")
    assert error.value.field == "period"
    assert fragment in error.value.message


@given(st.integers(1945 * 12, 2199 * 12), st.integers(-600, 600))
def test_month_arithmetic_round_trips(ordinal, shift):
    month = Month.from_ordinal(ordinal)
    assert Month.parse(str(month)) == month
    assert month.plus(shift).plus(-shift) == month


@given(
    st.sampled_from(sorted(CITIZEN_ID_PROVINCES)),
    st.integers(0, 3),
    st.integers(0, 99),
    st.integers(0, 999_999),
)
def test_every_well_formed_citizen_id_parses(province, century_sex, year, serial):
    text = f"{province:03d}{century_sex}{year:02d}{serial:06d}"
    assert parse_citizen_id(text) == text


@pytest.mark.parametrize(
    ("value", "kwargs", "fragment"),
    [
        ("07503001234", {}, "exactly 12 digits"),
        ("07503001234a", {}, "exactly 12 digits"),
        ("003030012345", {}, "province code"),
        ("075030012345", {"date_of_birth": parse_date("1931-01-01", "d")}, "birth year 1930"),
        ("075130012345", {"sex": "male"}, "encodes sex female"),
    ],
)
def test_citizen_id_structure(value, kwargs, fragment):
    with pytest.raises(InvalidInput) as error:
        parse_citizen_id(value, **kwargs)
    assert error.value.field == "citizen_id"
    assert fragment in error.value.message


@pytest.mark.parametrize("value", [-1, 1.5, "100", True, None, 10**11])
def test_amounts_are_whole_non_negative_dong(value):
    with pytest.raises(InvalidInput) as error:
        parse_amount(value, "amount")
    assert error.value.field == "amount"


@given(st.integers(0, 10**10))
def test_round_to_thousand_is_the_nearest_thousand_halves_up(amount):
    rounded = round_to_thousand(Decimal(amount))
    assert rounded % 1000 == 0
    assert abs(rounded - amount) <= 500
    if amount % 1000 == 500:
        assert rounded == amount + 500


def test_payment_channel_and_basis_name_the_nested_field():
    assert parse_payment_channel(None) == {"type": "cash"}
    with pytest.raises(InvalidInput) as error:
        parse_payment_channel({"type": "bank", "bank_code": "VCB", "account_number": "12ab"})
    assert error.value.field == "payment_channel.account_number"
    with pytest.raises(InvalidInput) as error:
        parse_basis({"decision_no": "1", "decision_date": "2024-02-30", "issuer": "x"})
    assert error.value.field == "basis.decision_date"


def test_commune_codes_come_from_the_2025_reform():
    assert len(communes_of("75")) == 95
    assert resolve_commune("26041").province_code == "75"
    with pytest.raises(InvalidInput, match="not a commune code"):
        resolve_commune("99999")
    with pytest.raises(InvalidInput, match="not in province 79"):
        resolve_commune("26041", province="79")
    with pytest.raises(InvalidInput) as error:
        parse_commune_code("2604")
    assert error.value.field == "commune_code"


def test_every_code_of_the_catalogue_is_accepted_and_computes():
    rates = reference_rate_book()
    catalogue = scheme_catalogue()
    assert len(catalogue) > 40
    samples = {"children": 2, "martyrs": 2, "injury_rate": 85, "amount": 300_000, "level": "school"}
    for code, scheme in catalogue.items():
        assert get_scheme(code.lower()) is scheme
        params = {}
        if scheme.rule == "coefficient_per_param":
            params = {"children": samples["children"]}
        elif scheme.rule == "multiple_by_param":
            params = {"martyrs": samples["martyrs"]}
        elif scheme.rule == "table" and scheme.code in {
            "NCC_WAR_INVALID",
            "NCC_WAR_INVALID_B",
            "NCC_SICK_SOLDIER",
            "NCC_TOXIC_CHEMICAL",
        }:
            params = {"injury_rate": samples["injury_rate"]}
        elif scheme.rule == "fixed":
            params = {"amount": samples["amount"]}
        elif code == "NCC_EDUCATION":
            params = {"level": "school"}
        checked = validate_params(scheme, params)
        parts = scheme_components(scheme, checked, Month(2024, 7), rates, "75", Month(2024, 7))
        assert all(p.amount > 0 for p in parts), code


def test_the_vietnamese_formats_of_numbers_and_dates() -> None:
    from datetime import date  # noqa: PLC0415 - local to this test

    from domain.values import format_day, format_month, format_number, format_percent  # noqa: PLC0415

    assert format_number(13427) == "13.427"
    assert format_percent(0.1534) == "15,3 %"
    assert format_percent(0.5, 0) == "50 %"
    assert format_day(date(2024, 8, 10)) == "10/08/2024"
    assert format_month("2024-08") == "08/2024"
    assert format_month("once") == "một lần"


def test_the_event_labels_are_one_table_for_pages_and_command_line() -> None:
    from api.pages import support  # noqa: PLC0415 - the pages' old name stays importable
    from domain import labels  # noqa: PLC0415

    assert support.EVENT_LABELS is labels.EVENT_LABELS
    assert support.OTHER_RECORD_LABELS is labels.OTHER_RECORD_LABELS
    assert labels.event_label("PaymentRecorded") == "Chi trả"
    assert labels.event_label("RosterIssued") == "Phát hành danh sách chi trả"
    assert labels.event_label("SomethingNew") == "SomethingNew"
