"""Monthly payout rosters — danh sách chi trả hằng tháng.

The roster for month M and a scope (province, one commune, one payment channel) lists, per beneficiary,
every item due: the regular amount for M, arrears for past months (truy lĩnh: each past month at that
month's rates), uncollected amounts carried over (chuyển kỳ), one-offs, and the overpayment still to be
recovered deducted (khấu trừ thu hồi), with a net amount per line and totals per commune and channel.

Two ways to build it, which must agree line for line:

* :func:`build_roster` — from the read models (``rm_dues`` and the register) by SQL, at the tracked
  position of the projections: :func:`roster_rows` reads the lines and items as tuples (the type of each
  item the domain's :func:`~domain.parts.item_kind` of the stored columns), :meth:`RosterRows.roster`
  makes them objects (the workbook, the pages), :meth:`RosterRows.json_parts` encodes them straight to
  the roster's canonical JSON, piece by piece (the HTTP answer streams it: :func:`roster_json`). The
  projection writes the dues lines ``DUES_AHEAD`` months past a person's latest event
  (``rm_beneficiaries.dues_until``, or ``COMPLETE`` when nothing more can fall due), so a roster of the
  current month reads everyone from the tables;
* :func:`lines_from_aggregate` — from one beneficiary's aggregate, used for the rare beneficiaries whose
  dues lines do not reach month M (no event for ``DUES_AHEAD`` months and something still running), and
  by :func:`roster_as_of`, which replays the log up to a past moment to show what the ledger knew then.

The same input gives the same roster byte for byte (:meth:`Roster.canonical_json`), whose SHA-256 is
the content hash recorded when a roster is issued.

Two views of a month (:data:`VIEWS`):

* ``outstanding`` — "danh sách còn phải chi": what is still to pay, as read now (:func:`build_roster`,
  :func:`current_roster`: the frozen roster once issued). It is what :func:`issue_roster` freezes, and its
  bytes (:meth:`Roster.canonical_json`) are those issued rosters were always hashed in.
* ``month`` — "danh sách chi trả tháng M — tình trạng đến ngày D" (:func:`month_roster`): every line due
  on M's roster, each item and line with its status read at D (``as_of``):

  - an item is ``paid`` (a payment recorded for it), ``issued`` (on an issued, frozen roster of M and not
    paid) or ``outstanding`` (still to pay, on no issued roster of M);
  - **due on M's roster** means: every item that falls in M (its regular amount, a one-off from its
    month), and every item of an earlier month that was still owed when M began — which the ledger tells
    from the payments' dates, as it records no roster month on a payment: an earlier item is on M's
    view if it is still owed now (exactly the outstanding view's items) or a payment for it is dated on
    or after the first day of M (the part so paid is shown as ``paid``). An item paid in part shows two
    items, the part paid and the part still owed, so the outstanding items of the month view are the
    outstanding view's items, amount for amount. An earlier item paid in full before M began is on an
    earlier month's view, not on M's. Not shown: amounts withheld by a deduction (recovered, neither
    paid out nor owed); a paid arrears item is typed ``arrears`` even if it had been carried over;
    a grant recorded after M for months up to M counts as due on M's roster (as the outstanding view
    has always shown it);
  - the lines of an issued roster of M covering the scope (the scope's own, or for a wider view each
    commune's, each channel's, the province's: :meth:`BenefitsLedger.issued_roster`, the most specific
    first) are shown **as frozen** — same lines, items and amounts as the issued document — each item
    ``issued``, or ``paid`` once a payment is recorded for it and nothing is owed on it any more; so a
    province view and a commune's issued roster never disagree. What is due beyond them (a grant after
    the issue, a paid item that was not on it, more owed on an item than the frozen amount) is on a
    separate line of the same person, with no ``issued_roster_id``;
  - a line's status from its items: ``paid`` when all are paid; ``partly_paid`` when some are paid and
    some not (the rest issued or outstanding: the items say which); else ``outstanding`` when some item
    is outstanding; else ``issued`` (all on an issued roster, none paid yet). Totals gain ``by_status`` (lines
    and amount per line status) and ``by_item_status`` (amount per item status); both add up to the
    total.
"""

from __future__ import annotations

import gc
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson

from domain import rosters as signed
from domain.beneficiary import ONE_OFF, Beneficiary
from domain.catalogue import RateBook, RateEntry, reference_rate_book
from domain.errors import Conflict
from domain.parts import ITEM_KINDS, RECOVERY, item_kind
from domain.rates import NccTables, RateSchedule
from domain.rosters import roster_id
from domain.users import User
from domain.values import VIETNAM_TIME, Month, parse_channel, parse_commune_code
from ledger.bulk import BulkLoader
from ledger.checkpoints import covering

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from domain.rosters import IssuedRoster
    from ledger.application import BenefitsLedger
    from ledger.authorization import Actor
    from projections.engine import ProjectionEngine

