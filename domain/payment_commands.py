"""The payment commands of a beneficiary — payments (chi trả), non-collection (không nhận), reversals
(hủy chi trả) and recoveries of overpayments (thu hồi: cash, deduction, or a refund of what was recovered
beyond what is owed).

:class:`PaymentCommands` is a mixin of :class:`~domain.beneficiary.Beneficiary`; the events it records
are defined there (their stored topics are ``domain.beneficiary:Beneficiary.<Event>``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.dues import Dues
from domain.errors import Conflict, InvalidInput, NotFound
from domain.parts import ONE_OFF, RECOVERY_METHODS, REFUND, DueItem, Entitlement, Payment
from domain.values import Month, check_date, parse_amount, parse_date, parse_identifier, parse_text

if TYPE_CHECKING:
    from domain.catalogue import RateBook
    from domain.events import RecordContext


class PaymentCommands(Dues):
    """Record payments, non-collection, reversals and recoveries."""

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
        check_date(day, "paid_on", ctx.today, not_after_today=True)
        month = self.month_of(ent.entitlement_id, key)
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
        self.decided_due(item)
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

    def decided_due(self, item: DueItem) -> None:
        """Remember what was due for the item a payment, a deduction or a non-collection is about to be
        recorded against: the write side's position takes its check against it
        (:func:`domain.positions.position_changes`) — the due of the decision, not of the state after
        later events of the same save (a death recorded in the same batch makes the month's due 0, yet
        the payment was right when it was made). Kept beside the pending events (``_pending_dues``) and
        taken with them when they are saved: not part of the state, never snapshotted."""
        decided: dict[tuple[str, str], int] = self.__dict__.setdefault("_pending_dues", {})
        decided[item.entitlement_id, item.period] = item.due

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
        self.decided_due(item)
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
            self.decided_due(item)
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
