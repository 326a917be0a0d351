"""``ledger serve``, ``ledger backup`` and ``ledger projections`` — running the store: the web
server, a consistent copy of the store, and the read models kept from the event log.
"""

from __future__ import annotations

import inspect
import socket
import threading
from pathlib import Path

import typer

from api.bootstrap import AppFactory, opened_ledger
from api.cli.kit import _console, _fail, _refusals, app
from domain.values import format_number
from ledger.adapters.backup import BackupError, backup_store
from ledger.config import Settings
from projections.engine import open_projections

projections_app = typer.Typer(help="Read models kept from the event log (bảng đọc).", no_args_is_help=True)
app.add_typer(projections_app, name="projections")


@app.command()
def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Address to listen on (default LEDGER_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default LEDGER_PORT, 8000)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=64, help="Server processes, one per core (default LEDGER_WORKERS, 1)."
    ),
) -> None:
    """Run the HTTP API (OpenAPI at /openapi.json, docs at /docs) and the pages (/pages/) on the
    configured store. With --workers N, N processes share the port (sessions, idempotency keys and
    read models live in the store, so any process answers any request; only the counts of failed
    sign-ins that throttle guessing are kept per process). One log line per request
    (LEDGER_LOG_FORMAT=json for a log collector)."""
    import uvicorn  # noqa: PLC0415 - only the server needs it
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    with _refusals():
        settings: Settings = ctx.obj.replace(host=host, port=port, workers=workers)
    factory = AppFactory(settings)
    out = _console(stderr=True)
    with _refusals():  # fail here, once, on a bad store rather than in every worker
        web = factory()
    where = f"http://{settings.host}:{settings.port}"
    config = uvicorn.Config(
        web if settings.workers == 1 else factory,
        factory=settings.workers > 1,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,  # the ledger's logging (ledger/logs.py), set up by the factory in each process
        access_log=False,  # the ledger's request log names the user and masks IDs (api/request_log.py)
    )
    if settings.workers == 1:
        out.print(f"benefits-ledger serving on {where} (docs at /docs, pages at /pages/)")
        uvicorn.Server(config).run()
        return
    out.print(f"benefits-ledger serving on {where} with {settings.workers} workers (docs at /docs)")
    sock = tcp_socket(config.bind_socket())
    if "target" in inspect.signature(Multiprocess).parameters:  # uvicorn before 0.36 takes the target
        Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock]).run()  # type: ignore[call-arg]
    else:
        Multiprocess(config, sockets=[sock]).run()


def tcp_socket(sock: socket.socket) -> socket.socket:
    """The workers' shared listening socket with its protocol named TCP: uvicorn binds it with protocol
    0, and asyncio sets ``TCP_NODELAY`` only on the connections of a socket whose protocol is TCP — without
    it an answer written in two parts (its headers, then its body) waits on a kept-alive connection for
    the client's delayed acknowledgement, 40 ms on Linux, on every request. The same descriptor, its
    protocol read back from it (a Unix socket is left as it is)."""
    if sock.family not in {socket.AF_INET, socket.AF_INET6} or sock.proto == socket.IPPROTO_TCP:
        return sock
    return socket.socket(fileno=sock.detach())


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    target: Path = typer.Argument(..., help="The file to write (replaced if it exists)."),
) -> None:
    """A consistent copy of the store, safe to take while the server writes (sao lưu): SQLite's online
    backup (the copy is itself a store), or pg_dump's custom format (restore with pg_restore)."""
    settings: Settings = ctx.obj
    with _refusals():
        try:
            report = backup_store(settings.database_url, target)
        except BackupError as error:
            _fail(f"backup: {error}", 1)
    events = f", {format_number(report.events)} events" if report.events is not None else ""
    _console().print(f"backup written: {report.path} ({format_number(report.size_bytes)} bytes{events})")


@projections_app.command("rebuild")
def projections_rebuild(ctx: typer.Context) -> None:
    """Drop every read model and rebuild it from the event log."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings) as ledger:
        engine = open_projections(ledger, settings.database_url)
        applied = engine.rebuild()
        engine.store.close()
    _console().print(f"rebuilt the read models from {applied} events")


@projections_app.command("follow")
def projections_follow(
    ctx: typer.Context,
    interval: float = typer.Option(0.5, help="Seconds between pulls."),
    once: bool = typer.Option(False, "--once", help="Catch up once and stop."),
) -> None:
    """Keep the read models up to date (a pull loop; stop with Ctrl-C)."""
    settings: Settings = ctx.obj
    with _refusals(), opened_ledger(settings) as ledger:
        engine = open_projections(ledger, settings.database_url)
        if once:
            _console().print(f"applied {engine.catch_up()} events; position {engine.position()}")
            return
        stop = threading.Event()
        try:
            engine.follow(stop, interval)
        except KeyboardInterrupt:
            stop.set()
        finally:
            engine.store.close()
