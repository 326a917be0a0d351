"""Idempotency keys — khóa chống ghi trùng: a retried write returns the first answer, records nothing new.

The first request with a key claims it (a row inserted with a primary key, so two concurrent retries
cannot both claim it), runs, and stores its status and body. A retry with the same key and the same
request gets that answer again; the same key with a different request is a 409. A retry that arrives
while the first is still running waits for it. Keys are stored on the configured backend, so they
survive a restart. A request that failed with a server error releases its key.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.adapters.sqlstore import UNIQUE_VIOLATIONS

if TYPE_CHECKING:
    from ledger.adapters.sqlstore import ReadStore

PENDING = -1
WAIT_SECONDS = 30.0


def _ddl(dialect: str) -> list[str]:
    del dialect
    return [
        (
            "CREATE TABLE IF NOT EXISTS api_idempotency ("
            " key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT,"
            " created REAL NOT NULL)"
        )
    ]


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given to the first request with a key."""

    status: int
    body: Any


class KeyReused(Exception):  # noqa: N818 - reads as what happened
    """The key was used for a different request."""


class IdempotencyStore:
    """Claims, answers and replays idempotency keys."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.store.script(_ddl(store.dialect))

    @staticmethod
    def fingerprint(user: str, method: str, path: str, body: Any) -> str:
        """What makes two requests "the same request"."""
        canonical = json.dumps([user, method, path, body], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def claim(self, key: str, fingerprint: str) -> StoredAnswer | None:
        """Claim ``key`` for this request; or the stored answer of an earlier identical request.

        Raises :class:`KeyReused` if the key belongs to a different request.
        """
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                with self.store.write(exclusive=False) as tx:
                    row = tx.fetchone(
                        "SELECT fingerprint, status, body FROM api_idempotency WHERE key = ?", (key,)
                    )
                    if row is None:
                        tx.execute(
                            "INSERT INTO api_idempotency (key, fingerprint, status, body, created)"
                            " VALUES (?, ?, ?, ?, ?)",
                            (key, fingerprint, PENDING, None, time.time()),
                        )
                        return None
            except UNIQUE_VIOLATIONS:
                continue  # a concurrent retry claimed the key first: read its row
            if row[0] != fingerprint:
                raise KeyReused
            if int(row[1]) != PENDING:
                return StoredAnswer(int(row[1]), json.loads(row[2]) if row[2] is not None else None)
            if time.monotonic() > deadline:
                raise KeyReused
            time.sleep(0.05)

    def answer(self, key: str, status: int, body: Any) -> None:
        """Store the answer to the claimed key."""
        with self.store.write(exclusive=False) as tx:
            tx.execute(
                "UPDATE api_idempotency SET status = ?, body = ? WHERE key = ?",
                (status, json.dumps(body, ensure_ascii=False), key),
            )

    def release(self, key: str) -> None:
        """Forget a claimed key whose request failed with a server error."""
        with self.store.write(exclusive=False) as tx:
            tx.execute("DELETE FROM api_idempotency WHERE key = ? AND status = ?", (key, PENDING))
