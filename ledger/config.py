"""Storage selection — cấu hình kho lưu trữ.

``LEDGER_DATABASE_URL`` chooses the event store:

* ``sqlite:///path/to/ledger.db`` (default ``sqlite:///./ledger.db``) — the embedded store;
* ``postgresql://user:pass@host:port/dbname[?schema=name]`` — production, through psycopg 3.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_DATABASE_URL = "sqlite:///./ledger.db"


class ConfigurationError(ValueError):
    """A setting that cannot be used, with the name of the setting in the message."""


@dataclass(frozen=True)
class StoreLocation:
    """Where the ledger keeps its events, parsed from a database URL."""

    backend: str  # "sqlite" | "postgres"
    sqlite_path: str = ""
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""
    dbname: str = ""
    schema: str = ""


def database_url_from_environment() -> str:
    """The configured store URL (``LEDGER_DATABASE_URL``) or the embedded default."""
    return os.environ.get("LEDGER_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def parse_database_url(url: str) -> StoreLocation:
    """Parse ``url`` or raise :class:`ConfigurationError` naming ``LEDGER_DATABASE_URL``."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path:
            msg = "LEDGER_DATABASE_URL: sqlite URL needs a file path, e.g. sqlite:///./ledger.db"
            raise ConfigurationError(msg)
        return StoreLocation(backend="sqlite", sqlite_path=unquote(path))
    parsed = urlparse(url)
    if parsed.scheme in {"postgresql", "postgres", "postgresql+psycopg"}:
        dbname = parsed.path.lstrip("/")
        if not dbname:
            msg = "LEDGER_DATABASE_URL: postgresql URL needs a database name, e.g. postgresql://postgres@127.0.0.1:5432/ledger"
            raise ConfigurationError(msg)
        query = parse_qs(parsed.query)
        schema = (query.get("schema") or [""])[0]
        return StoreLocation(
            backend="postgres",
            host=parsed.hostname or "127.0.0.1",
            port=str(parsed.port or 5432),
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
            dbname=dbname,
            schema=schema,
        )
    msg = f"LEDGER_DATABASE_URL: unsupported store {url!r}; use sqlite:///FILE or postgresql://USER@HOST:PORT/DB"
    raise ConfigurationError(msg)


def persistence_environment(url: str) -> dict[str, str]:
    """The eventsourcing environment variables that select the store named by ``url``."""
    loc = parse_database_url(url)
    if loc.backend == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": loc.sqlite_path,
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": loc.dbname,
        "POSTGRES_HOST": loc.host,
        "POSTGRES_PORT": loc.port,
        "POSTGRES_USER": loc.user,
        "POSTGRES_PASSWORD": loc.password,
        "POSTGRES_POOL_SIZE": os.environ.get("LEDGER_POSTGRES_POOL_SIZE", "5"),
        "POSTGRES_MAX_OVERFLOW": os.environ.get("LEDGER_POSTGRES_MAX_OVERFLOW", "10"),
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
        # the library's recorder, with a COPY path for large transactions (ledger/recorders.py)
        "APPLICATION_RECORDER_TOPIC": "ledger.recorders:BulkPostgresApplicationRecorder",
    }
    if loc.schema:
        env["POSTGRES_SCHEMA"] = loc.schema
    return env
