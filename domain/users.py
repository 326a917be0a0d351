"""Users of the ledger — người dùng: case and payment officers, inspectors, administrators.

A user has a role (``officer`` writes for the communes of its scope — no scope means the whole
province; ``inspector`` reads everything and writes nothing; ``admin`` does everything, plus rates and
users) and an API token of which only the SHA-256 is kept. Users are a stream like everything else, so
who was allowed to do what, and since when, is itself on the record.
"""

from __future__ import annotations

import hashlib
import re
from uuid import UUID, uuid5

from domain.errors import Conflict, InvalidInput
from domain.events import LedgerAggregate, RecordContext
from domain.values import parse_commune_code

ROLES = ("officer", "inspector", "admin")
NAMESPACE_USERS = UUID("9c4e2b1a-6d3f-4e8a-b7c5-0a1f2e3d4c85")


def token_hash(token: str) -> str:
    """The SHA-256 of an API token (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_id(name: str) -> UUID:
    """The stream id of a user name (one user per name)."""
    return uuid5(NAMESPACE_USERS, name.lower())


def parse_user_name(value: object) -> str:
    """A user name: 2–64 letters, digits, dots, dashes or underscores."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9._-]{2,64}", value.strip()):
        raise InvalidInput("name", "must be 2–64 letters, digits, '.', '-' or '_'")
    return value.strip()


class User(LedgerAggregate):
    """A user and its rights."""

    class UserRegistered(LedgerAggregate.Created):
        """UserRegistered — tạo người dùng."""

        name: str
        role: str
        scope: list[str]
        token_sha256: str

    class UserDisabled(LedgerAggregate.Event):
        """UserDisabled — khóa người dùng."""

        def apply(self, agg: User) -> None:
            agg.disabled = True

    def __init__(self, name: str, role: str, scope: list[str], token_sha256: str) -> None:
        self.name = name
        self.role = role
        self.scope = list(scope)
        self.token_sha256 = token_sha256
        self.disabled = False

    @classmethod
    def register(
        cls, ctx: RecordContext, *, name: object, role: object, scope: list[object], token_sha256: str,
        existing: User | None = None,
    ) -> User:  # fmt: skip
        """Create a user; names are unique."""
        checked = parse_user_name(name)
        if role not in ROLES:
            raise InvalidInput("role", f"must be one of {', '.join(ROLES)}, got {role!r}")
        communes = sorted({parse_commune_code(c, "scope") for c in scope})
        if communes and role != "officer":
            raise InvalidInput("scope", "only an officer has a commune scope")
        if existing is not None:
            raise Conflict(f"user {checked} already exists", "name")
        return cls._create(
            cls.UserRegistered,
            id=user_id(checked),
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.recorded_at.date(),
            reason=ctx.reason,
            name=checked,
            role=str(role),
            scope=communes,
            token_sha256=token_sha256,
        )

    def disable(self, ctx: RecordContext) -> None:
        """Lock the user out (khóa): its token no longer signs in; its records stay as they are."""
        if self.disabled:
            raise Conflict(f"user {self.name} is already disabled", "name")
        self.record(self.UserDisabled, ctx)

    def can_read(self) -> bool:
        """Every enabled user reads."""
        return not self.disabled

    def can_write_commune(self, commune_code: str | None) -> bool:
        """Officers write within their scope (none = whole province); admins everywhere; inspectors never."""
        if self.disabled or self.role == "inspector":
            return False
        if self.role == "admin" or not self.scope:
            return True
        return commune_code in self.scope
