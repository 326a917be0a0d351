"""The write side's tables — bảng phía ghi: payment positions, payment ids and beneficiaries' terms,
written in the same transaction as the events they follow, on SQLite and PostgreSQL alike.

* ``payment_positions`` — one row per (entitlement, period) ever paid, withheld from or recorded as not
  collected: ``due`` (as the domain computed it when the position last grew), ``paid``, ``withheld``,
  ``not_collected``. The database adds each event's amount itself and checks
  ``paid + withheld <= due``: a second full payment of a month cannot be stored, whatever Python decided
  (:mod:`domain.positions`).
* ``payment_ids`` — the payment id as primary key (never twice, for anyone), with the payment it names.
  It replaces the payment-id uniqueness streams of earlier releases (their events stay in the log).
* ``beneficiary_terms`` — each beneficiary's terms (:func:`domain.positions.terms_of`) at the stream's
  head version and hash: what a bulk import restores instead of the whole aggregate. A row whose version
  or hash is not the stream's head is stale and not used (the import then loads the aggregate).

The recorders (:mod:`ledger.adapters.sqlite_store`, :mod:`ledger.adapters.recorders`) call
:meth:`WriteSideTables.write` inside the events' transaction with the rows the application passes as
``save(…, write_side=…)``; a violated key or check fails that transaction as the library's
``IntegrityError``, with nothing of it stored. :meth:`WriteSideTables.backfill` fills the positions and
payment ids of a store written before these tables, from its events. Nothing here is trusted by
``ledger verify``: it replays every beneficiary and compares (:mod:`ledger.integrity_checks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import IntegrityError

from domain.positions import PaymentIdRow, PositionChange, WriteSide

if TYPE_CHECKING:
    from collections.abc import Sequence

PAYMENT_TOPIC = "domain.beneficiary:Beneficiary.PaymentRecorded"
_POSITION_TOPICS = {
    "domain.beneficiary:Beneficiary.PaymentRecorded",
    "domain.beneficiary:Beneficiary.PaymentReversed",
    "domain.beneficiary:Beneficiary.PaymentNotCollected",
    "domain.beneficiary:Beneficiary.OverpaymentDeducted",
}


def merged(changes: Sequence[PositionChange]) -> list[PositionChange]:
    """The changes of one transaction, one per entitlement-period (the database updates a row once per
    statement): amounts added up, the last due given kept, not-collected if any says so."""
    found: dict[tuple[str, str], PositionChange] = {}
    for change in changes:
        key = (change.entitlement_id, change.period)
        before = found.get(key)
        if before is None:
            found[key] = change
            continue
        found[key] = PositionChange(
            change.beneficiary_id, change.entitlement_id, change.period,
            change.due if change.due is not None else before.due, before.paid + change.paid,
            before.withheld + change.withheld, before.not_collected or change.not_collected,
        )  # fmt: skip
    return list(found.values())


@dataclass(frozen=True)
class WriteSideTables:
    """The three tables in one backend's dialect (see :class:`ledger.adapters.merkle_tables.MerkleTables`)."""

    positions: str
    payment_ids: str
    terms: str
    events: str
    placeholder: str
    uuid_as_hex: bool

    @classmethod
    def sqlite(cls) -> WriteSideTables:
        return cls(
            "payment_positions", "payment_ids", "beneficiary_terms", "stored_events", "?", uuid_as_hex=True
        )

    @classmethod
    def postgres(cls, schema: str, events_table: str) -> WriteSideTables:
        name = f'"{schema}"."{events_table}'
        return cls(
            f'{name}_payment_positions"', f'{name}_payment_ids"', f'{name}_beneficiary_terms"', f'{name}"',
            "%s", uuid_as_hex=False,
        )  # fmt: skip

    def create_statements(self) -> list[str]:
        """The tables and their keys."""
        integer, stream, boolean = (
            ("INTEGER", "TEXT", "INTEGER") if self.uuid_as_hex else ("bigint", "uuid", "boolean")
        )
        false = "0" if self.uuid_as_hex else "FALSE"
        index = self.positions.replace('"', "").replace(".", "_") + "_beneficiary"
        positions = (
            f"CREATE TABLE IF NOT EXISTS {self.positions} (entitlement_id TEXT NOT NULL, "
            f"period TEXT NOT NULL, beneficiary_id {stream} NOT NULL, due {integer} NOT NULL, "
            f"paid {integer} NOT NULL, withheld {integer} NOT NULL, "
            f"not_collected {boolean} NOT NULL DEFAULT {false}, PRIMARY KEY (entitlement_id, period), "
            "CONSTRAINT never_more_than_due CHECK (paid >= 0 AND withheld >= 0 AND paid + withheld <= due))"
        )
        payment_ids = (
            f"CREATE TABLE IF NOT EXISTS {self.payment_ids} (payment_id TEXT PRIMARY KEY, "
            f"beneficiary_id {stream} NOT NULL, entitlement_id TEXT NOT NULL, period TEXT NOT NULL, "
            f"amount {integer} NOT NULL, paid_on TEXT NOT NULL, originator_version {integer} NOT NULL)"
        )
        terms = (
            f"CREATE TABLE IF NOT EXISTS {self.terms} (beneficiary_id {stream} PRIMARY KEY, "
            f"originator_version {integer} NOT NULL, chain_head TEXT NOT NULL, terms TEXT NOT NULL)"
        )
        by_stream = f'CREATE INDEX IF NOT EXISTS "{index}" ON {self.positions} (beneficiary_id, period)'
        return [positions, by_stream, payment_ids, terms]

    def _id(self, stream: UUID) -> Any:
        return stream.hex if self.uuid_as_hex else stream

    # ------------------------------------------------------------------------------------------ writing

    def write(self, cursor: Any, side: WriteSide | None) -> None:
        """Write ``side``'s rows on ``cursor``, inside the transaction that stores its events."""
        if not side:
            return
        assert side is not None  # noqa: S101 - for the type checker
        p = self.placeholder
        if side.payment_ids:
            self._insert(
                cursor,
                f"INSERT INTO {self.payment_ids} (payment_id, beneficiary_id, entitlement_id, period, "
                "amount, paid_on, originator_version)",
                ("text", "uuid", "text", "text", "int8", "text", "int8"),
                [
                    (r.payment_id, self._id(r.beneficiary_id), r.entitlement_id, r.period, r.amount,
                     r.paid_on.isoformat(), r.version)
                    for r in side.payment_ids
                ],
            )  # fmt: skip
        if side.positions:
            changes = merged(side.positions)
            growing = [c for c in changes if c.paid >= 0 and c.withheld >= 0]
            shrinking = [c for c in changes if c.paid < 0 or c.withheld < 0]
            if growing:  # inserted whole (the row itself must pass the check), or added to
                self._insert(
                    cursor,
                    f"INSERT INTO {self.positions} AS pos (entitlement_id, period, beneficiary_id, due, "
                    "paid, withheld, not_collected)",
                    ("text", "text", "uuid", "int8", "int8", "int8", "bool"),
                    [
                        (c.entitlement_id, c.period, self._id(c.beneficiary_id),
                         c.paid + c.withheld if c.due is None else c.due, c.paid, c.withheld,
                         c.not_collected)
                        for c in growing
                    ],
                    "ON CONFLICT (entitlement_id, period) DO UPDATE SET due = CASE WHEN excluded.paid > 0 "
                    "OR excluded.withheld > 0 THEN excluded.due ELSE pos.due END, "
                    "paid = pos.paid + excluded.paid, withheld = pos.withheld + excluded.withheld, "
                    "not_collected = (pos.not_collected OR excluded.not_collected)",
                )  # fmt: skip
            for c in shrinking:  # a reversal: taken from the position it was added to, which must exist
                cursor.execute(
                    f"UPDATE {self.positions} SET paid = paid + {p}, withheld = withheld + {p} "  # noqa: S608
                    f"WHERE entitlement_id = {p} AND period = {p} AND beneficiary_id = {p} RETURNING paid",
                    (c.paid, c.withheld, c.entitlement_id, c.period, self._id(c.beneficiary_id)),
                )
                if cursor.fetchone() is None:
                    msg = (
                        f"no payment position of {c.entitlement_id} {c.period} to take {-c.paid:,} đồng from"
                    )
                    raise IntegrityError(msg)
        if side.terms:
            cursor.executemany(
                f"INSERT INTO {self.terms} (beneficiary_id, originator_version, chain_head, terms) "  # noqa: S608
                f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (beneficiary_id) DO UPDATE SET "
                "originator_version = excluded.originator_version, chain_head = excluded.chain_head, "
                "terms = excluded.terms",
                [(self._id(t.beneficiary_id), t.version, t.chain_head, orjson.dumps(t.terms).decode())
                 for t in side.terms],
            )  # fmt: skip
        if side.heads and not self.uuid_as_hex:  # one statement for a chunk of a payment file
            cursor.execute(
                f"UPDATE {self.terms} AS t SET originator_version = h.version, chain_head = h.head "  # noqa: S608
                "FROM unnest(%s::int8[], %s::text[], %s::uuid[], %s::int8[]) AS h(version, head, id, before) "
                "WHERE t.beneficiary_id = h.id AND t.originator_version = h.before",
                [list(column) for column in zip(*((v, h, s, b) for s, b, v, h in side.heads), strict=True)],
            )
        elif side.heads:
            cursor.executemany(
                f"UPDATE {self.terms} SET originator_version = {p}, chain_head = {p} "  # noqa: S608
                f"WHERE beneficiary_id = {p} AND originator_version = {p}",
                [(version, head, self._id(stream), before) for stream, before, version, head in side.heads],
            )

    def _insert(
        self, cursor: Any, into: str, types: Sequence[str], rows: list[tuple[Any, ...]], then: str = ""
    ) -> None:
        """``into`` (``INSERT INTO table (columns)``) the ``rows``: on PostgreSQL one statement over
        arrays (``unnest``; one round trip for a chunk of a payment file), on SQLite by ``executemany``."""
        if self.uuid_as_hex:
            marks = ", ".join(self.placeholder for _ in types)
            cursor.executemany(f"{into} VALUES ({marks}) {then}", rows)
            return
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        columns = [list(column) for column in zip(*rows, strict=True)]
        cursor.execute(f"{into} SELECT * FROM unnest({arrays}) {then}", columns)  # noqa: S608 - ours

    def backfill(self, cursor: Any, batch: int = 5000) -> int:
        """A store written before these tables: the payment ids and positions of every payment event,
        in the order of the log (``due`` taken as what is paid and withheld: the check holds, and the
        next payment of that period brings the domain's due); nothing when payment ids exist already
        or the log has no payment. Terms are not backfilled: a bulk import loads the aggregates of
        beneficiaries without them, and their next save writes them. Returns the events read."""
        cursor.execute(f"SELECT 1 FROM {self.payment_ids} LIMIT 1")  # noqa: S608
        if cursor.fetchone() is not None:
            return 0
        id_column = "rowid" if self.uuid_as_hex else "notification_id"
        topics = sorted(_POSITION_TOPICS)
        marks = ", ".join(self.placeholder for _ in topics)
        last, read = 0, 0
        payments: dict[str, tuple[str, str, int]] = {}
        positions: dict[tuple[str, str], list[Any]] = {}
        ids: list[tuple[Any, ...]] = []
        while True:
            cursor.execute(
                f"SELECT {id_column}, originator_id, originator_version, topic, state FROM {self.events} "  # noqa: S608
                f"WHERE {id_column} > {self.placeholder} AND topic IN ({marks}) ORDER BY {id_column} "
                f"LIMIT {batch:d}",
                (last, *topics),
            )
            rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in cursor.fetchall()]
            if not rows:
                break
            for _, originator, version, topic, state in rows:
                stream = originator if isinstance(originator, UUID) else UUID(str(originator))
                data = orjson.loads(bytes(state))
                if topic == PAYMENT_TOPIC:
                    key = (data["entitlement_id"], data["period"])
                    payments[data["payment_id"]] = (key[0], key[1], int(data["amount"]))
                    ids.append((data["payment_id"], self._id(stream), key[0], key[1], int(data["amount"]),
                                _day(data["paid_on"]), int(version)))  # fmt: skip
                    _add(positions, key, stream, paid=int(data["amount"]))
                elif topic.endswith(".PaymentReversed"):
                    eid, period, amount = payments[data["payment_id"]]
                    _add(positions, (eid, period), stream, paid=-amount)
                elif topic.endswith(".OverpaymentDeducted"):
                    _add(
                        positions,
                        (data["entitlement_id"], data["period"]),
                        stream,
                        withheld=int(data["amount"]),
                    )
                else:
                    _add(positions, (data["entitlement_id"], data["period"]), stream, not_collected=True)
            read += len(rows)
            last = int(rows[-1][0])
        p = self.placeholder
        cursor.executemany(
            f"INSERT INTO {self.payment_ids} (payment_id, beneficiary_id, entitlement_id, period, amount, "  # noqa: S608
            f"paid_on, originator_version) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})",
            ids,
        )
        cursor.executemany(
            f"INSERT INTO {self.positions} (entitlement_id, period, beneficiary_id, due, paid, withheld, "  # noqa: S608
            f"not_collected) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})",
            [
                (eid, period, self._id(stream), max(paid + withheld, 0), paid, withheld, not_collected)
                for (eid, period), (stream, paid, withheld, not_collected) in positions.items()
            ],
        )
        return read

    # ------------------------------------------------------------------------------------------ reading

    def payments(self, cursor: Any, payment_ids: Sequence[str]) -> dict[str, PaymentIdRow]:
        """The recorded payments of ``payment_ids`` (those that are)."""
        found: dict[str, PaymentIdRow] = {}
        for start in range(0, len(payment_ids), 5000):
            chunk = list(payment_ids[start : start + 5000])
            rows = self._select(
                cursor,
                "payment_id, beneficiary_id, entitlement_id, period, amount, paid_on, originator_version",
                self.payment_ids, "payment_id", chunk,
            )  # fmt: skip
            for pid, stream, eid, period, amount, paid_on, version in rows:
                found[pid] = PaymentIdRow(
                    pid, _uuid(stream), eid, period, int(amount), date.fromisoformat(paid_on), int(version)
                )
        return found

    def positions_of(
        self, cursor: Any, streams: Sequence[UUID], periods: Sequence[str]
    ) -> dict[UUID, list[tuple[str, str, int, int, bool]]]:
        """The positions of ``streams`` in ``periods``: stream → (entitlement, period, paid, withheld,
        not collected)."""
        found: dict[UUID, list[tuple[str, str, int, int, bool]]] = {}
        if not streams or not periods:
            return found
        p = self.placeholder
        for start in range(0, len(streams), 2000):
            chunk = [self._id(s) for s in streams[start : start + 2000]]
            if self.uuid_as_hex:
                where = (f"beneficiary_id IN ({', '.join(p for _ in chunk)}) "
                         f"AND period IN ({', '.join(p for _ in periods)})")  # fmt: skip
                args: tuple[Any, ...] = (*chunk, *periods)
            else:
                where, args = f"beneficiary_id = ANY({p}) AND period = ANY({p})", (chunk, list(periods))
            cursor.execute(
                "SELECT beneficiary_id, entitlement_id, period, paid, withheld, not_collected "  # noqa: S608
                f"FROM {self.positions} WHERE {where}",
                args,
            )
            for row in cursor.fetchall():
                stream, eid, period, paid, withheld, not_collected = (
                    tuple(row.values()) if isinstance(row, dict) else tuple(row)
                )
                found.setdefault(_uuid(stream), []).append(
                    (eid, period, int(paid), int(withheld), bool(not_collected))
                )
        return found

    def all_positions_of(
        self, cursor: Any, streams: Sequence[UUID]
    ) -> dict[UUID, dict[tuple[str, str], tuple[int, int, bool]]]:
        """Every position of ``streams``: stream → (entitlement, period) → (paid, withheld, not collected)."""
        found: dict[UUID, dict[tuple[str, str], tuple[int, int, bool]]] = {}
        for start in range(0, len(streams), 500):
            chunk = [self._id(s) for s in streams[start : start + 500]]
            columns = "beneficiary_id, entitlement_id, period, paid, withheld, not_collected"
            rows = self._select(cursor, columns, self.positions, "beneficiary_id", chunk)
            for stream, eid, period, paid, withheld, not_collected in rows:
                found.setdefault(_uuid(stream), {})[eid, period] = (
                    int(paid),
                    int(withheld),
                    bool(not_collected),
                )
        return found

    def streams_named(self, cursor: Any) -> list[tuple[UUID, str]]:
        """Each stream the three tables name, with what names it (for ``ledger verify``'s orphans)."""
        found: list[tuple[UUID, str]] = []
        for table, what in ((self.payment_ids, "payment-id row"), (self.positions, "payment position"),
                            (self.terms, "terms row")):  # fmt: skip
            cursor.execute(f"SELECT DISTINCT beneficiary_id FROM {table}")  # noqa: S608
            found.extend(
                (_uuid(next(iter(row.values())) if isinstance(row, dict) else row[0]), what)
                for row in cursor.fetchall()
            )
        return found

    def terms_of(self, cursor: Any, streams: Sequence[UUID]) -> dict[UUID, tuple[int, str, dict[str, Any]]]:
        """The stored terms of ``streams``: stream → (version, head hash, terms)."""
        found: dict[UUID, tuple[int, str, dict[str, Any]]] = {}
        for start in range(0, len(streams), 500):
            chunk = [self._id(s) for s in streams[start : start + 500]]
            rows = self._select(
                cursor,
                "beneficiary_id, originator_version, chain_head, terms",
                self.terms,
                "beneficiary_id",
                chunk,
            )
            for stream, version, head, terms in rows:
                found[_uuid(stream)] = (int(version), str(head), orjson.loads(terms))
        return found

    def terms_at_head(
        self, cursor: Any, streams: Sequence[UUID]
    ) -> dict[UUID, tuple[int, str, dict[str, Any]]]:
        """The stored terms of those of ``streams`` whose terms row stands at the stream's head: the
        stored event of the row's version names the row's hash as its own (``"event_hash":"…"`` in its
        state, found by the database, the state never sent) and no later event exists. A stale row, or a
        stream without one, is left out (its aggregate is loaded whole). One query per 500 streams: the
        terms and the head they are read with, as the stream's version check needs them."""
        found: dict[UUID, tuple[int, str, dict[str, Any]]] = {}
        mark = "'\"event_hash\":\"' || t.chain_head || '\"'"
        if self.uuid_as_hex:
            names_head = f"instr(e.state, CAST({mark} AS BLOB)) > 0"
        else:
            names_head = f"position(convert_to({mark}, 'UTF8') IN e.state) > 0"
        for start in range(0, len(streams), 500):
            chunk = [self._id(s) for s in streams[start : start + 500]]
            where, args = self._key_in("t.beneficiary_id", chunk)
            cursor.execute(
                "SELECT t.beneficiary_id, t.originator_version, t.chain_head, t.terms "  # noqa: S608 - ours
                f"FROM {self.terms} AS t JOIN {self.events} AS e ON e.originator_id = t.beneficiary_id "
                f"AND e.originator_version = t.originator_version WHERE {where} AND {names_head} "
                f"AND NOT EXISTS (SELECT 1 FROM {self.events} AS later WHERE later.originator_id = "
                "t.beneficiary_id AND later.originator_version > t.originator_version)",
                args,
            )
            for row in cursor.fetchall():
                stream, version, head, terms = tuple(row.values()) if isinstance(row, dict) else tuple(row)
                found[_uuid(stream)] = (int(version), str(head), orjson.loads(terms))
        return found

    def existing_streams(self, cursor: Any, streams: Sequence[UUID]) -> set[UUID]:
        """Which of ``streams`` have a stored event in the events table."""
        ids = [self._id(s) for s in streams]
        return {
            _uuid(row[0])
            for row in self._select(cursor, "DISTINCT originator_id", self.events, "originator_id", ids)
        }

    def _select(
        self, cursor: Any, columns: str, table: str, key: str, values: list[Any]
    ) -> list[tuple[Any, ...]]:
        if not values:
            return []
        where, args = self._key_in(key, values)
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {where}", args)  # noqa: S608
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in cursor.fetchall()]

    def _key_in(self, key: str, values: list[Any]) -> tuple[str, tuple[Any, ...]]:
        """``key`` among ``values`` as a condition and its arguments: ``IN (?, …)`` on SQLite, ``= ANY(%s)``
        with one array on PostgreSQL."""
        if self.uuid_as_hex:
            return f"{key} IN ({', '.join(self.placeholder for _ in values)})", tuple(values)
        return f"{key} = ANY({self.placeholder})", (values,)


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _day(value: object) -> str:
    """A stored ``paid_on`` (the transcoder's tagged date, or an ISO string) as ``YYYY-MM-DD``."""
    if isinstance(value, dict):
        return str(value.get("_data_", ""))
    return str(value)


def _add(
    positions: dict[tuple[str, str], list[Any]], key: tuple[str, str], stream: UUID, *, paid: int = 0,
    withheld: int = 0, not_collected: bool = False,
) -> None:  # fmt: skip
    row = positions.setdefault(key, [stream, 0, 0, False])
    row[1] += paid
    row[2] += withheld
    row[3] = row[3] or not_collected
