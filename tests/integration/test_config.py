"""Storage selection (ledger/config.py) and the shared store fixtures of conftest.py."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import psycopg
import pytest

from ledger.config import (
    DEFAULT_DATABASE_URL,
    ConfigurationError,
    database_url_from_environment,
    parse_database_url,
    persistence_environment,
)

# --- URL parsing -----------------------------------------------------------------------------------


def test_sqlite_relative_path() -> None:
    loc = parse_database_url("sqlite:///./ledger.db")
    assert loc.backend == "sqlite"
    assert loc.sqlite_path == "./ledger.db"


def test_sqlite_absolute_path_and_environment() -> None:
    url = "sqlite:////var/lib/ledger/s%E1%BB%95%20c%C3%A1i.db"
    assert parse_database_url(url).sqlite_path == "/var/lib/ledger/sổ cái.db"
    env = persistence_environment(url)
    assert env["PERSISTENCE_MODULE"] == "ledger.adapters.sqlite_store:LedgerSQLiteFactory"
    assert env["SQLITE_DBNAME"] == "/var/lib/ledger/sổ cái.db"
    assert not any(name.startswith("POSTGRES_") for name in env)


def test_postgres_url_with_schema() -> None:
    url = "postgresql://alice:p%40ss@db.example:6543/ledger?schema=t_abc"
    loc = parse_database_url(url)
    assert (loc.backend, loc.host, loc.port, loc.user, loc.password, loc.dbname, loc.schema) == (
        "postgres",
        "db.example",
        "6543",
        "alice",
        "p@ss",
        "ledger",
        "t_abc",
    )
    env = persistence_environment(url)
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert env["POSTGRES_DBNAME"] == "ledger"
    assert env["POSTGRES_HOST"] == "db.example"
    assert env["POSTGRES_PORT"] == "6543"
    assert env["POSTGRES_USER"] == "alice"
    assert env["POSTGRES_PASSWORD"] == "p@ss"  # noqa: S105 - a made-up password
    assert env["POSTGRES_SCHEMA"] == "t_abc"


def test_postgres_url_defaults_and_no_schema() -> None:
    loc = parse_database_url("postgres:///ledger")
    assert (loc.host, loc.port, loc.user, loc.dbname, loc.schema) == (
        "127.0.0.1",
        "5432",
        "postgres",
        "ledger",
        "",
    )
    assert "POSTGRES_SCHEMA" not in persistence_environment("postgresql://postgres@127.0.0.1/ledger")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ledger.db",
        "mysql://root@127.0.0.1/ledger",
        "sqlite:///",
        "postgresql://postgres@127.0.0.1:5432/",
    ],
)
def test_bad_url_names_the_setting(url: str) -> None:
    with pytest.raises(ConfigurationError, match="LEDGER_DATABASE_URL"):
        parse_database_url(url)
    with pytest.raises(ValueError, match="LEDGER_DATABASE_URL"):
        persistence_environment(url)


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert database_url_from_environment() == DEFAULT_DATABASE_URL == "sqlite:///./ledger.db"
    monkeypatch.setenv("LEDGER_DATABASE_URL", "  ")
    assert database_url_from_environment() == DEFAULT_DATABASE_URL
    monkeypatch.setenv("LEDGER_DATABASE_URL", " postgresql://postgres@127.0.0.1/ledger ")
    assert database_url_from_environment() == "postgresql://postgres@127.0.0.1/ledger"


# --- the shared fixtures ---------------------------------------------------------------------------


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    loc = parse_database_url(url)
    return psycopg.connect(
        host=loc.host, port=loc.port, user=loc.user, password=loc.password or None, dbname=loc.dbname
    )


def _schema_exists(url: str) -> bool:
    schema = parse_database_url(url).schema
    with _connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
    return row is not None and row[0] == 1


def test_database_url_opens_a_fresh_store(database_url: str) -> None:
    loc = parse_database_url(database_url)
    if loc.backend == "sqlite":
        path = Path(loc.sqlite_path)
        assert path.parent.is_dir()
        assert not path.exists()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        return
    assert loc.backend == "postgres"
    assert loc.schema.startswith("t_")
    assert _schema_exists(database_url)
    with _connect(database_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (loc.schema,)
        ).fetchone()
    assert tables == (0,)


def test_sqlite_url_is_in_tmp_path(sqlite_url: str, tmp_path: Path) -> None:
    assert Path(parse_database_url(sqlite_url).sqlite_path) == tmp_path / "ledger.db"


def test_postgres_url_is_a_fresh_schema(postgres_url: str, request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("postgres") is not None
    assert parse_database_url(postgres_url).schema.startswith("t_")
    assert _schema_exists(postgres_url)


def test_hermetic_environment_hides_the_shell_store(monkeypatch: pytest.MonkeyPatch) -> None:
    # The autouse fixture removed any LEDGER_DATABASE_URL; a test sets its own explicitly.
    assert database_url_from_environment() == DEFAULT_DATABASE_URL
    monkeypatch.setenv("LEDGER_DATABASE_URL", "sqlite:///x.db")
    assert database_url_from_environment() == "sqlite:///x.db"
