"""Request bodies (the seed's fields plus the real API's required ones) and tolerant readers of answers.

Bodies are supersets, so one request suits a server built from the seed document and a real Domino
(Public API 6.2.0). Readers accept both shapes: ``predictionId`` or ``asyncPredictionId``; a status at
``status`` or at ``activeVersion.deployment.status``; ``{"job": {...}}`` or a bare job; and so on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_domino._client.errors import DominoInputError

ASYNC_BODY_LIMIT = 10 * 1024


# --- checks ---------------------------------------------------------------------------------------------


def require_text(field: str, value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DominoInputError(field, "is required and must not be empty")
    if not isinstance(value, str):
        raise DominoInputError(field, f"must be a string, got {type(value).__name__}")
    return value


def optional_text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DominoInputError(field, f"must be a string, got {type(value).__name__}")
    return value


def positive_int(field: str, value: Any, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DominoInputError(field, f"must be an integer, got {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        raise DominoInputError(field, f"must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def _drop_none(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


# --- bodies ---------------------------------------------------------------------------------------------


def version_source(model_file: str, model_function: str) -> dict[str, Any]:
    return {"type": "File", "file": model_file, "function": model_function}


def model_api_body(
    *,
    project_id: str,
    name: str,
    model_file: str,
    model_function: str,
    environment_id: str,
    hardware_tier_id: str | None = None,
    description: str | None = None,
    replicas: int | None = None,
    version_description: str | None = None,
    is_async: bool = False,
    environment_variables: Mapping[str, str] | None = None,
    log_http_request_response: bool = False,
    monitoring_enabled: bool = False,
    commit_id: str | None = None,
) -> dict[str, Any]:
    """Create-Model-API body: the seed's flat fields plus the real API's nested ``version``."""
    require_text("project_id", project_id)
    require_text("name", name)
    require_text("model_file", model_file)
    require_text("model_function", model_function)
    require_text("environment_id", environment_id)
    optional_text("hardware_tier_id", hardware_tier_id)
    description = optional_text("description", description) or ""
    if replicas is not None:
        positive_int("replicas", replicas)
    env = environment_variables or {}
    if not isinstance(env, Mapping):
        raise DominoInputError(
            "environment_variables", f"must be a mapping of names to values, got {type(env).__name__}"
        )
    version = _drop_none(
        {
            "projectId": project_id,
            "source": version_source(model_file, model_function),
            "logHttpRequestResponse": bool(log_http_request_response),
            "monitoringEnabled": bool(monitoring_enabled),
            "description": version_description,
            "environmentId": environment_id,
            "commitId": commit_id,
        }
    )
    return _drop_none(
        {
            "projectId": project_id,
            "name": name,
            "description": description,
            "modelFile": model_file,
            "modelFunction": model_function,
            "environmentId": environment_id,
            "hardwareTierId": hardware_tier_id,
            "replicas": replicas,
            "isAsync": bool(is_async),
            "strictNodeAntiAffinity": False,
            "environmentVariables": [{"name": str(k), "value": str(v)} for k, v in env.items()],
            "version": version,
        }
    )


def version_body(
    *,
    project_id: str,
    model_file: str,
    model_function: str,
    environment_id: str | None = None,
    description: str | None = None,
    log_http_request_response: bool = False,
    monitoring_enabled: bool = False,
    commit_id: str | None = None,
) -> dict[str, Any]:
    """Create-version body: the seed's ``modelFile, modelFunction, environmentId`` plus the real API's."""
    require_text("project_id", project_id)
    require_text("model_file", model_file)
    require_text("model_function", model_function)
    optional_text("environment_id", environment_id)
    optional_text("description", description)
    return _drop_none(
        {
            "modelFile": model_file,
            "modelFunction": model_function,
            "environmentId": environment_id,
            "projectId": project_id,
            "source": version_source(model_file, model_function),
            "logHttpRequestResponse": bool(log_http_request_response),
            "monitoringEnabled": bool(monitoring_enabled),
            "description": description,
            "commitId": commit_id,
        }
    )


def model_api_update_body(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A full-replace PUT body: the current Model API's fields, with ``changes`` (snake_case) merged in."""
    names = {
        "name": "name",
        "description": "description",
        "environment_id": "environmentId",
        "replicas": "replicas",
        "hardware_tier_id": "hardwareTierId",
        "resource_quota_id": "resourceQuotaId",
    }
    unknown = sorted(set(changes) - set(names))
    if unknown:
        raise DominoInputError(unknown[0], "cannot be updated on a Model API", f"updatable fields: {sorted(names)}")
    body = {wire: current.get(wire) for wire in names.values() if current.get(wire) is not None}
    body.setdefault("description", "")
    body.setdefault("replicas", 1)
    for key, value in changes.items():
        if value is not None:
            body[names[key]] = value
    if "replicas" in changes and changes["replicas"] is not None:
        positive_int("replicas", changes["replicas"])
    if "name" in changes and changes["name"] is not None:
        require_text("name", changes["name"])
    return body


