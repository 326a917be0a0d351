"""The composition root — nơi lắp ráp: the one place that builds the services from the settings and
assembles the web app from its two entrances. The JSON API (:mod:`api.http`) and the pages
(:mod:`api.pages`) take the services from the app's state (:mod:`api.web.services`); the command line
(:mod:`api.cli`) opens the ledger and starts the server through here. The entrances import this
module, never each other.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from api.http import app as http_api
from api.pages import router as pages
from api.web.body_limit import BodyLimit
from api.web.idempotency import IdempotencyStore
from api.web.json_depth import JsonDepthLimit
from api.web.request_log import RequestLog
from api.web.security_headers import SecurityHeaders
from api.web.services import Services
from api.web.throttle import AuthThrottle, ThrottleRule
from ledger.access_log import AccessLog
from ledger.adapters.sqlstore import open_read_store
from ledger.application import BenefitsLedger, open_ledger
from ledger.config import Settings, load_settings
from ledger.logs import configure_logging
from projections.engine import ProjectionEngine, open_projections

if TYPE_CHECKING:
    from collections.abc import Iterator

    from domain.users import User


def build_services(
    settings: Settings,
    database_url: str | None = None,
    *,
    ledger: BenefitsLedger | None = None,
    engine: ProjectionEngine | None = None,
) -> Services:
    """One ledger (opening it records the packaged reference rates it lacks), its projection engine,
    the idempotency store, the access log (on the idempotency store's connections) and the throttle of
    failed authentications (``LEDGER_AUTH_*``), on the store at ``database_url`` (default: the
    settings')."""
    url = database_url or (ledger.database_url if ledger else None) or settings.database_url
    the_ledger = ledger or open_ledger(url, settings=settings)
    the_engine = engine or open_projections(the_ledger, url)
    keys = IdempotencyStore(open_read_store(url), lease_seconds=settings.idempotency_lease_seconds)
    return Services(
        the_ledger,
        the_engine,
        keys,
        AccessLog(keys.store, the_ledger.clock),
        AuthThrottle(ThrottleRule.from_settings(settings)),
    )


@contextmanager
def opened_ledger(settings: Settings, *, seed_reference: bool = True) -> Iterator[BenefitsLedger]:
    """The ledger on the settings' store for one command, closed afterwards; opening it records the
    packaged reference rates it lacks, except for ``seed_reference=False`` (commands that must never
    write, such as ``verify``)."""
    ledger = open_ledger(settings=settings, seed_reference=seed_reference)
    try:
        yield ledger
    finally:
        ledger.close()


class AppFactory:
    """Makes the app from settings, in whichever process serves it: ``ledger serve --workers N`` hands
    one to each worker (it is pickled into the process), so that the workers need nothing from the
    environment — no module writes ``os.environ``. Calling it sets up the process's logging first."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self) -> FastAPI:
        """The app, with this process's logs configured, and what building it left in memory frozen.

        Everything alive once the app and its ledger are built (modules, the app's routes and models, the
        ledger's caches) lives as long as the process: :func:`gc.freeze` moves it out of the garbage
        collector's generations, so that a full collection during a request scans what the requests
        allocate, not the whole start-up heap again (the server calls this once per worker process,
        before it serves)."""
        configure_logging(self.settings)
        app = create_app(settings=self.settings)
        gc.collect()  # what start-up left for garbage is freed, not frozen for the process's life
        gc.freeze()
        return app


def create_app(
    database_url: str | None = None,
    *,
    settings: Settings | None = None,
    ledger: BenefitsLedger | None = None,
    engine: ProjectionEngine | None = None,
) -> FastAPI:
    """The API and the pages over the store at ``database_url`` (default: ``LEDGER_DATABASE_URL``)."""
    settings = settings or load_settings()
    app = FastAPI(
        title="benefits-ledger",
        version="1",
        description="Event-sourced ledger of social benefit payments (chi trả trợ cấp) for a province.",
        docs_url=None,  # /docs and /redoc are served by api.http.docs, from packaged files (no CDN)
        redoc_url=None,
    )
    app.state.services = build_services(settings, database_url, ledger=ledger, engine=engine)
    # the last added runs first: the security headers and no-store on /v1 (on every response, refusals
    # included), the request log, then the body's size (413 before reading past
    # the limit, 401 for an upload without a valid token, 429 while its address or token prefix is
    # throttled), then its JSON depth (422 before parsing)
    app.add_middleware(JsonDepthLimit)
    services: Services = app.state.services

    def authenticate(client: str | None, token: str) -> User | None:
        """An upload's token, checked before its body is read: through the throttle, like every other."""
        return services.throttle.attempt(client, token, services.ledger.authenticate)

    app.add_middleware(BodyLimit, settings=settings, authenticate=authenticate)
    app.add_middleware(RequestLog)
    app.add_middleware(SecurityHeaders)
    http_api.install(app)
    app.include_router(pages.router)  # web pages under /pages ("/" redirects there)
    return app
