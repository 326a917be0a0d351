"""What ``ledger verify`` found — phát hiện: one named finding per problem, and the report they make up.

A finding says which check found it (``kind``), the stream and version where it is known, and a plain
message. The checks themselves (:mod:`ledger.integrity`, :mod:`ledger.integrity_checks`,
:mod:`ledger.integrity_read_models`) never raise: what they cannot read is a finding too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uuid import UUID

#: The kinds of finding, by the check that makes them.
CHAIN = "chain"  # a stream's hash chain: an altered, missing, swapped or undecodable event
SNAPSHOT = "snapshot"  # a snapshot that disagrees with the replay of its stream, or cannot be read
STREAM_HEAD = "stream_head"  # a stream that ends before the last version the Merkle log recorded
MISSING_STREAM = "missing_stream"  # a stream with Merkle leaves and no stored event
LEAF = "leaf"  # a stored event and its Merkle leaf disagree (or one of them is missing)
MERKLE_TREE = "merkle_tree"  # the stored frontier is not the tree of the stored leaves
CLAIM = "claim"  # a uniqueness claim without its owner, or an owner's value without its claim
ROSTER_DOCUMENT = "roster_document"  # an issued roster's stored bytes missing or not its recorded hash
WRITE_SIDE = (
    "write_side"  # a payment position, payment id or terms row the replay of the streams does not give
)
READ_MODEL = "read_model"  # a read-model row that a rebuild from the log does not give
CHECK_FAILED = "check_failed"  # a check that could not finish (what it could not read is named)


@dataclass(frozen=True)
class Finding:
    """One problem: what kind, where (when known), and a plain message."""

    kind: str
    stream_id: str | None
    version: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return dataclasses.asdict(self)

    def line(self) -> str:
        """One line of text: kind, where, message."""
        where = f"stream {self.stream_id}" if self.stream_id else "store"
        if self.version is not None:
            where += f", version {self.version}"
        return f"{self.kind}: {where}: {self.message}"


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
    findings: list[Finding] = field(default_factory=list)
    findings_count: int = 0
    limit: int = 100

    def add(self, kind: str, stream: UUID | str | None, version: int | None, message: str) -> None:
        """Record a finding (up to ``limit`` are kept; all are counted)."""
        self.ok = False
        self.findings_count += 1
        if len(self.findings) < self.limit:
            self.findings.append(Finding(kind, None if stream is None else str(stream), version, message))

    def add_broken(self, broken: BrokenLink, kind: str = CHAIN) -> None:
        """A broken link of a chain or a snapshot: the first is kept apart, as before, and each is a
        finding too."""
        self.first_broken = self.first_broken or broken
        if len(self.broken) < self.limit:
            self.broken.append(broken)
        self.add(kind, broken.stream_id, broken.version, f"{broken.event_type}: {broken.problem}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, as the contract names it."""
        return {
            "ok": self.ok,
            "streams_checked": self.streams_checked,
            "events_checked": self.events_checked,
            "first_broken": self.first_broken.as_dict() if self.first_broken else None,
            "broken_count": len(self.broken),
            "snapshots_checked": self.snapshots_checked,
            "findings": [f.as_dict() for f in self.findings],
            "findings_count": self.findings_count,
        }


@dataclass
class LogFacts:
    """What the chain walk saw that the other checks need, gathered in the same pass over the log."""

    #: Stream → (last stored version, its stored hash).
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Stream → the aggregate its events belong to (``Beneficiary``, ``UniqueClaim``, ``User``, …).
    aggregates: dict[str, str] = field(default_factory=dict)
    #: Claim stream → (kind, value, owner stream id).
    claims: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: Roster stream → the content hash its RosterIssued event records.
    rosters: dict[str, str] = field(default_factory=dict)
