"""Campaigns: one one-off for many people at once (đợt chi quà Tết, hỗ trợ)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.http import responses
from api.http.deps import CurrentUser, Svc, idempotent_write
from api.http.routes.beneficiaries import Basis
from api.web.formats import CommuneCode, Identifier, MonthText, OneOffSchemeCode, Params, SchemeCode
from api.web.text import SafeLine, SafeReason
from ledger.authorization import require_campaign_runner
from ledger.campaigns import campaign, grant_campaign

router = APIRouter(tags=["campaigns"], responses=responses.READ)


class Selection(BaseModel):
    """Who the campaign is for (every condition given must hold); living beneficiaries only."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["meritorious", "social_assistance", "poor_household"] | None = None
    commune_code: CommuneCode | None = Field(default=None, description="the commune in force in the month")
    schemes: list[SchemeCode] | None = Field(
        default=None, description="holding one of these schemes that month"
    )
    beneficiary_ids: list[SafeLine] | None = Field(default=None, max_length=200_000)


class CampaignBody(BaseModel):
    """A campaign: a one-off scheme for a month, with its parameters and decision, for a selection."""

    model_config = ConfigDict(extra="forbid")
    campaign_id: Identifier = Field(description="client-chosen, unique; idempotent")
    scheme: OneOffSchemeCode = Field(description="a one-off scheme, e.g. GIFT or HN_TET_SUPPORT")
    month: MonthText
    params: Params = Field(default_factory=dict, description="e.g. {amount, funding_source, occasion}")
    basis: Basis
    select: Selection = Field(default_factory=Selection)
    reason: SafeReason | None = None


@router.post(
    "/campaigns",
    status_code=201,
    responses=responses.writes(
        {200: {"description": "the same campaign_id again: its summary, nothing new"}}
    ),
)
async def start_campaign(body: CampaignBody, request: Request, svc: Svc, user: CurrentUser) -> JSONResponse:
    """Grant the one-off to every selected living beneficiary, in batched writes; 201 with
    ``{campaign_id, granted, already_granted, skipped: [{beneficiary_id, reason}]}``. The same
    ``campaign_id`` again records nothing new (200 with the campaign's summary); a campaign cut short
    finishes where it stopped. Officers of one commune may run a campaign for that commune only."""

    def run() -> tuple[int, Any]:
        require_campaign_runner(user, body.select.commune_code)
        created, summary = grant_campaign(
            svc.ledger, user.name, campaign_id=body.campaign_id, scheme=body.scheme, month=body.month,
            params=body.params, basis=body.basis.model_dump(),
            select=body.select.model_dump(exclude_none=True), reason=body.reason or "",
        )  # fmt: skip
        return (201 if created else 200), summary

    answer: JSONResponse = await run_in_threadpool(
        idempotent_write, request, svc, user, body.model_dump(mode="json"), run
    )
    return answer


@router.get("/campaigns/{campaign_id}")
def get_campaign(campaign_id: str, svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """A campaign's definition and what it did."""
    del user
    return campaign(svc.ledger, campaign_id).summary()
