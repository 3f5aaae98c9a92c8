"""Airflow Assets (Datasets on Airflow 2.11) for what the provider produces, so DAGs can be scheduled on them.

``domino://models/<registered model name>`` is updated by the operators that register a model version;
``domino://model-apis/<project id>/<Model API name>`` by the one that deploys a Model API. Names are
percent-encoded (registered model names may hold spaces).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def _part(value: str) -> str:
    return quote(value, safe="")


def registered_model_uri(model_name: str) -> str:
    return f"domino://models/{_part(model_name)}"


def model_api_uri(project_id: str, name: str) -> str:
    return f"domino://model-apis/{_part(project_id)}/{_part(name)}"


def registered_model_asset(model_name: str) -> Any:
    """The Asset a new version of registered model ``model_name`` updates."""
    from airflow.providers.common.compat.sdk import Asset

    return Asset(registered_model_uri(model_name))


def model_api_asset(project_id: str, name: str) -> Any:
    """The Asset a deployment of Model API ``name`` in ``project_id`` updates."""
    from airflow.providers.common.compat.sdk import Asset

    return Asset(model_api_uri(project_id, name))


def is_literal(*values: Any) -> bool:
    """Whether every value is a plain string known at parse time (not a template, not an XComArg)."""
    return all(isinstance(v, str) and v and "{{" not in v and "{%" not in v for v in values)
