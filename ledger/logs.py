"""Logs an operator can read — nhật ký vận hành: the standard ``logging`` module, one line per record.

:func:`configure_logging` sends every record to standard error at ``LEDGER_LOG_LEVEL``, formatted as
``LEDGER_LOG_FORMAT`` says: ``text`` (``time level logger message key=value …``) or ``json`` (one JSON
object a line, by python-json-logger). Every record carries the request it was written for
(``request_id``, ``user``) while a request is being served (:func:`request_scope`), and no record ever
holds a citizen ID, a card or an account number in full: every run of nine or more digits (alone or
glued to letters, but not inside a hex id) is masked to its first four and last three (``0751*****765``),
a card number to its group and last three (``BT2*********678``), before the record is formatted. Tokens
are never logged.

Modules log with ``logging.getLogger(__name__)``; what they log is listed in README's "Logs" section.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from pythonjsonlogger.json import JsonFormatter

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ledger.config import Settings

_LONG_DIGITS = re.compile(r"\d{9,}")
_WORD = re.compile(r"[A-Za-z0-9]+")
# a request id, a UUID's hex without dashes, a SHA-1 or SHA-256: left whole (its digits are no ID)
_HEX_ID = re.compile(r"(?=[0-9]*[a-f])(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})")
_CARD = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{2}\d)(\d{12})(?![A-Za-z0-9])"
)  # BHYT card: group, benefit, 12 digits
_UNMASKED = frozenset({"request_id"})
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_CONTEXT: ContextVar[dict[str, str] | None] = ContextVar("ledger_log_context", default=None)
_HANDLER_NAME = "benefits-ledger"


def _mask_digits(digits: str) -> str:
    return digits[:4] + "*" * (len(digits) - 7) + digits[-3:]


def _mask_word(word: str) -> str:
    if _HEX_ID.fullmatch(word):
        return word
    return _LONG_DIGITS.sub(lambda m: _mask_digits(m[0]), word)


def mask_identifiers(text: str) -> str:
    """Every run of 9+ digits (citizen ID, account number) as its first 4 and last 3 digits — standing
    alone or glued to letters (``x075150098765x``: a mistyped path must not carry the ID whole), except
    inside a hex id (a request id, a SHA-256); a health-insurance card number keeps its group, benefit
    digit and last 3."""
    text = _CARD.sub(lambda m: m[1] + _mask_digits(m[2])[4:].rjust(12, "*"), text)
    return _WORD.sub(lambda m: _mask_word(m[0]), text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_identifiers(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**8:
        return mask_identifiers(str(value))
    return value


@contextlib.contextmanager
def request_scope(request_id: str) -> Iterator[dict[str, str]]:
    """While serving one request: every record carries ``request_id`` and, once known, ``user`` (set
    ``scope["user"]`` in the returned dict; it is shared by the threads that serve the request)."""
    scope = {"request_id": request_id, "user": ""}
    token = _CONTEXT.set(scope)
    try:
        yield scope
    finally:
        _CONTEXT.reset(token)


def current_scope() -> dict[str, str] | None:
    """The request being served, if any."""
    return _CONTEXT.get()


class ContextAndMasking(logging.Filter):
    """Adds the request's id and user; masks long digit runs in the message and every extra field."""

    def filter(self, record: logging.LogRecord) -> bool:
        scope = _CONTEXT.get()
        if scope is not None:
            for key, value in scope.items():
                if value and not getattr(record, key, None):
                    setattr(record, key, value)
        message = record.getMessage()
        record.msg = mask_identifiers(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and key not in _UNMASKED:
                setattr(record, key, _masked(value))
        return True


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The record's own fields (``extra=``), beyond the standard ones."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class TextFormatter(logging.Formatter):
    """``2026-12-01T07:11:31.123Z INFO ledger.application message key=value …``."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        fields = " ".join(f"{k}={_quoted(v)}" for k, v in extras(record).items())
        line = f"{moment.replace('+00:00', 'Z')} {record.levelname:<7} {record.name} {record.getMessage()}"
        if fields:
            line = f"{line} {fields}"
        if record.exc_info:
            line = f"{line}\n{mask_identifiers(self.formatException(record.exc_info))}"
        return line


def _quoted(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


class LedgerJsonFormatter(JsonFormatter):
    """python-json-logger's formatter: ``time``, ``level``, ``logger``, ``message`` and the extras."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        del datefmt
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        return moment.replace("+00:00", "Z")

    def formatException(self, ei: Any) -> str:  # noqa: N802
        return mask_identifiers(str(super().formatException(ei)))


class _CurrentStderr(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record is written (a test runner swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        del value


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Send every record to ``stream`` (standard error) at the settings' level and format, replacing
    what an earlier call (or uvicorn) installed; uvicorn's own loggers go the same way, its access log
    is left to the ledger's request log (:mod:`api.request_log`), which names the user and masks IDs.
    Python's warnings become records too (``py.warnings``), so that a warning quoting a value (a
    serializer's "unexpected value …") is masked like every other line rather than printed raw."""
    handler: logging.StreamHandler[TextIO] = (
        logging.StreamHandler(stream) if stream is not None else _CurrentStderr()
    )
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(LedgerJsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(ContextAndMasking())
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == _HANDLER_NAME:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(settings.log_level)
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    # undone first: whoever swapped warnings.showwarning since (a test runner's catch_warnings) left the
    # capture installed but not in force
    logging.captureWarnings(capture=False)
    logging.captureWarnings(capture=True)
