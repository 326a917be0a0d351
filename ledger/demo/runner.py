"""The entry point of the synthetic province: :func:`generate_province` records the packaged reference
rates in the ledger's past, tells every person's story and saves them in batches."""

from __future__ import annotations

import hashlib
import time
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from domain.beneficiary import Beneficiary
from domain.events import LedgerAggregate
from domain.snapshots import BeneficiarySnapshot
from ledger.adapters.communes import configured_province, parse_province
from ledger.demo.population import Province
from ledger.demo.story import Story
from ledger.demo.timeline import VN_TZ, WINDOW_MONTHS, simulated_months

if TYPE_CHECKING:
    from collections.abc import Callable

    from ledger.application import BenefitsLedger
    from ledger.demo.summary import SyntheticSummary

DEFAULT_PROVINCE = "75"  # Đồng Nai


def _seed_rates(app: BenefitsLedger, moment: datetime) -> int:
    """Record the packaged reference rates as entered before the ledger opened (so "as of" views see
    them): open the store with ``seed_reference=False`` for that, or they were recorded at opening."""
    original = app.clock
    app.clock = lambda: moment
    try:
        return app.seed_reference_rates()
    finally:
        app.clock = original


def generate_province(
    app: BenefitsLedger,
    *,
    beneficiaries: int = 2000,
    seed: int = 1,
    today: date | None = None,
    province: str | None = None,
    batch_size: int = 100,
    progress: Callable[[int, int], None] | None = None,
    months: int = WINDOW_MONTHS,
) -> SyntheticSummary:
    """Fill ``app``'s store with a synthetic province and return what was written.

    ``today`` (default: the ledger clock's date in Viet Nam) ends the simulation: two years of
    monthly payments up to the month before it (``months`` for a shorter window, at least 2, as the
    benchmark's scale mode uses); nothing is recorded after the day before ``today``.
    ``province`` defaults to ``LEDGER_PROVINCE`` or 75 (Đồng Nai). The packaged reference rates are
    recorded as of a few days before the first simulated month, unless the store already holds them
    (open it with ``open_ledger(..., seed_reference=False)`` so that "as of" views of the past see
    them). Beneficiaries and their uniqueness
    claims are saved ``batch_size`` people per transaction; ``progress(done, total)`` is called after
    each batch.
    """
    if beneficiaries < 1:
        msg = "beneficiaries must be at least 1"
        raise ValueError(msg)
    started = time.perf_counter()
    position = app.recorder.max_notification_id() or 0
    code = parse_province(province) if province else configured_province() or DEFAULT_PROVINCE
    day = today or app.clock().astimezone(VN_TZ).date()
    first, _ = simulated_months(day, months)
    before = datetime.combine(first.first_day() - timedelta(days=3), datetime.min.time(), VN_TZ)
    rate_events = _seed_rates(app, before.replace(hour=8))
    pv = Province(seed=seed, today=day, province=code, rates=app.rates(), count=beneficiaries, months=months)
    summary = pv.summary
    summary.rate_events = rate_events
    digest = hashlib.sha256()
    pending: list[LedgerAggregate] = []
    for index in range(beneficiaries):
        person = pv.person(index)
        aggregates = Story(pv, person).tell()
        summary.beneficiaries += 1
        summary.by_kind[person.kind] += 1
        summary.beneficiary_ids.append(person.bid)
        for aggregate in aggregates:
            for event in aggregate.pending_events:
                if isinstance(event, LedgerAggregate.Event):
                    digest.update(event.event_hash.encode())
        pending.extend(aggregates)
        if (index + 1) % batch_size == 0 or index == beneficiaries - 1:
            _save(app, pending, summary)
            pending = []
            if progress is not None:
                progress(index + 1, beneficiaries)
    summary.events = (app.recorder.max_notification_id() or 0) - position
    summary.fingerprint = digest.hexdigest()
    summary.seconds = time.perf_counter() - started
    return summary


def _save(app: BenefitsLedger, aggregates: list[LedgerAggregate], summary: SyntheticSummary) -> None:
    """One transaction for a batch of beneficiaries and their claims; then a snapshot of each beneficiary
    (a cache the next bulk import loads instead of replaying the two years, see ledger/bulk.py)."""
    for aggregate in aggregates:
        count = len(aggregate.pending_events)
        if isinstance(aggregate, Beneficiary):
            summary.beneficiary_events += count
        else:
            summary.claims += count
    app.save(*aggregates)
    if app.snapshots is not None:
        app.snapshots.put([BeneficiarySnapshot.take(a) for a in aggregates if isinstance(a, Beneficiary)])
