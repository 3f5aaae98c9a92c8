"""Fixtures for the hook tests: a ``domino`` connection given as an ``AIRFLOW_CONN_...`` variable, a mocked
``requests`` transport, and retry waits recorded instead of slept."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses
import tenacity.nap

from airflow_provider_domino.hooks.domino import DominoHook

from .helpers import DEFAULT_EXTRA, connection_json


@pytest.fixture
def set_connection(monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """``set_connection(conn_id="domino_default", host=..., password=..., port=..., extra=...)``."""

    def _set(conn_id: str = "domino_default", **fields: Any) -> str:
        fields.setdefault("extra", dict(DEFAULT_EXTRA))
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", connection_json(**fields))
        return conn_id

    return _set


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every retry wait, recorded instead of slept. tenacity's ``Retrying`` sleeps through
    ``tenacity.nap.sleep`` (which calls ``time.sleep``), ``AsyncRetrying`` through ``asyncio.sleep``."""
    recorded: list[float] = []
    real_async_sleep = asyncio.sleep

    async def fake_async_sleep(delay: float, result: Any = None) -> Any:
        recorded.append(float(delay))
        return await real_async_sleep(0, result)

    monkeypatch.setattr(tenacity.nap.time, "sleep", lambda seconds: recorded.append(float(seconds)))
    monkeypatch.setattr(asyncio, "sleep", fake_async_sleep)
    return recorded


@pytest.fixture
def make_hook(set_connection: Callable[..., str], waits: list[float]) -> Iterator[Callable[..., DominoHook]]:
    """``make_hook(conn_id="domino_default", **connection fields)``: a DominoHook on a freshly set connection."""
    made: list[DominoHook] = []

    def _make(conn_id: str = "domino_default", **fields: Any) -> DominoHook:
        set_connection(conn_id, **fields)
        made.append(DominoHook(conn_id))
        return made[-1]

    yield _make
    for h in made:
        h.close()


@pytest.fixture
def hook(make_hook: Callable[..., DominoHook]) -> DominoHook:
    """A DominoHook on ``domino_default``: API key, model access token, up to 3 quick retries."""
    return make_hook()


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """A ``responses`` mock; a request that matches nothing fails, and is still recorded in ``calls``."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connecting to it is refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