ITEM_ORDER = {kind: order for order, kind in enumerate(ITEM_KINDS)}
CHANNELS = ("cash", "bank")
# statuses of an item and of a line on the month view
PAID, PARTLY_PAID, ISSUED, OUTSTANDING = "paid", "partly_paid", "issued", "outstanding"
ITEM_STATUSES = (PAID, ISSUED, OUTSTANDING)
LINE_STATUSES = (PAID, PARTLY_PAID, ISSUED, OUTSTANDING)
STATUS_ORDER = {status: order for order, status in enumerate(LINE_STATUSES)}
MONTH_VIEW, OUTSTANDING_VIEW = "month", "outstanding"
VIEWS = (MONTH_VIEW, OUTSTANDING_VIEW)
STATUS_LABELS = {PAID: "Đã chi", PARTLY_PAID: "Đã chi một phần", ISSUED: "Đã phát hành, chưa chi",
                 OUTSTANDING: "Còn phải chi"}  # fmt: skip


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
    status: str = OUTSTANDING  # on the month view: paid, issued or outstanding

    def as_dict(self, *, status: bool = False) -> dict[str, Any]:
        """As the contract names it (with its status on the month view)."""
        out: dict[str, Any] = {
            "entitlement_id": self.entitlement_id,
            "scheme": self.scheme,
            "type": self.type,
            "period": self.period,
            "amount": self.amount,
        }
        if status:
            out["status"] = self.status
        return out

    @property
    def key(self) -> tuple[str, str | None]:
        """What the item is due for: its entitlement and period (the recovery: ``("", None)``)."""
        return self.entitlement_id, self.period


@dataclass
class RosterLine:
    """One beneficiary's line: every item due, and the net amount to hand over."""

    beneficiary_id: str
    citizen_id: str | None
    full_name: str
    commune_code: str
    channel: str
    items: list[RosterItem] = field(default_factory=list)
    issued_roster_id: str | None = None  # on the month view: the issued roster the line is frozen on

    @property
    def net_amount(self) -> int:
        """Sum of the items (recoveries are negative)."""
        return sum(i.amount for i in self.items)

    @property
    def status(self) -> str:
        """The line's status on the month view, from its items (see the module's docstring)."""
        statuses = {i.status for i in self.items}
        if statuses <= {PAID}:
            return PAID
        if PAID in statuses:
            return PARTLY_PAID
        return OUTSTANDING if OUTSTANDING in statuses else ISSUED

    def sort_items(self) -> None:
        """Regular first, then arrears, carry-overs, one-offs and recoveries, by period."""
        self.items.sort(
            key=lambda i: (
                ITEM_ORDER[i.type],
                i.period or "",
                i.scheme,
                i.entitlement_id,
                STATUS_ORDER[i.status],
            )
        )

    def as_dict(self, *, status: bool = False) -> dict[str, Any]:
        """As the contract names it (with the statuses on the month view)."""
        out: dict[str, Any] = {
            "beneficiary_id": self.beneficiary_id,
            "citizen_id": self.citizen_id,
            "full_name": self.full_name,
            "commune_code": self.commune_code,
            "channel": self.channel,
            "items": [i.as_dict(status=status) for i in self.items],
            "net_amount": self.net_amount,
        }
        if status:
            out["status"] = self.status
            out["issued_roster_id"] = self.issued_roster_id
        return out