def register_model_body(
    *,
    name: str,
    experiment_run_id: str,
    experiment_id: str | None = None,
    artifact_path: str | None = None,
    description: str | None = None,
    project_id: str | None = None,
) -> dict[str, Any]:
    """Register-model body: the seed's ``name, description, source`` plus the real API's ``modelName, ...``."""
    require_text("name", name)
    require_text("experiment_run_id", experiment_run_id)
    description = optional_text("description", description) or ""
    return _drop_none(
        {
            "name": name,
            "description": description,
            "source": _drop_none({"type": "experiment", "experimentId": experiment_id, "runId": experiment_run_id}),
            "modelName": name,
            "create": True,
            "projectId": project_id,
            "modelSource": {
                "sourceType": "mlflow",
                "mlflowSource": _drop_none({"experimentRunId": experiment_run_id, "artifactPath": artifact_path}),
            },
        }
    )


def registered_model_version_body(
    *,
    experiment_run_id: str,
    artifact_path: str | None = None,
    description: str | None = None,
    experiment_id: str | None = None,
) -> dict[str, Any]:
    require_text("experiment_run_id", experiment_run_id)
    description = optional_text("description", description) or ""
    return _drop_none(
        {
            "description": description,
            "experimentRunId": experiment_run_id,
            "artifact": artifact_path or "model",
            "source": _drop_none({"type": "experiment", "experimentId": experiment_id, "runId": experiment_run_id}),
        }
    )


def deployment_body(
    *,
    name: str,
    model_version_id: str | None = None,
    hardware_tier_id: str | None = None,
    replicas: int | None = None,
    description: str | None = None,
    deployment_target_id: str | None = None,
    resource_configuration_id: str | None = None,
    models: Sequence[Mapping[str, Any]] | None = None,
    configuration: Mapping[str, Any] | None = None,
    deployment_type: str | None = None,
) -> dict[str, Any]:
    """Create-deployment body: the seed's fields plus the real API's external-target fields when given."""
    require_text("name", name)
    if model_version_id is None and not models:
        raise DominoInputError("model_version_id", "is required (or give models for an external deployment target)")
    if model_version_id is not None:
        require_text("model_version_id", model_version_id)
    if replicas is not None:
        positive_int("replicas", replicas)
    return _drop_none(
        {
            "name": name,
            "description": description,
            "modelVersionId": model_version_id,
            "hardwareTierId": hardware_tier_id,
            "replicas": replicas,
            "deploymentTargetId": deployment_target_id,
            "resourceConfigurationId": resource_configuration_id,
            "models": list(models) if models is not None else None,
            "configuration": dict(configuration) if configuration is not None else None,
            "deploymentType": deployment_type,
        }
    )


def job_body(
    *,
    project_id: str,
    command: str,
    title: str | None = None,
    hardware_tier: str | None = None,
    environment_id: str | None = None,
    commit_id: str | None = None,
) -> dict[str, Any]:
    require_text("project_id", project_id)
    require_text("command", command)
    return _drop_none(
        {
            "projectId": project_id,
            "runCommand": command,
            "title": optional_text("title", title),
            "hardwareTier": optional_text("hardware_tier", hardware_tier),
            "environmentId": optional_text("environment_id", environment_id),
            "commitId": optional_text("commit_id", commit_id),
        }
    )


def predict_body(data: Any = None, parameters: Any = None) -> dict[str, Any]:
    """``{"data": {...}}`` (keyword arguments) or ``{"parameters": [...]}`` (positional): exactly one."""
    if (data is None) == (parameters is None):
        raise DominoInputError(
            "data", "give exactly one of data (keyword arguments) or parameters (positional arguments)"
        )
    if data is not None:
        if not isinstance(data, Mapping):
            raise DominoInputError("data", f"must be a JSON object (a dict), got {type(data).__name__}")
        body: dict[str, Any] = {"data": dict(data)}
    else:
        if isinstance(parameters, (str, bytes)) or not isinstance(parameters, (Sequence, Mapping)):
            raise DominoInputError("parameters", f"must be a list (or a dict), got {type(parameters).__name__}")
        body = {"parameters": parameters if isinstance(parameters, Mapping) else list(parameters)}
    _check_json("data" if data is not None else "parameters", body)
    return body


def async_prediction_body(parameters: Any) -> dict[str, Any]:
    """``{"parameters": ...}``, refused locally when over Domino's 10 KiB limit."""
    if parameters is None:
        raise DominoInputError("parameters", "is required")
    if not isinstance(parameters, (Mapping, list, tuple)):
        raise DominoInputError("parameters", f"must be a dict or a list, got {type(parameters).__name__}")
    body = {"parameters": dict(parameters) if isinstance(parameters, Mapping) else list(parameters)}
    size = len(_check_json("parameters", body))
    if size > ASYNC_BODY_LIMIT:
        raise DominoInputError(
            "parameters",
            f"the request body is {size} bytes, over Domino's {ASYNC_BODY_LIMIT}-byte limit for async predictions",
            "pass a reference (a file path or URL) to the data instead of the data itself",
        )
    return body


