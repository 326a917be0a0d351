"""Rosters — danh sách chi trả: prepared by one person, approved (issued) by another.

A roster is signed twice (lập biểu, phê duyệt). An officer *prepares* the roster of a month and scope:
the SHA-256 of its exact bytes is recorded in the ledger, in a stream per month and scope
(``RosterPrepared``), status ``prepared``. A second person — an approver of that scope, or an
administrator, never the preparer — either *approves* it (``RosterApproved``: status ``issued``, the
bytes prepared are the roster issued, frozen for ever, so that an inspector can later prove which roster
was handed to the post office) or *returns* it with a reason (``RosterReturned``: status ``returned``),
after which it may be prepared again (``RosterPreparedAgain``, new bytes and hash). What changes after
the issue appears in the next month's roster.

Rosters issued before the two signatures (a single ``RosterIssued``) stay ``issued``.

The state machine: ``prepared`` → ``issued`` | ``returned``; ``returned`` → ``prepared``; ``issued`` is
final.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING
from uuid import UUID, uuid5

from domain.errors import Conflict, InvalidInput, NotAllowed
from domain.events import LedgerAggregate, RecordContext

if TYPE_CHECKING:
    from datetime import datetime

    from domain.values import Month

NAMESPACE_ROSTERS = UUID("5a0f3c7e-8d21-4b6a-9e3f-7c1d2b4a6e94")

PREPARED, ISSUED, RETURNED = "prepared", "issued", "returned"
STATUSES = (PREPARED, ISSUED, RETURNED)
STATUS_LABELS = {PREPARED: "Chờ phê duyệt", ISSUED: "Đã phát hành", RETURNED: "Bị trả lại"}
"""The Vietnamese name of each status, shown on pages, files and the command line."""


@functools.lru_cache(maxsize=65_536)  # a payment file asks for the same few per row
def roster_id(month: Month, commune_code: str | None, channel: str | None) -> UUID:
    """The stream id of the roster of a month and scope."""
    return uuid5(NAMESPACE_ROSTERS, f"{month}:{commune_code or '*'}:{channel or '*'}")


def _check_hash(content_hash: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{64}", content_hash):
        raise InvalidInput("content_hash", "must be a SHA-256 hex digest")


def describe_scope(month: str, commune_code: str | None, channel: str | None) -> str:
    """The roster's month and scope in words (for messages)."""
    return f"{month} ({commune_code or 'toàn tỉnh'}, {channel or 'mọi hình thức'})"