@dataclass
class Roster:
    """A monthly payout roster for a scope."""

    month: Month
    scope: RosterScope
    lines: list[RosterLine]
    as_of: str | None = None
    # items no rate in force could compute, left out of the lines: [{beneficiary_id, entitlement_id, reason}]
    problems: list[dict[str, str]] = field(default_factory=list)
    view: str = OUTSTANDING_VIEW  # MONTH_VIEW: every line due in the month, with statuses
    # when the outstanding view was read, or a frozen one issued (kept out of its bytes: as_of is in them)
    read_at: str | None = None
    # the frozen document's status, prepared | issued (kept out of its bytes; its title says it)
    status: str | None = None

    @property
    def moment(self) -> str | None:
        """The moment the roster shows the ledger at (its statuses, or what was still to pay)."""
        return self.as_of or self.read_at

    def totals(self) -> dict[str, Any]:
        """Totals: lines, amount, per channel and per commune (and, on the month view, per status)."""
        by_channel = dict.fromkeys(CHANNELS, 0)
        by_commune: dict[str, int] = {}
        for line in self.lines:
            by_channel[line.channel] = by_channel.get(line.channel, 0) + line.net_amount
            by_commune[line.commune_code] = by_commune.get(line.commune_code, 0) + line.net_amount
        totals: dict[str, Any] = {
            "lines": len(self.lines),
            "amount": sum(line.net_amount for line in self.lines),
            "by_channel": by_channel,
            "by_commune": dict(sorted(by_commune.items())),
        }
        if self.view == MONTH_VIEW:
            by_status = {status: {"lines": 0, "amount": 0} for status in LINE_STATUSES}
            by_item_status = dict.fromkeys(ITEM_STATUSES, 0)
            for line in self.lines:
                by_status[line.status]["lines"] += 1
                by_status[line.status]["amount"] += line.net_amount
                for item in line.items:
                    by_item_status[item.status] += item.amount
            totals["by_status"] = by_status
            totals["by_item_status"] = by_item_status
        return totals

    def heading(self) -> str:
        """What the roster is, as its page, print and table headings say: "Danh sách chi trả tháng
        mm/yyyy — tình trạng đến ngày dd/mm/yyyy" (the month view) or "Danh sách còn phải chi tháng
        mm/yyyy (đến ngày dd/mm/yyyy)" (the outstanding view); the day in Vietnam time."""
        month = f"{self.month.month:02d}/{self.month.year}"
        day = ""
        if self.moment:
            moment = datetime.fromisoformat(self.moment)
            day = (moment.astimezone(VIETNAM_TIME) if moment.tzinfo else moment).strftime("%d/%m/%Y")
        if self.view == MONTH_VIEW:
            return f"Danh sách chi trả tháng {month} — tình trạng đến ngày {day}".removesuffix(
                " — tình trạng đến ngày "
            )
        return f"Danh sách còn phải chi tháng {month} (đến ngày {day})".removesuffix(" (đến ngày )")

    def as_dict(self) -> dict[str, Any]:
        """As ``GET /v1/rosters/{month}`` returns it; on the outstanding view exactly the form issued
        rosters are hashed in (:meth:`canonical_json`), the month view adds ``view`` and the statuses."""
        month_view = self.view == MONTH_VIEW
        out: dict[str, Any] = {
            "month": str(self.month),
            "commune_code": self.scope.commune_code,
            "channel": self.scope.channel,
            "as_of": self.as_of,
            "lines": [line.as_dict(status=month_view) for line in self.lines],
            "totals": self.totals(),
            "problems": list(self.problems),
        }
        if month_view:
            out["view"] = MONTH_VIEW
        return out

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
    out.sort(
        key=lambda line: (
            line.commune_code,
            line.full_name,
            line.citizen_id or "",
            line.beneficiary_id,
            line.issued_roster_id is None,  # a person's frozen line first, what is due beyond it after
        )
    )
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
    agg: Beneficiary,
    month: Month,
    rates: RateBook,
    problems: list[dict[str, str]] | None = None,
    *,
    month_view: bool = False,
) -> RosterLine:
    """One beneficiary's roster line for ``month``, computed from the aggregate; items no rate in force
    can compute are left out and named in ``problems``. With ``month_view`` the parts already paid of
    the items due on the month's roster are added, marked paid (see the module's docstring)."""
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
    if month_view:  # the parts paid of the items due on the month's roster (see the module's docstring)
        start, key = month.first_day(), str(month)
        before: dict[tuple[str, str], int] = {}  # paid before the month began
        since: dict[tuple[str, str], int] = {}  # paid on or after its first day
        for p in agg.payments.values():
            if not p.reversed:
                sums = since if p.paid_on >= start else before
                sums[p.entitlement_id, p.period] = sums.get((p.entitlement_id, p.period), 0) + p.amount
        for item in items:
            kind = item.kind_on(key)
            at = (item.entitlement_id, item.period)
            amount = since.get(at, 0) + (before.get(at, 0) if item.month == key else 0)
            if kind is not None and amount > 0:
                period = None if item.period == ONE_OFF else item.period
                line.items.append(RosterItem(item.entitlement_id, item.scheme, kind, period, amount, PAID))
    if problems is not None:
        bid = str(agg.id)
        problems.extend(
            {"beneficiary_id": bid, "entitlement_id": e, "reason": why} for e, why in failed.items()
        )
    line.sort_items()
    return line


def build_roster(engine: ProjectionEngine, month: object, scope: RosterScope | None = None) -> Roster:
    """The roster for ``month`` from the read models, brought up to date first (read-your-writes): the
    outstanding view, what is still to pay (what :func:`issue_roster` freezes)."""
    return _from_read_models(engine, Month.parse(month, "month"), scope or RosterScope(), month_view=False)


def month_roster(engine: ProjectionEngine, month: object, scope: RosterScope | None = None) -> Roster:
    """The month view of ``month``'s roster from the read models: every line due on it, with statuses
    read now, the lines of its issued rosters as frozen (see the module's docstring)."""
    found = _month_view(engine, Month.parse(month, "month"), scope or RosterScope())
    return found.roster() if isinstance(found, RosterRows) else found


def _month_view(engine: ProjectionEngine, target: Month, scope: RosterScope) -> RosterRows | Roster:
    """The month view as :class:`RosterRows` while no roster of the month covering its scope was ever
    prepared (nothing frozen to show), else as a :class:`Roster` with the issued lines as frozen."""
    rows = _rows_from_read_models(engine, target, scope, month_view=True)
    rows.as_of = engine.ledger.clock().isoformat()
    scopes = _covering_scopes(scope, {line[3] for line in rows.lines})
    ids = [str(roster_id(target, commune, channel)) for commune, channel in scopes]
    with engine.store.read() as tx:  # which of those rosters have a stream at all (the audit trail knows)
        marks = ", ".join("?" * len(ids))
        sql = f"SELECT DISTINCT stream_id FROM rm_audit WHERE stream_id IN ({marks})"  # noqa: S608 - marks only
        known = {row[0] for row in tx.fetchall(sql, tuple(ids))}
    if not known:
        return rows
    roster = rows.roster()
    return _with_issued(
        engine.ledger, roster, None, [s for s, i in zip(scopes, ids, strict=True) if i in known]
    )


