"""What every route and page depends on — phụ thuộc chung: the services, the signed-in user, roles and
scope, and writes made once per ``Idempotency-Key``. The app factory (:mod:`api.app`) wires them; the
routes and pages import them from here, never the factory (no import cycle).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from api import problems
from api.idempotency import IdempotencyStore, KeyReused
from api.request_log import note_user
from domain.errors import DomainError
from domain.users import User
from ledger.application import BenefitsLedger
from projections.engine import ProjectionEngine

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass
class Services:
    """What the routers use."""

    ledger: BenefitsLedger
    engine: ProjectionEngine
    keys: IdempotencyStore


class AuthError(Exception):
    """401 or 403, with a reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def services(request: Request) -> Services:
    """The app's services."""
    found: Services = request.app.state.services
    return found


def current_user(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
) -> User:
    """The user behind the bearer token (401 when missing or unknown)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise AuthError(401, "missing bearer token: send 'Authorization: Bearer <token>'")
    token = authorization.split(" ", 1)[1].strip()
    user = services(request).ledger.authenticate(token) if token else None
    if user is None:
        raise AuthError(401, "unknown or disabled token")
    note_user(user.name)
    return user


CurrentUser = Annotated[User, Depends(current_user)]
Svc = Annotated[Services, Depends(services)]


def require_writer(user: User, commune_code: str | None) -> None:
    """403 unless ``user`` may write for a beneficiary of ``commune_code``."""
    if user.role == "inspector":
        raise AuthError(403, "an inspector reads everything and writes nothing")
    if not user.can_write_commune(commune_code):
        raise AuthError(403, f"commune {commune_code} is outside the scope of user {user.name}")


def require_admin(user: User) -> None:
    """403 unless ``user`` is an administrator."""
    if user.role != "admin":
        raise AuthError(403, "only an administrator may do this")


def idempotent_write(
    request: Request,
    svc: Services,
    user: User,
    body: Any,
    run: Callable[[], tuple[int, Any]],
) -> JSONResponse:
    """Run a write once per ``Idempotency-Key``: a retry gets the first answer and records nothing."""
    key = request.headers.get("idempotency-key")
    if not key:
        status, payload = _run(run)
        return JSONResponse(payload, status_code=status, media_type=_media(status))
    fingerprint = IdempotencyStore.fingerprint(user.name, request.method, request.url.path, body)
    scoped = f"{user.name}:{key}"
    try:
        stored = svc.keys.claim(scoped, fingerprint)
    except KeyReused:
        return problems.problem(409, "this Idempotency-Key was already used for a different request")
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status, media_type=_media(stored.status))
    try:
        status, payload = _run(run)
    except BaseException:
        svc.keys.release(scoped)
        raise
    svc.keys.answer(scoped, status, payload)
    return JSONResponse(payload, status_code=status, media_type=_media(status))


def _media(status: int) -> str:
    return problems.PROBLEM if status >= 400 else "application/json"


def _run(run: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Run a write; a refusal becomes its problem body (so that a retry can replay it)."""
    try:
        return run()
    except DomainError as error:
        response = problems.domain_problem(error)
        return response.status_code, json.loads(bytes(response.body))
    except AuthError as error:
        return error.status, {
            "type": problems.TYPES.get(error.status, "about:blank"),
            "title": problems.TITLES.get(error.status, "Error"),
            "status": error.status,
            "detail": error.detail,
        }
