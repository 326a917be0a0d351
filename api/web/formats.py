"""Formats at the boundary — định dạng đầu vào: the annotated types of the fields whose shape the ledger
checks (months, dates, citizen IDs, commune codes, scheme codes, card numbers, identifiers), so that the
OpenAPI schema says what the server accepts and the server refuses what the schema refuses, with 422
naming the field, before anything is recorded.

The patterns say as much of the domain's rule as a pattern can (:mod:`domain.values` stays the one
place of each rule and checks again, for the command line and the imports too): a month's year is in
1945–2200 as ``Month.parse`` wants it, a citizen ID starts with a province code of birth registration
(``CITIZEN_ID_PROVINCES``), a card number's group is one of ``BHYT_GROUPS``. What no pattern can say is
left to the domain, which answers 422 naming the field: a date more than a year ahead (a payment or a
death after today), a citizen ID whose birth year or sex disagrees with ``date_of_birth``, parameters
a scheme does not take. Commune codes are five digits here; the deployment's communes are listed in the
OpenAPI document as the ``CommuneCode`` enum (:func:`api.http.responses.complete_openapi`).
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from api.web.text import NoControl, SafeTree
from domain.catalogue import OTHER_PARAMS, scheme_catalogue
from domain.params import ParamSpec
from domain.values import BHYT_GROUPS, CITIZEN_ID_PROVINCES, EARLIEST_DATE, MAX_AMOUNT

COMMUNE_CODE_MARK = "x-commune-code"
"""Marks the schema of a commune code, replaced by a reference to the deployment's ``CommuneCode``."""

MONTH_PATTERN = r"^(194[5-9]|19[5-9][0-9]|2[01][0-9][0-9]|2200)-(0[1-9]|1[0-2])$"
DATE_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
COMMUNE_PATTERN = r"^[0-9]{5}$"
CITIZEN_ID_PATTERN = "^(" + "|".join(f"{p:03d}" for p in sorted(CITIZEN_ID_PROVINCES)) + ")[0-3][0-9]{8}$"
_GROUPS = "|".join("".join(f"[{c}{c.lower()}]" for c in group) for group in sorted(BHYT_GROUPS))
CARD_PATTERN = (
    f"^({_GROUPS}) ?[1-5] ?(" + "|".join(f"{p:02d}" for p in sorted(CITIZEN_ID_PROVINCES)) + ") ?[0-9]{10}$"
)
"""As printed on the card (``TS2 75 7912345678``) or run together, in either case."""
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/:-]*$"
USER_NAME_PATTERN = r"^[A-Za-z0-9._-]{2,64}$"
BANK_CODE_PATTERN = r"^[A-Za-z0-9]{2,12}$"
ACCOUNT_PATTERN = r"^[0-9]{6,19}$"


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)


def _moment(value: str) -> str:
    """A date (``YYYY-MM-DD``) or an RFC 3339 timestamp, as the schema's ``format`` says."""
    if len(value) == 10 and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
        date.fromisoformat(value)
        return value
    if not _RFC3339.fullmatch(value):
        msg = "must be a date YYYY-MM-DD or an RFC 3339 timestamp with its offset"
        raise ValueError(msg)
    text = value.upper()
    datetime.fromisoformat(text)
    return text


LATEST_DATE = date(2099, 12, 31)


def _calendar_date(value: str) -> str:
    """A date of the calendar (a pattern cannot refuse 2024-02-30) from 1900 to 2099, in the domain's
    words (:func:`domain.values.check_date`, which also refuses more than a year ahead)."""
    day = None
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(value)
    if day is None:
        msg = f"must be a date written YYYY-MM-DD, got {value!r}"
        raise ValueError(msg)
    if day < EARLIEST_DATE:
        msg = f"must be on or after {EARLIEST_DATE.isoformat()}, got {value}"
        raise ValueError(msg)
    if day > LATEST_DATE:
        msg = f"must not be after {LATEST_DATE.isoformat()}, got {value}"
        raise ValueError(msg)
    return value