_PAID_SQL = (
    "SELECT d.beneficiary_id, d.entitlement_id, d.scheme, d.period, SUM(p.amount), d.overdue_kind,"
    " d.item_month FROM rm_dues d JOIN rm_payments p ON p.entitlement_id = d.entitlement_id"
    " AND p.period = d.period WHERE d.period IN (?, 'once') AND d.item_month = ? AND p.reversed = 0"
    " GROUP BY d.beneficiary_id, d.entitlement_id, d.scheme, d.period, d.overdue_kind, d.item_month"
    " UNION ALL "
    "SELECT d.beneficiary_id, d.entitlement_id, d.scheme, d.period, SUM(p.amount), d.overdue_kind,"
    " d.item_month FROM rm_payments p JOIN rm_dues d ON d.entitlement_id = p.entitlement_id"
    " AND d.period = p.period WHERE p.paid_on >= ? AND p.reversed = 0 AND d.item_month < ?"
    " GROUP BY d.beneficiary_id, d.entitlement_id, d.scheme, d.period, d.overdue_kind, d.item_month"
)
"""The parts paid of the items due on a month's roster (parameters: the month twice, its first day, the
month): every payment for an item falling in the month, and those dated from its first day for an
earlier item (two parts, each served by an index)."""


_PEOPLE_SQL = (
    "SELECT b.id, b.citizen_id, b.full_name, COALESCE(p.commune_code, b.commune_code),"
    " COALESCE(p.channel, b.channel), b.overpaid - b.recovered, b.dues_until, b.version"
    " FROM rm_beneficiaries b LEFT JOIN (SELECT beneficiary_id, MAX(effective_from) AS effective_from"
    " FROM rm_places WHERE effective_from <= ? GROUP BY beneficiary_id) f ON f.beneficiary_id = b.id"
    " LEFT JOIN rm_places p ON p.beneficiary_id = f.beneficiary_id AND p.effective_from = f.effective_from"
)
"""Everyone in the register with the commune and channel in force in a month (parameter: the month), what
is still to recover (negative: to pay back) and how far their dues lines reach."""
_OWED_SQL = (
    "SELECT beneficiary_id, entitlement_id, scheme, period, due - paid - withheld, overdue_kind, item_month"
    " FROM rm_dues WHERE due > paid + withheld AND item_month <= ?"
)
"""Every item still owed that falls in the roster's month or before (parameter: the month)."""

Item = tuple[str, str, str, str | None, int, str]
"""A roster item as a tuple: entitlement, scheme, type, period, amount, status."""
Line = tuple[str, str | None, str, str, str, list[Item], int]
"""A roster line as a tuple: beneficiary, citizen ID, full name, commune, channel, its items (sorted), the
net amount."""


@contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while a roster's hundred thousand lines are made (tuples, lists and
    dicts that form no cycle: the collector would walk them again and again for nothing — a quarter of
    the time); it runs again after, and collects what it was left."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _item_key(item: Item) -> tuple[int, str, str, str, int]:
    return ITEM_ORDER[item[2]], item[3] or "", item[1], item[0], STATUS_ORDER[item[5]]


def _line_key(line: Line) -> tuple[str, str, str, str]:
    return line[3], line[2], line[1] or "", line[0]


def _line_status(items: list[Item]) -> str:
    """:attr:`RosterLine.status` of a line's item tuples."""
    statuses = {item[5] for item in items}
    if statuses <= {PAID}:
        return PAID
    if PAID in statuses:
        return PARTLY_PAID
    return OUTSTANDING if OUTSTANDING in statuses else ISSUED


