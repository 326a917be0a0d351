"""Nhập tệp xác nhận chi trả — the upload of a post-office / bank confirmation file on a page.

``POST /pages/nhap-tep`` (multipart: ``file``, CSV or XLSX) records the file with the same import as
``ledger import payments`` and ``POST /v1/imports/payments`` (:func:`ledger.imports.import_payments`,
the same options: keep the good rows, allow partial amounts) and for the same users (officers of the
whole province and administrators, :func:`ledger.authorization.require_file_import`; others 403). The
session and the role are checked before the body is read; the upload may be as large as the API's
(``LEDGER_MAX_UPLOAD_BYTES``).

The result is kept with the form's one-time key (the API's idempotency keys): ``GET
/pages/nhap-tep?ket_qua=KEY`` shows the report row by row — each row of the file accepted or refused
with its reasons in Vietnamese — and ``GET /pages/nhap-tep/tu-choi?ket_qua=KEY`` downloads the refused
rows with their reasons (:func:`ledger.imports.write_rejects`). A double post shows the first result
and records nothing. A file that cannot be read at all is refused beside the file field.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.pages import support as vi
from api.pages.kit import (
    COOKIE_PATH,
    SECURITY_HEADERS,
    Visitor,
    admitted,
    field_errors,
    form_key_of,
    page,
    posted_form,
    record_once,
)
from api.web.problems import status_of
from api.web.services import services
from domain.catalogue import scheme_catalogue
from domain.errors import DomainError
from ledger.imports import ALIASES, STATUSES, RowError, import_payments, read_table, write_rejects

router = APIRouter(include_in_schema=False)

PATH = f"{COOKIE_PATH}/nhap-tep"
SCREEN_ROWS = 500  # rows shown on the page; the rejects file has every refused row
NOT_FOR_YOU = (
    "Nhập tệp xác nhận chi trả dành cho cán bộ cấp tỉnh (không giới hạn xã/phường) và quản trị viên: "
    "tệp có thể gồm đối tượng của mọi xã/phường."
)
COLUMN_LABELS = {
    "payment_id": "Mã chi trả",
    "citizen_id": "Số CCCD",
    "beneficiary_id": "Mã đối tượng",
    "scheme": "Chế độ",
    "entitlement_id": "Mã chế độ",
    "period": "Kỳ",
    "amount": "Số tiền",
    "paid_on": "Ngày chi",
    "status": "Trạng thái",
    "reference": "Số biên lai",
    "channel": "Hình thức",
    "row": "Dòng",
    "file": "Tệp",
}
ROW_STATUS = {"paid": "Đã nhận", "not_collected": "Không nhận"}
NOTICES = {
    "da-nhap": "Đã nhập tệp xác nhận chi trả.",
    "co-loi": "Tệp có dòng bị từ chối: chưa ghi dòng nào. Sửa các dòng bị từ chối rồi gửi lại, "
    "hoặc chọn «Ghi các dòng hợp lệ».",
    "da-nhap-mot-phan": "Đã ghi các dòng hợp lệ của tệp; các dòng bị từ chối không được ghi: tải về, sửa "
    "rồi gửi lại.",
    "da-gui-truoc": "Tệp này đã được gửi trước đó: không ghi thêm. Dưới đây là kết quả lần gửi đó.",
}


def _upload_page(
    request: Request, visitor: Visitor, *, result: dict[str, Any] | None = None, notice: str = "",
    errors: dict[str, str] | None = None, options: dict[str, bool] | None = None, result_key: str = "",
    status: int = 200,
) -> Response:  # fmt: skip
    context = {
        "nav": "nhap-tep",
        "errs": errors or {},
        "form_key": secrets.token_urlsafe(16),
        "options": options or {"accept_good_rows": False, "allow_partial": False},
        "result": result,
        "result_key": result_key,
        "notice": NOTICES.get(notice, ""),
        "columns": [(name, COLUMN_LABELS[name], ", ".join(ALIASES[name][1:3])) for name in ALIASES],
    }
    return page(request, "nhap_tep.html", context, visitor=visitor, status=status)


def _visitor(request: Request) -> Visitor | Response:
    """The visitor who may import a file, or the page that sends them away (sign in, 403)."""
    return admitted(request, lambda v: v.imports, NOT_FOR_YOU)


@router.get(PATH)
def upload_form(request: Request, ket_qua: str = "", lan_truoc: str = "") -> Response:
    """The upload form, or the report of an upload (``ket_qua``: its form key)."""
    visitor = _visitor(request)
    if isinstance(visitor, Response):
        return visitor
    if not ket_qua:
        return _upload_page(request, visitor)
    stored = services(request).keys.stored(form_key_of(visitor, {"form_key": ket_qua}))
    if stored is None or not isinstance(stored.body, dict):
        return _upload_page(
            request, visitor, errors={"_form": "Không tìm thấy kết quả nhập tệp này."}, status=404
        )
    result = stored.body
    notice = "da-gui-truoc" if lan_truoc else _notice(result)
    return _upload_page(request, visitor, result=result, notice=notice, result_key=ket_qua)


@router.get(f"{PATH}/tu-choi")
def rejects(request: Request, ket_qua: str = "") -> Response:
    """The refused rows of an upload, with their reasons (CSV, UTF-8 with BOM)."""
    visitor = _visitor(request)
    if isinstance(visitor, Response):
        return visitor
    stored = services(request).keys.stored(form_key_of(visitor, {"form_key": ket_qua})) if ket_qua else None
    body = stored.body if stored is not None and isinstance(stored.body, dict) else {}
    if not body.get("rejects_csv"):
        return _upload_page(
            request, visitor, errors={"_form": "Không có dòng bị từ chối để tải về."}, status=404
        )
    name = f"dong-bi-tu-choi-{body.get('filename_stem', 'tep')}.csv"
    return Response(
        body["rejects_csv"].encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(PATH)
async def upload(request: Request) -> Response:
    """Record the file; the report's page (303), or the form with the refusal beside the file field."""
    sent = await posted_form(request, _visitor)
    if isinstance(sent, Response):
        return sent
    visitor, form, posted = sent
    options = {"accept_good_rows": bool(posted.get("accept_good_rows")),
               "allow_partial": bool(posted.get("allow_partial"))}  # fmt: skip
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        errors = {"file": "Chọn tệp xác nhận chi trả (CSV hoặc XLSX)."}
        return _upload_page(request, visitor, errors=errors, options=options, status=422)
    content = await file.read()
    name = file.filename
    values = {"file_sha256": hashlib.sha256(content).hexdigest(), "filename": name, **options}

    def action() -> dict[str, Any]:
        report = import_payments(
            services(request).ledger, content, name, actor=visitor.user.name,
            accept_good_rows=options["accept_good_rows"], allow_partial=options["allow_partial"],
        )  # fmt: skip
        return _result(read_table(content, name), report.errors, report.as_dict(), name)

    try:
        once = await run_in_threadpool(record_once, request, visitor, posted, values, action)
    except DomainError as error:
        errors = field_errors(error, ("file",))
        if "_form" in errors and "file" not in errors:
            errors = {"file": errors["_form"]}
        return _upload_page(request, visitor, errors=errors, options=options, status=status_of(error))
    if once.conflict:
        return _upload_page(request, visitor, errors={"_form": once.conflict}, options=options, status=409)
    key = posted.get("form_key", "").strip()[:100]
    if not key:  # without a one-time key there is nowhere to keep the report: show it now
        return _upload_page(request, visitor, result=once.answer,
                            notice=_notice(once.answer))  # fmt: skip
    again = "&lan_truoc=1" if once.repeated else ""
    return RedirectResponse(f"{PATH}?ket_qua={key}{again}", status_code=303)