MonthText = Annotated[str, Field(pattern=MONTH_PATTERN, examples=["2024-07"], description="YYYY-MM")]
"""A month ``YYYY-MM`` of 1945–2200."""
DateText = Annotated[
    str,
    AfterValidator(_calendar_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN, "examples": ["2024-07-10"]}),
]
"""A calendar date ``YYYY-MM-DD`` of 1900–2099 (the domain refuses more than a year ahead, or after
today where the field says so)."""
Moment = Annotated[
    str,
    AfterValidator(_moment),
    WithJsonSchema(
        {
            "type": "string",
            "anyOf": [{"format": "date"}, {"format": "date-time"}],
            "examples": ["2024-07-31", "2024-07-31T17:00:00+07:00"],
            "description": "a date (its end in Vietnam's time, +07:00) or an RFC 3339 timestamp with offset",
        }
    ),
]
"""A moment of the past to read as of: a date (the end of that day in Vietnam's time) or a timestamp with
its offset."""


def _month_or_date(value: str) -> str:
    if re.fullmatch(MONTH_PATTERN, value):
        return value
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
        return _calendar_date(value)
    msg = "must be a month YYYY-MM or a date YYYY-MM-DD"
    raise ValueError(msg)


MonthOrDate = Annotated[
    str,
    AfterValidator(_month_or_date),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": MONTH_PATTERN},
                {"type": "string", "format": "date", "pattern": DATE_PATTERN},
            ],
            "examples": ["2024-07"],
            "description": "a month YYYY-MM (its first or last day) or a date YYYY-MM-DD",
        }
    ),
]
"""An edge of a reporting period."""


def _documented(pattern: str, **schema: Any) -> dict[str, Any]:
    return {"pattern": pattern, **schema}


# The identifiers below are checked by the domain (NFKC first: full-width digits are the same number,
# other scripts' digits are refused naming the character), so the schema documents their canonical
# form and the server keeps the domain's words; a control character is refused at the boundary.
CitizenId = Annotated[
    str,
    NoControl,
    Field(
        min_length=1,
        max_length=100,
        examples=["075050066666"],
        description="12 digits (CCCD): province of birth registration (3), century and sex (1), birth "
        "year (2), serial (6)",
        json_schema_extra=_documented(CITIZEN_ID_PATTERN),
    ),
]
CommuneCode = Annotated[
    str,
    NoControl,
    Field(
        min_length=1,
        max_length=100,
        examples=["26041"],
        description="5-digit commune code of the 2025 reform",
        json_schema_extra=_documented(COMMUNE_PATTERN, **{COMMUNE_CODE_MARK: True}),
    ),
]
"""A commune code the server looks up (422 unless the deployment serves it): the OpenAPI document lists
the communes the deployment serves."""
CommuneFilter = Annotated[
    str,
    NoControl,
    Field(
        min_length=1, max_length=100, examples=["26041"], description="5-digit commune code",
        json_schema_extra=_documented(COMMUNE_PATTERN),
    ),
]  # fmt: skip
"""A commune code that only filters (an unknown one finds nothing)."""
SCHEME_CODES = tuple(sorted(scheme_catalogue()))
SchemeCode = Annotated[
    str,
    NoControl,
    Field(max_length=100),
    WithJsonSchema(
        {"type": "string", "enum": list(SCHEME_CODES), "description": "a scheme code of the catalogue"}
    ),
]
"""A scheme code of the catalogue (``reference/schemes.csv``); an unknown one is refused by the domain
(422 naming the field), so the schema's enum and the server agree."""
ONE_OFF_CODES = tuple(code for code in SCHEME_CODES if not scheme_catalogue()[code].monthly)
OneOffSchemeCode = Annotated[
    str,
    NoControl,
    Field(max_length=100),
    WithJsonSchema({"type": "string", "enum": list(ONE_OFF_CODES), "description": "a one-off scheme"}),
]
"""A one-off scheme code (what a campaign grants)."""
CardNumber = Annotated[
    str,
    NoControl,
    Field(
        min_length=1,
        max_length=100,
        json_schema_extra=_documented(CARD_PATTERN),
        examples=["TS2757912345678"],
        description="health-insurance card: group (2 letters), benefit digit 1–5, province (2 digits), "
        "social-insurance number (10 digits)",
    ),
]
Identifier = Annotated[
    str, NoControl, Field(min_length=1, max_length=100, json_schema_extra=_documented(IDENTIFIER_PATTERN))
]
"""A client-chosen reference (a payment id, a campaign id, a household code): ASCII letters, digits and
``. _ / : -``, starting with a letter or digit."""


