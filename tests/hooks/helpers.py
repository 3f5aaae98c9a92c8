"""Shared constants and readers for the hook tests (the fixtures live in ``conftest.py``).

The distinctive secrets are what the secrets tests look for in logs and error texts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

HOST = "domino.example.com"
BASE = f"https://{HOST}"
KEY = "KEY-6b1f0c"
MTOK = "MTOK-93ad1e"
ANY_URL = re.compile(r"https?://.*")

#: Extras of the default test connection: a model access token and quick, bounded retries.
DEFAULT_EXTRA: dict[str, Any] = {"model_access_token": MTOK, "max_retries": 3, "retry_backoff": 0.01}


def connection_json(
    *, host: str | None = HOST, password: str | None = KEY, port: int | None = None, extra: Any = None
) -> str:
    """An Airflow connection in the JSON form of ``AIRFLOW_CONN_...`` variables."""
    conn: dict[str, Any] = {"conn_type": "domino"}
    if host is not None:
        conn["host"] = host
    if password is not None:
        conn["password"] = password
    if port is not None:
        conn["port"] = port
    if extra is not None:
        conn["extra"] = extra
    return json.dumps(conn)


@dataclass
class Sent:
    """What one request carried on the wire."""

    method: str
    url: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any


def sent(request: Any) -> Sent:
    """Read a ``requests.PreparedRequest`` or an ``httpx.Request`` into a :class:`Sent`."""
    url = str(request.url)
    parts = urlsplit(url)
    raw = getattr(request, "body", None)
    if raw is None and hasattr(request, "content"):
        raw = request.content
    if isinstance(raw, bytes):
        raw = raw.decode()
    return Sent(
        method=request.method,
        url=url,
        path=parts.path,
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        headers={k.lower(): v for k, v in request.headers.items()},
        json=json.loads(raw) if raw else None,
    )


def calls(rsps: Any) -> list[Sent]:
    """The requests a ``responses`` mock (or a respx route or router) saw, in order."""
    return [sent(call.request) for call in rsps.calls]


def contains(actual: Any, expected: Any) -> bool:
    """Whether ``actual`` holds everything ``expected`` does (dicts recursively; other values equal)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and contains(actual[k], v) for k, v in expected.items())
    return actual == expected
