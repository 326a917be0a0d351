"""The command line's common parts — phần chung của dòng lệnh: the ``ledger`` Typer app and its top-level
options, the console, and how a refusal of the ledger becomes a red message and an exit status (never a
traceback): exit status 2 for bad input, 1 for an unknown id or a state the ledger refuses. The command
modules of :mod:`api.cli` import this one, never each other; they open the ledger through the
composition root (:func:`api.bootstrap.opened_ledger`).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.markup import escape

from domain.errors import Conflict, DomainError, InvalidInput, NotFound
from ledger.config import ConfigurationError, load_settings
from ledger.logs import configure_logging

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ledger.application import BenefitsLedger

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="ledger",
    help=(
        "benefits-ledger — sổ cái chi trả chính sách: an event-sourced ledger of social-benefit payments "
        "(người có công, bảo trợ xã hội, hộ nghèo) for a Vietnamese province."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    wide = None if stream.isatty() else 200
    return Console(file=stream, width=wide, highlight=False, soft_wrap=False)


def _fail(message: str, code: int) -> NoReturn:
    _console(stderr=True).print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn the ledger's refusals into a red message and an exit status, never a traceback."""
    try:
        yield
    except ConfigurationError as error:
        _fail(str(error), EXIT_BAD_INPUT)
    except InvalidInput as error:
        _fail("; ".join(f"{e.field}: {e.message}" for e in error.errors) or error.message, EXIT_BAD_INPUT)
    except NotFound as error:
        _fail(error.message, EXIT_REFUSED)
    except Conflict as error:
        where = f"{error.field}: " if error.field else ""
        _fail(f"{where}{error.message}", EXIT_REFUSED)
    except DomainError as error:
        _fail(error.message, EXIT_REFUSED)
    except PersistenceError as error:
        _fail(f"the store cannot be used ({type(error).__name__}: {error})", EXIT_REFUSED)


def settings_url(ledger: BenefitsLedger) -> str:
    """The URL the ledger was opened on."""
    return ledger.database_url or load_settings().database_url


@app.callback()
def main(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        metavar="URL",
        help="The event store (default LEDGER_DATABASE_URL, else sqlite:///./ledger.db): "
        "sqlite:///path/to/ledger.db or postgresql://user:pass@host:port/dbname[?schema=name].",
    ),
) -> None:
    """benefits-ledger: sổ cái chi trả chính sách."""
    with _refusals():
        settings = load_settings(database_url=(database_url or "").strip() or None)
    # a command's own output is what its user reads: its log lines show from WARNING unless
    # LEDGER_LOG_LEVEL says otherwise (ledger serve logs at the settings' level, INFO by default)
    explicit = "log_level" in settings.model_fields_set
    configure_logging(settings if explicit else settings.replace(log_level="WARNING"))
    ctx.obj = settings


# ------------------------------------------------------------------------------------------------
# ledger demo
