"""Serve the emulator with uvicorn on a socket we bind ourselves (so ``--port 0`` can report its port)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

from airflow_provider_domino.emulator.app import CONNECTIONS, build_app
from airflow_provider_domino.emulator.config import EmulatorConfig

LISTENING = "Domino emulator listening on"


def protocol_class() -> type:
    """uvicorn's HTTP protocol, remembering each connection's transport so a fault can reset it."""
    base: Any
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:  # httptools is optional
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

    class TrackedProtocol(base):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.client:
                CONNECTIONS[tuple(self.client)] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client:
                CONNECTIONS.pop(tuple(self.client), None)
            super().connection_lost(exc)

    return TrackedProtocol


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()  # type: ignore[no-any-return]


def serve(config: EmulatorConfig, extra_lines: list[str], out: TextIO = sys.stdout) -> int:
    """Run until SIGTERM or SIGINT; the first line written to ``out`` says where it listens."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # Unlike uvicorn's, do not re-raise the signal after the graceful shutdown: exit 0.
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            sigs = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in sigs}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    sock = bind_socket(config.host, config.port)
    app, _core = build_app(config)
    server = Server(
        uvicorn.Config(
            app,
            http=protocol_class(),
            lifespan="on",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=3,
            timeout_keep_alive=30,
        )
    )

    async def main() -> int:
        task = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                await task
                return 1
            await asyncio.sleep(0.005)
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        out.write(f"{LISTENING} http://{shown}:{port}\n")
        out.writelines(line + "\n" for line in extra_lines)
        out.flush()
        await task
        return 0

    loop = _new_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(main())
    finally:
        sock.close()
        loop.close()
