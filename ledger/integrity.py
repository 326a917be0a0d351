"""Integrity of the record — kiểm tra toàn vẹn: walk every stream's hash chain.

Each event stores the hash of its own content and the hash of the previous event of its stream. The
check decodes every stored event in log order, recomputes its content hash, and compares both links.
An event whose stored content was altered (an amount edited in the database, a reason rewritten) no
longer matches its recorded hash; an event whose hash was rewritten too breaks the next event's link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.events import LedgerAggregate, event_content_hash
from ledger.bulk import BulkLoader

if TYPE_CHECKING:
    from ledger.application import BenefitsLedger

PAGE = 2000


@dataclass
class BrokenLink:
    """The first event whose stored content does not match the chain."""

    stream_id: str
    version: int
    notification_id: int
    event_type: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "stream_id": self.stream_id,
            "version": self.version,
            "notification_id": self.notification_id,
            "type": self.event_type,
            "problem": self.problem,
        }


@dataclass
class IntegrityReport:
    """The result of walking every stream (``GET /v1/integrity``, ``ledger verify``)."""

    ok: bool = True
    streams_checked: int = 0
    events_checked: int = 0
    first_broken: BrokenLink | None = None
    broken: list[BrokenLink] = field(default_factory=list)
    snapshots_checked: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, as the contract names it."""
        return {
            "ok": self.ok,
            "streams_checked": self.streams_checked,
            "events_checked": self.events_checked,
            "first_broken": self.first_broken.as_dict() if self.first_broken else None,
            "broken_count": len(self.broken),
            "snapshots_checked": self.snapshots_checked,
        }


def _check(event: Any, last: tuple[int, str] | None) -> str | None:
    if not isinstance(event, LedgerAggregate.Event):
        return f"not a ledger event ({type(event).__name__})"
    expected_version = 1 if last is None else last[0] + 1
    if event.originator_version != expected_version:
        return (
            f"version {event.originator_version} where {expected_version} was expected (an event is missing)"
        )
    expected_prev = "" if last is None else last[1]
    if event.prev_hash != expected_prev:
        return "prev_hash does not match the hash of the previous event (the chain was rewritten)"
    if event_content_hash(event) != event.event_hash:
        return "stored content does not match its recorded hash (the event was altered)"
    return None


def _decode_and_check(
    ledger: BenefitsLedger, stored: Any, last: tuple[int, str] | None
) -> tuple[Any, str | None]:
    """The decoded event (``None`` if it cannot be decoded) and what is wrong with its link, if anything."""
    try:
        event = ledger.mapper.to_domain_event(stored)
    except Exception as error:  # noqa: BLE001 - any decoding failure is a broken record
        return None, f"stored event cannot be decoded: {type(error).__name__}: {error}"
    return event, _check(event, last)


def verify_stream(ledger: BenefitsLedger, stream_id: UUID) -> BrokenLink | None:
    """Check one stream's chain from its own events (not the whole log): the first broken link, or
    ``None`` when every link holds. The same checks as :func:`verify_streams`; the notification id of a
    broken event is not looked up (0)."""
    last: tuple[int, str] | None = None
    for stored in ledger.recorder.select_events(stream_id):
        event, problem = _decode_and_check(ledger, stored, last)
        if problem is not None:
            kind = stored.topic.rsplit(".", 1)[-1]
            return BrokenLink(str(stream_id), stored.originator_version, 0, kind, problem)
        last = (stored.originator_version, getattr(event, "event_hash", ""))
    return None


def verify_streams(
    ledger: BenefitsLedger, stream_ids: set[UUID] | None = None, limit: int = 100
) -> IntegrityReport:
    """Walk every stream (or only ``stream_ids``) in log order and check every link.

    Reports the first broken event, and up to ``limit`` broken events in all (after a break, a stream
    is checked on from the stored hash so that one altered event is reported once).
    """
    report = IntegrityReport()
    heads: dict[str, tuple[int, str]] = {}
    start = 1
    while True:
        batch = ledger.recorder.select_notifications(start, PAGE)
        for notification in batch:
            sid = str(notification.originator_id)
            if stream_ids is not None and UUID(sid) not in stream_ids:
                continue
            report.events_checked += 1
            event, problem = _decode_and_check(ledger, notification, heads.get(sid))
            if problem is not None:
                broken = BrokenLink(
                    stream_id=sid,
                    version=notification.originator_version,
                    notification_id=notification.id,
                    event_type=notification.topic.rsplit(".", 1)[-1],
                    problem=problem,
                )
                report.ok = False
                report.first_broken = report.first_broken or broken
                if len(report.broken) < limit:
                    report.broken.append(broken)
            stored_hash = getattr(event, "event_hash", "") if event is not None else ""
            heads[sid] = (notification.originator_version, stored_hash)
        if len(batch) < PAGE:
            break
        start = batch[-1].id + 1
    report.streams_checked = len(heads)
    if stream_ids is None and ledger.database_url:
        _verify_snapshots(ledger, report, limit)
    return report


def _verify_snapshots(ledger: BenefitsLedger, report: IntegrityReport, limit: int) -> None:
    """Every beneficiary snapshot (a cache of state, ``domain/snapshots.py``) must equal the replay of
    its stream to its version; one that does not was altered outside the ledger."""
    loader = BulkLoader(ledger)
    try:
        report.snapshots_checked, problems = loader.disagreeing_snapshots()
    finally:
        loader.close()
    for stream, version, problem in problems:
        broken = BrokenLink(str(stream), version, 0, "BeneficiarySnapshot", problem)
        report.ok = False
        report.first_broken = report.first_broken or broken
        if len(report.broken) < limit:
            report.broken.append(broken)
