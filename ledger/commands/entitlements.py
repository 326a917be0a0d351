"""Entitlement commands — chế độ: grant, adjust, suspend, resume, terminate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger import views

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from domain.beneficiary import Beneficiary
    from domain.catalogue import (
        RateBook,
    )
    from domain.events import LedgerAggregate, RecordContext
    from ledger.authorization import Actor
    from ledger.store import LedgerStore


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
    ctx = ledger.context(actor, reason)
    rates = ledger.rates()

    def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        ent = agg.grant_entitlement(
            ctx,
            scheme=scheme,
            effective_from=effective_from,
            basis=basis,
            params=params,
            end_month=end_month,
            rates=rates,
        )
        return views.entitlement_view(ledger, agg, ent.entitlement_id, rates), []

    return ledger.update(beneficiary_id, decide, by=actor)


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
        entitlement_id,
        lambda agg, ctx, rates: agg.adjust_entitlement(
            ctx, entitlement_id, effective_from=effective_from, params=params, basis=basis, rates=rates
        ),
    )


def _on_entitlement(
    ledger: LedgerStore,
    actor: Actor,
    reason: str,
    beneficiary_id: object,
    entitlement_id: object,
    action: Callable[[Beneficiary, RecordContext, RateBook], None],
) -> dict[str, Any]:
    """Run a decision on one entitlement and answer with the entitlement as it is now."""
    ctx = ledger.context(actor, reason)
    rates = ledger.rates()

    def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        action(agg, ctx, rates)
        return views.entitlement_view(ledger, agg, str(entitlement_id), rates), []

    return ledger.update(beneficiary_id, decide, by=actor)


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
        entitlement_id,
        lambda agg, ctx, _: agg.suspend_entitlement(
            ctx, entitlement_id, effective_from=effective_from, basis=basis
        ),
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
        entitlement_id,
        lambda agg, ctx, _: agg.resume_entitlement(
            ctx, entitlement_id, effective_from=effective_from, basis=basis
        ),
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
    ctx = ledger.context(actor, reason)
    rates = ledger.rates()

    def decide(agg: Beneficiary) -> tuple[dict[str, Any], Sequence[LedgerAggregate]]:
        agg.terminate_entitlement(ctx, entitlement_id, last_month=last_month, basis=basis)
        view = views.entitlement_view(ledger, agg, str(entitlement_id), rates)
        view["overpayment"] = views.overpayment_view(agg, rates)
        return view, []

    return ledger.update(beneficiary_id, decide, by=actor)
