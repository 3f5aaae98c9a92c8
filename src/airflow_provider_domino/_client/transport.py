"""The two thin transports: ``requests`` for the hook, ``httpx`` for triggers.

Each only sends a :class:`~.wire.Request`, turns its library's exceptions into a *kind* (``connect``,
``lost`` or ``tls``) and hands everything else to the shared wire core and retry decision.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import platform
import ssl
from importlib import metadata
from typing import TYPE_CHECKING, Any

import requests
import tenacity

from airflow_provider_domino import __version__
from airflow_provider_domino._client import config, wire
from airflow_provider_domino._client.retry import retry_kwargs

if TYPE_CHECKING:
    import httpx

    from airflow_provider_domino._client.config import Settings

log = logging.getLogger(__name__)


@functools.cache
def user_agent() -> str:
    """The User-Agent header, worked out once per process: reading a distribution's version parses its whole
    metadata file (milliseconds for Airflow's), which every hook and trigger run would otherwise repeat."""
    try:
        airflow_version = metadata.version("apache-airflow")
    except metadata.PackageNotFoundError:  # pragma: no cover - the provider always runs with Airflow
        airflow_version = "unknown"
    return f"airflow-provider-domino/{__version__} apache-airflow/{airflow_version} python/{platform.python_version()}"


def _headers(settings: Settings, request: wire.Request) -> dict[str, str]:
    return {"Accept": "application/json", **wire.auth_headers(settings, request)}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or item in seen:
            continue
        seen.append(item)
        stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])
    return seen


def _classify(exc: BaseException, connect_types: tuple[type, ...], timeout_connect: tuple[type, ...]) -> str:
    chain = _chain(exc)
    if any(isinstance(e, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(e) for e in chain):
        return "tls"
    if isinstance(exc, timeout_connect):
        return "connect"
    if any(isinstance(e, (ConnectionRefusedError, *connect_types)) for e in chain):
        return "connect"
    return "lost"


def _describe(exc: BaseException) -> str:
    root = _chain(exc)[-1]
    text = str(root) or type(root).__name__
    return f"{type(exc).__name__}: {text[:200]}"


@functools.lru_cache(maxsize=8)
def ssl_context(verify: bool | str) -> ssl.SSLContext:
    """One TLS context per ``verify`` setting and process. Loading the CA bundle costs tens of milliseconds and
    most of a megabyte, which a thousand trigger runs (one HTTP client each) should not pay a thousand times."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class SyncTransport:
    """Sends requests with one reused ``requests.Session``."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent()
        self._retry = retry_kwargs(settings, log)

    def send(self, request: wire.Request) -> Any:
        for attempt in tenacity.Retrying(**self._retry):
            with attempt:
                return self._once(request)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, request: wire.Request) -> Any:
        s = self.settings
        if s.auth.kind == "token_file":  # re-read for every attempt: Domino refreshes it
            s = s.with_token(config.read_token_file(s.auth.token_file or ""))
        try:
            response = self.session.request(
                request.method,
                request.url,
                params=request.params,
                json=request.json,
                headers=_headers(s, request),
                timeout=(s.connect_timeout, s.read_timeout),
                verify=s.verify,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            kind = _classify(exc, _REQUESTS_CONNECT, (requests.ConnectTimeout,))
            raise wire.error_from_transport(s, request, kind, _describe(exc)) from None
        return wire.read_response(s, request, response.status_code, response.headers, response.content)

    def close(self) -> None:
        self.session.close()


class AsyncTransport:
    """Sends requests with one ``httpx.AsyncClient`` (one per trigger run, closed by :meth:`aclose`)."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        import httpx

        self.settings = settings
        self._httpx = httpx
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            verify=ssl_context(settings.verify),
            headers={"User-Agent": user_agent()},
            follow_redirects=False,
        )
        self._retry = retry_kwargs(settings, log)

    async def send(self, request: wire.Request) -> Any:
        async for attempt in tenacity.AsyncRetrying(**self._retry):
            with attempt:
                return await self._once(request)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, request: wire.Request) -> Any:
        s, httpx = self.settings, self._httpx
        if s.auth.kind == "token_file":  # re-read for every attempt (Domino refreshes it), off the event loop
            s = s.with_token(await asyncio.to_thread(config.read_token_file, s.auth.token_file or ""))
        try:
            response = await self.client.request(
                request.method,
                request.url,
                params=request.params,
                json=request.json,
                headers=_headers(s, request),
            )
        except httpx.HTTPError as exc:
            kind = _classify(exc, (httpx.ConnectError,), (httpx.ConnectTimeout, httpx.PoolTimeout))
            raise wire.error_from_transport(s, request, kind, _describe(exc)) from None
        return wire.read_response(s, request, response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        await self.client.aclose()


_REQUESTS_CONNECT: tuple[type, ...]
try:
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    _REQUESTS_CONNECT = (NewConnectionError, NameResolutionError)
except ImportError:  # pragma: no cover - older urllib3
    from urllib3.exceptions import NewConnectionError

    _REQUESTS_CONNECT = (NewConnectionError,)
