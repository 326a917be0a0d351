"""Rosters, reports, exceptions, integrity, rates and users."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import AuthError, CurrentUser, Svc, idempotent_write, require_admin, require_writer
from domain.values import Month
from ledger.communes import resolve_commune
from ledger.history import parse_as_of
from ledger.imports import ImportReport, import_payments, read_ncc_table_file
from ledger.integrity import verify_streams
from ledger.register_imports import RegisterReport, import_beneficiaries
from projections.exports import roster_csv, roster_xlsx
from projections.reports import exceptions, summary_report
from projections.rosters import RosterScope, current_roster, issue_roster, roster_as_of

router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(svc: Svc, commune_code: object, channel: object) -> RosterScope:
    """A roster scope whose commune is a known commune of the deployment (else 422)."""
    scope = RosterScope.parse(commune_code, channel)
    if scope.commune_code is not None:
        resolve_commune(scope.commune_code, province=svc.ledger.province)
    return scope


def roster_file_name(month: Month, scope: RosterScope, extension: str) -> str:
    """``danh-sach-chi-tra-2024-08-26041-cash.csv``."""
    parts = ["danh-sach-chi-tra", str(month), scope.commune_code or "toan-tinh"]
    if scope.channel:
        parts.append(scope.channel)
    return "-".join(parts) + "." + extension


@router.get("/rosters/{month}", tags=["rosters"])
def get_roster(
    month: str,
    svc: Svc,
    user: CurrentUser,
    commune_code: str | None = None,
    channel: str | None = None,
    format: Literal["json", "csv", "xlsx"] = "json",  # noqa: A002 - the contract's name
    as_of: str | None = None,
) -> Response:
    """The payout roster of a month (danh sách chi trả): frozen if issued, else as of now (or ``as_of``)."""
    del user
    target = Month.parse(month, "month")
    scope = _scope(svc, commune_code, channel)
    issued = None
    moment = parse_as_of(as_of)
    if moment is not None:
        roster = roster_as_of(svc.ledger, target, moment, scope)
    else:
        roster, issued = current_roster(svc.engine, target, scope)
    if format == "csv":
        name = roster_file_name(target, scope, "csv")
        return Response(roster_csv(roster), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    if format == "xlsx":
        name = roster_file_name(target, scope, "xlsx")
        return Response(roster_xlsx(roster), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    body = roster.as_dict()
    body["issued"] = issued
    body["content_hash"] = roster.content_hash()
    return JSONResponse(body)


class IssueRoster(BaseModel):
    """Which roster to issue."""

    model_config = ConfigDict(extra="forbid")
    commune_code: str | None = None
    channel: Literal["cash", "bank"] | None = None
    reason: str | None = Field(default=None, max_length=500)


@router.post("/rosters/{month}/issue", status_code=201, tags=["rosters"])
def issue(
    month: str, request: Request, svc: Svc, user: CurrentUser, body: IssueRoster | None = None
) -> JSONResponse:
    """Issue (freeze) a roster: its content hash is recorded in the ledger."""
    body = body or IssueRoster()

    def run() -> tuple[int, Any]:
        scope = _scope(svc, body.commune_code, body.channel)
        if scope.commune_code is None and user.role == "officer" and user.scope:
            raise AuthError(403, f"user {user.name} issues rosters of its own communes only: name one")
        require_writer(user, scope.commune_code)
        return 201, issue_roster(svc.engine, user.name, month, scope)

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


@router.get("/reports/summary", tags=["reports"])
def report_summary(
    svc: Svc,
    user: CurrentUser,
    from_: Annotated[str | None, Query(alias="from", description="YYYY-MM or YYYY-MM-DD")] = None,
    to: Annotated[str | None, Query(description="YYYY-MM or YYYY-MM-DD")] = None,
    commune_code: str | None = None,
) -> dict[str, Any]:
    """The provincial report for a period (báo cáo): per scheme people paid, payments, amount; non-cash
    share; grants and terminations; cards per group in use, new, ended."""
    del user
    if commune_code:
        resolve_commune(commune_code, province=svc.ledger.province)
    current = str(svc.ledger.current_month())
    return summary_report(svc.engine, from_ or to or current, to or from_ or current, commune_code)


@router.get("/exceptions", tags=["reports"])
def exception_list(
    svc: Svc,
    user: CurrentUser,
    type: Literal[  # noqa: A002 - the contract's name
        "paid_after_death",
        "overpayment_outstanding",
        "suspension_candidate",
        "unpaid_roster_lines",
        "uncomputable",
    ] = "overpayment_outstanding",
) -> dict[str, Any]:
    """Exceptions an inspector chases."""
    del user
    return {"type": type, "items": exceptions(svc.engine, type, month=svc.ledger.current_month())}


@router.get("/integrity", tags=["integrity"])
def integrity(svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """Walk every stream's hash chain."""
    del user
    return verify_streams(svc.ledger).as_dict()