def _whole(value: Any) -> Any:
    """JSON Schema's integer admits ``2055000.0``: the same number, so the same amount."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Amount = Annotated[
    int,
    BeforeValidator(_whole),
    Field(strict=True, ge=1, le=MAX_AMOUNT),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT, "examples": [2_055_000]}),
]
"""An amount of money: a whole number of đồng (``2055000.0`` is that number too), more than zero and not
implausibly large."""
BankCode = Annotated[str, Field(pattern=BANK_CODE_PATTERN, examples=["VCB"])]
AccountNumber = Annotated[str, Field(pattern=ACCOUNT_PATTERN, examples=["0071000123456"])]


_UUID: dict[str, Any] = {"format": "uuid"}
Uuid = Annotated[str, NoControl, Field(max_length=100, json_schema_extra=_UUID)]
"""The id of a beneficiary or an entitlement in a body (a UUID the ledger gave)."""
UuidPath = Annotated[str, Path(json_schema_extra=_UUID)]
"""The id of a beneficiary or an entitlement in the path."""
BeneficiaryRef = Annotated[
    str,
    Path(json_schema_extra={"anyOf": [_UUID, _documented(CITIZEN_ID_PATTERN)]}, examples=["075050066666"]),
]
"""A beneficiary in the path of ``GET``: its id, or its citizen ID."""
IdentifierPath = Annotated[str, Path(json_schema_extra=_documented(IDENTIFIER_PATTERN, maxLength=100))]
"""A client-chosen reference in the path (a payment id)."""
CardPath = Annotated[str, Path(description="the card number", json_schema_extra=_documented(CARD_PATTERN))]
"""A health-insurance card number in the path."""


def _param_schema(spec: ParamSpec) -> dict[str, Any]:
    if spec.type in {"int", "vnd"}:
        low = spec.low if spec.low is not None or spec.type == "int" else 0
        high = spec.high if spec.high is not None or spec.type == "int" else MAX_AMOUNT
        bounds = {"minimum": low, "maximum": high}
        return {"type": "integer", **{k: int(v) for k, v in bounds.items() if v is not None}}
    if spec.type == "bool":
        return {"type": "boolean"}
    if spec.type == "enum":
        return {"type": "string", "enum": list(spec.choices)}
    return {}


def _params_schema() -> dict[str, Any]:
    """Every parameter a scheme of the catalogue declares, as the widest of its declarations (which
    scheme takes which is the domain's to check: 422 naming ``params.<name>``)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for scheme in scheme_catalogue().values():
        for spec in scheme.params:
            schemas = found.setdefault(spec.name, [])
            if _param_schema(spec) not in schemas:
                schemas.append(_param_schema(spec))
    properties: dict[str, Any] = {n: s[0] if len(s) == 1 else {"anyOf": s} for n, s in sorted(found.items())}
    properties.update({name: {} for name in OTHER_PARAMS})
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "description": "the scheme's parameters (reference/schemes.csv), e.g. {martyrs: 1}, "
        "{injury_rate: 61}, {amount, funding_source}",
    }


Params = Annotated[SafeTree, WithJsonSchema(_params_schema())]
"""A scheme's parameters: the names the catalogue declares, each of its type and range."""


def is_commune_schema(schema: Any) -> bool:
    """Whether an OpenAPI schema fragment is that of a :data:`CommuneCode`."""
    return isinstance(schema, dict) and bool(schema.get(COMMUNE_CODE_MARK))
