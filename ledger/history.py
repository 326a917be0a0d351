"""One beneficiary's audit trail — lịch sử hồ sơ: every event, oldest first, optionally as of a moment."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson

from domain.beneficiary import Beneficiary
from domain.errors import InvalidInput, NotFound
from domain.values import VIETNAM_TIME, end_of_vietnam_day

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.events import LedgerAggregate
    from ledger.application import BenefitsLedger

COMMON_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "actor",
    "occurred_on",
    "reason",
    "basis",
    "prev_hash",
    "event_hash",
}


def parse_as_of(value: object, field: str = "as_of") -> datetime | None:
    """A timestamp (ISO 8601, with offset; one without is Vietnam's time) or a date: the end of that day
    in Vietnam (23:59:59.999999+07:00, :func:`domain.values.end_of_vietnam_day`), the business day the
    ledger keeps — so "as of 30/11" is what was recorded by midnight in Hà Nội, not in UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                return end_of_vietnam_day(day)
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM_TIME)
    raise InvalidInput(field, f"must be an ISO 8601 timestamp or date, got {value!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_DATA_FIELDS: dict[type, tuple[str, ...]] = {}
_PLAIN = frozenset({str, int, bool, float, type(None)})


def _data_fields(cls: type) -> tuple[str, ...]:
    names = _DATA_FIELDS.get(cls)
    if names is None:
        fields = dataclasses.fields(cls)
        names = _DATA_FIELDS[cls] = tuple(f.name for f in fields if f.name not in COMMON_FIELDS)
    return names


def event_item(event: LedgerAggregate.Event) -> dict[str, Any]:
    """An event as the history shows it."""
    data = {}
    for name in _data_fields(type(event)):
        value = getattr(event, name)
        data[name] = value if type(value) in _PLAIN else _plain(value)
    return {
        "seq": event.originator_version,
        "type": type(event).__name__,
        "occurred_on": _plain(event.occurred_on),
        "recorded_at": event.timestamp.isoformat(),
        "actor": event.actor,
        "reason": event.reason,
        "basis": event.basis,
        "data": data,
        "hash": event.event_hash,
        "prev_hash": event.prev_hash,
    }


def item_json(item: dict[str, Any]) -> str:
    """One item of the history as its answer writes it: compact JSON, the keys in :func:`event_item`'s
    order (a value JSON cannot hold — none today — written as its text rather than refused)."""
    return orjson.dumps(item, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def history_json(entries: Iterable[str]) -> bytes:
    """The history's answer, ``{"items": [...]}``, from its items' JSON (:func:`item_json`), in order:
    the same bytes as the items serialised together."""
    return ('{"items":[' + ",".join(entries) + "]}").encode()


def beneficiary_history(ledger: BenefitsLedger, key: object, as_of: object = None) -> list[dict[str, Any]]:
    """The audit trail of a beneficiary (by id or citizen ID), only what was recorded by ``as_of``."""
    moment = parse_as_of(as_of)
    stream = ledger.beneficiary_stream(key)
    events = ledger.stream_events(stream)
    if not events or not isinstance(events[0], Beneficiary.BeneficiaryRegistered):
        raise NotFound(f"beneficiary {key} not found")
    items = []
    for event in events:
        if moment is not None and event.timestamp > moment:
            break
        items.append(event_item(event))
    return items
