"""The audit trail across beneficiaries — nhật ký ghi sổ: the one query behind ``GET /v1/audit``, its
CSV/XLSX files and the page ``/pages/nhat-ky``.

* **Newest first**, a page at a time: ``next_cursor`` is opaque (it names the last entry's position in
  the log, encoded) and continues the same search with no entry twice and none skipped, even while new
  events are recorded (they are newer than any page already read).
* **Filters**: ``beneficiary_id``, ``actor``, ``type`` (the event class name, or its Vietnamese label:
  :data:`domain.labels.EVENT_LABELS`), ``commune_code``, ``from``/``to`` (when it was recorded: a
  date ``YYYY-MM-DD`` is a whole day **in Vietnam's time**, Asia/Ho_Chi_Minh — 01:30 on 1 December in
  Hà Nội is 18:30 UTC on 30 November and belongs to ``from=2026-12-01``; a timestamp with its offset is
  that moment, ``to`` included), ``period`` (the business month: an event that happened in the month, or
  a payment, non-collection or deduction for that month). ``communes`` (the reader's,
  :func:`ledger.authorization.readable_communes`) keeps the beneficiaries of those communes only.
* **Claims folded into their record**: a citizen ID, payment id, card number, household code or token
  is claimed by a small stream of its own (:mod:`domain.indexes`) saved with the record it guards; the
  trail lists the record once, with its ``claims`` (kind, value, hash of the claim), not a row per claim.
* Each entry: ``position``, ``seq``, ``recorded_at`` (ISO with ``+07:00``), ``occurred_on``, ``actor``,
  ``type``, ``type_label`` (Vietnamese), ``beneficiary_id`` (``None`` for rosters, users, rates, campaigns),
  ``stream_id``, ``commune_code``, ``reason`` (the system's own reasons in Vietnamese:
  :func:`projections.labels.reason_text`), ``basis``, ``data``, ``summary`` (the data in one Vietnamese
  line), ``hash``, ``prev_hash``, ``claims``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from domain.errors import InvalidInput
from domain.indexes import index_id
from domain.labels import EVENT_LABELS, OTHER_RECORD_LABELS, event_label
from domain.values import VIETNAM_TIME, Month, parse_commune_code, parse_date
from ledger.access_log import aware_moment
from projections.labels import CLAIM_KINDS, data_summary, reason_text
from projections.tables import Column, Table

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator

    from projections.engine import ProjectionEngine

VIETNAM = VIETNAM_TIME
"""The time of the pages, the files and the date filters (Asia/Ho_Chi_Minh: UTC+7 all year)."""
CLAIM = "ValueClaimed"
HIDDEN = frozenset({CLAIM, "BeneficiarySnapshot"})
"""Types never listed on their own (a claim is folded into its record)."""
MAX_LIMIT = 500
MAX_FILE_ROWS = 100_000
"""The most entries a CSV/XLSX take-away holds: a search beyond it is refused (422 naming ``format``,
asking for narrower filters) before the file is built — one request must not hold the server for
minutes and gigabytes (a province's whole log is millions of records)."""
COLUMNS = (
    "notification_id", "stream_id", "seq", "type", "actor", "occurred_on", "recorded_at", "commune_code",
    "reason", "basis", "data", "hash", "prev_hash",
)  # fmt: skip
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_CURSOR_TAG = "audit:"


def audit_types() -> dict[str, str]:
    """The types one can filter by: ``{class name: Vietnamese label}``."""
    labels = {**EVENT_LABELS, **OTHER_RECORD_LABELS}
    return {k: v for k, v in labels.items() if k not in HIDDEN}


def parse_type(value: object) -> str | None:
    """An event type as given (class name or Vietnamese label) → its class name; 422 ``type`` else."""
    if value in {None, ""}:
        return None
    text = str(value).strip()
    types = audit_types()
    if text in types:
        return text
    for name, label in types.items():
        if label.casefold() == text.casefold():
            return name
    raise InvalidInput(
        "type", f"must be an event type of the audit trail (e.g. PaymentRecorded), got {text!r}"
    )


def encode_cursor(position: int) -> str:
    """The opaque cursor after the entry at ``position``."""
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: object) -> int | None:
    """The position a cursor of :func:`encode_cursor` names; 422 ``cursor`` for anything else."""
    if cursor in {None, ""}:
        return None
    text = str(cursor)
    if _CURSOR.fullmatch(text):
        try:
            plain = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            plain = ""
        number = plain.removeprefix(_CURSOR_TAG)
        if plain.startswith(_CURSOR_TAG) and number.isdigit() and len(number) <= 18:
            return int(number)
    raise InvalidInput("cursor", "must be the next_cursor of an earlier page")


