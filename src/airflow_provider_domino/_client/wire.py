"""Build request descriptions and read responses. No I/O: the transports send and receive.

The style of h11 and httpx's models: :func:`build` turns an endpoint row and arguments into a
:class:`Request`; :func:`read_response` turns a status, headers and body into data or an error. Both
transports call exactly these, so the sync hook and the triggers cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from airflow_provider_domino._client import errors as E
from airflow_provider_domino._client.config import Settings
from airflow_provider_domino._client.endpoints import ENDPOINTS, Endpoint
from airflow_provider_domino._client.retry import parse_retry_after, status_is_retryable

_PARAM = re.compile(r"{(\w+)}")
MAX_MESSAGE = 500


@dataclass(frozen=True)
class Request:
    """One request, ready for a transport. Holds no credential: :func:`auth_headers` adds it per attempt."""

    endpoint: Endpoint
    url: str
    path: str
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    #: The model access token for model calls (kept out of ``repr``).
    model_token: str | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return self.endpoint.method


#: Path parameters that are names, not ids: they may hold spaces and ``/`` (sent percent-encoded).
NAME_PARAMS = frozenset({"model_name"})


def check_id(name: str, value: Any) -> str:
    """A path parameter: non-empty text without ``/`` or ``..``. Registered model names (:data:`NAME_PARAMS`)
    may hold spaces and ``/``, which are percent-encoded; ``..`` segments are refused for them too."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise E.DominoInputError(name, "is required and must not be empty")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise E.DominoInputError(name, f"must be a string, got {type(value).__name__}")
    text = str(value)
    if name not in NAME_PARAMS and ("/" in text or "\\" in text):
        raise E.DominoInputError(name, f"{text!r} must not contain '/'")
    if text.strip() in (".", "..") or ".." in text.split("/"):
        raise E.DominoInputError(name, f"{text!r} is not a valid id")
    if any(ord(c) < 32 for c in text):
        raise E.DominoInputError(name, f"{text!r} contains control characters")
    return text