@dataclass
class RosterRows:
    """A roster's lines as plain tuples, read from the read models by SQL (:func:`roster_rows`): what
    :class:`Roster` holds as objects, without them — encoded to the roster's canonical JSON directly
    (:meth:`json_parts`), or turned into a :class:`Roster` (:meth:`roster`) for the workbook, the pages
    and the month view's issued lines."""

    month: Month
    scope: RosterScope
    lines: list[Line]
    problems: list[dict[str, str]]
    view: str = OUTSTANDING_VIEW
    as_of: str | None = None

    def roster(self) -> Roster:
        """The same roster as objects."""
        with _bulk():
            lines = [
                RosterLine(bid, citizen, name, commune, channel, [RosterItem(*item) for item in items])
                for bid, citizen, name, commune, channel, items, _ in self.lines
            ]
        roster = Roster(self.month, self.scope, lines, problems=self.problems, view=self.view)
        roster.as_of = self.as_of
        return roster

    def beneficiary_ids(self) -> list[str]:
        """Whose lines the roster holds, in its order."""
        return [line[0] for line in self.lines]

    def totals(self) -> dict[str, Any]:
        """:meth:`Roster.totals`, from the tuples."""
        by_channel = dict.fromkeys(CHANNELS, 0)
        by_commune: dict[str, int] = {}
        amount = 0
        for _, _, _, commune, channel, _, net in self.lines:
            amount += net
            by_channel[channel] = by_channel.get(channel, 0) + net
            by_commune[commune] = by_commune.get(commune, 0) + net
        totals: dict[str, Any] = {"lines": len(self.lines), "amount": amount, "by_channel": by_channel,
                                  "by_commune": dict(sorted(by_commune.items()))}  # fmt: skip
        if self.view == MONTH_VIEW:
            by_status = {status: {"lines": 0, "amount": 0} for status in LINE_STATUSES}
            by_item_status = dict.fromkeys(ITEM_STATUSES, 0)
            for line in self.lines:
                counted = by_status[_line_status(line[5])]
                counted["lines"] += 1
                counted["amount"] += line[6]
                for item in line[5]:
                    by_item_status[item[5]] += item[4]
            totals["by_status"] = by_status
            totals["by_item_status"] = by_item_status
        return totals

    def json_parts(self, chunk: int = 2000) -> Iterator[bytes]:
        """:meth:`Roster.canonical_json` of the same roster, byte for byte, in pieces of ``chunk`` lines
        each, without its closing ``}`` (:func:`canonical_parts`): the dicts built with their keys in
        sorted order, so orjson writes them as they come."""
        month_view = self.view == MONTH_VIEW
        yield _document_head(self.as_of, self.scope)
        for start in range(0, len(self.lines), chunk):
            with _bulk():
                body = self._encoded(self.lines[start : start + chunk], month_view=month_view)
            yield body if start == 0 else b"," + body
        yield _document_tail(self.month, self.problems, self.totals(), MONTH_VIEW if month_view else None)

    @staticmethod
    def _encoded(part: list[Line], *, month_view: bool) -> bytes:
        """Lines as the comma-separated JSON objects of the document's ``lines``."""
        if month_view:
            dicts = [
                {"beneficiary_id": bid, "channel": channel, "citizen_id": citizen,
                 "commune_code": commune, "full_name": name, "issued_roster_id": None,
                 "items": [{"amount": a, "entitlement_id": e, "period": p, "scheme": s, "status": st,
                            "type": t} for e, s, t, p, a, st in items],
                 "net_amount": net, "status": _line_status(items)}
                for bid, citizen, name, commune, channel, items, net in part
            ]  # fmt: skip
        else:
            dicts = [
                {"beneficiary_id": bid, "channel": channel, "citizen_id": citizen,
                 "commune_code": commune, "full_name": name,
                 "items": [{"amount": a, "entitlement_id": e, "period": p, "scheme": s, "type": t}
                           for e, s, t, p, a, _ in items],
                 "net_amount": net}
                for bid, citizen, name, commune, channel, items, net in part
            ]  # fmt: skip
        return orjson.dumps(dicts)[1:-1]


def _document_head(as_of: str | None, scope: RosterScope) -> bytes:
    dump = orjson.dumps
    return b'{"as_of":%b,"channel":%b,"commune_code":%b,"lines":[' % (
        dump(as_of), dump(scope.channel), dump(scope.commune_code))  # fmt: skip


def _document_tail(
    month: Month, problems: list[dict[str, str]], totals: dict[str, Any], view: str | None
) -> bytes:
    sort = orjson.OPT_SORT_KEYS
    tail = b'],"month":%b,"problems":%b,"totals":%b' % (
        orjson.dumps(str(month)),
        orjson.dumps(problems, option=sort),
        orjson.dumps(totals, option=sort),
    )
    return tail + (b',"view":%b' % orjson.dumps(view) if view else b"")


def canonical_parts(roster: Roster, chunk: int = 2000) -> Iterator[bytes]:
    """:meth:`Roster.canonical_json` in pieces (``chunk`` lines each) without its closing ``}``: joined
    and closed, the same bytes; a body that adds fields after the document's own (the HTTP answer) goes
    on from where the pieces stop."""
    month_view = roster.view == MONTH_VIEW
    yield _document_head(roster.as_of, roster.scope)
    for start in range(0, len(roster.lines), chunk):
        dicts = [line.as_dict(status=month_view) for line in roster.lines[start : start + chunk]]
        body = orjson.dumps(dicts, option=orjson.OPT_SORT_KEYS)[1:-1]
        yield body if start == 0 else b"," + body
    yield _document_tail(roster.month, roster.problems, roster.totals(), MONTH_VIEW if month_view else None)


def roster_rows(engine: ProjectionEngine, month: object, scope: RosterScope | None = None) -> RosterRows:
    """The outstanding view of ``month``'s roster as tuples, from the read models by SQL (brought up to
    date first): the lines and items :func:`build_roster` holds as objects."""
    return _rows_from_read_models(
        engine, Month.parse(month, "month"), scope or RosterScope(), month_view=False
    )


def _rows_from_read_models(
    engine: ProjectionEngine, target: Month, scope: RosterScope, *, month_view: bool
) -> RosterRows:
    """The lines from the read models: one query for the people (their place in force in the month, what
    is left to recover, how far their dues lines reach), one for the items still owed up to the month (the
    type the domain's :func:`~domain.parts.item_kind` from the stored columns), and on the month view
    one for the parts paid. Whoever's dues lines stop before the month while something may still fall
    due (``rm_beneficiaries.dues_until``: nobody who had an event in the ``DUES_AHEAD`` months before) is
    computed from their aggregate (:func:`lines_from_aggregate`)."""
    engine.catch_up()
    with _bulk():
        return _read_rows(engine, target, scope, month_view=month_view)


