"""Scheme parameters declared as data (tham số): the ``params`` column of ``reference/schemes.csv``.

Each scheme declares the parameters it takes, one declaration per parameter, separated by ``;`` (an
empty cell: the scheme takes none)::

    declaration := name ":" type [range] [presence]
    name        := [a-z][a-z0-9_]*
    type        := "int" | "vnd" | "bool" | "any" | "enum(" word ("|" word)* ")"
    range       := "[" [integer] ".." [integer] "]"      int and vnd only; either end may stay open
    presence    := "?"            optional: left out of the parameters when not given
                 | "=" word       optional: this default when not given
                                  (none: required)

The types: ``int`` a whole number (never a boolean) within the range; ``vnd`` money, a whole number of
đồng (:func:`~domain.values.parse_amount`: never negative, ``[1..]`` refuses zero); ``bool`` true or
false; ``enum(...)`` one of the words; ``any`` recorded as given, unchecked. For example
``injury_rate:int[21..100]; extremely_severe:bool=false`` or
``amount:vnd[1..]; funding_source:enum(central|province|district|commune|donation)=central``.

:func:`parse_param_specs` reads a cell once, when the catalogue loads (a declaration it cannot read is a
:class:`ParamSpecError` naming it); :func:`declared_params` checks a request's parameters against the
declarations, each refusal an :class:`~domain.errors.InvalidInput` naming ``params.<name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.errors import InvalidInput
from domain.values import FUNDING_SOURCE_LABELS, format_vnd, parse_amount

if TYPE_CHECKING:
    from collections.abc import Mapping

TYPES = ("int", "vnd", "bool", "any", "enum")

_DECLARATION = re.compile(
    r"(?P<name>[a-z][a-z0-9_]*)\s*:\s*"
    r"(?P<type>[a-z]+)(?:\((?P<choices>[^()]*)\))?\s*"
    r"(?:\[\s*(?P<low>-?\d+)?\s*\.\.\s*(?P<high>-?\d+)?\s*\])?\s*"
    r"(?:(?P<optional>\?)|=\s*(?P<default>\S+))?"
)
_WORD = re.compile(r"[A-Za-z0-9_.\-]+")


class ParamSpecError(ValueError):
    """A parameter declaration that does not follow the grammar (a fault of the catalogue, not a request)."""


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter: its name, type, range or choices, and whether (and how) it may be left out."""

    name: str
    type: str
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    required: bool = True
    default: Any = None  # the value given when left out (``None``: left out of the parameters)

    @property
    def field(self) -> str:
        return f"params.{self.name}"

    def _range_text(self) -> str:
        if self.low is not None and self.high is not None:
            return f" from {self.low} to {self.high}"
        if self.low is not None:
            return f" of at least {self.low}"
        if self.high is not None:
            return f" of at most {self.high}"
        return ""

    def _in_range(self, value: int) -> int:
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            if self.low is not None and self.high is not None:
                expected = f"from {self.low} to {self.high}"
            else:
                expected = self._range_text().removeprefix(" of ")
            raise InvalidInput(self.field, f"must be {expected}, got {value}")
        return value

    def check(self, value: object) -> Any:
        """``value`` as the parameter, or :class:`InvalidInput` naming ``params.<name>`` and why."""
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(self.field, f"is required as a whole number{self._range_text()}")
            return self._in_range(value)
        if self.type == "vnd":
            return self._in_range(parse_amount(value, self.field, positive=(self.low or 0) >= 1))
        if self.type == "bool":
            if not isinstance(value, bool):
                raise InvalidInput(self.field, "must be true or false")
            return value
        if self.type == "enum":
            if not isinstance(value, str) or value not in self.choices:
                raise InvalidInput(self.field, f"must be one of {', '.join(self.choices)}")
            return value
        return value  # any

    def missing(self) -> Any:
        """The default of a parameter left out, or :class:`InvalidInput` when it is required."""
        if not self.required:
            return self.default
        if self.type == "any":
            raise InvalidInput(self.field, "is required")
        return self.check(None)  # the type's own words for what is expected

    def text(self) -> str:
        """The declaration as the catalogue writes it."""
        kind = f"enum({'|'.join(self.choices)})" if self.type == "enum" else self.type
        bounds = f"[{'' if self.low is None else self.low}..{'' if self.high is None else self.high}]"
        presence = ""
        if not self.required:
            shown = str(self.default).lower() if isinstance(self.default, bool) else self.default
            presence = "?" if self.default is None else f"={shown}"
        has_range = self.low is not None or self.high is not None
        return f"{self.name}:{kind}{bounds if has_range else ''}{presence}"


