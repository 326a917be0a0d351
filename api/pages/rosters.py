"""Danh sách chi trả — the monthly payout roster as a page, its files, its print view, and its issue.

* ``GET /pages/danh-sach-chi-tra?month=YYYY-MM&commune_code=&channel=`` — the roster of a month and
  scope as ``GET /v1/rosters/{month}`` serves it (:func:`projections.rosters.roster_view`: the month
  view with statuses, or with the filter ``outstanding_only`` ticked what is still to pay, frozen
  once issued, else built now): its lines, totals per channel and commune, and beside it the payments
  already recorded for that month. An officer with a commune scope sees only their communes (the first
  one by default; another commune is 403).
* ``POST /pages/danh-sach-chi-tra/phat-hanh`` — "lập danh sách, trình duyệt": prepare the roster for
  approval with the same function and checks as ``POST /v1/rosters/{month}/issue`` (officers of the
  commune, administrators; an officer with a scope names a commune; inspectors 403; a roster prepared
  or issued is refused).
* ``POST /pages/danh-sach-chi-tra/phe-duyet`` | ``/tra-lai`` — "phê duyệt" (issue, freeze) or "trả lại"
  (with a reason, beside its field) a prepared roster, as ``POST /v1/rosters/{roster_id}/approve`` |
  ``/return``: approvers of the scope and administrators, never the preparer (who is not shown the
  buttons). Approvers see the rosters awaiting their approval above the form.
* ``GET /pages/danh-sach-chi-tra/tai-ve?...&dinh_dang=csv|xlsx`` — the roster file
  (:func:`projections.exports.roster_csv`, :func:`projections.exports.roster_xlsx`), under the
  session rather than a bearer token.
* ``GET /pages/danh-sach-chi-tra/in?...`` — the print view: A4 landscape, a signature column "Ký
  nhận", no navigation, the table's heading repeated on every printed page, one commune per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.pages import support as vi
from api.pages.kit import (
    COOKIE_PATH,
    SECURITY_HEADERS,
    Visitor,
    commune_options,
    field_errors,
    forbidden,
    page,
    poster,
    to_signin,
    visitor_of,
)
from api.pages.queries import payments_for_period
from api.web.problems import status_of
from api.web.services import Services, services
from domain.errors import DomainError
from domain.rosters import ISSUED, PREPARED, RETURNED
from domain.values import Month
from ledger.access_log import roster_read
from ledger.adapters.communes import commune_name, resolve_commune
from projections.exports import XLSX, roster_csv, roster_file_name, roster_xlsx
from projections.roster_paper import (
    SIGNATURES,
    SIGNING_DATE,
    item_label,
    letterhead,
    roster_title,
    scheme_name,
)
from projections.rosters import (
    CHANNELS,
    MONTH_VIEW,
    STATUS_LABELS,
    Roster,
    RosterLine,
    RosterScope,
    approve_roster,
    issue_roster,
    return_roster,
    roster_view,
    rosters_awaiting_approval,
)

router = APIRouter(include_in_schema=False)

BASE = f"{COOKIE_PATH}/danh-sach-chi-tra"
SCREEN_LINES = 1000  # more lines than this: the files and the print view have them all
FIELDS = ("month", "commune_code", "channel")
TICKED = {"true", "1", "on"}  # a ticked checkbox, or the API's spelling
NOTICES = {
    "da-phat-hanh": "Đã phát hành danh sách chi trả: nội dung được cố định và mã băm được ghi vào sổ.",
    "da-trinh-duyet": (
        "Đã lập danh sách chi trả và trình phê duyệt: nội dung và mã băm được ghi vào sổ; người phê duyệt "
        "(không phải người lập) phê duyệt để phát hành."
    ),
    "da-tra-lai": "Đã trả lại danh sách chi trả kèm lý do: người lập sửa và lập lại.",
}
OUT_OF_SCOPE = "Xã/phường này ngoài phạm vi được giao của bạn."


class _RefusalError(Exception):
    """A roster request that cannot be served: a page to answer with."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