def _read_rows(
    engine: ProjectionEngine, target: Month, scope: RosterScope, *, month_view: bool
) -> RosterRows:
    key = str(target)
    items: dict[str, list[Item]] = {}
    owed: dict[str, int] = {}
    places: dict[str, tuple[str | None, str, str, str]] = {}
    behind: list[tuple[str, int]] = []
    paid_rows: list[tuple[Any, ...]] = []
    with engine.store.read() as tx:
        for bid, citizen_id, name, commune, channel, left, until, version in tx.fetchall(_PEOPLE_SQL, (key,)):
            if not scope.admits(commune, channel):
                continue
            places[bid] = (citizen_id, name, commune, channel)
            if until < key:
                behind.append((bid, int(version)))
                continue
            items[bid] = []
            owed[bid] = int(left)
        rows = tx.fetchall(_OWED_SQL, (key,))
        if month_view:
            paid_rows = tx.fetchall(_PAID_SQL, (key, key, target.first_day().isoformat(), key))
        problems_sql = "SELECT beneficiary_id, entitlement_id, reason FROM rm_problems ORDER BY 1, 2"
        problems = [
            {"beneficiary_id": r[0], "entitlement_id": r[1], "reason": r[2]}
            for r in tx.fetchall(problems_sql)
            if r[0] in items
        ]
        rates = engine.rates_in(tx) if behind else None
    _add_tuples(items, rows, key, OUTSTANDING)
    for bid, found in items.items():
        _add_recovery_tuple(found, owed[bid])
    if rates is not None:
        for bid, agg in _states_at(engine, behind).items():
            line = lines_from_aggregate(agg, target, rates, problems)
            items[bid] = [
                (i.entitlement_id, i.scheme, i.type, i.period, i.amount, i.status) for i in line.items
            ]
        for bid, _ in behind:
            items.setdefault(bid, [])
    _add_tuples(items, paid_rows, key, PAID)
    return RosterRows(target, scope, _lines(items, places), problems, _view(month_view))


def _add_recovery_tuple(items: list[Item], outstanding: int) -> None:
    """:func:`_add_recovery` on a line's item tuples."""
    gross = sum(item[4] for item in items)
    if outstanding > 0 and gross > 0:
        items.append(("", "RECOVERY", RECOVERY, None, -min(outstanding, gross), OUTSTANDING))
    elif outstanding < 0:
        items.append(("", "RECOVERY", RECOVERY, None, -outstanding, OUTSTANDING))


def _lines(items: dict[str, list[Item]], places: dict[str, tuple[str | None, str, str, str]]) -> list[Line]:
    """The lines of whoever has items, each with its items sorted, in the roster's order."""
    lines: list[Line] = []
    for bid, found in items.items():
        if found:
            if len(found) > 1:
                found.sort(key=_item_key)
            citizen_id, name, commune, channel = places[bid]
            lines.append((bid, citizen_id, name, commune, channel, found, sum(item[4] for item in found)))
    lines.sort(key=_line_key)
    return lines


def _from_read_models(
    engine: ProjectionEngine, target: Month, scope: RosterScope, *, month_view: bool
) -> Roster:
    return _rows_from_read_models(engine, target, scope, month_view=month_view).roster()


def _add_tuples(items: dict[str, list[Item]], rows: Iterable[tuple[Any, ...]], key: str, status: str) -> None:
    """Add rows ``(beneficiary, entitlement, scheme, period, amount, overdue_kind, item_month)`` of the read
    models as items of the roster of month ``key``, with ``status`` (the type: the domain's item_kind)."""
    for bid, eid, scheme, period, amount, overdue_kind, item_month in rows:
        found = items.get(bid)
        kind = item_kind(overdue_kind, item_month, key)
        if found is None or kind is None or int(amount) <= 0:
            continue
        found.append((eid, scheme, kind, None if period == ONE_OFF else period, int(amount), status))


def _view(month_view: bool) -> str:
    return MONTH_VIEW if month_view else OUTSTANDING_VIEW


def _with_issued(
    ledger: BenefitsLedger,
    roster: Roster,
    as_of: datetime | None,
    scopes: list[tuple[str | None, str | None]] | None = None,
) -> Roster:
    """The month view with the lines of the issued rosters of its month that cover its scope shown as
    frozen (issued by ``as_of`` when given): each item issued, or paid once paid and nothing is owed on it
    any more; what is due beyond them stays on a separate line (see the module's docstring). ``scopes``:
    the covering scopes that may have one (default: all of :func:`_covering_scopes`); whether a roster is
    issued is always :meth:`BenefitsLedger.issued_roster`'s answer."""
    scope = roster.scope
    current = {line.beneficiary_id: line for line in roster.lines}
    frozen: list[RosterLine] = []
    claimed: dict[str, dict[tuple[str, str | None], int]] = {}  # per person: the frozen amount per item
    covering = (
        _covering_scopes(roster.scope, {x.commune_code for x in roster.lines}) if scopes is None else scopes
    )
    for commune, channel in covering:
        issued = ledger.issued_roster(roster.month, commune, channel)
        if issued is None or (as_of is not None and issued.created_on > as_of):
            continue
        document = roster_from_dict(json.loads(ledger.documents.get(issued.content_hash)))
        for line in document.lines:
            mine = claimed.setdefault(line.beneficiary_id, {})
            if not scope.admits(line.commune_code, line.channel) or any(i.key in mine for i in line.items):
                continue  # out of the view, or already on a more specific issued roster
            now = current.get(line.beneficiary_id)
            statuses = {(i.key, i.status) for i in now.items} if now else set()
            for item in line.items:
                mine[item.key] = mine.get(item.key, 0) + item.amount
                settled = (item.key, PAID) in statuses and (item.key, OUTSTANDING) not in statuses
                item.status = PAID if settled else ISSUED
            line.issued_roster_id = str(issued.id)
            frozen.append(line)
    for bid, amounts in claimed.items():
        if bid in current and amounts:
            current[bid].items = _beyond(current[bid].items, amounts)
    roster.lines = _sorted([*current.values(), *frozen])
    return roster


