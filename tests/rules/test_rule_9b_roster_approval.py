"""Rule 9b — a roster is signed twice (lập biểu, phê duyệt): maker-checker (issue 15, item 8).

An officer prepares the roster of a month and scope (``prepared``); a second person approves it
(``issued``: frozen, exactly the bytes prepared) or returns it with a reason (``returned``), after which
it is prepared again. ``prepared`` → ``issued`` | ``returned``; ``returned`` → ``prepared``; ``issued``
is final; the preparer never approves (nor returns) their own roster.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import Conflict, InvalidInput, NotAllowed
from domain.events import RecordContext
from domain.rosters import ISSUED, PREPARED, RETURNED, IssuedRoster, roster_id
from domain.values import Month

T0 = datetime(2024, 9, 1, 8, tzinfo=UTC)
MONTH = Month.parse("2024-09")
PEOPLE = ("can.bo", "truong.phong", "ke.toan")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ctx(actor: str, minutes: int = 0, reason: str = "") -> RecordContext:
    return RecordContext(actor=actor, recorded_at=T0 + timedelta(minutes=minutes), reason=reason)


def prepare(actor: str = "can.bo", content: str = "v1", existing: IssuedRoster | None = None) -> IssuedRoster:
    return IssuedRoster.prepare(
        ctx(actor), month=MONTH, commune_code="26041", channel=None, content_hash=digest(content),
        lines=3, amount=1_500_000, existing=existing,
    )  # fmt: skip


def replayed(roster: IssuedRoster) -> IssuedRoster:
    """The roster as the stored events give it back."""
    state: Any = None
    for event in list(roster.pending_events):
        state = event.mutate(state)
    assert isinstance(state, IssuedRoster)
    return state


def test_worked_example_prepared_returned_prepared_again_approved() -> None:
    """Can bộ prepares September's roster of commune 26041; the head of office returns it ("thiếu hai
    người mới"); the officer prepares it again with new bytes; the head approves: issued, the second
    hash recorded, who and when at each step."""
    roster = prepare()
    assert (roster.status, roster.prepared_by, roster.id) == (
        PREPARED,
        "can.bo",
        roster_id(MONTH, "26041", None),
    )
    roster.return_(ctx("truong.phong", 10, "thiếu hai người mới"))
    assert (roster.status, roster.returned_by, roster.return_reason) == (
        RETURNED,
        "truong.phong",
        "thiếu hai người mới",
    )
    prepare(content="v2", existing=roster)
    assert (roster.status, roster.content_hash) == (PREPARED, digest("v2"))
    roster.approve(ctx("truong.phong", 30))
    assert (roster.status, roster.approved_by, roster.approved_at) == (
        ISSUED,
        "truong.phong",
        T0 + timedelta(minutes=30),
    )
    again = replayed(roster)
    assert (again.status, again.content_hash, again.prepared_by, again.approved_by) == (
        ISSUED,
        digest("v2"),
        "can.bo",
        "truong.phong",
    )
    names = [type(e).__name__ for e in roster.pending_events]
    assert names == ["RosterPrepared", "RosterReturned", "RosterPreparedAgain", "RosterApproved"]


def test_the_preparer_may_not_approve_nor_return_their_own_roster() -> None:
    roster = prepare("can.bo")
    with pytest.raises(NotAllowed, match="không được tự phê duyệt"):
        roster.approve(ctx("can.bo", 5))
    with pytest.raises(NotAllowed, match="không được tự trả lại"):
        roster.return_(ctx("can.bo", 5, "sai"))
    assert roster.status == PREPARED
    assert len(roster.pending_events) == 1


def test_a_return_needs_a_reason() -> None:
    roster = prepare()
    with pytest.raises(InvalidInput) as refused:
        roster.return_(ctx("truong.phong", 5, "   "))
    assert refused.value.field == "reason"
    assert roster.status == PREPARED


def test_a_second_prepare_names_the_state_it_meets() -> None:
    roster = prepare()
    with pytest.raises(Conflict, match="chờ phê duyệt"):
        prepare(existing=roster)
    roster.approve(ctx("truong.phong", 5))
    with pytest.raises(Conflict, match="đã phát hành"):
        prepare(existing=roster)
    with pytest.raises(Conflict, match="only a prepared roster"):
        roster.approve(ctx("ke.toan", 6))
    with pytest.raises(Conflict, match="only a prepared roster"):
        roster.return_(ctx("ke.toan", 6, "muộn"))


def test_a_roster_issued_in_one_step_stays_issued() -> None:
    """A ``RosterIssued`` recorded before the two signatures loads as ``issued``, final."""
    old = IssuedRoster._create(
        IssuedRoster.RosterIssued, id=roster_id(MONTH, None, None), actor="cli", timestamp=T0,
        month=str(MONTH), commune_code=None, channel=None, content_hash=digest("old"), lines=1, amount=1,
    )  # fmt: skip
    loaded = replayed(old)
    assert (loaded.status, loaded.approved_by, loaded.issued_at) == (ISSUED, "cli", T0)
    with pytest.raises(Conflict):
        loaded.approve(ctx("truong.phong", 1))
    with pytest.raises(Conflict):
        prepare(existing=loaded)


class RosterMachine(RuleBasedStateMachine):
    """Any sequence of prepares, approvals and returns by any of three people keeps the state machine:
    prepared → issued | returned, returned → prepared, issued final; the preparer never signs twice;
    a refused step records nothing; the events replay to the same state."""

    @initialize(who=st.sampled_from(PEOPLE))
    def start(self, who: str) -> None:
        self.roster = prepare(who, "0")
        self.model = PREPARED
        self.preparer = who
        self.step = 0

    def _next(self) -> int:
        self.step += 1
        return self.step

    @rule(who=st.sampled_from(PEOPLE))
    def approve(self, who: str) -> None:
        before = len(self.roster.pending_events)
        if self.model != PREPARED:
            with pytest.raises(Conflict):
                self.roster.approve(ctx(who, self._next()))
        elif who == self.preparer:
            with pytest.raises(NotAllowed):
                self.roster.approve(ctx(who, self._next()))
        else:
            self.roster.approve(ctx(who, self._next()))
            self.model = ISSUED
            return
        assert len(self.roster.pending_events) == before

    @rule(who=st.sampled_from(PEOPLE), reason=st.sampled_from(["", "thiếu người", "sai số tiền"]))
    def send_back(self, who: str, reason: str) -> None:
        before = len(self.roster.pending_events)
        step = ctx(who, self._next(), reason)
        if not reason:
            with pytest.raises(InvalidInput):
                self.roster.return_(step)
        elif self.model != PREPARED:
            with pytest.raises(Conflict):
                self.roster.return_(step)
        elif who == self.preparer:
            with pytest.raises(NotAllowed):
                self.roster.return_(step)
        else:
            self.roster.return_(step)
            self.model = RETURNED
            return
        assert len(self.roster.pending_events) == before

    @rule(who=st.sampled_from(PEOPLE))
    def prepare_again(self, who: str) -> None:
        n = self._next()
        if self.model != RETURNED:
            before = len(self.roster.pending_events)
            with pytest.raises(Conflict):
                self.roster.prepare_again(ctx(who, n), content_hash=digest(str(n)), lines=1, amount=1)
            assert len(self.roster.pending_events) == before
            return
        self.roster.prepare_again(ctx(who, n), content_hash=digest(str(n)), lines=1, amount=1)
        self.model, self.preparer = PREPARED, who

    @invariant()
    def agrees(self) -> None:
        assert self.roster.status == self.model
        assert self.roster.prepared_by == self.preparer
        if self.model == ISSUED:
            assert self.roster.approved_by != self.preparer

    def teardown(self) -> None:
        if hasattr(self, "roster"):
            again = replayed(self.roster)
            assert (again.status, again.content_hash) == (self.roster.status, self.roster.content_hash)


RosterMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=12, deadline=None)
test_roster_state_machine = RosterMachine.TestCase
