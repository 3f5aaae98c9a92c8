"""One method per Domino endpoint, written once for the sync hook and the async hook alike.

Each method builds a :class:`~.wire.Request` and hands it to ``self._send`` with an optional function that
shapes the answer. The sync hook's ``_send`` returns the result; the async hook's returns an awaitable of
it. So ``hook.get_model_api(id)`` and ``await async_hook.get_model_api(id)`` run the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow_provider_domino._client import shapes, wire
from airflow_provider_domino._client.config import Settings

DEFAULT_PAGE_SIZE = 100
LOG_TYPES = ("stdOut", "stdErr", "prepareOutput", "complete")


class DominoApi:
    """Endpoint methods. Subclasses provide :attr:`settings` and :meth:`_send`."""

    @property
    def settings(self) -> Settings:  # pragma: no cover - provided by subclasses
        raise NotImplementedError

    def _send(self, request: wire.Request, shape: Callable[[Any], Any] | None = None) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _request(self, endpoint: str, path_params: Mapping[str, Any] | None = None, **kwargs: Any) -> wire.Request:
        return wire.build(self.settings, endpoint, path_params, **kwargs)

    def _list(
        self,
        endpoint: str,
        path_params: Mapping[str, Any] | None,
        params: Mapping[str, Any],
        offset: int,
        limit: int,
    ) -> Any:
        """One page of a list endpoint, as a list of items whatever the envelope."""
        shapes.positive_int("offset", offset, allow_zero=True)
        shapes.positive_int("limit", limit)
        query = wire.first_page_params(wire.ENDPOINTS[endpoint], {**params, "offset": offset, "limit": limit}, limit)
        request = self._request(endpoint, path_params, params=query)
        return self._send(request, lambda body: wire.page_items(body, request))

    # --- Model APIs -----------------------------------------------------------------------------------

    def list_model_apis(
        self,
        project_id: str | None = None,
        *,
        name: str | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Any:
        """One page of Model APIs (optionally of one project, or with one name)."""
        return self._list("list_model_apis", None, {"projectId": project_id, "name": name}, offset, limit)

    def create_model_api(self, **fields: Any) -> Any:
        """Create a Model API and its first version (see :func:`.shapes.model_api_body` for the fields)."""
        return self._send(self._request("create_model_api", json_body=shapes.model_api_body(**fields)))

    def get_model_api(self, model_api_id: str) -> Any:
        return self._send(self._request("get_model_api", {"model_api_id": model_api_id}))

    def put_model_api(self, model_api_id: str, body: Mapping[str, Any]) -> Any:
        """Replace a Model API's settings with ``body`` (a full body; :meth:`update_model_api` merges)."""
        return self._send(self._request("update_model_api", {"model_api_id": model_api_id}, json_body=dict(body)))

    def delete_model_api(self, model_api_id: str) -> Any:
        """Delete (archive) a Model API."""
        return self._send(self._request("delete_model_api", {"model_api_id": model_api_id}))

    # --- versions and logs ------------------------------------------------------------------------------

    def list_model_api_versions(self, model_api_id: str) -> Any:
        """Every version of a Model API (the endpoint is not paginated)."""
        request = self._request("list_model_api_versions", {"model_api_id": model_api_id})
        return self._send(request, lambda body: wire.page_items(body, request))

    def post_model_api_version(self, model_api_id: str, **fields: Any) -> Any:
        """Create a version from complete fields (``project_id`` included; see :func:`.shapes.version_body`)."""
        body = shapes.version_body(**fields)
        return self._send(self._request("create_model_api_version", {"model_api_id": model_api_id}, json_body=body))

    def get_model_api_version(self, model_api_id: str, version_id: str) -> Any:
        return self._send(
            self._request("get_model_api_version", {"model_api_id": model_api_id, "version_id": version_id})
        )

    def get_build_logs(self, model_api_id: str, version_id: str) -> Any:
        return self._send(self._request("get_build_logs", {"model_api_id": model_api_id, "version_id": version_id}))

    def get_export_logs(self, model_api_id: str, version_id: str) -> Any:
        return self._send(self._request("get_export_logs", {"model_api_id": model_api_id, "version_id": version_id}))

    def get_instance_logs(self, model_api_id: str, version_id: str, *, tail: int | None = None) -> Any:
        params = {"tail": shapes.positive_int("tail", tail) if tail is not None else None}
        path = {"model_api_id": model_api_id, "version_id": version_id}
        return self._send(self._request("get_instance_logs", path, params=params))

    # --- Model Deployments --------------------------------------------------------------------------------

    def list_deployments(
        self,
        *,
        name: str | None = None,
        project_id: str | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Any:
        return self._list("list_deployments", None, {"name": name, "projectId": project_id}, offset, limit)

    def create_deployment(self, **fields: Any) -> Any:
        """Create a Model Deployment (see :func:`.shapes.deployment_body` for the fields)."""
        return self._send(self._request("create_deployment", json_body=shapes.deployment_body(**fields)))

    def get_deployment(self, deployment_id: str) -> Any:
        return self._send(self._request("get_deployment", {"deployment_id": deployment_id}))

    def update_deployment(self, deployment_id: str, changes: Mapping[str, Any]) -> Any:
        """PATCH a deployment with ``changes`` (wire field names, e.g. ``{"replicas": 3}``)."""
        if not isinstance(changes, Mapping) or not changes:
            raise shapes.DominoInputError("changes", "must be a non-empty mapping of fields to new values")
        return self._send(self._request("update_deployment", {"deployment_id": deployment_id}, json_body=dict(changes)))

    def delete_deployment(self, deployment_id: str) -> Any:
        return self._send(self._request("delete_deployment", {"deployment_id": deployment_id}))

    def start_deployment(self, deployment_id: str) -> Any:
        return self._send(self._request("start_deployment", {"deployment_id": deployment_id}))

    def stop_deployment(self, deployment_id: str) -> Any:
        return self._send(self._request("stop_deployment", {"deployment_id": deployment_id}))

    def get_deployment_logs(self, deployment_id: str, log_suffix: str = "logs") -> Any:
        path = {"deployment_id": deployment_id, "log_suffix": log_suffix}
        return self._send(self._request("get_deployment_logs", path))

    def get_deployment_credentials(self, deployment_id: str) -> Any:
        return self._send(self._request("get_deployment_credentials", {"deployment_id": deployment_id}))

    # --- Model Registry -----------------------------------------------------------------------------------

    def list_registered_models(
        self,
        *,
        name: str | None = None,
        project_id: str | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Any:
        """One page of registered models; ``name`` filters (the seed's ``name``, the API's ``searchPattern``)."""
        params = {"name": name, "searchPattern": name, "projectId": project_id}
        return self._list("list_registered_models", None, params, offset, limit)

    def register_model(self, **fields: Any) -> Any:
        """Register a model (see :func:`.shapes.register_model_body`)."""
        return self._send(self._request("register_model", json_body=shapes.register_model_body(**fields)))

    def get_registered_model(self, model_name: str) -> Any:
        return self._send(self._request("get_registered_model", {"model_name": model_name}))

    def update_registered_model(self, model_name: str, changes: Mapping[str, Any]) -> Any:
        if not isinstance(changes, Mapping) or not changes:
            raise shapes.DominoInputError("changes", "must be a non-empty mapping of fields to new values")
        return self._send(self._request("update_registered_model", {"model_name": model_name}, json_body=dict(changes)))

    def list_registered_model_versions(
        self, model_name: str, *, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE
    ) -> Any:
        return self._list("list_registered_model_versions", {"model_name": model_name}, {}, offset, limit)

    def create_registered_model_version(self, model_name: str, **fields: Any) -> Any:
        body = shapes.registered_model_version_body(**fields)
        return self._send(self._request("create_registered_model_version", {"model_name": model_name}, json_body=body))

    def get_registered_model_version(self, model_name: str, version: int | str) -> Any:
        path = {"model_name": model_name, "version": version}
        return self._send(self._request("get_registered_model_version", path))

    def list_registered_model_version_model_apis(self, model_name: str, version: int | str) -> Any:
        """The Model APIs deployed from one registered model version."""
        request = self._request(
            "list_registered_model_version_model_apis", {"model_name": model_name, "version": version}
        )
        return self._send(request, lambda body: wire.page_items(body, request))

    # --- calling models -------------------------------------------------------------------------------------

    def predict(
        self,
        model_api_id: str | None = None,
        *,
        data: Mapping[str, Any] | None = None,
        parameters: Sequence[Any] | None = None,
        url: str | None = None,
        access_token: str | None = None,
    ) -> Any:
        """Call a model synchronously (Basic auth with the model access token). Answers Domino's whole body."""
        if url is None and model_api_id is None:
            raise shapes.DominoInputError("model_api_id", "give model_api_id or model_url")
        body = shapes.predict_body(data, parameters)
        path = None if url is not None else {"model_api_id": model_api_id}
        request = self._request("predict", path, json_body=body, url=url, model_token=access_token)
        return self._send(request)

    def submit_async_prediction(
        self,
        model_api_id: str,
        parameters: Mapping[str, Any] | Sequence[Any],
        *,
        access_token: str | None = None,
    ) -> Any:
        body = shapes.async_prediction_body(parameters)
        request = self._request(
            "submit_async_prediction",
            {"model_api_id": model_api_id},
            json_body=body,
            model_token=access_token,
        )
        return self._send(request)

    def get_async_prediction(self, model_api_id: str, prediction_id: str, *, access_token: str | None = None) -> Any:
        path = {"model_api_id": model_api_id, "prediction_id": prediction_id}
        return self._send(self._request("get_async_prediction", path, model_token=access_token))

    # --- Jobs -----------------------------------------------------------------------------------------------

    def start_job(self, **fields: Any) -> Any:
        """Start a job (``project_id``, ``command``, optional ``title``, ``hardware_tier``, ``environment_id``)."""
        return self._send(self._request("start_job", json_body=shapes.job_body(**fields)))

    def list_jobs(self, project_id: str, *, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE) -> Any:
        shapes.require_text("project_id", project_id)
        return self._list("list_jobs", None, {"projectId": project_id}, offset, limit)

    def get_job(self, job_id: str) -> Any:
        return self._send(self._request("get_job", {"job_id": job_id}))

    def get_job_logs(self, job_id: str, *, log_type: str | None = None) -> Any:
        if log_type is not None and log_type not in LOG_TYPES:
            raise shapes.DominoInputError("log_type", f"unknown log type {log_type!r}", f"use one of {list(LOG_TYPES)}")
        return self._send(self._request("get_job_logs", {"job_id": job_id}, params={"logType": log_type}))

    def stop_job(self, job_id: str, project_id: str | None = None, *, commit_results: bool = False) -> Any:
        """Stop a job: Domino's ``/v4/jobs/stop`` when the project is known, else the public API's
        ``/api/jobs/v1/jobs/{id}/stop``."""
        wire.check_id("job_id", job_id)
        if project_id is None:
            return self._send(
                self._request("stop_job_by_id", {"job_id": job_id}, json_body={"commitResults": commit_results})
            )
        body = {
            "projectId": shapes.require_text("project_id", project_id),
            "jobId": job_id,
            "commitResults": commit_results,
        }
        return self._send(self._request("stop_job", json_body=body))
