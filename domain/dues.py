"""What a beneficiary is owed and was paid — the queries of the aggregate (DESIGN §3 rules 1–6).

:class:`Dues` is a mixin of :class:`~domain.beneficiary.Beneficiary`: it reads the state the aggregate's
events build (entitlements, payments, non-collection, deductions, death) and computes, with the rates
passed in, what each entitlement owes for each period (:class:`~domain.parts.DueItem`), the arrears, the
carried-over months and the overpayments. It records nothing.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, ClassVar

from domain.catalogue import RateMissing, scheme_coefficient, scheme_components
from domain.errors import Conflict, NotFound
from domain.parts import ONE_OFF, SUSPENSION_RUN, DueItem, Entitlement, Payment, in_force
from domain.values import Month, month_text

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date
    from uuid import UUID

    from domain.catalogue import Component, RateBook
    from domain.events import LedgerAggregate, RecordContext
    from domain.parts import Card

    EventClass = type[LedgerAggregate.Event]


class Dues:
    """The queries of a beneficiary's stream (and the state they read, declared for the type checker)."""

    if TYPE_CHECKING:
        kind: str
        date_of_birth: date | None
        poverty_status: str | None
        communes: list[tuple[Month, str, str]]
        channels: list[tuple[Month, dict[str, str]]]
        entitlements: dict[str, Entitlement]
        payments: dict[str, Payment]
        paid: dict[tuple[str, str], int]
        not_collected: set[tuple[str, str]]
        recovered: int
        recoveries: list[dict[str, Any]]
        withheld: dict[tuple[str, str], int]
        cards: dict[str, Card]
        date_of_death: date | None

        @property
        def id(self) -> UUID: ...

        def record(self, event_class: type[Any], ctx: RecordContext, **data: Any) -> None: ...

        # the events the command mixins record, nested in Beneficiary (their topics are stored)
        EntitlementGranted: ClassVar[EventClass]
        EntitlementAdjusted: ClassVar[EventClass]
        EntitlementSuspended: ClassVar[EventClass]
        EntitlementResumed: ClassVar[EventClass]
        EntitlementTerminated: ClassVar[EventClass]
        DeathRecorded: ClassVar[EventClass]
        PaymentRecorded: ClassVar[EventClass]
        PaymentNotCollected: ClassVar[EventClass]
        PaymentReversed: ClassVar[EventClass]
        OverpaymentRecovered: ClassVar[EventClass]
        OverpaymentDeducted: ClassVar[EventClass]
        HealthInsuranceCardIssued: ClassVar[EventClass]
        HealthInsuranceCardRenewed: ClassVar[EventClass]
        HealthInsuranceCardRevoked: ClassVar[EventClass]

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
            month=str(self.month_of(entitlement_id, period)),
        )

    def month_of(self, entitlement_id: str, period: str) -> Month:
        """The month an entitlement-period falls in: the period, or a one-off's first month."""
        return self.entitlements[entitlement_id].start if period == ONE_OFF else Month.parse(period)

    def periods(self, until: Month) -> Iterable[tuple[str, str]]:
        """Every (entitlement, period) that is or was payable up to ``until``, plus every paid one."""
        keys: set[tuple[str, str]] = {k for k, v in self.paid.items() if v} | set(self.withheld)
        for ent in self.entitlements.values():
            if not ent.scheme.monthly:
                if ent.start <= until:
                    keys.add((ent.entitlement_id, ONE_OFF))
                continue
            stop = ent.stop_month(self.death_month)
            last = until.ordinal if stop is None else min(until.ordinal, stop.ordinal - 1)
            eid = ent.entitlement_id
            keys.update((eid, month_text(n)) for n in range(ent.start.ordinal, last + 1))
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
            i for i in self.ledger_items(before.previous(), rates) if i.outstanding > 0 and not i.uncollected
        ]

    def carried_over(self, before: Month, rates: RateBook) -> list[DueItem]:
        """Past periods recorded as not collected and still unpaid: carried to the next roster."""
        return [i for i in self.ledger_items(before.previous(), rates) if i.uncollected and i.outstanding > 0]

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
        return [p for p in self.payments.values() if self.paid_after_death(p)]

    def paid_after_death(self, payment: Payment) -> bool:
        """Whether ``payment`` stands (not reversed) for a month after the month of death: money paid
        after death, to recover (the read models store it per payment: ``rm_payments.after_death``)."""
        death = self.death_month
        return (
            death is not None
            and not payment.reversed
            and payment.period != ONE_OFF
            and Month.parse(payment.period) > death
        )

    # ----------------------------------------------------------------------------- guards

    def _require_alive(self, what: str) -> None:
        if self.date_of_death is not None:
            msg = f"{what}: the beneficiary died on {self.date_of_death.isoformat()}"
            raise Conflict(msg)
