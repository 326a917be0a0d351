"""The command line's common parts — phần chung của dòng lệnh: the ``ledger`` Typer app and its top-level
options, the console, and how a refusal of the ledger becomes a red message and an exit status (never a
traceback): exit status 2 for bad input, 1 for an unknown id or a state the ledger refuses. The command
modules of :mod:`api.cli` import this one, never each other; they open the ledger through the
composition root (:func:`api.bootstrap.opened_ledger`).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.markup import escape

from domain.catalogue import KINDS
from domain.errors import Conflict, DomainError, InvalidInput, NotFound
from domain.messages import vietnamese
from domain.users import ROLES
from domain.values import Month, parse_channel, parse_date
from ledger.adapters.communes import parse_province, resolve_commune
from ledger.config import ConfigurationError, Settings, load_settings
from ledger.history import parse_as_of
from ledger.logs import configure_logging

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

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


def _console(*, stderr: bool = False, width: int | None = None) -> Console:
    """The console of standard output (or error): ``width`` columns if given, else the terminal's (200
    when not a terminal)."""
    stream = sys.stderr if stderr else sys.stdout
    wide = width or (None if stream.isatty() else 200)
    return Console(file=stream, width=wide, highlight=False, soft_wrap=False)


def _fail(message: str, code: int) -> NoReturn:
    _console(stderr=True).print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def _refusals(
    options: Mapping[str, str] | None = None, say: Callable[[str], str] | None = None
) -> Iterator[None]:
    """Turn the ledger's refusals into a red message and an exit status, never a traceback.

    ``options`` names the command-line option of a field the ledger refuses (``{"to": "--to"}``), so that
    the message says which option to correct; ``say`` gives a bad input's reason in the user's language.
    """
    named = options or {}
    words = say or str
    try:
        yield
    except ConfigurationError as error:
        _fail(str(error), EXIT_BAD_INPUT)
    except InvalidInput as error:
        text = "; ".join(f"{named.get(e.field, e.field)}: {words(e.message)}" for e in error.errors)
        _fail(text or error.message, EXIT_BAD_INPUT)
    except NotFound as error:
        _fail(error.message, EXIT_REFUSED)
    except Conflict as error:
        where = f"{error.field}: " if error.field else ""
        _fail(f"{where}{error.message}", EXIT_REFUSED)
    except DomainError as error:
        _fail(error.message, EXIT_REFUSED)
    except PersistenceError as error:
        _fail(f"the store cannot be used ({type(error).__name__}: {error})", EXIT_REFUSED)


# ------------------------------------------------------------------------------------------------
# Options checked as the API checks them: the same functions of the domain and the ledger, called as the
# option is read — before the store is opened, so a refused option records nothing — and refused with
# exit status 2 and a message naming the option.


def said(settings: Settings, reason: str) -> str:
    """A refusal's reason as the command line says it: in Vietnamese (``LEDGER_LANG=vi``, the default)
    where the ledger's message is a common one, followed by the ledger's own words (what the API
    answers); in English as the ledger wrote it with ``LEDGER_LANG=en``."""
    if settings.lang == "en":
        return reason
    text = vietnamese(reason)
    return text if text == reason else f"{text} ({reason})"


def _checked(check: Callable[[Settings, Any], object]) -> Callable[..., Any]:
    """A Typer callback refusing, with the option's name, a value ``check`` refuses (every value of a
    repeated option); the value itself is passed on unchanged."""

    def callback(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        if ctx.resilient_parsing or value is None:
            return value
        name = param.opts[0] if param.opts else str(param.name)
        settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
        for one in value if isinstance(value, (list, tuple)) else [value]:
            try:
                check(settings, one)
            except InvalidInput as error:
                reason = error.errors[0].message if error.errors else error.message
                _fail(f"{name}: {said(settings, reason)}", EXIT_BAD_INPUT)
        return value

    return callback


def _one_of(choices: tuple[str, ...]) -> Callable[[Settings, Any], object]:
    def check(_: Settings, value: Any) -> object:
        if value not in choices:
            raise InvalidInput("value", f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    return check


def commune_option(help: str = "5-digit commune code (mã xã/phường)", *, many: bool = False) -> Any:  # noqa: A002
    """``--commune`` (``--scope`` when ``many``): a commune of vietnam-provinces in LEDGER_PROVINCE."""
    check = _checked(lambda s, v: resolve_commune(v, province=s.province))
    if many:
        return typer.Option([], "--scope", help=help, callback=check)
    return typer.Option(None, "--commune", help=help, callback=check)


def province_option(help: str = "2-digit province code of the 2025 reform") -> Any:  # noqa: A002
    """``--province``: one of the 34 provinces of vietnam-provinces."""
    return typer.Option(None, "--province", help=help, callback=_checked(lambda _, v: parse_province(v)))


def month_argument() -> Any:
    """A month ``YYYY-MM`` as the command's argument."""
    return typer.Argument(..., help="YYYY-MM", callback=_checked(lambda _, v: Month.parse(v)))


def month_option(name: str = "--month", default: Any = ..., help: str = "YYYY-MM") -> Any:  # noqa: A002
    """A month ``YYYY-MM``."""
    return typer.Option(default, name, help=help, callback=_checked(lambda _, v: Month.parse(v)))


def channel_option() -> Any:
    """``--channel``: cash or bank."""
    return typer.Option(
        None, "--channel", help="cash | bank", callback=_checked(lambda _, v: parse_channel(v))
    )


def date_option(name: str, help: str, default: Any = None) -> Any:  # noqa: A002
    """A calendar date ``YYYY-MM-DD``."""
    return typer.Option(default, name, help=help, callback=_checked(lambda _, v: parse_date(v, name)))


def as_of_option(help: str = "Show what the ledger knew at this moment (ISO 8601 timestamp or date).") -> Any:  # noqa: A002
    """``--as-of``: an ISO 8601 timestamp, or a date (the end of that day in Vietnam, +07:00)."""
    return typer.Option(
        None, "--as-of", metavar="TIMESTAMP", help=help, callback=_checked(lambda _, v: parse_as_of(v))
    )


def choice_option(name: str, choices: tuple[str, ...], default: Any = None, help: str = "") -> Any:  # noqa: A002
    """An option taking one of ``choices`` (``--format``, ``--type``)."""
    return typer.Option(default, name, help=help or " | ".join(choices), callback=_checked(_one_of(choices)))


def kind_option() -> Any:
    """``--kind``: a kind of beneficiary of the catalogue."""
    return choice_option("--kind", KINDS)


def role_option() -> Any:
    """``--role``: a user's role."""
    return choice_option("--role", ROLES, default=...)


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
