"""Roster commands — danh sách chi trả: issuing (freezing) a roster with its content hash."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.rosters import IssuedRoster
from domain.values import Month

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
    existing = ledger.issued_roster(target, commune_code, channel)
    IssuedRoster.issue(
        ctx,
        month=target,
        commune_code=commune_code,
        channel=channel,
        content_hash="0" * 64,
        lines=lines,
        amount=amount,
        existing=existing,
    )
    digest = ledger.documents.put(content)

    def attempt() -> tuple[IssuedRoster, Sequence[LedgerAggregate]]:
        issued = IssuedRoster.issue(
            ctx,
            month=target,
            commune_code=commune_code,
            channel=channel,
            content_hash=digest,
            lines=lines,
            amount=amount,
            existing=ledger.issued_roster(target, commune_code, channel),
        )
        return issued, [issued]

    return ledger.save_with_retry(attempt)
