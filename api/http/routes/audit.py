"""The audit trail across beneficiaries (nhật ký ghi sổ), as JSON, CSV or XLSX."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.http import responses
from api.http.deps import CurrentUser, Svc
from api.web.files import table_file
from api.web.formats import CommuneCode, Moment, MonthText
from api.web.text import MAX_QUERY_LENGTH, NoControl, SafeQuery
from ledger.adapters.communes import resolve_commune
from ledger.authorization import readable_communes
from projections.audit import MAX_LIMIT, audit_table, audit_trail, audit_types, every_entry
from projections.tables import file_stem

router = APIRouter(tags=["audit"], responses=responses.READ)

Cursor = Annotated[
    str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,40}$", description="next_cursor of the page before")
]


EventType = Annotated[
    str | None,
    NoControl,
    Query(
        max_length=MAX_QUERY_LENGTH,
        description="an event type: its class name (PaymentRecorded) or its Vietnamese label (Chi trả); "
        "empty, as every filter of the trail: all types",
        # "" is in the enum because the trail reads an empty filter as none (a form's "all types")
        json_schema_extra={"enum": ["", *sorted({*audit_types(), *audit_types().values()})]},
    ),
]


@router.get("/audit", responses=responses.FILE_EXPORT)
def audit(
    svc: Svc,
    user: CurrentUser,
    beneficiary_id: SafeQuery = None,
    actor: SafeQuery = None,
    type: EventType = None,  # noqa: A002 - the contract's name
    commune_code: Annotated[CommuneCode | None, Query()] = None,
    from_: Annotated[
        Moment | None, Query(alias="from", description="recorded from (a date: Vietnam time)")
    ] = None,
    to: Annotated[Moment | None, Query(description="recorded until (a date: its end, Vietnam time)")] = None,
    period: Annotated[MonthText | None, Query(description="the business month")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    format: Literal["json", "csv", "xlsx"] = "json",  # noqa: A002 - the contract's name
    sep: Literal["comma", "semicolon"] = "comma",
) -> Response:
    """The audit trail across beneficiaries, newest first (nhật ký): who recorded what, when, on which
    decision and why; ``type_label`` and system reasons in Vietnamese, each uniqueness claim folded into
    the record it was saved with (``claims``). ``from``/``to`` dates are whole days in Vietnam's time.
    An officer with a commune scope sees its communes' beneficiaries only (403 for a beneficiary outside
    it). ``format=csv|xlsx`` gives every entry of the search as a file (``sep=semicolon`` for Excel under
    Vietnamese settings); every read is written to the access log."""
    if commune_code:
        resolve_commune(commune_code, province=svc.ledger.province)
    communes = readable_communes(user)
    if beneficiary_id:  # one beneficiary the reader may read: its whole trail, wherever it lived
        beneficiary_id = str(svc.ledger.readable(user, beneficiary_id).id)
        communes = None
    filters: dict[str, Any] = {
        "beneficiary_id": beneficiary_id, "actor": actor, "type": type, "commune_code": commune_code,
        "from_": from_, "to": to, "period": period, "communes": communes,
    }  # fmt: skip
    if format == "json":
        found = audit_trail(svc.engine, **filters, cursor=cursor, limit=limit)
        ids = sorted({i["beneficiary_id"] for i in found["items"] if i["beneficiary_id"]})
        svc.reads.record_list(user, _what(filters, format), ids)
        return Response(orjson.dumps(found), media_type="application/json")
    entries = list(every_entry(svc.engine, **filters))
    ids = sorted({i["beneficiary_id"] for i in entries if i["beneficiary_id"]})
    svc.reads.record_list(user, _what(filters, format), ids)
    name = file_stem("nhat-ky", commune_code, period, str(svc.ledger.today()))
    return table_file([audit_table(entries, "NHẬT KÝ GHI SỔ")], format, name, sep)


def _what(filters: dict[str, Any], file_format: str) -> str:
    """``audit beneficiary_id=… commune_code=26041 csv`` for the access log."""
    named = [f"{k.rstrip('_')}={v}" for k, v in filters.items() if k != "communes" and v not in {None, ""}]
    return " ".join(["audit", *named, *([file_format] if file_format != "json" else [])])
