"""The checks of ``ledger verify`` beyond the hash chains — kiểm tra bổ sung: what the store holds must
agree with itself everywhere it can be compared.

* **Snapshots** — every beneficiary snapshot equals the replay of its stream to its version.
* **Merkle log** — every stored event has its leaf and matches it; every stream ends at the last version
  the leaves recorded (a deleted last event, a deleted stream are named); the stored frontier is the
  tree of the stored leaves.
* **Uniqueness claims** — every claim's owner stream exists and is of the right kind, under the stream
  id its value derives to; every beneficiary's citizen ID, household code, payment ids and card numbers,
  every user's token, have their claim naming them.
* **Write side** — the payment positions, payment ids and terms are what the replay gives
  (:mod:`ledger.integrity_write_side`).
* **Issued rosters** — the document store holds the bytes of every issued roster under the content hash
  its stream records.

Each check runs under :func:`run_store_checks`, which turns anything a check could not finish into a
finding: nothing here raises.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.beneficiary import Beneficiary
from domain.checkpoints import Checkpoint, note_checkpoint
from domain.errors import Conflict, InvalidInput, NotFound
from domain.indexes import NAMESPACES, index_id
from domain.merkle import CompactRange
from domain.snapshots import state_of
from domain.users import User
from ledger.bulk import CHUNK, BulkLoader
from ledger.checkpoints import latest_note
from ledger.integrity_findings import (
    CHECK_FAILED,
    CLAIM,
    LEAF,
    MERKLE_TREE,
    MISSING_STREAM,
    ROSTER_DOCUMENT,
    SNAPSHOT,
    STREAM_HEAD,
    BrokenLink,
    IntegrityReport,
    LogFacts,
)
from ledger.integrity_read_models import ReadModels, check_read_models
from ledger.integrity_write_side import check_write_side
from ledger.merkle_log import log_leaves, query, stored_tree, tables_of
from ledger.signing import verify_note

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from domain.snapshots import BeneficiarySnapshot
    from ledger.application import BenefitsLedger

LEAF_PAGE = 5000
Key = tuple[str, int]


def run_store_checks(
    ledger: BenefitsLedger, facts: LogFacts, report: IntegrityReport, read_models: ReadModels | None
) -> None:
    """Every check of the whole store after the chain walk; one that fails is a finding, never an error."""
    checks: list[tuple[str, Callable[[], None]]] = [
        ("Merkle log", lambda: check_merkle_log(ledger, facts, report)),
        ("uniqueness claims", lambda: check_claims(ledger, facts, report)),
        ("issued rosters", lambda: check_rosters(ledger, facts, report)),
        ("write side", lambda: check_write_side(ledger, _loaded(ledger, _beneficiaries(facts)), report)),
    ]
    if ledger.database_url:
        checks.insert(0, ("snapshot", lambda: check_snapshots(ledger, report)))
    if read_models is not None:
        checks.append(("read model", lambda: check_read_models(read_models, report)))
    for name, check in checks:
        try:
            check()
        except Exception as error:  # noqa: BLE001 - verify names what it could not check, never crashes
            report.add(CHECK_FAILED, None, None, f"the {name} check could not finish: {_said(error)}")


def _said(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


# ------------------------------------------------------------------------------------------ snapshots


def check_snapshots(ledger: BenefitsLedger, report: IntegrityReport) -> None:
    """Every beneficiary snapshot (a cache of state, ``domain/snapshots.py``) must equal the replay of
    its stream to its version; one that does not was altered outside the ledger. A stream that cannot
    be replayed to the snapshot's version (an event missing, one not decodable) is named, not raised."""
    loader = BulkLoader(ledger)
    try:
        ids = loader.beneficiary_ids()
        for start in range(0, len(ids), CHUNK):
            snapshots = _read_snapshots(loader, ids[start : start + CHUNK], report)
            rows: dict[UUID, list[tuple[Any, ...]]] = {}
            for row in loader._events(list(snapshots), {}):  # noqa: SLF001 - the loader's own reader
                rows.setdefault(_uuid(row[0]), []).append(row)
            for stream, snapshot in snapshots.items():
                report.snapshots_checked += 1
                problem = _snapshot_problem(ledger, snapshot, rows.get(stream, []))
                if problem is not None:
                    link = BrokenLink(
                        str(stream), snapshot.originator_version, 0, "BeneficiarySnapshot", problem
                    )
                    report.add_broken(link, SNAPSHOT)
    finally:
        loader.close()


