"""Entitlement commands — chế độ: grant, adjust, suspend, resume, terminate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger import views

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.beneficiary import Beneficiary
    from domain.catalogue import RateBook
    from domain.events import RecordContext
    from domain.parts import Entitlement
    from ledger.authorization import Actor
    from ledger.store import LedgerStore


def _on_entitlement(
    ledger: LedgerStore,
    actor: Actor,
    reason: str,
    beneficiary_id: object,
    action: Callable[[Beneficiary, RecordContext, RateBook], Entitlement | None],
    *,
    entitlement_id: object = None,
    with_overpayment: bool = False,
) -> dict[str, Any]:
    """Every entitlement command: ``action`` on one beneficiary with the rate book of the moment, answered
    with the entitlement as it is now (``entitlement_id``, or the one ``action`` returns: a new grant),
    and with the overpayment it reveals when asked (a termination)."""

    def decide(agg: Beneficiary, ctx: RecordContext) -> dict[str, Any]:
        rates = ledger.rates()
        granted = action(agg, ctx, rates)
        eid = granted.entitlement_id if granted is not None else str(entitlement_id)
        view = views.entitlement_view(ledger, agg, eid, rates)
        if with_overpayment:
            view["overpayment"] = views.overpayment_view(agg, rates)
        return view

    return ledger.decide_on(actor, reason, beneficiary_id, decide)


def grant_entitlement(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    *,
    scheme: object,
    effective_from: object,
    basis: object,
    params: object = None,
    end_month: object = None,
    reason: str = "",
) -> dict[str, Any]:
    """Grant a scheme by decision. Returns the entitlement with its amount for the current month."""

    def grant(agg: Beneficiary, ctx: RecordContext, rates: RateBook) -> Entitlement:
        return agg.grant_entitlement(
            ctx, scheme=scheme, effective_from=effective_from, basis=basis, params=params,
            end_month=end_month, rates=rates,
        )  # fmt: skip

    return _on_entitlement(ledger, actor, reason, beneficiary_id, grant)


def adjust_entitlement(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    entitlement_id: object,
    *,
    effective_from: object,
    params: object,
    basis: object,
    reason: str = "",
) -> dict[str, Any]:
    """Change an entitlement's parameters from a month."""
    return _on_entitlement(
        ledger,
        actor,
        reason,
        beneficiary_id,
        lambda agg, ctx, rates: agg.adjust_entitlement(
            ctx, entitlement_id, effective_from=effective_from, params=params, basis=basis, rates=rates
        ),
        entitlement_id=entitlement_id,
    )


def suspend_entitlement(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    entitlement_id: object,
    *,
    effective_from: object,
    basis: object = None,
    reason: str = "",
) -> dict[str, Any]:
    """Suspend an entitlement from a month."""
    return _on_entitlement(
        ledger,
        actor,
        reason,
        beneficiary_id,
        lambda agg, ctx, _: agg.suspend_entitlement(
            ctx, entitlement_id, effective_from=effective_from, basis=basis
        ),
        entitlement_id=entitlement_id,
    )


def resume_entitlement(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    entitlement_id: object,
    *,
    effective_from: object,
    basis: object = None,
    reason: str = "",
) -> dict[str, Any]:
    """Resume a suspended entitlement from a month."""
    return _on_entitlement(
        ledger,
        actor,
        reason,
        beneficiary_id,
        lambda agg, ctx, _: agg.resume_entitlement(
            ctx, entitlement_id, effective_from=effective_from, basis=basis
        ),
        entitlement_id=entitlement_id,
    )


def terminate_entitlement(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    entitlement_id: object,
    *,
    last_month: object,
    basis: object,
    reason: str = "",
) -> dict[str, Any]:
    """Terminate an entitlement after its last paid month; later payments become overpayments."""
    return _on_entitlement(
        ledger,
        actor,
        reason,
        beneficiary_id,
        lambda agg, ctx, _: agg.terminate_entitlement(
            ctx, entitlement_id, last_month=last_month, basis=basis
        ),
        entitlement_id=entitlement_id,
        with_overpayment=True,
    )
