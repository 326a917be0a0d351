"""Scheme catalogue and rates — danh mục chế độ và mức chuẩn.

Rates are data, never constants: the rate book (:mod:`domain.rate_book`, re-exported here) holds the
standards and the NCC amount tables; the scheme
catalogue (the codes the API accepts, the rule each one uses and the parameters it takes, declared in
the grammar of :mod:`domain.params`) from ``reference/schemes.csv``.

:func:`monthly_components` evaluates a scheme's rule for one month with the rates in force that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Any

from domain.errors import InvalidInput
from domain.params import ParamSpec, ParamSpecError, declared_params, parse_param_specs
from domain.rate_book import (
    BTXH_FUNERAL,
    BTXH_STANDARD,
    NCC_STANDARD,
    STANDARD_LAGS,
    RateBook,
    RateEntry,
    RateMissing,
    TableEdition,
    TableRow,
    applies_from,
    read_reference,
    reference_rate_book,
    reference_rate_entries,
    reference_table_editions,
    tables_from_editions,
)
from domain.values import Month, parse_identifier, round_to_thousand

__all__ = [
    "BTXH_FUNERAL",
    "BTXH_STANDARD",
    "NCC_STANDARD",
    "STANDARD_LAGS",
    "RateBook",
    "RateEntry",
    "RateMissing",
    "TableEdition",
    "TableRow",
    "applies_from",
    "reference_rate_book",
    "reference_rate_entries",
    "reference_table_editions",
    "tables_from_editions",
]

if TYPE_CHECKING:
    from collections.abc import Mapping

KINDS = ("meritorious", "social_assistance", "poor_household")


# ---------------------------------------------------------------------------------------------
# The scheme catalogue.


@dataclass(frozen=True)
class Scheme:
    """A benefit scheme (chế độ) and the rule that computes its amount."""

    code: str
    kind: str  # meritorious | social_assistance | poor_household | any
    frequency: str  # monthly | one_off | quarterly
    rule: str  # coefficient | coefficient_per_param | multiple_by_param | table | fixed | funeral
    schedule: str
    coefficient: Decimal | None
    table_codes: tuple[str, ...]
    combine: str  # highest | additive | ""
    bhyt_group: str
    name_vi: str
    # "next_january": a new standard applies to this scheme only from the 1 January after it takes effect
    # (điều dưỡng: NĐ 55/2023 Điều 2 k3, NĐ 77/2024 Điều 3 k3); "": from its own effective month
    standard_lag: str = ""
    # how often a person can hold it (schemes.csv once_per): ("running",) one running entitlement at a
    # time; ("person",) once in a lifetime; else the keys of the scope it is once in: "year", "month", or
    # a parameter's name (GIFT: year, occasion and funding source)
    once_per: tuple[str, ...] = ("running",)
    # who may hold it (schemes.csv requires): "SCHEME|SCHEME:param>=N" — a running entitlement of one of
    # the schemes, with the parameter at least N; "" for anyone of the scheme's kind
    requires: str = ""
    # the parameters it takes (schemes.csv params, the grammar of domain/params.py), in their order
    params: tuple[ParamSpec, ...] = ()

    def scope_of(self, start: Month, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The scope within which a person holds this scheme at most once (``None``: running schemes,
        which are checked by overlap instead)."""
        if self.once_per == ("running",):
            return None
        keys: list[Any] = []
        for key in self.once_per:
            if key == "person":
                continue
            if key == "year":
                keys.append(start.year)
            elif key == "month":
                keys.append(str(start))
            else:
                keys.append(params.get(key))
        return tuple(keys)

    def requirement(self) -> tuple[tuple[str, ...], str, int] | None:
        """``(schemes, parameter, minimum)`` of :attr:`requires`, or ``None``."""
        if not self.requires:
            return None
        schemes, _, condition = self.requires.partition(":")
        name, _, minimum = condition.partition(">=")
        return tuple(schemes.split("|")), name, int(minimum or 0)

    @property
    def monthly(self) -> bool:
        """Paid every month (or quarter), as opposed to once."""
        return self.frequency in {"monthly", "quarterly"}

    def applies_to(self, kind: str) -> bool:
        """Whether a beneficiary of ``kind`` may hold this scheme."""
        return self.kind in {"any", kind}


EDUCATION_LEVELS = {
    "preschool": Decimal("0.2"),
    "school": Decimal("0.4"),
    "vocational": Decimal("0.4"),
    "university": Decimal("0.4"),
}


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


