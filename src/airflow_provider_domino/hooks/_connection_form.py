"""The ``domino`` connection's extra fields: one table, every form Airflow asks for.

Airflow 3.2+ reads the declarative ``conn-fields`` / ``ui-field-behaviour`` from the provider info;
Airflow 2.11 calls the hook's ``get_connection_form_widgets()`` / ``get_ui_field_behaviour()``. Both
are generated here from :data:`EXTRA_FIELDS`. The defaults themselves, and the parsing of the values,
belong to the client settings (``_client.config``), which this table reads, so none is written twice.

This module must stay cheap and free of Airflow imports: the provider info imports it at every
``ProvidersManager`` start. The web-form libraries are imported lazily, only on Airflow 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_domino._client.config import AUTH_TYPES
from airflow_provider_domino._client.config import DEFAULTS as _CLIENT_DEFAULTS

CONN_TYPE = "domino"
HOOK_NAME = "Domino"

Kind = Literal["string", "password", "enum", "integer", "number", "tls", "url"]


@dataclass(frozen=True)
class ExtraField:
    """One key of ``Connection.extra``: its label, type, default and help text."""

    name: str
    label: str
    kind: Kind
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    placeholder: str | None = None


EXTRA_FIELDS: tuple[ExtraField, ...] = (
    ExtraField(
        "auth_type",
        "Auth type",
        "enum",
        _CLIENT_DEFAULTS["auth_type"],
        "api_key: send the password as X-Domino-Api-Key. bearer: send it as Authorization: Bearer.",
        choices=tuple(AUTH_TYPES),
    ),
    ExtraField(
        "token_file",
        "Token file",
        "string",
        None,
        "Path of a file whose first line is a bearer token, re-read on every request "
        "(Domino refreshes it). Used instead of the password.",
    ),
    ExtraField(
        "model_access_token",
        "Model access token",
        "password",
        None,
        "Access token of the Model APIs to call for predictions. Model calls carry only this token.",
    ),
    ExtraField(
        "timeout",
        "Read timeout (seconds)",
        "number",
        _CLIENT_DEFAULTS["timeout"],
        "Seconds to wait for a response.",
        minimum=0,
    ),
    ExtraField(
        "connect_timeout",
        "Connect timeout (seconds)",
        "number",
        _CLIENT_DEFAULTS["connect_timeout"],
        "Seconds to wait for the TCP and TLS connection.",
        minimum=0,
    ),
    ExtraField(
        "verify",
        "TLS verification",
        "tls",
        _CLIENT_DEFAULTS["verify"],
        "true (default), false, or the path of a CA bundle to verify the server with.",
    ),
    ExtraField(
        "max_retries",
        "Max retries",
        "integer",
        _CLIENT_DEFAULTS["max_retries"],
        "How many times a failed call is retried (connection errors, 429, 5xx) before giving up.",
        minimum=0,
    ),
    ExtraField(
        "retry_backoff",
        "Retry backoff (seconds)",
        "number",
        _CLIENT_DEFAULTS["retry_backoff"],
        "Base of the exponential wait between retries; Retry-After from the server wins.",
        minimum=0,
    ),
    ExtraField(
        "ui_url",
        "Domino UI URL",
        "url",
        None,
        "Base URL of the Domino web UI for the task's links, when it differs from the host.",
        placeholder="https://domino.example.com",
    ),
)

#: Default of every field of the form (``None``: not set), as the client settings define them.
DEFAULTS: Mapping[str, Any] = {f.name: f.default for f in EXTRA_FIELDS}

HIDDEN_FIELDS: tuple[str, ...] = ("schema", "login", "port")
RELABELING: Mapping[str, str] = {"host": "Domino host", "password": "API key or token"}
STANDARD_PLACEHOLDERS: Mapping[str, str] = {
    "host": "https://domino.example.com",
    "password": "Domino API key (or bearer token with auth_type=bearer)",
}


def _placeholders() -> dict[str, str]:
    extra = {f.name: f.placeholder for f in EXTRA_FIELDS if f.placeholder is not None}
    return {**STANDARD_PLACEHOLDERS, **extra}


def _json_schema(field: ExtraField) -> dict[str, Any]:
    json_type = {"integer": "integer", "number": "number"}.get(field.kind, "string")
    schema: dict[str, Any] = {"type": [json_type, "null"]}
    if field.kind == "password":
        schema["format"] = "password"
    elif field.kind == "url":
        schema["format"] = "url"
    elif field.kind == "enum":
        schema["enum"] = list(field.choices)
    if field.minimum is not None:
        schema["minimum"] = field.minimum
    if field.default is not None:
        # The form edits ``verify`` as text ("true", "false" or a path).
        schema["default"] = str(field.default).lower() if field.kind == "tls" else field.default
    return schema


def conn_fields() -> dict[str, Any]:
    """The ``conn-fields`` of the provider info (Airflow 3.2+ connection form)."""
    return {f.name: {"label": f.label, "description": f.description, "schema": _json_schema(f)} for f in EXTRA_FIELDS}


def ui_field_behaviour() -> dict[str, Any]:
    """The ``ui-field-behaviour`` of the provider info (Airflow 3.2+ connection form)."""
    return {
        "hidden-fields": list(HIDDEN_FIELDS),
        "relabeling": dict(RELABELING),
        "placeholders": _placeholders(),
    }


def legacy_ui_field_behaviour() -> dict[str, Any]:
    """What the hook's ``get_ui_field_behaviour()`` returns (Airflow 2.11 connection form)."""
    return {
        "hidden_fields": list(HIDDEN_FIELDS),
        "relabeling": dict(RELABELING),
        "placeholders": _placeholders(),
    }


def connection_form_widgets() -> dict[str, Any]:
    """What the hook's ``get_connection_form_widgets()`` returns (Airflow 2.11 connection form).

    Airflow accepts only String, Password, Integer and Boolean fields, so numbers are text fields
    checked by a pattern; the client settings convert the stored text.
    """
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import IntegerField, PasswordField, StringField
    from wtforms.validators import AnyOf, NumberRange, Optional, Regexp

    widgets: dict[str, Any] = {}
    for f in EXTRA_FIELDS:
        label = lazy_gettext(f.label)
        common: dict[str, Any] = {"description": f.description}
        if f.default is not None:
            common["default"] = str(f.default).lower() if f.kind == "tls" else f.default
        if f.kind == "password":
            widgets[f.name] = PasswordField(label, widget=BS3PasswordFieldWidget(), **common)
        elif f.kind == "integer":
            widgets[f.name] = IntegerField(
                label,
                validators=[Optional(), NumberRange(min=f.minimum)],
                widget=BS3TextFieldWidget(),
                **common,
            )
        else:
            validators: list[Any] = [Optional()]
            if f.kind == "enum":
                validators.append(AnyOf(list(f.choices)))
            elif f.kind == "number":
                validators.append(Regexp(r"^\s*\d+(\.\d*)?\s*$", message="Enter a number of seconds."))
            widgets[f.name] = StringField(label, validators=validators, widget=BS3TextFieldWidget(), **common)
    return widgets
