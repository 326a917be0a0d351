"""Issued rosters — danh sách chi trả đã phát hành.

Issuing a roster freezes it: the SHA-256 of its exact bytes is recorded in the ledger, in a stream per
month and scope, so that an inspector can later prove which roster was handed to the post office. A
roster is issued once per month and scope; what changes afterwards appears in the next month's roster.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from uuid import UUID, uuid5

from domain.errors import Conflict, InvalidInput
from domain.events import LedgerAggregate, RecordContext

if TYPE_CHECKING:
    from domain.values import Month

NAMESPACE_ROSTERS = UUID("5a0f3c7e-8d21-4b6a-9e3f-7c1d2b4a6e94")


def roster_id(month: Month, commune_code: str | None, channel: str | None) -> UUID:
    """The stream id of the roster of a month and scope."""
    return uuid5(NAMESPACE_ROSTERS, f"{month}:{commune_code or '*'}:{channel or '*'}")


class IssuedRoster(LedgerAggregate):
    """A roster that was issued: its month, scope, totals and content hash."""

    class RosterIssued(LedgerAggregate.Created):
        """RosterIssued — phát hành danh sách chi trả."""

        month: str
        commune_code: str | None
        channel: str | None
        content_hash: str
        lines: int
        amount: int

    def __init__(
        self,
        month: str,
        commune_code: str | None,
        channel: str | None,
        content_hash: str,
        lines: int,
        amount: int,
    ) -> None:
        self.month = month
        self.commune_code = commune_code
        self.channel = channel
        self.content_hash = content_hash
        self.lines = lines
        self.amount = amount

    @classmethod
    def issue(
        cls,
        ctx: RecordContext,
        *,
        month: Month,
        commune_code: str | None,
        channel: str | None,
        content_hash: str,
        lines: int,
        amount: int,
        existing: IssuedRoster | None = None,
    ) -> IssuedRoster:
        """Issue the roster; a second issue of the same month and scope is refused."""
        if existing is not None:
            msg = (
                f"the roster for {month} ({commune_code or 'whole province'}, {channel or 'all channels'}) "
                f"was already issued with content hash {existing.content_hash}"
            )
            raise Conflict(msg, "month")
        if not re.fullmatch(r"[0-9a-f]{64}", content_hash):
            raise InvalidInput("content_hash", "must be a SHA-256 hex digest")
        return cls._create(
            cls.RosterIssued,
            id=roster_id(month, commune_code, channel),
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.today,
            reason=ctx.reason,
            month=str(month),
            commune_code=commune_code,
            channel=channel,
            content_hash=content_hash,
            lines=lines,
            amount=amount,
        )
