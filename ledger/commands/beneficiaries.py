"""Beneficiary commands — đối tượng: registration (with its citizen-ID and household claims),
corrections, relocation, payment channel, death.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import uuid4

from domain.beneficiary import Beneficiary
from domain.errors import InvalidInput
from ledger import views
from ledger.adapters.communes import resolve_commune
from ledger.authorization import require_commune

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.events import LedgerAggregate, RecordContext
    from ledger.authorization import Actor
    from ledger.store import LedgerStore


def register_beneficiary(
    ledger: LedgerStore, actor: Actor, *, reason: str = "", **fields: Any
) -> Beneficiary:
    """Register a beneficiary; the citizen ID must not be registered already (409)."""
    ctx = ledger.context(actor, reason)
    commune = resolve_commune(fields.get("commune_code"), province=ledger.province)
    require_commune(actor, commune.code)
    known = {
        "kind",
        "full_name",
        "commune_code",
        "citizen_id",
        "date_of_birth",
        "sex",
        "household_code",
        "poverty_status",
        "members",
        "payment_channel",
    }
    unknown = set(fields) - known
    if unknown:
        raise InvalidInput(min(unknown), "is not a field of a beneficiary")
    new_id = uuid4()

    def attempt() -> tuple[Beneficiary, Sequence[LedgerAggregate]]:
        agg = Beneficiary.register(
            ctx,
            beneficiary_id=new_id,
            province_code=commune.province_code,
            **{**fields, "commune_code": commune.code},
        )
        extra: list[LedgerAggregate] = []
        if agg.citizen_id:
            extra += ledger.claim_for(ctx, "citizen_id", agg.citizen_id, agg.id)
        if agg.household_code:
            extra += ledger.claim_for(ctx, "household_code", agg.household_code, agg.id)
        return agg, [agg, *extra]

    return ledger.save_with_retry(attempt)


def correct_details(
    ledger: LedgerStore, actor: Actor, beneficiary_id: object, changes: dict[str, Any], *, reason: str = ""
) -> Beneficiary:
    """Correct registered details; a new citizen ID must not belong to someone else."""
    ctx = ledger.context(actor, reason)

    def decide(agg: Beneficiary) -> tuple[Beneficiary, Sequence[LedgerAggregate]]:
        out = agg.correct_details(ctx, changes)
        extra: list[LedgerAggregate] = []
        if "citizen_id" in out:
            extra += ledger.claim_for(ctx, "citizen_id", out["citizen_id"], agg.id)
        if out.get("household_code"):
            extra += ledger.claim_for(ctx, "household_code", out["household_code"], agg.id)
        return agg, extra

    return ledger.update(beneficiary_id, decide, by=actor)


def relocate(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    *,
    commune_code: object,
    effective_from: object,
    reason: str = "",
) -> Beneficiary:
    """Move a beneficiary to another commune from a month."""
    ctx = ledger.context(actor, reason)
    commune = resolve_commune(commune_code, province=ledger.province)

    def decide(agg: Beneficiary) -> tuple[Beneficiary, Sequence[LedgerAggregate]]:
        agg.relocate(ctx, commune.code, commune.province_code, effective_from)
        return agg, []

    return ledger.update(beneficiary_id, decide, by=actor)


def change_payment_channel(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    *,
    payment_channel: object,
    effective_from: object = None,
    reason: str = "",
) -> Beneficiary:
    """Switch cash ⇄ bank account from a month (default: the current month)."""
    month = effective_from if effective_from is not None else str(ledger.current_month())

    def decide(agg: Beneficiary, ctx: RecordContext) -> Beneficiary:
        agg.change_payment_channel(ctx, payment_channel, month)
        return agg

    return ledger.decide_on(actor, reason, beneficiary_id, decide)


def record_death(
    ledger: LedgerStore,
    actor: Actor,
    beneficiary_id: object,
    *,
    date_of_death: object,
    basis: object = None,
    reason: str = "",
) -> dict[str, Any]:
    """Record a death; returns the overpayment it reveals (months paid after the stop)."""

    def decide(agg: Beneficiary, ctx: RecordContext) -> dict[str, Any]:
        agg.record_death(ctx, date_of_death=date_of_death, basis=basis)
        stop = agg.death_month.next() if agg.death_month else None
        return {"stop_from": str(stop), "overpayment": views.overpayment_view(agg, ledger.rates())}

    return ledger.decide_on(actor, reason, beneficiary_id, decide)
