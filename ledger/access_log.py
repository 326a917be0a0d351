"""Who read whose personal data — nhật ký truy cập dữ liệu cá nhân (NĐ 13/2023/NĐ-CP).

Every read of a beneficiary's personal data (citizen ID, name, bank account) through the JSON API or
the pages is recorded here, in the request that reads, before the answer leaves: who (user and role),
when (the ledger's clock, UTC), through which entrance (``api`` or ``pages``), what (``beneficiary``,
``history``, ``search``, ``roster 2024-09 commune 26041``, …), which record (the beneficiary id of a
single record, or of a list holding exactly one) and how many records a list held. The request's id
ties a row to its line in the request log. Never a citizen ID: a lookup by one records the beneficiary
it found.

The rows live in ``access_log`` beside the read models (both backends); the table is append-only — this
module has no update or delete, and a trigger refuses them in the database itself. Administrators and
inspectors read it (``GET /v1/access-log``, the inspection page ``/pages/thanh-tra/truy-cap``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from domain.errors import InvalidInput
from domain.users import User
from domain.values import day_range
from ledger.authorization import actor_name
from ledger.logs import current_scope

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ledger.adapters.sqlstore import ReadStore
    from ledger.authorization import Actor

TABLE = "access_log"
COLUMNS = ("id", "read_at", "user_name", "role", "via", "what", "beneficiary_id", "records", "request_id")
KEYS = tuple("user" if column == "user_name" else column for column in COLUMNS)  # as the API names them
APPEND_ONLY = "the access log is append-only"


def _ddl(dialect: str) -> list[str]:
    key = "BIGINT GENERATED ALWAYS AS IDENTITY" if dialect == "postgres" else "INTEGER"
    statements = [
        (
            f"CREATE TABLE IF NOT EXISTS access_log (id {key} PRIMARY KEY, read_at TEXT NOT NULL,"
            " user_name TEXT NOT NULL, role TEXT NOT NULL, via TEXT NOT NULL, what TEXT NOT NULL,"
            " beneficiary_id TEXT, records INTEGER NOT NULL, request_id TEXT NOT NULL)"
        ),
        "CREATE INDEX IF NOT EXISTS access_log_by_user ON access_log (user_name, id)",
        "CREATE INDEX IF NOT EXISTS access_log_by_beneficiary ON access_log (beneficiary_id, id)",
    ]
    if dialect == "postgres":
        return [
            *statements,
            (
                "CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS"
                f" $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
            ),
            (
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'access_log_append_only'"
                " AND tgrelid = 'access_log'::regclass) THEN CREATE TRIGGER access_log_append_only"
                " BEFORE UPDATE OR DELETE ON access_log FOR EACH ROW"
                " EXECUTE FUNCTION access_log_append_only(); END IF; END $$"
            ),
        ]
    return [
        *statements,
        *(
            f"CREATE TRIGGER IF NOT EXISTS access_log_no_{verb.lower()} BEFORE {verb} ON access_log"
            f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            for verb in ("UPDATE", "DELETE")
        ),
    ]


def roster_read(month: object, commune_code: str | None, channel: str | None, file_format: str = "") -> str:
    """What a roster read names: ``roster 2024-09 commune 26041 channel cash csv`` (parts left out when
    not given)."""
    parts = [f"roster {month}"]
    if commune_code:
        parts.append(f"commune {commune_code}")
    if channel:
        parts.append(f"channel {channel}")
    if file_format and file_format != "json":
        parts.append(file_format)
    return " ".join(parts)


def aware_moment(text: str, field: str, expected: str = "an ISO 8601 timestamp with an offset") -> datetime:
    """``text`` (ISO 8601 with an offset) as a moment in UTC; else :class:`InvalidInput` naming ``field``
    (``must be <expected>, got …``) — a moment without its offset could be any of 24 hours."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(field, f"must be {expected}, got {text!r}")
    return parsed.astimezone(UTC)


