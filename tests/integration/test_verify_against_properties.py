"""Any single change to any stored event after a checkpoint is detected (issue 13, hypothesis): one
byte of its state flipped, its version or topic changed, the row deleted — on either backend,
``verify --against`` the saved checkpoint finds it; put back, the log verifies again."""

# ruff: noqa: S608 - the tamperings are SQL by design, over the store's own table and column names
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import FixedClock, paid_elderly, signed_ledger

from ledger.checkpoints import verify_against
from tests.tampering import _execute

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def saved(database_url: str, tmp_path: Path) -> Any:
    ledger, key = signed_ledger(database_url, FixedClock("2024-09-20"), tmp_path)
    for serial in range(1, 4):
        paid_elderly(ledger, serial, ["2024-08"], prefix="T")
    note = ledger.checkpoint()
    yield database_url, ledger, key, note, int(str(note).splitlines()[1])
    ledger.close()


ID = {"sqlite": "rowid", "postgres": "notification_id"}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_change_to_a_stored_event_is_found(saved: Any, data: st.DataObject) -> None:
    url, ledger, key, note, size = saved
    column = ID["sqlite" if url.startswith("sqlite") else "postgres"]
    offset = data.draw(st.integers(0, size - 1), label="event")
    select = (
        f"SELECT {column}, originator_version, topic, state FROM {{table}} ORDER BY {column} LIMIT 1 OFFSET ?"
    )
    _, row = _execute(url, select, (offset,))
    assert row is not None
    ident, version, topic, state = row[0], int(row[1]), str(row[2]), bytes(row[3])
    change = data.draw(st.sampled_from(["state", "version", "topic", "delete"]), label="change")
    if change == "state":
        at = data.draw(st.integers(0, len(state) - 1), label="byte")
        forged = state[:at] + bytes([state[at] ^ 0x01]) + state[at + 1 :]
        _execute(url, f"UPDATE {{table}} SET state = ? WHERE {column} = ?", (forged, ident))
        undo = ("UPDATE {table} SET state = ? WHERE " + column + " = ?", (state, ident))
    elif change == "version":
        _execute(
            url, f"UPDATE {{table}} SET originator_version = ? WHERE {column} = ?", (version + 1000, ident)
        )
        undo = ("UPDATE {table} SET originator_version = ? WHERE " + column + " = ?", (version, ident))
    elif change == "topic":
        _execute(url, f"UPDATE {{table}} SET topic = ? WHERE {column} = ?", (topic + "X", ident))
        undo = ("UPDATE {table} SET topic = ? WHERE " + column + " = ?", (topic, ident))
    else:
        original = _execute(url, f"SELECT originator_id FROM {{table}} WHERE {column} = ?", (ident,))[1]
        assert original is not None
        _execute(url, f"DELETE FROM {{table}} WHERE {column} = ?", (ident,))
        undo = (
            (
                f"INSERT INTO {{table}} ({column}, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?)"
            ),
            (ident, original[0], version, topic, state),
        )
    try:
        assert not verify_against(ledger, [note], key).ok, f"{change} of event {offset} passed"
    finally:
        _execute(url, *undo)
    assert verify_against(ledger, [note], key).ok
