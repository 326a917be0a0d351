"""The parts of a beneficiary's state — entitlements (chế độ), payments (chi trả), health-insurance cards
(thẻ BHYT) — and what one entitlement owes for one period (:class:`DueItem`).

Plain values: the :class:`~domain.beneficiary.Beneficiary` aggregate holds them and its events build
them; snapshots (``domain/snapshots.py``) write and read them field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from domain.catalogue import Component, Scheme, get_scheme

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from domain.values import Month

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
