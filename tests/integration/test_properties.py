"""Property-based tests of the beneficiary stream — kiểm thử thuộc tính.

Random command sequences (grants of a few schemes, adjustments, suspensions, terminations, payments
with fresh and reused payment ids, non-collection, reversals, deaths, recoveries and refunds, cards,
retroactive rate decrees, the clock moving on) run against

* the pure aggregate (:class:`BeneficiaryMachine`, no database), and
* the ledger application on SQLite and PostgreSQL, with the pure aggregate driven alongside as a shadow
  (:func:`test_application_matches_the_pure_aggregate_and_the_store_replays_it`).

After every step: a refused command changed nothing; every outcome is the one an independent model
predicts; no entitlement-period was ever paid beyond what was due when it was paid; replaying the
events gives the same state; the balances add up; the hash chain holds. Through the application also:
the stored stream is, event for event and hash for hash, the shadow's; a freshly opened ledger on the
same store loads the same state; ``verify_streams`` finds nothing wrong.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.beneficiary import ONE_OFF, Beneficiary
from domain.catalogue import RateBook, RateEntry, get_scheme, reference_rate_book, scheme_coefficient
from domain.errors import Conflict, DomainError, InvalidInput, NotFound
from domain.events import RecordContext, event_content_hash
from domain.snapshots import restore, state_of
from domain.values import Month
from ledger.application import BenefitsLedger, open_ledger
from ledger.integrity import verify_streams

COMMUNE = "26041"
OTHER_COMMUNE = "25210"  # also in Đồng Nai (75)
PROVINCE = "75"
ACTOR = "can_bo_chinh_sach"
FIRST_MONTH = Month(2023, 7)
MONTHS = [str(FIRST_MONTH.plus(n)) for n in range(24)]  # 2023-07 .. 2025-06
LATE = Month(2026, 12)  # far enough for every entitlement-period the commands can touch
START_DAY = datetime(2023, 7, 3, 9, 0, tzinfo=UTC)
LAST_DAY = datetime(2025, 12, 31, 9, 0, tzinfo=UTC)

SCHEMES = {  # monthly schemes, then a one-off (funeral allowance: only after death)
    "social_assistance": ("BTXH_ELDERLY_80", "BTXH_DISABLED_SEVERE", "BTXH_FUNERAL"),
    "meritorious": ("NCC_MARTYR_RELATIVE", "NCC_WAR_INVALID", "NCC_CONVALESCENCE_HOME"),
}
# Persons: (date of birth, century/sex digit + 2-digit year for the citizen ID). The 1944 person turns
# 80 in 2024-03, inside the months the commands use, so the 80+ start rule is exercised.
PEOPLE = (("1930-05-10", "030"), ("1944-03-20", "044"), ("1950-01-01", "050"))
MAX_ENTITLEMENTS = 6  # a person holds a handful; more only slows the invariants down
BTXH_STANDARDS = (300_000, 360_000, 450_000, 500_000, 540_000, 600_000)
NCC_STANDARDS = (1_624_000, 2_055_000, 2_789_000)  # one edition of the NCC tables per standard


# ------------------------------------------------------------------------------------ state digest


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return [[_plain(k), _plain(v)] for k, v in value.items()]  # keeps insertion order
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (date, Month, Decimal)):
        return str(value)
    return value


def without_pending(agg: Beneficiary) -> dict[str, Any]:
    """The aggregate's attributes, but its pending events."""
    return {k: v for k, v in vars(agg).items() if not k.startswith("_pending")}  # events and their dues


def digest(agg: Beneficiary) -> str:
    """Everything the aggregate knows, canonically (entitlement order matters: it breaks ties)."""
    state = {
        "id": str(agg.id),
        "version": agg.version,
        "chain_head": agg.chain_head,
        "created_on": agg.created_on.isoformat(),
        "modified_on": agg.modified_on.isoformat(),
        "details": [
            agg.kind,
            agg.full_name,
            agg.citizen_id,
            agg.date_of_birth,
            agg.sex,
            agg.household_code,
            agg.poverty_status,
            agg.members,
        ],
        "communes": agg.communes,
        "channels": agg.channels,
        "entitlements": agg.entitlements,
        "payments": agg.payments,
        "paid": sorted([list(k), v] for k, v in agg.paid.items()),
        "not_collected": agg.not_collected,
        "recovered": agg.recovered,
        "recoveries": agg.recoveries,
        "cards": agg.cards,
        "date_of_death": agg.date_of_death,
        "death_recorded_on": agg.death_recorded_on,
    }
    return json.dumps(_plain(state), sort_keys=True, default=str)


def replay(events: list[Any]) -> Beneficiary:
    """Project events from scratch, the way the repository does."""
    agg = events[0].mutate(None)
    for later in events[1:]:
        agg = later.mutate(agg)
    return agg


def check_chain(events: list[Any]) -> None:
    """Versions 1..n, each event's content matches its hash, each links to the previous one."""
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    previous = ""
    for e in events:
        assert e.prev_hash == previous, f"v{e.originator_version} does not link to its predecessor"
        assert event_content_hash(e) == e.event_hash, f"v{e.originator_version}: content ≠ hash"
        previous = e.event_hash


# ------------------------------------------------------------------------------------ commands


@dataclass
class Cmd:
    """One command, with its random choices; references (``which``) are resolved against the model."""

    name: str
    args: dict[str, Any]

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.args.items())})"


def _cmd(name: str, **args: st.SearchStrategy[Any]) -> st.SearchStrategy[Cmd]:
    return st.fixed_dictionaries(args).map(lambda a: Cmd(name, a))


