"""User commands — người dùng: a user and its API token (only the token's hash is kept, with the day it
expires), a new token instead of the current one (rotation), disabling."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from domain.errors import NotFound
from domain.indexes import UniqueClaim
from domain.users import User, token_hash
from ledger.adapters.communes import resolve_commune
from ledger.authorization import require_admin

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.events import LedgerAggregate
    from ledger.authorization import Actor
    from ledger.store import LedgerStore


def add_user(
    ledger: LedgerStore,
    actor: Actor,
    name: object,
    *,
    role: object,
    scope: Sequence[object] = (),
    expires_on: object = None,
    reason: str = "",
) -> tuple[User, str]:
    """Create a user and its API token (expiring on ``expires_on``, default in a year); the token is
    returned once, only its hash is kept."""
    require_admin(actor)
    ctx = ledger.context(actor, reason)
    token = secrets.token_urlsafe(32)
    digest = token_hash(token)

    def attempt() -> tuple[User, Sequence[LedgerAggregate]]:
        existing = ledger.user(str(name)) if isinstance(name, str) and name.strip() else None
        user = User.register(
            ctx, name=name, role=role, scope=list(scope), token_sha256=digest, existing=existing,
            expires_on=expires_on,
        )  # fmt: skip
        for commune in user.scope:
            resolve_commune(commune, "scope", province=ledger.province)
        return user, [user, UniqueClaim.claim(ctx, "token", digest, user.id)]

    return ledger.save_with_retry(attempt), token


def rotate_token(
    ledger: LedgerStore, actor: Actor, name: str, *, expires_on: object = None, reason: str = ""
) -> tuple[User, str]:
    """A new API token for ``name`` (expiring on ``expires_on``, default in a year), returned once; the
    previous token is refused from the next request on, in every process (each request reads the user's
    stream head, :meth:`~ledger.store.LedgerStore.authenticate`)."""
    require_admin(actor)
    ctx = ledger.context(actor, reason)
    token = secrets.token_urlsafe(32)
    digest = token_hash(token)

    def attempt() -> tuple[User, Sequence[LedgerAggregate]]:
        user = ledger.user(name)
        if user is None:
            raise NotFound(f"no user named {name}")
        user.rotate_token(ctx, digest, expires_on)
        return user, [user, UniqueClaim.claim(ctx, "token", digest, user.id)]

    return ledger.save_with_retry(attempt), token


def disable_user(ledger: LedgerStore, actor: Actor, name: str, *, reason: str = "") -> User:
    """Lock a user out: the next request with its token is refused (401)."""
    require_admin(actor)
    ctx = ledger.context(actor, reason)

    def attempt() -> tuple[User, Sequence[LedgerAggregate]]:
        user = ledger.user(name)
        if user is None:
            raise NotFound(f"no user named {name}")
        user.disable(ctx)
        return user, [user]

    return ledger.save_with_retry(attempt)