def render_path(template: str, path_params: Mapping[str, Any]) -> str:
    """Fill ``template`` with checked, percent-encoded path parameters."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        return quote(check_id(name, path_params.get(name)), safe="")

    return _PARAM.sub(sub, template)


def build(
    settings: Settings,
    endpoint_name: str,
    path_params: Mapping[str, Any] | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    json_body: Any = None,
    url: str | None = None,
    model_token: str | None = None,
) -> Request:
    """Describe one call of ``endpoint_name``. ``url`` overrides the endpoint's URL (a model's own URL)."""
    endpoint = ENDPOINTS[endpoint_name]
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise E.DominoInputError("model_url", f"{url!r} is not an http(s) URL")
        path = parts.path or "/"
        full = url
    else:
        path = render_path(endpoint.path, path_params or {})
        full = settings.base_url + path
    if endpoint.auth != "platform":
        model_token = model_token or settings.model_access_token
        if not model_token:
            raise E.DominoInputError(
                "access_token",
                "calling a Model API needs its model access token",
                "pass access_token, or set extra model_access_token on the connection",
            )
    clean = {k: _param(v) for k, v in (params or {}).items() if v is not None}
    return Request(endpoint, full, path, clean, json_body, model_token)


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def auth_headers(settings: Settings, request: Request) -> dict[str, str]:
    """The credential for one attempt: platform calls carry the platform credential, model calls only the
    model access token (Basic ``token:token`` for sync calls, Bearer for async ones)."""
    if request.endpoint.auth == "platform":
        return settings.auth.headers()
    token = request.model_token or ""
    if request.endpoint.auth == "model_bearer":
        return {"Authorization": f"Bearer {token}"}
    import base64

    basic = base64.b64encode(f"{token}:{token}".encode()).decode("ascii")
    return {"Authorization": f"Basic {basic}"}


def secrets_of(settings: Settings, request: Request | None = None) -> tuple[str, ...]:
    extra = (request.model_token,) if request is not None and request.model_token else ()
    return settings.secrets() + extra


# --- responses ---------------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _request_id(headers: Mapping[str, str], body: Any) -> str | None:
    for name in ("X-Request-Id", "X-Domino-Request-Id", "X-Amzn-Trace-Id"):
        value = _header(headers, name)
        if value:
            return value
    if isinstance(body, dict):
        rid = body.get("requestId") or _metadata(body).get("requestId")
        if isinstance(rid, str) and rid:
            return rid
    return None


def _trim(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def domino_message(content: bytes, content_type: str | None) -> tuple[str | None, Any]:
    """Domino's own message from an error body, and the parsed JSON (or ``None``).

    Reads ``{"error"}``, ``{"errors": [...]}``, ``{"message"}``; a non-JSON body is trimmed; an HTML page
    (a proxy's) is said to be one, in one line, with its title.
    """
    text = content.decode("utf-8", errors="replace").strip()
    if not text:
        return None, None
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if body is None:
        if (content_type and "html" in content_type.lower()) or text[:15].lower().startswith(("<!doctype", "<html")):
            found = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S) or re.search(
                r"<h1[^>]*>(.*?)</h1>", text, re.I | re.S
            )
            label = found.group(1).strip() if found else "no title"
            return (
                f"an HTML page instead of JSON (a proxy or load balancer answered: {_trim(label, 120)})",
                None,
            )
        return _trim(text), None
    return _message_from_json(body), body


def _message_from_json(body: Any) -> str | None:
    if isinstance(body, dict):
        for key in ("error", "message", "errorMessage", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return _trim(value)
            if isinstance(value, dict):
                inner = _message_from_json(value)
                if inner:
                    return inner
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            parts = [e if isinstance(e, str) else (_message_from_json(e) or json.dumps(e)) for e in errors]
            return _trim("; ".join(p for p in parts if p))
        if isinstance(errors, str):
            return _trim(errors)
    if isinstance(body, str):
        return _trim(body)
    return None


def error_from_response(
    settings: Settings, request: Request, status: int, headers: Mapping[str, str], content: bytes
) -> E.DominoApiError:
    """The error for a non-success answer: class by status, Domino's message, retry hints."""
    message, body = domino_message(content, _header(headers, "Content-Type"))
    request_id = _request_id(headers, body)
    retryable = status_is_retryable(request.endpoint, status)
    cls = E.error_class_for_status(status)
    if request.endpoint.creates and status in (502, 504):
        cls = E.DominoOutcomeUnknownError
    reason = _STATUS_TEXT.get(status, "error")
    text = f"Domino answered {status} {reason} to {request.method} {request.path}"
    if message:
        text += f": {message}"
    if request_id:
        text += f" [request id {request_id}]"
    if status in (401, 403):
        text += (
            f". Check the credential of {settings.source}"
            if request.endpoint.auth == "platform"
            else ". Check the model access token (access_token, or extra model_access_token)"
        )
    if cls is E.DominoOutcomeUnknownError:
        text += ". The request may or may not have been applied; look up what exists before creating again"
    secrets = secrets_of(settings, request)
    return cls(
        E.scrub(text, secrets),
        status=status,
        method=request.method,
        path=request.path,
        request_id=request_id,
        domino_message=E.scrub(message, secrets) if message else None,
        retryable=retryable,
        retry_after=parse_retry_after(_header(headers, "Retry-After"), cap=settings.retry_after_cap),
    )


_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def read_response(settings: Settings, request: Request, status: int, headers: Mapping[str, str], content: bytes) -> Any:
    """The data of a success answer, or raise the error :func:`error_from_response` builds."""
    if status not in request.endpoint.ok and not (200 <= status < 300):
        raise error_from_response(settings, request, status, headers, content)
    expect = request.endpoint.expect
    if expect == "none" or status == 204 or not content.strip():
        if expect == "json" and status != 204 and not content.strip():
            raise _bad_body(settings, request, status, headers, "an empty body")
        if expect == "text":
            return ""
        return _maybe_json(content) if expect == "none" else None
    text = content.decode("utf-8", errors="replace")
    if expect == "text":
        parsed = _maybe_json(content)
        return parsed if parsed is not None else text
    try:
        return json.loads(text)
    except ValueError:
        message, _ = domino_message(content, _header(headers, "Content-Type"))
        raise _bad_body(settings, request, status, headers, f"a body that is not JSON ({message})") from None


def _maybe_json(content: bytes) -> Any:
    try:
        return json.loads(content) if content.strip() else None
    except ValueError:
        return None


def _bad_body(
    settings: Settings, request: Request, status: int, headers: Mapping[str, str], what: str
) -> E.DominoResponseError:
    text = E.scrub(
        f"Domino answered {status} to {request.method} {request.path} with {what}",
        secrets_of(settings, request),
    )
    return E.DominoResponseError(
        text, status=status, method=request.method, path=request.path, request_id=_request_id(headers, None)
    )


def wrong_shape(request: Request, what: str) -> E.DominoResponseError:
    """A success answer of the wrong shape (for the readers in :mod:`.shapes`)."""
    return E.DominoResponseError(
        f"Domino's answer to {request.method} {request.path} is not {what}",
        method=request.method,
        path=request.path,
    )


def error_from_transport(settings: Settings, request: Request, kind: str, detail: str) -> E.DominoApiError:
    """The error for a request that got no HTTP answer.

    ``kind``: ``connect`` (surely never reached the server: refused, DNS, connect timeout), or ``lost``
    (sent, but the answer never came: read timeout, reset, protocol error).
    """
    from airflow_provider_domino._client.retry import transport_is_retryable

    retryable = transport_is_retryable(request.endpoint, kind)
    where = f"{request.method} {request.path}"
    if kind == "tls":
        text = (
            f"TLS verification failed for {where}: {detail}. Set extra verify to the path of your CA bundle "
            "(or false, for a test server only)"
        )
        cls: type[E.DominoApiError] = E.DominoConnectionError
    elif kind == "connect":
        text = f"Could not connect to Domino for {where}: {detail}"
        cls = E.DominoConnectionError
    elif request.endpoint.creates:
        text = (
            f"No answer from Domino to {where} ({detail}). The request may or may not have been applied; "
            "look up what exists before creating again"
        )
        cls = E.DominoOutcomeUnknownError
    else:
        text = f"No answer from Domino to {where}: {detail}"
        cls = E.DominoConnectionError
    return cls(
        E.scrub(text, secrets_of(settings, request)),
        method=request.method,
        path=request.path,
        retryable=retryable,
    )


# --- pagination ----------------------------------------------------------------------------------------


def page_items(body: Any, request: Request) -> list[Any]:
    """The items of one page: a bare array, or ``items`` (or ``data``) of an envelope."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("items", "jobs", "data", "results"):
            if isinstance(body.get(key), list):
                return list(body[key])
    raise wrong_shape(request, "a list of items")


def _metadata(body: Any) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("metadata"), dict):
        meta = dict(body["metadata"])
        if isinstance(meta.get("pagination"), dict):
            meta = {**meta["pagination"], **meta}
        return meta
    return {}


def next_page_params(request: Request, body: Any, items: list[Any]) -> dict[str, Any] | None:
    """The query of the next page, or ``None`` when ``body`` was the last page.

    Whatever pagination the server uses: a ``nextPageToken`` (token pagination), or offset and limit (with
    ``totalCount`` when given, else "a short page is the last"). Always sends ``offset``: the spec's default
    for it is not 0.
    """
    params = dict(request.params)
    meta = _metadata(body)
    token = meta.get("nextPageToken") or (body.get("nextPageToken") if isinstance(body, dict) else None)
    if token:
        params["pageToken"] = token
        params.pop("offset", None)
        return params
    if not items:
        return None
    if isinstance(body, dict) and "metadata" in body and "offset" not in meta and "totalCount" not in meta:
        return None  # a token-paginated envelope without a next token: the last page
    offset = int(params.get("offset") or 0)
    limit = int(params.get("limit") or params.get("maxResults") or len(items))
    new_offset = offset + len(items)
    total = meta.get("totalCount")
    if isinstance(total, int):
        if new_offset >= total:
            return None
    elif len(items) < limit:
        return None
    params["offset"] = new_offset
    return params


def first_page_params(endpoint: Endpoint, params: Mapping[str, Any] | None, page_size: int) -> dict[str, Any]:
    out = {k: v for k, v in (params or {}).items() if v is not None}
    out.setdefault("offset", 0)
    out.setdefault("limit", page_size)
    if endpoint.pagination == "token":
        out.setdefault("maxResults", out["limit"])
    return out
