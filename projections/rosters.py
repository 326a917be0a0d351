"""Monthly payout rosters — danh sách chi trả hằng tháng.

The roster for month M and a scope (province, one commune, one payment channel) lists, per beneficiary,
every item due: the regular amount for M, arrears for past months (truy lĩnh: each past month at that
month's rates), uncollected amounts carried over (chuyển kỳ), one-offs, and the overpayment still to be
recovered deducted (khấu trừ thu hồi), with a net amount per line and totals per commune and channel.

Two ways to build it, which must agree line for line:

* :func:`build_roster` — from the read models (``rm_dues`` and the register), fast, at the tracked
  position of the projections;
* :func:`lines_from_aggregate` — from one beneficiary's aggregate, used for beneficiaries whose dues
  lines do not reach month M yet, and by :func:`roster_as_of`, which replays the log up to a past moment
  to show what the ledger knew then.

The same input gives the same roster byte for byte (:meth:`Roster.canonical_json`), whose SHA-256 is
the content hash recorded when a roster is issued.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson

from domain.beneficiary import ONE_OFF, Beneficiary
from domain.catalogue import RateBook, RateEntry, reference_rate_book
from domain.errors import Conflict
from domain.parts import ITEM_KINDS, RECOVERY, item_kind
from domain.rates import NccTables, RateSchedule
from domain.values import Month, parse_channel, parse_commune_code
from ledger.bulk import BulkLoader
from ledger.checkpoints import covering
from projections.views import PLACES_IN_FORCE_SQL

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from ledger.application import BenefitsLedger
    from projections.engine import ProjectionEngine

ITEM_ORDER = {kind: order for order, kind in enumerate(ITEM_KINDS)}
CHANNELS = ("cash", "bank")


@dataclass(frozen=True)
class RosterScope:
    """Which part of the province a roster covers."""

    commune_code: str | None = None
    channel: str | None = None

    @classmethod
    def parse(cls, commune_code: object = None, channel: object = None) -> RosterScope:
        """Check the scope's fields."""
        commune = parse_commune_code(commune_code) if commune_code not in {None, ""} else None
        return cls(commune, parse_channel(channel) if channel not in {None, ""} else None)

    def admits(self, commune_code: str, channel: str) -> bool:
        """Whether a line of this commune and channel belongs to the roster."""
        return (self.commune_code is None or commune_code == self.commune_code) and (
            self.channel is None or channel == self.channel
        )


@dataclass
class RosterItem:
    """One amount on a roster line."""

    entitlement_id: str
    scheme: str
    type: str
    period: str | None
    amount: int

    def as_dict(self) -> dict[str, Any]:
        """As the contract names it."""
        return {
            "entitlement_id": self.entitlement_id,
            "scheme": self.scheme,
            "type": self.type,
            "period": self.period,
            "amount": self.amount,
        }


@dataclass
class RosterLine:
    """One beneficiary's line: every item due, and the net amount to hand over."""

    beneficiary_id: str
    citizen_id: str | None
    full_name: str
    commune_code: str
    channel: str
    items: list[RosterItem] = field(default_factory=list)

    @property
    def net_amount(self) -> int:
        """Sum of the items (recoveries are negative)."""
        return sum(i.amount for i in self.items)

    def sort_items(self) -> None:
        """Regular first, then arrears, carry-overs, one-offs and recoveries, by period."""
        self.items.sort(key=lambda i: (ITEM_ORDER[i.type], i.period or "", i.scheme, i.entitlement_id))

    def as_dict(self) -> dict[str, Any]:
        """As the contract names it."""
        return {
            "beneficiary_id": self.beneficiary_id,
            "citizen_id": self.citizen_id,
            "full_name": self.full_name,
            "commune_code": self.commune_code,
            "channel": self.channel,
            "items": [i.as_dict() for i in self.items],
            "net_amount": self.net_amount,
        }


