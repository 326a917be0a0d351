"""Roster commands — danh sách chi trả: preparing a roster (its bytes kept, their hash recorded), and a
second person approving it (issued, frozen) or returning it with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.errors import InvalidInput, NotFound
from domain.rosters import IssuedRoster
from domain.values import Month
from ledger import checkpoints
from ledger.authorization import actor_name, require_roster_approver

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.events import LedgerAggregate
    from ledger.authorization import Actor
    from ledger.store import LedgerStore


def prepare_roster(
    ledger: LedgerStore,
    actor: Actor,
    *,
    month: object,
    commune_code: str | None,
    channel: str | None,
    content: bytes,
    lines: int,
    amount: int,
    reason: str = "",
) -> IssuedRoster:
    """Prepare a roster for approval: keep its bytes and record their hash (status ``prepared``); a
    roster returned is prepared again on its stream; one prepared or issued is refused (409)."""
    ctx = ledger.context(actor, reason)
    target = Month.parse(month, "month")

    def prepare(content_hash: str) -> IssuedRoster:
        return IssuedRoster.prepare(
            ctx, month=target, commune_code=commune_code, channel=channel, content_hash=content_hash,
            lines=lines, amount=amount, existing=ledger.roster(target, commune_code, channel),
        )  # fmt: skip

    prepare("0" * 64)  # refused before its bytes are kept: a roster prepared or issued, a bad field
    digest = ledger.documents.put(content)

    def attempt() -> tuple[IssuedRoster, Sequence[LedgerAggregate]]:
        prepared = prepare(digest)
        return prepared, [prepared]

    return ledger.save_with_retry(attempt)


def parse_roster_id(value: object) -> UUID:
    """A roster id (UUID) or :class:`InvalidInput`."""
    try:
        return UUID(str(value).strip())
    except ValueError:
        raise InvalidInput("roster_id", f"must be a roster id (UUID), got {value!r}") from None


def _decide(ledger: LedgerStore, actor: Actor, roster: object, reason: object, approve: bool) -> IssuedRoster:
    sid = parse_roster_id(roster)
    found = ledger.roster_by_id(sid)
    if found is None:
        raise NotFound(f"roster {sid} not found")
    require_roster_approver(actor, found.commune_code)
    ctx = ledger.context(actor_name(actor), reason)  # an approver records this, and nothing else

    def attempt() -> tuple[IssuedRoster, Sequence[LedgerAggregate]]:
        current = ledger.roster_by_id(sid)
        assert current is not None  # noqa: S101 - a stream is never removed
        if approve:
            current.approve(ctx)
        else:
            current.return_(ctx)
        return current, [current]

    decided = ledger.save_with_retry(attempt)
    if approve:
        checkpoints.after_write(ledger)  # the issued roster's checkpoint (printed on it)
    return decided


def approve_roster(ledger: LedgerStore, actor: Actor, roster: object, *, reason: str = "") -> IssuedRoster:
    """Approve a prepared roster (a second person: an approver of its scope, or an administrator, never
    its preparer): it is issued — exactly the bytes prepared — and frozen."""
    return _decide(ledger, actor, roster, reason, approve=True)


def return_roster(ledger: LedgerStore, actor: Actor, roster: object, *, reason: object) -> IssuedRoster:
    """Return a prepared roster to be prepared again; the reason is required."""
    return _decide(ledger, actor, roster, reason, approve=False)
