"""Inspector pages — trang thanh tra: audit log, exceptions, the provincial report, the integrity check.

Shown to inspectors and administrators (:data:`api.pages.kit.INSPECTING_ROLES`); anyone else signed in
gets 403, and the navigation links are not shown to them.

* ``/pages/nhat-ky`` — nhật ký: the audit trail across beneficiaries by actor, date range (the days the
  events were recorded, in Vietnam's time), event type and commune, newest first, a page at a time, each
  uniqueness claim shown inside the record it was saved with, with CSV and XLSX downloads
  (:func:`projections.audit.audit_trail`, the query of ``GET /v1/audit``).
* ``/pages/ngoai-le?loai=`` — ngoại lệ: the lists of :data:`projections.reports.EXCEPTION_TYPES`
  (:func:`projections.reports.exceptions`, as ``GET /v1/exceptions``), with their counts.
* ``/pages/bao-cao?from=YYYY-MM&to=YYYY-MM&commune_code=`` — báo cáo: the provincial report of
  ``GET /v1/reports/summary`` (:func:`projections.reports.summary_report`) with three charts drawn as
  inline SVG on the server (:mod:`api.pages.charts`): amount per month per scheme, the non-cash share
  month by month, cards in use per group — each with its numbers in a table.
* ``/pages/truy-cap`` — truy cập dữ liệu cá nhân: who read whose personal data, by user, beneficiary and
  date, newest first (:class:`ledger.access_log.AccessLog`, as ``GET /v1/access-log``).
* ``/pages/toan-ven`` — kiểm tra toàn vẹn: a button (POST with the CSRF token) runs
  :func:`ledger.integrity.verify_streams` over the whole log and the snapshots and shows the result.
"""

from __future__ import annotations

import contextlib
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from api.pages import charts
from api.pages import support as vi
from api.pages.kit import (
    COOKIE_PATH,
    CSRF_REFUSAL,
    Visitor,
    commune_options,
    csrf_ok,
    field_errors,
    forbidden,
    inspector_only,
    page,
    read_dates,
)
from api.pages.queries import entitlement_schemes, names_of
from api.web.files import FileFormat, table_file
from api.web.services import Services, services
from domain.catalogue import scheme_catalogue
from domain.errors import DomainError, InvalidInput
from domain.labels import event_label
from domain.values import BHYT_GROUPS, FUNDING_SOURCE_LABELS, Month, format_number
from ledger.adapters.communes import commune_name, communes_of, resolve_commune
from ledger.csv_cells import Separator
from ledger.integrity import verify_streams
from projections.audit import audit_table, audit_trail, audit_types, every_entry, parse_type
from projections.labels import CLAIM_KINDS
from projections.report_files import report_long_table, report_tables
from projections.reports import (
    EXCEPTION_LABELS,
    EXCEPTION_TYPES,
    exception_month,
    exceptions,
    exceptions_document,
    problem_text,
    provinces_recorded,
    report_period,
    summary_report,
)
from projections.roster_paper import province_title
from projections.tables import file_stem

router = APIRouter(include_in_schema=False)

AUDIT_PAGE = 100
MAX_REPORT_MONTHS = 60
TOP_SCHEMES = 6  # the chart of amounts shows the largest schemes, the rest as "Khác"
EXCEPTION_HELP = {
    "paid_after_death": "Các khoản đã chi cho kỳ sau tháng mất của đối tượng: phải thu hồi.",
    "overpayment_outstanding": (
        "Đối tượng còn khoản chi thừa (sau báo tử, thôi hưởng, điều chỉnh giảm) chưa thu hồi hết."
    ),
    "suspension_candidate": "Đối tượng không đến nhận trợ cấp ba tháng liền: xem xét tạm dừng chi trả.",
    "unpaid_roster_lines": (
        "Đối tượng còn khoản phải chi của tháng (trợ cấp của tháng và truy lĩnh đưa vào danh sách tháng đó)"
        " mà chưa ghi chi trả, cũng chưa ghi không đến nhận. Không tính khoản một lần."
    ),
    "uncomputable": (
        "Khoản không tính được vì chưa có mức áp dụng (ví dụ mức chuẩn chưa có bảng mức trợ cấp): "
        "không đưa vào danh sách chi trả cho đến khi có mức."
    ),
}
STREAM_KINDS = {
    "RosterIssued": "Danh sách chi trả",
    "RosterPrepared": "Danh sách chi trả",
    "RosterPreparedAgain": "Danh sách chi trả",
    "RosterApproved": "Danh sách chi trả",
    "RosterReturned": "Danh sách chi trả",
    "UserRegistered": "Người dùng",
    "UserDisabled": "Người dùng",
    "TokenIssued": "Người dùng",
    "RateScheduleOpened": "Biểu mức",
    "RateAmended": "Biểu mức",
    "RateAmendmentProposed": "Biểu mức",
    "RateAmendmentApproved": "Biểu mức",
    "NccTablesOpened": "Bảng mức trợ cấp NCC",
    "EditionRecorded": "Bảng mức trợ cấp NCC",
    "ValueClaimed": "Mã duy nhất",
}


