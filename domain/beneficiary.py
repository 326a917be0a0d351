"""The beneficiary aggregate — đối tượng hưởng chính sách — and its event stream.

One append-only stream per beneficiary: registration, corrections, relocations, entitlements (chế độ)
and their decisions, payments (chi trả), non-collection, reversals, recoveries (thu hồi), death, and
health-insurance cards (thẻ BHYT). The aggregate enforces the rules of DESIGN §3 that concern one
beneficiary and computes what is due for any month with the rates passed in (no clock, no database).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID, uuid5

from domain.catalogue import (
    KINDS,
    Component,
    RateBook,
    RateMissing,
    Scheme,
    get_scheme,
    scheme_coefficient,
    scheme_components,
    validate_params,
)
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import LedgerAggregate, RecordContext
from domain.values import (
    BHYT_GROUPS,
    CARD_GROUP_BY_POVERTY,
    CARD_GROUPS_BY_KIND,
    CHILD_CARD_AGE,
    CHILD_CARD_GROUP,
    Month,
    basis_date,
    card_group,
    parse_amount,
    parse_basis,
    parse_card_number,
    parse_citizen_id,
    parse_commune_code,
    parse_date,
    parse_identifier,
    parse_payment_channel,
    parse_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

ONE_OFF = "once"
REFUND = "refund"
RECOVERY_METHODS = ("cash", "deduction", REFUND)
SUSPENSION_RUN = 3  # consecutive uncollected months that make a suspension candidate (TT 02/2021)
ELDERLY_80 = "BTXH_ELDERLY_80"
NAMESPACE_ENTITLEMENT = UUID("6f1c1d8e-3b0a-4d52-9a37-5c2f7f1e0a11")


Dated = TypeVar("Dated", bound=tuple[Any, ...])


def in_force(history: Sequence[Dated], month: Month) -> Dated:
    """The entry of a dated history (sorted, each entry starting with its first month) in force in
    ``month``: the latest that starts by then, or the first."""
    current = history[0]
    for entry in history:
        if entry[0] <= month:
            current = entry
    return current


def period_key(period: Month | None) -> str:
    """The key of a payment period: ``YYYY-MM`` for monthly schemes, ``once`` for one-offs."""
    return str(period) if period is not None else ONE_OFF


@dataclass
class Entitlement:
    """An entitlement (chế độ được hưởng): a scheme granted by a decision, from a month."""

    entitlement_id: str
    scheme_code: str
    start: Month
    end: Month | None
    basis: dict[str, Any] | None
    granted_on: date | None
    params_history: list[tuple[Month, dict[str, Any]]] = field(default_factory=list)
    suspensions: list[tuple[Month, Month | None]] = field(default_factory=list)
    last_month: Month | None = None  # set by termination: the last month paid

    @property
    def scheme(self) -> Scheme:
        """The scheme in the catalogue."""
        return get_scheme(self.scheme_code)

    def params_for(self, month: Month) -> dict[str, Any]:
        """The parameters in force in ``month`` (the latest adjustment effective by then)."""
        return in_force(self.params_history, month)[1]

    def suspended_in(self, month: Month) -> bool:
        """Whether a suspension covers ``month``."""
        return any(start <= month and (end is None or month < end) for start, end in self.suspensions)

    @property
    def suspended_now(self) -> bool:
        """Whether the latest suspension is still open."""
        return bool(self.suspensions) and self.suspensions[-1][1] is None

    def stop_month(self, death_month: Month | None) -> Month | None:
        """The first month nothing is paid any more (the month after death, end or termination)."""
        stops = []
        if self.end is not None:
            stops.append(self.end.next())
        if self.last_month is not None:
            stops.append(self.last_month.next())
        if death_month is not None:
            stops.append(death_month.next())
        return min(stops) if stops else None

    @property
    def cancelled(self) -> bool:
        """Terminated before its first month: it never applied (a one-off so ended is not owed)."""
        return self.last_month is not None and self.last_month < self.start

    def in_period(self, month: Month, death_month: Month | None) -> bool:
        """Whether ``month`` lies between the start and the stop, not counting suspensions."""
        stop = self.stop_month(death_month)
        return self.start <= month and (stop is None or month < stop)


@dataclass
class Payment:
    """A payment recorded against an entitlement and period (lần chi trả)."""

    payment_id: str
    entitlement_id: str
    period: str
    amount: int
    paid_on: date
    channel: str
    reference: str
    reversed: bool = False

    def same_content(self, entitlement_id: str, period: str, amount: int, paid_on: date) -> bool:
        """Whether a retried request carries the same payment."""
        return (self.entitlement_id, self.period, self.amount, self.paid_on) == (
            entitlement_id,
            period,
            amount,
            paid_on,
        )


@dataclass
class Card:
    """A health-insurance card (thẻ BHYT)."""

    card_number: str
    valid_from: date
    valid_to: date | None
    revoked_on: date | None = None
    revoke_reason: str = ""

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_on is None

    @property
    def group(self) -> str:
        """The group code (CC, CK, TS, BT, HN, CN, TE)."""
        return self.card_number[:2]


@dataclass(frozen=True)
class DueItem:
    """What one entitlement owes for one period, against what was paid."""

    entitlement_id: str
    scheme: str
    period: str
    due: int
    paid: int
    components: tuple[Component, ...] = ()
    not_collected: bool = False
    withheld: int = 0  # deducted from this item to recover an overpayment (khấu trừ): not paid out

    @property
    def outstanding(self) -> int:
        """Still owed (0 when paid in full or overpaid); money withheld by a deduction is not owed."""
        return max(self.due - self.paid - self.withheld, 0)

    @property
    def excess(self) -> int:
        """Paid (or withheld by a deduction) beyond what is due: an overpayment. Money withheld from an
        item that is no longer owed (a death recorded later, a cancelled one-off) recovered nothing, so it
        counts again as overpaid."""
        return max(self.paid + self.withheld - self.due, 0)


def _validate_members(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput("members", "must be a list of {citizen_id, full_name, date_of_birth, relation}")
    members = []
    for i, raw in enumerate(value):
        where = f"members[{i}]"
        if not isinstance(raw, dict):
            raise InvalidInput(where, "must be an object {citizen_id, full_name, date_of_birth, relation}")
        dob = parse_date(raw["date_of_birth"], f"{where}.date_of_birth") if raw.get("date_of_birth") else None
        members.append(
            {
                "citizen_id": parse_citizen_id(
                    raw.get("citizen_id"), f"{where}.citizen_id", date_of_birth=dob
                ),
                "full_name": parse_text(raw.get("full_name"), f"{where}.full_name", max_length=200),
                "date_of_birth": dob.isoformat() if dob else None,
                "relation": parse_text(raw.get("relation", "member"), f"{where}.relation", max_length=50),
            }
        )
    return members


def _choice(field: str, allowed: tuple[str, ...]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if value not in allowed:
            raise InvalidInput(field, f"must be one of {', '.join(allowed)}, got {value!r}")
        return str(value)

    return parse


_CORRECTABLE: dict[str, Callable[[object], Any]] = {
    "full_name": lambda v: parse_text(v, "full_name", max_length=200),
    "date_of_birth": lambda v: parse_date(v, "date_of_birth").isoformat(),
    "sex": _choice("sex", ("male", "female")),
    "citizen_id": parse_citizen_id,
    "household_code": lambda v: parse_identifier(v, "household_code", max_length=50),
    "poverty_status": _choice("poverty_status", ("poor", "near_poor")),
    "members": _validate_members,
}


def _spoken(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


class Beneficiary(LedgerAggregate):
    """One beneficiary's stream: a person (NCC, BTXH) or a poor household with members."""

    # ----------------------------------------------------------------------------- events

    class BeneficiaryRegistered(LedgerAggregate.Created):
        """BeneficiaryRegistered — đăng ký đối tượng."""

        kind: str
        full_name: str
        citizen_id: str | None
        commune_code: str
        province_code: str
        date_of_birth: date | None
        sex: str | None
        household_code: str | None
        poverty_status: str | None
        members: list[dict[str, Any]]
        payment_channel: dict[str, str]

    class DetailsCorrected(LedgerAggregate.Event):
        """DetailsCorrected — đính chính thông tin."""

        changes: dict[str, Any]

        def apply(self, agg: Beneficiary) -> None:
            for key, value in self.changes.items():
                if key == "date_of_birth":
                    agg.date_of_birth = date.fromisoformat(value) if value else None
                else:
                    setattr(agg, key, value)

    class Relocated(LedgerAggregate.Event):
        """Relocated — chuyển nơi cư trú sang xã khác, từ một tháng."""

        commune_code: str
        province_code: str
        effective_from: str

        def apply(self, agg: Beneficiary) -> None:
            agg.communes.append((Month.parse(self.effective_from), self.commune_code, self.province_code))
            agg.communes.sort(key=lambda c: c[0])

    class PaymentChannelChanged(LedgerAggregate.Event):
        """PaymentChannelChanged — đổi hình thức chi trả (tiền mặt ⇄ tài khoản)."""

        payment_channel: dict[str, str]
        effective_from: str

        def apply(self, agg: Beneficiary) -> None:
            agg.channels.append((Month.parse(self.effective_from), dict(self.payment_channel)))
            agg.channels.sort(key=lambda c: c[0])

    class EntitlementGranted(LedgerAggregate.Event):
        """EntitlementGranted — quyết định hưởng chế độ."""

        entitlement_id: str
        scheme: str
        start_month: str
        end_month: str | None
        params: dict[str, Any]

        def apply(self, agg: Beneficiary) -> None:
            start = Month.parse(self.start_month)
            agg.entitlements[self.entitlement_id] = Entitlement(
                entitlement_id=self.entitlement_id,
                scheme_code=self.scheme,
                start=start,
                end=Month.parse(self.end_month) if self.end_month else None,
                basis=self.basis,
                granted_on=self.occurred_on,
                params_history=[(start, dict(self.params))],
            )

    class EntitlementAdjusted(LedgerAggregate.Event):
        """EntitlementAdjusted — điều chỉnh mức hưởng từ một tháng."""

        entitlement_id: str
        effective_from: str
        params: dict[str, Any]

        def apply(self, agg: Beneficiary) -> None:
            ent = agg.entitlements[self.entitlement_id]
            month = Month.parse(self.effective_from)
            ent.params_history = [p for p in ent.params_history if p[0] != month]
            ent.params_history.append((month, dict(self.params)))
            ent.params_history.sort(key=lambda p: p[0])

    class EntitlementSuspended(LedgerAggregate.Event):
        """EntitlementSuspended — tạm dừng chi trả."""

        entitlement_id: str
        effective_from: str

        def apply(self, agg: Beneficiary) -> None:
            agg.entitlements[self.entitlement_id].suspensions.append((Month.parse(self.effective_from), None))

    class EntitlementResumed(LedgerAggregate.Event):
        """EntitlementResumed — tiếp tục chi trả."""

        entitlement_id: str
        effective_from: str

        def apply(self, agg: Beneficiary) -> None:
            ent = agg.entitlements[self.entitlement_id]
            start, _ = ent.suspensions[-1]
            ent.suspensions[-1] = (start, Month.parse(self.effective_from))

    class EntitlementTerminated(LedgerAggregate.Event):
        """EntitlementTerminated — thôi hưởng; ``last_month`` is the last month paid."""

        entitlement_id: str
        last_month: str

        def apply(self, agg: Beneficiary) -> None:
            agg.entitlements[self.entitlement_id].last_month = Month.parse(self.last_month)

    class DeathRecorded(LedgerAggregate.Event):
        """DeathRecorded — báo tử; payment stops from the month after death."""

        date_of_death: date

        def apply(self, agg: Beneficiary) -> None:
            agg.date_of_death = self.date_of_death
            agg.death_recorded_on = self.timestamp.date()

    class PaymentRecorded(LedgerAggregate.Event):
        """PaymentRecorded — đã chi trả."""

        payment_id: str
        entitlement_id: str
        period: str
        amount: int
        paid_on: date
        channel: str
        reference: str

        def apply(self, agg: Beneficiary) -> None:
            agg.payments[self.payment_id] = Payment(
                payment_id=self.payment_id,
                entitlement_id=self.entitlement_id,
                period=self.period,
                amount=self.amount,
                paid_on=self.paid_on,
                channel=self.channel,
                reference=self.reference,
            )
            key = (self.entitlement_id, self.period)
            agg.paid[key] = agg.paid.get(key, 0) + self.amount

    class PaymentNotCollected(LedgerAggregate.Event):
        """PaymentNotCollected — đối tượng không đến nhận; carried over to the next roster."""

        entitlement_id: str
        period: str

        def apply(self, agg: Beneficiary) -> None:
            agg.not_collected.add((self.entitlement_id, self.period))

    class PaymentReversed(LedgerAggregate.Event):
        """PaymentReversed — hủy một lần chi trả ghi nhầm."""

        payment_id: str

        def apply(self, agg: Beneficiary) -> None:
            payment = agg.payments[self.payment_id]
            payment.reversed = True
            key = (payment.entitlement_id, payment.period)
            agg.paid[key] -= payment.amount

    class OverpaymentRecovered(LedgerAggregate.Event):
        """OverpaymentRecovered — thu hồi tiền chi sai (nộp tiền mặt hoặc khấu trừ)."""

        recovery_id: str
        amount: int
        method: str
        reference: str

        def apply(self, agg: Beneficiary) -> None:
            agg.recovered += -self.amount if self.method == REFUND else self.amount
            agg.recoveries.append(
                {
                    "recovery_id": self.recovery_id,
                    "amount": self.amount,
                    "method": self.method,
                    "reference": self.reference,
                    "recorded_on": self.occurred_on,
                }
            )

    class OverpaymentDeducted(LedgerAggregate.Event):
        """OverpaymentDeducted — thu hồi bằng khấu trừ: money withheld from an amount still owed to the
        beneficiary (an arrears month, a one-off such as the funeral allowance, a carried-over month) to
        repay an overpayment; that item is owed less by the same amount, so nothing is paid twice."""

        recovery_id: str
        amount: int
        entitlement_id: str
        period: str
        reference: str

        def apply(self, agg: Beneficiary) -> None:
            agg.recovered += self.amount
            key = (self.entitlement_id, self.period)
            agg.withheld[key] = agg.withheld.get(key, 0) + self.amount
            agg.recoveries.append(
                {
                    "recovery_id": self.recovery_id,
                    "amount": self.amount,
                    "method": "deduction",
                    "reference": self.reference,
                    "recorded_on": self.occurred_on,
                    "entitlement_id": self.entitlement_id,
                    "period": self.period,
                }
            )

    class HealthInsuranceCardIssued(LedgerAggregate.Event):
        """HealthInsuranceCardIssued — cấp thẻ BHYT."""

        card_number: str
        valid_from: date
        valid_to: date | None

        def apply(self, agg: Beneficiary) -> None:
            agg.cards[self.card_number] = Card(self.card_number, self.valid_from, self.valid_to)

    class HealthInsuranceCardRenewed(LedgerAggregate.Event):
        """HealthInsuranceCardRenewed — gia hạn thẻ BHYT."""

        card_number: str
        valid_to: date

        def apply(self, agg: Beneficiary) -> None:
            agg.cards[self.card_number].valid_to = self.valid_to

    class HealthInsuranceCardRevoked(LedgerAggregate.Event):
        """HealthInsuranceCardRevoked — thu hồi / chấm dứt thẻ BHYT."""

        card_number: str
        effective_on: date

        def apply(self, agg: Beneficiary) -> None:
            card = agg.cards[self.card_number]
            card.revoked_on = self.effective_on
            card.revoke_reason = self.reason

    # ----------------------------------------------------------------------------- state

    def __init__(
        self,
        kind: str,
        full_name: str,
        citizen_id: str | None,
        commune_code: str,
        province_code: str,
        date_of_birth: date | None,
        sex: str | None,
        household_code: str | None,
        poverty_status: str | None,
        members: list[dict[str, Any]],
        payment_channel: dict[str, str],
    ) -> None:
        self.kind = kind
        self.full_name = full_name
        self.citizen_id = citizen_id
        self.date_of_birth = date_of_birth
        self.sex = sex
        self.household_code = household_code
        self.poverty_status = poverty_status
        self.members = list(members)
        first = Month(1945, 1)
        self.communes: list[tuple[Month, str, str]] = [(first, commune_code, province_code)]
        self.channels: list[tuple[Month, dict[str, str]]] = [(first, dict(payment_channel))]
        self.entitlements: dict[str, Entitlement] = {}
        self.payments: dict[str, Payment] = {}
        self.paid: dict[tuple[str, str], int] = {}
        self.not_collected: set[tuple[str, str]] = set()
        self.recovered = 0
        self.recoveries: list[dict[str, Any]] = []
        self.withheld: dict[tuple[str, str], int] = {}
        self.cards: dict[str, Card] = {}
        self.date_of_death: date | None = None
        self.death_recorded_on: date | None = None

    @classmethod
    def register(
        cls,
        ctx: RecordContext,
        *,
        beneficiary_id: UUID,
        kind: object,
        full_name: object,
        commune_code: object,
        province_code: str,
        citizen_id: object = None,
        date_of_birth: object = None,
        sex: object = None,
        household_code: object = None,
        poverty_status: object = None,
        members: object = None,
        payment_channel: object = None,
    ) -> Beneficiary:
        """Register a beneficiary (đăng ký đối tượng), validating every field."""
        if kind not in KINDS:
            raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
        name = parse_text(full_name, "full_name", max_length=200)
        commune = parse_commune_code(commune_code)
        dob = parse_date(date_of_birth, "date_of_birth") if date_of_birth is not None else None
        if dob is not None and dob > ctx.recorded_at.date():
            raise InvalidInput("date_of_birth", "must not be in the future")
        if sex is not None and sex not in {"male", "female"}:
            raise InvalidInput("sex", f"must be 'male' or 'female', got {sex!r}")
        cid: str | None = None
        if citizen_id is not None or kind != "poor_household":
            if citizen_id is None:
                raise InvalidInput("citizen_id", f"is required for kind {kind}")
            cid = parse_citizen_id(citizen_id, date_of_birth=dob, sex=sex if isinstance(sex, str) else None)
        hh_code: str | None = None
        status: str | None = None
        if kind == "poor_household":
            hh_code = parse_identifier(household_code, "household_code", max_length=50)
            if poverty_status not in {"poor", "near_poor"}:
                raise InvalidInput("poverty_status", f"must be 'poor' or 'near_poor', got {poverty_status!r}")
            status = str(poverty_status)
        elif household_code is not None or poverty_status is not None:
            field_name = "household_code" if household_code is not None else "poverty_status"
            raise InvalidInput(field_name, "applies only to kind poor_household")
        return cls._create(
            cls.BeneficiaryRegistered,
            id=beneficiary_id,
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.recorded_at.date(),
            reason=ctx.reason,
            kind=kind,
            full_name=name,
            citizen_id=cid,
            commune_code=commune,
            province_code=province_code,
            date_of_birth=dob,
            sex=sex,
            household_code=hh_code,
            poverty_status=status,
            members=_validate_members(members),
            payment_channel=parse_payment_channel(payment_channel),
        )

    # ----------------------------------------------------------------------------- queries

    @property
    def death_month(self) -> Month | None:
        """The month of death, if recorded."""
        return Month.of(self.date_of_death) if self.date_of_death else None

    @property
    def commune_code(self) -> str:
        """The commune the beneficiary lives in now (the latest relocation)."""
        return self.communes[-1][1]

    @property
    def province_code(self) -> str:
        """The province of the current commune."""
        return self.communes[-1][2]

    def commune_at(self, month: Month) -> tuple[str, str]:
        """``(commune_code, province_code)`` in force in ``month``."""
        _, commune, province = in_force(self.communes, month)
        return commune, province

    @property
    def payment_channel(self) -> dict[str, str]:
        """The latest payment channel."""
        return self.channels[-1][1]

    def channel_at(self, month: Month) -> dict[str, str]:
        """The payment channel in force in ``month``."""
        return in_force(self.channels, month)[1]

    def status(self, month: Month) -> str:
        """``active`` | ``suspended`` | ``terminated`` | ``deceased`` as of ``month``."""
        if self.date_of_death is not None:
            return "deceased"
        monthly = [e for e in self.entitlements.values() if e.scheme.monthly]
        if not monthly:
            return "active"
        running = [e for e in monthly if e.stop_month(None) is None or month < (e.stop_month(None) or month)]
        if not running:
            return "terminated"
        if all(e.suspended_in(month) or e.suspended_now for e in running):
            return "suspended"
        return "active"

    def entitlement(self, entitlement_id: object) -> Entitlement:
        """The entitlement or :class:`NotFound`."""
        ent = self.entitlements.get(str(entitlement_id))
        if ent is None:
            msg = f"entitlement {entitlement_id} not found for beneficiary {self.id}"
            raise NotFound(msg)
        return ent

    def _selected_highest(self, month: Month) -> str | None:
        """Of the ``highest`` schemes running in ``month``, the one paid (highest coefficient, oldest)."""
        best: tuple[Any, int, str] | None = None
        for order, ent in enumerate(self.entitlements.values()):
            scheme = ent.scheme
            if scheme.combine != "highest" or not self._running(ent, month):
                continue
            key = (scheme_coefficient(scheme, ent.params_for(month)), -order, ent.entitlement_id)
            if best is None or key[:2] > best[:2]:
                best = key
        return best[2] if best else None

    def _running(self, ent: Entitlement, month: Month) -> bool:
        if not ent.in_period(month, self.death_month) or ent.suspended_in(month):
            return False
        if ent.scheme.frequency == "quarterly":
            return month.month in {1, 4, 7, 10} or month == ent.start
        return True

    def due_components(self, entitlement_id: str, period: str, rates: RateBook) -> tuple[Component, ...]:
        """What ``entitlement_id`` owes for ``period`` with the rates in ``rates`` (empty if nothing)."""
        ent = self.entitlement(entitlement_id)
        scheme = ent.scheme
        if not scheme.monthly:
            if period != ONE_OFF or ent.cancelled:
                return ()
            _, province = self.commune_at(ent.start)
            return tuple(
                scheme_components(
                    scheme, ent.params_for(ent.start), ent.start, rates, province, self.death_month
                )
            )
        if period == ONE_OFF:
            return ()
        month = Month.parse(period)
        if not self._running(ent, month):
            return ()
        if scheme.combine == "highest" and self._selected_highest(month) != ent.entitlement_id:
            return ()
        _, province = self.commune_at(month)
        return tuple(scheme_components(scheme, ent.params_for(month), month, rates, province))

    def due_amount(self, entitlement_id: str, period: str, rates: RateBook) -> int:
        """Total due for one entitlement-period."""
        return sum(c.amount for c in self.due_components(entitlement_id, period, rates))

    def due_item(self, entitlement_id: str, period: str, rates: RateBook) -> DueItem:
        """Due, paid and not-collected state of one entitlement-period."""
        components = self.due_components(entitlement_id, period, rates)
        return DueItem(
            entitlement_id=entitlement_id,
            scheme=self.entitlements[entitlement_id].scheme_code,
            period=period,
            due=sum(c.amount for c in components),
            paid=self.paid.get((entitlement_id, period), 0),
            components=components,
            not_collected=(entitlement_id, period) in self.not_collected,
            withheld=self.withheld.get((entitlement_id, period), 0),
        )

    def periods(self, until: Month) -> Iterable[tuple[str, str]]:
        """Every (entitlement, period) that is or was payable up to ``until``, plus every paid one."""
        keys: set[tuple[str, str]] = {k for k, v in self.paid.items() if v} | set(self.withheld)
        for ent in self.entitlements.values():
            if not ent.scheme.monthly:
                if ent.start <= until:
                    keys.add((ent.entitlement_id, ONE_OFF))
                continue
            month = ent.start
            stop = ent.stop_month(self.death_month)
            while month <= until and (stop is None or month < stop):
                keys.add((ent.entitlement_id, str(month)))
                month = month.next()
        return sorted(keys)

    def ledger_items(self, until: Month, rates: RateBook) -> list[DueItem]:
        """Due against paid for every entitlement-period up to ``until`` (and every paid period)."""
        return [self.due_item(eid, period, rates) for eid, period in self.periods(until)]

    def computable_items(self, until: Month, rates: RateBook) -> tuple[list[DueItem], dict[str, str]]:
        """:meth:`ledger_items`, leaving out the items no rate in force can compute (e.g. a standard with no
        edition of the NCC tables), with the reason per entitlement — so that one person's missing rate
        never stops a roster: their line lists what can be computed and the problem is named."""
        items: list[DueItem] = []
        problems: dict[str, str] = {}
        for eid, period in self.periods(until):
            try:
                items.append(self.due_item(eid, period, rates))
            except RateMissing as error:
                problems.setdefault(eid, error.message)
        return items, problems

    def overpayments(self, rates: RateBook) -> list[DueItem]:
        """Entitlement-periods paid beyond what is due — e.g. months paid after a late-recorded death."""
        keys = {k for k, v in self.paid.items() if v} | set(self.withheld)
        return [item for key in sorted(keys) if (item := self.due_item(key[0], key[1], rates)).excess > 0]

    def overpayment_outstanding(self, rates: RateBook) -> int:
        """Overpaid minus recovered, when positive (số tiền chi sai còn phải thu hồi)."""
        return max(sum(i.excess for i in self.overpayments(rates)) - self.recovered, 0)

    def recovery_credit(self, rates: RateBook) -> int:
        """Recovered beyond what is (now) overpaid, to be paid back — e.g. after a payment reversal or a
        decree that restored a standard: hoàn trả số đã thu hồi thừa."""
        return max(self.recovered - sum(i.excess for i in self.overpayments(rates)), 0)

    def arrears(self, before: Month, rates: RateBook) -> list[DueItem]:
        """Past periods (before ``before``) still owed and not carried over as uncollected: truy lĩnh."""
        return [
            i
            for i in self.ledger_items(before.previous(), rates)
            if i.outstanding > 0 and not (i.not_collected and i.paid == 0)
        ]

    def carried_over(self, before: Month, rates: RateBook) -> list[DueItem]:
        """Past periods recorded as not collected and still unpaid: carried to the next roster."""
        return [
            i
            for i in self.ledger_items(before.previous(), rates)
            if i.not_collected and i.paid == 0 and i.outstanding > 0
        ]

    def uncollected_periods(self) -> list[str]:
        """Months recorded as not collected and not paid since."""
        return sorted(
            {p for (eid, p) in self.not_collected if p != ONE_OFF and not self.paid.get((eid, p), 0)}
        )

    @property
    def is_suspension_candidate(self) -> bool:
        """Three consecutive months not collected (TT 02/2021): đề nghị tạm dừng."""
        months = sorted({Month.parse(p).ordinal for p in self.uncollected_periods()})
        run = 1
        for a, b in itertools.pairwise(months):
            run = run + 1 if b == a + 1 else 1
            if run >= SUSPENSION_RUN:
                return True
        return len(months) >= SUSPENSION_RUN and run >= SUSPENSION_RUN

    def payments_after_death(self) -> list[Payment]:
        """Payments for periods after the month of death (chi sau khi chết)."""
        death = self.death_month
        if death is None:
            return []
        return [
            p
            for p in self.payments.values()
            if not p.reversed and p.period != ONE_OFF and Month.parse(p.period) > death
        ]

    # ----------------------------------------------------------------------------- commands

    def _require_alive(self, what: str) -> None:
        if self.date_of_death is not None:
            msg = f"{what}: the beneficiary died on {self.date_of_death.isoformat()}"
            raise Conflict(msg)

    def correct_details(self, ctx: RecordContext, changes: dict[str, Any]) -> dict[str, Any]:
        """Correct registered details (đính chính): name, date of birth, sex, citizen ID, household data."""
        if not changes:
            raise InvalidInput("changes", "name at least one field to correct")
        out: dict[str, Any] = {}
        for key, value in changes.items():
            parser = _CORRECTABLE.get(key)
            if parser is None:
                raise InvalidInput(key, "cannot be corrected this way")
            out[key] = parser(value)
        # The citizen ID encodes the birth year and sex: after the correction they must still agree.
        cid = out.get("citizen_id", self.citizen_id)
        if cid and {"citizen_id", "date_of_birth", "sex"} & out.keys():
            dob = date.fromisoformat(out["date_of_birth"]) if "date_of_birth" in out else self.date_of_birth
            named = "citizen_id" if "citizen_id" in out else None
            parse_citizen_id(cid, named or "date_of_birth", date_of_birth=dob)
            parse_citizen_id(cid, named or "sex", sex=out.get("sex", self.sex))
        if not ctx.reason:
            raise InvalidInput("reason", "a correction needs a reason")
        self.record(self.DetailsCorrected, ctx, changes=out)
        return out

    def relocate(
        self, ctx: RecordContext, commune_code: object, province_code: str, effective_from: object
    ) -> None:
        """Move to another commune from a month (chuyển xã)."""
        self._require_alive("relocation")
        commune = parse_commune_code(commune_code)
        month = Month.parse(effective_from, "effective_from")
        if commune == self.commune_at(month)[0]:
            raise Conflict(f"the beneficiary already lives in commune {commune} in {month}", "commune_code")
        self.record(
            self.Relocated, ctx, commune_code=commune, province_code=province_code, effective_from=str(month)
        )

    def change_payment_channel(
        self, ctx: RecordContext, payment_channel: object, effective_from: object
    ) -> None:
        """Switch between cash at the post office and a bank account (đổi hình thức nhận)."""
        channel = parse_payment_channel(payment_channel)
        month = Month.parse(effective_from, "effective_from")
        if channel == self.channel_at(month):
            raise Conflict("the payment channel is already the one given", "payment_channel")
        self.record(self.PaymentChannelChanged, ctx, payment_channel=channel, effective_from=str(month))

    def grant_entitlement(
        self,
        ctx: RecordContext,
        *,
        scheme: object,
        effective_from: object,
        basis: object,
        params: object = None,
        end_month: object = None,
        rates: RateBook,
    ) -> Entitlement:
        """Grant a scheme by decision (quyết định hưởng). Returns the new entitlement.

        Social assistance starts in the month the decision is signed (not before ``effective_from``;
        for the 80+ group not before the month the person turns 80); NCC from ``effective_from``.
        """
        sch = get_scheme(scheme)
        if not sch.applies_to(self.kind):
            raise InvalidInput("scheme", f"scheme {sch.code} is not for a {self.kind} beneficiary")
        start = Month.parse(effective_from, "effective_from")
        legal = parse_basis(basis)
        checked = validate_params(sch, params)
        if sch.kind == "social_assistance" and sch.monthly:
            signed = basis_date(legal)
            if signed is not None:
                start = max(start, Month.of(signed))
            if sch.code == ELDERLY_80 and self.date_of_birth is not None:
                dob = self.date_of_birth
                start = max(start, Month(dob.year + 80, dob.month))
        end = Month.parse(end_month, "end_month") if end_month is not None else None
        if end is not None and end < start:
            raise InvalidInput("end_month", f"must not be before the start month {start}")
        if sch.rule == "funeral" and self.date_of_death is None:
            raise Conflict("a funeral allowance needs the death to be recorded first", "scheme")
        if sch.monthly:
            self._require_alive("grant of a monthly scheme")
        self._check_first_payable_month(start, legal, effective_from)
        self._check_held_once(sch, start, end, checked)
        self._check_requirement(sch, start)
        entitlement_id = str(uuid5(NAMESPACE_ENTITLEMENT, f"{self.id}:{len(self.entitlements) + 1}"))
        ent = Entitlement(entitlement_id, sch.code, start, end, legal, None, [(start, checked)])
        # Evaluate once so that a rule that cannot be computed (no rate in force) is refused now.
        _, province = self.commune_at(start)
        scheme_components(sch, checked, start, rates, province, self.death_month)
        self.record(
            self.EntitlementGranted,
            ctx,
            basis=legal,
            occurred_on=basis_date(legal) or ctx.recorded_at.date(),
            entitlement_id=entitlement_id,
            scheme=sch.code,
            start_month=str(start),
            end_month=str(end) if end else None,
            params=checked,
        )
        return self.entitlements[ent.entitlement_id]

    MAX_MONTHS_AFTER_DECISION = 12

    def _check_first_payable_month(self, start: Month, legal: dict[str, str] | None, asked: object) -> None:
        """A grant whose first payable month the ledger's own rules put more than 12 months after its
        decision is refused: it is a mistake (a person of 70 granted the 80+ scheme would silently start
        at 80). A month the officer names is kept as asked: moving a province's old decisions onto the
        ledger grants them from the ledger's first month, years after they were signed."""
        signed = basis_date(legal)
        if signed is None or str(Month.parse(asked, "effective_from")) == str(start):
            return
        decided = Month.of(signed)
        if start.ordinal - decided.ordinal > self.MAX_MONTHS_AFTER_DECISION:
            msg = (
                f"the first payable month would be {start} (the person turns 80 then), more than "
                f"{self.MAX_MONTHS_AFTER_DECISION} months after the decision of {signed.isoformat()}; "
                "grant it when it applies"
            )
            raise InvalidInput("effective_from", msg)

    def _check_held_once(self, sch: Scheme, start: Month, end: Month | None, params: dict[str, Any]) -> None:
        """Never twice per person (schemes.csv ``once_per``): one running entitlement of a monthly scheme
        at a time; a one-off once in its scope (a lifetime, a year, a year and occasion and source)."""
        others = [e for e in self.entitlements.values() if e.scheme_code == sch.code and not e.cancelled]
        scope = sch.scope_of(start, params)
        for other in others:
            if scope is None:
                other_stop = other.stop_month(self.death_month)
                overlaps = (end is None or other.start <= end) and (other_stop is None or start < other_stop)
                if overlaps:
                    msg = (
                        f"{sch.code} is already running for this person from {other.start} (entitlement "
                        f"{other.entitlement_id}): adjust that entitlement instead"
                    )
                    raise Conflict(msg, "scheme")
            elif sch.scope_of(other.start, other.params_for(other.start)) == scope:
                where = f" ({', '.join(f'{k} {v}' for k, v in zip(sch.once_per, scope, strict=False))})"
                msg = (
                    f"{sch.code} is already granted to this person{where if scope else ''} "
                    f"(entitlement {other.entitlement_id}, from {other.start}); it is held "
                    f"once per {_spoken(sch.once_per)}"
                )
                raise Conflict(msg, "scheme")

    def _check_requirement(self, sch: Scheme, start: Month) -> None:
        """Who may hold the scheme (schemes.csv ``requires``), e.g. holiday meal money only for an invalid
        or a sick soldier from 81%."""
        need = sch.requirement()
        if need is None:
            return
        schemes, parameter, minimum = need
        for ent in self.entitlements.values():
            if ent.scheme_code in schemes and self._running(ent, start):
                value = ent.params_for(start).get(parameter, 0) if parameter else minimum
                if isinstance(value, int) and value >= minimum:
                    return
        condition = f" with {parameter} ≥ {minimum}" if parameter else ""
        msg = f"{sch.code} is only for a person holding {' or '.join(schemes)}{condition} in {start}"
        raise Conflict(msg, "scheme")

    def adjust_entitlement(
        self,
        ctx: RecordContext,
        entitlement_id: object,
        *,
        effective_from: object,
        params: object,
        basis: object,
        rates: RateBook,
    ) -> None:
        """Change an entitlement's parameters from a month (điều chỉnh); past months produce arrears."""
        ent = self.entitlement(entitlement_id)
        month = Month.parse(effective_from, "effective_from")
        legal = parse_basis(basis)
        if not ent.scheme.monthly:
            raise Conflict("a one-off entitlement cannot be adjusted", "entitlement_id")
        if month < ent.start:
            raise InvalidInput("effective_from", f"must not be before the entitlement's start {ent.start}")
        stop = ent.stop_month(self.death_month)
        if stop is not None and month >= stop:
            raise Conflict(f"the entitlement stopped from {stop}", "effective_from")
        checked = validate_params(ent.scheme, params)
        scheme_components(ent.scheme, checked, month, rates, self.commune_at(month)[1])
        self.record(
            self.EntitlementAdjusted,
            ctx,
            basis=legal,
            occurred_on=basis_date(legal),
            entitlement_id=ent.entitlement_id,
            effective_from=str(month),
            params=checked,
        )

    def suspend_entitlement(
        self, ctx: RecordContext, entitlement_id: object, *, effective_from: object, basis: object = None
    ) -> None:
        """Suspend payment from a month (tạm dừng)."""
        ent = self.entitlement(entitlement_id)
        month = Month.parse(effective_from, "effective_from")
        legal = parse_basis(basis, required=False)
        if not ent.scheme.monthly:
            raise Conflict("a one-off entitlement cannot be suspended", "entitlement_id")
        if ent.suspended_now:
            raise Conflict("the entitlement is already suspended", "entitlement_id")
        if not ent.in_period(month, self.death_month):
            raise Conflict(f"the entitlement is not running in {month}", "effective_from")
        if (
            ent.suspensions
            and ent.suspensions[-1][1] is not None
            and month < (ent.suspensions[-1][1] or month)
        ):
            raise InvalidInput("effective_from", "must not be before the last resumption")
        self.record(
            self.EntitlementSuspended,
            ctx,
            basis=legal,
            entitlement_id=ent.entitlement_id,
            effective_from=str(month),
        )

    def resume_entitlement(
        self, ctx: RecordContext, entitlement_id: object, *, effective_from: object, basis: object = None
    ) -> None:
        """Resume payment from a month (tiếp tục chi trả)."""
        ent = self.entitlement(entitlement_id)
        month = Month.parse(effective_from, "effective_from")
        legal = parse_basis(basis, required=False)
        if not ent.suspended_now:
            raise Conflict("the entitlement is not suspended", "entitlement_id")
        self._require_alive("resumption")
        if month <= ent.suspensions[-1][0]:
            raise InvalidInput(
                "effective_from", f"must be after the suspension month {ent.suspensions[-1][0]}"
            )
        self.record(
            self.EntitlementResumed,
            ctx,
            basis=legal,
            entitlement_id=ent.entitlement_id,
            effective_from=str(month),
        )

    def terminate_entitlement(
        self, ctx: RecordContext, entitlement_id: object, *, last_month: object, basis: object
    ) -> None:
        """Stop an entitlement after ``last_month`` (thôi hưởng). Months paid after it become overpayments."""
        ent = self.entitlement(entitlement_id)
        month = Month.parse(last_month, "last_month")
        legal = parse_basis(basis)
        if ent.last_month is not None:
            raise Conflict(f"the entitlement was already terminated after {ent.last_month}", "entitlement_id")
        if month < ent.start.previous():
            raise InvalidInput(
                "last_month", f"must not be before {ent.start.previous()} (the start is {ent.start})"
            )
        self.record(
            self.EntitlementTerminated,
            ctx,
            basis=legal,
            occurred_on=basis_date(legal),
            entitlement_id=ent.entitlement_id,
            last_month=str(month),
        )

    def record_death(self, ctx: RecordContext, *, date_of_death: object, basis: object = None) -> None:
        """Record a death (báo tử): payments stop from the next month; open cards end on the date of death."""
        died = parse_date(date_of_death, "date_of_death")
        legal = parse_basis(basis, required=False)
        self._require_alive("death")
        if died > ctx.recorded_at.date():
            raise InvalidInput("date_of_death", "must not be in the future")
        if self.date_of_birth is not None and died < self.date_of_birth:
            raise InvalidInput("date_of_death", "must not be before the date of birth")
        self.record(self.DeathRecorded, ctx, basis=legal, occurred_on=died, date_of_death=died)
        for card in list(self.cards.values()):
            if card.active:
                self.record(
                    self.HealthInsuranceCardRevoked,
                    ctx,
                    reason="death",
                    occurred_on=died,
                    card_number=card.card_number,
                    effective_on=died,
                )

    def record_payment(
        self,
        ctx: RecordContext,
        *,
        payment_id: object,
        entitlement_id: object,
        period: object,
        amount: object,
        paid_on: object,
        rates: RateBook,
        channel: object = None,
        reference: object = None,
        exact: bool = False,
    ) -> bool:
        """Record a disbursement (chi trả). Returns False when it is a retry of the same payment.

        Refused: a payment for a period with nothing due (before the start, after the stop, suspended,
        not the highest coefficient), for a period already paid in full, or above what is owed; with
        ``exact`` (a payer's confirmation file), any amount but exactly what is owed.
        """
        pid = parse_identifier(payment_id, "payment_id", max_length=100)
        ent = self.entitlement(entitlement_id)
        key = self._period_key(ent, period)
        value = parse_amount(amount, "amount", positive=True)
        day = parse_date(paid_on, "paid_on")
        existing = self.payments.get(pid)
        if existing is not None:
            if existing.same_content(ent.entitlement_id, key, value, day):
                return False
            msg = f"payment_id {pid} was already used for another payment"
            raise Conflict(msg, "payment_id")
        if day > ctx.recorded_at.date():
            raise InvalidInput("paid_on", "must not be in the future")
        month = ent.start if key == ONE_OFF else Month.parse(key)
        how = channel if channel is not None else self.channel_at(month)["type"]  # the channel of its month
        if how not in {"cash", "bank"}:
            raise InvalidInput("channel", f"must be 'cash' or 'bank', got {channel!r}")
        item = self.due_item(ent.entitlement_id, key, rates)
        if item.due == 0:
            msg = f"nothing is due for {ent.scheme_code} in {key}: {self._why_not_due(ent, key)}"
            raise Conflict(msg, "period")
        if item.outstanding == 0:
            msg = f"{ent.scheme_code} for {key} is already paid ({item.paid:,} of {item.due:,} đồng)"
            raise Conflict(msg, "period")
        if exact and value != item.outstanding:
            msg = f"is {value:,} but {item.outstanding:,} đồng is due (flag partial payments)"
            raise InvalidInput("amount", msg)
        if value > item.outstanding:
            msg = f"amount {value:,} exceeds what is owed for {key} ({item.outstanding:,} đồng)"
            raise Conflict(msg, "amount")
        self.record(
            self.PaymentRecorded,
            ctx,
            occurred_on=day,
            payment_id=pid,
            entitlement_id=ent.entitlement_id,
            period=key,
            amount=value,
            paid_on=day,
            channel=str(how),
            reference=parse_text(reference, "reference", max_length=200, required=False),
        )
        return True

    @staticmethod
    def _period_key(ent: Entitlement, period: object) -> str:
        """The payment key of ``period`` for this entitlement (``once`` for a one-off)."""
        if ent.scheme.monthly:
            if period is None:
                raise InvalidInput("period", f"is required for the monthly scheme {ent.scheme_code}")
            return str(Month.parse(period, "period"))
        if period is not None and Month.parse(period, "period") != ent.start:
            raise InvalidInput("period", "must be omitted for a one-off entitlement")
        return ONE_OFF

    def _why_not_due(self, ent: Entitlement, period: str) -> str:
        if period == ONE_OFF:
            return "not a payable one-off"
        month = Month.parse(period)
        stop = ent.stop_month(self.death_month)
        if month < ent.start:
            return f"the entitlement starts in {ent.start}"
        if stop is not None and month >= stop:
            return f"payment stopped from {stop}"
        if ent.suspended_in(month):
            return "the entitlement is suspended"
        if ent.scheme.combine == "highest":
            return "another social-assistance group with a higher coefficient is paid instead"
        return "not a payment month of this scheme"

    def record_not_collected(
        self, ctx: RecordContext, *, entitlement_id: object, period: object, rates: RateBook
    ) -> None:
        """The beneficiary did not come to collect (không nhận): carried over to the next roster."""
        ent = self.entitlement(entitlement_id)
        key = str(Month.parse(period, "period")) if ent.scheme.monthly else ONE_OFF
        item = self.due_item(ent.entitlement_id, key, rates)
        if item.due == 0:
            raise Conflict(f"nothing is due for {ent.scheme_code} in {key}", "period")
        if item.paid > 0:
            raise Conflict(f"{ent.scheme_code} for {key} was paid", "period")
        if item.not_collected:
            raise Conflict(f"{ent.scheme_code} for {key} is already recorded as not collected", "period")
        self.record(self.PaymentNotCollected, ctx, entitlement_id=ent.entitlement_id, period=key)

    def reverse_payment(self, ctx: RecordContext, payment_id: str) -> Payment:
        """Reverse a payment recorded by mistake (hủy chi trả).

        If money was already recovered against the overpayment this payment made, the excess becomes a
        recovery credit to pay back (:meth:`recovery_credit`).
        """
        payment = self.payments.get(payment_id)
        if payment is None:
            raise NotFound(f"payment {payment_id} not found")
        if payment.reversed:
            raise Conflict(f"payment {payment_id} is already reversed", "payment_id")
        if not ctx.reason:
            raise InvalidInput("reason", "a reversal needs a reason")
        self.record(self.PaymentReversed, ctx, payment_id=payment_id)
        return payment

    def record_recovery(
        self,
        ctx: RecordContext,
        *,
        amount: object,
        method: object,
        rates: RateBook,
        reference: object = None,
        month: Month | None = None,
        entitlement_id: object = None,
        period: object = None,
    ) -> dict[str, Any]:
        """Record money recovered against an overpayment (thu hồi), in cash or by deduction; or, with
        method ``refund``, recovered money paid back because it is no longer owed (hoàn trả).

        A deduction withholds the amount from one payable item of this beneficiary (named by
        ``entitlement_id`` and ``period``, or the first payable item up to ``month`` that covers it): that
        item is owed less by the same amount, so what the family receives is the same before and after
        the deduction is recorded. With nothing payable to withhold from it is refused."""
        value = parse_amount(amount, "amount", positive=True)
        if method not in RECOVERY_METHODS:
            raise InvalidInput("method", f"must be one of {', '.join(RECOVERY_METHODS)}, got {method!r}")
        if method != "deduction" and (entitlement_id is not None or period is not None):
            field_name = "entitlement_id" if entitlement_id is not None else "period"
            raise InvalidInput(
                field_name, "names the item a deduction is withheld from: method deduction only"
            )
        if method == REFUND:
            credit = self.recovery_credit(rates)
            if value > credit:
                raise Conflict(
                    f"amount {value:,} exceeds the recovery credit to pay back ({credit:,} đồng)", "amount"
                )
        else:
            outstanding = self.overpayment_outstanding(rates)
            if outstanding <= 0:
                raise Conflict("there is no overpayment outstanding to recover", "amount")
            if value > outstanding:
                raise Conflict(
                    f"amount {value:,} exceeds the overpayment outstanding ({outstanding:,} đồng)", "amount"
                )
        recovery_id = f"R{len(self.recoveries) + 1}"
        text = parse_text(reference, "reference", max_length=200, required=False)
        if method == "deduction":
            item = self._item_to_withhold_from(value, rates, month, entitlement_id, period)
            self.record(
                self.OverpaymentDeducted,
                ctx,
                recovery_id=recovery_id,
                amount=value,
                entitlement_id=item.entitlement_id,
                period=item.period,
                reference=text,
            )
            withheld_from = {
                "entitlement_id": item.entitlement_id,
                "scheme": item.scheme,
                "period": None if item.period == ONE_OFF else item.period,
                "still_owed": item.outstanding - value,
            }
            return {"recovery_id": recovery_id, "withheld_from": withheld_from}
        self.record(
            self.OverpaymentRecovered,
            ctx,
            recovery_id=recovery_id,
            amount=value,
            method=str(method),
            reference=text,
        )
        return {"recovery_id": recovery_id}

    def _item_to_withhold_from(
        self, value: int, rates: RateBook, month: Month | None, entitlement_id: object, period: object
    ) -> DueItem:
        """The payable item a deduction of ``value`` is withheld from (named, or the first that covers it)."""
        if entitlement_id is not None:
            ent = self.entitlement(entitlement_id)
            key = self._period_key(ent, period)
            item = self.due_item(ent.entitlement_id, key, rates)
            if item.outstanding < value:
                owed = f"still owes {item.outstanding:,} đồng" if item.outstanding else "owes nothing"
                raise Conflict(
                    f"{ent.scheme_code} {key} {owed}: {value:,} cannot be withheld from it", "amount"
                )
            return item
        if period is not None:
            raise InvalidInput("entitlement_id", "is required with period")
        until = month or max((e.start for e in self.entitlements.values()), default=Month(2000, 1))
        payable = [i for i in self.ledger_items(until, rates) if i.outstanding > 0]
        for item in payable:
            if item.outstanding >= value:
                return item
        if not payable:
            raise Conflict("nothing is owed to this beneficiary to withhold a deduction from", "method")
        largest = max(i.outstanding for i in payable)
        msg = (
            f"no single amount owed covers {value:,} đồng (the largest is {largest:,}): deduct less, or "
            "recover the rest in cash"
        )
        raise Conflict(msg, "amount")

    def issue_card(
        self, ctx: RecordContext, *, card_number: object, valid_from: object, valid_to: object = None
    ) -> str:
        """Issue a health-insurance card (cấp thẻ BHYT)."""
        number = parse_card_number(card_number)
        start = parse_date(valid_from, "valid_from")
        end = parse_date(valid_to, "valid_to") if valid_to is not None else None
        if end is not None and end < start:
            raise InvalidInput("valid_to", "must not be before valid_from")
        self._require_alive("card")
        allowed = self.card_groups_allowed(start)
        if card_group(number) not in allowed:
            group = card_group(number)
            msg = (
                f"group {group} ({BHYT_GROUPS[group]}) is not for this beneficiary: a {self.kind} "
                f"beneficiary holds {' or '.join(allowed) or 'no card group'}"
            )
            raise InvalidInput("card_number", msg)
        card = self.cards.get(number)
        if card is not None and card.active:
            raise Conflict(f"card {number} is already in use by this beneficiary", "card_number")
        self.record(
            self.HealthInsuranceCardIssued,
            ctx,
            occurred_on=start,
            card_number=number,
            valid_from=start,
            valid_to=end,
        )
        return number

    def card_groups_allowed(self, on: date) -> tuple[str, ...]:
        """The card groups this beneficiary may hold on ``on`` (DESIGN §3 rule 8): by kind, a household
        by its poverty status, and ``TE`` for a child under 6."""
        groups = list(CARD_GROUPS_BY_KIND.get(self.kind, ()))
        if self.kind == "poor_household" and self.poverty_status in CARD_GROUP_BY_POVERTY:
            groups.append(CARD_GROUP_BY_POVERTY[self.poverty_status])
        dob = self.date_of_birth
        age = None if dob is None else on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
        if age is not None and age < CHILD_CARD_AGE:
            groups.append(CHILD_CARD_GROUP)
        return tuple(groups)

    def _active_card(self, card_number: object) -> Card:
        number = parse_card_number(card_number)
        card = self.cards.get(number)
        if card is None:
            raise NotFound(f"card {number} not found for beneficiary {self.id}")
        if not card.active:
            raise Conflict(f"card {number} was revoked on {card.revoked_on}", "card_number")
        return card

    def renew_card(self, ctx: RecordContext, card_number: object, *, valid_to: object) -> None:
        """Extend a card's validity (gia hạn)."""
        card = self._active_card(card_number)
        end = parse_date(valid_to, "valid_to")
        if card.valid_to is not None and end <= card.valid_to:
            raise InvalidInput("valid_to", f"must be after the current end {card.valid_to.isoformat()}")
        if end < card.valid_from:
            raise InvalidInput("valid_to", "must not be before valid_from")
        self._require_alive("card renewal")
        self.record(self.HealthInsuranceCardRenewed, ctx, card_number=card.card_number, valid_to=end)

    def revoke_card(
        self, ctx: RecordContext, card_number: object, *, reason: object, effective_on: object
    ) -> None:
        """End a card (death, termination, moved away)."""
        card = self._active_card(card_number)
        why = parse_text(reason, "reason", max_length=500)
        day = parse_date(effective_on, "effective_on")
        if day < card.valid_from:
            raise InvalidInput("effective_on", "must not be before the card's valid_from")
        self.record(
            self.HealthInsuranceCardRevoked,
            ctx,
            reason=why,
            occurred_on=day,
            card_number=card.card_number,
            effective_on=day,
        )