_month = st.sampled_from(MONTHS)
_which = st.integers(0, 7)
GRANT = _cmd(
    "grant",
    pick=st.integers(0, 9),  # 0–7: a scheme of the person's kind; 8–9: the other kind (refused)
    month=_month,
    signed=st.integers(-2, 3),  # decision signed this many months after effective_from
    end=st.one_of(st.none(), _month),
    martyrs=st.integers(1, 4),
    injury=st.integers(15, 100),  # below 21 is refused
    severe=st.booleans(),
)
PAY = _cmd(
    "pay",
    which=_which,
    month=_month,
    offset=st.one_of(st.none(), st.integers(0, 11), st.integers(0, 11)),  # a month from the start
    amount=st.sampled_from(["outstanding", "outstanding", "half", "due", "over", "random", "zero"]),
    random_amount=st.integers(1, 3_000_000),
    pid=st.sampled_from(["new", "new", "new", "retry", "reuse_other"]),
    pick=st.integers(0, 1000),
    days_ago=st.sampled_from([0, 0, 0, 3, 40, -2]),  # -2: paid_on in the future (refused)
    channel=st.sampled_from([None, None, None, "cash", "bank", "card"]),
)
NOT_COLLECTED = _cmd("not_collected", which=_which, month=_month)
REVERSE = _cmd(
    "reverse",
    pick=st.integers(0, 1000),
    unknown=st.sampled_from([False, False, False, True]),
    reason=st.sampled_from(["ghi nhầm", "ghi nhầm", ""]),
    overpaid=st.booleans(),  # aim at an overpaid payment: after a recovery, a credit to pay back
)
# ``anchor``: aim at a paid month (terminate before it, die before it, change its rate), so that
# overpayments, recoveries and refunds come up often.
_anchor = st.one_of(st.none(), st.integers(0, 1000))
TERMINATE = _cmd("terminate", which=_which, month=_month, anchor=_anchor)
SUSPEND = _cmd("suspend", which=_which, month=_month)
RESUME = _cmd("resume", which=_which, month=_month)
ADJUST = _cmd("adjust", which=_which, month=_month, martyrs=st.integers(1, 4), injury=st.integers(21, 100))
DEATH = _cmd("death", days_ago=st.integers(-5, 500), day=st.integers(0, 900), anchor=_anchor)
RECOVER = _cmd(
    "recover",
    method=st.sampled_from(["cash", "deduction", "refund", "refund", "seized"]),
    amount=st.sampled_from(["all", "all", "part", "random"]),
    random_amount=st.integers(1, 5_000_000),
)
CARD = _cmd("card", slot=st.integers(0, 2), days_ago=st.integers(0, 60), revoke=st.booleans())
AMEND_RATE = _cmd(
    "amend_rate",
    ncc=st.booleans(),
    month=_month,
    btxh=st.sampled_from(BTXH_STANDARDS),
    ncc_amount=st.sampled_from(NCC_STANDARDS),
    anchor=_anchor,
)
CLOCK = _cmd("clock", days=st.integers(1, 120))
RELOCATE = _cmd("relocate", commune=st.sampled_from([COMMUNE, OTHER_COMMUNE]), month=_month)
GIFT = _cmd(  # a campaign's one-off: once per year, occasion and funding source
    "gift",
    month=_month,
    source=st.sampled_from(["central", "province"]),
    occasion=st.sampled_from(["tet", "27-7"]),
    campaign=st.integers(0, 3),
)

# Relative weights: payments most often, death seldom (after it most commands are refused).
WEIGHTS = (
    (PAY, 10),
    (GRANT, 3),
    (NOT_COLLECTED, 2),
    (REVERSE, 2),
    (TERMINATE, 1),
    (SUSPEND, 1),
    (RESUME, 1),
    (ADJUST, 2),
    (DEATH, 1),
    (RECOVER, 3),
    (CARD, 1),
    (AMEND_RATE, 1),
    (CLOCK, 2),
    (RELOCATE, 1),
    (GIFT, 1),
)
COMMANDS = st.sampled_from([s for s, n in WEIGHTS for _ in range(n)]).flatmap(lambda s: s)


# ------------------------------------------------------------------------------------ the model

# What a command is expected to do: succeed (None), be refused with one of these errors, or either
# (True: the aggregate decides, the test checks only that a refusal changed nothing).
Expect = type[DomainError] | tuple[type[DomainError], ...] | None | bool


def _beyond_a_year(day: date, today: date) -> bool:
    """A decision signed more than a year after the day it is recorded: out of the business range."""
    return day > today.replace(
        year=today.year + 1, day=28 if (today.month, today.day) == (2, 29) else today.day
    )


@dataclass
class Clock:
    """The ledger's clock, moved only by the test."""

    now: datetime = START_DAY

    @property
    def today(self) -> date:
        return self.now.date()


@dataclass
class Model:
    """What the test expects, kept independently of the aggregate."""

    kind: str
    date_of_birth: date
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)  # pid → eid, period, amount, ...
    max_due: dict[tuple[str, str], int] = field(default_factory=dict)  # the most ever due when paid
    not_collected: set[tuple[str, str]] = field(default_factory=set)
    recovered: int = 0
    deducted: int = 0  # withheld from payable items by deductions
    places: dict[Month, str] = field(default_factory=dict)  # relocations: from month → commune
    gifts: set[tuple[int, str, str]] = field(default_factory=set)  # (year, occasion, source) granted
    date_of_death: date | None = None
    entitlements: list[str] = field(default_factory=list)

    def paid(self, key: tuple[str, str]) -> int:
        return sum(
            p["amount"]
            for p in self.payments.values()
            if not p["reversed"] and (p["entitlement_id"], p["period"]) == key
        )


