"""The ASGI application: authentication, fault injection, the request log and ``/_emulator/`` introspection.

Domino's own paths are answered by :class:`~airflow_provider_domino.emulator.service.Domino`; this layer wraps
every API request in what a real deployment puts around it (a proxy that fails, a gateway that drops answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import struct
import sys
import time
import traceback
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from airflow_provider_domino.emulator.config import EmulatorConfig
from airflow_provider_domino.emulator.faults import (
    FaultInjector,
    FaultSpecError,
    parse_fault_spec,
    settings_from_mapping,
)
from airflow_provider_domino.emulator.http import (
    JSON,
    ApiError,
    Request,
    Response,
    error_body,
    json_object,
    parse_query,
)
from airflow_provider_domino.emulator.service import Domino

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

# Live connections by client address, filled by the server's protocol class, so a "reset" fault can abort one.
CONNECTIONS: dict[tuple[str, int], asyncio.Transport] = {}

SECRET_HEADERS = frozenset({"authorization", "x-domino-api-key", "cookie", "proxy-authorization", "x-api-key"})
SECRET_QUERY_WORDS = ("token", "key", "secret", "password", "auth")
REDACTED = "[REDACTED]"

PROXY_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>"
    "\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


def abort_connection(client: tuple[str, int] | None) -> bool:
    """Close the client's TCP connection with a RST and no HTTP answer."""
    transport = CONNECTIONS.get(tuple(client)) if client else None  # type: ignore[arg-type]
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    return True


