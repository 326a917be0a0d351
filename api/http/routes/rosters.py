"""Rosters: the payout roster of a month, as JSON, CSV or XLSX, and issuing it (danh sách chi trả)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.http import responses
from api.http.deps import CurrentUser, Svc, idempotent_write
from api.web.formats import MONTH_PATTERN, CommuneCode, Moment, UuidPath
from api.web.text import SafeReason
from domain.rosters import ISSUED
from domain.values import Month
from ledger.access_log import roster_read
from ledger.adapters.communes import resolve_commune
from ledger.authorization import read_commune, require_roster_issuer
from ledger.history import parse_as_of
from projections.exports import XLSX, roster_csv, roster_file_name, roster_xlsx
from projections.rosters import MONTH_VIEW, RosterScope, issue_roster, roster_json, roster_view
from projections.rosters import approve_roster as approve
from projections.rosters import return_roster as send_back

if TYPE_CHECKING:
    from collections.abc import Iterator

    from projections.rosters import RosterJson

router = APIRouter(responses=responses.READ)
RosterMonth = Annotated[str, Path(pattern=MONTH_PATTERN, examples=["2024-07"], description="YYYY-MM")]


def _scope(svc: Svc, commune_code: object, channel: object) -> RosterScope:
    """A roster scope whose commune is a known commune of the deployment (else 422)."""
    scope = RosterScope.parse(commune_code, channel)
    if scope.commune_code is not None:
        resolve_commune(scope.commune_code, province=svc.ledger.province)
    return scope


@router.get("/rosters/{month}", tags=["rosters"], responses=responses.FILE_EXPORT)
def get_roster(
    month: RosterMonth,
    svc: Svc,
    user: CurrentUser,
    commune_code: Annotated[CommuneCode | None, Query()] = None,
    channel: Literal["cash", "bank"] | None = None,
    format: Literal["json", "csv", "xlsx"] = "json",  # noqa: A002 - the contract's name
    as_of: Annotated[Moment | None, Query()] = None,
    outstanding_only: Annotated[bool, Query()] = False,
    sep: Annotated[
        Literal["comma", "semicolon"], Query(description="CSV separator: semicolon for Excel in Vietnamese")
    ] = "comma",
) -> Response:
    """The payout roster of a month (danh sách chi trả). By default the month view (``view: "month"``):
    every line due that month with its status (``paid``, ``issued``, ``outstanding``; lines also
    ``partly_paid``) read at ``as_of`` (now unless given), the lines of the month's issued rosters as
    frozen. ``outstanding_only=true``: what is still to pay (``view: "outstanding"``) — the roster as
    prepared or issued once it is (what ``issue`` froze, what the approver approves). ``status``: the
    scope's roster ``prepared`` | ``issued`` | ``returned`` (``null``: none prepared), ``roster``: who
    prepared, approved or returned it and when, ``issued``: the same once issued (with its checkpoint).
    An officer or approver with a commune scope reads its communes' rosters: the one named, or its only
    commune."""
    target = Month.parse(month, "month")
    scope = _scope(svc, commune_code, channel)
    scope = RosterScope(read_commune(user, scope.commune_code), scope.channel)
    moment = parse_as_of(as_of)
    what = roster_read(target, scope.commune_code, scope.channel, format)
    if format == "json":
        document, issued = roster_json(
            svc.engine, target, scope, outstanding_only=outstanding_only, as_of=moment
        )
        svc.reads.record_list(user, what, document.beneficiary_ids)
        return StreamingResponse(_json_body(document, issued), media_type="application/json")
    roster, issued = roster_view(svc.engine, target, scope, outstanding_only=outstanding_only, as_of=moment)
    svc.reads.record_list(user, what, [line.beneficiary_id for line in roster.lines])
    checkpoint = (issued or {}).get("checkpoint")  # only an issued roster has one
    if format == "csv":
        name = roster_file_name(target, scope, "csv")
        return Response(roster_csv(roster, checkpoint, sep), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    name = roster_file_name(target, scope, "xlsx")
    return Response(roster_xlsx(roster, checkpoint), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _json_body(document: RosterJson, issued: dict[str, Any] | None) -> Iterator[bytes]:
    """The JSON answer, sent as it is encoded: the roster's canonical JSON (the bytes its content hash
    is taken over) with, after its own fields, ``content_hash`` (that hash, taken as the pieces go by),
    ``issued``, ``status``, ``roster`` and — on the outstanding view, whose document has none — ``view``."""
    digest = hashlib.sha256()
    for part in document.parts:
        digest.update(part)
        yield part
    digest.update(b"}")
    extra: dict[str, Any] = {
        "content_hash": digest.hexdigest(),
        "issued": issued if issued is not None and issued["status"] == ISSUED else None,
        "status": issued["status"] if issued is not None else None,  # prepared | issued | returned
        "roster": issued,  # who prepared, approved or returned it, and when
    }
    if document.view != MONTH_VIEW:
        extra["view"] = document.view
    yield b"," + orjson.dumps(extra)[1:]


class IssueRoster(BaseModel):
    """Which roster to issue."""

    model_config = ConfigDict(extra="forbid")
    commune_code: CommuneCode | None = None
    channel: Literal["cash", "bank"] | None = None
    reason: SafeReason | None = None


@router.post("/rosters/{month}/issue", status_code=201, tags=["rosters"], responses=responses.WRITE)
def issue(
    month: RosterMonth, request: Request, svc: Svc, user: CurrentUser, body: IssueRoster | None = None
) -> JSONResponse:
    """Prepare a roster for approval (lập danh sách, trình duyệt): its bytes are kept and their content
    hash recorded, status ``prepared``; a second person approves it (``approve_roster``), which issues
    (freezes) it, or returns it (``return_roster``). A roster prepared or issued is refused (409)."""
    body = body or IssueRoster()

    def run() -> tuple[int, Any]:
        scope = _scope(svc, body.commune_code, body.channel)
        require_roster_issuer(user, scope.commune_code)
        return 201, issue_roster(svc.engine, user.name, month, scope)

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


class ApproveRoster(BaseModel):
    """The approval of a prepared roster: an optional reason."""

    model_config = ConfigDict(extra="forbid")
    reason: SafeReason | None = None


class ReturnRoster(BaseModel):
    """The return of a prepared roster: why (required)."""

    model_config = ConfigDict(extra="forbid")
    reason: SafeReason = Field(min_length=1, description="why the roster is returned (lý do trả lại)")


@router.post("/rosters/{roster_id}/approve", tags=["rosters"], responses=responses.WRITE)
def approve_roster(
    roster_id: UuidPath, request: Request, svc: Svc, user: CurrentUser, body: ApproveRoster | None = None
) -> JSONResponse:
    """Approve a prepared roster (phê duyệt): an approver of its scope or an administrator, never its
    preparer (403); it is issued — exactly the bytes prepared — frozen, with its checkpoint. 200
    ``{roster_id, status: "issued", approved_by, approved_at, content_hash, checkpoint, …}``; 409 unless
    it is prepared."""
    given = body or ApproveRoster()

    def run() -> tuple[int, Any]:
        return 200, approve(svc.engine, user, roster_id, given.reason or "")

    return idempotent_write(request, svc, user, given.model_dump(mode="json"), run)


@router.post("/rosters/{roster_id}/return", tags=["rosters"], responses=responses.WRITE)
def return_roster(
    roster_id: UuidPath, request: Request, svc: Svc, user: CurrentUser, body: ReturnRoster
) -> JSONResponse:
    """Return a prepared roster with a reason (trả lại): an approver of its scope or an administrator,
    never its preparer (403); it is prepared again with ``POST /v1/rosters/{month}/issue``. 200
    ``{roster_id, status: "returned", returned_by, returned_at, return_reason, …}``; 409 unless it is
    prepared."""

    def run() -> tuple[int, Any]:
        return 200, send_back(svc.engine, user, roster_id, body.reason)

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)