class IssuedRoster(LedgerAggregate):
    """The roster of a month and scope: its status, totals, content hash and who signed it when."""

    class RosterContent(LedgerAggregate.Created):
        """What the first event of a roster's stream records: its month, scope, hash and totals (never
        recorded itself: the base of the two below)."""

        month: str
        commune_code: str | None
        channel: str | None
        content_hash: str
        lines: int
        amount: int

    class RosterIssued(RosterContent):
        """RosterIssued — phát hành danh sách chi trả (in one step, before the two signatures)."""

        def apply(self, agg: IssuedRoster) -> None:
            agg.prepared_by = agg.approved_by = self.actor
            agg.prepared_at = agg.approved_at = self.timestamp

    class RosterPrepared(RosterContent):
        """RosterPrepared — lập danh sách chi trả, trình phê duyệt."""

        def apply(self, agg: IssuedRoster) -> None:
            agg.status = PREPARED
            agg.prepared_by = self.actor
            agg.prepared_at = self.timestamp

    class RosterPreparedAgain(LedgerAggregate.Event):
        """RosterPreparedAgain — lập lại danh sách chi trả bị trả lại, trình phê duyệt."""

        content_hash: str
        lines: int
        amount: int

        def apply(self, agg: IssuedRoster) -> None:
            agg.status = PREPARED
            agg.content_hash = self.content_hash
            agg.lines = self.lines
            agg.amount = self.amount
            agg.prepared_by = self.actor
            agg.prepared_at = self.timestamp

    class RosterApproved(LedgerAggregate.Event):
        """RosterApproved — phê duyệt danh sách chi trả: phát hành đúng bản đã lập."""

        content_hash: str

        def apply(self, agg: IssuedRoster) -> None:
            agg.status = ISSUED
            agg.approved_by = self.actor
            agg.approved_at = self.timestamp

    class RosterReturned(LedgerAggregate.Event):
        """RosterReturned — trả lại danh sách chi trả để lập lại (lý do bắt buộc)."""

        def apply(self, agg: IssuedRoster) -> None:
            agg.status = RETURNED
            agg.returned_by = self.actor
            agg.returned_at = self.timestamp
            agg.return_reason = self.reason

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
        # a one-step RosterIssued: issued at once, its issuer both preparer and approver
        self.status = ISSUED
        self.prepared_by: str = ""
        self.prepared_at: datetime | None = None
        self.approved_by: str = ""
        self.approved_at: datetime | None = None
        self.returned_by: str = ""
        self.returned_at: datetime | None = None
        self.return_reason: str = ""

    @property
    def issued_at(self) -> datetime:
        """When the roster was issued (approved, or issued in one step)."""
        return self.approved_at or self.created_on

    def describe(self) -> str:
        """The roster's month and scope in words."""
        return describe_scope(self.month, self.commune_code, self.channel)

    @classmethod
    def prepare(
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
        """Prepare the roster (status ``prepared``); a roster returned is prepared again on its stream;
        one prepared or issued is refused (409, naming its state)."""
        _check_hash(content_hash)
        if existing is not None:
            existing.prepare_again(ctx, content_hash=content_hash, lines=lines, amount=amount)
            return existing
        return cls._create(
            cls.RosterPrepared,
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

    def prepare_again(self, ctx: RecordContext, *, content_hash: str, lines: int, amount: int) -> None:
        """Prepare a returned roster again, with its new bytes."""
        _check_hash(content_hash)
        if self.status == ISSUED:
            msg = (
                f"danh sách chi trả {self.describe()} đã phát hành (issued) với mã băm {self.content_hash}: "
                "không lập lại được — the roster was already issued"
            )
            raise Conflict(msg, "month")
        if self.status == PREPARED:
            msg = (
                f"danh sách chi trả {self.describe()} đang chờ phê duyệt (prepared, lập bởi "
                f"{self.prepared_by}): phê duyệt hoặc trả lại trước khi lập lại — "
                "the roster is already prepared and awaits approval"
            )
            raise Conflict(msg, "month")
        self.record(self.RosterPreparedAgain, ctx, content_hash=content_hash, lines=lines, amount=amount)

    def _check_pending(self, ctx: RecordContext, verb: str, english: str) -> None:
        if self.status != PREPARED:
            state = STATUS_LABELS[self.status].lower()
            msg = (
                f"danh sách chi trả {self.describe()} {state} ({self.status}): chỉ {verb} được danh sách "
                f"đang chờ phê duyệt — only a prepared roster can be {english}"
            )
            raise Conflict(msg, "roster_id")
        if ctx.actor == self.prepared_by:
            msg = (
                f"người lập danh sách ({self.prepared_by}) không được tự {verb}: cần người thứ hai "
                "(người phê duyệt hoặc quản trị) — the preparer may not approve or return their own roster"
            )
            raise NotAllowed(msg)

    def approve(self, ctx: RecordContext) -> None:
        """Approve the prepared roster: it is issued, exactly the bytes prepared (its hash recorded)."""
        self._check_pending(ctx, "phê duyệt", "approved")
        self.record(self.RosterApproved, ctx, content_hash=self.content_hash)

    def return_(self, ctx: RecordContext) -> None:
        """Return the prepared roster to its preparer; the reason (``ctx.reason``) is required."""
        reason = ctx.reason.strip()
        if not reason:
            raise InvalidInput("reason", "bắt buộc: vì sao trả lại danh sách (a reason is required)")
        self._check_pending(ctx, "trả lại", "returned")
        self.record(self.RosterReturned, ctx, reason=reason)
