"""Settings — cấu hình: every environment variable the program reads, read in one place.

:func:`load_settings` reads ``LEDGER_*`` from the environment (and the command line's overrides) into
one frozen :class:`Settings`; a bad value is refused with a :class:`ConfigurationError` that names the
variable and says what it must be. Nothing else in the program reads ``os.environ`` for its own
settings, and nothing writes it (``ledger serve --workers N`` hands the settings to its workers
itself). ``ledger config`` prints :meth:`Settings.describe` (passwords hidden).

* ``LEDGER_DATABASE_URL`` — the store, ``sqlite:///FILE`` (default ``sqlite:///./ledger.db``) or
  ``postgresql://USER[:PASS]@HOST:PORT/DB[?schema=S]``;
* ``LEDGER_PROVINCE`` — the 2-digit province a deployment serves (unset: the whole country);
* ``LEDGER_LANG`` — the language of the command line's messages: ``vi`` (default: the officers who use it
  read Vietnamese) or ``en`` (English, for a developer; a file with Vietnamese headings is still answered
  in Vietnamese by ``ledger import``);
* ``LEDGER_LOG_LEVEL`` — ``DEBUG``, ``INFO`` (default), ``WARNING``, ``ERROR``;
* ``LEDGER_LOG_FORMAT`` — ``text`` (default: one readable line per record) or ``json`` (one object a line);
* ``LEDGER_HOST`` / ``LEDGER_PORT`` / ``LEDGER_WORKERS`` — ``ledger serve``'s defaults (127.0.0.1, 8000, 1);
* ``LEDGER_POSTGRES_POOL_SIZE`` / ``LEDGER_POSTGRES_MAX_OVERFLOW`` — connections per process (5, 10);
* ``LEDGER_MAX_UPLOAD_BYTES`` — the largest request body of a file upload (``POST /v1/imports/*``,
  ``POST /v1/rates/ncc-tables``) and of a campaign's list of people (``POST /v1/campaigns``), 20 MB;
* ``LEDGER_MAX_BODY_BYTES`` — the largest body of every other request, 1 MB;
* ``LEDGER_AUTH_MAX_FAILURES`` / ``LEDGER_AUTH_WINDOW_SECONDS`` — failed authentications (a wrong, expired
  or revoked token, over the API or the pages' sign-in) a client address or a token prefix may make in a
  sliding window (10 in 900 s) before further attempts are refused with 429;
* ``LEDGER_AUTH_BLOCK_SECONDS`` / ``LEDGER_AUTH_MAX_BLOCK_SECONDS`` — how long a refused attempt keeps the
  block at least (60 s, doubling with every further attempt in the window, at most 3,600 s).

The store URL (``LEDGER_DATABASE_URL``) chooses the event store: ``sqlite:///path/to/ledger.db`` — the
embedded store; ``postgresql://user:pass@host:port/dbname[?schema=name]`` — production, through psycopg 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlparse, urlsplit, urlunsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    return load_settings().database_url


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


def persistence_environment(url: str, settings: Settings | None = None) -> dict[str, str]:
    """The eventsourcing environment variables that select the store named by ``url``."""
    loc = parse_database_url(url)
    settings = settings or load_settings()
    if loc.backend == "sqlite":
        return {
            # the library's SQLite factory, opening a new file without racing (adapters/sqlite_store.py)
            "PERSISTENCE_MODULE": "ledger.adapters.sqlite_store:LedgerSQLiteFactory",
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
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.postgres_max_overflow),
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
        # the library's recorder, with a COPY path for large transactions (ledger/adapters/recorders.py)
        "APPLICATION_RECORDER_TOPIC": "ledger.adapters.recorders:BulkPostgresApplicationRecorder",
    }
    if loc.schema:
        env["POSTGRES_SCHEMA"] = loc.schema
    return env


# --------------------------------------------------------------------------------------------------
# Settings

ENV_PREFIX = "LEDGER_"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]
Language = Literal["vi", "en"]


class Settings(BaseSettings):
    """The effective settings of one process."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, case_sensitive=False, validate_default=True
    )

    database_url: str = Field(DEFAULT_DATABASE_URL, description="the event store")
    province: str | None = Field(None, description="the province served (2-digit code); unset: the country")
    lang: Language = Field("vi", description="the command line's messages: vi (Vietnamese) or en (English)")
    log_level: LogLevel = Field("INFO", description="least severe log lines written")
    log_format: LogFormat = Field("text", description="text or json, one line per record")
    host: str = Field("127.0.0.1", min_length=1, description="ledger serve: address to listen on")
    port: int = Field(8000, ge=1, le=65535, description="ledger serve: port")
    workers: int = Field(1, ge=1, le=64, description="ledger serve: server processes")
    signing_key: str | None = Field(
        None,
        description="file of the Ed25519 key that signs the Merkle log's checkpoints (ledger keys generate)",
    )
    postgres_pool_size: int = Field(5, ge=1, le=200, description="PostgreSQL connections kept per process")
    postgres_max_overflow: int = Field(
        10, ge=0, le=200, description="extra PostgreSQL connections per process"
    )
    idempotency_lease_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="how long a write's Idempotency-Key claim outlives its process (renewed as it runs)",
    )
    max_upload_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="largest body of an upload (imports, NCC tables, campaigns)"
    )
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="largest body of any other request")
    auth_max_failures: int = Field(
        10, ge=1, le=10_000, description="failed authentications per address or token prefix in the window"
    )
    auth_window_seconds: float = Field(
        900.0, gt=0, le=86_400, description="the sliding window of failed authentications (seconds)"
    )
    auth_block_seconds: float = Field(
        60.0, gt=0, le=86_400, description="first block after the limit (doubles with each refused attempt)"
    )
    auth_max_block_seconds: float = Field(
        3600.0, gt=0, le=7 * 86_400, description="longest block of a throttled address or token prefix"
    )

    @field_validator("database_url", mode="before")
    @classmethod
    def _store(cls, value: object) -> object:
        text = str(value or "").strip() or DEFAULT_DATABASE_URL
        try:
            parse_database_url(text)
        except ConfigurationError as error:
            raise ValueError(str(error).removeprefix("LEDGER_DATABASE_URL: ")) from None
        return text

    @field_validator("province", mode="before")
    @classmethod
    def _province(cls, value: object) -> object:
        text = str(value or "").strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit() and len(text) == 2):
            msg = "must be a 2-digit province code such as 75 (or unset for the whole country)"
            raise ValueError(msg)
        return text

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", "lang", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def replace(self, **changes: Any) -> Settings:
        """These settings with ``changes`` (checked like the environment's values)."""
        return load_settings(**{**self.model_dump(), **changes})

    def describe(self) -> list[tuple[str, str, str]]:
        """``(variable, value, meaning)`` for every setting, passwords hidden."""
        rows = []
        for name, info in type(self).model_fields.items():
            value: object = getattr(self, name)
            shown = (
                hide_password(str(value)) if name == "database_url" else ("" if value is None else str(value))
            )
            rows.append((f"{ENV_PREFIX}{name.upper()}", shown, info.description or ""))
        return rows


def hide_password(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment, with ``overrides`` (``None`` values ignored) taking precedence;
    :class:`ConfigurationError` names the variable of the first bad value."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = f"{ENV_PREFIX}{str(item['loc'][0]).upper()}" if item["loc"] else ENV_PREFIX + "*"
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message} (got {item.get('input')!r})")
        raise ConfigurationError("; ".join(problems)) from None
