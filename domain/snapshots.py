"""Snapshots of a beneficiary's state — ảnh chụp trạng thái: a cache, never the record.

A beneficiary with years of monthly payments has hundreds of events; replaying them all for every row
of a province's payment file is what made imports slow. A snapshot is the state those events fold to at
one version, written as plain JSON values (lists rather than objects where it can, because decoding a
list is cheaper than decoding an object). Loading is then the snapshot plus the events recorded after
it. The record stays the events: a snapshot holds the hash of the event it was taken at
(``chain_head``), and whoever loads it checks that hash against the stored event of that version and
that the next event's ``prev_hash`` continues it; a snapshot that disagrees is ignored.

``state_of`` and ``restore`` are exact inverses: restoring a snapshot gives an aggregate equal, field
by field, to the one replayed from the events (a property test holds them to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic

from domain.beneficiary import Beneficiary, Card, Entitlement, Payment
from domain.values import Month

if TYPE_CHECKING:
    from uuid import UUID

FORMAT = 1


def _month(value: Month | None) -> str | None:
    return None if value is None else str(value)


def _parse_month(value: str | None) -> Month | None:
    return None if value is None else Month.parse(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def state_of(agg: Beneficiary) -> dict[str, Any]:
    """The beneficiary's whole state as JSON values (see the module's description)."""
    return {
        "format": FORMAT,
        "chain_head": agg.chain_head,
        "created_on": agg.created_on.isoformat(),
        "modified_on": agg.modified_on.isoformat(),
        "person": [
            agg.kind, agg.full_name, agg.citizen_id, _day(agg.date_of_birth), agg.sex, agg.household_code,
            agg.poverty_status, _day(agg.date_of_death), _day(agg.death_recorded_on), agg.recovered,
        ],
        "members": agg.members,
        "communes": [[str(m), code, province] for m, code, province in agg.communes],
        "channels": [[str(m), channel] for m, channel in agg.channels],
        "entitlements": [
            [
                e.entitlement_id, e.scheme_code, str(e.start), _month(e.end), e.basis, _day(e.granted_on),
                [[str(m), params] for m, params in e.params_history],
                [[str(start), _month(end)] for start, end in e.suspensions],
                _month(e.last_month),
            ]
            for e in agg.entitlements.values()
        ],
        "payments": [
            [p.payment_id, p.entitlement_id, p.period, p.amount, p.paid_on.isoformat(), p.channel,
             p.reference, p.reversed]
            for p in agg.payments.values()
        ],
        "paid": [[eid, period, amount] for (eid, period), amount in agg.paid.items()],
        "not_collected": sorted([eid, period] for eid, period in agg.not_collected),
        "recoveries": [
            [r["recovery_id"], r["amount"], r["method"], r["reference"], _day(r["recorded_on"]),
             *([r["entitlement_id"], r["period"]] if "entitlement_id" in r else [])]
            for r in agg.recoveries
        ],
        "withheld": [[eid, period, amount] for (eid, period), amount in agg.withheld.items()],
        "cards": [
            [c.card_number, _day(c.valid_from), _day(c.valid_to), _day(c.revoked_on), c.revoke_reason]
            for c in agg.cards.values()
        ],
    }  # fmt: skip


def restore(state: dict[str, Any], beneficiary_id: UUID, version: int) -> Beneficiary:
    """The aggregate ``state_of`` was taken from, at ``version``."""
    if state.get("format") != FORMAT:
        msg = f"unknown beneficiary snapshot format {state.get('format')!r}"
        raise ValueError(msg)
    agg = object.__new__(Beneficiary)
    (kind, full_name, citizen_id, dob, sex, household, poverty, death, death_recorded, recovered) = state[
        "person"
    ]
    entitlements = {}
    for eid, scheme, start, end, basis, granted, params, suspensions, last in state["entitlements"]:
        entitlements[eid] = Entitlement(
            entitlement_id=eid, scheme_code=scheme, start=Month.parse(start), end=_parse_month(end),
            basis=basis, granted_on=_parse_day(granted),
            params_history=[(Month.parse(m), p) for m, p in params],
            suspensions=[(Month.parse(s), _parse_month(e)) for s, e in suspensions],
            last_month=_parse_month(last),
        )  # fmt: skip
    agg.__dict__.update(
        {
            "_id": beneficiary_id,
            "_version": version,
            "_created_on": datetime.fromisoformat(state["created_on"]),
            "_modified_on": datetime.fromisoformat(state["modified_on"]),
            "_pending_events": [],
            "kind": kind,
            "full_name": full_name,
            "citizen_id": citizen_id,
            "date_of_birth": _parse_day(dob),
            "sex": sex,
            "household_code": household,
            "poverty_status": poverty,
            "members": state["members"],
            "communes": [(Month.parse(m), code, province) for m, code, province in state["communes"]],
            "channels": [(Month.parse(m), channel) for m, channel in state["channels"]],
            "entitlements": entitlements,
            "payments": {
                p[0]: Payment(p[0], p[1], p[2], p[3], date.fromisoformat(p[4]), p[5], p[6], p[7])
                for p in state["payments"]
            },
            "paid": {(eid, period): amount for eid, period, amount in state["paid"]},
            "not_collected": {(eid, period) for eid, period in state["not_collected"]},
            "recovered": recovered,
            "recoveries": [
                {"recovery_id": r[0], "amount": r[1], "method": r[2], "reference": r[3],
                 "recorded_on": _parse_day(r[4]),
                 **({"entitlement_id": r[5], "period": r[6]} if len(r) > 5 else {})}
                for r in state["recoveries"]
            ],
            "withheld": {(eid, period): amount for eid, period, amount in state.get("withheld", [])},
            "cards": {
                c[0]: Card(c[0], date.fromisoformat(c[1]), _parse_day(c[2]), _parse_day(c[3]), c[4])
                for c in state["cards"]
            },
            "date_of_death": _parse_day(death),
            "death_recorded_on": _parse_day(death_recorded),
            "chain_head": state["chain_head"],
        }
    )  # fmt: skip
    return agg


@dataclass(frozen=True)
class BeneficiarySnapshot(Snapshot):
    """A snapshot event of a beneficiary stream (stored in the snapshot table, never in the log)."""

    @classmethod
    def take(cls, aggregate: Any) -> BeneficiarySnapshot:
        """The snapshot of ``aggregate`` at its version, stamped with its last event's time."""
        if not isinstance(aggregate, Beneficiary):
            msg = f"only beneficiaries are snapshotted, not {type(aggregate).__name__}"
            raise TypeError(msg)
        if aggregate.__dict__.get("_partial_from_terms"):  # domain.positions.PARTIAL
            msg = "a beneficiary restored from its terms only (a bulk import's) is not snapshotted"
            raise TypeError(msg)
        return cls(
            originator_id=aggregate.id,
            originator_version=aggregate.version,
            timestamp=aggregate.modified_on,
            topic=get_topic(type(aggregate)),
            state=state_of(aggregate),
        )

    def mutate(self, _: Any) -> Beneficiary:
        """The aggregate this snapshot holds."""
        return restore(self.state, self.originator_id, self.originator_version)