def _spec(text: str) -> ParamSpec:
    found = _DECLARATION.fullmatch(text)
    if found is None:
        forms = "name:type, name:type[low..high], name:type? or name:type=default"
        msg = f"{text!r} is not a declaration ({forms})"
        raise ParamSpecError(msg)
    name, kind = found["name"], found["type"]
    if kind not in TYPES:
        raise ParamSpecError(f"{name}: unknown type {kind!r} (one of {', '.join(TYPES)})")
    choices: tuple[str, ...] = ()
    if kind == "enum":
        choices = tuple(c.strip() for c in (found["choices"] or "").split("|"))
        if not all(_WORD.fullmatch(c) for c in choices) or len(set(choices)) != len(choices):
            raise ParamSpecError(
                f"{name}: enum(...) needs distinct words separated by |, got {found['choices']!r}"
            )
    elif found["choices"] is not None:
        raise ParamSpecError(f"{name}: only enum takes a list of words")
    low = None if found["low"] is None else int(found["low"])
    high = None if found["high"] is None else int(found["high"])
    if (low is not None or high is not None) and kind not in {"int", "vnd"}:
        raise ParamSpecError(f"{name}: only int and vnd take a range")
    if low is not None and high is not None and low > high:
        raise ParamSpecError(f"{name}: the range [{low}..{high}] is empty")
    if kind == "vnd" and min(low or 0, high or 0) < 0:
        raise ParamSpecError(f"{name}: money is never negative, the range [{low}..{high}] cannot be")
    spec = ParamSpec(name, kind, low, high, choices, required=not (found["optional"] or found["default"]))
    if found["default"] is not None:
        spec = ParamSpec(
            name, kind, low, high, choices, required=False, default=_default(spec, found["default"])
        )
    return spec


def _default(spec: ParamSpec, text: str) -> Any:
    """The default written after ``=``, as a value of the parameter's type (and a valid one)."""
    value: Any = text
    if spec.type in {"int", "vnd"}:
        try:
            value = int(text)
        except ValueError:
            raise ParamSpecError(f"{spec.name}: the default {text!r} is not a whole number") from None
    elif spec.type == "bool":
        if text not in {"true", "false"}:
            raise ParamSpecError(f"{spec.name}: the default of a bool is true or false, got {text!r}")
        value = text == "true"
    try:
        return spec.check(value)
    except InvalidInput as refused:
        raise ParamSpecError(f"{spec.name}: the default {text!r} {refused.errors[0].message}") from None


def parse_param_specs(text: str) -> tuple[ParamSpec, ...]:
    """The declarations of a ``params`` cell (see the module's grammar), in their order."""
    specs = tuple(_spec(part.strip()) for part in text.split(";") if part.strip()) if text.strip() else ()
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ParamSpecError(f"{', '.join(twice)} declared more than once")
    return specs


def declared_params(specs: tuple[ParamSpec, ...], params: Mapping[str, Any]) -> dict[str, Any]:
    """The declared parameters, checked, in the order of the declarations: a given one as its type makes
    it, a missing one its default (or refused when required, or left out when optional)."""
    out: dict[str, Any] = {}
    for spec in specs:
        value = spec.check(params[spec.name]) if spec.name in params else spec.missing()
        if value is not None or spec.name in params:
            out[spec.name] = value
    return out


# The Vietnamese names of the parameters the catalogue declares and of their enum choices (the funding
# sources' are domain.values.FUNDING_SOURCE_LABELS, written in lower case inside a sentence) — what pages,
# files and the CLI show instead of ``amount = 156000, funding_source = province``: :func:`param_lines`.
PARAM_NAMES_VI: dict[str, str] = {
    "martyrs": "Số liệt sĩ",
    "injury_rate": "Tỷ lệ tổn thương",
    "extremely_severe": "Thương tật, bệnh tật đặc biệt nặng",
    "children": "Số con đang nuôi",
    "level": "Cấp học",
    "amount": "Số tiền",
    "funding_source": "Nguồn kinh phí",
    "occasion": "Dịp",
    "age": "Tuổi",
    "days": "Số ngày",
}
CHOICE_NAMES_VI: dict[str, dict[str, str]] = {
    "funding_source": {code: name.lower() for code, name in FUNDING_SOURCE_LABELS.items()},
    "level": {
        "preschool": "Mầm non",
        "school": "Phổ thông",
        "vocational": "Giáo dục nghề nghiệp",
        "university": "Đại học",
    },
}
_MONEY_PARAMS = frozenset({"amount"})
_PERCENT_PARAMS = frozenset({"injury_rate"})


def param_value_vi(name: str, value: object) -> str:
    """One parameter's value in Vietnamese: money ``156.000 đ``, a rate ``61%``, yes/no ``có``/``không``,
    an enum choice by its name (``ngân sách tỉnh``), anything else as given."""
    if isinstance(value, bool):
        return "có" if value else "không"
    if name in _MONEY_PARAMS and isinstance(value, int):
        return format_vnd(value, unit=True)
    if name in _PERCENT_PARAMS and isinstance(value, int):
        return f"{value}%"
    return CHOICE_NAMES_VI.get(name, {}).get(str(value), "—" if value is None else str(value))


def param_lines(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An entitlement's parameters as ``(Vietnamese name, Vietnamese value)`` lines, in their order
    (a parameter without a name here shows by its code)."""
    return [(PARAM_NAMES_VI.get(name, name), param_value_vi(name, value)) for name, value in params.items()]
