"""The HTTP API — giao diện lập trình: thin routers over the ledger and the read models.

``create_app`` wires one ledger, its projection engine and the idempotency store into a FastAPI app.
Every ``/v1`` route needs ``Authorization: Bearer <token>``; the user behind the token is the actor
recorded on every event. OpenAPI at ``/openapi.json``, docs at ``/docs``, ``/healthz`` without auth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import problems
from api.idempotency import IdempotencyStore, KeyReused
from api.request_log import RequestLog, note_user
from domain.errors import DomainError
from domain.users import User
from ledger.application import BenefitsLedger, open_ledger
from ledger.config import Settings, load_settings
from ledger.logs import configure_logging
from ledger.sqlstore import open_read_store
from projections.engine import ProjectionEngine, open_projections

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


class AppFactory:
    """Makes the app from settings, in whichever process serves it: ``ledger serve --workers N`` hands
    one to each worker (it is pickled into the process), so that the workers need nothing from the
    environment — no module writes ``os.environ``. Calling it sets up the process's logging first."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self) -> FastAPI:
        """The app, with this process's logs configured."""
        configure_logging(self.settings)
        return create_app(settings=self.settings)


def create_app(
    database_url: str | None = None,
    *,
    settings: Settings | None = None,
    ledger: BenefitsLedger | None = None,
    engine: ProjectionEngine | None = None,
) -> FastAPI:
    """The API over the store at ``database_url`` (default: the settings' ``LEDGER_DATABASE_URL``)."""
    settings = settings or load_settings()
    url = database_url or (ledger.database_url if ledger else None) or settings.database_url
    the_ledger = ledger or open_ledger(url, settings=settings)
    the_engine = engine or open_projections(the_ledger, url)
    app = FastAPI(
        title="benefits-ledger",
        version="1",
        description="Event-sourced ledger of social benefit payments (chi trả trợ cấp) for a province.",
    )
    app.state.services = Services(the_ledger, the_engine, IdempotencyStore(open_read_store(url)))
    app.add_middleware(RequestLog)
    problems.install(app)

    @app.exception_handler(AuthError)
    async def _auth(_: Request, error: AuthError) -> JSONResponse:
        return problems.problem(error.status, error.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _starlette(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return problems.problem(error.status_code, str(error.detail))

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness, without auth."""
        return {"status": "ok"}

    from api import pages  # noqa: PLC0415 - imports this module
    from api.routes import beneficiaries, campaigns, payments, readers  # noqa: PLC0415 - routes import this

    app.include_router(beneficiaries.router, prefix="/v1")
    app.include_router(payments.router, prefix="/v1")
    app.include_router(campaigns.router, prefix="/v1")
    app.include_router(readers.router, prefix="/v1")
    app.include_router(pages.router)  # web pages under /pages ("/" redirects there)
    return app
