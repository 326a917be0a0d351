"""The JSON API on an app — cài đặt API: problem details for every refusal, ``/healthz``, the ``/v1``
routers and the API's docs (:mod:`api.http.docs`). Every ``/v1`` route needs ``Authorization: Bearer
<token>``; the user behind the token is the actor recorded on every event. OpenAPI at ``/openapi.json``,
docs at ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.http import docs
from api.http.responses import complete_openapi
from api.http.routes import (
    access_log,
    audit,
    beneficiaries,
    campaigns,
    checkpoints,
    imports,
    payments,
    rates,
    reports,
    rosters,
    users,
)
from api.web import problems
from api.web.services import AuthError

if TYPE_CHECKING:
    from fastapi.routing import APIRoute


def operation_id(route: APIRoute) -> str:
    """An operation's id is its function's name (``register``, ``grant``, ``record_payment``): the
    OpenAPI links name the operations they lead to by it."""
    return route.name


def install(app: FastAPI) -> None:
    """Add the API's error mapping, its health check and its routers to ``app``."""
    problems.install(app)

    @app.exception_handler(AuthError)
    async def _auth(_: Request, error: AuthError) -> JSONResponse:
        if error.retry_after is not None:
            return problems.throttled(error.retry_after)
        return problems.problem(error.status, error.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _starlette(_: Request, error: StarletteHTTPException) -> JSONResponse:
        answer = problems.problem(error.status_code, str(error.detail))
        answer.headers.update(error.headers or {})  # a 405's Allow (RFC 9110)
        return answer

    @app.get("/healthz", tags=["health"], operation_id="healthz")
    def healthz() -> dict[str, str]:
        """Liveness, without auth."""
        return {"status": "ok"}

    for module in (
        beneficiaries, payments, campaigns, rosters, reports, rates, users, imports, checkpoints, access_log,
        audit,
    ):  # fmt: skip
        app.include_router(module.router, prefix="/v1", generate_unique_id_function=operation_id)
    app.include_router(docs.router)
    complete_openapi(app, app.state.services.ledger.province)
