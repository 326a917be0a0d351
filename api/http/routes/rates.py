"""Rate schedules and NCC table editions: amendments, their approval, official editions (mức chuẩn)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.http import responses
from api.http.deps import CurrentUser, Svc, idempotent_write
from api.web.formats import Amount, MonthText
from api.web.services import AuthError
from api.web.text import SAID, NoControl, SafeReason, Written
from domain.rates import KNOWN_SCHEDULES
from domain.values import MAX_AMOUNT
from ledger.authorization import require_admin
from ledger.imports import read_ncc_table_file

router = APIRouter(responses=responses.READ)
Schedule = Annotated[
    str, Path(json_schema_extra={"enum": list(KNOWN_SCHEDULES)}, description="a rate schedule")
]


class RateAmendment(BaseModel):
    """A decree's amount from an effective month."""

    model_config = ConfigDict(extra="forbid")
    effective_from: MonthText
    amount: Amount
    legal_basis: Written = Field(max_length=300)
    province_code: str | None = Field(
        default=None, pattern=r"^[0-9]{2}$", description="2-digit province code"
    )
    reason: SafeReason | None = None
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


@router.post("/rates/ncc-tables", status_code=201, tags=["rates"], responses=responses.WRITE)
async def load_ncc_tables(
    request: Request,
    svc: Svc,
    user: CurrentUser,
    file: Annotated[
        UploadFile, File(description="CSV or XLSX with the columns of ncc_monthly_allowances.csv")
    ],
    standard: Annotated[
        int, Form(ge=1, le=MAX_AMOUNT, description="the NCC standard (đồng) of this edition")
    ],
    legal_basis: Annotated[
        str, NoControl, Form(min_length=1, max_length=300, pattern=r"\S", json_schema_extra=SAID)
    ],
) -> JSONResponse:
    """Administrator: load an official edition of the NCC amount tables for a standard (checked whole:
    every row of the tables once, amounts whole đồng). It replaces an edition derived for that standard;
    the months paid at it are computed again (arrears or overpayments follow)."""
    content = await file.read()
    name = file.filename or ""

    def run() -> tuple[int, Any]:
        table = read_ncc_table_file(content, name)
        return 201, svc.ledger.load_ncc_tables(user, table, standard=standard, legal_basis=legal_basis)

    body = {"file": hashlib.sha256(content).hexdigest(), "standard": standard, "legal_basis": legal_basis}
    answer: JSONResponse = await run_in_threadpool(idempotent_write, request, svc, user, body, run)
    return answer


@router.post(
    "/rates/{schedule}",
    status_code=201,
    tags=["rates"],
    responses=responses.writes(
        {202: {"description": "outside 0.5×–2× of the value in force: pending a second administrator"}}
    ),
)
def amend_rate(
    schedule: Schedule, body: RateAmendment, request: Request, svc: Svc, user: CurrentUser
) -> JSONResponse:
    """Administrator: record a decree's standard (possibly effective in the past: arrears follow). An
    amount outside 0.5×–2× of the value in force (a first provincial override: of the national value)
    is not in force until a second administrator approves it: 202 with the pending amendment."""

    def run() -> tuple[int, Any]:
        result = svc.ledger.amend_rate(
            user, schedule, effective_from=body.effective_from, amount=body.amount,
            legal_basis=body.legal_basis, province_code=body.province_code, reason=body.reason or "",
            derive_tables=body.derive_tables,
        )  # fmt: skip
        return (202 if result.get("status") == "pending" else 201), result

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


class Approval(BaseModel):
    """A second administrator's approval."""

    model_config = ConfigDict(extra="forbid")
    reason: SafeReason | None = None


@router.post("/rates/{schedule}/amendments/{amendment_id}/approve", tags=["rates"], responses=responses.WRITE)
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
        require_admin(user)  # before the amendment is looked up: a non-administrator learns nothing
        pending = {p["amendment_id"]: p for p in svc.ledger.pending_rate_amendments()}
        if amendment_id in pending and pending[amendment_id]["schedule"] != schedule:
            raise AuthError(404, f"amendment {amendment_id} is not an amendment of {schedule}")
        return 200, svc.ledger.approve_rate_amendment(user, amendment_id, reason=given.reason or "")

    return idempotent_write(request, svc, user, given.model_dump(mode="json"), run)
