"""Users and their tokens (người dùng)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.http import responses
from api.http.deps import CurrentUser, Svc, idempotent_write
from api.web.formats import CommuneCode
from api.web.text import SafeReason
from ledger.authorization import require_admin

router = APIRouter(responses=responses.READ)


class NewUser(BaseModel):
    """A user to create; only an officer has a commune scope."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"role": {"not": {"const": "officer"}}}, "required": ["role"]},
            "then": {"properties": {"scope": {"maxItems": 0}}},
        },
    )
    name: str = Field(pattern=r"^[A-Za-z0-9._-]{2,64}$", description="2–64 letters, digits, . - _")
    role: Literal["officer", "inspector", "admin"]
    scope: list[CommuneCode] = Field(default_factory=list)
    reason: SafeReason | None = None


@router.post("/users", status_code=201, tags=["users"], responses=responses.WRITE)
def add_user(body: NewUser, request: Request, svc: Svc, user: CurrentUser) -> JSONResponse:
    """Administrator: create a user; the token is in this answer only."""

    def run() -> tuple[int, Any]:
        created, token = svc.ledger.add_user(
            user, body.name, role=body.role, scope=body.scope, reason=body.reason or ""
        )
        return 201, {"name": created.name, "role": created.role, "scope": created.scope, "token": token}

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run)


@router.get("/users", tags=["users"])
def list_users(svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """Administrator: every user (never a token)."""
    require_admin(user)
    return {
        "items": [
            {"name": u.name, "role": u.role, "scope": u.scope, "disabled": u.disabled}
            for u in svc.ledger.users()
        ]
    }
