"""Check HTTP responses against Domino's Public API 6.2.0 OpenAPI spec (tests/data).

``validate_response(method, path, status_code, body)`` finds the spec's path template for a concrete path,
then validates the JSON body against the response schema the spec gives for that status (OpenAPI 3.0 schema
rules, ``$ref``s resolved inside the spec). Hooks for ``requests`` and ``httpx`` call it on every response, so a
fixture can check everything a test receives:

    session.hooks["response"].append(requests_hook())
    httpx.Client(event_hooks={"response": [httpx_hook()]})

Paths the spec does not describe (model calls, ``/_emulator/``) and error statuses the spec gives no schema
for are not checked; a 2xx status the spec does not list for the operation is an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC_FILE = Path(__file__).parent / "data" / "domino-public-api-6.2.0-models.json"
METHODS = ("get", "post", "put", "patch", "delete")


class SpecValidationError(AssertionError):
    """A response that does not match the spec."""


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    return json.loads(SPEC_FILE.read_text())  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Path templates as regexes, the most literal first (``/v1/names`` wins over ``/v1/{modelName}``)."""
    compiled = []
    for template in load_spec()["paths"]:
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "/?$"
        compiled.append((re.compile(pattern), template))
    compiled.sort(key=lambda item: (item[1].count("{"), -len(item[1])))
    return compiled


def find_template(method: str, path: str) -> str | None:
    """The spec's path template for a concrete (raw, percent-encoded) path and method, or None."""
    raw = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    paths = load_spec()["paths"]
    for pattern, template in _templates():
        if pattern.match(raw) and method.lower() in paths[template]:
            return template
    return None


@cache
def _validator(template: str, method: str, status: str) -> OAS30Validator | None:
    operation = load_spec()["paths"][template][method]
    response = operation["responses"].get(status) or operation["responses"].get("default")
    if response is None:
        raise KeyError(status)
    content = response.get("content", {})
    media = content.get("application/json")
    if media is None or "schema" not in media:
        return None
    schema = {**media["schema"], "components": load_spec()["components"]}
    return OAS30Validator(schema, format_checker=oas30_format_checker)


def validate_response(method: str, path: str, status_code: int, body: Any) -> bool:
    """Validate ``body`` (parsed JSON, or None for an empty body). Returns True when a schema was checked.

    Raises SpecValidationError when the body does not match, or a success status is not in the spec.
    """
    template = find_template(method, path)
    if template is None:
        return False
    method = method.lower()
    try:
        validator = _validator(template, method, str(status_code))
    except KeyError:
        if 200 <= status_code < 300:
            listed = sorted(load_spec()["paths"][template][method]["responses"])
            raise SpecValidationError(
                f"{method.upper()} {path}: status {status_code} is not in the spec for {template} (spec: {listed})"
            ) from None
        return False
    if validator is None:
        if 200 <= status_code < 300 and body not in (None, b"", ""):
            raise SpecValidationError(f"{method.upper()} {path}: status {status_code} must have no body, got {body!r}")
        return False
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:5])
        raise SpecValidationError(f"{method.upper()} {path} -> {status_code} does not match {template}: {details}")
    return True


def _parse(content: bytes, content_type: str) -> Any:
    if not content:
        return None
    if "json" not in content_type:
        return content
    return json.loads(content)


def requests_hook(checked: list[str] | None = None) -> Callable[..., Any]:
    """A ``requests`` response hook validating every response (append paths it checked to ``checked``)."""

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        request = response.request
        path = urlsplit(request.url).path
        body = _parse(response.content, response.headers.get("content-type", ""))
        if validate_response(request.method, path, response.status_code, body) and checked is not None:
            checked.append(f"{request.method} {unquote(path)} {response.status_code}")
        return response

    return hook


def httpx_hook(checked: list[str] | None = None) -> Callable[[Any], None]:
    """An ``httpx`` (sync client) response event hook validating every response."""

    def hook(response: Any) -> None:
        response.read()
        request = response.request
        path = request.url.raw_path.decode().split("?", 1)[0]
        body = _parse(response.content, response.headers.get("content-type", ""))
        if validate_response(request.method, path, response.status_code, body) and checked is not None:
            checked.append(f"{request.method} {unquote(path)} {response.status_code}")

    return hook


def async_httpx_hook(checked: list[str] | None = None) -> Callable[[Any], Any]:
    """An ``httpx.AsyncClient`` response event hook validating every response."""
    sync = httpx_hook(checked)

    async def hook(response: Any) -> None:
        await response.aread()
        sync(response)

    return hook