def _read_snapshots(
    loader: BulkLoader, chunk: list[UUID], report: IntegrityReport
) -> dict[UUID, BeneficiarySnapshot]:
    """The chunk's snapshots; one that cannot be decoded is named (one by one when the chunk fails)."""
    try:
        return loader._snapshots(chunk)  # noqa: SLF001 - the loader's own reader
    except Exception:  # noqa: BLE001 - find which one
        found: dict[UUID, BeneficiarySnapshot] = {}
        for stream in chunk:
            try:
                found.update(loader._snapshots([stream]))  # noqa: SLF001
            except Exception as error:  # noqa: BLE001
                report.snapshots_checked += 1
                report.add(SNAPSHOT, stream, None, f"the snapshot cannot be read: {_said(error)}")
        return found


def _snapshot_problem(
    ledger: BenefitsLedger, snapshot: BeneficiarySnapshot, rows: list[tuple[Any, ...]]
) -> str | None:
    version = snapshot.originator_version
    agg: Any = None
    try:
        for originator_id, stored_version, topic, state in rows:
            if int(stored_version) > version:
                break
            event: Any = ledger.mapper.to_domain_event(
                StoredEvent(_uuid(originator_id), int(stored_version), topic, bytes(state))
            )
            agg = event.mutate(agg)
    except Exception as error:  # noqa: BLE001 - a broken stream is named by the chain walk too
        return f"the stream's events up to the snapshot's version cannot be replayed ({_said(error)})"
    if agg is None or agg.version != version:
        return "the stream has no event at its version"
    if not isinstance(agg, Beneficiary) or state_of(agg) != snapshot.state:
        return "the snapshot disagrees with the replay of its events"
    return None


# ------------------------------------------------------------------------------------------ Merkle log


def _stored_leaf_rows(ledger: BenefitsLedger) -> Iterator[tuple[int, str, int, bytes]]:
    """(position, stream, version, leaf hash) of every stored leaf, by position."""
    tables = tables_of(ledger)
    p, after = tables.placeholder, -1
    while True:
        rows = query(
            ledger,
            f"SELECT position, originator_id, originator_version, leaf_hash FROM {tables.leaves}"  # noqa: S608
            f" WHERE position > {p} ORDER BY position LIMIT {LEAF_PAGE}",
            (after,),
        )
        for position, stream, version, leaf in rows:
            yield int(position), str(_uuid(stream)), int(version), bytes(leaf)
        if len(rows) < LEAF_PAGE:
            return
        after = int(rows[-1][0])


def check_merkle_log(ledger: BenefitsLedger, facts: LogFacts, report: IntegrityReport) -> None:
    """The stored leaves against the stored events (recomputed) and the stored frontier.

    The two sequences are walked side by side; a key seen on one side waits for the other in a small
    buffer (a deletion shifts them by one), so memory stays bounded by how far they disagree."""
    if getattr(ledger.recorder, "merkle", None) is None:
        return
    waiting_leaves: dict[Key, bytes] = {}
    waiting_events: dict[Key, bytes] = {}
    recorded_head: dict[str, tuple[int, int]] = {}  # stream → (last version with a leaf, leaves)
    tree = CompactRange()
    now = CompactRange()  # the tree of the events as they are now, for the latest signed checkpoint
    signed = _latest_signed(ledger, report)
    at_signed: bytes | None = now.root() if signed is not None and signed.size == 0 else None
    expected_position = 0
    recomputed = ((str(leaf.stream_id), leaf.version, leaf.leaf_hash) for leaf in log_leaves(ledger))
    for stored, current in itertools.zip_longest(_stored_leaf_rows(ledger), recomputed):
        if stored is not None:
            position, stream, version, leaf = stored
            if position != expected_position:
                report.add(
                    MERKLE_TREE,
                    None,
                    None,
                    f"leaves at positions {expected_position}–{position - 1} are missing",
                )
            expected_position = position + 1
            tree.append(leaf)
            last, count = recorded_head.get(stream, (0, 0))
            recorded_head[stream] = (max(last, version), count + 1)
            _meet(report, (stream, version), leaf, waiting_events, waiting_leaves)
        if current is not None:
            _meet(report, (current[0], current[1]), current[2], waiting_leaves, waiting_events)
            now.append(current[2])
            if signed is not None and now.size == signed.size:
                at_signed = now.root()
    for (stream, version), _ in sorted(waiting_events.items()):
        report.add(
            LEAF,
            stream,
            version,
            "the stored event has no Merkle leaf: it was written behind the ledger's back",
        )
    _name_lost_events(report, facts, recorded_head, waiting_leaves)
    if signed is not None and at_signed != signed.root_hash:
        report.add(
            MERKLE_TREE,
            None,
            None,
            f"the events no longer hash to the latest signed checkpoint (tree size {signed.size}, root "
            f"{signed.root_hash.hex()[:16]}…): an event before it was changed, deleted or inserted "
            "(ledger verify --against a saved checkpoint names which)",
        )
    stored = stored_tree(ledger)
    if stored != tree:
        report.add(
            MERKLE_TREE,
            None,
            None,
            f"the stored tree ({stored.size} leaves, root {stored.root().hex()[:16]}…) is not the tree of "
            "the "
            f"stored leaves ({tree.size} leaves, root {tree.root().hex()[:16]}…)",
        )