class EmulatorApp:
    """The raw ASGI callable (routing uses the raw path, so encoded slashes stay inside names)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.domino = Domino(config)
        self.faults = FaultInjector(config.faults)
        self._start_lag = config.start_lag_seconds  # what POST /_emulator/reset restores
        self.log: deque[JSON] = deque(maxlen=config.request_log_size)
        self._seq = 0
        self.started = time.time()
        self._secrets = [s for s in (config.api_key, config.model_token) if s]

    # ------------------------------------------------------------------ ASGI
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        request_id = secrets.token_hex(8)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        method = scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if path.startswith("/_emulator/") or path == "/_emulator":
            await self._send(
                send, await self._introspect(method, path, scope, receive, headers, request_id), request_id
            )
            return
        fault = self.faults.draw(method, path)
        entry = self._log_entry(method, path, scope, headers, request_id, fault)
        if fault == "reset":
            abort_connection(scope.get("client"))
            entry.update(status=None, durationMs=round((time.perf_counter() - started) * 1000, 3))
            await asyncio.sleep(0)
            return
        if fault in ("500", "502", "503", "504", "429"):
            response = self._fault_response(int(fault), request_id)
        else:
            if fault == "slow":
                await asyncio.sleep(self.faults.settings.slow_seconds)
            response = await self._handle(method, path, scope, headers, receive, request_id, entry)
            if fault == "lost":
                response = self._fault_response(502, request_id)
        entry.update(status=response.status, durationMs=round((time.perf_counter() - started) * 1000, 3))
        with contextlib.suppress(OSError):
            await self._send(send, response, request_id)

    async def _handle(
        self,
        method: str,
        path: str,
        scope: Scope,
        headers: dict[str, str],
        receive: Receive,
        request_id: str,
        entry: JSON,
    ) -> Response:
        try:
            body = await self._read_body(receive, self.config.max_body_bytes, headers)
            entry["bodySize"] = len(body)
            handler, params = self.domino.router.match(method, path)
            request = Request(
                method=method,
                path=path,
                query=parse_query(scope.get("query_string", b"")),
                headers=headers,
                body=body,
                request_id=request_id,
                base_url=self._base_url(scope, headers),
                params=params,
            )
            if not self.domino.uses_model_auth(path):
                self.domino.check_platform_auth(request)
            return await handler(request)
        except ApiError as exc:
            return Response(exc.status, error_body(exc.status, exc.message, request_id), exc.headers)
        except Exception as exc:  # a bug in the emulator: say so, keep serving
            traceback.print_exc(file=sys.stderr)
            return Response(500, {"error": f"internal emulator error: {type(exc).__name__}: {exc}"})

    async def _read_body(self, receive: Receive, limit: int, headers: dict[str, str]) -> bytes:
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise_too_large(int(declared), limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise_too_large(size, limit)
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    @staticmethod
    def _base_url(scope: Scope, headers: dict[str, str]) -> str:
        host = headers.get("host")
        if not host:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        return f"{scope.get('scheme', 'http')}://{host}"

    async def _send(self, send: Send, response: Response, request_id: str) -> None:
        payload = response.encode()
        headers = [
            (b"content-length", str(len(payload)).encode()),
            (b"x-request-id", request_id.encode()),
        ]
        if response.body is not None:
            headers.append((b"content-type", response.content_type.encode()))
        headers.extend((k.lower().encode(), v.encode()) for k, v in response.headers.items())
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _fault_response(self, status: int, request_id: str) -> Response:
        retry = {"Retry-After": str(self.faults.settings.retry_after)}
        if status == 500:
            return Response(500, {"error": "Internal Server Error (injected fault)"})
        if status == 429:
            return Response(429, error_body(429, "Too many requests (injected fault)", request_id), retry)
        page = PROXY_PAGE.format(code=status, reason=REASONS[status]).encode()
        return Response(status, page, retry if status == 503 else {}, content_type="text/html")

    # ------------------------------------------------------------------ request log (never holds a credential)
    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def _log_entry(
        self, method: str, path: str, scope: Scope, headers: dict[str, str], request_id: str, fault: str | None
    ) -> JSON:
        self._seq += 1
        query = [
            (k, REDACTED if any(w in k.lower() for w in SECRET_QUERY_WORDS) else self._scrub(v))
            for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        ]
        entry: JSON = {
            "seq": self._seq,
            "time": time.time(),
            "requestId": request_id,
            "method": method,
            "path": self._scrub(path),
            "query": self._scrub(urlencode(query)),
            "status": None,
            "fault": fault,
            "bodySize": int(headers.get("content-length") or 0) if headers.get("content-length", "").isdigit() else 0,
            "headers": {k: REDACTED if k in SECRET_HEADERS else self._scrub(v) for k, v in headers.items()},
        }
        self.log.append(entry)
        return entry

    # ------------------------------------------------------------------ /_emulator/
    async def _introspect(
        self, method: str, path: str, scope: Scope, receive: Receive, headers: dict[str, str], request_id: str
    ) -> Response:
        try:
            body = await self._read_body(receive, self.config.max_body_bytes, headers)
            return self._introspect_inner(method, path.rstrip("/"), scope, body)
        except ApiError as exc:
            return Response(exc.status, error_body(exc.status, exc.message, request_id), exc.headers)

    def _introspect_inner(self, method: str, path: str, scope: Scope, body: bytes) -> Response:
        name = path[len("/_emulator") :].strip("/")
        query = parse_query(scope.get("query_string", b""))
        if (method, name) == ("GET", "health"):
            return Response(200, self.health())
        if (method, name) == ("GET", "config"):
            return Response(200, self.health())
        if (method, name) == ("PUT", "config"):
            self._set_config(body)
            return Response(200, self.health())
        if (method, name) == ("GET", "state"):
            return Response(200, {"dialect": self.config.dialect, **self.domino.dump()})
        if (method, name) == ("GET", "requests"):
            since = int(query.get("since") or 0)
            return Response(200, {"requests": [e for e in self.log if e["seq"] > since], "total": self._seq})
        if (method, name) == ("DELETE", "requests"):
            self.log.clear()
            return Response(204)
        if (method, name) == ("GET", "faults"):
            return Response(200, self.faults.as_json())
        if (method, name) == ("PUT", "faults"):
            self._set_faults(body)
            return Response(200, self.faults.as_json())
        if (method, name) == ("POST", "reset"):
            self.domino.reset()
            self.log.clear()
            self._seq = 0
            self.faults.configure(self.faults.settings)
            self.config.start_lag_seconds = self._start_lag
            return Response(200, {"reset": True})
        if (method, name) == ("POST", "seed"):
            return Response(200, self._seed(body))
        raise ApiError(404, f"no such introspection endpoint: {method} {path}")

    def health(self) -> JSON:
        return {
            "status": "ok",
            "dialect": self.config.dialect,
            "pid": os.getpid(),
            "uptimeSeconds": round(time.time() - self.started, 3),
            "projectsDir": os.path.abspath(self.config.projects_dir),
            "stateFile": self.config.state_file,
            "buildSeconds": self.config.build_seconds,
            "modelTimeout": self.config.model_timeout,
            "startLagSeconds": self.config.start_lag_seconds,
        }

    def _set_config(self, body: bytes) -> None:
        """Change the settings a running emulator allows to change (today: ``startLagSeconds``)."""
        values = json_object(body or b"{}", "config settings")
        unknown = sorted(set(values) - {"startLagSeconds"})
        if unknown:
            raise ApiError(400, f"unknown config setting {unknown[0]!r}; settable: 'startLagSeconds'")
        lag = values.get("startLagSeconds", self.config.start_lag_seconds)
        if isinstance(lag, bool) or not isinstance(lag, (int, float)) or lag < 0:
            raise ApiError(400, "field 'startLagSeconds' must be a number >= 0")
        self.config.start_lag_seconds = float(lag)

    def _set_faults(self, body: bytes) -> None:
        values = json_object(body or b"{}", "fault settings")
        try:
            if isinstance(values.get("spec"), str):
                settings = parse_fault_spec(values["spec"])
            else:
                settings = settings_from_mapping(values)
        except FaultSpecError as exc:
            raise ApiError(400, str(exc)) from None
        self.faults.configure(settings)

    def _seed(self, body: bytes) -> JSON:
        values = json_object(body or b"{}", "seed request")
        count = values.get("modelApis", 0)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 1_000_000:
            raise ApiError(400, "field 'modelApis' must be an integer between 0 and 1000000")
        project_id = values.get("projectId", "seeded")
        if not isinstance(project_id, str):
            raise ApiError(400, "field 'projectId' must be a string")
        ids = self.domino.seed_model_apis(
            count,
            project_id,
            str(values.get("namePrefix", "seeded-model-")),
            str(values.get("modelFile", "model.py")),
            str(values.get("modelFunction", "predict")),
        )
        return {"created": len(ids), "firstId": ids[0] if ids else None, "lastId": ids[-1] if ids else None}


def raise_too_large(size: int, limit: int) -> None:
    raise ApiError(413, f"request body is {size} bytes; the limit is {limit} bytes")


def build_app(config: EmulatorConfig) -> tuple[Any, EmulatorApp]:
    """The Starlette application (lifespan: resume and stop background work) around the emulator core."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    core = EmulatorApp(config)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await core.domino.startup()
        try:
            yield
        finally:
            await core.domino.shutdown()

    app = Starlette(routes=[Mount("", app=core)], lifespan=lifespan)
    return app, core