@dataclass
class Roster:
    """A monthly payout roster for a scope."""

    month: Month
    scope: RosterScope
    lines: list[RosterLine]
    as_of: str | None = None
    # items no rate in force could compute, left out of the lines: [{beneficiary_id, entitlement_id, reason}]
    problems: list[dict[str, str]] = field(default_factory=list)

    def totals(self) -> dict[str, Any]:
        """Totals: lines, amount, per channel and per commune."""
        by_channel = dict.fromkeys(CHANNELS, 0)
        by_commune: dict[str, int] = {}
        for line in self.lines:
            by_channel[line.channel] = by_channel.get(line.channel, 0) + line.net_amount
            by_commune[line.commune_code] = by_commune.get(line.commune_code, 0) + line.net_amount
        return {
            "lines": len(self.lines),
            "amount": sum(line.net_amount for line in self.lines),
            "by_channel": by_channel,
            "by_commune": dict(sorted(by_commune.items())),
        }

    def as_dict(self) -> dict[str, Any]:
        """As ``GET /v1/rosters/{month}`` returns it."""
        return {
            "month": str(self.month),
            "commune_code": self.scope.commune_code,
            "channel": self.scope.channel,
            "as_of": self.as_of,
            "lines": [line.as_dict() for line in self.lines],
            "totals": self.totals(),
            "problems": list(self.problems),
        }

    def canonical_json(self) -> bytes:
        """The roster's bytes: the same input always gives the same bytes — those of
        ``json.dumps(…, ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` in UTF-8 (the form
        issued rosters were hashed in), written by orjson, four times faster (a test holds them equal)."""
        return orjson.dumps(self.as_dict(), option=orjson.OPT_SORT_KEYS)

    def content_hash(self) -> str:
        """SHA-256 of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json()).hexdigest()


def _sorted(lines: Iterable[RosterLine]) -> list[RosterLine]:
    out = [line for line in lines if line.items]
    for line in out:
        line.sort_items()
    out.sort(key=lambda line: (line.commune_code, line.full_name, line.citizen_id or "", line.beneficiary_id))
    return out


def _add_recovery(line: RosterLine, outstanding: int) -> None:
    """Deduct what is still to be recovered from what the line pays, never below zero; a negative
    ``outstanding`` is money recovered beyond what is overpaid, paid back on the line (hoàn trả)."""
    gross = line.net_amount
    if outstanding > 0 and gross > 0:
        line.items.append(RosterItem("", "RECOVERY", RECOVERY, None, -min(outstanding, gross)))
    elif outstanding < 0:
        line.items.append(RosterItem("", "RECOVERY", RECOVERY, None, -outstanding))


def lines_from_aggregate(
    agg: Beneficiary, month: Month, rates: RateBook, problems: list[dict[str, str]] | None = None
) -> RosterLine:
    """One beneficiary's roster line for ``month``, computed from the aggregate; items no rate in force
    can compute are left out and named in ``problems``."""
    line = RosterLine(
        beneficiary_id=str(agg.id),
        citizen_id=agg.citizen_id,
        full_name=agg.full_name,
        commune_code=agg.commune_at(month)[0],  # the commune in force in the roster's month
        channel=agg.channel_at(month)["type"],
    )
    items, failed = agg.computable_items(month, rates)
    for item in items:
        if item.outstanding <= 0:
            continue
        kind = item.kind_on(str(month))
        if kind is None:
            continue
        period = None if item.period == ONE_OFF else item.period
        line.items.append(RosterItem(item.entitlement_id, item.scheme, kind, period, item.outstanding))
    # outstanding − credit = what is overpaid − what was recovered (the items hold every paid period)
    _add_recovery(line, sum(i.excess for i in items) - agg.recovered)
    if problems is not None:
        bid = str(agg.id)
        problems.extend(
            {"beneficiary_id": bid, "entitlement_id": e, "reason": why} for e, why in failed.items()
        )
    line.sort_items()
    return line


def build_roster(engine: ProjectionEngine, month: object, scope: RosterScope | None = None) -> Roster:
    """The roster for ``month`` from the read models, brought up to date first (read-your-writes)."""
    target = Month.parse(month, "month")
    scope = scope or RosterScope()
    engine.catch_up()
    key = str(target)
    lines: dict[str, RosterLine] = {}
    behind: list[tuple[str, int]] = []
    with engine.store.read() as tx:
        rates = engine.rates_in(tx)
        people = tx.fetchall(
            "SELECT id, citizen_id, full_name, commune_code, channel, horizon, version, overpaid - recovered"
            " FROM rm_beneficiaries"
        )
        # Behind: the dues lines stop before the roster's month, and some entitlement may still be due
        # after them (not stopped by then). Whoever's entitlements all stopped is complete as it is.
        open_ = {
            r[0]
            for r in tx.fetchall(
                "SELECT DISTINCT b.id FROM rm_beneficiaries b"
                " JOIN rm_entitlements e ON e.beneficiary_id = b.id WHERE b.horizon < ?"
                " AND e.start_month <= ? AND (e.stop_month IS NULL OR e.stop_month > b.horizon)",
                (key, key),
            )
        }
        outstanding: dict[str, int] = {}
        # the commune and channel in force in the roster's month (a relocation counts from its month)
        places = {r[0]: (r[1], r[2]) for r in tx.fetchall(PLACES_IN_FORCE_SQL, (key,))}
        for bid, citizen_id, name, current_commune, current_channel, horizon, version, owed in people:
            commune, channel = places.get(bid, (current_commune, current_channel))
            if not scope.admits(commune, channel):
                continue
            if horizon < key and bid in open_:
                behind.append((bid, int(version)))
                continue
            lines[bid] = RosterLine(bid, citizen_id, name, commune, channel)
            outstanding[bid] = int(owed)
        # every item still owed that falls in the roster's month or before; its type is the domain's
        # (item_kind) from the columns the projection stored, the same as lines_from_aggregate's
        rows = tx.fetchall(
            "SELECT beneficiary_id, entitlement_id, scheme, period, due - paid - withheld, overdue_kind,"
            " item_month FROM rm_dues WHERE due > paid + withheld AND item_month <= ?",
            (key,),
        )
        problems_sql = "SELECT beneficiary_id, entitlement_id, reason FROM rm_problems ORDER BY 1, 2"
        problems = [
            {"beneficiary_id": r[0], "entitlement_id": r[1], "reason": r[2]}
            for r in tx.fetchall(problems_sql)
            if r[0] in lines
        ]
    for bid, eid, scheme, period, owed_amount, overdue_kind, item_month in rows:
        line = lines.get(bid)
        kind = item_kind(overdue_kind, item_month, key)
        if line is None or kind is None:
            continue
        line.items.append(
            RosterItem(eid, scheme, kind, None if period == ONE_OFF else period, int(owed_amount))
        )
    for bid, line in lines.items():
        _add_recovery(line, outstanding[bid])
    for bid, agg in _states_at(engine, behind).items():
        lines[bid] = lines_from_aggregate(agg, target, rates, problems)
    return Roster(target, scope, _sorted(lines.values()), problems=problems)


def _states_at(engine: ProjectionEngine, wanted: list[tuple[str, int]]) -> dict[str, Beneficiary]:
    """The beneficiaries at the versions the read models show: loaded in bulk (from snapshots), the
    few that moved on since the catch-up replayed to their version one by one."""
    if not wanted:
        return {}
    found: dict[str, Beneficiary] = {}
    loaded: dict[UUID, Any] = {}
    if engine.ledger.database_url:
        loader = BulkLoader(engine.ledger)
        try:
            loaded = loader.load(UUID(bid) for bid, _ in wanted)
        finally:
            loader.close()
    for bid, version in wanted:
        agg = loaded.get(UUID(bid))
        if not isinstance(agg, Beneficiary) or agg.version != version:
            agg = engine.state_at(UUID(bid), version)
        if agg is not None:
            found[bid] = agg
    return found


_REPLAYED_STARTS = (
    Beneficiary.BeneficiaryRegistered,
    RateSchedule.RateScheduleOpened,
    NccTables.NccTablesOpened,
)


def roster_as_of(
    ledger: BenefitsLedger, month: object, as_of: datetime, scope: RosterScope | None = None
) -> Roster:
    """The roster for ``month`` as the ledger knew it at ``as_of``: the log replayed up to that moment."""
    target = Month.parse(month, "month")
    scope = scope or RosterScope()
    streams: dict[UUID, Any] = {}  # beneficiaries, rate schedules and the NCC tables, replayed
    frozen: set[UUID] = set()  # streams with an event after as_of: nothing later of them counts
    start = 1
    while True:
        batch = ledger.recorder.select_notifications(start, 2000)
        for notification in batch:
            sid = UUID(str(notification.originator_id))
            if sid in frozen:
                continue
            event: Any = ledger.mapper.to_domain_event(notification)
            if event.timestamp > as_of:
                frozen.add(sid)
            elif isinstance(event, _REPLAYED_STARTS):
                streams[sid] = event.mutate(None)
            elif sid in streams:
                event.mutate(streams[sid])
        if len(batch) < 2000:
            break
        start = batch[-1].id + 1
    aggregates = [s for s in streams.values() if isinstance(s, Beneficiary)]
    entries: list[RateEntry] = sorted(
        (e for s in streams.values() if isinstance(s, RateSchedule) for e in s.entries),
        key=lambda e: e.recorded_at or as_of,
    )
    editions = [e for s in streams.values() if isinstance(s, NccTables) for e in s.editions]
    rates = reference_rate_book(entries, editions)
    problems: list[dict[str, str]] = []
    lines = []
    for agg in aggregates:
        found: list[dict[str, str]] = []
        line = lines_from_aggregate(agg, target, rates, found)
        if scope.admits(line.commune_code, line.channel):
            lines.append(line)
            problems.extend(found)
    roster = Roster(target, scope, _sorted(lines), problems=problems)
    roster.as_of = as_of.isoformat()
    return roster


def roster_from_dict(data: dict[str, Any]) -> Roster:
    """Rebuild a :class:`Roster` from its JSON form (an issued roster's document)."""
    lines = [
        RosterLine(
            beneficiary_id=line["beneficiary_id"],
            citizen_id=line["citizen_id"],
            full_name=line["full_name"],
            commune_code=line["commune_code"],
            channel=line["channel"],
            items=[RosterItem(**item) for item in line["items"]],
        )
        for line in data["lines"]
    ]
    roster = Roster(Month.parse(data["month"]), RosterScope(data["commune_code"], data["channel"]), lines)
    roster.as_of = data.get("as_of")
    roster.problems = list(data.get("problems", []))
    return roster


def issue_roster(engine: ProjectionEngine, actor: str, month: object, scope: RosterScope) -> dict[str, Any]:
    """Issue (freeze) the roster of a month and scope: its bytes are kept and their hash recorded.

    The roster is built from the read models *and* re-derived from the event log (the log replayed up
    to now, as :func:`roster_as_of` does); they must agree line for line, else nothing is issued and
    the first line that differs is named — so read-model rows edited behind the ledger's back can
    never be frozen into a roster (rebuilding the read models, ``ledger projections rebuild``, mends
    them). The replay reads the whole log: an issue costs about one ``ledger verify``."""
    roster = build_roster(engine, month, scope)
    from_log = roster_as_of(engine.ledger, roster.month, engine.ledger.clock(), scope)
    if roster.lines != from_log.lines:
        raise Conflict(_first_disagreement(roster.lines, from_log.lines))
    content = roster.canonical_json()
    totals = roster.totals()
    issued = engine.ledger.issue_roster(
        actor,
        month=roster.month,
        commune_code=scope.commune_code,
        channel=scope.channel,
        content=content,
        lines=totals["lines"],
        amount=totals["amount"],
    )
    return {
        "roster_id": str(issued.id),
        "content_hash": issued.content_hash,
        "month": issued.month,
        "commune_code": issued.commune_code,
        "channel": issued.channel,
        "lines": issued.lines,
        "amount": issued.amount,
        "issued_at": issued.created_on.isoformat(),
        "checkpoint": covering(engine.ledger, issued.id, issued.version),
    }


def _first_disagreement(read: list[RosterLine], logged: list[RosterLine]) -> str:
    """Which line of a roster the read models have wrong, compared with the event log."""
    by_id = {line.beneficiary_id: line for line in logged}
    for line in read:
        truth = by_id.pop(line.beneficiary_id, None)
        if truth != line:
            what = "is not due anything" if truth is None else "differs from what the event log says is due"
            who = line.beneficiary_id
            return (
                f"the read models disagree with the event log: beneficiary {who}'s line {what}; "
                "nothing issued — rebuild the read models (ledger projections rebuild)"
            )
    missing = next(iter(by_id))
    return (
        f"the read models disagree with the event log: beneficiary {missing} is due a line they lack; "
        "nothing issued — rebuild the read models (ledger projections rebuild)"
    )


def current_roster(
    engine: ProjectionEngine, month: object, scope: RosterScope
) -> tuple[Roster, dict[str, Any] | None]:
    """The issued roster of a month and scope if there is one (frozen), else the roster built now."""
    target = Month.parse(month, "month")
    issued = engine.ledger.issued_roster(target, scope.commune_code, scope.channel)
    if issued is None:
        return build_roster(engine, target, scope), None
    data = json.loads(engine.ledger.documents.get(issued.content_hash))
    info = {
        "roster_id": str(issued.id),
        "content_hash": issued.content_hash,
        "issued_at": issued.created_on.isoformat(),
        "checkpoint": covering(engine.ledger, issued.id, issued.version),  # printed at the roster's foot
    }
    return roster_from_dict(data), info