def _covering_scopes(scope: RosterScope, communes: Iterable[str]) -> list[tuple[str | None, str | None]]:
    """The scopes (commune, channel) whose issued rosters of the month hold lines of a view of ``scope``
    whose lines are of ``communes``, the most specific first: its communes' (wide, per channel), then
    the province's."""
    channels = [None, scope.channel] if scope.channel else [None, *CHANNELS]
    found: list[tuple[str | None, str | None]] = [
        (c, channel)
        for c in ([scope.commune_code] if scope.commune_code else sorted(communes))
        for channel in channels
    ]
    if scope.commune_code is None:
        found += [(None, channel) for channel in channels]
    return found


def _beyond(items: list[RosterItem], frozen: dict[tuple[str, str | None], int]) -> list[RosterItem]:
    """Of a person's items now, what is due beyond those ``frozen`` on an issued roster (amount per item):
    an item not on it, or the part still owed above the frozen amount."""
    out = []
    for item in items:
        if item.key not in frozen:
            out.append(item)
        elif item.status == OUTSTANDING and item.type != RECOVERY and item.amount > frozen[item.key]:
            item.amount -= frozen[item.key]
            out.append(item)
    return out


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
    ledger: BenefitsLedger,
    month: object,
    as_of: datetime,
    scope: RosterScope | None = None,
    *,
    month_view: bool = False,
) -> Roster:
    """The roster for ``month`` as the ledger knew it at ``as_of``: the log replayed up to that moment
    (the month view with ``month_view``: statuses at ``as_of``, rosters issued by then as frozen)."""
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
        line = lines_from_aggregate(agg, target, rates, found, month_view=month_view)
        if scope.admits(line.commune_code, line.channel):
            lines.append(line)
            problems.extend(found)
    roster = Roster(target, scope, _sorted(lines), problems=problems, view=_view(month_view))
    roster.as_of = as_of.isoformat()
    return _with_issued(ledger, roster, as_of) if month_view else roster


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


def issue_roster(engine: ProjectionEngine, actor: Actor, month: object, scope: RosterScope) -> dict[str, Any]:
    """Prepare the roster of a month and scope for approval (the contract's "issue"): its bytes are kept
    and their hash recorded, status ``prepared``; a second person approves it (:func:`approve_roster`).

    The roster is built from the read models *and* re-derived from the event log (the log replayed up
    to now, as :func:`roster_as_of` does); they must agree line for line, else nothing is prepared and
    the first line that differs is named — so read-model rows edited behind the ledger's back can
    never be frozen into a roster (rebuilding the read models, ``ledger projections rebuild``, mends
    them). The replay reads the whole log: a prepare costs about one ``ledger verify``."""
    roster = build_roster(engine, month, scope)
    from_log = roster_as_of(engine.ledger, roster.month, engine.ledger.clock(), scope)
    if roster.lines != from_log.lines:
        raise Conflict(_first_disagreement(roster.lines, from_log.lines))
    content = roster.canonical_json()
    totals = roster.totals()
    prepared = engine.ledger.prepare_roster(
        actor,
        month=roster.month,
        commune_code=scope.commune_code,
        channel=scope.channel,
        content=content,
        lines=totals["lines"],
        amount=totals["amount"],
    )
    return roster_info(engine.ledger, prepared)


def approve_roster(
    engine: ProjectionEngine, actor: Actor, roster: object, reason: str = ""
) -> dict[str, Any]:
    """Approve a prepared roster: it is issued (exactly the bytes prepared), with its checkpoint."""
    return roster_info(engine.ledger, engine.ledger.approve_roster(actor, roster, reason=reason))


def return_roster(engine: ProjectionEngine, actor: Actor, roster: object, reason: object) -> dict[str, Any]:
    """Return a prepared roster with a reason: it is prepared again later."""
    return roster_info(engine.ledger, engine.ledger.return_roster(actor, roster, reason=reason))


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def roster_info(ledger: BenefitsLedger, stream: IssuedRoster) -> dict[str, Any]:
    """What the ledger records of a roster: its status (``prepared`` | ``issued`` | ``returned``), scope,
    hash and totals, who prepared, approved or returned it and when, and once issued its checkpoint."""
    issued = stream.status == signed.ISSUED
    return {
        "roster_id": str(stream.id),
        "status": stream.status,
        "status_label": signed.STATUS_LABELS[stream.status],
        "content_hash": stream.content_hash,
        "month": stream.month,
        "commune_code": stream.commune_code,
        "channel": stream.channel,
        "lines": stream.lines,
        "amount": stream.amount,
        "prepared_by": stream.prepared_by,
        "prepared_at": _moment(stream.prepared_at),
        "approved_by": stream.approved_by or None,
        "approved_at": _moment(stream.approved_at) if issued else None,
        "returned_by": stream.returned_by or None,
        "returned_at": _moment(stream.returned_at),
        "return_reason": stream.return_reason or None,
        "issued_at": stream.issued_at.isoformat() if issued else None,
        "checkpoint": covering(ledger, stream.id, stream.version) if issued else None,  # printed at its foot
    }


