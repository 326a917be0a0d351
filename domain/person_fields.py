"""Validation of a beneficiary's registered details: the household members and the fields a correction
(đính chính) may change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.errors import InvalidInput
from domain.values import parse_citizen_id, parse_date, parse_identifier, parse_text

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def validate_members(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput("members", "must be a list of {citizen_id, full_name, date_of_birth, relation}")
    members = []
    for i, raw in enumerate(value):
        where = f"members[{i}]"
        if not isinstance(raw, dict):
            raise InvalidInput(where, "must be an object {citizen_id, full_name, date_of_birth, relation}")
        dob = parse_date(raw["date_of_birth"], f"{where}.date_of_birth") if raw.get("date_of_birth") else None
        members.append(
            {
                "citizen_id": parse_citizen_id(
                    raw.get("citizen_id"), f"{where}.citizen_id", date_of_birth=dob
                ),
                "full_name": parse_text(raw.get("full_name"), f"{where}.full_name", max_length=200),
                "date_of_birth": dob.isoformat() if dob else None,
                "relation": parse_text(raw.get("relation", "member"), f"{where}.relation", max_length=50),
            }
        )
    return members


def choice(field: str, allowed: tuple[str, ...]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if value not in allowed:
            raise InvalidInput(field, f"must be one of {', '.join(allowed)}, got {value!r}")
        return str(value)

    return parse


CORRECTABLE: dict[str, Callable[[object], Any]] = {
    "full_name": lambda v: parse_text(v, "full_name", max_length=200),
    "date_of_birth": lambda v: parse_date(v, "date_of_birth").isoformat(),
    "sex": choice("sex", ("male", "female")),
    "citizen_id": parse_citizen_id,
    "household_code": lambda v: parse_identifier(v, "household_code", max_length=50),
    "poverty_status": choice("poverty_status", ("poor", "near_poor")),
    "members": validate_members,
}


def spoken(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
