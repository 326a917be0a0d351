"""Reports, exception lists and the integrity check (báo cáo, ngoại lệ, toàn vẹn)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.http import responses
from api.http.deps import CurrentUser, Svc
from api.web.files import table_file
from api.web.formats import CommuneCode, MonthOrDate, MonthText
from ledger.adapters.communes import resolve_commune
from ledger.authorization import readable_communes
from ledger.integrity import verify_streams
from ledger.integrity_read_models import ReadModels
from projections.engine import ProjectionEngine
from projections.report_files import report_long_table, report_tables
from projections.reports import (
    exception_month,
    exceptions,
    exceptions_document,
    report_period,
    summary_report,
)
from projections.tables import file_stem
from projections.views import ALL_TABLES

router = APIRouter(responses=responses.READ)


@router.get("/reports/summary", tags=["reports"], responses=responses.FILE_EXPORT)
def report_summary(
    svc: Svc,
    user: CurrentUser,
    from_: Annotated[MonthOrDate | None, Query(alias="from")] = None,
    to: Annotated[MonthOrDate | None, Query()] = None,
    commune_code: Annotated[CommuneCode | None, Query()] = None,
    format: Literal["json", "csv", "xlsx"] = "json",  # noqa: A002 - as the other reads name it
    sep: Literal["comma", "semicolon"] = "comma",
) -> Any:
    """The provincial report for a period (báo cáo): per scheme people paid, payments, amount; non-cash
    share; grants and terminations; cards per group in use, new, ended. Without ``from`` and ``to``:
    January to the end of the last complete month in Vietnam's time (lũy kế từ đầu năm; in January, the
    year before); without ``to``, the last complete month; without ``from``, January of ``to``'s year.
    ``format=xlsx`` gives it as a workbook (a sheet per part, Vietnamese headings and names, numbers as
    numbers), ``format=csv`` as one figure a row (``sep=semicolon`` for Excel under Vietnamese settings)."""
    del user
    if commune_code:
        resolve_commune(commune_code, province=svc.ledger.province)
    start, finish = report_period(from_, to, svc.ledger.clock())
    summary = summary_report(svc.engine, start, finish, commune_code)
    if format == "json":
        return summary
    name = file_stem("bao-cao", summary["from"], summary["to"], commune_code)
    tables = [report_long_table(summary)] if format == "csv" else report_tables(summary)
    return table_file(tables, format, name, sep)


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
    month: Annotated[
        MonthText | None,
        Query(description="unpaid_roster_lines only: the month (default: the last complete month)"),
    ] = None,
) -> dict[str, Any]:
    """Exceptions an inspector chases; an officer with a commune scope sees its communes' people only.
    ``unpaid_roster_lines`` lists, for one month, each person whose items of that month are still unpaid
    (their items and total), with the count of people and of items."""
    target = exception_month(type, month, svc.ledger.clock())
    items = exceptions(svc.engine, type, month=target or svc.ledger.current_month())
    communes = readable_communes(user)
    items = [item for item in items if communes is None or item["commune_code"] in communes]
    svc.reads.record_list(user, f"exceptions {type}", [item["beneficiary_id"] for item in items])
    return exceptions_document(type, items, target)


@router.get("/integrity", tags=["integrity"])
def integrity(
    svc: Svc,
    user: CurrentUser,
    read_models: Annotated[bool, Query(description="also rebuild the read models and compare")] = False,
) -> dict[str, Any]:
    """Walk every stream's hash chain, then check the snapshots, the Merkle log, the uniqueness claims,
    the issued rosters (and the read models when asked): ``ok: false`` with every finding named."""
    del user
    ledger = svc.ledger
    models = None
    if read_models and ledger.database_url:
        models = ReadModels(
            ledger.database_url, svc.engine, lambda store: ProjectionEngine(ledger, store), ALL_TABLES
        )
    return verify_streams(ledger, read_models=models).as_dict()
