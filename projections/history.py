"""One beneficiary's history from the read models — lịch sử hồ sơ từ bảng đọc: the answer of
``GET /v1/beneficiaries/{id}/history`` in one indexed read, without loading the beneficiary.

Each row of ``rm_audit`` holds its event's item of the history already written as JSON (``entry``,
:func:`ledger.history.item_json`, filled by the projection engine with the row); the answer is those
entries of the stream in order, joined: the same bytes as :func:`ledger.history.beneficiary_history`
serialised. Who may read it is the ledger's rule (:meth:`ledger.store.LedgerStore.readable`): the commune
in force this month, here read from ``rm_places`` (the commune of each month it changed) and chosen as
the domain chooses (:func:`domain.parts.in_force`). The read models catch up first (read-your-writes:
:meth:`ProjectionEngine.read_caught_up`).

The entries are a cache of the log, like every read model: ``ledger verify --read-models`` rebuilds them
and names a row edited in the database. The history shows each event's ``hash`` and ``prev_hash`` as
stored; it never verified the chain while answering (``ledger verify`` does), and does not here either.
A row without its entry — written by a projection process of a release before the column, still
running beside this one — is not served as it is: that history is read from the log instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain.errors import UnknownBeneficiary
from domain.parts import in_force
from domain.values import Month
from ledger.authorization import require_reader
from ledger.history import beneficiary_history, history_json, item_json, parse_as_of

if TYPE_CHECKING:
    from uuid import UUID

    from ledger.authorization import Actor
    from projections.engine import ProjectionEngine

PLACES_SQL = (
    "SELECT effective_from, commune_code FROM rm_places WHERE beneficiary_id = ? ORDER BY effective_from"
)
ENTRIES_SQL = "SELECT recorded_at, entry FROM rm_audit WHERE stream_id = ? ORDER BY seq"


def history_answer(
    engine: ProjectionEngine, actor: Actor, key: object, as_of: object = None
) -> tuple[UUID, bytes]:
    """The beneficiary's id (by id or 12-digit citizen ID) and its history as the JSON answer
    ``{"items": [...]}``, oldest first, only what was recorded by ``as_of``: 404 for no beneficiary, 403
    for an officer outside the commune it lives in this month, as :meth:`readable` refuses."""
    stream = engine.ledger.beneficiary_stream(key)
    month = engine.ledger.current_month()
    with engine.read_caught_up() as tx:
        places = tx.fetchall(PLACES_SQL, (str(stream),))
        if not places:
            raise UnknownBeneficiary(f"beneficiary {stream} not found")
        _, commune = in_force([(Month.parse(str(start)), str(code)) for start, code in places], month)
        require_reader(actor, commune)
        rows = tx.fetchall(ENTRIES_SQL, (str(stream),))
    moment = parse_as_of(as_of)
    kept = []
    for recorded_at, entry in rows:
        if moment is not None and datetime.fromisoformat(str(recorded_at)) > moment:
            break
        kept.append(str(entry or ""))
    if not all(kept):  # a row written without its entry, by a projection process of an older release
        kept = [item_json(item) for item in beneficiary_history(engine.ledger, stream, moment)]
    return stream, history_json(kept)
