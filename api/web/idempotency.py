"""Idempotency keys — khóa chống ghi trùng: a retried write returns the first answer, records nothing new.

The first request with a key claims it (a row inserted with a primary key, so two concurrent retries
cannot both claim it), runs, and stores its status and body. A retry with the same key and the same
request gets that answer again; the same key with a different request is a 409. Keys are stored on the
configured backend, so they survive a restart. A request that failed with a server error releases its
key.

A claim holds a lease (``LEDGER_IDEMPOTENCY_LEASE_SECONDS``, 30 s) that its request renews while it
runs (:meth:`IdempotencyStore.held`). A retry that arrives while the first request is still running
waits a while for its answer; if the first is still running after that, the retry is refused with
:class:`KeyBusy` (a 409 with ``Retry-After``). A claim whose lease ran out belongs to a request whose
process died: the next retry takes it over and runs the request itself. The commands keep such a run
single anyway (a payment's id, a registration's citizen id).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.adapters.sqlstore import UNIQUE_VIOLATIONS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ledger.adapters.sqlstore import ReadStore

PENDING = -1
LEASE_SECONDS = 30.0
WAIT_SECONDS = 10.0


def _ddl(dialect: str) -> list[str]:
    del dialect
    return [
        (
            "CREATE TABLE IF NOT EXISTS api_idempotency ("
            " key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT,"
            " created REAL NOT NULL)"
        )
    ]


def _lease_column(dialect: str) -> dict[str, str]:
    """The lease's end, in seconds since the epoch (PostgreSQL's ``REAL`` would round it to minutes)."""
    return {"leased_until": "DOUBLE PRECISION" if dialect == "postgres" else "REAL"}


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given to the first request with a key."""

    status: int
    body: Any


class KeyReused(Exception):  # noqa: N818 - reads as what happened
    """The key was used for a different request."""


class KeyBusy(Exception):  # noqa: N818 - reads as what happened
    """The first request with the key is still running (its lease is alive)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"the first request with this key is still running; retry in {retry_after:.0f} s")
        self.retry_after = max(1, math.ceil(retry_after))


class IdempotencyStore:
    """Claims, answers and replays idempotency keys.

    A pending claim is alive while its ``leased_until`` lies ahead of ``clock()`` (seconds since the
    epoch); a pending claim without one was left by an older release, whose process is gone."""

    def __init__(
        self,
        store: ReadStore,
        *,
        lease_seconds: float = LEASE_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self._clock = clock
        self.store.script(_ddl(store.dialect))
        self.store.add_missing_columns("api_idempotency", _lease_column(store.dialect))

    def now(self) -> float:
        """The clock the leases are read on."""
        return self._clock() if self._clock else time.time()

    @staticmethod
    def fingerprint(user: str, method: str, path: str, body: Any) -> str:
        """What makes two requests "the same request"."""
        canonical = json.dumps([user, method, path, body], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def claim(self, key: str, fingerprint: str) -> StoredAnswer | None:
        """Claim ``key`` for this request (a new key, or one whose lease ran out); or the stored answer
        of an earlier identical request.

        Raises :class:`KeyReused` if the key belongs to a different request, :class:`KeyBusy` if the
        first request with it is still running after :attr:`wait_seconds` (at most a lease).
        """
        deadline = time.monotonic() + min(self.wait_seconds, self.lease_seconds)
        while True:
            try:
                row = self._take(key, fingerprint)
            except UNIQUE_VIOLATIONS:
                continue  # a concurrent retry claimed the key first: read its row
            if row is None:
                return None
            if row[0] != fingerprint:
                raise KeyReused
            if int(row[1]) != PENDING:
                return StoredAnswer(int(row[1]), json.loads(row[2]) if row[2] is not None else None)
            if time.monotonic() >= deadline:
                raise KeyBusy(float(row[3] or 0) - self.now())
            time.sleep(0.05)

    def _take(self, key: str, fingerprint: str) -> tuple[Any, ...] | None:
        """Claim the key if it is free or its lease ran out (``None``), else its row."""
        with self.store.write(exclusive=False) as tx:
            now = self.now()
            row = tx.fetchone(
                "SELECT fingerprint, status, body, leased_until FROM api_idempotency WHERE key = ?", (key,)
            )
            expired = (
                row is not None
                and row[0] == fingerprint
                and int(row[1]) == PENDING
                and (row[3] is None or float(row[3]) <= now)
            )
            if expired:  # its process died: take it over (a concurrent taker's delete finds a live lease)
                tx.execute(
                    "DELETE FROM api_idempotency WHERE key = ? AND status = ?"
                    " AND (leased_until IS NULL OR leased_until <= ?)",
                    (key, PENDING, now),
                )
            if row is None or expired:
                tx.execute(
                    "INSERT INTO api_idempotency (key, fingerprint, status, body, created, leased_until)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (key, fingerprint, PENDING, None, now, now + self.lease_seconds),
                )
                return None
            return tuple(row)

    def stored(self, key: str) -> StoredAnswer | None:
        """The answer stored for ``key``, or ``None`` while there is none (a page shows a form's result
        again by its key: an import's report)."""
        with self.store.read() as tx:
            row = tx.fetchone("SELECT status, body FROM api_idempotency WHERE key = ?", (key,))
        if row is None or int(row[0]) == PENDING:
            return None
        return StoredAnswer(int(row[0]), json.loads(row[1]) if row[1] is not None else None)

    def renew(self, key: str) -> None:
        """Extend the lease of the claimed, still pending key."""
        with self.store.write(exclusive=False) as tx:
            tx.execute(
                "UPDATE api_idempotency SET leased_until = ? WHERE key = ? AND status = ?",
                (self.now() + self.lease_seconds, key, PENDING),
            )

    @contextmanager
    def held(self, key: str) -> Iterator[None]:
        """Run the claimed key's request: its lease renewed every third of the lease while it runs,
        the key released if it fails."""
        done = threading.Event()

        def keep() -> None:
            while not done.wait(self.lease_seconds / 3):
                self.renew(key)

        keeper = threading.Thread(target=keep, name=f"lease {key[:40]}", daemon=True)
        keeper.start()
        try:
            yield
        except BaseException:
            done.set()
            keeper.join()
            self.release(key)
            raise
        done.set()
        keeper.join()

    def answer(self, key: str, status: int, body: Any) -> None:
        """Store the answer to the claimed key (the first answer stored stays)."""
        with self.store.write(exclusive=False) as tx:
            tx.execute(
                "UPDATE api_idempotency SET status = ?, body = ? WHERE key = ? AND status = ?",
                (status, json.dumps(body, ensure_ascii=False), key, PENDING),
            )

    def release(self, key: str) -> None:
        """Forget a claimed key whose request failed with a server error."""
        with self.store.write(exclusive=False) as tx:
            tx.execute("DELETE FROM api_idempotency WHERE key = ? AND status = ?", (key, PENDING))