def _notice(result: dict[str, Any]) -> str:
    if not result["committed"]:
        return "co-loi"
    return "da-nhap-mot-phan" if result["rows_with_errors"] else "da-nhap"


def _status_text(typed: str) -> str:
    """A row's status as the page says it (a file may write it in English or Vietnamese)."""
    return ROW_STATUS.get(STATUSES.get((typed or "paid").strip().lower(), ""), typed)


def _result(
    table: list[dict[str, str]], errors: list[RowError], summary: dict[str, Any], filename: str
) -> dict[str, Any]:
    """What the report page shows and keeps: the import's counts, the file's rows (the first
    :data:`SCREEN_ROWS`) each accepted or refused with its reasons in Vietnamese, and the rejects file."""
    by_row: dict[int, list[dict[str, str]]] = {}
    for error in errors:  # a refusal of the whole row (``row``) names no column
        column = "" if error.column == "row" else COLUMN_LABELS.get(error.column, error.column)
        by_row.setdefault(error.row, []).append({"column": column, "reason": vi.vietnamese(error.reason)})
    names = {code: s.name_vi for code, s in scheme_catalogue().items()}
    rows = []
    for number, raw in enumerate(table[:SCREEN_ROWS], start=2):
        amount = vi.parse_amount_text(raw.get("amount", ""))
        rows.append({
            "row": number,
            "payment_id": raw.get("payment_id", ""),
            "who": raw.get("citizen_id") or raw.get("beneficiary_id", ""),
            "scheme": raw.get("scheme") or raw.get("entitlement_id", ""),
            "scheme_name": names.get((raw.get("scheme") or "").upper(), ""),
            "period": vi.thang(raw.get("period")) if raw.get("period") else "",
            "amount": vi.vnd(amount) if isinstance(amount, int) else amount,
            "status": _status_text(raw.get("status", "")),
            "refusals": by_row.get(number, []),
        })  # fmt: skip
    said = [RowError(e.row, COLUMN_LABELS.get(e.column, e.column), vi.vietnamese(e.reason)) for e in errors]
    return {
        **{k: summary[k] for k in ("rows", "recorded", "already_recorded", "not_collected", "committed")},
        "rows_with_errors": len(by_row),
        "accepted": summary["rows"] - len(by_row),
        "lines": rows,
        "lines_omitted": max(0, len(table) - SCREEN_ROWS),
        "filename": filename,
        "filename_stem": "".join(c for c in filename.rsplit(".", 1)[0] if c.isalnum() or c in "-_")[:60]
        or "tep",
        "rejects_csv": write_rejects(table, said).decode("utf-8") if errors else "",
    }
