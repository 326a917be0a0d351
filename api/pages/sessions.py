"""Sign-in sessions of the web pages — phiên đăng nhập: a random id in a cookie, the rest on the server.

The browser holds only a random session id (HttpOnly, SameSite=Lax cookie); the store keeps the
SHA-256 of that id, the user's name, the SHA-256 of the token it signed in with (what the users' stream
keeps too: never the token) and the session's CSRF token, beside the read models (so sessions survive a
restart of ``ledger serve``). The API token pasted at sign-in is checked once and never kept.

A session ends after :data:`IDLE` (30 minutes) without a request, and at the latest :data:`LIFETIME`
(12 hours, a working day) after sign-in: its ``idle_until`` column is a sliding deadline,
``min(signed_in + LIFETIME, last request + IDLE)``, moved forward by each request (``created`` and
``expires``, the table's first columns, are still written: on PostgreSQL they are ``REAL``, rounded to
about two minutes, so the times that decide are the newer ``DOUBLE PRECISION`` columns, added to an
existing table on first use). Signing out deletes it.
The page entrance also ends it when the token it signed in with no longer signs in (rotated, expired)
or its user is disabled (:func:`api.pages.kit.visitor_of`). A session stored before the token's hash
was kept (an older release) has none and no longer works: its user signs in again.

Times come from the ``clock`` given (seconds since the epoch: the wall clock, ``session_clock`` of the
web services), so a test moves it instead of sleeping.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from ledger.adapters.sqlstore import ReadStore

LIFETIME = 12 * 3600.0
IDLE = 30 * 60.0
_MOVE_AFTER = 30.0  # a deadline is rewritten only when a request moves it by this much (fewer writes)


def _ddl() -> list[str]:
    return [
        (
            "CREATE TABLE IF NOT EXISTS web_sessions ("
            " id_sha256 TEXT PRIMARY KEY, user_name TEXT NOT NULL, csrf TEXT NOT NULL,"
            " created REAL NOT NULL, expires REAL NOT NULL)"
        )
    ]


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def deadline(created: float, now: float) -> float:
    """When a session signed in at ``created`` ends if its last request is at ``now``."""
    return min(created + LIFETIME, now + IDLE)


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: whose it is, the hash of the token it signed in with and the token its
    forms must carry."""

    user_name: str
    csrf: str
    token_sha256: str = ""


class SessionStore:
    """Create, look up (moving the idle deadline) and end sessions."""

    def __init__(self, store: ReadStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.store.script(_ddl())
        seconds = "DOUBLE PRECISION" if store.dialect == "postgres" else "REAL"
        self.store.add_missing_columns(  # tables of the releases before 2026-12 lack them
            "web_sessions", {"token_sha256": "TEXT", "signed_in": seconds, "idle_until": seconds}
        )

    def create(self, user_name: str, token_sha256: str = "") -> tuple[str, WebSession]:
        """A new session for ``user_name`` signed in with the token of hash ``token_sha256``:
        ``(session id for the cookie, session)``."""
        session_id = secrets.token_urlsafe(32)
        session = WebSession(user_name, secrets.token_urlsafe(32), token_sha256)
        now = self.clock()
        until = deadline(now, now)
        with self.store.write(exclusive=False) as tx:
            tx.execute("DELETE FROM web_sessions WHERE expires < ? OR idle_until < ?", (now, now))
            tx.execute(
                "INSERT INTO web_sessions (id_sha256, user_name, csrf, created, expires, token_sha256,"
                " signed_in, idle_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (_digest(session_id), user_name, session.csrf, now, now + LIFETIME, token_sha256, now, until),
            )
        return session_id, session

    def get(self, session_id: str | None) -> WebSession | None:
        """The live session behind a cookie value, or ``None``; a request to a live session moves its
        idle deadline."""
        if not session_id or len(session_id) > 200:
            return None
        digest = _digest(session_id)
        with self.store.read() as tx:
            row = tx.fetchone(
                "SELECT user_name, csrf, signed_in, idle_until, token_sha256 FROM web_sessions"
                " WHERE id_sha256 = ?",
                (digest,),
            )
        now = self.clock()
        if row is None or row[3] is None or float(row[3]) < now:
            return None
        moved = deadline(float(row[2]), now)
        if moved - float(row[3]) >= _MOVE_AFTER:
            with self.store.write(exclusive=False) as tx:
                tx.execute(
                    "UPDATE web_sessions SET idle_until = ? WHERE id_sha256 = ? AND idle_until < ?",
                    (moved, digest, moved),
                )
        return WebSession(str(row[0]), str(row[1]), str(row[4] or ""))

    def end(self, session_id: str | None) -> None:
        """Sign out: the session id is worthless from now on."""
        if not session_id:
            return
        with self.store.write(exclusive=False) as tx:
            tx.execute("DELETE FROM web_sessions WHERE id_sha256 = ?", (_digest(session_id),))