@cache
def scheme_catalogue() -> dict[str, Scheme]:
    """Every scheme code the ledger accepts, from ``reference/schemes.csv``.

    The pattern rows ``NCC_<table code>`` and ``NCC_1L_<code>`` expand to one scheme per single-row
    NCC table and per NCC one-off allowance.
    """
    catalogue: dict[str, Scheme] = {}
    one_off_once_per: tuple[str, ...] = ("person",)
    pattern_params: dict[str, tuple[ParamSpec, ...]] = {}
    for row in read_reference("schemes.csv"):
        code = row["code"]
        params = _declared_params_of(code, row["params"])
        if code == "NCC_1L_<code>":
            one_off_once_per = tuple(k for k in row["once_per"].split(";") if k)
        if "<" in code:
            pattern_params[code] = params
            continue
        catalogue[code] = Scheme(
            code=code,
            kind=row["kind"],
            frequency=row["frequency"],
            rule=row["rule"],
            schedule=row["schedule"],
            coefficient=_decimal(row["coefficient"]),
            table_codes=tuple(t for t in row["table_codes"].split(";") if t),
            combine=row["combine"],
            bhyt_group=row["bhyt_group"],
            name_vi=row["name_vi"],
            standard_lag=row["standard_lag"],
            once_per=tuple(k for k in row["once_per"].split(";") if k),
            requires=row["requires"],
            params=params,
        )
        _check_rule_params(catalogue[code])
    used = {t for s in catalogue.values() for t in s.table_codes}
    for table_code, rows in tables_from_editions(reference_table_editions()).items():
        if len(rows) == 1 and table_code not in catalogue and table_code not in used:
            catalogue[table_code] = Scheme(
                code=table_code,
                kind="meritorious",
                frequency="monthly",
                rule="table",
                schedule=NCC_STANDARD,
                coefficient=None,
                table_codes=(table_code,),
                combine="additive",
                bhyt_group="CK",
                name_vi=rows[0].band or table_code,
                params=pattern_params.get("NCC_<table code>", ()),
            )
    for row in read_reference("ncc_one_off_allowances.csv"):
        catalogue[row["scheme_code"]] = Scheme(
            code=row["scheme_code"],
            kind="meritorious",
            frequency="one_off",
            rule="coefficient",
            schedule=NCC_STANDARD,
            coefficient=Decimal(row["multiple_of_standard"]),
            table_codes=(),
            combine="",
            bhyt_group="",
            name_vi=row["item_vi"],
            once_per=one_off_once_per,
            params=pattern_params.get("NCC_1L_<code>", ()),
        )
    return catalogue


def _declared_params_of(code: str, text: str) -> tuple[ParamSpec, ...]:
    """The ``params`` declarations of the row ``code``, or :class:`ParamSpecError` naming the row."""
    try:
        specs = parse_param_specs(text)
    except ParamSpecError as bad:
        msg = f"reference/schemes.csv, scheme {code}, column params: {bad}"
        raise ParamSpecError(msg) from None
    shared = {s.name for s in specs} & {_CAMPAIGN, *_IGNORED_PARAMS}
    if shared:
        msg = f"reference/schemes.csv, scheme {code}, column params: every scheme takes {min(shared)}"
        raise ParamSpecError(msg)
    return specs


def _check_rule_params(scheme: Scheme) -> None:
    """A scheme must declare, as required, the parameters its rule computes with."""
    declared = {s.name for s in scheme.params if s.required}
    for name in _rule_needs(scheme):
        if name not in declared:
            msg = (
                f"reference/schemes.csv, scheme {scheme.code}, column params: its rule ({scheme.rule}) "
                f"computes with {name}, which must be declared as required"
            )
            raise ParamSpecError(msg)


def get_scheme(code: object, field: str = "scheme") -> Scheme:
    """The scheme for ``code`` or :class:`InvalidInput` naming the field."""
    if not isinstance(code, str) or not code:
        raise InvalidInput(field, f"must be a scheme code from the catalogue, got {code!r}")
    scheme = scheme_catalogue().get(code.strip().upper())
    if scheme is None:
        raise InvalidInput(field, f"unknown scheme code {code!r} (see the scheme catalogue)")
    return scheme


_RATE_TABLES = {
    "NCC_WAR_INVALID": "NCC_TB",
    "NCC_WAR_INVALID_B": "NCC_TB_B",
    "NCC_SICK_SOLDIER": "NCC_BB",
    "NCC_TOXIC_CHEMICAL": "NCC_CDHH",
}
# The parameter each rule computes with: a scheme of the rule must declare it (schemes.csv params).
_RULE_PARAMS = {"coefficient_per_param": "children", "multiple_by_param": "martyrs", "fixed": "amount"}
SEVERE_FROM = 81  # the injury rate from which the (extremely) severe allowance is paid
# Parameters every scheme takes besides its own: the campaign that granted it (domain/campaigns.py);
# ``note`` and ``coefficient`` are accepted and not kept.
_CAMPAIGN = "campaign"  # domain/campaigns.py CAMPAIGN_PARAM (which imports this module)
_IGNORED_PARAMS = frozenset({"coefficient", "note"})
OTHER_PARAMS = (_CAMPAIGN, *sorted(_IGNORED_PARAMS))
"""Parameters any scheme accepts besides its own: the campaign that granted it, and notes."""