def moment_bound(value: object, field: str, *, end: bool) -> tuple[str, str] | None:
    """A ``from``/``to`` bound as ``(operator, UTC ISO moment)``: a date is its whole day in Vietnam's
    time (``from``: its first instant; ``to``: before the next day's), a timestamp with an offset is that
    moment (``to`` included)."""
    if value in {None, ""}:
        return None
    text = str(value).strip()
    if len(text) == 10:
        day = parse_date(text, field)
        if end:
            day += timedelta(days=1)
        start = datetime.combine(day, time(0), tzinfo=VIETNAM).astimezone(UTC)
        return ("<" if end else ">=", start.isoformat())
    moment = aware_moment(text, field, "a date YYYY-MM-DD or a timestamp with its offset")
    return ("<=" if end else ">=", moment.isoformat())


def vietnam_time(recorded_at: str) -> str:
    """A stored moment (UTC) as ISO in Vietnam's time (``…+07:00``)."""
    return datetime.fromisoformat(recorded_at).astimezone(VIETNAM).isoformat()


def _period_clause(period: object) -> tuple[str, list[Any]]:
    month = Month.parse(period, "period")
    first = month.first_day()
    last = date.fromordinal(month.next().first_day().toordinal() - 1)
    clause = "((occurred_on >= ? AND occurred_on <= ?) OR data LIKE ?)"
    return clause, [first.isoformat(), last.isoformat(), f'%"period":"{month}"%']


def _claim_streams(item: dict[str, Any]) -> list[str]:
    """The claim streams saved with a record (by the value it claims)."""
    data = item["data"]
    wanted: list[tuple[str, object]] = []
    kind = item["type"]
    if kind == "PaymentRecorded":
        wanted.append(("payment_id", data.get("payment_id")))
    elif kind in {"BeneficiaryRegistered", "DetailsCorrected"}:
        values = data.get("changes") if kind == "DetailsCorrected" else data
        if isinstance(values, dict):
            wanted += [(k, values.get(k)) for k in ("citizen_id", "household_code")]
    elif kind == "HealthInsuranceCardIssued":
        wanted.append(("card_number", data.get("card_number")))
    elif kind in {"UserRegistered", "TokenIssued"}:
        wanted.append(("token", data.get("token_sha256")))
    return [str(index_id(k, str(v))) for k, v in wanted if v]


def _entry(row: tuple[Any, ...]) -> dict[str, Any]:
    item = dict(zip(COLUMNS, row, strict=True))
    data = json.loads(item["data"])
    kind = str(item["type"])
    return {
        "position": int(item["notification_id"]),
        "seq": int(item["seq"]),
        "recorded_at": vietnam_time(str(item["recorded_at"])),
        "occurred_on": item["occurred_on"],
        "actor": item["actor"],
        "type": kind,
        "type_label": event_label(kind),
        "beneficiary_id": item["stream_id"] if kind in EVENT_LABELS else None,
        "stream_id": item["stream_id"],
        "commune_code": item["commune_code"],
        "reason": reason_text(item["reason"]),
        "basis": json.loads(item["basis"]) if item["basis"] else None,
        "data": data,
        "summary": data_summary(data),
        "hash": item["hash"],
        "prev_hash": item["prev_hash"],
        "claims": [],
    }


