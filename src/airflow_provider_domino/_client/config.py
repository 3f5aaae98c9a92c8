"""Client settings: where Domino is, how to authenticate, and how patient to be.

Built from an Airflow connection's fields (by the hook) or from the variables Domino sets inside its own
runs. Pure: reads no Airflow state; the only I/O is reading a token file when headers are made.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_domino._client.errors import DominoConfigError

#: Defaults of the connection's extras, in one place (the connection form and the docs read them too).
DEFAULTS: dict[str, Any] = {
    "auth_type": "api_key",
    "timeout": 60.0,
    "connect_timeout": 10.0,
    "verify": True,
    "max_retries": 5,
    "retry_backoff": 1.0,
    "retry_after_cap": 120.0,
}
AUTH_TYPES = ("api_key", "bearer")
KNOWN_EXTRAS = frozenset({"auth_type", "token_file", "model_access_token", "ui_url", *DEFAULTS})

API_KEY_HEADER = "X-Domino-Api-Key"


@dataclass(frozen=True)
class Auth:
    """How platform API requests authenticate. Secrets are kept out of ``repr``."""

    kind: str  # "api_key" | "bearer" | "token_file"
    secret: str | None = field(default=None, repr=False)
    token_file: str | None = None
    #: Called with every secret as it is read (the hook registers it with Airflow's secret masker).
    on_secret: Callable[[str], None] | None = field(default=None, repr=False, compare=False)

    def headers(self) -> dict[str, str]:
        """Headers for one platform request (a token file is re-read every time: Domino refreshes it)."""
        if self.kind == "api_key":
            return {API_KEY_HEADER: self.secret or ""}
        if self.kind == "bearer":
            return {"Authorization": f"Bearer {self.secret}"}
        token = read_token_file(self.token_file or "")
        if self.on_secret is not None:
            self.on_secret(token)
        return {"Authorization": f"Bearer {token}"}

    def current_secret(self) -> str | None:
        if self.kind == "token_file":
            try:
                return read_token_file(self.token_file or "")
            except DominoConfigError:
                return None
        return self.secret


def read_token_file(path: str) -> str:
    """The first line of ``path``, stripped; a clear error naming ``token_file`` when unreadable or empty."""
    try:
        with open(path, encoding="utf-8") as fh:
            token = fh.readline().strip()
    except OSError as exc:
        raise DominoConfigError(
            "token_file", f"cannot read {path!r}: {exc.strerror or exc}", "check the path and its permissions"
        ) from None
    if not token:
        raise DominoConfigError("token_file", f"{path!r} is empty", "its first line must hold the token")
    return token


@dataclass(frozen=True)
class Settings:
    """Everything a transport needs to talk to one Domino."""

    base_url: str
    auth: Auth
    model_access_token: str | None = field(default=None, repr=False)
    read_timeout: float = DEFAULTS["timeout"]
    connect_timeout: float = DEFAULTS["connect_timeout"]
    verify: bool | str = DEFAULTS["verify"]
    max_retries: int = DEFAULTS["max_retries"]
    retry_backoff: float = DEFAULTS["retry_backoff"]
    retry_after_cap: float = DEFAULTS["retry_after_cap"]
    conn_id: str | None = None
    ui_url: str | None = None

    @property
    def source(self) -> str:
        """Where the settings came from, for messages (never a secret)."""
        return f"connection {self.conn_id!r}" if self.conn_id else "the DOMINO_API_HOST environment"

    def secrets(self) -> tuple[str, ...]:
        """Every credential the client may send, for scrubbing messages and masking logs."""
        return tuple(s for s in (self.auth.current_secret(), self.model_access_token) if s)

    def with_token(self, token: str) -> Settings:
        """These settings for one request when the credential is a token file: ``token`` (just read from it)
        as a bearer token, so the request's headers and the scrubbing of its error text use the same token
        and the file is read once per attempt. The token is reported to ``on_secret``."""
        if self.auth.on_secret is not None:
            self.auth.on_secret(token)
        return replace(self, auth=replace(self.auth, kind="bearer", secret=token, token_file=None))


def normalize_base_url(host: str | None, port: int | None = None, *, field_name: str = "host") -> str:
    """``https://host[:port]`` from a host that may carry a scheme, port and path prefix."""
    host = (host or "").strip()
    if not host:
        raise DominoConfigError(field_name, "is empty", "set it to your Domino URL, e.g. https://domino.example.com")
    if any(c.isspace() for c in host):
        raise DominoConfigError(field_name, f"{host!r} contains whitespace")
    if "://" not in host:
        host = "https://" + host
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https"):
        raise DominoConfigError(
            field_name,
            f"scheme {parts.scheme!r} is not supported",
            "use https:// (or http:// for a local emulator)",
        )
    if not parts.hostname:
        raise DominoConfigError(field_name, f"{host!r} has no host name")
    try:
        has_port = parts.port is not None
    except ValueError:
        raise DominoConfigError(field_name, f"{host!r} has an invalid port") from None
    netloc = parts.netloc
    if port and not has_port:
        netloc = f"{netloc}:{int(port)}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def _number(extras: Mapping[str, Any], key: str, *, integer: bool = False, minimum: float = 0.0) -> Any:
    value = extras.get(key)
    if value is None or value == "":  # an emptied form field is stored as null or ""
        value = DEFAULTS[key]
    if isinstance(value, bool):
        raise DominoConfigError(key, f"must be a number, got {value!r}")
    try:
        num = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise DominoConfigError(key, f"must be a number, got {value!r}") from None
    if integer and isinstance(value, float) and not value.is_integer():
        raise DominoConfigError(key, f"must be a whole number, got {value!r}")
    if num < minimum or (minimum == 0.0 and key.endswith("timeout") and num <= 0):
        raise DominoConfigError(
            key, f"must be {'positive' if key.endswith('timeout') else f'>= {minimum:g}'}, got {value!r}"
        )
    return num