def _latest_signed(ledger: BenefitsLedger, report: IntegrityReport) -> Checkpoint | None:
    """The latest checkpoint kept in the store — its signature checked when this process holds the
    key (a note the key did not sign is a finding, and not used)."""
    note = latest_note(ledger)
    if note is None:
        return None
    if ledger.signer is None:
        return note_checkpoint(note)
    try:
        return verify_note(note, ledger.signer.verifier_key)
    except InvalidInput as error:
        report.add(
            MERKLE_TREE, None, None, f"the latest kept checkpoint is not validly signed: {error.message}"
        )
        return None


def _meet(
    report: IntegrityReport, key: Key, value: bytes, others: dict[Key, bytes], mine: dict[Key, bytes]
) -> None:
    """A leaf or an event: compared with its counterpart if that was seen, else kept until it is."""
    counterpart = others.pop(key, None)
    if counterpart is None:
        mine[key] = value
    elif counterpart != value:
        report.add(
            LEAF,
            key[0],
            key[1],
            "the stored event no longer matches its Merkle leaf: it was altered after it was recorded",
        )


def _name_lost_events(
    report: IntegrityReport,
    facts: LogFacts,
    recorded_head: dict[str, tuple[int, int]],
    leaves: dict[Key, bytes],
) -> None:
    """Leaves without their stored event: a whole stream gone, a stream cut short, an event missing."""
    missing: dict[str, list[int]] = {}
    for stream, version in leaves:
        missing.setdefault(stream, []).append(version)
    for stream, versions in sorted(missing.items()):
        last, count = recorded_head[stream]
        head = facts.heads.get(stream)
        if head is None:
            report.add(
                MISSING_STREAM, stream, last,
                f"the Merkle log recorded {count} events of this stream (to version {last}) and none is "
                "stored:"
                " the stream was deleted",
            )  # fmt: skip
            continue
        if head[0] < last:
            report.add(
                STREAM_HEAD, stream, head[0],
                f"the stream ends at version {head[0]} but the Merkle log recorded it to version {last}: "
                f"{_versions(head[0] + 1, last)} deleted",
            )  # fmt: skip
        inside = sorted(v for v in versions if v <= head[0])
        if inside:
            more = f" ({len(inside)} such events in this stream)" if len(inside) > 1 else ""
            report.add(
                LEAF,
                stream,
                inside[0],
                f"the stored event is missing though its Merkle leaf is recorded{more}",
            )


def _versions(first: int, last: int) -> str:
    return f"version {first} was" if first == last else f"versions {first}–{last} were"


# ------------------------------------------------------------------------------------------ claims


