"""Errors as ``application/problem+json`` (RFC 9457) — lỗi trả về theo chuẩn RFC 9457.

Every refusal carries ``type``, ``title``, ``status``, ``detail`` and, for invalid input, ``errors``: a
list of ``{field, message}``. 404 unknown id; 409 conflict with the ledger's state; 422 invalid input;
401 missing or unknown token; 403 role or scope forbids; 413 a request body (or a file's content) too large;
429 too many failed authentications (with ``Retry-After``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from domain.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound, TokenExpired
from ledger.config import ConfigurationError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

PROBLEM = "application/problem+json"
log = logging.getLogger("api.problems")
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the ledger's state",
    413: "Content too large",
    422: "Invalid input",
    429: "Too many failed authentications",
    500: "Internal error",
}
TYPES = {
    401: "urn:benefits-ledger:problem:unauthenticated",
    403: "urn:benefits-ledger:problem:forbidden",
    404: "urn:benefits-ledger:problem:not-found",
    409: "urn:benefits-ledger:problem:conflict",
    413: "urn:benefits-ledger:problem:too-large",
    422: "urn:benefits-ledger:problem:invalid-input",
    429: "urn:benefits-ledger:problem:throttled",
}


def problem(
    status: int, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
) -> JSONResponse:
    """A problem response."""
    body: dict[str, Any] = {
        "type": TYPES.get(status, "about:blank"),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    if status < 500:
        log.info(
            "refused",
            extra={
                "status": status,
                "reason": detail,
                "fields": ",".join(e["field"] for e in errors or []) or "-",
            },
        )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def throttled(retry_after: int) -> JSONResponse:
    """429: too many failed authentications from this address or with this token's prefix."""
    detail = (
        "too many failed authentications from this address or with tokens like this one: "
        f"retry after {retry_after} seconds"
    )
    response = problem(429, detail, retry_after=retry_after)
    response.headers["Retry-After"] = str(retry_after)
    return response


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain refusal."""
    if isinstance(error, TokenExpired):
        return 401
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, NotAllowed):
        return 403
    return 422


def domain_problem(error: DomainError) -> JSONResponse:
    """A domain refusal as a problem."""
    status = status_of(error)
    errors = [{"field": e.field, "message": e.message} for e in error.errors]
    if isinstance(error, InvalidInput) or errors:
        return problem(status, error.message, errors)
    return problem(status, error.message)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in {"body", "query", "path", "header"}]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, error: DomainError) -> JSONResponse:
        return domain_problem(error)

    @app.exception_handler(ConfigurationError)
    async def _config(_: Request, error: ConfigurationError) -> JSONResponse:
        return problem(500, str(error))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
            for e in error.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, detail, errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, error: HTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=error)  # the traceback for the operator, never the caller
        return problem(500, "an unexpected error stopped this request; it may be retried")