def _event_types() -> list[tuple[str, str]]:
    return sorted(audit_types().items(), key=lambda item: item[1])


def _scheme_names() -> dict[str, str]:
    return {code: s.name_vi for code, s in scheme_catalogue().items()}


def _next_url(path: str, form: dict[str, str], cursor: object) -> str:
    """The link to the next page of a search with the filters of ``form`` (none after the last page)."""
    if cursor is None:
        return ""
    query = {k: v for k, v in form.items() if v}
    return f"{COOKIE_PATH}/{path}?" + urlencode({**query, "sau": cursor})


# ------------------------------------------------------------------------------------------- audit log


@router.get(f"{COOKIE_PATH}/nhat-ky")
def audit_log(
    request: Request, actor: str = "", date_from: str = "", date_to: str = "",
    type: str = "", commune_code: str = "", sau: str = "",  # noqa: A002 - the audit filter's name
    format: str = "", sep: str = "comma",  # noqa: A002 - as the API names it
) -> Response:  # fmt: skip
    """Nhật ký: who recorded what, when, on which decision, why — newest first; ``format=csv|xlsx``
    downloads every entry of the search (the same query as ``GET /v1/audit``)."""
    visitor = inspector_only(request)
    if isinstance(visitor, Response):
        return visitor
    typed = {"actor": actor.strip(), "date_from": date_from, "date_to": date_to, "type": type.strip(),
             "commune_code": commune_code.strip()}  # fmt: skip
    form, errors = read_dates(typed)  # the pages' one reading of dates (dd/mm/yyyy or ISO)
    svc: Services = services(request)
    errors = errors or _audit_errors(svc, form)
    if errors:
        form = {**form, **{name: typed[name] for name in errors if name in typed}}
    filters: dict[str, Any] = {
        "from_": form["date_from"] or None, "to": form["date_to"] or None, "actor": form["actor"] or None,
        "type": form["type"] or None, "commune_code": form["commune_code"] or None,
    }  # fmt: skip
    if format in {"csv", "xlsx"} and not errors:
        file_format: FileFormat = "csv" if format == "csv" else "xlsx"
        try:
            return _audit_file(
                svc, visitor, filters, file_format, "semicolon" if sep == "semicolon" else "comma"
            )
        except DomainError as error:  # more entries than a file holds: said above the search
            errors.update(field_errors(error, tuple(form)))
    found: dict[str, Any] = {"items": [], "next_cursor": None}
    if not errors:
        try:
            found = audit_trail(svc.engine, **filters, cursor=sau or None, limit=AUDIT_PAGE)
        except DomainError as error:
            errors.update(field_errors(error, tuple(form)))
            if any(e.field == "cursor" for e in error.errors):
                errors["_form"] = "Liên kết trang sau không còn đúng: tìm lại từ đầu."
    items = found["items"]
    people = names_of(svc.engine, (i["stream_id"] for i in items))
    if not errors:
        visitor.read(svc, "audit", sorted({i["stream_id"] for i in items if i["stream_id"] in people}))
    schemes = _scheme_names()
    entitlements = entitlement_schemes(svc.engine, (str(i["data"].get("entitlement_id", "")) for i in items))
    scheme_of = {eid: f"{schemes.get(code, code)} ({code})" for eid, code in entitlements.items()}
    rows = []
    for item in items:
        code = str(item["commune_code"] or "")
        person = people.get(item["stream_id"])
        communes = {code: f"{commune_name(code)} ({code})"} if code else {}
        claims = [(CLAIM_KINDS.get(str(c["kind"]), str(c["kind"])), str(c["value"]))
                  for c in item["claims"] if c["kind"] != "token"]  # fmt: skip
        rows.append(
            {**item, "label": item["type_label"],
             "person": person, "kind": STREAM_KINDS.get(item["type"], ""),
             "lines": vi.describe(item, scheme_of, communes) if item["type"] in vi.EVENT_LABELS else [],
             "claims_text": "; ".join(f"{kind}: {value}" for kind, value in claims),
             "basis_text": vi.basis_text(item["basis"])}
        )  # fmt: skip
    next_url = _next_url("nhat-ky", form, found["next_cursor"])
    query = {k: v for k, v in form.items() if v}
    context = {
        "nav": "nhat-ky",
        "form": form,
        "errors": errors,
        "rows": rows,
        "next_url": next_url,
        "paged": bool(sau),
        "event_types": _event_types(),
        "communes": commune_options(svc.ledger, visitor),
        "actors": sorted(u.name for u in svc.ledger.users()),
        "downloads": [
            (label, f"{COOKIE_PATH}/nhat-ky?" + urlencode({**query, **extra}))
            for label, extra in (
                ("Tải CSV", {"format": "csv"}),
                ("Tải CSV cho Excel tiếng Việt (dấu ;)", {"format": "csv", "sep": "semicolon"}),
                ("Tải XLSX", {"format": "xlsx"}),
            )
        ],
    }
    return page(request, "nhat_ky.html", context, visitor=visitor, status=422 if errors else 200)


