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

# The types of a roster item (DESIGN §3 rules 3, 4, 6, 7, 9), in the order a roster line lists them.
REGULAR = "regular"  # the roster month's own amount
ARREARS = "arrears"  # truy lĩnh: an earlier month still owed
CARRIED_OVER = "carried_over"  # chuyển kỳ: an earlier month recorded as not collected, nothing paid
ONE_OFF_ITEM = "one_off"  # a one-off allowance (any roster from its month on)
RECOVERY = "recovery"  # the overpayment still to be recovered, deducted from the line (khấu trừ)
ITEM_KINDS = (REGULAR, ARREARS, CARRIED_OVER, ONE_OFF_ITEM, RECOVERY)


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
    month: str = ""  # the month it falls in (``YYYY-MM``): its period, or a one-off's first month

    @property
    def uncollected(self) -> bool:
        """Recorded as not collected and nothing paid since: carried over to the next roster (rule 6)."""
        return self.not_collected and self.paid == 0

    @property
    def overdue_kind(self) -> str:
        """What the item is on the roster of any later month: :data:`ONE_OFF_ITEM`, :data:`CARRIED_OVER`
        (recorded as not collected and nothing paid since) or :data:`ARREARS`. It does not depend on the
        roster's month, so the read models store it; :func:`item_kind` adds the month."""
        if self.period == ONE_OFF:
            return ONE_OFF_ITEM
        return CARRIED_OVER if self.uncollected else ARREARS

    def kind_on(self, roster_month: str) -> str | None:
        """The item's type on the roster of ``roster_month`` (see :func:`item_kind`)."""
        return item_kind(self.overdue_kind, self.month, roster_month)

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


def item_kind(overdue_kind: str, month: str, roster_month: str) -> str | None:
    """The type of an item that falls in ``month`` on the roster of ``roster_month`` (both ``YYYY-MM``),
    from its :attr:`DueItem.overdue_kind`: a one-off is :data:`ONE_OFF_ITEM`, the roster month's own item
    :data:`REGULAR`, an earlier one its overdue kind (arrears, or carried over); an item of a later month
    is on no roster of ``roster_month`` (``None``).

    The one home of the classification: the aggregate's queries and roster lines use it, and the read
    models store ``overdue_kind`` and ``month`` (``rm_dues``) so that a roster read from them calls it
    with the stored values. The roster month is an input — one item is ``regular`` in its own month and
    arrears later — which is why the read side stores the inputs and not the result."""
    if month > roster_month:
        return None
    if overdue_kind == ONE_OFF_ITEM:
        return ONE_OFF_ITEM
    return REGULAR if month == roster_month else overdue_kind
