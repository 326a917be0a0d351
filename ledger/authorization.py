"""Who may write and read what — phân quyền: the one place the three entrances' users are checked.

An *actor* is either a signed-in :class:`~domain.users.User` (the JSON API, the pages: checked here) or
the name of a trusted operator (the command line run on the server, the ``system`` seeding reference
data, the demo: not checked — whoever runs the console already holds the store). The unit of work
(:mod:`ledger.unit_of_work`) checks a user against the commune of the beneficiary it loads, once per
decision; the commands without a beneficiary check their own rule here (administrators for users and
rates, the roster's commune for issuing).

Reading a beneficiary's personal data (citizen ID, name, bank account) is need-to-know (NĐ 13/2023/NĐ-CP):
an officer with a commune scope reads the beneficiaries of those communes only (:func:`readable_communes`,
:func:`require_reader`); an officer without a scope (the whole province), inspectors and administrators
read everything. The JSON API and the pages both ask here.
"""

from __future__ import annotations

from domain.errors import NotAllowed
from domain.users import User

Actor = User | str
"""Who records: a signed-in user, or the name of a trusted operator."""

INSPECTOR_READS_ONLY = "an inspector reads everything and writes nothing"
APPROVER_ONLY_APPROVES = (
    "người phê duyệt chỉ phê duyệt hoặc trả lại danh sách chi trả, không ghi gì khác "
    "(an approver approves or returns rosters and records nothing else)"
)


def actor_name(actor: Actor) -> str:
    """The name recorded on the events."""
    return actor.name if isinstance(actor, User) else actor


def require_writer(actor: Actor) -> None:
    """Refuse (403) a user who writes nothing at all: an inspector, a disabled user."""
    if not isinstance(actor, User):
        return
    if actor.role == "inspector":
        raise NotAllowed(INSPECTOR_READS_ONLY)
    if actor.role == "approver":
        raise NotAllowed(APPROVER_ONLY_APPROVES)
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


def require_roster_approver(actor: Actor, commune_code: str | None) -> None:
    """Refuse (403) a user who may not approve or return the roster of ``commune_code`` (``None``: the
    whole province): only an approver of that scope (a province-wide roster: an approver without a
    scope) or an administrator. That the preparer never approves their own roster is the domain's rule
    (:meth:`domain.rosters.IssuedRoster.approve`)."""
    if not isinstance(actor, User) or actor.can_approve_commune(commune_code):
        return
    if actor.disabled:
        raise NotAllowed(f"user {actor.name} is disabled")
    if actor.role not in {"approver", "admin"}:
        raise NotAllowed(
            "chỉ người phê duyệt (approver) hoặc quản trị (admin) được phê duyệt hoặc trả lại danh sách "
            "chi trả (only an approver or an administrator approves or returns a roster)"
        )
    where = f"xã/phường {commune_code}" if commune_code else "toàn tỉnh"
    raise NotAllowed(
        f"danh sách {where} ngoài phạm vi phê duyệt của {actor.name} "
        f"({', '.join(actor.scope)}): the roster is outside the approver's scope"
    )


def require_file_import(actor: Actor) -> None:
    """Refuse (403) a user who may not import a whole file (a confirmation file, a list of people): a
    file may name anyone of the province, so it is for officers of the whole province and
    administrators; an officer with a commune scope, an inspector and an approver may not."""
    if isinstance(actor, User) and (
        actor.role in {"inspector", "approver"} or (actor.role == "officer" and actor.scope)
    ):
        require_commune(actor, "*" if actor.role == "officer" else None)


def require_campaign_runner(actor: Actor, commune_code: str | None) -> None:
    """Refuse (403) a user who may not run a campaign for ``commune_code`` (``None``: the whole
    province): officers and administrators; an officer with a commune scope for one of its communes."""
    if not isinstance(actor, User):
        return
    if actor.role == "inspector" or actor.scope:
        require_commune(actor, commune_code or "*")
    if actor.role not in {"officer", "admin"}:
        raise NotAllowed("only officers and administrators run campaigns")


def require_admin(actor: Actor) -> None:
    """Refuse (403) anyone but an administrator."""
    if isinstance(actor, User) and actor.role != "admin":
        raise NotAllowed("only an administrator may do this")


def readable_communes(actor: Actor) -> frozenset[str] | None:
    """The communes whose beneficiaries ``actor`` may read, or ``None`` for all of them: an officer with
    a commune scope (or an approver with one) reads its communes; an officer without one (the whole
    province), an inspector, an administrator and a trusted operator read everything."""
    if isinstance(actor, User) and actor.role in {"officer", "approver"} and actor.scope:
        return frozenset(actor.scope)
    return None


def may_read(actor: Actor, commune_code: str | None) -> bool:
    """Whether ``actor`` may read a beneficiary of ``commune_code`` (``None``: the whole province)."""
    communes = readable_communes(actor)
    if isinstance(actor, User) and actor.disabled:
        return False
    return communes is None or commune_code in communes


def require_reader(actor: Actor, commune_code: str | None) -> None:
    """Refuse (403) a user who may not read the personal data of a beneficiary of ``commune_code``
    (``None``: of the whole province, e.g. a roster or a list naming no commune)."""
    if may_read(actor, commune_code):
        return
    name = actor_name(actor)
    if isinstance(actor, User) and actor.disabled:
        raise NotAllowed(f"user {name} is disabled")
    if commune_code is None:
        raise NotAllowed(
            f"user {name} reads the beneficiaries of its own communes only: name one of "
            f"{', '.join(sorted(readable_communes(actor) or ()))}",
            "commune_code",
        )
    raise NotAllowed(
        f"commune {commune_code} is outside the scope of user {name}: an officer reads the beneficiaries "
        "of its own communes only",
        "commune_code",
    )


def read_commune(actor: Actor, commune_code: str | None) -> str | None:
    """The commune a roster read by ``actor`` covers: the one named (403 outside the scope); for an
    officer whose scope is one commune and who names none, that commune; else the whole province (403
    for an officer with several communes, who names one)."""
    communes = readable_communes(actor)
    if commune_code is None and communes is not None and len(communes) == 1:
        (commune_code,) = communes
    require_reader(actor, commune_code)
    return commune_code


def require_inspecting(actor: Actor) -> None:
    """Refuse (403) anyone but an inspector or an administrator (the access log, the inspection pages)."""
    if isinstance(actor, User) and (actor.role not in {"inspector", "admin"} or actor.disabled):
        raise NotAllowed("only an inspector or an administrator may read this")
