"""Recorded payments — các khoản đã chi: the query behind ``GET /v1/payments`` and its CSV/XLSX files.

Newest recorded first (their position in the log, ``rm_payment_records``), a page at a time with an
opaque cursor; filters: ``commune_code`` (the commune of the month paid), ``period``, ``channel``,
``recorded_by``; ``communes`` (the reader's, :func:`ledger.authorization.readable_communes`) keeps the
payments of those communes only. Each item: ``payment_id``, ``beneficiary_id``, ``full_name``,
``citizen_id``, ``commune_code``, ``entitlement_id``, ``scheme`` and ``scheme_name`` (Vietnamese),
``period`` (``None`` for a one-off), ``amount``, ``paid_on``, ``channel``, ``reference``,
``recorded_by``, ``recorded_at`` (ISO, ``+07:00``), ``reversed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.beneficiary import ONE_OFF
from domain.catalogue import scheme_catalogue
from domain.errors import InvalidInput
from domain.labels import CHANNEL_LABELS
from domain.values import Month, parse_commune_code
from ledger.adapters.communes import commune_name
from projections.audit import (
    encode_cursor,
    equal_to,
    every_item,
    scoped,
    shown_moment,
    trimmed,
    vietnam_time,
    where_before,
)
from projections.tables import Column, Table

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator

    from projections.engine import ProjectionEngine

_SELECT = (
    "SELECT p.payment_id, p.beneficiary_id, b.full_name, b.citizen_id, p.commune_code, p.entitlement_id,"
    " p.scheme, p.period, p.amount, p.paid_on, p.channel, p.reference, r.recorded_by, r.recorded_at,"
    " p.reversed, r.notification_id"
    " FROM rm_payment_records r JOIN rm_payments p ON p.payment_id = r.payment_id"
    " JOIN rm_beneficiaries b ON b.id = p.beneficiary_id"
)
_KEYS = (
    "payment_id", "beneficiary_id", "full_name", "citizen_id", "commune_code", "entitlement_id", "scheme",
    "period", "amount", "paid_on", "channel", "reference", "recorded_by", "recorded_at", "reversed",
)  # fmt: skip
CHANNELS = ("cash", "bank")


def payments_list(
    engine: ProjectionEngine,
    *,
    commune_code: object = None,
    period: object = None,
    channel: object = None,
    recorded_by: object = None,
    cursor: object = None,
    limit: int = 100,
    communes: Collection[str] | None = None,
) -> dict[str, Any]:
    """One page of recorded payments, newest first: ``{items, next_cursor}``."""
    clauses, params = scoped(limit, "p.commune_code", communes)
    equal_to(commune_code, "p.commune_code", clauses, params, parse_commune_code)
    if period not in {None, ""}:
        clauses.append("p.period = ?")
        params.append(ONE_OFF if period == ONE_OFF else str(Month.parse(period, "period")))
    equal_to(channel, "p.channel", clauses, params, _channel)
    equal_to(recorded_by, "r.recorded_by", clauses, params, trimmed)
    where = where_before(cursor, "r.notification_id", clauses, params)
    engine.catch_up()
    with engine.store.read() as tx:
        rows, more = tx.fetch_page(f"{_SELECT}{where} ORDER BY r.notification_id DESC LIMIT ?", params, limit)
    names = {code: s.name_vi for code, s in scheme_catalogue().items()}
    items = []
    for row in rows:
        item = dict(zip(_KEYS, row[:-1], strict=True))
        item["scheme_name"] = names.get(str(item["scheme"]), item["scheme"])
        item["period"] = None if item["period"] == ONE_OFF else item["period"]
        item["amount"] = int(item["amount"])
        item["recorded_at"] = vietnam_time(str(item["recorded_at"]))
        item["reversed"] = bool(item["reversed"])
        items.append(item)
    last = rows[-1][-1] if rows else None
    return {"items": items, "next_cursor": encode_cursor(int(last)) if more and last is not None else None}


def _channel(value: object) -> object:
    if value not in CHANNELS:
        raise InvalidInput("channel", "must be 'cash' or 'bank'")
    return value


def every_payment(engine: ProjectionEngine, **filters: Any) -> Iterator[dict[str, Any]]:
    """Every payment of a search, newest first."""
    return every_item(payments_list, engine, **filters)


PAYMENT_COLUMNS = (
    Column("payment_id", "Mã chi trả", "text", 24),
    Column("full_name", "Họ và tên", "text", 26),
    Column("citizen_id", "Số CCCD", "id", 15),
    Column("commune", "Xã/phường", "text", 24),
    Column("scheme_name", "Chế độ", "text", 36),
    Column("scheme", "Mã chế độ", "text", 14),
    Column("period_text", "Kỳ", "text", 10),
    Column("amount", "Số tiền (đồng)", "amount", 14),
    Column("paid_on_text", "Ngày chi", "text", 12),
    Column("channel_text", "Hình thức", "text", 14),
    Column("reference", "Chứng từ", "text", 18),
    Column("recorded_by", "Người ghi", "text", 16),
    Column("recorded", "Ghi lúc (giờ Việt Nam)", "text", 20),
    Column("reversed_text", "Đã hủy", "text", 8),
    Column("beneficiary_id", "Mã đối tượng", "text", 38),
)
"""The columns of the payments' files."""


def payments_table(payments: Iterable[dict[str, Any]], title: str) -> Table:
    """Payments as a table for :mod:`projections.tables`."""

    def rows() -> Iterator[dict[str, Any]]:
        for p in payments:
            code = str(p["commune_code"])
            yield {
                **p,
                "commune": f"{code} {commune_name(code)}",
                "period_text": thang(p["period"]),
                "paid_on_text": ngay(p["paid_on"]),
                "channel_text": CHANNEL_LABELS.get(str(p["channel"]), p["channel"]),
                "recorded": shown_moment(p["recorded_at"]),
                "reversed_text": "Có" if p["reversed"] else "Không",
            }

    return Table(title, PAYMENT_COLUMNS, rows(), sheet="Chi trả")


def thang(period: object) -> str:
    """``2024-08`` → ``08/2024``; a one-off → ``một lần``."""
    if not period:
        return "một lần"
    year, month = str(period).split("-")
    return f"{month}/{year}"


def ngay(day: object) -> str:
    """``2024-08-10`` → ``10/08/2024``."""
    year, month, dd = str(day).split("-")
    return f"{dd}/{month}/{year}"
