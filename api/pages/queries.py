"""Small reads of the read models that only the web pages need — truy vấn cho trang web.

* :func:`payments_for_period` — the payments recorded for a month (the roster page lists them beside
  the roster, so that a line paid since shows where it went);
* :func:`names_of` — beneficiaries' names and communes by id, and :func:`entitlement_schemes` — the
  scheme of each entitlement id (the audit log and the integrity check name the people and schemes
  behind what they list).

:func:`payments_for_period` brings the projections up to date first (read-your-writes), like
``projections.queries``; the two others complete rows read just before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from projections.engine import ProjectionEngine
    from projections.rosters import RosterScope

PAYMENT_COLUMNS = (
    "payment_id", "beneficiary_id", "full_name", "citizen_id", "commune_code", "scheme", "period", "amount",
    "paid_on", "channel", "reference",
)  # fmt: skip


def payments_for_period(engine: ProjectionEngine, month: str, scope: RosterScope) -> list[dict[str, Any]]:
    """The payments (not reversed) recorded for ``month`` in a roster's scope, by commune, name, date."""
    clauses = ["p.reversed = 0", "p.period = ?"]
    params: list[Any] = [month]
    if scope.commune_code:
        clauses.append("p.commune_code = ?")
        params.append(scope.commune_code)
    if scope.channel:
        clauses.append("p.channel = ?")
        params.append(scope.channel)
    columns = ", ".join(f"b.{c}" if c in {"full_name", "citizen_id"} else f"p.{c}" for c in PAYMENT_COLUMNS)
    where = " AND ".join(clauses)
    order = "p.commune_code, b.full_name, p.paid_on, p.payment_id"
    joined = "rm_payments p JOIN rm_beneficiaries b ON b.id = p.beneficiary_id"
    sql = f"SELECT {columns} FROM {joined} WHERE {where} ORDER BY {order}"  # noqa: S608 - values bound
    engine.catch_up()
    with engine.store.read() as tx:
        rows = tx.fetchall(sql, tuple(params))
    return [dict(zip(PAYMENT_COLUMNS, row, strict=True)) for row in rows]


def _rows_in(engine: ProjectionEngine, select: str, ids: list[str]) -> list[tuple[Any, ...]]:
    """The rows of ``select`` (a query ending ``IN ({marks})``) for the ids, asked 500 at a time."""
    rows: list[tuple[Any, ...]] = []
    with engine.store.read() as tx:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows.extend(tx.fetchall(select.format(marks=", ".join("?" * len(chunk))), tuple(chunk)))
    return rows


def names_of(engine: ProjectionEngine, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """``{beneficiary id: (full name, commune code)}`` for the ids that are beneficiaries."""
    wanted = sorted({str(i) for i in ids})
    if not wanted:
        return {}
    select = "SELECT id, full_name, commune_code FROM rm_beneficiaries WHERE id IN ({marks})"
    return {str(r[0]): (str(r[1]), str(r[2])) for r in _rows_in(engine, select, wanted)}


def entitlement_schemes(engine: ProjectionEngine, ids: Iterable[str]) -> dict[str, str]:
    """``{entitlement id: scheme code}`` (the audit log names the scheme an event is about)."""
    wanted = sorted({str(i) for i in ids if i})
    select = "SELECT entitlement_id, scheme FROM rm_entitlements WHERE entitlement_id IN ({marks})"
    return {str(r[0]): str(r[1]) for r in _rows_in(engine, select, wanted)}