def audit_trail(
    engine: ProjectionEngine,
    *,
    beneficiary_id: object = None,
    actor: object = None,
    type: object = None,  # noqa: A002 - the contract's name
    commune_code: object = None,
    from_: object = None,
    to: object = None,
    period: object = None,
    cursor: object = None,
    limit: int = 100,
    communes: Collection[str] | None = None,
) -> dict[str, Any]:
    """One page of the audit trail, newest first: ``{items, next_cursor}`` (see the module)."""
    clauses, params = scoped(limit, "commune_code", communes)
    clauses.append(f"type NOT IN ({', '.join('?' for _ in HIDDEN)})")
    params.extend(sorted(HIDDEN))
    equal_to(beneficiary_id, "stream_id", clauses, params)
    equal_to(actor, "actor", clauses, params, trimmed)
    equal_to(type, "type", clauses, params, parse_type)
    equal_to(commune_code, "commune_code", clauses, params, parse_commune_code)
    bounds = [moment_bound(from_, "from", end=False), moment_bound(to, "to", end=True)]
    for bound in bounds:
        if bound is not None:
            clauses.append(f"recorded_at {bound[0]} ?")
            params.append(bound[1])
    if period not in {None, ""}:
        clause, values = _period_clause(period)
        clauses.append(clause)
        params.extend(values)
    where = where_before(cursor, "notification_id", clauses, params)
    engine.catch_up()
    with engine.store.read() as tx:
        rows, more = tx.fetch_page(
            f"SELECT {', '.join(COLUMNS)} FROM rm_audit{where}"  # noqa: S608 - values bound
            " ORDER BY notification_id DESC LIMIT ?",
            params,
            limit,
        )
        items = [_entry(row) for row in rows]
        _fold_claims(tx, items)
    return {"items": items, "next_cursor": encode_cursor(items[-1]["position"]) if more else None}


def _fold_claims(tx: Any, items: list[dict[str, Any]]) -> None:
    """Attach to each record the uniqueness claims saved with it."""
    wanted = {stream: item for item in items for stream in _claim_streams(item)}
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        select = "SELECT stream_id, data, hash, recorded_at FROM rm_audit WHERE type = ? AND stream_id IN"
        rows = tx.fetchall(f"{select} ({marks}) ORDER BY notification_id", (CLAIM, *chunk))
        for stream, data, digest, recorded_at in rows:
            claim = json.loads(data)
            item = wanted[str(stream)]
            if claim.get("beneficiary_id") != item["stream_id"]:
                continue
            item["claims"].append(
                {"kind": claim.get("kind"), "value": claim.get("value"), "stream_id": str(stream),
                 "hash": digest, "recorded_at": vietnam_time(str(recorded_at))}
            )  # fmt: skip


def every_item(
    query: Callable[..., dict[str, Any]], engine: ProjectionEngine, **filters: Any
) -> Iterator[Any]:
    """Every item of a paged ``query`` (:func:`audit_trail`, the payments'), a page of :data:`MAX_LIMIT`
    at a time: what the files hold."""
    cursor = None
    count = 0
    while True:
        found = query(engine, **filters, cursor=cursor, limit=MAX_LIMIT)
        count += len(found["items"])
        if count > MAX_FILE_ROWS:
            msg = (
                f"a file holds at most {MAX_FILE_ROWS:,} entries and this search has more: narrow it "
                "(from/to, period, commune_code)"
            )
            raise InvalidInput("format", msg)
        yield from found["items"]
        cursor = found["next_cursor"]
        if cursor is None:
            return


def every_entry(engine: ProjectionEngine, **filters: Any) -> Iterator[dict[str, Any]]:
    """Every entry of an audit search, newest first."""
    return every_item(audit_trail, engine, **filters)


