"""``ledger users`` — người dùng: users, their roles and scopes, and their API tokens."""

from __future__ import annotations

import typer
from rich.table import Table

from api.bootstrap import opened_ledger
from api.cli.kit import _console, _refusals, app, commune_option, date_option, role_option
from domain.labels import ROLE_LABELS
from domain.values import format_day
from ledger.adapters.communes import commune_name
from ledger.config import Settings

users_app = typer.Typer(help="Users and their API tokens (người dùng).", no_args_is_help=True)
app.add_typer(users_app, name="users")
USER_OPTIONS = {"role": "--role", "scope": "--scope", "expires_on": "--expires", "reason": "--reason"}
EXPIRES_HELP = "The day the token stops working, YYYY-MM-DD (default: one year from today, at most five)."


@users_app.command("disable")
def users_disable(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name."),
    reason: str = typer.Option("", "--reason", help="Why (recorded with the event)."),
) -> None:
    """Lock a user out (khóa người dùng): its token stops working at once; what it recorded stays."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings) as ledger:
        user = ledger.disable_user("cli", name, reason=reason)
    _console().print(f"user {user.name} disabled")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name (letters, digits, . - _)."),
    role: str = role_option(),
    scope: list[str] = commune_option("Commune code an officer or an approver acts for (repeat).", many=True),
    expires: str | None = date_option("--expires", EXPIRES_HELP),
) -> None:
    """Create a user and print its API token once, alone on the last line."""
    settings: Settings = ctx.obj
    with _refusals(USER_OPTIONS), opened_ledger(settings) as ledger:
        user, token = ledger.add_user("cli", name, role=role, scope=scope, expires_on=expires)
    out = _console()
    where = ", ".join(f"{c} {commune_name(c)}" for c in user.scope) or "whole province"
    out.print(
        f"user {user.name} ({user.role}, {where}) created; the token expires on "
        f"{user.expires_on.isoformat()} and is shown once:"
    )
    print(token)  # noqa: T201 - the token alone on the last line, for TOKEN=$(... | tail -1)


@users_app.command("rotate")
def users_rotate(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name."),
    expires: str | None = date_option("--expires", EXPIRES_HELP),
    reason: str = typer.Option("", "--reason", help="Why (recorded with the event)."),
) -> None:
    """Give a user a new API token (đổi mã truy cập), printed once alone on the last line; the old token
    stops working at once, also for a running server."""
    settings: Settings = ctx.obj
    with _refusals(USER_OPTIONS), opened_ledger(settings) as ledger:
        user, token = ledger.rotate_token("cli", name, expires_on=expires, reason=reason)
    _console().print(
        f"user {user.name}: new token, expires on {user.expires_on.isoformat()}; the old one no longer "
        "works. The token is shown once:"
    )
    print(token)  # noqa: T201 - the token alone on the last line, for TOKEN=$(... | tail -1)


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List users (never their tokens)."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings) as ledger:
        table = Table("Tên", "Vai trò", "Phạm vi", "Khóa", "Mã hết hạn")
        for user in ledger.users():
            table.add_row(
                user.name,
                ROLE_LABELS.get(user.role, user.role),
                ", ".join(user.scope) or "toàn tỉnh",
                "có" if user.disabled else "",
                format_day(user.expires_on),
            )
    _console().print(table)
