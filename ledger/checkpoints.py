"""Signed checkpoints of the Merkle log — điểm kiểm tra có chữ ký: taking them, keeping them, and checking
today's log against the ones inspectors saved.

A checkpoint is the tree's size and root at a moment (:class:`domain.checkpoints.Checkpoint`), signed
with the deployment's Ed25519 key (:mod:`ledger.signing`; the key lives outside the database). The
ledger takes one when a roster is issued, after an import and a rate amendment, and at least daily
(on the first write of a day); each is kept in ``merkle_checkpoints`` beside the log and its signed
note printed on the issued roster, served by ``GET /v1/checkpoints`` and printed by ``ledger
checkpoint`` — so copies leave the building.

:func:`verify_against` is what an inspector runs years later (``ledger verify --against day.txt``):
each saved note's signature is checked with the public key alone, the stored events are hashed again,
and an RFC 9162 consistency proof from the saved tree to today's recomputed tree must verify. When it
does not, the finding names the first event that differs from what the checkpoint covered (its
position, stream and version) whenever the store still holds the leaf hashes of that time, and says
how many events are missing when the log is shorter than the checkpoint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from domain.checkpoints import Checkpoint, note_checkpoint, origin_for
from domain.errors import InvalidInput
from domain.merkle import consistency_proof, first_difference, root, subtree_hasher, verify_consistency
from domain.values import vietnam_today
from ledger.merkle_log import (
    execute,
    log_leaves,
    query,
    stored_leaf_at,
    stored_leaves,
    stored_tree,
    tables_of,
)
from ledger.signing import verify_note

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from uuid import UUID

    from ledger.config import Settings
    from ledger.signing import Signer
    from ledger.store import LedgerStore

log = logging.getLogger("ledger.checkpoints")
NATIONWIDE = "vn"


def origin_for_settings(settings: Settings) -> str:
    """The origin of the log the settings' deployment keeps (the signing key's name)."""
    return origin_for(settings.province or NATIONWIDE)


def origin_of(ledger: LedgerStore) -> str:
    """The log's origin (and the signing key's name): ``benefits-ledger/<province code>``."""
    return origin_for(ledger.province or NATIONWIDE)


def take_checkpoint(ledger: LedgerStore, signer: Signer) -> str:
    """Sign the tree as it stands and keep the note (one per tree size: the first stays); the note."""
    tree = stored_tree(ledger)
    checkpoint = Checkpoint(origin_of(ledger), tree.size, tree.root(), ledger.clock())
    note = signer.sign_checkpoint(checkpoint)
    tables, p = tables_of(ledger), tables_of(ledger).placeholder
    execute(
        ledger,
        f"INSERT INTO {tables.checkpoints} (size, signed_at, note) VALUES ({p}, {p}, {p}) "  # noqa: S608
        "ON CONFLICT DO NOTHING",
        (tree.size, checkpoint.time.isoformat() if checkpoint.time else "", note),
    )
    kept = checkpoint_notes(ledger, size=tree.size)
    log.info("checkpoint", extra={"size": tree.size, "root": tree.root().hex()[:16]})
    return kept[0] if kept else note


def after_write(ledger: LedgerStore) -> str | None:
    """A checkpoint after a write that matters beyond one person (a roster issued, an import, a rate
    amendment): the signed note, or ``None`` when this process has no signing key."""
    return take_checkpoint(ledger, ledger.signer) if ledger.signer is not None else None


def daily(ledger: LedgerStore, signer: Signer) -> None:
    """The day's first write takes a checkpoint (the log is signed at least daily while it is used)."""
    today = ledger.today()  # Vietnam's day: the log is signed at least once per business day
    if getattr(ledger, "_checkpoint_day", None) == today:
        return
    latest = latest_note(ledger)
    if latest is None or _time_of(latest) is None or _time_of(latest) != today:
        take_checkpoint(ledger, signer)
    ledger._checkpoint_day = today  # type: ignore[attr-defined]  # noqa: SLF001 - this process's memo


def _time_of(note: str) -> date | None:
    moment = note_checkpoint(note).time
    return vietnam_today(moment) if moment else None


def checkpoint_notes(ledger: LedgerStore, *, size: int | None = None, start: int = 0) -> list[str]:
    """The signed notes kept, oldest first: of one tree ``size``, or of every size from ``start``."""
    tables, p = tables_of(ledger), tables_of(ledger).placeholder
    if size is not None:
        rows = query(ledger, f"SELECT note FROM {tables.checkpoints} WHERE size = {p}", (size,))  # noqa: S608
    else:
        rows = query(
            ledger,
            f"SELECT note FROM {tables.checkpoints} WHERE size >= {p} ORDER BY size",  # noqa: S608
            (start,),
        )
    return [str(r[0]) for r in rows]


def latest_note(ledger: LedgerStore) -> str | None:
    """The signed note of the largest tree signed so far."""
    tables = tables_of(ledger)
    rows = query(ledger, f"SELECT note FROM {tables.checkpoints} ORDER BY size DESC LIMIT 1")  # noqa: S608
    return str(rows[0][0]) if rows else None


def covering(ledger: LedgerStore, stream_id: UUID, version: int) -> dict[str, Any] | None:
    """The first signed checkpoint whose tree holds the event ``stream_id``/``version`` (an issued
    roster's ``RosterIssued``): what the roster carries — its tree size, root, a short form to print and
    the full signed note — or ``None`` before one was signed."""
    signed = position_of(ledger, stream_id, version)
    if signed is None:
        return None
    notes = checkpoint_notes(ledger, start=signed + 1)
    if not notes:
        return None
    checkpoint = note_checkpoint(notes[0])
    root_hex = checkpoint.root_hash.hex()
    return {
        "tree_size": checkpoint.size,
        "root_hash": root_hex,
        "short": f"{root_hex[:16]}/{checkpoint.size}",
        "note": notes[0],
    }


