"""Roster commands — danh sách chi trả: issuing (freezing) a roster with its content hash."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.rosters import IssuedRoster
from domain.values import Month
from ledger import checkpoints

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.events import LedgerAggregate
    from ledger.authorization import Actor
    from ledger.store import LedgerStore


def issue_roster(
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
    """Freeze a roster: keep its bytes and record their hash; a second issue of one scope is refused."""
    ctx = ledger.context(actor, reason)
    target = Month.parse(month, "month")

    def issue(content_hash: str) -> IssuedRoster:
        return IssuedRoster.issue(
            ctx, month=target, commune_code=commune_code, channel=channel, content_hash=content_hash,
            lines=lines, amount=amount, existing=ledger.issued_roster(target, commune_code, channel),
        )  # fmt: skip

    issue("0" * 64)  # refused before its bytes are kept: a second issue of the scope, a bad field
    digest = ledger.documents.put(content)

    def attempt() -> tuple[IssuedRoster, Sequence[LedgerAggregate]]:
        issued = issue(digest)
        return issued, [issued]

    issued = ledger.save_with_retry(attempt)
    checkpoints.after_write(ledger)  # the issued roster's checkpoint (printed on it)
    return issued
