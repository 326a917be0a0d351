"""Scheme parameters declared as data: the grammar of the ``params`` column of reference/schemes.csv
(domain/params.py), every shipped declaration, and parameters checked against the declarations."""

from __future__ import annotations

import csv
import io
import re
from importlib import resources
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain import catalogue
from domain.catalogue import EDUCATION_LEVELS, get_scheme, scheme_catalogue, validate_params
from domain.errors import InvalidInput
from domain.params import ParamSpec, ParamSpecError, declared_params, parse_param_specs


def scheme_rows() -> list[dict[str, str]]:
    text = resources.files("domain").joinpath("reference", "schemes.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def a_valid_value(spec: ParamSpec) -> Any:
    """A value the declaration accepts."""
    if spec.type in {"int", "vnd"}:
        return max(spec.low or 0, 1 if spec.type == "vnd" else 0) if spec.high is None else spec.high
    if spec.type == "bool":
        return True
    if spec.type == "enum":
        return spec.choices[-1]
    return "any value"


def valid_params(code: str) -> dict[str, Any]:
    """Every declared parameter of ``code`` with a value it accepts."""
    return {spec.name: a_valid_value(spec) for spec in get_scheme(code).params}


DECLARING = sorted(code for code, scheme in scheme_catalogue().items() if scheme.params)

# ------------------------------------------------------------------------------------------ grammar


@pytest.mark.parametrize("row", scheme_rows(), ids=lambda row: row["code"])
def test_every_row_of_the_shipped_catalogue_parses(row):
    """Each ``params`` cell of schemes.csv follows the grammar, and is what the catalogue loaded."""
    specs = parse_param_specs(row["params"])
    if "<" not in row["code"]:
        assert get_scheme(row["code"]).params == specs
    assert parse_param_specs("; ".join(s.text() for s in specs)) == specs


def test_the_grammar_reads_types_ranges_presence_and_defaults():
    specs = parse_param_specs(
        " injury_rate : int [ 21 .. 100 ] ;extremely_severe:bool=false; amount:vnd[1..];"
        " cap:vnd[..5000]; level:enum(preschool|school)?; source:enum(central|province)=central; note2:any?"
    )
    assert specs == (
        ParamSpec("injury_rate", "int", 21, 100),
        ParamSpec("extremely_severe", "bool", required=False, default=False),
        ParamSpec("amount", "vnd", 1, None),
        ParamSpec("cap", "vnd", None, 5000),
        ParamSpec("level", "enum", choices=("preschool", "school"), required=False),
        ParamSpec("source", "enum", choices=("central", "province"), required=False, default="central"),
        ParamSpec("note2", "any", required=False),
    )
    assert parse_param_specs("") == ()
    assert parse_param_specs("  ") == ()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("injury_rate", "not a declaration"),
        ("injury_rate (21–100)", "not a declaration"),
        ("Amount:vnd", "not a declaration"),
        ("rate:float", "unknown type 'float'"),
        ("rate:int[100..21]", "is empty"),
        ("flag:bool[0..1]", "only int and vnd take a range"),
        ("level:enum()", "distinct words"),
        ("level:enum(a|a)", "distinct words"),
        ("level:int(a|b)", "only enum takes a list"),
        ("flag:bool=maybe", "true or false"),
        ("rate:int[1..5]=9", "the default '9' must be from 1 to 5"),
        ("rate:int=many", "not a whole number"),
        ("level:enum(a|b)=c", "must be one of a, b"),
        ("amount:vnd[-1..]", "never negative"),
        ("amount:vnd[..-1]", "never negative"),
        ("a:int; b:bool; a:vnd", "a declared more than once"),
        ("a:int b:int", "not a declaration"),
    ],
)
def test_a_declaration_off_the_grammar_is_refused_saying_why(text, says):
    with pytest.raises(ParamSpecError) as err:
        parse_param_specs(text)
    assert says in str(err.value)


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
BOUND = st.none() | st.integers(-1000, 1000)


@st.composite
def specs(draw: st.DrawFn) -> ParamSpec:
    name = draw(NAMES)
    kind = draw(st.sampled_from(["int", "vnd", "bool", "any", "enum"]))
    low = high = None
    choices: tuple[str, ...] = ()
    if kind in {"int", "vnd"}:
        low, high = draw(BOUND), draw(BOUND)
        if kind == "vnd":  # money is never negative
            low, high = (None if b is None else abs(b) for b in (low, high))
        if low is not None and high is not None and low > high:
            low, high = high, low
    if kind == "enum":
        words = st.from_regex(r"[A-Za-z0-9_.\-]{1,8}", fullmatch=True)
        choices = tuple(draw(st.lists(words, min_size=1, max_size=5, unique=True)))
    spec = ParamSpec(name, kind, low, high, choices, required=draw(st.booleans()))
    if not spec.required and kind != "any" and draw(st.booleans()):
        default = a_valid_value(spec)
        spec = ParamSpec(name, kind, low, high, choices, required=False, default=default)
    return spec


@given(st.lists(specs(), min_size=0, max_size=6, unique_by=lambda s: s.name))
def test_a_declaration_reads_back_as_it_is_written(declared):
    """Whatever can be declared, written out and read again, is the same declaration."""
    assert parse_param_specs("; ".join(s.text() for s in declared)) == tuple(declared)


# ---------------------------------------------------------------------------------------- checking


