"""Sign-in sessions of the web pages — phiên đăng nhập: a random id in a cookie, the rest on the server.

The browser holds only a random session id (HttpOnly, SameSite=Lax cookie); the store keeps the
SHA-256 of that id, the user's name and the session's CSRF token, beside the read models (so sessions
survive a restart of ``ledger serve``). The API token pasted at sign-in is checked once and never
kept. A session lasts a working day (:data:`LIFETIME`); signing out deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.adapters.sqlstore import ReadStore

LIFETIME = 12 * 3600.0


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


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: whose it is and the token its forms must carry."""

    user_name: str
    csrf: str


class SessionStore:
    """Create, look up and end sessions."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.store.script(_ddl())

    def create(self, user_name: str) -> tuple[str, WebSession]:
        """A new session for ``user_name``: ``(session id for the cookie, session)``."""
        session_id = secrets.token_urlsafe(32)
        session = WebSession(user_name, secrets.token_urlsafe(32))
        now = time.time()
        with self.store.write(exclusive=False) as tx:
            tx.execute("DELETE FROM web_sessions WHERE expires < ?", (now,))
            tx.execute(
                "INSERT INTO web_sessions (id_sha256, user_name, csrf, created, expires)"
                " VALUES (?, ?, ?, ?, ?)",
                (_digest(session_id), user_name, session.csrf, now, now + LIFETIME),
            )
        return session_id, session

    def get(self, session_id: str | None) -> WebSession | None:
        """The live session behind a cookie value, or ``None``."""
        if not session_id or len(session_id) > 200:
            return None
        with self.store.read() as tx:
            row = tx.fetchone(
                "SELECT user_name, csrf, expires FROM web_sessions WHERE id_sha256 = ?",
                (_digest(session_id),),
            )
        if row is None or float(row[2]) < time.time():
            return None
        return WebSession(str(row[0]), str(row[1]))

    def end(self, session_id: str | None) -> None:
        """Sign out: the session id is worthless from now on."""
        if not session_id:
            return
        with self.store.write(exclusive=False) as tx:
            tx.execute("DELETE FROM web_sessions WHERE id_sha256 = ?", (_digest(session_id),))
