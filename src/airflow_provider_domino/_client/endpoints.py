"""Every endpoint the client calls, as one row of data each: method, path template, success codes, auth.

The seed document's endpoints, plus Jobs (the training step) and the job list (for finding what an earlier
try started). Path parameters are percent-encoded by :mod:`.wire`, never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Auth = Literal["platform", "model_basic", "model_bearer"]
Pagination = Literal["offset", "token"] | None
Expect = Literal["json", "text", "none"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    ok: tuple[int, ...] = (200,)
    auth: Auth = "platform"
    #: A POST that is safe to repeat (start/stop); by default only GET/HEAD/PUT/DELETE/OPTIONS are.
    idempotent_post: bool = False
    #: A POST that creates something: a lost answer is reported as an unknown outcome, not retried.
    creates: bool = False
    pagination: Pagination = None
    expect: Expect = "json"

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS or self.idempotent_post


_MA = "/api/modelServing/v1/modelApis"
_MV = _MA + "/{model_api_id}/versions/{version_id}"
_MD = "/api/modelServing/v1/modelDeployments"
_RM = "/api/registeredmodels/v1/{model_name}"

_ROWS = [
    # Model APIs
    Endpoint("list_model_apis", "GET", _MA, pagination="offset"),
    Endpoint("create_model_api", "POST", _MA, ok=(200, 201), creates=True),
    Endpoint("get_model_api", "GET", _MA + "/{model_api_id}"),
    Endpoint("update_model_api", "PUT", _MA + "/{model_api_id}"),
    Endpoint("delete_model_api", "DELETE", _MA + "/{model_api_id}", ok=(200, 202, 204), expect="none"),
    # Model API versions and their logs
    # Not paginated in the real API: it answers the whole array whatever offset and limit say.
    Endpoint("list_model_api_versions", "GET", _MA + "/{model_api_id}/versions"),
    Endpoint("create_model_api_version", "POST", _MA + "/{model_api_id}/versions", ok=(200, 201), creates=True),
    Endpoint("get_model_api_version", "GET", _MV),
    Endpoint("get_build_logs", "GET", _MV + "/buildLogs"),
    Endpoint("get_export_logs", "GET", _MV + "/exportLogs"),
    Endpoint("get_instance_logs", "GET", _MV + "/instanceLogs"),
    # Model Deployments
    Endpoint("list_deployments", "GET", _MD, pagination="offset"),
    Endpoint("create_deployment", "POST", _MD, ok=(200, 201), creates=True),
    Endpoint("get_deployment", "GET", _MD + "/{deployment_id}"),
    Endpoint("update_deployment", "PATCH", _MD + "/{deployment_id}"),
    Endpoint("delete_deployment", "DELETE", _MD + "/{deployment_id}", ok=(200, 202, 204), expect="none"),
    Endpoint(
        "start_deployment",
        "POST",
        _MD + "/{deployment_id}/start",
        ok=(200, 202, 204),
        idempotent_post=True,
        expect="none",
    ),
    Endpoint(
        "stop_deployment",
        "POST",
        _MD + "/{deployment_id}/stop",
        ok=(200, 202, 204),
        idempotent_post=True,
        expect="none",
    ),
    Endpoint("get_deployment_logs", "GET", _MD + "/{deployment_id}/logs/{log_suffix}", expect="text"),
    Endpoint("get_deployment_credentials", "GET", _MD + "/{deployment_id}/credentials"),
    # Model Registry
    Endpoint("list_registered_models", "GET", "/api/registeredmodels/v2", pagination="token"),
    Endpoint("register_model", "POST", "/api/registeredmodels/v2", ok=(200, 201), creates=True),
    Endpoint("get_registered_model", "GET", _RM),
    Endpoint("update_registered_model", "PATCH", _RM),
    Endpoint("list_registered_model_versions", "GET", _RM + "/versions", pagination="offset"),
    Endpoint("create_registered_model_version", "POST", _RM + "/versions", ok=(200, 201), creates=True),
    Endpoint("get_registered_model_version", "GET", _RM + "/versions/{version}"),
    Endpoint("list_registered_model_version_model_apis", "GET", _RM + "/versions/{version}/modelapis"),
    # Calling models: only the model access token, never the platform credential
    Endpoint("predict", "POST", "/models/{model_api_id}/latest/model", auth="model_basic"),
    Endpoint(
        "submit_async_prediction",
        "POST",
        "/api/modelApis/async/v1/{model_api_id}",
        auth="model_bearer",
        creates=True,
    ),
    Endpoint(
        "get_async_prediction",
        "GET",
        "/api/modelApis/async/v1/{model_api_id}/{prediction_id}",
        auth="model_bearer",
    ),
    # Jobs (the training step)
    Endpoint("start_job", "POST", "/api/jobs/v1/jobs", creates=True),
    Endpoint("list_jobs", "GET", "/api/jobs/beta/jobs", pagination="offset"),
    Endpoint("get_job", "GET", "/api/jobs/beta/jobs/{job_id}"),
    Endpoint("get_job_logs", "GET", "/api/jobs/beta/jobs/{job_id}/logs"),
    # Domino's documented stop call (the one its Python SDK uses); the body names the job.
    Endpoint("stop_job", "POST", "/v4/jobs/stop", ok=(200, 202, 204), idempotent_post=True, expect="none"),
    # The public API's stop call, by job id alone (when the project is not known).
    Endpoint(
        "stop_job_by_id",
        "POST",
        "/api/jobs/v1/jobs/{job_id}/stop",
        ok=(200, 202, 204),
        idempotent_post=True,
        expect="none",
    ),
]

ENDPOINTS: dict[str, Endpoint] = {row.name: row for row in _ROWS}