@given(low=st.integers(-50, 50), span=st.integers(0, 50), value=st.integers(-200, 200))
def test_a_whole_number_outside_its_range_is_refused_naming_the_field(low, span, value):
    (spec,) = parse_param_specs(f"count:int[{low}..{low + span}]")
    if low <= value <= low + span:
        assert declared_params((spec,), {"count": value}) == {"count": value}
    else:
        with pytest.raises(InvalidInput) as err:
            declared_params((spec,), {"count": value})
        assert err.value.field == "params.count"
        assert err.value.errors[0].message == f"must be from {low} to {low + span}, got {value}"


@pytest.mark.parametrize(
    ("code", "params", "field", "says"),
    [
        ("NCC_SICK_SOLDIER", {"injury_rate": 40}, "params.injury_rate", "must be from 41 to 100, got 40"),
        ("NCC_WAR_INVALID", {"injury_rate": 101}, "params.injury_rate", "must be from 21 to 100, got 101"),
        ("NCC_WAR_INVALID", {"injury_rate": "81"}, "params.injury_rate", "whole number from 21 to 100"),
        ("BTXH_SINGLE_PARENT_PER_CHILD", {"children": 0}, "params.children", "must be from 1 to 20"),
        ("GIFT", {"amount": 0}, "params.amount", "must be greater than zero"),
        ("GIFT", {"amount": "500000"}, "params.amount", "whole number of đồng"),
        ("GIFT", {"amount": 1000, "funding_source": "bank"}, "params.funding_source", "must be one of"),
        ("HN_ELECTRICITY", {"amount": 1000, "funding_source": 3}, "params.funding_source", "must be one of"),
        ("NCC_EDUCATION", {"level": ["school"]}, "params.level", "must be one of preschool, school"),
        ("NCC_WAR_INVALID", {"injury_rate": 81, "extremely_severe": 1}, "params.extremely_severe", "true"),
    ],
)
def test_a_wrong_type_or_a_value_out_of_range_is_refused_with_the_reason(code, params, field, says):
    with pytest.raises(InvalidInput) as err:
        validate_params(get_scheme(code), params)
    assert err.value.field == field
    assert says in err.value.errors[0].message


@given(code=st.sampled_from(sorted(scheme_catalogue())), name=NAMES)
def test_a_parameter_the_scheme_does_not_declare_is_refused(code, name):
    scheme = get_scheme(code)
    assume(name not in {s.name for s in scheme.params} | {"campaign", "note", "coefficient"})
    params = {**valid_params(code), name: 1}
    with pytest.raises(InvalidInput) as err:
        validate_params(scheme, params)
    assert err.value.field == f"params.{name}"
    assert f"is not a parameter of scheme {code}" in err.value.errors[0].message


@pytest.mark.parametrize("code", DECLARING)
def test_every_required_parameter_left_out_is_refused_and_the_rest_accepted(code):
    scheme = get_scheme(code)
    full = valid_params(code)
    assert validate_params(scheme, full) == full
    for spec in scheme.params:
        rest = {k: v for k, v in full.items() if k != spec.name}
        if spec.required:
            with pytest.raises(InvalidInput) as err:
                validate_params(scheme, rest)
            assert err.value.field == f"params.{spec.name}"
        else:
            out = validate_params(scheme, rest)
            assert out.get(spec.name) == spec.default
            assert (spec.name in out) == (spec.default is not None)


def test_the_result_follows_the_order_of_the_declarations():
    """Parameters are recorded in the order schemes.csv declares them (event hashes stay the same)."""
    out = validate_params(get_scheme("GIFT"), {"occasion": "tet", "days": 2, "amount": 500_000})
    assert list(out) == ["amount", "funding_source", "occasion", "days"]


def test_the_levels_of_education_support_are_those_the_rule_has_coefficients_for():
    (level,) = get_scheme("NCC_EDUCATION").params
    assert level.choices == tuple(EDUCATION_LEVELS)


# ------------------------------------------------------------------------------ loading the catalogue


def load_with(monkeypatch: pytest.MonkeyPatch, code: str, params: str) -> None:
    """Load the catalogue from a schemes.csv whose row ``code`` declares ``params``."""
    read = catalogue.read_reference

    def edited(name: str) -> list[dict[str, str]]:
        rows = read(name)
        if name == "schemes.csv":
            rows = [{**r, "params": params} if r["code"] == code else r for r in rows]
        return rows

    monkeypatch.setattr(catalogue, "read_reference", edited)
    catalogue.scheme_catalogue.__wrapped__()


# A row of schemes.csv, what its params cell says instead, and what the load error says.
BAD_DECLARATIONS = {
    ("GIFT", "amount (200,000…)"): "scheme GIFT, column params: 'amount (200,000…)' is not a declaration",
    ("NCC_WAR_INVALID", "injury_rate:int[21..100]; extremely_severe:boolean"): "unknown type 'boolean'",
    ("GIFT", "funding_source:enum(central|province)"): "computes with amount",
    ("NCC_SICK_SOLDIER", "injury_rate:int[41..100]?"): "computes with injury_rate",
    ("BTXH_ELDERLY_80", "campaign:any?"): "every scheme takes campaign",
    ("NCC_1L_<code>", "x:int[1.."): "scheme NCC_1L_<code>, column params",
}


@pytest.mark.parametrize(("row", "says"), BAD_DECLARATIONS.items())
def test_a_bad_declaration_in_the_catalogue_stops_it_loading(monkeypatch, row, says):
    """The catalogue does not load with a declaration it cannot read; the error names the scheme."""
    code, params = row
    with pytest.raises(ParamSpecError, match=re.escape(says)):
        load_with(monkeypatch, code, params)
