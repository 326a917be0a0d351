"""One decision — một lần ghi: the unit of work every command of the ledger runs in.

A decision loads what it decides on (each beneficiary once), checks the actor once against the
beneficiary's commune this month (:mod:`ledger.authorization`), lets the aggregates decide, and saves
every aggregate with new events in **one** transaction (the library's ``save(*aggregates)``). If
another writer appended to one of the streams first, the event store refuses the save
(``IntegrityError``) and the whole decision runs again on fresh state, a bounded number of times.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from eventsourcing.persistence import IntegrityError

from domain.errors import Conflict
from ledger.authorization import Actor, require_commune, require_writer

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from uuid import UUID

    from domain.beneficiary import Beneficiary
    from domain.events import LedgerAggregate
    from domain.values import Month

T = TypeVar("T")
log = logging.getLogger("ledger.store")
MAX_ATTEMPTS = 12


class Store(Protocol):
    """What a unit of work needs of the store (:class:`ledger.store.LedgerStore`)."""

    MAX_ATTEMPTS: int

    def beneficiary_to_decide(self, beneficiary_id: object) -> Beneficiary: ...
    def current_month(self) -> Month: ...
    def save(self, *objs: Any, **kwargs: Any) -> Any: ...


class UnitOfWork:
    """The state one attempt of a decision loaded, and the aggregates it will save together."""

    def __init__(self, store: Store, actor: Actor) -> None:
        self.store = store
        self.actor = actor
        self._loaded: dict[UUID, Beneficiary] = {}
        self._aggregates: list[LedgerAggregate] = []

    def beneficiary(self, beneficiary_id: UUID) -> Beneficiary:
        """The beneficiary, loaded once, that the actor may write for (else :class:`NotAllowed`)."""
        found = self._loaded.get(beneficiary_id)
        if found is None:
            require_writer(self.actor)  # an inspector is refused before anything is read
            found = self.store.beneficiary_to_decide(beneficiary_id)  # its events, never a snapshot
            require_commune(self.actor, found.commune_at(self.store.current_month())[0])
            self._loaded[beneficiary_id] = found
            self._aggregates.append(found)
        return found

    def add(self, *aggregates: LedgerAggregate) -> None:
        """More aggregates to save with this decision (uniqueness claims, a new stream)."""
        self._aggregates.extend(aggregates)

    @property
    def pending(self) -> list[LedgerAggregate]:
        """The aggregates with new events, each once."""
        seen: set[int] = set()
        found = []
        for aggregate in self._aggregates:
            if aggregate.pending_events and id(aggregate) not in seen:
                seen.add(id(aggregate))
                found.append(aggregate)
        return found


def run(store: Store, actor: Actor, decide: Callable[[UnitOfWork], T]) -> T:
    """Run ``decide`` in a unit of work and save what it changed in one transaction; run it again on
    fresh state after a write conflict."""
    for attempt in range(store.MAX_ATTEMPTS):
        uow = UnitOfWork(store, actor)
        result = decide(uow)
        pending = uow.pending
        if not pending:
            return result
        events = [e for a in pending for e in a.pending_events]
        try:
            store.save(*pending)
        except IntegrityError as error:
            refuse_beyond_due(error)
            log.debug("write conflict, trying again on fresh state", extra={"attempt": attempt + 1})
            time.sleep(random.uniform(0, 0.002 * (2**attempt)))  # noqa: S311 - jitter, not crypto
            continue
        log_recorded(events)
        return result
    msg = "the record was changed by someone else at the same time too often; nothing recorded, try again"
    raise Conflict(msg)


def refuse_beyond_due(error: IntegrityError) -> None:
    """A write the database refused because a period would be paid (or withheld) beyond what is due
    (the write side's check, :mod:`domain.positions`) is no write conflict to retry: the rules let
    through what the database does not — 409, nothing recorded."""
    if "never_more_than_due" in str(error):
        msg = (
            "cơ sở dữ liệu từ chối: kỳ này sẽ bị chi quá số phải trả "
            "(the database refuses to pay beyond what is due)"
        )
        raise Conflict(msg, "period") from error


def run_attempts(store: Store, attempt_fn: Callable[[], tuple[T, Sequence[LedgerAggregate]]]) -> T:
    """The same for a decision that loads its own aggregates (users, rates, rosters): ``attempt_fn``
    returns its result and the aggregates to save."""

    def decide(uow: UnitOfWork) -> T:
        result, aggregates = attempt_fn()
        uow.add(*aggregates)
        return result

    return run(store, "", decide)


def log_recorded(events: Sequence[object]) -> None:
    """One line for what a command recorded: the event types, how many events, in how many streams."""
    kinds = Counter(type(e).__name__ for e in events)
    streams = {getattr(e, "originator_id", None) for e in events}
    actor = next((getattr(e, "actor", "") for e in events), "")
    log.info(
        "recorded %s",
        ", ".join(f"{name}×{n}" if n > 1 else name for name, n in kinds.items()),
        extra={"events": len(events), "streams": len(streams), "actor": actor},
    )
