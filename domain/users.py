"""Users of the ledger — người dùng: case and payment officers, inspectors, administrators.

A user has a role (``officer`` writes for the communes of its scope — no scope means the whole
province; ``inspector`` reads everything and writes nothing; ``approver`` approves or returns the
rosters of its scope — none means the whole province — reads what an officer of that scope reads and
records nothing else; ``admin`` does everything, plus rates and users) and an API token of which only
the SHA-256 is kept. Users are a stream like everything else, so who was allowed to do what, and since
when, is itself on the record.

A token has an expiry day (``TokenIssued``, recorded with the registration and at every rotation): it
works before that day and is refused from it on (:meth:`User.accepts`). By default a token expires one
year after the day it is issued (:func:`default_token_expiry`); an administrator may choose another day,
after the day of issue and at most :data:`MAX_TOKEN_YEARS` years ahead. A rotation replaces the token:
the previous one is refused at once. A user registered before tokens had an expiry (a ``UserRegistered``
without ``TokenIssued``) has the default: one year after the day of registration.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from uuid import UUID, uuid5

from domain.errors import Conflict, InvalidInput, TokenExpired
from domain.events import LedgerAggregate, RecordContext
from domain.values import parse_commune_code, years_after

ROLES = ("officer", "inspector", "approver", "admin")
SCOPED_ROLES = ("officer", "approver")  # the roles that may have a commune scope
NAMESPACE_USERS = UUID("9c4e2b1a-6d3f-4e8a-b7c5-0a1f2e3d4c85")
MAX_TOKEN_YEARS = 5  # the furthest expiry an administrator may give a token


def token_hash(token: str) -> str:
    """The SHA-256 of an API token (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_id(name: str) -> UUID:
    """The stream id of a user name (one user per name)."""
    return uuid5(NAMESPACE_USERS, name.lower())


def default_token_expiry(issued_on: date) -> date:
    """The day a token issued on ``issued_on`` expires by default: one year later (from a 29 February,
    the 28th). The token works up to the day before."""
    return years_after(issued_on, 1)


def parse_token_expiry(value: object, issued_on: date, field: str = "expires_on") -> date:
    """The expiry day an administrator chose (``YYYY-MM-DD``, or ``None``: the default): after the day
    of issue, at most :data:`MAX_TOKEN_YEARS` years ahead."""
    if value is None or value == "":
        return default_token_expiry(issued_on)
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput(field, f"must be a date YYYY-MM-DD, got {value!r}") from None
    if day <= issued_on:
        raise InvalidInput(field, f"must be after the day of issue ({issued_on.isoformat()}), got {day}")
    latest = years_after(issued_on, MAX_TOKEN_YEARS)
    if day > latest:
        raise InvalidInput(
            field, f"must be at most {MAX_TOKEN_YEARS} years ahead (on or before {latest}), got {day}"
        )
    return day


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

    class TokenIssued(LedgerAggregate.Event):
        """TokenIssued — cấp mã truy cập: the user's token from now on (the previous one no longer works),
        and the day it expires."""

        token_sha256: str
        expires_on: date

        def apply(self, agg: User) -> None:
            agg.token_sha256 = self.token_sha256
            agg.expires_on = self.expires_on

    def __init__(
        self, name: str, role: str, scope: list[str], token_sha256: str, occurred_on: date | None = None
    ) -> None:
        self.name = name
        self.role = role
        self.scope = list(scope)
        self.token_sha256 = token_sha256
        self.disabled = False
        # a user registered before tokens had an expiry: one year after the day of registration
        self.expires_on: date = default_token_expiry(occurred_on or date.min)

    @classmethod
    def register(
        cls, ctx: RecordContext, *, name: object, role: object, scope: list[object], token_sha256: str,
        existing: User | None = None, expires_on: object = None,
    ) -> User:  # fmt: skip
        """Create a user with its first token (expiring on ``expires_on``, default in a year); names are
        unique."""
        checked = parse_user_name(name)
        if role not in ROLES:
            raise InvalidInput("role", f"must be one of {', '.join(ROLES)}, got {role!r}")
        communes = sorted({parse_commune_code(c, "scope") for c in scope})
        if communes and role not in SCOPED_ROLES:
            raise InvalidInput("scope", "only an officer or an approver has a commune scope")
        expiry = parse_token_expiry(expires_on, ctx.today)
        if existing is not None:
            raise Conflict(f"user {checked} already exists", "name")
        user = cls._create(
            cls.UserRegistered,
            id=user_id(checked),
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.today,
            reason=ctx.reason,
            name=checked,
            role=str(role),
            scope=communes,
            token_sha256=token_sha256,
        )
        user.record(cls.TokenIssued, ctx, token_sha256=token_sha256, expires_on=expiry)
        return user

    def rotate_token(self, ctx: RecordContext, token_sha256: str, expires_on: object = None) -> None:
        """A new token (expiring on ``expires_on``, default in a year) instead of the current one."""
        expiry = parse_token_expiry(expires_on, ctx.today)
        if self.disabled:
            raise Conflict(f"user {self.name} is disabled: it gets no new token", "name")
        self.record(self.TokenIssued, ctx, token_sha256=token_sha256, expires_on=expiry)

    def accepts(self, token_sha256: str, today: date) -> bool:
        """Whether the token with this hash signs this user in on ``today``: it is the current token and
        the user is enabled; :class:`~domain.errors.TokenExpired` when it is, but its day has come."""
        if self.disabled or token_sha256 != self.token_sha256:
            return False
        if today >= self.expires_on:
            raise TokenExpired(self.expires_on)
        return True

    def disable(self, ctx: RecordContext) -> None:
        """Lock the user out (khóa): its token no longer signs in; its records stay as they are."""
        if self.disabled:
            raise Conflict(f"user {self.name} is already disabled", "name")
        self.record(self.UserDisabled, ctx)

    def can_read(self) -> bool:
        """Every enabled user reads."""
        return not self.disabled

    def can_write_commune(self, commune_code: str | None) -> bool:
        """Officers write within their scope (none = whole province); admins everywhere; inspectors and
        approvers never (an approver only approves or returns rosters: :meth:`can_approve_commune`)."""
        if self.disabled or self.role in {"inspector", "approver"}:
            return False
        if self.role == "admin" or not self.scope:
            return True
        return commune_code in self.scope

    def can_approve_commune(self, commune_code: str | None) -> bool:
        """Approvers approve (or return) the rosters of their scope — a province-wide roster
        (``commune_code`` ``None``) only without a scope; admins every roster; nobody else any."""
        if self.disabled or self.role not in {"approver", "admin"}:
            return False
        if self.role == "admin" or not self.scope:
            return True
        return commune_code is not None and commune_code in self.scope