def _rule_needs(scheme: Scheme) -> tuple[str, ...]:
    """The parameters the rule of ``scheme`` computes with (which its declarations must require)."""
    if scheme.code in _RATE_TABLES:
        return ("injury_rate",)
    if scheme.code == "NCC_EDUCATION":
        return ("level",)
    return (_RULE_PARAMS[scheme.rule],) if scheme.rule in _RULE_PARAMS else ()


def validate_params(scheme: Scheme, params: object) -> dict[str, Any]:
    """Check and normalise a scheme's parameters (``params.*`` fields) against the declarations of its
    ``params`` in schemes.csv (:mod:`domain.params`): a missing required one, one of the wrong type or
    out of range, and one the scheme does not declare are each refused naming ``params.<name>``."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidInput("params", f"must be an object, got {params!r}")
    out = declared_params(scheme.params, params)
    if out.get("extremely_severe") and out.get("injury_rate", 0) < SEVERE_FROM:
        raise InvalidInput("params.extremely_severe", f"applies only from an injury rate of {SEVERE_FROM}%")
    if _CAMPAIGN in params:
        out[_CAMPAIGN] = parse_identifier(params[_CAMPAIGN], f"params.{_CAMPAIGN}")
    unknown = set(params) - set(out) - _IGNORED_PARAMS
    if unknown:
        takes = ", ".join(s.name for s in scheme.params) or "none of its own"
        raise InvalidInput(
            f"params.{min(unknown)}", f"is not a parameter of scheme {scheme.code} (it takes {takes})"
        )
    return out


def scheme_coefficient(scheme: Scheme, params: Mapping[str, Any]) -> Decimal:
    """The coefficient a ``highest`` comparison uses (hệ số)."""
    if scheme.code == "NCC_EDUCATION":
        return EDUCATION_LEVELS[str(params["level"])]
    return scheme.coefficient or Decimal(0)


@dataclass(frozen=True)
class Component:
    """One part of an amount due: the main allowance or an added allowance row (phụ cấp)."""

    code: str
    amount: int


def scheme_components(
    scheme: Scheme,
    params: Mapping[str, Any],
    month: Month,
    rates: RateBook,
    province: str | None = None,
    death_month: Month | None = None,
) -> list[Component]:
    """The amount a scheme's rule gives for ``month``, with the rates in force that month.

    Remembered per rate book: a province's thousands of people share a few schemes, parameters and
    months, and rosters, imports and rebuilds ask for the same amounts over and over."""
    try:
        key: tuple[Any, ...] | None = (
            scheme.code, tuple(sorted(params.items())), month, province,
            death_month if scheme.rule == "funeral" else None,
        )  # fmt: skip
        found = rates.components_memo.get(key)  # type: ignore[arg-type]
    except TypeError:  # a parameter value that cannot be a key (never in validated parameters)
        key, found = None, None
    if found is not None:
        return list(found)
    parts = _scheme_components(scheme, params, month, rates, province, death_month)
    if key is not None:
        if len(rates.components_memo) > 200_000:
            rates.components_memo.clear()
        rates.components_memo[key] = tuple(parts)
    return parts


def _scheme_components(
    scheme: Scheme,
    params: Mapping[str, Any],
    month: Month,
    rates: RateBook,
    province: str | None,
    death_month: Month | None,
) -> list[Component]:
    rule = scheme.rule
    if rule in {"coefficient", "coefficient_per_param"}:
        standard = rates.standard(scheme.schedule, month, province, lag=scheme.standard_lag)
        coefficient = scheme_coefficient(scheme, params)
        if rule == "coefficient_per_param":
            coefficient *= int(params["children"])
        return [Component(scheme.code, round_to_thousand(coefficient * standard))]
    if rule == "multiple_by_param":
        standard = rates.standard(scheme.schedule, month, province)
        return [Component(scheme.code, min(int(params["martyrs"]), 3) * standard)]
    if rule == "fixed":
        return [Component(scheme.code, int(params["amount"]))]
    if rule == "funeral":
        when = death_month or month
        twenty = round_to_thousand(Decimal(20) * rates.standard(BTXH_STANDARD, when, province))
        own = rates.provincial_amount(BTXH_FUNERAL, when, province) or 0
        return [Component(scheme.code, max(twenty, own))]
    if rule == "table":
        if scheme.code in _RATE_TABLES:
            rate = int(params["injury_rate"])
            main_table, allowance, severe_allowance = scheme.table_codes
            parts = [Component(main_table, rates.table_amount(main_table, month, rate))]
            if rate >= SEVERE_FROM:
                extra = severe_allowance if params.get("extremely_severe") else allowance
                parts.append(Component(extra, rates.table_amount(extra, month, rate)))
            return parts
        return [Component(code, rates.table_amount(code, month)) for code in scheme.table_codes]
    msg = f"scheme {scheme.code} has an unknown rule {rule}"
    raise InvalidInput("scheme", msg)