def check_claims(ledger: BenefitsLedger, facts: LogFacts, report: IntegrityReport) -> None:
    """Every claim names an existing owner of the right kind, under the id its value derives to; every
    owner's values have their claim, naming that owner."""
    for claim_stream, (kind, value, owner) in sorted(facts.claims.items()):
        if kind in NAMESPACES and str(index_id(kind, value)) != claim_stream:
            report.add(
                CLAIM,
                claim_stream,
                1,
                f"the claim of {kind} {value} is stored under a stream id that is not its own",
            )
        owner_kind = facts.aggregates.get(owner)
        wanted = "User" if kind == "token" else "Beneficiary"
        if owner_kind is None:
            report.add(
                CLAIM, claim_stream, 1, f"{kind} {value} is claimed for stream {owner}, which does not exist"
            )
        elif owner_kind != wanted:
            report.add(
                CLAIM,
                claim_stream,
                1,
                f"{kind} {value} is claimed for stream {owner}, a {owner_kind}, not a {wanted}",
            )
    for agg in _loaded(ledger, _beneficiaries(facts)):
        _owner_has_claims(report, facts, agg.id, _values_of(agg))
    for stream in sorted(s for s, a in facts.aggregates.items() if a == "User"):
        try:
            user: Any = ledger.repository.get(UUID(stream))
        except Exception:  # noqa: BLE001, S112 - an unreadable stream is the chain walk's finding
            continue
        if isinstance(user, User) and user.token_sha256:
            _owner_has_claims(report, facts, user.id, [("token", user.token_sha256)])


def _beneficiaries(facts: LogFacts) -> list[UUID]:
    return sorted(UUID(s) for s, a in facts.aggregates.items() if a == "Beneficiary")


def _values_of(agg: Beneficiary) -> list[tuple[str, str]]:
    """The values a beneficiary's claims must cover. Not its household code: the demo generator and
    the register import record households without that claim, so its absence proves nothing. Not its
    payment ids: they are the write side's key (:mod:`ledger.integrity_write_side` checks them); the
    payment-id claims of earlier releases stay in the log and are still checked for their owner."""
    values = [("citizen_id", agg.citizen_id)] if agg.citizen_id else []
    values += [("card_number", number) for number in agg.cards]
    return values


def _owner_has_claims(
    report: IntegrityReport, facts: LogFacts, owner: UUID, values: list[tuple[str, str]]
) -> None:
    for kind, value in values:
        claim = facts.claims.get(str(index_id(kind, value)))
        shown = "the token" if kind == "token" else f"{kind} {value}"
        if claim is None:
            report.add(CLAIM, owner, None, f"{shown} of this stream has no uniqueness claim")
        elif claim[2] != str(owner):
            report.add(CLAIM, owner, None, f"the claim on {shown} of this stream names stream {claim[2]}")


def _loaded(ledger: BenefitsLedger, ids: list[UUID]) -> Iterator[Beneficiary]:
    """The beneficiaries of ``ids`` that can be loaded, chunk by chunk (one by one when a chunk fails)."""
    if not ledger.database_url:
        for stream in ids:
            yield from _one(ledger, stream)
        return
    loader = BulkLoader(ledger)
    try:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            try:
                found = list(loader.load(chunk).values())
            except Exception:  # noqa: BLE001 - find the ones that load
                found = [agg for stream in chunk for agg in _one(ledger, stream)]
            yield from (agg for agg in found if isinstance(agg, Beneficiary))
    finally:
        loader.close()


def _one(ledger: BenefitsLedger, stream: UUID) -> list[Beneficiary]:
    try:
        return [ledger.beneficiary(stream)]
    except Exception:  # noqa: BLE001 - a stream that does not load is the chain walk's finding
        return []


# ------------------------------------------------------------------------------------------ rosters


def check_rosters(ledger: BenefitsLedger, facts: LogFacts, report: IntegrityReport) -> None:
    """The document store holds every issued roster's bytes under the hash its stream records."""
    if not ledger.database_url:
        return
    for stream, content_hash in sorted(facts.rosters.items()):
        try:
            ledger.documents.get(content_hash)
        except NotFound:
            report.add(
                ROSTER_DOCUMENT, stream, 1, f"the issued roster's document {content_hash} is not stored"
            )
        except Conflict:
            report.add(
                ROSTER_DOCUMENT, stream, 1,
                "the stored bytes of the issued roster no longer match its recorded content hash "
                f"{content_hash}",
            )  # fmt: skip
