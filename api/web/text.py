"""Text at the boundary — văn bản đầu vào: the annotated types of every text field of a write body and of
every query parameter, so that a control character (the NUL that PostgreSQL's text cannot hold, the other
C0 controls, DEL, C1 controls, lone surrogates) is refused with 422 naming the field before anything is
recorded or looked up. Tab and line breaks are allowed only in a reason (text of several lines).

The domain refuses the same characters (:func:`domain.values.refuse_control_characters`), so that the
command line and the imports are covered too; these types put the rule, and the lengths, in the schema.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, Field

from domain.values import MAX_NAME_LENGTH, MAX_REASON_LENGTH, control_character_problem

MAX_LINE_LENGTH = 500
MAX_QUERY_LENGTH = 200
MAX_TREE_LENGTH = 1000


def _line(value: Any) -> Any:
    problem = control_character_problem(value) if isinstance(value, str) else None
    if problem is not None:
        raise ValueError(problem)
    return value


def _lines(value: str) -> str:
    problem = control_character_problem(value, multiline=True)
    if problem is not None:
        raise ValueError(problem)
    return value


def _tree(value: Any, where: str = "") -> Any:
    """Every key and string of a JSON value (``params``, ``changes``) is one line of text."""
    if isinstance(value, str):
        if len(value) > MAX_TREE_LENGTH:
            raise ValueError(f"{where or 'text'} must be at most {MAX_TREE_LENGTH} characters")
        problem = control_character_problem(value)
        if problem is not None:
            raise ValueError(f"{where}: {problem}" if where else problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            _tree(key, f"{where} key" if where else "key")
            _tree(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _tree(item, f"{where}[{i}]")
    return value


_CONTROLS = "\\x00-\\x1f\\x7f-\\x9f"
_LINE_PATTERN = f"^[^{_CONTROLS}]*$"
_LINES_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
_SAID_PATTERN = f"^[^{_CONTROLS}]*[^\\s{_CONTROLS}][^{_CONTROLS}]*$"
LINE = {"pattern": _LINE_PATTERN}
"""The schema of one line (what :data:`NoControl` checks): no control character."""
_LINES = {"pattern": _LINES_PATTERN}
_SAID = {"pattern": _SAID_PATTERN}
_MULTILINE = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
_SAID_LINES = {"pattern": f"^[^{_MULTILINE}]*[^\\s{_MULTILINE}][^{_MULTILINE}]*$"}
SAID = _SAID
"""The schema of one line that says something (not only spaces, no control character)."""

NoControl = AfterValidator(_line)
"""The check of one line, for a parameter that needs its own ``Query(...)`` (an alias, a description)."""
SafeLine = Annotated[str, NoControl, Field(max_length=MAX_LINE_LENGTH, json_schema_extra=LINE)]
"""One line of text: no control characters (no tab or line break), at most 500 characters unless the
field says less."""
Written = Annotated[
    str, NoControl, Field(min_length=1, max_length=MAX_LINE_LENGTH, pattern=r"\S", json_schema_extra=_SAID)
]
"""One line that must say something (a decision number, an issuer): not only spaces."""
SafeName = Annotated[
    str, NoControl, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=r"\S", json_schema_extra=_SAID)
]
"""A person's name: one line, 1–200 characters."""
SafeReason = Annotated[
    str, AfterValidator(_lines), Field(max_length=MAX_REASON_LENGTH, json_schema_extra=_LINES)
]
"""A reason: several lines allowed (tab, line breaks), no other control characters, ≤ 2,000 characters."""
RequiredReason = Annotated[
    str,
    AfterValidator(_lines),
    Field(min_length=1, max_length=MAX_REASON_LENGTH, pattern=r"\S", json_schema_extra=_SAID_LINES),
]
"""The reason of a write that needs one (a correction, a reversal, a card revoked): not only spaces."""
SafeTree = Annotated[dict[str, Any], AfterValidator(_tree)]
"""A JSON object whose keys and strings are each one line of text."""
SafeQuery = Annotated[str | None, NoControl, Query(max_length=MAX_QUERY_LENGTH, json_schema_extra=LINE)]
"""An optional query parameter: one line, at most 200 characters."""
FromQuery = Annotated[
    str | None,
    NoControl,
    Query(alias="from", max_length=MAX_QUERY_LENGTH, description="YYYY-MM-DD (a report: or YYYY-MM)"),
]
"""``?from=``: the first day (or month) of a period."""
ToQuery = Annotated[
    str | None,
    NoControl,
    Query(max_length=MAX_QUERY_LENGTH, description="YYYY-MM-DD, included (a report: or YYYY-MM)"),
]
"""``?to=``: the last day (or month) of a period, included."""