def _utc_moment(moment: str | None, field: str) -> str | None:
    """``moment`` (ISO 8601 with an offset) as the access log writes its times (UTC, ISO), so that the
    text columns compare in time order."""
    return None if moment is None else aware_moment(moment, field).isoformat()


PERSONAL_FILTERS = frozenset({"citizen_id", "name"})


def search_read(filters: Mapping[str, object]) -> str:
    """What a search names: ``search commune_code=26041 kind=meritorious citizen_id`` — the filters
    given, with their values except a citizen ID's and a name's (the log never holds them)."""
    named = [
        name if name in PERSONAL_FILTERS else f"{name}={value}"
        for name, value in filters.items()
        if value not in {None, ""}
    ]
    return " ".join(["search", *named])


class AccessLog:
    """Records reads of personal data and pages through them, newest first."""

    def __init__(self, store: ReadStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self.store.script(_ddl(store.dialect))

    def record(
        self, actor: Actor, what: str, *, beneficiary_id: object = None, records: int = 1, via: str = "api"
    ) -> None:
        """Record that ``actor`` read ``what`` (``records`` records; ``beneficiary_id`` when one)."""
        scope = current_scope() or {}
        role = actor.role if isinstance(actor, User) else "operator"
        row = (
            self.clock().astimezone(UTC).isoformat(), actor_name(actor), role, via, what,
            None if beneficiary_id is None else str(beneficiary_id), records, scope.get("request_id", ""),
        )  # fmt: skip
        with self.store.write(exclusive=False) as tx:
            tx.execute(
                f"INSERT INTO {TABLE} ({', '.join(COLUMNS[1:])}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                row,
            )

    def record_list(self, actor: Actor, what: str, ids: list[Any], *, via: str = "api") -> None:
        """Record a list read: how many records, and the one beneficiary when it held exactly one."""
        self.record(actor, what, beneficiary_id=ids[0] if len(ids) == 1 else None, records=len(ids), via=via)

    def page(
        self,
        *,
        user: str | None = None,
        beneficiary_id: str | None = None,
        date_from: object = None,
        date_to: object = None,
        cursor: object = None,
        limit: int = 100,
        read_from: str | None = None,
        read_before: str | None = None,
    ) -> dict[str, Any]:
        """One page of reads, newest first, filtered; ``next_cursor`` continues it.

        ``date_from``/``date_to`` are days of UTC (the API's); ``read_from``/``read_before`` are moments
        (ISO, UTC, as :func:`api.pages.support.vietnam_day_bounds` gives the days of Vietnam's calendar
        for the pages): reads at or after the first, before the second."""
        clauses: list[str] = []
        params: list[Any] = []
        if user:
            clauses.append("user_name = ?")
            params.append(user)
        if beneficiary_id:
            clauses.append("beneficiary_id = ?")
            params.append(beneficiary_id)
        start, end = day_range(date_from, date_to, ("from", "to"))
        moments = (
            ("read_at >= ?", _utc_moment(read_from, "from")),
            ("read_at < ?", _utc_moment(read_before, "to")),
        )
        for clause, bound in (("read_at >= ?", start), ("read_at < ?", end), *moments):
            if bound is not None:
                clauses.append(clause)
                params.append(bound)
        if cursor not in {None, ""}:
            if not str(cursor).isdigit() or len(str(cursor)) > 18:
                raise InvalidInput("cursor", "must be the next_cursor of an earlier page")
            clauses.append("id < ?")
            params.append(int(str(cursor)))
        if not 1 <= limit <= 500:
            raise InvalidInput("limit", "must be from 1 to 500")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        with self.store.read() as tx:
            rows, more = tx.fetch_page(
                f"SELECT {', '.join(COLUMNS)} FROM {TABLE}{where} ORDER BY id DESC LIMIT ?",  # noqa: S608
                params,
                limit,
            )
        items = [
            {("user" if k == "user_name" else k): v for k, v in zip(COLUMNS, r, strict=True)} for r in rows
        ]
        return {"items": items, "next_cursor": str(items[-1]["id"]) if more else None}