def _audit_file(
    svc: Services, visitor: Visitor, filters: dict[str, Any], file_format: FileFormat, sep: Separator
) -> Response:
    """Every entry of the page's search as a file (written to the access log as the API's is)."""
    entries = list(every_entry(svc.engine, **filters))
    visitor.read(
        svc, f"audit {file_format}", sorted({i["beneficiary_id"] for i in entries if i["beneficiary_id"]})
    )
    name = file_stem("nhat-ky", filters.get("commune_code"), str(svc.ledger.today()))
    return table_file([audit_table(entries, "NHẬT KÝ GHI SỔ")], file_format, name, sep)


def _audit_errors(svc: Services, form: dict[str, str]) -> dict[str, str]:
    """The refusals of an audit search whose dates were read (:func:`api.pages.kit.read_dates`)."""
    errors: dict[str, str] = {}
    if form["date_from"] and form["date_to"] and form["date_to"] < form["date_from"]:
        errors["date_to"] = "Không được trước ngày bắt đầu."
    if form["type"]:
        try:
            parse_type(form["type"])
        except DomainError:
            errors["type"] = "Chọn một giá trị trong danh sách."
    if form["commune_code"]:
        try:
            resolve_commune(form["commune_code"], province=svc.ledger.province)
        except DomainError as error:
            errors.update(field_errors(error, tuple(form)))
    return errors


# ------------------------------------------------------------------------------------------- exceptions


@router.get(f"{COOKIE_PATH}/ngoai-le")
def exception_lists(request: Request, loai: str = "overpayment_outstanding", thang: str = "") -> Response:
    """Ngoại lệ: what an inspector chases (the unpaid roster lines of a month: ``thang``)."""
    visitor = inspector_only(request)
    if isinstance(visitor, Response):
        return visitor
    svc: Services = services(request)
    current = svc.ledger.current_month()
    if loai not in EXCEPTION_TYPES:
        context = {"nav": "ngoai-le", "title": "Không tìm thấy", "status": 404,
                   "detail": "Không có danh sách ngoại lệ này."}  # fmt: skip
        return page(request, "loi.html", context, visitor=visitor, status=404)
    asked = vi.parse_month_text(thang) if loai == "unpaid_roster_lines" else ""
    errors: dict[str, str] = {}
    try:
        month = exception_month("unpaid_roster_lines", asked, svc.ledger.clock())
    except DomainError as error:
        errors = field_errors(error, ("month",))
        month = exception_month("unpaid_roster_lines", "", svc.ledger.clock())
    lists = {
        kind: exceptions(svc.engine, kind, month=month if kind == "unpaid_roster_lines" else current)
        for kind in EXCEPTION_TYPES
    }
    items = [] if errors else lists[loai]
    visitor.read(svc, f"exceptions {loai}", [item["beneficiary_id"] for item in items])
    summed = ("amount", "overpaid", "recovered", "outstanding", "unpaid_items")
    totals = {key: sum(int(i[key] or 0) for i in items) for key in summed if items and key in items[0]}
    context = {
        "nav": "ngoai-le",
        "kind": loai,
        "kinds": [(k, EXCEPTION_LABELS[k], len(lists[k])) for k in EXCEPTION_TYPES],
        "label": EXCEPTION_LABELS[loai],
        "help": EXCEPTION_HELP[loai],
        "items": items,
        "totals": totals,
        "month": str(month),
        "asked_month": asked or str(month),
        "errors": errors,
        "schemes": _scheme_names(),
        "problem_text": problem_text,
        "document": exceptions_document(loai, items, month),
    }
    return page(request, "ngoai_le.html", context, visitor=visitor, status=422 if errors else 200)


