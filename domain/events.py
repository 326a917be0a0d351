"""The common shape of every ledger event, and the hash chain — chuỗi băm.

Every event records who recorded it (``actor``), the business date it happened (``occurred_on``),
when it was recorded (the event ``timestamp``, passed in by the ledger — the domain reads no clock),
the legal basis where there is one (``basis``: decision number, date, issuer), a free-text ``reason``,
the hash of the previous event of its stream (``prev_hash``) and the hash of its own content
(``event_hash``). :func:`event_content_hash` is a pure function of the event's fields, so anyone holding
the events can recompute the chain; the ledger's ``verify`` does exactly that.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.values import check_basis_date, vietnam_today

GENESIS_HASH = ""
HASH_FIELD = "event_hash"


def _canonical(value: Any) -> Any:  # noqa: PLR0911
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


_PLAIN = frozenset({str, int, bool, float, type(None)})
_HASHED_FIELDS: dict[type, tuple[str, ...]] = {}


def _hashed_fields(cls: type) -> tuple[str, ...]:
    names = _HASHED_FIELDS.get(cls)
    if names is None:
        assert dataclasses.is_dataclass(cls)  # noqa: S101 - events are dataclasses by construction
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name != HASH_FIELD)
        _HASHED_FIELDS[cls] = names
    return names


def event_content_hash(event: object) -> str:
    """SHA-256 over the event's type and every field but its own hash, canonically serialised."""
    cls = type(event)
    content = {}
    for name in _hashed_fields(cls):
        value = getattr(event, name)
        content[name] = value if type(value) in _PLAIN else _canonical(value)
    content["__type__"] = cls.__name__
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class RecordContext:
    """Who records a command and when: passed to every command method (the domain reads no clock)."""

    actor: str
    recorded_at: datetime
    reason: str = ""

    @property
    def today(self) -> date:
        """The business day of the command: the day ``recorded_at`` falls on in Vietnam (Asia/Ho_Chi_Minh),
        not in UTC (:func:`~domain.values.vietnam_today`) — what "not after today" is checked against and
        a new event's default ``occurred_on``."""
        return vietnam_today(self.recorded_at)


class LedgerAggregate(Aggregate):
    """Base of every stream in the ledger: events carry actor, dates, basis, reason and the hash chain."""

    class Event(Aggregate.Event):
        """An event of a ledger stream."""

        actor: str = field(default="", kw_only=True)
        occurred_on: date | None = field(default=None, kw_only=True)
        reason: str = field(default="", kw_only=True)
        basis: dict[str, Any] | None = field(default=None, kw_only=True)
        prev_hash: str = field(default=GENESIS_HASH, kw_only=True)
        event_hash: str = field(default="", kw_only=True)

        def __post_init__(self) -> None:
            super().__post_init__()
            if not self.event_hash:
                object.__setattr__(self, HASH_FIELD, event_content_hash(self))

        def mutate(self, aggregate: Any) -> Any:
            """Apply the event, then move the stream's chain head to this event's hash."""
            result = super().mutate(aggregate)
            if result is not None:
                result.chain_head = self.event_hash
            return result

    class Created(Event, Aggregate.Created):
        """The first event of a stream."""

    chain_head: str = GENESIS_HASH

    def record(self, event_class: type[Any], ctx: RecordContext, **data: Any) -> None:
        """Trigger ``event_class`` with the common fields filled from ``ctx`` and the chain head; a legal
        basis's decision date checked against the day of recording (:func:`~domain.values.check_date`)."""
        check_basis_date(data.get("basis"), ctx.today)
        data.setdefault("occurred_on", ctx.today)
        data.setdefault("reason", ctx.reason)
        self.trigger_event(
            event_class,
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            prev_hash=self.chain_head,
            **data,
        )
