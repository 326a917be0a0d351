"""Users and their tokens (người dùng)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.http import responses
from api.http.deps import CurrentUser, Svc, idempotent_write
from api.web.formats import USER_NAME_PATTERN, CommuneCode, DateText
from api.web.text import SafeReason
from domain.users import User
from ledger.authorization import require_admin

router = APIRouter(responses=responses.READ)


class NewUser(BaseModel):
    """A user to create; only an officer or an approver has a commune scope."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"role": {"enum": ["inspector", "admin"]}}, "required": ["role"]},
            "then": {"properties": {"scope": {"maxItems": 0}}},
        },
    )
    name: str = Field(pattern=USER_NAME_PATTERN, description="2–64 letters, digits, . - _")
    role: Literal["officer", "inspector", "approver", "admin"]
    scope: list[CommuneCode] = Field(default_factory=list)
    expires_on: DateText | None = Field(
        None, description="the day the token stops working (default: one year from today, at most five)"
    )
    reason: SafeReason | None = None


class Rotation(BaseModel):
    """A new token for a user."""

    model_config = ConfigDict(extra="forbid")
    expires_on: DateText | None = Field(
        None, description="the day the new token stops working (default: one year from today, at most five)"
    )
    reason: SafeReason | None = None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _with_token(user: User, token: str) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role,
        "scope": user.scope,
        "expires_on": user.expires_on.isoformat(),
        "token": token,
    }


@router.post("/users", status_code=201, tags=["users"], responses=responses.WRITE)
def add_user(body: NewUser, request: Request, svc: Svc, user: CurrentUser) -> JSONResponse:
    """Administrator: create a user; the token is in this answer only."""

    def run() -> tuple[int, Any]:
        created, token = svc.ledger.add_user(
            user, body.name, role=body.role, scope=body.scope, expires_on=_day(body.expires_on),
            reason=body.reason or "",
        )  # fmt: skip
        return 201, _with_token(created, token)

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run, shown_once="token")


@router.post("/users/{name}/rotate", tags=["users"], responses=responses.WRITE)
def rotate_token(
    name: Annotated[str, Path(pattern=USER_NAME_PATTERN)],
    body: Rotation,
    request: Request,
    svc: Svc,
    user: CurrentUser,
) -> JSONResponse:
    """Administrator: a new token for ``name`` (in this answer only); the old one is refused at once."""

    def run() -> tuple[int, Any]:
        rotated, token = svc.ledger.rotate_token(
            user, name, expires_on=_day(body.expires_on), reason=body.reason or ""
        )
        return 200, _with_token(rotated, token)

    return idempotent_write(request, svc, user, body.model_dump(mode="json"), run, shown_once="token")


@router.get("/users", tags=["users"])
def list_users(svc: Svc, user: CurrentUser) -> dict[str, Any]:
    """Administrator: every user (never a token)."""
    require_admin(user)
    return {
        "items": [
            {
                "name": u.name,
                "role": u.role,
                "scope": u.scope,
                "disabled": u.disabled,
                "expires_on": u.expires_on.isoformat(),
            }
            for u in svc.ledger.users()
        ]
    }
