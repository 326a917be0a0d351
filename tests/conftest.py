"""Shared fixtures: one store per test, on SQLite and (when reachable) PostgreSQL.

* ``database_url`` — parametrised over ``sqlite`` and ``postgres``: every storage test runs on both.
* ``sqlite_url`` / ``postgres_url`` — for tests that need one store specifically.

PostgreSQL comes from ``LEDGER_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/ledger_test``); each test gets a fresh schema, dropped
afterwards. Unreachable PostgreSQL skips those tests, or fails them when ``LEDGER_REQUIRE_POSTGRES=1``
(as in CI). Tests open the ledger themselves, e.g. with ``ledger.config.persistence_environment(url)``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
import warnings
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from psycopg import sql

from ledger.adapters.pg_databases import connect, ensure_database

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytest_plugins = ["api_fixtures"]  # the HTTP API tests' clock and api fixtures (tests/api_fixtures.py)
DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/ledger_test"
POSTGRES_SKIP = "PostgreSQL"

# Variables that would otherwise leak from the developer's shell into the stores the tests open
# (eventsourcing reads os.environ underneath the env it is given).
_STORE_ENV_NAMES = (
    "LEDGER_DATABASE_URL",
    "PERSISTENCE_MODULE",
    "INFRASTRUCTURE_FACTORY",
    "CIPHER_TOPIC",
    "CIPHER_KEY",
    "COMPRESSOR_TOPIC",
    "IS_SNAPSHOTTING_ENABLED",
)
_STORE_ENV_PREFIXES = ("POSTGRES_", "SQLITE_")

# --- hypothesis ------------------------------------------------------------------------------------

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=50,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=25)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# --- the end of the run: skips in one line each -----------------------------------------------------


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Skipped tests, one line per reason with the count (the PostgreSQL variants, when no PostgreSQL
    could be had, are one line, not one per test); nothing when nothing was skipped."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        text = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
        text = text.removeprefix("Skipped: ")
        if text.startswith(POSTGRES_SKIP + ":"):
            text = f"{text} — run `make pg` (root) or set LEDGER_TEST_POSTGRES_URL"
        reasons[text] = reasons.get(text, 0) + 1
    for text, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"skipped {count} test{'s' if count != 1 else ''}: {text}", yellow=True)


# --- collection ------------------------------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests asking for ``postgres_url`` carry the ``postgres`` mark (so ``-m "not postgres"`` works)."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def _hermetic_store_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name in _STORE_ENV_NAMES or name.startswith(_STORE_ENV_PREFIXES):
            monkeypatch.delenv(name)
    # Small connection pools: a test opens a few ledgers, the server allows about a hundred clients.
    monkeypatch.setenv("LEDGER_POSTGRES_POOL_SIZE", "2")
    monkeypatch.setenv("LEDGER_POSTGRES_MAX_OVERFLOW", "8")


# --- PostgreSQL ------------------------------------------------------------------------------------


def postgres_base_url() -> str:
    """The PostgreSQL database the tests use (schemas are created inside it)."""
    return os.environ.get("LEDGER_TEST_POSTGRES_URL", "").strip() or DEFAULT_TEST_POSTGRES_URL


def redacted(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@functools.cache
def _postgres_unreachable_reason(base: str) -> str | None:
    """``None`` if PostgreSQL at ``base`` accepts a connection, else why not. Checked once per run; a
    server that runs without the test database gets it created here (``make test`` needs no setup)."""
    try:
        if ensure_database(base):
            warnings.warn(f"created the test database of {redacted(base)}", stacklevel=1)
        with connect(base) as conn:
            conn.execute("SELECT 1")
    except (psycopg.Error, OSError) as exc:
        return f"{type(exc).__name__}: {str(exc).strip()}"
    return None


def _require_postgres() -> str:
    """The base URL, or skip (fail under ``LEDGER_REQUIRE_POSTGRES=1``) when PostgreSQL is unreachable."""
    base = postgres_base_url()
    reason = _postgres_unreachable_reason(base)
    if reason is not None:
        where = redacted(base)
        if os.environ.get("LEDGER_REQUIRE_POSTGRES") == "1":
            pytest.fail(
                f"PostgreSQL is required (LEDGER_REQUIRE_POSTGRES=1) but not reachable at {where}: {reason}",
                pytrace=False,
            )
        pytest.skip(f"{POSTGRES_SKIP}: not reachable at {where} ({reason.splitlines()[0]})")
    return base


@contextlib.contextmanager
def _fresh_postgres_schema() -> Iterator[str]:
    """Create schema ``t_<12 hex>``, yield ``<base>?schema=<it>``, drop it (CASCADE) afterwards."""
    base = _require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with connect(base) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield f"{base}{'&' if '?' in base else '?'}schema={schema}"
    finally:
        try:
            with connect(base) as conn:
                conn.execute("SET lock_timeout = '10s'")
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        except psycopg.Error as exc:  # a test left a connection open in the schema
            warnings.warn(f"could not drop test schema {schema}: {exc}", stacklevel=1)


# --- fixtures --------------------------------------------------------------------------------------


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file in the test's tmp dir."""
    return _sqlite_url(tmp_path)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (``...?schema=t_xxxxxxxxxxxx``), dropped after the test."""
    with _fresh_postgres_schema() as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return
    with _fresh_postgres_schema() as url:
        yield url


@pytest.fixture(autouse=True)
def _close_what_the_test_opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every ledger and read store a test opened, so PostgreSQL connections are not leaked
    from one test to the next (the server allows about a hundred)."""
    from ledger.adapters.sqlstore import ReadStore  # noqa: PLC0415
    from ledger.application import BenefitsLedger  # noqa: PLC0415 - after the environment is hermetic

    opened: list[object] = []
    ledger_init = BenefitsLedger.__init__

    def track_ledger(self: BenefitsLedger, *args: object, **kwargs: object) -> None:
        ledger_init(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(self)

    monkeypatch.setattr(BenefitsLedger, "__init__", track_ledger)
    for cls in ReadStore.__subclasses__():
        store_init = cls.__init__

        def track_store(self: ReadStore, *args: object, _init: object = store_init, **kwargs: object) -> None:
            _init(self, *args, **kwargs)  # type: ignore[operator]
            opened.append(self)

        monkeypatch.setattr(cls, "__init__", track_store)
    yield
    for thing in reversed(opened):
        with contextlib.suppress(Exception):
            thing.close()  # type: ignore[attr-defined]
