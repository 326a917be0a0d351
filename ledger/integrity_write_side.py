"""``ledger verify``'s check of the write side — kiểm tra sổ theo dõi chi trả: the payment positions,
payment ids and terms the database keeps beside the events (:mod:`ledger.adapters.write_side`) must be
what the replay of every beneficiary's stream gives.

They are what the database enforces "never twice" with and what a bulk import decides on, so an insider
who edits them (a position's ``paid`` lowered to let a month be paid again, a payment id moved to
another beneficiary, an entitlement's coefficient raised in the stored terms) is named here:

* every payment of a stream has its payment-id row naming that stream, entitlement, period and amount;
  no row names a payment the streams do not hold;
* every entitlement-period paid, withheld from or not collected has its position with exactly what the
  replay says; no position is left that the replay does not give (``due`` is the domain's at the time of
  the decision and is not compared);
* a terms row stored at a stream's head (version and hash) holds exactly the replay's terms; one at an
  older version is stale — never used — and not a finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.beneficiary import Beneficiary
from domain.positions import terms_of
from ledger.integrity_findings import WRITE_SIDE

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

    from ledger.adapters.write_side import WriteSideTables
    from ledger.application import BenefitsLedger
    from ledger.integrity_findings import IntegrityReport

Position = tuple[int, int, bool]


def expected_positions(agg: Beneficiary) -> dict[tuple[str, str], Position]:
    """(entitlement, period) → (paid, withheld, not collected) as the replay of ``agg`` says."""
    keys = {k for k, v in agg.paid.items() if v} | {k for k, v in agg.withheld.items() if v}
    keys |= agg.not_collected
    keys |= {(p.entitlement_id, p.period) for p in agg.payments.values()}
    return {k: (agg.paid.get(k, 0), agg.withheld.get(k, 0), k in agg.not_collected) for k in keys}


def check_write_side(
    ledger: BenefitsLedger, beneficiaries: Iterable[Beneficiary], report: IntegrityReport
) -> None:
    """Compare the write side's rows with the replayed ``beneficiaries`` (all of the store's)."""
    tables: WriteSideTables = ledger.recorder.write_side  # type: ignore[attr-defined]
    seen: set[UUID] = set()
    with ledger.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        chunk: list[Beneficiary] = []
        for agg in beneficiaries:
            if isinstance(agg, Beneficiary):
                chunk.append(agg)
                seen.add(agg.id)
            if len(chunk) >= 500:
                _check_chunk(tables, cursor, chunk, report)
                chunk = []
        _check_chunk(tables, cursor, chunk, report)
        _orphans(tables, cursor, seen, report)


def _check_chunk(
    tables: WriteSideTables, cursor: Any, chunk: list[Beneficiary], report: IntegrityReport
) -> None:
    if not chunk:
        return
    ids = [agg.id for agg in chunk]
    recorded = tables.payments(cursor, [pid for agg in chunk for pid in agg.payments])
    stored = tables.all_positions_of(cursor, ids)
    terms = tables.terms_of(cursor, ids)
    for agg in chunk:
        for pid, payment in agg.payments.items():
            row = recorded.get(pid)
            if row is None:
                report.add(WRITE_SIDE, agg.id, None, f"payment {pid} has no row in the table of payment ids")
            elif (row.beneficiary_id, row.entitlement_id, row.period, row.amount) != (
                agg.id,
                payment.entitlement_id,
                payment.period,
                payment.amount,
            ):
                report.add(
                    WRITE_SIDE, agg.id, None,
                    f"the payment-id row of {pid} names stream {row.beneficiary_id}, {row.entitlement_id} "
                    f"{row.period}, {row.amount:,} đồng — not the payment this stream holds",
                )  # fmt: skip
        want = expected_positions(agg)
        have = stored.get(agg.id, {})
        for key in sorted(set(want) | set(have)):
            if want.get(key, (0, 0, False)) != have.get(key, (0, 0, False)):
                report.add(
                    WRITE_SIDE, agg.id, None,
                    f"the payment position of {key[0]} {key[1]} says paid/withheld/not collected "
                    f"{have.get(key)}, the stream's events give {want.get(key)}",
                )  # fmt: skip
        stored_terms = terms.get(agg.id)
        if stored_terms is not None:
            version, head, content = stored_terms
            if (version, head) == (agg.version, agg.chain_head) and content != terms_of(agg):
                report.add(
                    WRITE_SIDE, agg.id, version,
                    "the stored terms at the stream's head are not what its events give",
                )  # fmt: skip


def _orphans(tables: WriteSideTables, cursor: Any, seen: set[UUID], report: IntegrityReport) -> None:
    """Rows naming a stream that is no beneficiary of the log."""
    for stream, what in tables.streams_named(cursor):
        if stream not in seen:
            report.add(WRITE_SIDE, stream, None, f"the {what} names a stream that is no beneficiary")
