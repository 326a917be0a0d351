"""Synthetic province — tỉnh mẫu: a realistic, deterministic ledger for demos, tests and load checks.

One province and its real communes (``vietnam-provinces``), beneficiaries of the three kinds in the
proportions of the provincial reports (bảo trợ xã hội ≈ 80 %, người có công ≈ 15 %, hộ nghèo ≈ 5 %),
Vietnamese names, valid citizen IDs, decisions with their legal basis, two years of monthly payments
(cash at the post office or to a bank account), uncollected months, late-reported deaths with the
overpayments they reveal and the recoveries that follow, funeral allowances, terminations,
adjustments with arrears, suspensions, relocations and health-insurance cards.

Speed matters (a demo of thousands of people must take seconds, not minutes), so the generator does
not call one ledger command per payment. It drives the domain aggregates in memory — the same
methods the ledger's commands call, so every rule of the aggregate still applies (never pay twice,
nothing after a recorded death, ...) — with a :class:`~domain.events.RecordContext` whose
``recorded_at`` is the business time of the simulation (never going back within a stream), creates
the matching uniqueness claims, and saves many aggregates per transaction. Everything is drawn from
``random.Random`` seeded by ``seed``: the same seed and the same ``today`` give the same events,
hashes included (:attr:`SyntheticSummary.fingerprint`).

Modules: :mod:`~ledger.demo.timeline` (the simulated months, the calendar, one stream's clock),
:mod:`~ledger.demo.names` (Vietnamese names), :mod:`~ledger.demo.summary` (what was written),
:mod:`~ledger.demo.population` (who the people are and the decisions that grant their schemes),
:mod:`~ledger.demo.story` (one person's two years through the aggregate's commands) and
:mod:`~ledger.demo.runner` (:func:`generate_province`, batches and snapshots).
"""

from ledger.demo.names import middle_name_sex
from ledger.demo.runner import DEFAULT_PROVINCE, generate_province
from ledger.demo.summary import SyntheticSummary
from ledger.demo.timeline import VN_TZ, WINDOW_MONTHS, simulated_months

__all__ = [
    "DEFAULT_PROVINCE",
    "VN_TZ",
    "WINDOW_MONTHS",
    "SyntheticSummary",
    "generate_province",
    "middle_name_sex",
    "simulated_months",
]
