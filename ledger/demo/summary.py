"""What the synthetic province's generator wrote: :class:`SyntheticSummary`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date
    from uuid import UUID

    from domain.values import Month


@dataclass
class SyntheticSummary:
    """What the generator wrote: people, events, money, and the exceptions it planted."""

    province: str
    province_name: str
    seed: int
    today: date
    first_month: Month
    last_month: Month
    beneficiaries: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_scheme: Counter[str] = field(default_factory=Counter)
    events: int = 0
    beneficiary_events: int = 0
    claims: int = 0
    rate_events: int = 0
    payments: int = 0
    amount_paid: int = 0
    bank_payments: int = 0
    not_collected: int = 0
    deaths: int = 0
    late_deaths: int = 0
    funerals: int = 0
    terminations: int = 0
    adjustments: int = 0
    relocations: int = 0
    channel_changes: int = 0
    suspensions: int = 0
    cards_issued: int = 0
    cards_renewed: int = 0
    cards_revoked: int = 0
    recoveries: int = 0
    overpayment_people: int = 0
    overpayment_outstanding: int = 0
    suspension_candidates: int = 0
    seconds: float = 0.0
    fingerprint: str = ""
    beneficiary_ids: list[UUID] = field(default_factory=list)
    late_death_ids: list[UUID] = field(default_factory=list)
    fully_recovered_ids: list[UUID] = field(default_factory=list)
    suspension_candidate_ids: list[UUID] = field(default_factory=list)