# ------------------------------------------------------------------------------------------- access log


@router.get(f"{COOKIE_PATH}/truy-cap")
def access_log(
    request: Request, user: str = "", beneficiary_id: str = "", date_from: str = "", date_to: str = "",
    sau: str = "",
) -> Response:  # fmt: skip
    """Truy cập: who read whose personal data, when, what."""
    visitor = inspector_only(request)
    if isinstance(visitor, Response):
        return visitor
    typed = {"user": user.strip(), "beneficiary_id": beneficiary_id.strip(), "date_from": date_from,
             "date_to": date_to}  # fmt: skip
    form, errors = read_dates(typed)
    if not errors and form["date_from"] and form["date_to"] and form["date_to"] < form["date_from"]:
        errors["date_to"] = "Không được trước ngày bắt đầu."
    svc: Services = services(request)
    found: dict[str, Any] = {"items": [], "next_cursor": None}
    if errors:
        form = {**form, **{name: typed[name] for name in errors}}
    else:
        start, end = vi.vietnam_day_bounds(form["date_from"], form["date_to"])  # days of Vietnam's calendar
        try:
            found = svc.reads.page(
                user=form["user"] or None, beneficiary_id=form["beneficiary_id"] or None,
                read_from=start or None, read_before=end or None, cursor=sau or None, limit=AUDIT_PAGE,
            )  # fmt: skip
        except DomainError as error:
            errors.update(field_errors(error, tuple(form)))
    next_url = _next_url("truy-cap", form, found["next_cursor"])
    context = {
        "nav": "truy-cap",
        "form": form,
        "errors": errors,
        "rows": [{**r, "what_vi": vi.read_text(r["what"], EXCEPTION_LABELS)} for r in found["items"]],
        "next_url": next_url,
        "paged": bool(sau),
        "users": sorted(u.name for u in svc.ledger.users()),
    }
    return page(request, "truy_cap.html", context, visitor=visitor, status=422 if errors else 200)


# ------------------------------------------------------------------------------------------- report


def _months(start: str, finish: str) -> list[Month]:
    first, last = Month.parse(start[:7]), Month.parse(finish[:7])
    months = []
    while first <= last:
        months.append(first)
        first = first.next()
    return months


class ReportAsked:
    """The period and the commune a report page asks for (``?from=&to=&commune_code=``)."""

    def __init__(
        self, from_: Annotated[str, Query(alias="from")] = "", to: str = "", commune_code: str = ""
    ) -> None:
        self.from_, self.to, self.commune_code = from_, to, commune_code


@router.get(f"{COOKIE_PATH}/bao-cao")
def report(
    request: Request,
    query: Annotated[ReportAsked, Depends()],
    format: str = "",  # noqa: A002 - as the API names it
) -> Response:
    """Báo cáo: the provincial report of a period, with charts; ``format=xlsx|csv`` downloads it (as
    ``GET /v1/reports/summary`` does)."""
    asked = _asked_report(request, query)
    if isinstance(asked, Response):
        return asked
    visitor, svc, form, summary = asked
    if format in {"csv", "xlsx"}:
        name = file_stem("bao-cao", summary["from"], summary["to"], form["commune_code"])
        if format == "csv":
            return table_file([report_long_table(summary)], "csv", name)
        return table_file(report_tables(summary), "xlsx", name)
    context: dict[str, Any] = {"nav": "bao-cao", "form": form, "errors": {},
                               "communes": commune_options(svc.ledger, visitor)}  # fmt: skip
    months = _months(summary["from"], summary["to"])
    monthly = [summary_report(svc.engine, str(m), str(m), form["commune_code"] or None) for m in months]
    context.update(shown=True, **_report_context(summary, months, monthly, visitor))
    asked_for = {k: v for k, v in form.items() if v}
    context["print_url"] = f"{COOKIE_PATH}/bao-cao/in?" + urlencode(asked_for)
    context["downloads"] = [
        (label, f"{COOKIE_PATH}/bao-cao?" + urlencode({**asked_for, "format": kind}))
        for label, kind in (("Tải XLSX", "xlsx"), ("Tải CSV", "csv"))
    ]
    context["unfinished"] = summary["to"] >= svc.ledger.today().isoformat()
    return page(request, "bao_cao.html", context, visitor=visitor)


