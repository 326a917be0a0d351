"""Who read whose personal data (nhật ký truy cập dữ liệu cá nhân): administrators and inspectors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.http.deps import CurrentUser, Svc
from api.web.text import FromQuery, NoControl, SafeQuery, ToQuery
from ledger.authorization import require_inspecting

router = APIRouter(tags=["access log"])


@router.get("/access-log")
def access_log(
    svc: Svc,
    user: CurrentUser,
    user_name: Annotated[
        str | None, NoControl, Query(alias="user", max_length=64, description="who read")
    ] = None,
    beneficiary_id: SafeQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    cursor: SafeQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Every read of a beneficiary's personal data, newest first: who (``user``, ``role``), when
    (``read_at``), through which entrance (``via``: ``api`` or ``pages``), what (``what``), which record
    (``beneficiary_id``; a list names it when it held one) and how many (``records``), with the request's
    ``request_id``. Administrators and inspectors only (403 for officers)."""
    require_inspecting(user)
    return svc.reads.page(
        user=user_name, beneficiary_id=beneficiary_id, date_from=from_, date_to=to, cursor=cursor, limit=limit
    )
