"""Register queries — tra cứu đối tượng: find beneficiaries by citizen ID, name (accent-insensitive),
commune, kind, scheme and status, a page at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.catalogue import KINDS
from domain.errors import InvalidInput
from domain.values import ascii_identifier, parse_commune_code
from projections.views import search_key

if TYPE_CHECKING:
    from collections.abc import Collection

    from projections.engine import ProjectionEngine

STATUSES = ("active", "suspended", "terminated", "deceased")
COLUMNS = (
    "id", "kind", "full_name", "citizen_id", "commune_code", "status", "channel", "schemes", "date_of_death",
    "household_code",
)  # fmt: skip


def search_beneficiaries(  # noqa: C901 - one clause per filter
    engine: ProjectionEngine,
    *,
    citizen_id: str | None = None,
    commune_code: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    name: str | None = None,
    scheme: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    communes: Collection[str] | None = None,
) -> dict[str, Any]:
    """One page of the register, ordered by id; ``next_cursor`` continues it. ``communes`` (the reader's,
    :func:`ledger.authorization.readable_communes`) keeps the beneficiaries of those communes only."""
    clauses: list[str] = []
    params: list[Any] = []
    if communes is not None:
        clauses.append(f"commune_code IN ({', '.join('?' for _ in communes) or 'NULL'})")
        params.extend(sorted(communes))
    if citizen_id:
        clauses.append("citizen_id = ?")
        params.append(ascii_identifier(citizen_id, "citizen_id"))  # one spelling, as registered
    if commune_code:
        clauses.append("commune_code = ?")
        params.append(parse_commune_code(commune_code))
    if kind:
        if kind not in KINDS:
            raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}")
        clauses.append("kind = ?")
        params.append(kind)
    if status:
        if status not in STATUSES:
            raise InvalidInput("status", f"must be one of {', '.join(STATUSES)}")
        clauses.append("status = ?")
        params.append(status)
    if name:
        clauses.append("search_name LIKE ?")
        params.append(f"%{search_key(name)}%")
    if scheme:
        clauses.append("(',' || schemes || ',') LIKE ?")
        params.append(f"%,{scheme.strip().upper()},%")
    if cursor:
        clauses.append("id > ?")
        params.append(cursor)
    if not 1 <= limit <= 500:
        raise InvalidInput("limit", "must be from 1 to 500")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    engine.catch_up()
    with engine.store.read() as tx:
        rows, more = tx.fetch_page(
            f"SELECT {', '.join(COLUMNS)} FROM rm_beneficiaries{where} ORDER BY id LIMIT ?",  # noqa: S608
            params,
            limit,
        )
    items = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    for item in items:
        item["schemes"] = [s for s in str(item["schemes"]).split(",") if s]
    return {"items": items, "next_cursor": items[-1]["id"] if more else None}