def _scope(
    request: Request,
    visitor: Visitor,
    month: str,
    commune_code: str,
    channel: str,
    outstanding_only: str = "",
) -> tuple[dict[str, str], dict[str, str], Month | None, RosterScope | None]:
    """The form as given (defaults filled), its refusals, and the month and scope when both are good.
    ``outstanding_only`` (the filter "chỉ các khoản còn phải chi"): ``"true"`` when ticked, else ``""``.

    Raises :class:`_RefusalError` (403) for a commune outside an officer's scope."""
    svc: Services = services(request)
    form = {"month": vi.parse_month_text(month) or str(svc.ledger.current_month()),
            "commune_code": commune_code.strip(), "channel": channel.strip(),
            "outstanding_only": "true" if outstanding_only.strip().lower() in TICKED else ""}  # fmt: skip
    if visitor.scoped:
        if not form["commune_code"]:
            form["commune_code"] = visitor.user.scope[0]
        elif not visitor.may_read(form["commune_code"]):
            raise _RefusalError(forbidden(request, visitor, OUT_OF_SCOPE))
    errors: dict[str, str] = {}
    target: Month | None = None
    scope: RosterScope | None = None
    try:
        target = Month.parse(form["month"], "month")
    except DomainError as error:
        errors.update(field_errors(error, FIELDS))
    try:
        scope = RosterScope.parse(form["commune_code"], form["channel"])
        if scope.commune_code is not None:
            resolve_commune(scope.commune_code, province=svc.ledger.province)
    except DomainError as error:
        errors.update(field_errors(error, FIELDS))
        scope = None
    return form, errors, target, scope


def _query(form: dict[str, str], **extra: str) -> str:
    return urlencode({k: v for k, v in {**form, **extra}.items() if v})


def _line(number: int, line: RosterLine, paid: dict[str, int]) -> dict[str, Any]:
    items = [(item_label(item), item.amount) for item in line.items]
    return {
        "number": number,
        "beneficiary_id": line.beneficiary_id,
        "full_name": line.full_name,
        "citizen_id": line.citizen_id,
        "commune_code": line.commune_code,
        "channel": line.channel,
        "items": items,
        "net_amount": line.net_amount,
        "paid": paid.get(line.beneficiary_id, 0),
        "status": STATUS_LABELS[line.status],
        "issued_roster_id": line.issued_roster_id,
    }


def _by_commune(roster: Roster) -> list[dict[str, Any]]:
    """The lines grouped by commune (the print view starts a page per commune)."""
    groups: dict[str, list[RosterLine]] = {}
    for line in roster.lines:
        groups.setdefault(line.commune_code, []).append(line)
    return [
        {"code": code, "name": commune_name(code), "lines": [_line(n, x, {}) for n, x in enumerate(lines, 1)],
         "amount": sum(x.net_amount for x in lines)}
        for code, lines in sorted(groups.items())
    ]  # fmt: skip


def _title(form: dict[str, str]) -> str:
    where = (
        f"{commune_name(form['commune_code'])} ({form['commune_code']})"
        if form["commune_code"]
        else "Toàn tỉnh"
    )
    how = f", {vi.CHANNEL_LABELS[form['channel']].lower()}" if form["channel"] in CHANNELS else ""
    return f"{where}{how}"


def _shown(svc: Services, visitor: Visitor, roster: Roster, how: str = "") -> None:
    """Record in the access log that the visitor was shown ``roster`` (on screen, printed, downloaded)."""
    what = roster_read(roster.month, roster.scope.commune_code, roster.scope.channel, how)
    visitor.read(svc, what, [line.beneficiary_id for line in roster.lines])


# ------------------------------------------------------------------------------------------- routes


