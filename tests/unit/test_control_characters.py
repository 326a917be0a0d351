"""Control characters refused by the domain's text parsing (so the command line and imports are covered),
and the raw JSON nesting depth the web layer counts before parsing."""

from __future__ import annotations

import pytest

from api.web.json_depth import json_depth
from domain.errors import InvalidInput
from domain.values import parse_reason, parse_text

HOSTILE = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\ud800"]


@pytest.mark.parametrize("char", HOSTILE)
def test_a_line_of_text_refuses_control_characters_naming_the_field_and_the_character(char: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_text(f"Nguyễn{char}Văn", "full_name", max_length=200)
    assert refused.value.errors[0].field == "full_name"
    assert f"U+{ord(char):04X}" in refused.value.errors[0].message


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_a_line_refuses_tab_and_line_breaks_a_reason_keeps_them_as_spaces(char: str) -> None:
    with pytest.raises(InvalidInput, match="one line"):
        parse_text(f"a{char}b", "issuer")
    assert parse_reason(f"giấy báo tử{char}số 12") == "giấy báo tử số 12"


@pytest.mark.parametrize("char", HOSTILE)
def test_a_reason_refuses_the_other_control_characters(char: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_reason(f"lý do{char}")
    assert refused.value.errors[0].field == "reason"


def test_a_reason_is_at_most_2000_characters_and_text_stays_as_it_was() -> None:
    assert parse_reason("x" * 2000) == "x" * 2000
    with pytest.raises(InvalidInput, match="at most 2000"):
        parse_reason("x" * 2001)
    assert parse_text("  Trần  Thị\u00a0Bình — 𠀀 ", "full_name") == "Trần Thị Bình — 𠀀"
    assert parse_reason(None) == ""


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert json_depth(b"{}") == 1
    assert json_depth(b'"[[["') == 0
    assert json_depth(b'{"a": [1, {"b": "]]]\\"[[["}]}') == 3
    assert json_depth(b"[" * 900 + b"]" * 900) == 900
    assert json_depth(b"[[[") == 3  # malformed: counted, the parser refuses it afterwards