def rosters_awaiting_approval(ledger: BenefitsLedger, actor: Actor) -> list[dict[str, Any]]:
    """The prepared rosters ``actor`` may approve, oldest first (the approver's list)."""
    found: list[dict[str, Any]] = []
    for sid in ledger.roster_ids():
        stream = ledger.roster_by_id(sid)
        if stream is None or stream.status != signed.PREPARED:
            continue
        if isinstance(actor, User) and not actor.can_approve_commune(stream.commune_code):
            continue
        found.append(roster_info(ledger, stream))
    found.sort(key=lambda r: (r["prepared_at"] or "", r["month"]))
    return found


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
    """The outstanding view of a month and scope with what the ledger records of its roster
    (:func:`roster_info`, or ``None`` where none was prepared): an issued roster frozen, a prepared one
    as prepared (what the approver approves), else (none, or returned) the roster built now
    (``read_at``: when it was read, or when the frozen one was prepared)."""
    target = Month.parse(month, "month")
    stream = engine.ledger.roster(target, scope.commune_code, scope.channel)
    if stream is None or stream.status == signed.RETURNED:
        roster = build_roster(engine, target, scope)
        roster.read_at = engine.ledger.clock().isoformat()
        return roster, None if stream is None else roster_info(engine.ledger, stream)
    data = json.loads(engine.ledger.documents.get(stream.content_hash))
    roster = roster_from_dict(data)
    roster.read_at = (stream.prepared_at or stream.created_on).isoformat()
    roster.status = stream.status
    return roster, roster_info(engine.ledger, stream)


@dataclass
class RosterJson:
    """A roster's canonical JSON (:meth:`Roster.canonical_json`) to send as it is produced: ``parts``,
    the bytes without the closing ``}`` (:func:`canonical_parts`), whose lines it holds (for the access
    log) and its view."""

    parts: Iterable[bytes]
    beneficiary_ids: list[str]
    view: str


def roster_json(
    engine: ProjectionEngine,
    month: object,
    scope: RosterScope,
    *,
    outstanding_only: bool = False,
    as_of: datetime | None = None,
) -> tuple[RosterJson, dict[str, Any] | None]:
    """:func:`roster_view`'s roster as :class:`RosterJson`, the same bytes as its ``canonical_json``: the
    outstanding view encoded straight from the SQL rows (:meth:`RosterRows.json_parts`), or once
    prepared or issued its stored document as it was hashed; the month view and a past moment's roster
    from their objects, in pieces."""
    target = Month.parse(month, "month")
    if outstanding_only and as_of is None:
        stream = engine.ledger.roster(target, scope.commune_code, scope.channel)
        if stream is None or stream.status == signed.RETURNED:
            rows = _rows_from_read_models(engine, target, scope, month_view=False)
            info = None if stream is None else roster_info(engine.ledger, stream)
            return RosterJson(rows.json_parts(), rows.beneficiary_ids(), OUTSTANDING_VIEW), info
        content = engine.ledger.documents.get(stream.content_hash)
        ids = [line["beneficiary_id"] for line in orjson.loads(content)["lines"]]
        return RosterJson([content[:-1]], ids, OUTSTANDING_VIEW), roster_info(engine.ledger, stream)
    if as_of is None:  # the month view
        stream = engine.ledger.roster(target, scope.commune_code, scope.channel)
        info = None if stream is None else roster_info(engine.ledger, stream)
        found = _month_view(engine, target, scope)
        if isinstance(found, RosterRows):
            return RosterJson(found.json_parts(), found.beneficiary_ids(), MONTH_VIEW), info
        return _json_of(found), info
    roster, info = roster_view(engine, target, scope, outstanding_only=outstanding_only, as_of=as_of)
    return _json_of(roster), info


def _json_of(roster: Roster) -> RosterJson:
    return RosterJson(canonical_parts(roster), [line.beneficiary_id for line in roster.lines], roster.view)


def roster_view(
    engine: ProjectionEngine,
    month: object,
    scope: RosterScope,
    *,
    outstanding_only: bool = False,
    as_of: datetime | None = None,
) -> tuple[Roster, dict[str, Any] | None]:
    """The roster every way in shows (API, pages, CLI): the month view (default) or, with
    ``outstanding_only``, the outstanding view (frozen once prepared or issued: :func:`current_roster`);
    as the ledger knew it at ``as_of`` when given. Also what the ledger records of the scope's own
    roster, if any (:func:`roster_info`: its status, hash, who signed it; its checkpoint once issued;
    for ``as_of``: none, as before)."""
    target = Month.parse(month, "month")
    if as_of is not None:
        return roster_as_of(engine.ledger, target, as_of, scope, month_view=not outstanding_only), None
    if outstanding_only:
        return current_roster(engine, target, scope)
    stream = engine.ledger.roster(target, scope.commune_code, scope.channel)
    return month_roster(engine, target, scope), None if stream is None else roster_info(engine.ledger, stream)
