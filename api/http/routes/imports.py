"""Whole files: post-office / bank confirmation files and lists of beneficiaries (nhập tệp)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.http import responses
from api.http.deps import CurrentUser, Svc, idempotent_write
from api.web import problems
from ledger.authorization import require_file_import
from ledger.imports import ImportReport, import_payments
from ledger.register_imports import RegisterReport, import_beneficiaries

router = APIRouter(responses=responses.READ)


@router.post("/imports/payments", tags=["imports"], status_code=201, responses=responses.WRITE)
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


@router.post("/imports/beneficiaries", tags=["imports"], status_code=201, responses=responses.WRITE)
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
    require_file_import(user)
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
