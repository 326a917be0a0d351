"""Campaigns — đợt chi quà, hỗ trợ: one one-off granted to many people at once (a Tết gift campaign).

A campaign is a stream of its own (keyed by the campaign id the client chooses): it records what was
decided — the one-off scheme, the month, its parameters, the legal basis and which people it is for —
when it starts, and what it did when it completes (how many granted, how many already held it, who was
skipped and why). Each grant itself is an ``EntitlementGranted`` in the person's stream, with the
campaign's id among its parameters (``params.campaign``), so a campaign run again after a crash grants
only the people it has not reached, and the same campaign id never grants twice.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from domain.catalogue import KINDS, get_scheme, validate_params
from domain.errors import Conflict, InvalidInput
from domain.events import LedgerAggregate, RecordContext
from domain.values import Month, check_basis_date, parse_basis, parse_commune_code, parse_identifier

NAMESPACE_CAMPAIGNS = UUID("5c1e9a47-8b2d-4e6f-9a3c-7d0b1e2f3a49")
CAMPAIGN_PARAM = "campaign"
SELECT_KEYS = ("kind", "commune_code", "schemes", "beneficiary_ids")


def campaign_stream_id(campaign_id: str) -> UUID:
    """The stream of a campaign id (one stream per id)."""
    return uuid5(NAMESPACE_CAMPAIGNS, campaign_id)


def parse_campaign(
    campaign_id: object, scheme: object, month: object, params: object, basis: object, select: object
) -> dict[str, Any]:
    """A campaign's definition, checked: a one-off scheme, a month, the scheme's parameters, a legal
    basis and the selection (``kind``, ``commune_code``, ``schemes`` held, ``beneficiary_ids``)."""
    cid = parse_identifier(campaign_id, "campaign_id")
    sch = get_scheme(scheme)
    if sch.monthly:
        raise InvalidInput("scheme", f"a campaign grants a one-off; {sch.code} is paid every month")
    start = Month.parse(month, "month")
    checked = validate_params(sch, params)
    legal = parse_basis(basis)
    chosen = _parse_select(select)
    return {
        "campaign_id": cid,
        "scheme": sch.code,
        "month": str(start),
        "params": checked,
        "basis": legal,
        "select": chosen,
    }


def _parse_select(select: object) -> dict[str, Any]:
    if select is None:
        select = {}
    if not isinstance(select, dict):
        raise InvalidInput("select", "must be an object: kind, commune_code, schemes, beneficiary_ids")
    unknown = set(select) - set(SELECT_KEYS)
    if unknown:
        raise InvalidInput(f"select.{min(unknown)}", f"is not a selection; use {', '.join(SELECT_KEYS)}")
    readers = {
        "kind": _select_kind,
        "commune_code": lambda v: parse_commune_code(v, "select.commune_code"),
        "schemes": _select_schemes,
        "beneficiary_ids": _select_ids,
    }
    return {key: readers[key](select[key]) for key in SELECT_KEYS if select.get(key) is not None}


def _select_kind(kind: object) -> str:
    if kind not in KINDS:
        raise InvalidInput("select.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    return str(kind)


def _select_schemes(schemes: object) -> list[str]:
    if not isinstance(schemes, list) or not schemes:
        raise InvalidInput("select.schemes", "must be a non-empty list of scheme codes")
    return sorted({get_scheme(s, "select.schemes").code for s in schemes})


def _select_ids(ids: object) -> list[str]:
    if not isinstance(ids, list) or not ids:
        raise InvalidInput("select.beneficiary_ids", "must be a non-empty list of beneficiary ids")
    try:
        return sorted({str(UUID(str(i))) for i in ids})
    except ValueError:
        raise InvalidInput("select.beneficiary_ids", "must hold beneficiary ids (UUIDs)") from None


class Campaign(LedgerAggregate):
    """A campaign (đợt chi): its definition and, once done, what it did."""

    class CampaignStarted(LedgerAggregate.Created):
        """CampaignStarted — a one-off decided for many people at once."""

        campaign_id: str
        definition: dict[str, Any]

    class CampaignCompleted(LedgerAggregate.Event):
        """CampaignCompleted — every selected person was granted, found holding it, or skipped."""

        granted: int
        already_granted: int
        skipped: list[dict[str, str]]

        def apply(self, agg: Campaign) -> None:
            agg.outcome = {
                "granted": self.granted,
                "already_granted": self.already_granted,
                "skipped": list(self.skipped),
            }

    def __init__(self, campaign_id: str, definition: dict[str, Any]) -> None:
        self.campaign_id = campaign_id
        self.definition = definition
        self.outcome: dict[str, Any] | None = None

    @classmethod
    def start(cls, ctx: RecordContext, definition: dict[str, Any]) -> Campaign:
        """Open a campaign's stream with its checked definition (:func:`parse_campaign`)."""
        check_basis_date(definition["basis"], ctx.today)
        return cls._create(
            cls.CampaignStarted,
            id=campaign_stream_id(definition["campaign_id"]),
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.today,
            reason=ctx.reason,
            basis=definition["basis"],
            campaign_id=definition["campaign_id"],
            definition=definition,
        )

    def same_as(self, definition: dict[str, Any]) -> None:
        """The same id again must mean the same campaign (409 otherwise)."""
        if self.definition != definition:
            msg = (
                f"campaign {self.campaign_id} was started with another definition: choose another campaign_id"
            )
            raise Conflict(msg, "campaign_id")

    def complete(
        self, ctx: RecordContext, *, granted: int, already_granted: int, skipped: list[dict[str, str]]
    ) -> None:
        """Record what the campaign did."""
        self.record(
            self.CampaignCompleted, ctx, granted=granted, already_granted=already_granted, skipped=skipped
        )

    def summary(self) -> dict[str, Any]:
        """What ``POST /v1/campaigns`` and ``GET /v1/campaigns/{id}`` answer."""
        outcome = self.outcome or {"granted": 0, "already_granted": 0, "skipped": []}
        return {
            "campaign_id": self.campaign_id,
            "status": "completed" if self.outcome is not None else "started",
            **{k: v for k, v in self.definition.items() if k != "campaign_id"},
            **outcome,
        }