def scoped(limit: int, column: str, communes: Collection[str] | None) -> tuple[list[str], list[Any]]:
    """The first clause of a paged search: ``column`` in the reader's ``communes`` (none: all); 422
    ``limit`` outside 1–:data:`MAX_LIMIT`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be from 1 to {MAX_LIMIT}")
    if communes is None:
        return [], []
    return [f"{column} IN ({', '.join('?' for _ in communes) or 'NULL'})"], sorted(communes)


def trimmed(value: object) -> str:
    """A filter's text as typed, without the spaces around it."""
    return str(value).strip()


def equal_to(
    value: object, column: str, clauses: list[str], params: list[Any], parse: Callable[[Any], object] = str
) -> None:
    """A filter ``column = value`` when ``value`` is given (neither ``None`` nor ``""``), the value as
    ``parse`` reads it (which refuses a bad one, 422 naming its field)."""
    if value not in {None, ""}:
        clauses.append(f"{column} = ?")
        params.append(parse(value))


def where_before(cursor: object, position: str, clauses: list[str], params: list[Any]) -> str:
    """The ``WHERE`` of a page newest first (``""`` with no clause): the search's ``clauses`` and, after
    a page, the entries before the cursor's (``position``: the column ordered by); adds the cursor's
    value to ``params``. 422 ``cursor`` for a cursor :func:`encode_cursor` did not write."""
    after = decode_cursor(cursor)
    if after is not None:
        clauses.append(f"{position} < ?")
        params.append(after)
    return (" WHERE " + " AND ".join(clauses)) if clauses else ""


def shown_moment(iso: str) -> str:
    """``2026-12-01T01:30:00+07:00`` → ``01/12/2026 01:30:00`` (Vietnam's time, as the files show it)."""
    return datetime.fromisoformat(iso).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S")


AUDIT_COLUMNS = (
    Column("position", "Số thứ tự trong sổ", "int", 10),
    Column("recorded", "Ghi lúc (giờ Việt Nam)", "text", 20),
    Column("actor", "Người ghi", "text", 16),
    Column("type_label", "Sự kiện", "text", 22),
    Column("type", "Loại (mã)", "text", 22),
    Column("beneficiary_id", "Mã đối tượng", "text", 38),
    Column("commune_code", "Mã xã/phường", "id", 10),
    Column("occurred_on", "Ngày hiệu lực", "text", 12),
    Column("summary", "Nội dung", "text", 60),
    Column("basis_text", "Căn cứ", "text", 30),
    Column("reason", "Lý do", "text", 30),
    Column("claims_text", "Mã duy nhất đi kèm", "text", 30),
    Column("hash", "Mã băm", "text", 20),
)
"""The columns of the audit trail's files."""


def _basis_text(basis: object) -> str:
    if not isinstance(basis, dict):
        return ""
    parts = [f"Quyết định số {basis['decision_no']}" if basis.get("decision_no") else ""]
    parts.append(f"ngày {basis['decision_date']}" if basis.get("decision_date") else "")
    parts.append(f"của {basis['issuer']}" if basis.get("issuer") else "")
    return " ".join(p for p in parts if p)


def audit_table(entries: Iterable[dict[str, Any]], title: str) -> Table:
    """Audit entries as a table for :mod:`projections.tables`."""

    def rows() -> Iterator[dict[str, Any]]:
        for entry in entries:
            claims = "; ".join(
                f"{CLAIM_KINDS.get(str(c['kind']), c['kind'])} {c['value']}" for c in entry["claims"]
                if c["kind"] != "token"
            )  # fmt: skip
            yield {**entry, "recorded": shown_moment(entry["recorded_at"]), "claims_text": claims,
                   "basis_text": _basis_text(entry["basis"])}  # fmt: skip

    return Table(title, AUDIT_COLUMNS, rows(), sheet="Nhật ký")