def _verify(extras: Mapping[str, Any]) -> bool | str:
    value = extras.get("verify", DEFAULTS["verify"])
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes", "on", ""):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        if not os.path.exists(value):
            raise DominoConfigError(
                "verify", f"CA bundle {value!r} does not exist", "use true, false or the path of a CA bundle"
            )
        return value
    raise DominoConfigError("verify", f"must be true, false or a CA bundle path, got {value!r}")


def parse_extras(extra: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The connection's extras as a dict; a clear error when they are not a JSON object."""
    if extra is None or extra == "":
        return {}
    if isinstance(extra, Mapping):
        return dict(extra)
    try:
        value = json.loads(extra)
    except (TypeError, ValueError) as exc:
        raise DominoConfigError(
            "extra", f"is not valid JSON ({exc})", 'write it as a JSON object, e.g. {"auth_type": "api_key"}'
        ) from None
    if not isinstance(value, dict):
        raise DominoConfigError("extra", f"must be a JSON object, got {type(value).__name__}")
    return value


def settings_from_connection(
    *,
    conn_id: str,
    host: str | None,
    password: str | None,
    extra: str | Mapping[str, Any] | None,
    port: int | None = None,
) -> Settings:
    """Settings from an Airflow connection's fields (see the README for the extras)."""
    extras = parse_extras(extra)
    auth_type = str(extras.get("auth_type") or DEFAULTS["auth_type"]).strip().lower()
    if auth_type not in AUTH_TYPES:
        raise DominoConfigError(
            "auth_type",
            f"unknown value {extras.get('auth_type')!r} in connection {conn_id!r}",
            f"use one of {list(AUTH_TYPES)}",
        )
    token_file = extras.get("token_file")
    if token_file:
        auth = Auth("token_file", token_file=str(token_file))
    elif password:
        auth = Auth(auth_type, secret=password)
    else:
        raise DominoConfigError(
            "password",
            f"connection {conn_id!r} has no API key or token",
            "put the Domino API key (or bearer token) in the password field, or set extra token_file",
        )
    model_token = extras.get("model_access_token") or None
    return Settings(
        base_url=normalize_base_url(host, port),
        auth=auth,
        model_access_token=str(model_token) if model_token else None,
        read_timeout=_number(extras, "timeout"),
        connect_timeout=_number(extras, "connect_timeout"),
        verify=_verify(extras),
        max_retries=_number(extras, "max_retries", integer=True),
        retry_backoff=_number(extras, "retry_backoff"),
        retry_after_cap=_number(extras, "retry_after_cap"),
        conn_id=conn_id,
        ui_url=normalize_base_url(extras["ui_url"], field_name="ui_url") if extras.get("ui_url") else None,
    )


def settings_from_environ(environ: Mapping[str, str]) -> Settings | None:
    """Settings from the variables Domino sets inside its runs, or ``None`` when ``DOMINO_API_HOST`` is unset."""
    host = environ.get("DOMINO_API_HOST")
    if not host:
        return None
    token_file = environ.get("DOMINO_TOKEN_FILE")
    api_key = environ.get("DOMINO_USER_API_KEY")
    if token_file:
        auth = Auth("token_file", token_file=token_file)
    elif api_key:
        auth = Auth("api_key", secret=api_key)
    else:
        raise DominoConfigError(
            "DOMINO_USER_API_KEY",
            "DOMINO_API_HOST is set but neither DOMINO_USER_API_KEY nor DOMINO_TOKEN_FILE is",
        )
    return Settings(base_url=normalize_base_url(host, field_name="DOMINO_API_HOST"), auth=auth)
