"""The ledger application — sổ cái chi trả: the store with its commands, one per write of the contract.

:class:`BenefitsLedger` is the store (:mod:`ledger.store`: event store, loading, the unit of work, the
rate book) with the command handlers of :mod:`ledger.commands` and the views of :mod:`ledger.views`
bound as its methods, so that every entrance — the JSON API, the pages, the command line, the imports
and the campaigns — records through the same handler: ``ledger.record_payment(actor, ...)``.
Each handler loads the beneficiary's stream once, checks who may write it once, lets the aggregate
decide, and saves the new events in one transaction together with any uniqueness claim they need
(citizen ID, payment id, card number). Optimistic concurrency: if another writer appended to the same
stream first, the event store refuses the save (``IntegrityError``) and the decision is retried on the
fresh state, a bounded number of times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger import checkpoints, views
from ledger.commands import beneficiaries, cards, entitlements, payments, rates, rosters, users
from ledger.commands.rates import SYSTEM_ACTOR
from ledger.config import Settings, load_settings, persistence_environment
from ledger.signing import load_signer
from ledger.store import LedgerStore

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.persistence import Recording


__all__ = ["SYSTEM_ACTOR", "BenefitsLedger", "open_ledger"]


class BenefitsLedger(LedgerStore):
    """The event-sourced ledger of one deployment (one province, or the whole country)."""

    # the library names a subclass after itself unless it says otherwise, and the name is the prefix
    # of the store's tables (PostgreSQL) and of its settings: pinned, as the store's was
    name = LedgerStore.name

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The store's save, then the day's first signed checkpoint when this process holds the key."""
        recordings = super().save(*objs, **kwargs)
        if self.signer is not None:
            checkpoints.daily(self, self.signer)
        return recordings

    def checkpoint(self) -> str | None:
        """Sign the tree as it stands now (a roster issued, an import, a rate amendment): the signed
        note, or ``None`` when this process has no signing key."""
        return checkpoints.after_write(self)

    # rates
    amend_rate = rates.amend_rate
    approve_rate_amendment = rates.approve_rate_amendment
    load_ncc_tables = rates.load_ncc_tables
    seed_reference_rates = rates.seed_reference_rates

    # beneficiaries
    register_beneficiary = beneficiaries.register_beneficiary
    correct_details = beneficiaries.correct_details
    relocate = beneficiaries.relocate
    change_payment_channel = beneficiaries.change_payment_channel
    record_death = beneficiaries.record_death

    # entitlements
    grant_entitlement = entitlements.grant_entitlement
    adjust_entitlement = entitlements.adjust_entitlement
    suspend_entitlement = entitlements.suspend_entitlement
    resume_entitlement = entitlements.resume_entitlement
    terminate_entitlement = entitlements.terminate_entitlement

    # payments
    record_payment = payments.record_payment
    record_not_collected = payments.record_not_collected
    reverse_payment = payments.reverse_payment
    record_recovery = payments.record_recovery

    # cards
    issue_card = cards.issue_card
    renew_card = cards.renew_card
    revoke_card = cards.revoke_card

    # users
    add_user = users.add_user
    disable_user = users.disable_user
    rotate_token = users.rotate_token

    # rosters
    prepare_roster = rosters.prepare_roster
    issue_roster = rosters.prepare_roster  # the contract's "issue": prepares, for a second person to approve
    approve_roster = rosters.approve_roster
    return_roster = rosters.return_roster

    # views
    beneficiary_view = views.beneficiary_view
    entitlement_view = views.entitlement_view
    pending_rate_amendments = views.pending_rate_amendments


def open_ledger(
    database_url: str | None = None,
    *,
    settings: Settings | None = None,
    seed_reference: bool = True,
    **kwargs: Any,
) -> BenefitsLedger:
    """Open the ledger on ``database_url`` (default: the settings' ``LEDGER_DATABASE_URL``, else the
    embedded SQLite file).

    A store that lacks the packaged reference rates — a new one, or one written by an older release —
    has them recorded now (:func:`ledger.commands.rates.seed_reference_rates`), so that a fresh store
    computes from its first command. ``seed_reference=False`` records nothing (a read-only replica, an
    inspector's copy, a test that records its own rates).
    """
    settings = settings or load_settings()
    url = database_url or settings.database_url
    kwargs.setdefault("province", settings.province)
    ledger = BenefitsLedger(env=persistence_environment(url, settings), database_url=url, **kwargs)
    if settings.signing_key:
        try:
            ledger.signer = load_signer(settings.signing_key)
        except BaseException:
            ledger.close()
            raise
    if seed_reference:
        try:
            ledger.seed_reference_rates()
        except BaseException:
            ledger.close()
            raise
    return ledger