def _asked_report(
    request: Request, query: ReportAsked
) -> tuple[Visitor, Services, dict[str, str], dict[str, Any]] | Response:
    """The inspector, the form as asked (months as ``YYYY-MM``; the default period filled in:
    :func:`report_period`) and the report; or the response that refuses (sign in, 403, the report page
    with the refusals beside the fields)."""
    visitor = inspector_only(request)
    if isinstance(visitor, Response):
        return visitor
    svc: Services = services(request)
    form = {
        "from": vi.parse_month_text(query.from_),
        "to": vi.parse_month_text(query.to),
        "commune_code": query.commune_code.strip(),
    }
    try:
        form["from"], form["to"] = report_period(form["from"], form["to"], svc.ledger.clock())
        if form["commune_code"]:
            resolve_commune(form["commune_code"], province=svc.ledger.province)
        summary = summary_report(svc.engine, form["from"], form["to"], form["commune_code"] or None)
        if len(_months(summary["from"], summary["to"])) > MAX_REPORT_MONTHS:
            raise InvalidInput("to", f"a report covers at most {MAX_REPORT_MONTHS} months")
    except DomainError as error:
        context = {"nav": "bao-cao", "form": form, "errors": field_errors(error, tuple(form)), "shown": False,
                   "communes": commune_options(svc.ledger, visitor)}  # fmt: skip
        return page(request, "bao_cao.html", context, visitor=visitor, status=422)
    return visitor, svc, form, summary


@router.get(f"{COOKIE_PATH}/bao-cao/in")
def report_print(request: Request, query: Annotated[ReportAsked, Depends()]) -> Response:
    """Bản in báo cáo: A4, quốc hiệu, the unit, the period, the tables, the signatures; no navigation."""
    asked = _asked_report(request, query)
    if isinstance(asked, Response):
        return asked
    visitor, svc, form, summary = asked
    names = _scheme_names()
    today = svc.ledger.today()
    code = form["commune_code"]
    place = commune_name(code) if code else province_title(_province_name(svc) or "").removeprefix("Tỉnh ")
    context = {
        "summary": summary,
        "period": f"từ ngày {vi.ngay(summary['from'])} đến ngày {vi.ngay(summary['to'])}",
        "where": f"{commune_name(code)} ({code})" if code else "Toàn tỉnh",
        "letterhead": _report_letterhead(svc, code),
        "schemes": [(c, names.get(c, c), row) for c, row in summary["schemes"].items()],
        "card_groups": [(g, BHYT_GROUPS.get(g, g), row) for g, row in summary["cards"].items()],
        "sources": [
            (s, FUNDING_SOURCE_LABELS.get(s, s), row) for s, row in summary["by_funding_source"].items()
        ],
        "date_line": f"{place}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}",
        "printed_at": svc.ledger.clock().isoformat(),
    }
    return page(request, "bao_cao_in.html", context, visitor=visitor)


def _province_name(svc: Services) -> str | None:
    """The deployment's province, else the one province the beneficiaries live in."""
    codes = [svc.ledger.province] if svc.ledger.province else provinces_recorded(svc.engine)
    communes = communes_of(codes[0]) if len(codes) == 1 else []
    return communes[0].province_name if communes else None


def _report_letterhead(svc: Services, commune_code: str) -> list[str]:
    """Who reports, as the top-left corner of the print names it: the province's people's committee (the
    deployment's province), and the commune's when the report is of one commune."""
    if commune_code:
        commune = resolve_commune(commune_code)
        return [f"UBND {province_title(commune.province_name)}".upper(), f"UBND {commune.name}".upper()]
    province = _province_name(svc)
    return [f"UBND {province_title(province)}".upper()] if province else ["ĐƠN VỊ BÁO CÁO"]


