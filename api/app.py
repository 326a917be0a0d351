"""The HTTP API — giao diện lập trình: thin routers over the ledger and the read models.

``create_app`` wires one ledger, its projection engine and the idempotency store into a FastAPI app.
Every ``/v1`` route needs ``Authorization: Bearer <token>``; the user behind the token is the actor
recorded on every event. OpenAPI at ``/openapi.json``, docs at ``/docs``, ``/healthz`` without auth.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import pages, problems
from api.deps import AuthError, Services
from api.idempotency import IdempotencyStore
from api.request_log import RequestLog
from api.routes import beneficiaries, campaigns, imports, payments, rates, reports, rosters, users
from ledger.application import BenefitsLedger, open_ledger
from ledger.config import Settings, load_settings
from ledger.logs import configure_logging
from ledger.sqlstore import open_read_store
from projections.engine import ProjectionEngine, open_projections


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

    app.include_router(beneficiaries.router, prefix="/v1")
    app.include_router(payments.router, prefix="/v1")
    app.include_router(campaigns.router, prefix="/v1")
    for module in (rosters, reports, rates, users, imports):
        app.include_router(module.router, prefix="/v1")
    app.include_router(pages.router)  # web pages under /pages ("/" redirects there)
    return app
