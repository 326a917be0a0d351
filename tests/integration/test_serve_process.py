"""What ``ledger serve`` does to its process before serving: the start-up heap frozen out of the garbage
collector's generations, and the shared socket of ``--workers N`` named TCP so that every connection
gets ``TCP_NODELAY`` (uvicorn binds it with protocol 0; asyncio then leaves Nagle's algorithm on, and a
kept-alive answer in two writes waits for the client's delayed acknowledgement)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap

from api.cli.store import tcp_socket


def _nodelay_of_a_connection(listening: socket.socket) -> int:
    """``TCP_NODELAY`` of a connection accepted by an asyncio server on ``listening`` (as uvicorn's)."""

    async def run() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def accepted(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.set_result(
                writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            )
            writer.close()

        server = await asyncio.start_server(accepted, sock=listening)
        _, client = await asyncio.open_connection(*listening.getsockname()[:2])
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            client.close()
            server.close()
            await server.wait_closed()

    return asyncio.run(run())


def test_the_workers_socket_gives_connections_without_nagle():
    bound = socket.socket(family=socket.AF_INET)  # as uvicorn's Config.bind_socket makes it
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bound.bind(("127.0.0.1", 0))
    address = bound.getsockname()
    listening = tcp_socket(bound)
    assert listening.proto == socket.IPPROTO_TCP
    assert listening.getsockname() == address  # the same bound descriptor, not a new socket
    assert _nodelay_of_a_connection(listening) != 0
    assert tcp_socket(listening) is listening


def test_a_unix_socket_is_left_as_it_is():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        assert tcp_socket(unix) is unix


def test_the_served_app_freezes_what_start_up_left(sqlite_url: str):
    """The app factory ``ledger serve`` runs in each worker: after it, the start-up heap is frozen."""
    code = textwrap.dedent(
        f"""
        import gc
        from api.bootstrap import AppFactory
        from ledger.config import load_settings
        assert gc.get_freeze_count() == 0
        AppFactory(load_settings(database_url={sqlite_url!r}))()
        print(gc.get_freeze_count())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    assert int(done.stdout.split()[-1]) > 10_000, done.stderr
