"""Who may write what — phân quyền ghi: the one place the three entrances' users are checked.

An *actor* is either a signed-in :class:`~domain.users.User` (the JSON API, the pages: checked here) or
the name of a trusted operator (the command line run on the server, the ``system`` seeding reference
data, the demo: not checked — whoever runs the console already holds the store). The unit of work
(:mod:`ledger.unit_of_work`) checks a user against the commune of the beneficiary it loads, once per
decision; the commands without a beneficiary check their own rule here (administrators for users and
rates, the roster's commune for issuing).
"""

from __future__ import annotations

from domain.errors import NotAllowed
from domain.users import User

Actor = User | str
"""Who records: a signed-in user, or the name of a trusted operator."""

INSPECTOR_READS_ONLY = "an inspector reads everything and writes nothing"


def actor_name(actor: Actor) -> str:
    """The name recorded on the events."""
    return actor.name if isinstance(actor, User) else actor


def require_writer(actor: Actor) -> None:
    """Refuse (403) a user who writes nothing at all: an inspector, a disabled user."""
    if not isinstance(actor, User):
        return
    if actor.role == "inspector":
        raise NotAllowed(INSPECTOR_READS_ONLY)
    if actor.disabled:
        raise NotAllowed(f"user {actor.name} is disabled")


def require_commune(actor: Actor, commune_code: str | None) -> None:
    """Refuse (403) a user who may not write for a beneficiary of ``commune_code`` (``None``: a record
    of the whole province)."""
    require_writer(actor)
    if isinstance(actor, User) and not actor.can_write_commune(commune_code):
        raise NotAllowed(f"commune {commune_code} is outside the scope of user {actor.name}")


def require_roster_issuer(actor: Actor, commune_code: str | None) -> None:
    """Refuse (403) a user who may not issue the roster of ``commune_code`` (``None``: the whole
    province, which an officer with a scope of communes may not issue)."""
    require_writer(actor)
    if isinstance(actor, User) and commune_code is None and actor.role == "officer" and actor.scope:
        raise NotAllowed(f"user {actor.name} issues rosters of its own communes only: name one")
    require_commune(actor, commune_code)


def require_admin(actor: Actor) -> None:
    """Refuse (403) anyone but an administrator."""
    if isinstance(actor, User) and actor.role != "admin":
        raise NotAllowed("only an administrator may do this")
