"""Reports, exception lists and the integrity check (báo cáo, ngoại lệ, toàn vẹn)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.http.deps import CurrentUser, Svc
from ledger.adapters.communes import resolve_commune
from ledger.integrity import verify_streams
from projections.reports import exceptions, summary_report

router = APIRouter()


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