class World:
    """One beneficiary driven by commands: the pure aggregate, and (optionally) the ledger application.

    Every command is predicted from the model and the aggregate's state before it runs, run on the
    aggregate (and the application), and its outcome compared with the prediction.
    """

    def __init__(
        self,
        agg: Beneficiary,
        model: Model,
        clock: Clock,
        rates: RateBook,
        *,
        app: BenefitsLedger | None = None,
        tag: str = "",
        card_base: int = 7_912_345_000,
    ) -> None:
        self.agg = agg
        self.model = model
        self.clock = clock
        self._rates = rates
        self.app = app
        self.tag = tag  # prefix of payment ids: unique per beneficiary in a shared store
        self.card_base = card_base
        self.counter = itertools.count(1)
        self.log: list[str] = []

    @property
    def rates(self) -> RateBook:
        return self.app.rates() if self.app is not None else self._rates

    def ctx(self, reason: str = "") -> RecordContext:
        return RecordContext(ACTOR, self.clock.now, reason)

    def _entitlement(self, which: int) -> str | None:
        ids = list(self.agg.entitlements)
        return ids[which % len(ids)] if ids else None

    # -------------------------------------------------------------- one step

    def step(self, cmd: Cmd) -> None:
        self.current = cmd.name
        handler = getattr(self, f"_do_{cmd.name}")
        handler(**cmd.args)

    def _run(
        self,
        on_aggregate: Any,
        on_app: Any,
        expect: Expect = True,
    ) -> Any:
        """Run a command on the aggregate (and the app); ``expect``: an error class, None for success,
        True for "either" (the aggregate decides; the test checks only that a refusal changed nothing).
        Returns the aggregate's result, or the error."""
        before = digest(self.agg)
        version, pending = self.agg.version, len(self.agg.pending_events)
        stored = self.app.beneficiary(self.agg.id).version if self.app is not None else None
        result, refused = _outcome(on_aggregate)
        if refused:
            assert self.agg.version == version, "a refused command moved the version"
            assert len(self.agg.pending_events) == pending, "a refused command left events behind"
            assert digest(self.agg) == before, "a refused command changed the state"
            if expect is not True:
                assert expect is not None, f"refused but expected to succeed: {result!r}"
                assert isinstance(result, expect), f"expected {expect}, got {result!r}"  # type: ignore[arg-type]
        else:
            assert expect in {None, True}, f"accepted but expected {expect}"
        if currently_in_test_context():  # outcome statistics: pytest --hypothesis-show-statistics
            event(f"{self.current}: {type(result).__name__ if refused else 'ok'}")
        if self.app is not None:
            app_result, app_refused = _outcome(on_app)
            assert app_refused == refused, f"app: {app_result!r}, aggregate: {result!r}"
            if refused:
                assert type(app_result) is type(result), f"app: {app_result!r}, aggregate: {result!r}"
                assert self.app.beneficiary(self.agg.id).version == stored, "a refusal was stored"
            elif isinstance(result, bool):  # record_payment: created, or a retry of the same payment
                assert app_result[0] is result
            assert self.app.beneficiary(self.agg.id).version == self.agg.version
        return result

    # -------------------------------------------------------------- commands

    def _do_clock(self, days: int) -> None:
        self.clock.now = min(self.clock.now + timedelta(days=days), LAST_DAY)

    def _do_amend_rate(self, ncc: bool, month: str, btxh: int, ncc_amount: int, anchor: int | None) -> None:
        if (target := self._anchored(anchor)) is not None:
            month = str(target[1])
            ncc = self.agg.entitlements[target[0]].scheme_code.startswith("NCC")
        schedule, amount = ("NCC_STANDARD", ncc_amount) if ncc else ("BTXH_STANDARD", btxh)
        if self.app is not None:
            self.app.amend_rate(
                ACTOR, schedule, effective_from=month, amount=amount, legal_basis=f"NĐ thử {month}"
            )
        else:
            entry = RateEntry(schedule, Month.parse(month), amount, f"NĐ thử {month}")
            self._rates = self._rates.with_entries([entry])

    def _do_grant(
        self, pick: int, month: str, signed: int, end: str | None, martyrs: int, injury: int, severe: bool
    ) -> None:
        if len(self.agg.entitlements) >= MAX_ENTITLEMENTS:
            return
        kinds = SCHEMES[self.model.kind] if pick < 8 else SCHEMES[_other(self.model.kind)]
        scheme = kinds[pick % 3]
        params: dict[str, Any] | None = None
        if scheme == "NCC_MARTYR_RELATIVE":
            params = {"martyrs": martyrs}
        elif scheme == "NCC_WAR_INVALID":
            params = {"injury_rate": injury, "extremely_severe": severe}
        signed_on = Month.parse(month).plus(signed).first_day() + timedelta(days=9)
        basis = {"decision_no": f"{next(self.counter)}/QĐ-UBND", "decision_date": signed_on, "issuer": "UBND"}
        rates = self.rates
        expect: Expect = True
        if pick >= 8:
            expect = InvalidInput
        elif self.model.date_of_death is not None and get_scheme(scheme).monthly:
            expect = (Conflict, InvalidInput)  # a monthly grant after death, if the input is valid
        elif scheme == "BTXH_FUNERAL" and self.model.date_of_death is None:
            expect = (Conflict, InvalidInput)  # a funeral allowance before the death is recorded
        ctx = self.ctx()
        result = self._run(
            lambda: self.agg.grant_entitlement(
                ctx,
                scheme=scheme,
                effective_from=month,
                basis=basis,
                params=params,
                end_month=end,
                rates=rates,
            ),
            lambda: self.app.grant_entitlement(  # type: ignore[union-attr]
                ACTOR,
                self.agg.id,
                scheme=scheme,
                effective_from=month,
                basis=basis,
                params=params,
                end_month=end,
            ),
            expect,
        )
        if not isinstance(result, DomainError):
            self.model.entitlements.append(result.entitlement_id)
            start = result.start
            assert start >= Month.parse(month)
            if scheme in {"BTXH_ELDERLY_80", "BTXH_DISABLED_SEVERE"}:  # not before the decision is signed
                assert start >= Month.of(signed_on)
            if scheme == "BTXH_ELDERLY_80":  # nor before the month the person turns 80
                dob = self.model.date_of_birth
                assert start >= Month(dob.year + 80, dob.month)

    def _do_pay(  # noqa: C901, PLR0912
        self,
        which: int,
        month: str,
        offset: int | None,
        amount: str,
        random_amount: int,
        pid: str,
        pick: int,
        days_ago: int,
        channel: str | None,
    ) -> None:
        rates = self.rates
        eid = self._entitlement(which)
        if eid is None:
            return
        paid_on = self.clock.today - timedelta(days=days_ago)
        if offset is not None:
            month = str(self.agg.entitlements[eid].start.plus(offset))
        known = list(self.model.payments)
        if pid == "retry" and known:
            # the very same request again (perhaps for another entitlement, perhaps since reversed)
            old = self.model.payments[known[pick % len(known)]]
            payment_id, eid, month, value, paid_on = (
                old["payment_id"],
                old["entitlement_id"],
                old["period"],
                old["amount"],
                old["paid_on"],
            )
        ent = self.agg.entitlements[eid]
        # A one-off is paid without a period (or with its start month; another month is refused).
        period: str | None = month
        if not ent.scheme.monthly:
            if month == ONE_OFF or offset is not None or pick % 4:
                period = None
            month = ONE_OFF
        if not (pid == "retry" and known):
            payment_id = (
                known[pick % len(known)]
                if pid == "reuse_other" and known
                else f"{self.tag}P{next(self.counter)}"
            )
            item = self.agg.due_item(eid, month, rates)
            # "outstanding" falls back to the amount due when nothing is owed (then: already paid)
            value = {
                "outstanding": item.outstanding or item.due or random_amount,
                "half": max(item.outstanding // 2, 1),
                "due": item.due or random_amount,
                "over": item.outstanding + 1_000,
                "random": random_amount,
                "zero": 0,
            }[amount]
        item = self.agg.due_item(eid, month, rates)
        existing = self.model.payments.get(payment_id)
        content = (eid, month, value, paid_on)
        if period is not None and period != month and Month.parse(period) != ent.start:
            expect: Expect = InvalidInput  # a one-off paid for a month that is not its own
        elif value <= 0:
            expect = InvalidInput
        elif existing is not None:
            same = (existing["entitlement_id"], existing["period"], existing["amount"], existing["paid_on"])
            expect = None if same == content else Conflict
        elif paid_on > self.clock.today or channel == "card":
            expect = InvalidInput
        elif item.due == 0 or item.outstanding == 0 or value > item.outstanding:
            expect = Conflict
        else:
            expect = None
        ctx = self.ctx()
        result = self._run(
            lambda: self.agg.record_payment(
                ctx,
                payment_id=payment_id,
                entitlement_id=eid,
                period=period,
                amount=value,
                paid_on=paid_on,
                channel=channel,
                rates=rates,
            ),
            lambda: self.app.record_payment(  # type: ignore[union-attr]
                ACTOR,
                payment_id=payment_id,
                beneficiary_id=self.agg.id,
                entitlement_id=eid,
                period=period,
                amount=value,
                paid_on=paid_on.isoformat(),
                channel=channel,
            ),
            expect,
        )
        if isinstance(result, DomainError):
            return
        if existing is not None:
            assert result is False, "a retry of the same payment must not be a new payment"
            return
        assert result is True
        key = (eid, month)
        self._check_payable(eid, month)
        assert value <= item.outstanding
        self.model.max_due[key] = max(self.model.max_due.get(key, 0), item.due)
        self.model.payments[payment_id] = {
            "payment_id": payment_id,
            "entitlement_id": eid,
            "period": month,
            "amount": value,
            "paid_on": paid_on,
            "reversed": False,
        }

    def _check_payable(self, eid: str, period: str) -> None:
        """An accepted payment is for a month in the entitlement's period, not suspended, and (social
        assistance) for the group with the highest coefficient running that month; a one-off: not
        cancelled."""
        ent = self.agg.entitlements[eid]
        if not ent.scheme.monthly:
            assert not ent.cancelled
            return
        month = Month.parse(period)
        assert ent.in_period(month, self.agg.death_month)
        assert not ent.suspended_in(month)
        if ent.scheme.combine == "highest":
            mine = scheme_coefficient(ent.scheme, ent.params_for(month))
            for other in self.agg.entitlements.values():
                if (
                    other.scheme.combine == "highest"
                    and other.in_period(month, self.agg.death_month)
                    and not other.suspended_in(month)
                ):
                    assert scheme_coefficient(other.scheme, other.params_for(month)) <= mine

    def _do_not_collected(self, which: int, month: str) -> None:
        rates = self.rates
        eid = self._entitlement(which)
        if eid is None:
            return
        key = (eid, month if self.agg.entitlements[eid].scheme.monthly else ONE_OFF)
        item = self.agg.due_item(*key, rates)
        if item.due == 0 or item.paid > 0 or key in self.model.not_collected:
            expect: Expect = Conflict
        else:
            expect = None
        ctx = self.ctx()
        result = self._run(
            lambda: self.agg.record_not_collected(ctx, entitlement_id=eid, period=month, rates=rates),
            lambda: self.app.record_not_collected(  # type: ignore[union-attr]
                ACTOR, beneficiary_id=self.agg.id, entitlement_id=eid, period=month
            ),
            expect,
        )
        if not isinstance(result, DomainError):
            self.model.not_collected.add(key)

    def _do_reverse(self, pick: int, unknown: bool, reason: str, overpaid: bool) -> None:
        known = list(self.model.payments)
        if overpaid:
            excess = {(i.entitlement_id, i.period) for i in self.agg.overpayments(self.rates)}
            known = [
                pid
                for pid, p in self.model.payments.items()
                if not p["reversed"] and (p["entitlement_id"], p["period"]) in excess
            ] or known
        payment_id = f"{self.tag}nowhere" if unknown or not known else known[pick % len(known)]
        payment = self.model.payments.get(payment_id)
        if payment is None:
            expect: Expect = NotFound
        elif payment["reversed"]:
            expect = Conflict
        elif not reason:
            expect = InvalidInput
        else:
            expect = None
        ctx = self.ctx(reason)
        result = self._run(
            lambda: self.agg.reverse_payment(ctx, payment_id),
            lambda: self.app.reverse_payment(ACTOR, payment_id, reason=reason),  # type: ignore[union-attr]
            expect,
        )
        if not isinstance(result, DomainError):
            assert payment is not None
            payment["reversed"] = True

    def _decision(self) -> dict[str, Any]:
        return {
            "decision_no": f"{next(self.counter)}/QĐ",
            "decision_date": self.clock.today,
            "issuer": "UBND",
        }

    def _anchored(self, anchor: int | None) -> tuple[str, Month] | None:
        """A paid (not reversed) monthly payment's entitlement and month, picked by ``anchor``."""
        paid = [
            (p["entitlement_id"], Month.parse(p["period"]))
            for p in self.model.payments.values()
            if not p["reversed"] and p["period"] != ONE_OFF
        ]
        return paid[anchor % len(paid)] if anchor is not None and paid else None

    def _do_terminate(self, which: int, month: str, anchor: int | None) -> None:
        eid = self._entitlement(which)
        if eid is None:
            return
        if (target := self._anchored(anchor)) is not None:
            eid, month = target[0], str(target[1].previous())
        ent = self.agg.entitlements[eid]
        m = Month.parse(month)
        if ent.last_month is not None:
            expect: Expect = Conflict
        elif m < ent.start.previous():
            expect = InvalidInput
        else:
            expect = None
        ctx, basis = self.ctx(), self._decision()
        self._run(
            lambda: self.agg.terminate_entitlement(ctx, eid, last_month=month, basis=basis),
            lambda: self.app.terminate_entitlement(  # type: ignore[union-attr]
                ACTOR, self.agg.id, eid, last_month=month, basis=basis
            ),
            expect,
        )

    def _do_suspend(self, which: int, month: str) -> None:
        eid = self._entitlement(which)
        if eid is None:
            return
        ctx = self.ctx()
        result = self._run(
            lambda: self.agg.suspend_entitlement(ctx, eid, effective_from=month),
            lambda: self.app.suspend_entitlement(  # type: ignore[union-attr]
                ACTOR, self.agg.id, eid, effective_from=month
            ),
        )
        if not isinstance(result, DomainError):
            assert self.agg.entitlements[eid].suspended_now

    def _do_resume(self, which: int, month: str) -> None:
        eid = self._entitlement(which)
        if eid is None:
            return
        ent = self.agg.entitlements[eid]
        if not ent.suspended_now:
            expect: Expect = Conflict
        elif self.model.date_of_death is not None:
            expect = Conflict
        elif Month.parse(month) <= ent.suspensions[-1][0]:
            expect = InvalidInput
        else:
            expect = None
        ctx = self.ctx()
        self._run(
            lambda: self.agg.resume_entitlement(ctx, eid, effective_from=month),
            lambda: self.app.resume_entitlement(  # type: ignore[union-attr]
                ACTOR, self.agg.id, eid, effective_from=month
            ),
            expect,
        )
        assert not self.agg.entitlements[eid].suspended_now or expect is not None

    def _do_adjust(self, which: int, month: str, martyrs: int, injury: int) -> None:
        eid = self._entitlement(which)
        if eid is None:
            return
        scheme = self.agg.entitlements[eid].scheme_code
        params: dict[str, Any] = {}
        if scheme == "NCC_MARTYR_RELATIVE":
            params = {"martyrs": martyrs}
        elif scheme == "NCC_WAR_INVALID":
            params = {"injury_rate": injury, "extremely_severe": False}
        ctx, basis, rates = self.ctx(), self._decision(), self.rates
        self._run(
            lambda: self.agg.adjust_entitlement(
                ctx, eid, effective_from=month, params=params, basis=basis, rates=rates
            ),
            lambda: self.app.adjust_entitlement(  # type: ignore[union-attr]
                ACTOR, self.agg.id, eid, effective_from=month, params=params, basis=basis
            ),
        )

    def _do_death(self, days_ago: int, day: int, anchor: int | None) -> None:
        # a date relative to today (possibly in the future), anywhere in the range, or before a paid
        # month (recorded late: the clock moves on to a few days after the death)
        if (target := self._anchored(anchor)) is not None:
            died = target[1].previous().first_day() + timedelta(days=day % 28)
            self.clock.now = max(
                self.clock.now, min(LAST_DAY, START_DAY.replace(**_ymd(died)) + timedelta(10))
            )
        elif day % 2:
            died = self.clock.today - timedelta(days=days_ago)
        else:
            died = FIRST_MONTH.first_day() + timedelta(days=day)
        if self.model.date_of_death is not None:
            expect: Expect = Conflict
        elif died > self.clock.today or died < self.model.date_of_birth:
            expect = InvalidInput
        else:
            expect = None
        ctx = self.ctx()
        result = self._run(
            lambda: self.agg.record_death(ctx, date_of_death=died),
            lambda: self.app.record_death(  # type: ignore[union-attr]
                ACTOR, self.agg.id, date_of_death=died.isoformat()
            ),
            expect,
        )
        if not isinstance(result, DomainError):
            self.model.date_of_death = died
            assert all(not c.active for c in self.agg.cards.values()), "a card outlived its holder"

    def _do_recover(self, method: str, amount: str, random_amount: int) -> None:
        rates = self.rates
        outstanding = self.agg.overpayment_outstanding(rates)
        credit = self.agg.recovery_credit(rates)
        limit = credit if method == "refund" else outstanding
        value = {"all": limit, "part": max(limit // 3, 1), "random": random_amount}[amount]
        month = Month.of(self.clock.today)
        payable = [i.outstanding for i in self.agg.ledger_items(month, rates) if i.outstanding > 0]
        if method not in {"cash", "deduction", "refund"} or value <= 0:
            expect: Expect = InvalidInput
        elif value > limit or (method == "deduction" and not any(owed >= value for owed in payable)):
            expect = Conflict  # too much, or (a deduction) nothing owed that it can be withheld from
        else:
            expect = None
        ctx = self.ctx()
        result = self._run(
            lambda: self.agg.record_recovery(ctx, amount=value, method=method, rates=rates, month=month),
            lambda: self.app.record_recovery(  # type: ignore[union-attr]
                ACTOR, self.agg.id, amount=value, method=method
            ),
            expect,
        )
        if not isinstance(result, DomainError):
            self.model.recovered += -value if method == "refund" else value
            if method == "deduction":
                self.model.deducted += value

    def _do_relocate(self, commune: str, month: str) -> None:
        target = Month.parse(month)
        if self.model.date_of_death is not None:
            expect: Expect = Conflict
        elif self.agg.commune_at(target)[0] == commune:
            expect = Conflict  # already lives there that month
        else:
            expect = None
        ctx = self.ctx()
        result = self._run(
            lambda: self.agg.relocate(ctx, commune, PROVINCE, month),
            lambda: self.app.relocate(  # type: ignore[union-attr]
                ACTOR, self.agg.id, commune_code=commune, effective_from=month
            ),
            expect,
        )
        if not isinstance(result, DomainError):
            self.model.places[target] = commune

    def _do_gift(self, month: str, source: str, occasion: str, campaign: int) -> None:
        if len(self.agg.entitlements) >= MAX_ENTITLEMENTS:
            return
        start = Month.parse(month)
        scope = (start.year, occasion, source)
        taken = scope in self.model.gifts
        params = {
            "amount": 300_000,
            "funding_source": source,
            "occasion": occasion,
            "campaign": f"C{campaign}",
        }
        basis = {"decision_no": f"{next(self.counter)}/QĐ-UBND", "decision_date": start.first_day(),
                 "issuer": "UBND tỉnh"}  # fmt: skip
        rates = self.rates
        ctx = self.ctx()
        result = self._run(
            lambda: self.agg.grant_entitlement(
                ctx, scheme="GIFT", effective_from=month, basis=basis, params=params, rates=rates
            ),
            lambda: self.app.grant_entitlement(  # type: ignore[union-attr]
                ACTOR, self.agg.id, scheme="GIFT", effective_from=month, basis=basis, params=params
            ),
            Conflict
            if taken
            else InvalidInput
            if _beyond_a_year(start.first_day(), self.clock.today)
            else None,
        )
        if not isinstance(result, DomainError):
            self.model.gifts.add(scope)
            self.model.entitlements.append(result.entitlement_id)

    def _do_card(self, slot: int, days_ago: int, revoke: bool) -> None:
        group = {"social_assistance": "BT", "meritorious": "TS"}[self.model.kind]  # a group the kind holds
        number = f"{group}2{PROVINCE}{self.card_base + slot:010d}"
        day = self.clock.today - timedelta(days=days_ago)
        card = self.agg.cards.get(number)
        if revoke:
            if card is None:
                expect: Expect = NotFound
            elif not card.active:
                expect = Conflict
            elif day < card.valid_from:
                expect = InvalidInput
            else:
                expect = None
            ctx = self.ctx()
            self._run(
                lambda: self.agg.revoke_card(ctx, number, reason="chuyển đi", effective_on=day),
                lambda: self.app.revoke_card(  # type: ignore[union-attr]
                    ACTOR, self.agg.id, number, reason="chuyển đi", effective_on=day.isoformat()
                ),
                expect,
            )
            return
        expect = Conflict if self.model.date_of_death is not None or (card and card.active) else None
        ctx = self.ctx()
        self._run(
            lambda: self.agg.issue_card(ctx, card_number=number, valid_from=day),
            lambda: self.app.issue_card(  # type: ignore[union-attr]
                ACTOR, self.agg.id, card_number=number, valid_from=day.isoformat()
            ),
            expect,
        )

    # -------------------------------------------------------------- invariants

    def check_invariants(self) -> None:
        agg, model, rates = self.agg, self.model, self.rates
        # The aggregate agrees with the model: payments, reversals, non-collection, recoveries, death.
        assert {pid: p.reversed for pid, p in agg.payments.items()} == {
            pid: p["reversed"] for pid, p in model.payments.items()
        }
        assert agg.not_collected == model.not_collected
        assert agg.recovered == model.recovered >= 0
        assert agg.date_of_death == model.date_of_death
        # (a) never paid twice: per entitlement-period, what is paid (not reversed) never exceeds the
        # most that was ever due when a payment was accepted.
        for key, paid in agg.paid.items():
            assert paid == model.paid(key), f"{key}: paid map {paid} ≠ payments {model.paid(key)}"
            assert 0 <= paid <= model.max_due.get(key, 0), f"{key} paid {paid} beyond what was due"
        # (b) replay from scratch gives the same state; (d) the chain holds.
        events = list(agg.pending_events)
        assert len(events) == agg.version
        check_chain(events)
        assert agg.chain_head == events[-1].event_hash
        assert digest(replay(events)) == digest(agg)
        # (e) a snapshot, through JSON, restores the aggregate exactly.
        restored = restore(json.loads(json.dumps(state_of(agg))), agg.id, agg.version)
        assert without_pending(restored) == without_pending(agg)
        # (c) balances add up: paid − due = excess − outstanding; what is overpaid and not recovered
        # (or recovered beyond what is overpaid, to pay back) follows from the items.
        items = agg.ledger_items(LATE, rates)
        assert {(i.entitlement_id, i.period) for i in items} >= {k for k, v in agg.paid.items() if v}
        excess = sum(i.excess for i in items)
        assert sum(i.paid + i.withheld for i in items) - sum(i.due for i in items) == excess - sum(
            i.outstanding for i in items
        )
        assert sum(agg.withheld.values()) == model.deducted  # every deduction withheld from one item
        # (g) the commune in force in each month is the latest relocation effective by then.
        for month in (Month.parse(m) for m in MONTHS):
            moves = [m for m in model.places if m <= month]
            expected = model.places[max(moves)] if moves else COMMUNE
            assert agg.commune_at(month)[0] == expected, f"{month}: {agg.commune_at(month)[0]} ≠ {expected}"
        assert excess == sum(i.excess for i in agg.overpayments(rates))
        outstanding, credit = agg.overpayment_outstanding(rates), agg.recovery_credit(rates)
        assert outstanding >= 0
        assert credit >= 0
        assert outstanding == 0 or credit == 0
        assert outstanding - credit == excess - agg.recovered
        # Nothing is due outside an entitlement's period, and a one-off key never appears for a monthly.
        for item in items:
            ent = agg.entitlements[item.entitlement_id]
            assert (item.period == ONE_OFF) is (not ent.scheme.monthly)
            if item.due and ent.scheme.monthly:
                month = Month.parse(item.period)
                assert ent.in_period(month, agg.death_month)
                assert not ent.suspended_in(month)
        # (f) never twice per person: in no month do two entitlements of one monthly scheme owe; a one-off
        # owes at most once in its scope (schemes.csv once_per).
        owing: Counter[tuple[Any, ...]] = Counter()
        for item in items:
            if not item.due:
                continue
            ent = agg.entitlements[item.entitlement_id]
            scope = ent.scheme.scope_of(ent.start, ent.params_for(ent.start))
            owing[(ent.scheme_code, item.period if scope is None else scope)] += 1
        assert max(owing.values(), default=0) <= 1, f"payable twice: {owing.most_common(1)}"
        # After death, every paid month after it is an overpayment (nothing is due then).
        if agg.death_month is not None:
            for payment in agg.payments_after_death():
                assert agg.due_amount(payment.entitlement_id, payment.period, rates) == 0


def _outcome(command: Any) -> tuple[Any, bool]:
    """``(result, False)``, or ``(the DomainError, True)`` when the command is refused."""
    try:
        return command(), False
    except DomainError as error:
        return error, True


def _ymd(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def _other(kind: str) -> str:
    return "meritorious" if kind == "social_assistance" else "social_assistance"


def _person(kind: str, person: int, serial: int) -> tuple[dict[str, Any], date]:
    dob, code = PEOPLE[person]
    fields = {
        "kind": kind,
        "full_name": "Trần Thị Bình" if kind == "social_assistance" else "Nguyễn Văn Hùng",
        "citizen_id": f"075{code}{serial:06d}",
        "date_of_birth": dob,
    }
    return fields, date.fromisoformat(dob)


# ------------------------------------------------------------------------------------ pure aggregate


class BeneficiaryMachine(RuleBasedStateMachine):
    """Random commands on one pure aggregate (no database): every invariant after every step."""

    @initialize(
        kind=st.sampled_from(sorted(SCHEMES)),
        person=st.integers(0, len(PEOPLE) - 1),
        scheme=st.integers(0, 1),
        month=st.sampled_from(MONTHS[:12]),
    )
    def register(self, kind: str, person: int, scheme: int, month: str) -> None:
        """A person with one entitlement to start with (the commands grant more)."""
        clock = Clock()
        fields, dob = _person(kind, person, 12345)
        agg = Beneficiary.register(
            RecordContext(ACTOR, clock.now),
            beneficiary_id=uuid4(),
            commune_code=COMMUNE,
            province_code=PROVINCE,
            **fields,
        )
        self.world = World(agg, Model(kind, dob), clock, reference_rate_book())
        grant = {"month": month, "signed": 0, "end": None, "martyrs": 2, "injury": 61, "severe": False}
        self.world.step(Cmd("grant", {"pick": scheme, **grant}))
        if not self.world.agg.entitlements:  # the 80+ scheme for someone who turns 80 years later: refused
            self.world.step(Cmd("grant", {"pick": 1 - scheme, **grant}))
        assert self.world.agg.entitlements

    @rule(cmd=COMMANDS)
    def command(self, cmd: Cmd) -> None:
        self.world.step(cmd)

    @invariant()
    def invariants_hold(self) -> None:
        if hasattr(self, "world"):
            self.world.check_invariants()


BeneficiaryMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_beneficiary_state_machine = BeneficiaryMachine.TestCase


def test_a_grant_for_the_wrong_kind_and_a_refused_payment_change_nothing():
    """A smoke check of the harness itself: the predicted refusals are the aggregate's."""
    clock = Clock()
    fields, dob = _person("social_assistance", 0, 1)
    agg = Beneficiary.register(
        RecordContext(ACTOR, clock.now),
        beneficiary_id=uuid4(),
        commune_code=COMMUNE,
        province_code=PROVINCE,
        **fields,
    )
    world = World(agg, Model("social_assistance", dob), clock, reference_rate_book())
    common = {"month": "2023-07", "signed": 0, "end": None, "martyrs": 1, "injury": 30, "severe": False}
    world.step(Cmd("grant", {"pick": 9, **common}))
    assert not agg.entitlements
    world.step(Cmd("grant", {"pick": 0, **common}))
    world.step(Cmd("clock", {"days": 40}))
    pay = {
        "which": 0,
        "month": "2023-07",
        "offset": None,
        "random_amount": 1,
        "pick": 0,
        "days_ago": 0,
        "channel": None,
    }
    world.step(Cmd("pay", {**pay, "amount": "over", "pid": "new"}))  # refused: above what is owed
    world.step(Cmd("pay", {**pay, "amount": "outstanding", "pid": "new"}))
    world.step(Cmd("pay", {**pay, "amount": "outstanding", "pid": "retry"}))  # the same: not new
    world.step(Cmd("pay", {**pay, "amount": "outstanding", "pid": "new"}))  # refused: already paid
    assert agg.paid == {(next(iter(agg.entitlements)), "2023-07"): 360_000}
    assert len(agg.payments) == 1
    world.check_invariants()
    assert get_scheme("BTXH_ELDERLY_80").combine == "highest"


# ------------------------------------------------------------------------------------ through the app


def _open(url: str, clock: Clock) -> BenefitsLedger:
    return open_ledger(url, clock=lambda: clock.now)


def test_application_matches_the_pure_aggregate_and_the_store_replays_it(database_url: str) -> None:
    """Random commands through the ledger application, with the pure aggregate as a shadow."""
    serials = itertools.count(1)
    clock = Clock()
    app = _open(database_url, clock)
    app.seed_reference_rates()

    @given(
        kind=st.sampled_from(sorted(SCHEMES)),
        person=st.integers(0, len(PEOPLE) - 1),
        scheme=st.integers(0, 1),
        month=st.sampled_from(MONTHS[:12]),
        cmds=st.lists(COMMANDS, min_size=8, max_size=20),
    )
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def run(kind: str, person: int, scheme: int, month: str, cmds: list[Cmd]) -> None:
        clock.now = START_DAY
        serial = next(serials)
        fields, dob = _person(kind, person, serial)
        stored = app.register_beneficiary(ACTOR, commune_code=COMMUNE, **fields)
        shadow = Beneficiary.register(
            RecordContext(ACTOR, clock.now),
            beneficiary_id=stored.id,
            commune_code=stored.commune_code,
            province_code=stored.province_code,
            **fields,
        )
        world = World(
            shadow,
            Model(kind, dob),
            clock,
            app.rates(),
            app=app,
            tag=f"{serial}-",
            card_base=7_000_000_000 + serial * 10,
        )
        grant = {"month": month, "signed": 0, "end": None, "martyrs": 2, "injury": 61, "severe": False}
        for cmd in [Cmd("grant", {"pick": scheme, **grant}), *cmds]:
            world.step(cmd)
            world.check_invariants()
        # The stored stream is the shadow's, event for event and hash for hash (the JSON round trip
        # of dates, datetimes and dicts keeps every content hash).
        stored_events = app.stream_events(shadow.id)
        assert [(type(e).__name__, e.event_hash) for e in stored_events] == [
            (type(e).__name__, e.event_hash) for e in shadow.pending_events
        ]
        check_chain(stored_events)
        assert digest(replay(stored_events)) == digest(shadow)
        # A freshly opened ledger on the same store loads the same state.
        fresh = _open(database_url, clock)
        try:
            assert digest(fresh.repository.get(shadow.id)) == digest(shadow)
            report = verify_streams(fresh)
            assert report.ok, report.as_dict()
        finally:
            fresh.close()

    try:
        run()
    finally:
        app.close()
