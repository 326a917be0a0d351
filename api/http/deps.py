"""What every route depends on — phụ thuộc của API: the signed-in user behind the bearer token, roles
and scope, and writes made once per ``Idempotency-Key``. The composition root (:mod:`api.bootstrap`)
wires the services; the routes import them from here and :mod:`api.web`, never the root.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.web import problems
from api.web.idempotency import IdempotencyStore, KeyBusy, KeyReused
from api.web.request_log import note_user
from api.web.services import AuthError, Services, services
from api.web.throttle import Throttled, client_address
from domain.errors import DomainError, TokenExpired
from domain.users import User

if TYPE_CHECKING:
    from collections.abc import Callable


bearer = HTTPBearer(
    auto_error=False, scheme_name="token", description="the API token: `Authorization: Bearer <token>`"
)
"""The API's security scheme in the OpenAPI document (the token is checked by :func:`current_user`)."""


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The user behind the bearer token: 401 when missing, unknown, revoked or expired (naming the day),
    429 with ``Retry-After`` while the client's address or the token's prefix is throttled
    (:mod:`api.web.throttle`)."""
    if credentials is None:
        raise AuthError(401, "missing bearer token: send 'Authorization: Bearer <token>'")
    token = credentials.credentials.strip()
    svc = services(request)
    try:
        user = (
            svc.throttle.attempt(client_address(request.scope), token, svc.ledger.authenticate)
            if token
            else None
        )
    except Throttled as refused:
        raise AuthError(429, str(refused), retry_after=refused.retry_after) from None
    except TokenExpired as expired:
        raise AuthError(401, expired.message) from None
    if user is None:
        raise AuthError(401, "unknown, revoked or disabled token")
    note_user(user.name)
    return user


async def app_services(request: Request) -> Services:
    """The app's services, handed over on the event loop: a plain attribute read, which a ``def``
    dependency would send to the thread pool and back (0.1 ms of CPU per request, measured)."""
    return services(request)


CurrentUser = Annotated[User, Depends(current_user)]
Svc = Annotated[Services, Depends(app_services)]


def idempotent_write(
    request: Request,
    svc: Services,
    user: User,
    body: Any,
    run: Callable[[], tuple[int, Any]],
    *,
    shown_once: str | None = None,
) -> JSONResponse:
    """Run a write once per ``Idempotency-Key``: a retry gets the first answer and records nothing.

    ``shown_once`` names a field of a successful answer that is shown once and never stored (a user's new
    API token): the stored answer holds ``null`` there, and a retry of it is refused (409) with what to
    do instead, so that no token ever rests in the idempotency table."""
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
    except KeyBusy as busy:
        refused = problems.problem(
            409, "the first request with this Idempotency-Key is still running: retry after it has answered"
        )
        refused.headers["Retry-After"] = str(busy.retry_after)
        return refused
    if stored is not None:
        withheld = shown_once and stored.status < 400 and isinstance(stored.body, dict)
        if withheld and stored.body.get(shown_once) is None:
            return problems.problem(
                409,
                f"the first request with this Idempotency-Key succeeded; its {shown_once} was shown in that"
                " answer only and is never stored: rotate it to get a new one",
            )
        return JSONResponse(stored.body, status_code=stored.status, media_type=_media(stored.status))
    with svc.keys.held(scoped):
        status, payload = _run(run)
    kept = payload
    if shown_once and status < 400 and isinstance(payload, dict):
        kept = {**payload, shown_once: None}
    svc.keys.answer(scoped, status, kept)
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