def position_of(ledger: LedgerStore, stream_id: UUID, version: int) -> int | None:
    """The leaf position of a stored event, from the leaves table."""
    tables = tables_of(ledger)
    p = tables.placeholder
    key = stream_id.hex if tables.uuid_as_hex else stream_id
    statement = f"SELECT position FROM {tables.leaves} WHERE originator_id = {p} AND originator_version = {p}"  # noqa: S608
    rows = query(ledger, statement, (key, version))
    return int(rows[0][0]) if rows else None


# ------------------------------------------------------------------------------------ verifying


@dataclass(frozen=True)
class Finding:
    """One way today's log disagrees with a saved checkpoint."""

    checkpoint_size: int
    message: str
    position: int | None = None
    stream_id: str | None = None
    version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "checkpoint",
            "checkpoint_size": self.checkpoint_size,
            "message": self.message,
            "position": self.position,
            "stream_id": self.stream_id,
            "version": self.version,
        }


@dataclass
class AgainstReport:
    """What ``ledger verify --against`` found: the checkpoints checked and every disagreement."""

    log_size: int
    checked: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def verify_against(ledger: LedgerStore, notes: Sequence[str], verifier_key: str) -> AgainstReport:
    """Check today's log against saved signed checkpoints (see the module's docstring). A note that is
    not validly signed by ``verifier_key`` raises :class:`~domain.errors.InvalidInput` naming why."""
    checkpoints = [verify_note(note, verifier_key) for note in notes]
    now = [leaf.leaf_hash for leaf in log_leaves(ledger)]  # hashes only: 32 bytes an event in memory
    report = AgainstReport(log_size=len(now))
    new_root = root(now)
    subtree = subtree_hasher(now)
    signed = stored_leaves(ledger, 0, max((c.size for c in checkpoints), default=0))  # read once
    for checkpoint in sorted(checkpoints, key=lambda c: c.size):
        report.checked.append(checkpoint.size)
        if checkpoint.size > len(now):
            report.findings.append(_shorter(ledger, checkpoint, now, signed[: checkpoint.size]))
            continue
        proof = consistency_proof(checkpoint.size, len(now), subtree)
        if not verify_consistency(checkpoint.size, len(now), checkpoint.root_hash, new_root, proof):
            report.findings.append(_changed(ledger, checkpoint, now, signed[: checkpoint.size]))
    return report


def _named(ledger: LedgerStore, checkpoint: Checkpoint, message: str, position: int) -> Finding:
    """A finding at ``position``, naming the event the checkpoint covered there (the store's leaf row)."""
    signed = stored_leaf_at(ledger, position)
    if signed is None:
        return Finding(checkpoint.size, message, position)
    stream, version = signed
    return Finding(
        checkpoint.size, f"{message} (stream {stream} version {version})", position, str(stream), version
    )


def _shorter(ledger: LedgerStore, checkpoint: Checkpoint, now: list[bytes], then: list[bytes]) -> Finding:
    missing = checkpoint.size - len(now)
    message = f"the log holds {len(now)} events, {missing} fewer than the checkpoint of {checkpoint.size}"
    where = _first_changed(then, now, checkpoint)
    if where is not None and where < len(now):
        return _named(
            ledger, checkpoint, f"{message}; the first one missing or changed is at position {where}", where
        )
    if where is not None:
        return _named(ledger, checkpoint, f"{message}: deleted from the end of the log", where)
    return Finding(checkpoint.size, f"{message}: events at the end of the log were deleted", len(now))


def _changed(ledger: LedgerStore, checkpoint: Checkpoint, now: list[bytes], then: list[bytes]) -> Finding:
    where = _first_changed(then, now[: checkpoint.size], checkpoint)
    if where is None:
        message = (
            f"the first {checkpoint.size} events no longer hash to the checkpoint's signed root, and the "
            "store's own leaf hashes were rewritten too: an event before that point was changed, "
            "deleted, moved or inserted"
        )
        return Finding(checkpoint.size, message)
    message = (
        f"the event at position {where} is not the one the checkpoint of {checkpoint.size} covered: "
        "changed, deleted, moved or inserted since"
    )
    return _named(ledger, checkpoint, message, where)


def _first_changed(then: Sequence[bytes], now: Sequence[bytes], checkpoint: Checkpoint) -> int | None:
    """The first position where the events now differ from the leaves the checkpoint signed — when the
    store's leaf hashes of that time still hash to the signed root (else unknown: ``None``)."""
    if len(then) != checkpoint.size or root(then) != checkpoint.root_hash:
        return None
    size = min(len(then), len(now))
    if size < len(then):
        padded = list(now) + [b"\0" * 32] * (len(then) - size)
        return first_difference(len(then), subtree_hasher(then), subtree_hasher(padded))
    return first_difference(size, subtree_hasher(then), subtree_hasher(now))


def parse_saved(texts: Sequence[str]) -> list[str]:
    """The signed notes in saved files (one note a file, as ``ledger checkpoint`` prints it)."""
    notes = [t for t in texts if t.strip()]
    if not notes:
        raise InvalidInput("against", "no saved checkpoint given")
    return notes