def _check_json(field: str, body: Any) -> bytes:
    try:
        return json.dumps(body, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise DominoInputError(field, f"is not JSON-serialisable ({exc})") from None


# --- readers ------------------------------------------------------------------------------------------


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _first_text(obj: Any, *paths: tuple[str, ...]) -> str | None:
    for path in paths:
        value = _dig(obj, *path)
        if isinstance(value, str) and value:
            return value
    return None


def model_api_status(model_api: Mapping[str, Any]) -> str | None:
    """``status`` (seed) or ``activeVersion.deployment.status`` (real API)."""
    return _first_text(model_api, ("status",), ("activeVersion", "deployment", "status"), ("deployment", "status"))


def version_status(version: Mapping[str, Any]) -> str | None:
    return _first_text(version, ("status",), ("deployment", "status"), ("status", "status"))


def active_version_id(model_api: Mapping[str, Any]) -> str | None:
    return _first_text(model_api, ("activeVersion", "id"), ("activeVersionId",), ("versionId",))


def model_url(model_api: Mapping[str, Any], base_url: str) -> str:
    """The model's sync-call URL: the seed's ``url``, else ``{base}/models/{id}/latest/model``."""
    url = model_api.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url
    return f"{base_url}/models/{model_api.get('id')}/latest/model"


def version_project_id(version: Mapping[str, Any]) -> str | None:
    return _first_text(version, ("projectId",), ("project", "id"))


def version_description(version: Mapping[str, Any]) -> str:
    return _first_text(version, ("description",), ("metadata", "description")) or ""


def version_number(version: Mapping[str, Any]) -> int:
    value = version.get("number")
    return value if isinstance(value, int) else 0


def prediction_id(body: Mapping[str, Any]) -> str | None:
    return _first_text(body, ("asyncPredictionId",), ("predictionId",), ("id",))


def prediction_status(body: Mapping[str, Any]) -> str | None:
    return _first_text(body, ("status",))


def prediction_errors(body: Mapping[str, Any]) -> list[str]:
    errors = body.get("errors")
    if isinstance(errors, list):
        return [e if isinstance(e, str) else json.dumps(e) for e in errors]
    single = body.get("error")
    if single:
        return [single if isinstance(single, str) else json.dumps(single)]
    return []


def job(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The job object of ``{"job": {...}}`` (real API) or a bare job."""
    inner = body.get("job")
    return inner if isinstance(inner, Mapping) else body


def job_id(body: Mapping[str, Any]) -> str | None:
    return _first_text(job(body), ("id",), ("jobId",), ("runId",))


def job_status(body: Mapping[str, Any]) -> str | None:
    j = job(body)
    return _first_text(j, ("status", "executionStatus"), ("status",), ("executionStatus",))


def job_log_text(body: Mapping[str, Any], log_types: Sequence[str] | None = ("stdOut", "stdErr")) -> str:
    """The job's log lines as text, keeping only ``log_types`` (``None`` keeps all)."""
    content = _dig(body, "logs", "logContent")
    if content is None:
        content = body.get("logContent")
    if not isinstance(content, list):
        return ""
    wanted = {t.lower() for t in log_types} if log_types else None
    lines = []
    for entry in content:
        if not isinstance(entry, Mapping):
            continue
        if wanted is not None and str(entry.get("logType", "")).lower() not in wanted:
            continue
        lines.append(str(entry.get("log", "")).rstrip("\n"))
    return "\n".join(lines)


def job_problem(body: Mapping[str, Any]) -> str | None:
    return _first_text(body, ("logs", "problem"), ("problem",))


def deployment_status(deployment: Mapping[str, Any]) -> str | None:
    """``status.state`` (real API) or ``status`` (seed)."""
    return _first_text(deployment, ("status", "state"), ("status",), ("state",))


def build_log_lines(body: Any) -> list[str]:
    """Lines of a build / export / instance log answer, whatever its shape."""
    if isinstance(body, str):
        return body.splitlines()
    entries = body.get("logs") if isinstance(body, Mapping) else body
    if isinstance(entries, str):
        return entries.splitlines()
    if not isinstance(entries, list):
        return []
    out: list[str] = []
    for entry in entries:
        if isinstance(entry, Mapping):
            out.extend(str(entry.get("log", entry.get("message", ""))).rstrip("\n").splitlines() or [""])
        else:
            out.append(str(entry))
    return out


def registered_model_and_version(body: Mapping[str, Any], fallback_name: str) -> tuple[str, int | None]:
    """``(model name, version)`` from a register / create-version answer of either shape."""
    name = (
        _first_text(body, ("registeredModel", "name"), ("modelVersion", "modelName"), ("modelName",), ("name",))
        or fallback_name
    )
    version: Any = None
    for path in (
        ("modelVersion", "modelVersion"),
        ("modelVersion", "version"),
        ("modelVersion",),
        ("version",),
        ("latestVersion",),
    ):
        value = _dig(body, *path)
        if isinstance(value, int) and not isinstance(value, bool):
            version = value
            break
    return name, version