class RateAmendment(BaseModel):
    """A decree's amount from an effective month."""

    model_config = ConfigDict(extra="forbid")
    effective_from: str
    amount: StrictInt
    legal_basis: str = Field(min_length=1, max_length=300)
    province_code: str | None = None
    reason: str | None = Field(default=None, max_length=500)
    derive_tables: bool = Field(
        default=True,
        description="NCC_STANDARD: without an official edition of the amount tables for the new standard, "
        "derive one from the latest official edition (true) or refuse with 409 (false)",
    )


@router.get("/rates", tags=["rates"])
def rates(svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """Every rate schedule and its entries."""
    del user
    book = svc.ledger.rates()
    return {
        "items": [
            {
                "schedule": schedule,
                "province_code": province,
                "entries": [
                    {
                        "effective_from": str(e.effective_from), "amount": e.amount,
                        "legal_basis": e.legal_basis,
                        "recorded_at": e.recorded_at.isoformat() if e.recorded_at else None,
                        "recorded_by": e.recorded_by,
                    }
                    for e in book.series(schedule, province)
                ],
            }
            for schedule, province in book.schedules()
        ],
        "pending": svc.ledger.pending_rate_amendments(),
        "ncc_tables": [
            {
                "standard": t.standard, "legal_basis": t.legal_basis, "derived": t.derived,
                "rows": len(t.rows),
                "recorded_at": t.recorded_at.isoformat() if t.recorded_at else None,
                "recorded_by": t.recorded_by,
            }
            for t in book.table_editions()
        ],
    }  # fmt: skip


@router.post("/rates/ncc-tables", status_code=201, tags=["rates"])
async def load_ncc_tables(
    request: Request,
    svc: Svc,
    user: CurrentUser,
    file: Annotated[
        UploadFile, File(description="CSV or XLSX with the columns of ncc_monthly_allowances.csv")
    ],
    standard: Annotated[int, Form(description="the NCC standard (đồng) this edition was made for")],
    legal_basis: Annotated[str, Form(min_length=1, max_length=300)],
) -> JSONResponse:
    """Administrator: load an official edition of the NCC amount tables for a standard (checked whole:
    every row of the tables once, amounts whole đồng). It replaces an edition derived for that standard;
    the months paid at it are computed again (arrears or overpayments follow)."""
    content = await file.read()
    name = file.filename or ""

    def run() -> tuple[int, Any]:
        require_admin(user)
        table = read_ncc_table_file(content, name)
        return 201, svc.ledger.load_ncc_tables(user.name, table, standard=standard, legal_basis=legal_basis)

    body = {"file": hashlib.sha256(content).hexdigest(), "standard": standard, "legal_basis": legal_basis}
    answer: JSONResponse = await run_in_threadpool(idempotent_write, request, svc, user, body, run)
    return answer


@router.post(
    "/rates/{schedule}",
    status_code=201,
    tags=["rates"],
    responses={202: {"description": "outside 0.5×–2× of the value in force: pending a second administrator"}},
)
def amend_rate(
    schedule: str, body: RateAmendment, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Administrator: record a decree's standard (possibly effective in the past: arrears follow). An
    amount outside 0.5×–2× of the value in force (a first provincial override: of the national value)
    is not in force until a second administrator approves it: 202 with the pending amendment."""

    def run() -> tuple[int, Any]:
        require_admin(user)
        result = svc.ledger.amend_rate(
            user.name, schedule, effective_from=body.effective_from, amount=body.amount,
            legal_basis=body.legal_basis, province_code=body.province_code, reason=body.reason or "",
            derive_tables=body.derive_tables,
        )  # fmt: skip
        return (202 if result.get("status") == "pending" else 201), result

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


class Approval(BaseModel):
    """A second administrator's approval."""

    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=500)


@router.post("/rates/{schedule}/amendments/{amendment_id}/approve", tags=["rates"])
def approve_rate_amendment(
    schedule: str,
    amendment_id: str,
    request: Request,
    svc: Svc,
    user: CurrentUser,
    body: Approval | None = None,
) -> JSONResponse:
    """Administrator other than the proposer: approve a pending amendment; it is in force from now."""
    given = body or Approval()

    def run() -> tuple[int, Any]:
        require_admin(user)
        pending = {p["amendment_id"]: p for p in svc.ledger.pending_rate_amendments()}
        if amendment_id in pending and pending[amendment_id]["schedule"] != schedule:
            raise AuthError(404, f"amendment {amendment_id} is not an amendment of {schedule}")
        return 200, svc.ledger.approve_rate_amendment(user.name, amendment_id, reason=given.reason or "")

    return idempotent_write(request, svc, user, given.model_dump(mode="json"), run)


class NewUser(BaseModel):
    """A user to create."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=64)
    role: Literal["officer", "inspector", "admin"]
    scope: list[str] = Field(default_factory=list)
    reason: str | None = Field(default=None, max_length=500)


@router.post("/users", status_code=201, tags=["users"])
def add_user(body: NewUser, request: Request, svc: Svc, user: CurrentUser) -> JSONResponse:
    """Administrator: create a user; the token is in this answer only."""

    def run() -> tuple[int, Any]:
        require_admin(user)
        created, token = svc.ledger.add_user(
            user.name, body.name, role=body.role, scope=body.scope, reason=body.reason or ""
        )
        return 201, {"name": created.name, "role": created.role, "scope": created.scope, "token": token}

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


@router.get("/users", tags=["users"])
def list_users(svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """Administrator: every user (never a token)."""
    require_admin(user)
    return {
        "items": [
            {"name": u.name, "role": u.role, "scope": u.scope, "disabled": u.disabled}
            for u in svc.ledger.users()
        ]
    }


@router.post("/imports/payments", tags=["imports"])
async def import_payments_file(
    request: Request,
    svc: Svc,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="CSV or XLSX confirmation file")],
    accept_good_rows: Annotated[bool, Form()] = False,
    allow_partial: Annotated[bool, Form()] = False,
) -> JSONResponse:
    """Record a post-office / bank confirmation file; the answer is the import report (rows, errors)."""
    content = await file.read()
    name = file.filename or ""

    def record() -> ImportReport:
        return import_payments(
            svc.ledger, content, name, actor=user.name, accept_good_rows=accept_good_rows,
            allow_partial=allow_partial,
        )  # fmt: skip

    options = {"accept_good_rows": accept_good_rows, "allow_partial": allow_partial}
    return await _file_import(request, svc, user, content, name, options, record)


@router.post("/imports/beneficiaries", tags=["imports"])
async def import_beneficiaries_file(
    request: Request,
    svc: Svc,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="CSV or XLSX list of people (and first decisions)")],
    accept_good_rows: Annotated[bool, Form()] = False,
) -> JSONResponse:
    """Register the people of a file (and grant their first entitlements); the answer is the report."""
    content = await file.read()
    name = file.filename or ""

    def record() -> RegisterReport:
        return import_beneficiaries(
            svc.ledger, content, name, actor=user.name, accept_good_rows=accept_good_rows
        )

    return await _file_import(
        request, svc, user, content, name, {"accept_good_rows": accept_good_rows}, record
    )


async def _file_import(
    request: Request, svc: Any, user: Any, content: bytes, filename: str, options: dict[str, Any],
    record: Callable[[], ImportReport | RegisterReport],
) -> JSONResponse:  # fmt: skip
    """A province-wide file write (officers of the whole province, administrators), idempotent by key:
    201 with the report, or 422 with the report when the file has errors and nothing was recorded."""
    if user.role == "inspector" or (user.role == "officer" and user.scope):
        require_writer(user, "*" if user.role == "officer" else None)
    request_body = {"file_sha256": hashlib.sha256(content).hexdigest(), "filename": filename, **options}

    def run() -> tuple[int, Any]:
        report = record()
        body = report.as_dict()
        if not report.committed:
            body.update({"type": problems.TYPES[422], "title": problems.TITLES[422], "status": 422,
                         "detail": "the file has errors: nothing was recorded"})  # fmt: skip
            return 422, body
        return 201, body

    answer: JSONResponse = await run_in_threadpool(idempotent_write, request, svc, user, request_body, run)
    return answer
