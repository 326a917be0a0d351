"""Loading many streams at once — nạp hàng loạt: one query for a chunk of streams, not one per stream.

The repository loads one aggregate per query; a province-wide import touches tens of thousands. This
reads a chunk of streams in two statements: the latest snapshot of each (``domain/snapshots.py``), then
the stored events from each snapshot's version on (the whole stream where there is none), decoded with
the application's mapper and folded onto the snapshot.

A snapshot is trusted only as far as the events agree with it: the stored event at the snapshot's
version must carry the hash the snapshot was taken at, and every later event must continue the chain
(``prev_hash``). A snapshot that disagrees — stale beyond repair, damaged, or written by someone who
should not have — is dropped and that stream is replayed from its first event (``rejected_snapshots``
counts them). The loader only reads: events are written by the application as usual, so optimistic
concurrency is unchanged — a stream that moved on meanwhile makes the later save fail with
``IntegrityError`` and the caller loads it again.

:meth:`BulkLoader.save_snapshots` writes fresh snapshots of aggregates a bulk writer holds in memory
(after they are saved) and removes the older snapshots of those streams.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import get_topic

from domain.beneficiary import Beneficiary
from domain.indexes import index_id
from domain.parts import ONE_OFF, Payment
from domain.positions import PaymentIdRow, restore_terms
from domain.snapshots import BeneficiarySnapshot, state_of
from ledger.adapters.sqlstore import ReadStore, open_read_store
from ledger.config import parse_database_url

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from ledger.adapters.write_side import WriteSideTables
    from ledger.application import BenefitsLedger

CHUNK = 500
#: A bulk writer refreshes a stream's snapshot once this many events were recorded after it.
SNAPSHOT_LAG = 12

_COLUMNS = "originator_id, originator_version, topic, state"
_LAST = 2**62  # no upper bound on a version
SNAPSHOT_TOPIC = get_topic(BeneficiarySnapshot)
BENEFICIARY_TOPIC = get_topic(Beneficiary)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run a bulk job with the cyclic garbage collector's youngest generation collected 50 times less
    often: loading tens of thousands of aggregates creates millions of objects, none of them cyclic
    garbage, and the default threshold (700) made the collector walk them over and over (twice the
    time of decoding the snapshots). Restored afterwards; reference counting frees memory as usual."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _hash_mark(head: str) -> bytes:
    """How the stored event whose hash is ``head`` names its own hash (a snapshot's or a terms row's
    head, checked against the stored event without decoding it)."""
    return f'"event_hash":"{head}"'.encode()


class BulkLoader:
    """Loads aggregates of many streams with two queries per chunk; writes their snapshots."""

    def __init__(self, ledger: BenefitsLedger) -> None:
        if not ledger.database_url:
            msg = "bulk loading needs the ledger's database URL"
            raise ValueError(msg)
        self.ledger = ledger
        loc = parse_database_url(ledger.database_url)
        self.store: ReadStore = open_read_store(ledger.database_url)
        self.sqlite = loc.backend == "sqlite"
        snapshots = ledger.snapshots.recorder if ledger.snapshots is not None else None
        snapshot_table = getattr(snapshots, "events_table_name", "")
        if self.sqlite:
            self.table = "stored_events"
            self.snapshot_table = snapshot_table
        else:
            schema = loc.schema or "public"
            self.table = f'"{schema}"."{ledger.name}_events"'
            self.snapshot_table = f'"{schema}"."{snapshot_table}"' if snapshot_table else ""
        #: Stream → version of the snapshot it was loaded from (0: replayed from the start).
        self.snapshot_versions: dict[UUID, int] = {}
        #: Streams loaded partially from their terms (never snapshotted).
        self.partial: set[UUID] = set()
        self.rejected_snapshots = 0

    def close(self) -> None:
        """Release the connection."""
        self.store.close()

    def load_for_payments(
        self, stream_ids: Iterable[UUID], periods: Iterable[str], recorded: dict[str, PaymentIdRow]
    ) -> dict[UUID, Any]:
        """The beneficiaries of ``stream_ids`` as a payment file's rules need them: from their stored
        terms with the positions of ``periods`` and their payments among the ``recorded`` ones (the
        payment-id rows of the file's payment ids)
        (:func:`domain.positions.restore_terms`, no events decoded) where the terms row stands at the
        stream's head — its version and hash are those of the last stored event — and whole
        (:meth:`load`) where it does not (no terms yet, or stale). A partial aggregate is decided on and
        saved like a whole one (its events are the same); it is never snapshotted."""
        wanted = list(dict.fromkeys(stream_ids))
        keys = sorted(set(periods) | {ONE_OFF})
        tables: WriteSideTables = self.ledger.recorder.write_side  # type: ignore[attr-defined]
        found: dict[UUID, Any] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            with self.ledger.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
                terms = tables.terms_at_head(cursor, chunk)
                current = list(terms)
                positions = tables.positions_of(cursor, current, keys)
            owned: dict[UUID, list[Payment]] = {}
            for row in recorded.values():
                owned.setdefault(row.beneficiary_id, []).append(
                    Payment(row.payment_id, row.entitlement_id, row.period, row.amount, row.paid_on, "", "")
                )
            for stream in current:
                version, head, content = terms[stream]
                found[stream] = restore_terms(
                    content, stream, version, head, positions.get(stream, ()), owned.get(stream, ())
                )
                self.partial.add(stream)
            found.update(self.load(s for s in chunk if s not in found))
        return found

    def claim_owners(self, kind: str, values: Iterable[str]) -> dict[str, UUID]:
        """The beneficiary each of ``values`` (citizen IDs, say) is claimed for, read from the claim
        streams' stored first events without building the claim aggregates (a payment file names
        thousands); a claim whose stored value is not the one its stream id derives from is left out."""
        wanted = {index_id(kind, v): v for v in dict.fromkeys(values)}
        found: dict[str, UUID] = {}
        ids = list(wanted)
        for start in range(0, len(ids), CHUNK * 4):
            for originator_id, version, _, state in self._events(ids[start : start + CHUNK * 4], {}):
                stream = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
                if int(version) != 1:
                    continue
                data = orjson.loads(bytes(state))
                value = wanted[stream]
                if data.get("kind") == kind and data.get("value") == value:
                    found[value] = UUID(str(data["beneficiary_id"]))
        return found

    def load(self, stream_ids: Iterable[UUID]) -> dict[UUID, Any]:
        """The current aggregate of every stream in ``stream_ids`` that exists."""
        wanted = list(dict.fromkeys(stream_ids))
        found: dict[UUID, Any] = {}
        for start in range(0, len(wanted), CHUNK):
            found.update(self._load_chunk(wanted[start : start + CHUNK]))
        return found

    def load_at(self, versions: dict[UUID, int]) -> dict[UUID, Any]:
        """The aggregate of each stream of ``versions`` as it stood at that version — its latest snapshot
        at or below it and the events after, up to it, as :meth:`load` reads the head (a projection
        catching up on many beneficiaries it holds no state of: two queries per 500 streams instead of
        two per stream). A stream with fewer events than asked is left out."""
        wanted = list(versions)
        found: dict[UUID, Any] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            loaded = self._load_chunk(chunk, {s: versions[s] for s in chunk})
            found.update((s, a) for s, a in loaded.items() if a.version == versions[s])
        return found

    # ------------------------------------------------------------------------------------------ reading

    def _load_chunk(self, ids: Sequence[UUID], until: dict[UUID, int] | None = None) -> dict[UUID, Any]:
        if not ids:
            return {}
        snapshots = self._snapshots(ids, until)
        rows = self._events(ids, {k: v.originator_version for k, v in snapshots.items()}, until)
        aggregates: dict[UUID, Any] = {}
        broken: set[UUID] = set()
        mapper = self.ledger.mapper
        for originator_id, version, topic, state in rows:
            stream = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
            if stream in broken:
                continue
            snapshot = snapshots.get(stream)
            current = aggregates.get(stream)
            if snapshot is not None and current is None:
                # The first row must be the event the snapshot was taken at, with the snapshot's hash
                # (read from the stored JSON without decoding the whole event).
                if int(version) == snapshot.originator_version and _hash_mark(
                    snapshot.state.get("chain_head", "")
                ) in bytes(state):
                    aggregates[stream] = snapshot.mutate(None)
                else:
                    broken.add(stream)
                continue
            event: Any = mapper.to_domain_event(
                StoredEvent(
                    originator_id=stream, originator_version=int(version), topic=topic, state=bytes(state)
                )
            )
            if snapshot is None or (current is not None and event.prev_hash == current.chain_head):
                aggregates[stream] = event.mutate(current)
            else:
                broken.add(stream)
        broken.update(stream for stream in snapshots if stream not in aggregates)
        for stream in broken:  # replay those from their first event, without the snapshot
            self.rejected_snapshots += 1
            aggregates.pop(stream, None)
            for _, version, topic, state in self._events([stream], {}, until):
                event = mapper.to_domain_event(
                    StoredEvent(originator_id=stream, originator_version=int(version), topic=topic,
                                state=bytes(state))
                )  # fmt: skip
                aggregates[stream] = event.mutate(aggregates.get(stream))
        for stream in aggregates:
            self.snapshot_versions[stream] = 0 if stream in broken or stream not in snapshots else (
                snapshots[stream].originator_version
            )  # fmt: skip
        return aggregates

    def _snapshots(
        self, ids: Sequence[UUID], until: dict[UUID, int] | None = None
    ) -> dict[UUID, BeneficiarySnapshot]:
        """The latest snapshot of each stream that has one (at or below ``until[stream]`` when given)."""
        if not self.snapshot_table:
            return {}
        bounds = [_LAST if until is None else until[i] for i in ids]
        with self.store.read() as tx:
            if self.sqlite:
                values = ", ".join("(?, ?)" for _ in ids)
                rows = tx.fetchall(
                    f"WITH wanted(id, until) AS (VALUES {values}) "  # noqa: S608
                    f"SELECT {_COLUMNS} FROM {self.snapshot_table}"
                    " JOIN wanted ON originator_id = wanted.id AND originator_version <= wanted.until"
                    " ORDER BY originator_id, originator_version",
                    [value for i, bound in zip(ids, bounds, strict=True) for value in (i.hex, bound)],
                )
            else:
                rows = tx.fetchall(
                    f"SELECT DISTINCT ON (originator_id) {_COLUMNS} FROM {self.snapshot_table}"  # noqa: S608
                    " JOIN unnest(?::uuid[], ?::int8[]) AS wanted(id, until) ON originator_id = wanted.id"
                    " AND originator_version <= wanted.until ORDER BY originator_id, originator_version DESC",
                    [list(ids), bounds],
                )
        found: dict[UUID, BeneficiarySnapshot] = {}
        for originator_id, version, topic, state in rows:
            stream = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
            raw = bytes(state)
            snapshot: Any
            if topic == SNAPSHOT_TOPIC and raw.count(b'"_type_"') == 1:
                # Plain JSON but the timestamp (state_of writes no tagged values): decoded by orjson,
                # three times faster than the transcoder's object hook.
                data = orjson.loads(raw)
                snapshot = BeneficiarySnapshot(
                    originator_id=stream, originator_version=int(version),
                    timestamp=datetime.fromisoformat(data["timestamp"]["_data_"]), topic=data["topic"],
                    state=data["state"],
                )  # fmt: skip
            else:
                snapshot = self.ledger.mapper.to_domain_event(
                    StoredEvent(originator_id=stream, originator_version=int(version), topic=topic, state=raw)
                )
            if isinstance(snapshot, BeneficiarySnapshot) and snapshot.topic == BENEFICIARY_TOPIC:
                found[stream] = snapshot  # ascending on SQLite: the last one wins
        return found

    def _events(
        self, ids: Sequence[UUID], since: dict[UUID, int], until: dict[UUID, int] | None = None
    ) -> list[tuple[Any, ...]]:
        """Stored events of ``ids``, from version ``since[id]`` on (all of them where it is absent) up to
        ``until[id]`` when given."""
        if not ids:
            return []
        bounds = [_LAST if until is None else until[i] for i in ids]
        with self.store.read() as tx:
            if self.sqlite:
                values = ", ".join("(?, ?, ?)" for _ in ids)
                params: list[Any] = []
                for i, bound in zip(ids, bounds, strict=True):
                    params.extend((i.hex, since.get(i, 0), bound))
                return tx.fetchall(
                    f"WITH wanted(id, since, until) AS (VALUES {values}) "  # noqa: S608
                    f"SELECT {_COLUMNS} FROM {self.table}"
                    " JOIN wanted ON originator_id = wanted.id AND originator_version >= wanted.since"
                    " AND originator_version <= wanted.until ORDER BY originator_id, originator_version",
                    params,
                )
            return tx.fetchall(
                f"SELECT {_COLUMNS} FROM {self.table}"  # noqa: S608
                " JOIN unnest(?::uuid[], ?::int8[], ?::int8[]) AS wanted(id, since, until)"
                " ON originator_id = wanted.id AND originator_version >= wanted.since"
                " AND originator_version <= wanted.until ORDER BY originator_id, originator_version",
                [list(ids), [since.get(i, 0) for i in ids], bounds],
            )

    def beneficiary_ids(self) -> list[UUID]:
        """Every beneficiary stream of the log."""
        topic = get_topic(Beneficiary.BeneficiaryRegistered)
        with self.store.read() as tx:
            rows = tx.fetchall(
                f"SELECT originator_id FROM {self.table} WHERE topic = ? ORDER BY originator_id",  # noqa: S608
                [topic],
            )
        return [r[0] if isinstance(r[0], UUID) else UUID(str(r[0])) for r in rows]

    def disagreeing_snapshots(self) -> tuple[int, list[tuple[UUID, int, str]]]:
        """Replay every snapshotted stream to its snapshot's version and compare the states: how many
        snapshots were checked, and (stream, version, problem) for each that disagrees — a snapshot is a
        cache, but one altered in the database would steer the rules, so ``ledger verify`` checks them."""
        ids = self.beneficiary_ids()
        checked = 0
        problems: list[tuple[UUID, int, str]] = []
        mapper = self.ledger.mapper
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            snapshots = self._snapshots(chunk)
            replayed: dict[UUID, Any] = {}
            for originator_id, version, topic, state in self._events(list(snapshots), {}):
                stream = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
                if int(version) > snapshots[stream].originator_version:
                    continue
                event: Any = mapper.to_domain_event(
                    StoredEvent(originator_id=stream, originator_version=int(version), topic=topic,
                                state=bytes(state))
                )  # fmt: skip
                replayed[stream] = event.mutate(replayed.get(stream))
            for stream, snapshot in snapshots.items():
                checked += 1
                agg = replayed.get(stream)
                if agg is None or agg.version != snapshot.originator_version:
                    problems.append(
                        (stream, snapshot.originator_version, "the stream has no event at its version")
                    )
                elif state_of(agg) != snapshot.state:
                    problems.append(
                        (
                            stream,
                            snapshot.originator_version,
                            "the snapshot disagrees with the replay of its events",
                        )
                    )
        return checked, problems

    # ------------------------------------------------------------------------------------------ writing

    def refresh_snapshots(self, *, lag: int = SNAPSHOT_LAG) -> tuple[int, int]:
        """Snapshot every beneficiary whose snapshot is ``lag`` or more events behind (what a nightly
        ``ledger snapshots refresh`` does); returns (beneficiaries, snapshots written)."""
        ids = self.beneficiary_ids()
        written = 0
        for start in range(0, len(ids), CHUNK):
            written += self.save_snapshots(self.load(ids[start : start + CHUNK]).values(), lag=lag)
        return len(ids), written

    def save_snapshots(self, aggregates: Iterable[Any], *, lag: int = SNAPSHOT_LAG) -> int:
        """Snapshot the saved beneficiaries among ``aggregates`` whose snapshot is ``lag`` or more events
        behind; remove the older snapshots of those streams. Returns how many were written."""
        store = self.ledger.snapshots
        if store is None:
            return 0
        fresh = [
            BeneficiarySnapshot.take(agg)
            for agg in aggregates
            if isinstance(agg, Beneficiary)
            and agg.id not in self.partial
            and not agg.pending_events
            and agg.version - self.snapshot_versions.get(agg.id, 0) >= lag
        ]
        if not fresh:
            return 0
        try:
            store.put(fresh)
        except IntegrityError:  # another writer snapshotted one of them at the same version: one by one
            for snapshot in fresh:
                try:
                    store.put([snapshot])
                except IntegrityError:
                    continue
        for snapshot in fresh:
            self.snapshot_versions[snapshot.originator_id] = snapshot.originator_version
        self._prune([(s.originator_id, s.originator_version) for s in fresh])
        return len(fresh)

    def _prune(self, heads: Sequence[tuple[UUID, int]]) -> None:
        """Drop the snapshots older than ``heads`` (a snapshot is a cache: the latest is enough)."""
        for start in range(0, len(heads), CHUNK):
            chunk = heads[start : start + CHUNK]
            with self.store.write(exclusive=False) as tx:
                if self.sqlite:
                    values = ", ".join("(?, ?)" for _ in chunk)
                    params: list[Any] = []
                    for stream, version in chunk:
                        params.extend((stream.hex, version))
                    tx.execute(
                        f"WITH head(id, version) AS (VALUES {values}) DELETE FROM {self.snapshot_table}"  # noqa: S608
                        " WHERE EXISTS (SELECT 1 FROM head WHERE head.id = originator_id"
                        " AND originator_version < head.version)",
                        params,
                    )
                else:
                    tx.execute(
                        f"DELETE FROM {self.snapshot_table} AS s USING unnest(?::uuid[], ?::int8[])"  # noqa: S608
                        " AS head(id, version) WHERE s.originator_id = head.id"
                        " AND s.originator_version < head.version",
                        [[s for s, _ in chunk], [v for _, v in chunk]],
                    )