def _report_context(
    summary: dict[str, Any], months: list[Month], monthly: list[dict[str, Any]], visitor: Visitor
) -> dict[str, Any]:
    del visitor
    names = _scheme_names()
    labels = [vi.thang(str(m)) for m in months]
    ranked = sorted(summary["schemes"], key=lambda code: -summary["schemes"][code]["amount"])
    paid = [code for code in ranked if summary["schemes"][code]["amount"] > 0]
    top, rest = paid[:TOP_SCHEMES], paid[TOP_SCHEMES:]
    series = [
        charts.Series(names.get(code, code), [r["schemes"].get(code, {}).get("amount", 0) for r in monthly])
        for code in top
    ]
    if rest:
        other = [sum(r["schemes"].get(code, {}).get("amount", 0) for code in rest) for r in monthly]
        series.append(charts.Series("Khác", other))
    period = f"từ {vi.ngay(summary['from'])} đến {vi.ngay(summary['to'])}"
    amounts_total = [r["amount"] for r in monthly]
    amount_chart = charts.bar_chart(
        "bieu-do-so-tien",
        f"Số tiền đã chi theo tháng và chế độ, {period}",
        "Cột chồng: mỗi cột là một tháng (theo ngày chi), mỗi màu là một chế độ; tổng theo tháng: "
        + "; ".join(f"{label} {vi.vnd(amount)}" for label, amount in zip(labels, amounts_total, strict=True)),
        labels, series or [charts.Series("Tổng", amounts_total)], charts.short_vnd,
    )  # fmt: skip
    shares = [float(r["non_cash_share"]) if r["people_paid"] else None for r in monthly]
    share_chart = charts.line_chart(
        "bieu-do-khong-tien-mat",
        f"Tỷ lệ người nhận không dùng tiền mặt theo tháng, {period}",
        "Đường: tỷ lệ số người được chi qua tài khoản trên tổng số người được chi trong tháng; "
        + "; ".join(f"{label} {charts.percent_text(s) if s is not None else 'không có khoản chi'}"
                    for label, s in zip(labels, shares, strict=True)),
        labels, shares,
    )  # fmt: skip
    cards = summary["cards"]
    groups = list(cards)
    in_use = [cards[g]["in_use"] for g in groups]
    cards_chart = charts.bar_chart(
        "bieu-do-the-bhyt",
        f"Thẻ BHYT còn giá trị theo nhóm, ngày {vi.ngay(summary['to'])}",
        "Cột: số thẻ còn giá trị cuối kỳ của mỗi nhóm đối tượng; "
        + "; ".join(f"{g} {format_number(n)}" for g, n in zip(groups, in_use, strict=True)),
        groups, [charts.Series("Thẻ còn giá trị", in_use)],
    ) if groups else None  # fmt: skip
    return {
        "summary": summary,
        "period": period,
        "schemes": [(code, names.get(code, code), summary["schemes"][code]) for code in ranked],
        "monthly": list(zip(labels, monthly, strict=True)),
        "series_names": [s.name for s in series],
        "series_rows": [(label, [s.values[i] for s in series]) for i, label in enumerate(labels)],
        "amount_chart": amount_chart,
        "share_chart": share_chart,
        "cards_chart": cards_chart,
        "card_groups": [(g, BHYT_GROUPS.get(g, g), cards[g]) for g in groups],
    }


# ------------------------------------------------------------------------------------------- integrity


@router.get(f"{COOKIE_PATH}/toan-ven")
def integrity_form(request: Request) -> Response:
    """Kiểm tra toàn vẹn: the button."""
    visitor = inspector_only(request)
    if isinstance(visitor, Response):
        return visitor
    return page(request, "toan_ven.html", {"nav": "toan-ven", "report": None}, visitor=visitor)


@router.post(f"{COOKIE_PATH}/toan-ven")
def integrity_check(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Walk every stream's hash chain and every snapshot (``ledger.integrity.verify_streams``)."""
    visitor = inspector_only(request)
    if isinstance(visitor, Response):
        return visitor
    if not csrf_ok(visitor.session.csrf, csrf_token):
        return forbidden(request, visitor, CSRF_REFUSAL)
    svc: Services = services(request)
    started = time.monotonic()
    found = verify_streams(svc.ledger)
    seconds = time.monotonic() - started
    if found.broken:
        # The names of the people behind the broken streams; a record the projections cannot read
        # leaves some unnamed rather than stopping the report.
        with contextlib.suppress(Exception):
            svc.engine.catch_up()
    people = names_of(svc.engine, (b.stream_id for b in found.broken))
    broken = [
        {"stream_id": b.stream_id, "version": b.version, "position": b.notification_id,
         "label": event_label(b.event_type),
         "problem": vi.chain_problem(b.version, b.event_type, b.problem), "person": people.get(b.stream_id)}
        for b in found.broken
    ]  # fmt: skip
    context = {
        "nav": "toan-ven",
        "report": found,
        "broken": broken,
        "seconds": f"{seconds:.1f}".replace(".", ","),
        "checked_at": svc.ledger.clock().isoformat(),
    }
    return page(request, "toan_ven.html", context, visitor=visitor)