def _roster_page(
    request: Request,
    visitor: Visitor,
    month: str,
    commune_code: str,
    channel: str,
    *,
    notice: str = "",
    issue_error: str = "",
    decision_errors: dict[str, str] | None = None,
    status: int = 200,
    outstanding_only: str = "",
) -> Response:
    svc: Services = services(request)
    try:
        form, errors, target, scope = _scope(request, visitor, month, commune_code, channel, outstanding_only)
    except _RefusalError as refused:
        return refused.response
    context: dict[str, Any] = {
        "nav": "danh-sach",
        "form": form,
        "errors": errors,
        "communes": commune_options(svc.ledger, visitor),
        "channels": [(c, vi.CHANNEL_LABELS[c]) for c in CHANNELS],
        "notice": NOTICES.get(notice, ""),
        "issue_error": issue_error,
        "decision_errors": decision_errors or {},
        "shown": False,
        "awaiting": rosters_awaiting_approval(svc.ledger, visitor.user) if _approves(visitor) else [],
    }
    if target is None or scope is None:
        return page(request, "danh_sach.html", context, visitor=visitor, status=422)
    roster, info = _roster(svc, form, target, scope)
    issued = info if info is not None and info["status"] == ISSUED else None
    _shown(svc, visitor, roster)
    payments = payments_for_period(svc.engine, str(target), scope)
    paid: dict[str, int] = {}
    for payment in payments:
        paid[payment["beneficiary_id"]] = paid.get(payment["beneficiary_id"], 0) + int(payment["amount"])
    lines = [_line(n, line, paid) for n, line in enumerate(roster.lines[:SCREEN_LINES], start=1)]
    query = _query(form)
    context.update(
        shown=True,
        month=str(target),
        title=_title(form),
        heading=roster.heading(),
        month_view=roster.view == MONTH_VIEW,
        status_labels=STATUS_LABELS,
        lines=lines,
        more_lines=max(0, len(roster.lines) - SCREEN_LINES),
        totals=roster.totals(),
        issued=issued,
        roster_info=info,
        content_hash=roster.content_hash(),
        payments=payments,
        payments_total=sum(int(p["amount"]) for p in payments),
        may_issue=(info is None or info["status"] == RETURNED)
        and visitor.writes
        and visitor.user.can_write_commune(scope.commune_code),
        may_decide=info is not None
        and info["status"] == PREPARED
        and visitor.user.can_approve_commune(scope.commune_code)
        and info["prepared_by"] != visitor.user.name,  # the preparer never signs twice
        csv_url=f"{BASE}/tai-ve?{_query(form, dinh_dang='csv')}",
        xlsx_url=f"{BASE}/tai-ve?{_query(form, dinh_dang='xlsx')}",
        print_url=f"{BASE}/in?{query}",
        scheme_name=scheme_name,
    )
    return page(request, "danh_sach.html", context, visitor=visitor, status=status)


def _roster(
    svc: Services, form: dict[str, str], target: Month, scope: RosterScope
) -> tuple[Roster, dict[str, Any] | None]:
    """The roster the form asks for: the month view, or what is still to pay when the filter is ticked."""
    return roster_view(svc.engine, target, scope, outstanding_only=bool(form["outstanding_only"]))


def _chosen(
    request: Request,
    month: str,
    commune_code: str,
    channel: str,
    visitor: Visitor | None = None,
    outstanding_only: str = "",
) -> tuple[Visitor, dict[str, str], Month, RosterScope] | Response:
    """The visitor (the signed-in one unless given) and the form, month and scope a roster action works
    on, or the response that refuses it: sign in first, 403 for a commune outside an officer's scope,
    the roster page with the refusals (422) for a wrong month or commune."""
    visitor = visitor or visitor_of(request)
    if visitor is None:
        return to_signin(request)
    try:
        form, _, target, scope = _scope(request, visitor, month, commune_code, channel, outstanding_only)
    except _RefusalError as refused:
        return refused.response
    if target is None or scope is None:
        return _roster_page(
            request, visitor, month, commune_code, channel, status=422, outstanding_only=outstanding_only
        )
    return visitor, form, target, scope


@dataclass
class RosterQuery:
    """The roster form's fields as a query string gives them (checked by :func:`_scope`)."""

    month: str = ""
    commune_code: str = ""
    channel: str = ""
    outstanding_only: str = ""


Asked = Annotated[RosterQuery, Depends()]


@router.get(BASE)
def roster_page(request: Request, asked: Asked, thong_bao: str = "") -> Response:
    """Danh sách chi trả of a month and commune: the month view with statuses, or (the filter ticked)
    what is still to pay."""
    visitor = visitor_of(request)
    if visitor is None:
        return to_signin(request)
    return _roster_page(
        request, visitor, asked.month, asked.commune_code, asked.channel, notice=thong_bao,
        outstanding_only=asked.outstanding_only,
    )  # fmt: skip


NOTICE_AFTER = {"phat-hanh": "da-trinh-duyet", "phe-duyet": "da-phat-hanh", "tra-lai": "da-tra-lai"}


