"""Integrity of the record — kiểm tra toàn vẹn: walk every stream's hash chain.

Each event stores the hash of its own content and the hash of the previous event of its stream. The
check decodes every stored event in log order, recomputes its content hash, and compares both links.
An event whose stored content was altered (an amount edited in the database, a reason rewritten) no
longer matches its recorded hash; an event whose hash was rewritten too breaks the next event's link.

The whole check (every stream, ``ledger verify``, ``GET /v1/integrity``) then runs the checks of
:mod:`ledger.integrity_checks` — snapshots, stream heads and leaves against the Merkle log, uniqueness
claims, issued rosters' documents — and, when asked, :mod:`ledger.integrity_read_models`. None of them
raises: every problem is a named :class:`~ledger.integrity_findings.Finding` of the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.events import LedgerAggregate, event_content_hash
from domain.indexes import UniqueClaim
from domain.rosters import IssuedRoster
from ledger.integrity_checks import run_store_checks
from ledger.integrity_findings import BrokenLink, Finding, IntegrityReport, LogFacts

if TYPE_CHECKING:
    from ledger.application import BenefitsLedger
    from ledger.integrity_read_models import ReadModels

__all__ = ["BrokenLink", "Finding", "IntegrityReport", "verify_stream", "verify_streams"]

PAGE = 2000


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
    ledger: BenefitsLedger,
    stream_ids: set[UUID] | None = None,
    limit: int = 100,
    *,
    read_models: ReadModels | None = None,
) -> IntegrityReport:
    """Walk every stream (or only ``stream_ids``) in log order and check every link; for the whole
    store, then run every other check (and the read models' when ``read_models`` is given).

    Reports the first broken event, and up to ``limit`` broken events and findings in all (after a
    break, a stream is checked on from the stored hash so that one altered event is reported once).
    """
    report = IntegrityReport(limit=limit)
    facts = LogFacts()
    heads = facts.heads
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
                report.add_broken(
                    BrokenLink(
                        stream_id=sid,
                        version=notification.originator_version,
                        notification_id=notification.id,
                        event_type=notification.topic.rsplit(".", 1)[-1],
                        problem=problem,
                    )
                )
            _note(facts, sid, notification.topic, event)
            stored_hash = getattr(event, "event_hash", "") if event is not None else ""
            heads[sid] = (notification.originator_version, stored_hash)
        if len(batch) < PAGE:
            break
        start = batch[-1].id + 1
    report.streams_checked = len(heads)
    if stream_ids is None:
        run_store_checks(ledger, facts, report, read_models)
    return report


def _note(facts: LogFacts, stream: str, topic: str, event: Any) -> None:
    """What the later checks need of one event: its stream's aggregate, a claim, a roster's hash."""
    facts.aggregates.setdefault(stream, topic.partition(":")[2].partition(".")[0])
    if isinstance(event, UniqueClaim.ValueClaimed):
        facts.claims[stream] = (str(event.kind), str(event.value), str(event.beneficiary_id))
    elif isinstance(
        event, (IssuedRoster.RosterIssued, IssuedRoster.RosterPrepared, IssuedRoster.RosterPreparedAgain)
    ):
        facts.rosters[stream] = str(event.content_hash)
