"""What a command answers and ``GET`` shows — trình bày: a beneficiary, an entitlement, a payment,
a card, an overpayment, the pending rate amendments, as plain JSON-ready dicts computed by the domain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.catalogue import (
    RateBook,
    RateMissing,
)

if TYPE_CHECKING:
    from domain.beneficiary import Beneficiary
    from domain.values import Month
    from ledger.store import LedgerStore


def entitlement_view(
    ledger: LedgerStore, agg: Beneficiary, entitlement_id: str, rates: RateBook | None = None
) -> dict[str, Any]:
    """An entitlement as the API shows it."""
    rates = rates or ledger.rates()
    ent = agg.entitlement(entitlement_id)
    view: dict[str, Any] = {
        "entitlement_id": ent.entitlement_id,
        "scheme": ent.scheme_code,
        "scheme_name": ent.scheme.name_vi,
        "frequency": ent.scheme.frequency,
        "start_month": str(ent.start),
        "end_month": str(ent.end) if ent.end else None,
        "last_month": str(ent.last_month) if ent.last_month else None,
        "params": ent.params_for(ledger.current_month()),
        "basis": ent.basis,
        "suspended": ent.suspended_now,
    }
    try:
        if ent.scheme.monthly:
            month = ledger.current_month()
            view["month"] = str(month)
            view["monthly_amount"] = agg.due_amount(ent.entitlement_id, str(month), rates)
            if ent.scheme.frequency == "quarterly":
                view.update(_next_payment(agg, ent.entitlement_id, month, rates))
        else:
            view["amount"] = agg.due_amount(ent.entitlement_id, "once", rates)
            paid = [
                p for p in agg.payments.values() if p.entitlement_id == ent.entitlement_id and not p.reversed
            ]
            view["paid_amount"] = agg.paid.get((ent.entitlement_id, "once"), 0)
            view["paid_on"] = max(p.paid_on for p in paid).isoformat() if paid else None
    except RateMissing as error:  # named, never fatal: the rest of the record still shows
        view["monthly_amount" if ent.scheme.monthly else "amount"] = None
        view["problem"] = error.message
    return view


def _next_payment(agg: Beneficiary, entitlement_id: str, month: Month, rates: RateBook) -> dict[str, Any]:
    """A quarterly (periodic) entitlement's next payment from ``month``: the month it is paid in and the
    amount (``next_payment_month``, ``payment_amount``), by the domain's own rule of the months it pays
    (nothing when none falls in the next three months: it has ended)."""
    for ahead in range(3):
        paying = month.plus(ahead)
        amount = agg.due_amount(entitlement_id, str(paying), rates)
        if amount:
            return {"next_payment_month": str(paying), "payment_amount": amount}
    return {}


def overpayment_view(agg: Beneficiary, rates: RateBook) -> dict[str, Any]:
    """The overpaid months and the amount still to recover."""
    items = agg.overpayments(rates)
    return {
        "months": sorted({i.period for i in items}),
        "amount": sum(i.excess for i in items),
        "outstanding": agg.overpayment_outstanding(rates),
    }


def payment_view(agg: Beneficiary, payment_id: str) -> dict[str, Any]:
    """A payment as the API shows it."""
    p = agg.payments[payment_id]
    return {
        "payment_id": p.payment_id,
        "beneficiary_id": str(agg.id),
        "entitlement_id": p.entitlement_id,
        "period": None if p.period == "once" else p.period,
        "amount": p.amount,
        "paid_on": p.paid_on.isoformat(),
        "channel": p.channel,
        "reference": p.reference,
        "reversed": p.reversed,
    }


def not_collected_view(agg: Beneficiary, entitlement_id: object, period: object) -> dict[str, Any]:
    """A month recorded as not collected, and whether the beneficiary is now a suspension candidate."""
    return {
        "beneficiary_id": str(agg.id),
        "entitlement_id": str(entitlement_id),
        "period": str(period),
        "suspension_candidate": agg.is_suspension_candidate,
    }


def recovery_view(agg: Beneficiary, recovery: dict[str, Any], rates: RateBook) -> dict[str, Any]:
    """A recovery as recorded, with what remains to recover and to pay back after it."""
    return {
        **recovery,
        "overpayment_outstanding": agg.overpayment_outstanding(rates),
        "recovery_credit": agg.recovery_credit(rates),
    }


def card_view(agg: Beneficiary, card_number: str) -> dict[str, Any]:
    """A card as the API shows it."""
    card = agg.cards[card_number]
    return {
        "card_number": card.card_number,
        "group": card.group,
        "valid_from": card.valid_from.isoformat(),
        "valid_to": card.valid_to.isoformat() if card.valid_to else None,
        "status": "active" if card.active else "revoked",
        "revoked_on": card.revoked_on.isoformat() if card.revoked_on else None,
        "revoke_reason": card.revoke_reason or None,
    }


def beneficiary_view(
    ledger: LedgerStore, beneficiary_id: object, month: Month | None = None
) -> dict[str, Any]:
    """Current state as ``GET /v1/beneficiaries/{id}`` shows it."""
    agg = ledger.resolve(beneficiary_id)
    rates = ledger.rates()
    month = month or ledger.current_month()
    items, problems = agg.computable_items(month.previous(), rates)
    arrears = [i for i in items if i.outstanding > 0 and not (i.not_collected and i.paid == 0)]
    carried = [i for i in items if i.not_collected and i.paid == 0 and i.outstanding > 0]
    excess = sum(i.excess for i in items)
    return {
        "id": str(agg.id),
        "kind": agg.kind,
        "full_name": agg.full_name,
        "citizen_id": agg.citizen_id,
        "date_of_birth": agg.date_of_birth.isoformat() if agg.date_of_birth else None,
        "sex": agg.sex,
        "household_code": agg.household_code,
        "poverty_status": agg.poverty_status,
        "members": agg.members,
        "commune_code": agg.commune_at(month)[0],  # in force this month; moves come from their month
        "province_code": agg.commune_at(month)[1],
        "status": agg.status(month),
        "date_of_death": agg.date_of_death.isoformat() if agg.date_of_death else None,
        "payment_channel": agg.channel_at(month),
        "places": [
            {"effective_from": str(m), "commune_code": code, "province_code": province}
            for m, code, province in agg.communes
        ],
        "payment_channels": [{"effective_from": str(m), **channel} for m, channel in agg.channels],
        "entitlements": [entitlement_view(ledger, agg, eid, rates) for eid in agg.entitlements],
        "cards": [card_view(agg, n) for n in agg.cards],
        "balances": {
            "arrears_due": sum(i.outstanding for i in arrears),
            "carried_over_due": sum(i.outstanding for i in carried),
            "overpayment_outstanding": max(excess - agg.recovered, 0),
            "recovery_credit": max(agg.recovered - excess, 0),
        },
        "problems": [{"entitlement_id": eid, "reason": why} for eid, why in problems.items()],
        "suspension_candidate": agg.is_suspension_candidate,
        "version": agg.version,
    }


def pending_rate_amendments(ledger: LedgerStore) -> list[dict[str, Any]]:
    """Every amendment waiting for approval."""
    return [p.as_dict() for s in ledger.rate_schedules() for p in s.pending.values()]
