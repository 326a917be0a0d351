"""Who read whose personal data (nhật ký truy cập dữ liệu cá nhân): administrators and inspectors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.http import responses
from api.http.deps import CurrentUser, Svc
from api.web.formats import USER_NAME_PATTERN, DateText
from api.web.text import SafeQuery
from ledger.authorization import require_inspecting

router = APIRouter(tags=["access log"], responses=responses.READ)


@router.get("/access-log")
def access_log(
    svc: Svc,
    user: CurrentUser,
    user_name: Annotated[
        str | None, Query(alias="user", pattern=USER_NAME_PATTERN, description="who read")
    ] = None,
    beneficiary_id: SafeQuery = None,
    from_: Annotated[DateText | None, Query(alias="from", description="the first day")] = None,
    to: Annotated[DateText | None, Query(description="the last day, included")] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="next_cursor")] = None,
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
