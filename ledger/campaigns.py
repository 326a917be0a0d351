"""Campaigns, recorded in bulk — ghi đợt chi: a one-off for every selected living beneficiary.

:func:`grant_campaign` checks the definition, opens the campaign's stream (or finds it: the same id with
the same definition carries on where a crashed run stopped, a completed one answers its summary and
records nothing), then walks the province's beneficiaries in batches on the bulk path (states loaded
many streams per query, from snapshots): each selected person is granted through the aggregate's own
``grant_entitlement`` — the same rules as a grant over HTTP (never twice per person and scope, kind,
death) — with the campaign's id in the entitlement's parameters; each batch is one transaction, and a
batch that meets a concurrent write is checked again on fresh state. The campaign then records what it
did.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.beneficiary import Beneficiary
from domain.campaigns import CAMPAIGN_PARAM, Campaign, campaign_stream_id, parse_campaign
from domain.errors import DomainError, NotFound
from domain.values import Month
from ledger import checkpoints
from ledger.adapters.communes import resolve_commune
from ledger.bulk import BulkLoader, fewer_collections

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from domain.catalogue import RateBook
    from domain.events import LedgerAggregate, RecordContext
    from ledger.application import BenefitsLedger

log = logging.getLogger(__name__)


def campaign(ledger: BenefitsLedger, campaign_id: object) -> Campaign:
    """A campaign's stream, or :class:`NotFound`."""
    try:
        found: object = ledger.repository.get(campaign_stream_id(str(campaign_id).strip()))
    except AggregateNotFoundError:
        raise NotFound(f"campaign {campaign_id} not found") from None
    if not isinstance(found, Campaign):
        raise NotFound(f"campaign {campaign_id} not found")
    return found


def grant_campaign(
    ledger: BenefitsLedger,
    actor: str,
    *,
    campaign_id: object,
    scheme: object,
    month: object,
    params: object = None,
    basis: object = None,
    select: object = None,
    reason: str = "",
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Grant a campaign's one-off; ``(recorded anything new, summary)``."""
    definition = parse_campaign(campaign_id, scheme, month, params, basis, select)
    if definition["select"].get("commune_code"):  # a commune of the deployment, as everywhere else
        resolve_commune(definition["select"]["commune_code"], "select.commune_code", province=ledger.province)
    ctx = ledger.context(actor, reason or f"campaign {definition['campaign_id']}")
    try:
        stream = campaign(ledger, definition["campaign_id"])
    except NotFound:
        stream = Campaign.start(ctx, definition)
        try:
            ledger.save(stream)
        except IntegrityError:  # started by someone else at the same moment
            stream = campaign(ledger, definition["campaign_id"])
    stream.same_as(definition)
    if stream.outcome is not None:
        return False, stream.summary()
    rates = ledger.rates()
    counts = {"granted": 0, "already_granted": 0}
    skipped: list[dict[str, str]] = []
    loader = BulkLoader(ledger)
    try:
        wanted = definition["select"].get("beneficiary_ids")
        ids = [UUID(i) for i in wanted] if wanted else loader.beneficiary_ids()
        with fewer_collections():
            for start in range(0, len(ids), batch_size):
                chunk = ids[start : start + batch_size]
                _grant_batch(ledger, loader, chunk, definition, ctx, rates, counts, skipped)
                if progress is not None:
                    progress(min(start + batch_size, len(ids)), len(ids))
    finally:
        loader.close()
    stream.complete(
        ctx, granted=counts["granted"], already_granted=counts["already_granted"], skipped=skipped
    )
    ledger.save(stream)
    summary = stream.summary()
    log.info(
        "campaign recorded",
        extra={"campaign": definition["campaign_id"], "granted": counts["granted"],
               "already_granted": counts["already_granted"], "skipped": len(skipped)},
    )  # fmt: skip
    checkpoints.after_write(ledger)  # a campaign: the log is signed as it stands
    return True, summary


def _grant_batch(
    ledger: BenefitsLedger,
    loader: BulkLoader,
    ids: Sequence[UUID],
    definition: dict[str, Any],
    ctx: RecordContext,
    rates: RateBook,
    counts: dict[str, int],
    skipped: list[dict[str, str]],
) -> None:
    """Grant one batch in one transaction; on a concurrent write, check the batch again on fresh state."""
    for _attempt in range(ledger.MAX_ATTEMPTS):
        changed, batch_counts, batch_skipped = _apply_batch(loader.load(ids), ids, definition, ctx, rates)
        try:
            if changed:
                ledger.save(*changed)
        except IntegrityError:
            continue
        for key, value in batch_counts.items():
            counts[key] += value
        skipped.extend(batch_skipped)
        loader.save_snapshots(changed)
        return
    msg = "the selected people kept changing while the campaign was recorded; run it again to finish"
    raise DomainError(msg)


def _apply_batch(
    states: dict[UUID, Any],
    ids: Sequence[UUID],
    definition: dict[str, Any],
    ctx: RecordContext,
    rates: RateBook,
) -> tuple[list[LedgerAggregate], dict[str, int], list[dict[str, str]]]:
    """The batch's people granted in memory: (changed aggregates, counts, skipped with reasons)."""
    changed: list[LedgerAggregate] = []
    counts = {"granted": 0, "already_granted": 0}
    skipped: list[dict[str, str]] = []
    named = bool(definition["select"].get("beneficiary_ids"))
    for bid in ids:
        agg = states.get(bid)
        if not isinstance(agg, Beneficiary):
            if named:
                skipped.append({"beneficiary_id": str(bid), "reason": "not a beneficiary of this ledger"})
            continue
        if not _selected(agg, definition):
            continue
        outcome = _grant_one(agg, definition, ctx, rates)
        if outcome in counts:
            counts[outcome] += 1
            if outcome == "granted":
                changed.append(agg)
        else:
            skipped.append({"beneficiary_id": str(bid), "reason": outcome})
    return changed, counts, skipped


def _selected(agg: Beneficiary, definition: dict[str, Any]) -> bool:
    """Whether the campaign's selection takes this person (kind, commune in its month, schemes held)."""
    select = definition["select"]
    month = Month.parse(definition["month"])
    if select.get("kind") and agg.kind != select["kind"]:
        return False
    if select.get("commune_code") and agg.commune_at(month)[0] != select["commune_code"]:
        return False
    return not select.get("schemes") or any(
        e.scheme_code in select["schemes"]
        and e.in_period(month, agg.death_month)
        and not e.suspended_in(month)
        for e in agg.entitlements.values()
    )


def _grant_one(agg: Beneficiary, definition: dict[str, Any], ctx: RecordContext, rates: RateBook) -> str:
    """``granted``, ``already_granted`` or the reason a selected person is skipped."""
    campaign_id = definition["campaign_id"]
    month = Month.parse(definition["month"])
    if any(e.params_for(e.start).get(CAMPAIGN_PARAM) == campaign_id for e in agg.entitlements.values()):
        return "already_granted"
    if agg.death_month is not None and agg.death_month < month:
        return f"died in {agg.death_month}"
    try:
        agg.grant_entitlement(
            ctx,
            scheme=definition["scheme"],
            effective_from=definition["month"],
            basis=definition["basis"],
            params={**definition["params"], CAMPAIGN_PARAM: campaign_id},
            rates=rates,
        )
    except DomainError as error:  # refused before anything was recorded: the person is skipped
        return error.message
    return "granted"
