"""Request, response and error plumbing shared by the emulator's handlers (no framework imports)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

JSON = dict[str, Any]
# Statuses whose body is Domino's FailureEnvelopeV1; the others carry {"error": "..."}.
ENVELOPE_STATUSES = frozenset({401, 403, 413, 422, 429})


class ApiError(Exception):
    """An error answered to the client with Domino's error envelope."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_body(status: int, message: str, request_id: str) -> JSON:
    if status in ENVELOPE_STATUSES:
        return {"errors": [message], "requestId": request_id}
    return {"error": message}


def json_object(body: bytes, what: str = "request body") -> JSON:
    """``body`` as a JSON object, or a 400 that says what is wrong with it (naming ``what``)."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"malformed JSON body: {exc}") from None
    except RecursionError:
        raise ApiError(400, "malformed JSON body: nested too deeply") from None
    if not isinstance(value, dict):
        raise ApiError(400, f"{what} must be a JSON object, not {type(value).__name__}")
    return value


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-able, or bytes for a raw body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


@dataclass
class Request:
    method: str
    path: str  # raw (percent-encoded) path
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    request_id: str
    base_url: str
    params: dict[str, str] = field(default_factory=dict)
    _json: Any = None

    def json(self) -> JSON:
        """The body as a JSON object, or a 400 that says what is wrong with it."""
        if self._json is None:
            if not self.body.strip():
                raise ApiError(400, "request body is required: send a JSON object")
            self._json = json_object(self.body)
        return self._json  # type: ignore[no-any-return]

    def query_int(self, name: str, default: int | None = None, minimum: int = 0) -> int | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"query parameter {name!r} must be an integer, not {raw!r}") from None
        if value < minimum:
            raise ApiError(400, f"query parameter {name!r} must be >= {minimum}")
        return value


def parse_query(raw: bytes) -> dict[str, str]:
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    dict: "an object",
    list: "an array",
}


def field_value(
    obj: JSON, name: str, kind: type, *, required: bool = False, where: str = "", default: Any = None
) -> Any:
    """Read ``obj[name]`` checking its JSON type; the error names the field (``where`` is its parent path)."""
    label = f"{where}.{name}" if where else name
    if name not in obj or obj[name] is None:
        if required:
            raise ApiError(400, f"field {label!r} is required")
        return default
    value = obj[name]
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise ApiError(400, f"field {label!r} must be {_TYPE_NAMES[kind]}, not {type(value).__name__}")
    if kind is str and required and not value.strip():
        raise ApiError(400, f"field {label!r} must not be empty")
    return value


Handler = Callable[[Request], Awaitable[Response]]


class Router:
    """Matches raw paths segment by segment, so an encoded ``%2F`` inside a name stays in its segment."""

    def __init__(self) -> None:
        self._routes: dict[int, list[tuple[tuple[str | None, ...], tuple[str, ...], dict[str, Handler]]]] = {}

    def add(self, method: str, template: str, handler: Handler) -> None:
        parts = tuple(template.strip("/").split("/"))
        literals = tuple(None if re.fullmatch(r"\{\w+\}", p) else p for p in parts)
        names = tuple(p[1:-1] for p in parts if re.fullmatch(r"\{\w+\}", p))
        bucket = self._routes.setdefault(len(parts), [])
        for existing_literals, _, methods in bucket:
            if existing_literals == literals:
                methods[method] = handler
                return
        bucket.append((literals, names, {method: handler}))
        bucket.sort(key=lambda route: sum(literal is None for literal in route[0]))  # literals win

    def match(self, method: str, raw_path: str) -> tuple[Handler, dict[str, str]]:
        segments = raw_path.strip("/").split("/")
        allowed: list[str] = []
        for literals, names, methods in self._routes.get(len(segments), []):
            values = []
            for literal, segment in zip(literals, segments, strict=True):
                if literal is None:
                    if not segment:
                        break
                    values.append(unquote(segment))
                elif literal != segment:
                    break
            else:
                handler = methods.get(method)
                if handler is None:
                    allowed.extend(methods)
                    continue
                return handler, dict(zip(names, values, strict=True))
        if allowed:
            raise ApiError(405, f"method {method} not allowed on {raw_path}; use {', '.join(sorted(allowed))}")
        raise ApiError(404, f"no such endpoint: {method} {raw_path}")