@router.post(f"{BASE}/phat-hanh")
@router.post(f"{BASE}/phe-duyet")
@router.post(f"{BASE}/tra-lai")
def roster_action(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    month: Annotated[str, Form()] = "",
    commune_code: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    roster_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """The two signatures of a roster, as the JSON API's: ``/phat-hanh`` — lập danh sách, trình duyệt
    (``POST /v1/rosters/{month}/issue``: officers of the commune and administrators); ``/phe-duyet`` —
    phê duyệt (``POST /v1/rosters/{roster_id}/approve``) and ``/tra-lai`` — trả lại with its reason
    (``POST /v1/rosters/{roster_id}/return``): who may sign is the ledger's rule (an approver of the
    scope or an administrator, never the preparer), its refusal shown on the page, beside the reason
    where it concerns it. Then back to the roster's page."""
    action = request.url.path.rsplit("/", 1)[-1]
    prepare = action == "phat-hanh"
    visitor = poster(request, csrf_token, (lambda visitor: visitor.writes) if prepare else (lambda _: True))
    if isinstance(visitor, Response):
        return visitor
    chosen = _chosen(request, month, commune_code, channel, visitor)
    if isinstance(chosen, Response):
        return chosen
    _, form, target, scope = chosen
    engine = services(request).engine
    if prepare and not visitor.user.can_write_commune(scope.commune_code):
        return forbidden(request, visitor, OUT_OF_SCOPE)
    try:
        if prepare:
            issue_roster(engine, visitor.user.name, target, scope)
        elif action == "phe-duyet":
            approve_roster(engine, visitor.user, roster_id, reason)
        else:
            return_roster(engine, visitor.user, roster_id, reason)
    except DomainError as error:
        refused: dict[str, Any] = (
            {"issue_error": " ".join(field_errors(error, ()).values())}
            if prepare
            else {"decision_errors": field_errors(error, ("reason",))}
        )
        return _roster_page(
            request, visitor, month, commune_code, channel, status=status_of(error), **refused
        )
    return RedirectResponse(f"{BASE}?{_query(form, thong_bao=NOTICE_AFTER[action])}", status_code=303)


def _approves(visitor: Visitor) -> bool:
    """Approves or returns rosters (approvers and administrators)."""
    return visitor.user.role in {"approver", "admin"} and not visitor.user.disabled


@router.get(f"{BASE}/tai-ve")
def download(request: Request, asked: Asked, dinh_dang: str = "csv") -> Response:
    """The roster as a CSV or XLSX file (the view the page shows)."""
    month, commune_code, channel = asked.month, asked.commune_code, asked.channel
    chosen = _chosen(request, month, commune_code, channel, outstanding_only=asked.outstanding_only)
    if isinstance(chosen, Response):
        return chosen
    visitor, form, target, scope = chosen
    if dinh_dang not in {"csv", "xlsx"}:
        return _roster_page(request, visitor, month, commune_code, channel, status=422)
    roster, info = _roster(services(request), form, target, scope)
    _shown(services(request), visitor, roster, dinh_dang)
    checkpoint = (info or {}).get("checkpoint")
    name = roster_file_name(target, scope, dinh_dang)
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    if dinh_dang == "csv":
        return Response(roster_csv(roster, checkpoint), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(roster_xlsx(roster, checkpoint), media_type=XLSX, headers=headers)


@router.get(f"{BASE}/in")
def print_view(request: Request, asked: Asked) -> Response:
    """Bản in: A4 landscape, signature column, no navigation (the view the page shows)."""
    chosen = _chosen(
        request, asked.month, asked.commune_code, asked.channel, outstanding_only=asked.outstanding_only
    )
    if isinstance(chosen, Response):
        return chosen
    visitor, form, target, scope = chosen
    svc: Services = services(request)
    roster, info = _roster(svc, form, target, scope)
    _shown(svc, visitor, roster, "print")
    context = {
        "month": str(target),
        "title": _title(form),
        "heading": roster.heading(),
        "month_view": roster.view == MONTH_VIEW,
        "groups": _by_commune(roster),
        "totals": roster.totals(),
        "issued": info if info is not None and info["status"] == ISSUED else None,
        "roster_info": info,
        "content_hash": roster.content_hash(),
        "printed_at": svc.ledger.clock().isoformat(),
        "province_wide": not form["commune_code"],
        "letterhead": letterhead(svc.ledger.province, form["commune_code"], roster.lines),
        "roster_title": roster_title(target),
        "signatures": SIGNATURES,
        "signing_date": SIGNING_DATE,
    }
    return page(request, "ban_in.html", context, visitor=visitor)
