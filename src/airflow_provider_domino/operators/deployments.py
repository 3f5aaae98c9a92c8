"""Operators for Model Deployments: create, start, stop, delete."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.errors import DominoNotFoundError, DominoOutcomeUnknownError
from airflow_provider_domino._client.wire import check_id
from airflow_provider_domino.operators._base import (
    DominoBaseOperator,
    check_positive_number,
    has_marker,
    refused_input,
    task_marker,
    with_marker,
)


def find_marked_deployment(hook: Any, name: str, marker: str) -> Mapping[str, Any] | None:
    for deployment in hook.iter_deployments(name=name):
        if deployment.get("name") == name and has_marker(deployment.get("description"), marker):
            return deployment
    return None


class CreateDeploymentOperator(DominoBaseOperator):
    """Create a Model Deployment of a model version. Retry-safe: a retried try finds the deployment its
    task instance created (by name and the marker in its description). Returns ``{"deployment_id", "status"}``.

    .. code-block:: python

        CreateDeploymentOperator(
            task_id="create_deployment", name="churn-prod", model_version_id="version-123",
            hardware_tier_id="medium", replicas=2,
        )
    """

    template_fields: Sequence[str] = (
        "name",
        "model_version_id",
        "hardware_tier_id",
        "replicas",
        "description",
        "deployment_target_id",
        "resource_configuration_id",
        "models",
        "configuration",
    )

    def __init__(
        self,
        *,
        name: str,
        model_version_id: str | None = None,
        hardware_tier_id: str | None = None,
        replicas: int | None = None,
        description: str = "",
        deployment_target_id: str | None = None,
        resource_configuration_id: str | None = None,
        models: list[dict[str, Any]] | None = None,
        configuration: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.model_version_id = model_version_id
        self.hardware_tier_id = hardware_tier_id
        self.replicas = replicas
        self.description = description
        self.deployment_target_id = deployment_target_id
        self.resource_configuration_id = resource_configuration_id
        self.models = models
        self.configuration = configuration

    def execute(self, context: Any) -> dict[str, Any]:
        marker = task_marker(context)
        with refused_input():
            fields: dict[str, Any] = {
                "name": self.name,
                "model_version_id": self.model_version_id,
                "hardware_tier_id": self.hardware_tier_id,
                "replicas": self.replicas,
                "description": with_marker(self.description, marker),
                "deployment_target_id": self.deployment_target_id,
                "resource_configuration_id": self.resource_configuration_id,
                "models": self.models,
                "configuration": self.configuration,
            }
            shapes.deployment_body(**fields)
        deployment = find_marked_deployment(self.hook, self.name, marker)
        if deployment is not None:
            self.log.info("Found deployment %s made by an earlier try of this task", deployment["id"])
        else:
            try:
                deployment = self.hook.create_deployment(**fields)
            except DominoOutcomeUnknownError as exc:
                self.log.warning("Creating deployment %s: %s; looking it up", self.name, exc)
                deployment = find_marked_deployment(self.hook, self.name, marker)
                if deployment is None:
                    raise AirflowException(f"Deployment {self.name} was not created: {exc}") from exc
            self.log.info("Created deployment %s (%s)", self.name, deployment["id"])
        return {"deployment_id": str(deployment["id"]), "status": shapes.deployment_status(deployment)}


class _DeploymentStateOperator(DominoBaseOperator):
    """Start or stop a deployment, then (optionally) wait for its state."""

    template_fields: Sequence[str] = ("deployment_id",)
    action = ""
    target = ""
    #: A failure status the deployment may still report for a moment after the request, which Domino
    #: applies asynchronously (start answers 204); :meth:`grace_seconds` says for how long.
    lagging_status = ""

    def __init__(self, *, deployment_id: str, wait: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deployment_id = deployment_id
        self.wait = wait

    def grace_seconds(self) -> float:
        """How long after the request :attr:`lagging_status` still counts as pending (its argument checked)."""
        return 0.0

    def execute(self, context: Any) -> dict[str, Any]:
        with refused_input():
            check_id("deployment_id", self.deployment_id)
            self.check_wait_settings()
            grace = self.grace_seconds()
        asked_at = time.time()
        getattr(self.hook, f"{self.action}_deployment")(self.deployment_id)
        self.log.info("Asked Domino to %s deployment %s", self.action, self.deployment_id)
        pending_until = {self.lagging_status: asked_at + grace} if grace else {}

        def fetch() -> str | None:
            return shapes.deployment_status(self.hook.get_deployment(self.deployment_id))

        if not self.wait:
            return {"deployment_id": self.deployment_id, "status": fetch()}
        if self.deferrable:
            current = fetch()
            if statuses.matches(current, (self.target,)):
                return {"deployment_id": self.deployment_id, "status": current}
            from airflow_provider_domino.triggers import DeploymentTrigger

            self.defer_to(
                DeploymentTrigger(
                    domino_conn_id=self.domino_conn_id,
                    poll_interval=self.poll_interval,
                    target_statuses=(self.target,),
                    pending_until=pending_until,
                    deployment_id=self.deployment_id,
                )
            )
        status = self.wait_for_status(
            fetch, "deployment", (self.target,), f"deployment {self.deployment_id}", pending_until=pending_until
        )
        return {"deployment_id": self.deployment_id, "status": status}

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        event = self.event_or_fail(event, f"deployment {self.deployment_id}")
        return {"deployment_id": self.deployment_id, "status": event.get("domino_status")}


class StartDeploymentOperator(_DeploymentStateOperator):
    """Start a Model Deployment and (with ``wait_for_running=True``) wait until it is ``RUNNING``.

    Returns ``{"deployment_id", "status"}``.

    :param start_grace_seconds: Domino applies a start request asynchronously (it answers 204), so the
        deployment may still report ``STOPPED`` for a moment afterwards. For this long after the request,
        ``STOPPED`` counts as not started yet; after it, as a failure. Default 60; 0 fails at once.

    .. code-block:: python

        StartDeploymentOperator(task_id="start", deployment_id="{{ ti.xcom_pull('create_deployment')['deployment_id'] }}")
    """

    action = "start"
    target = "RUNNING"
    lagging_status = "STOPPED"

    def __init__(
        self, *, deployment_id: str, wait_for_running: bool = True, start_grace_seconds: float = 60.0, **kwargs: Any
    ) -> None:
        super().__init__(deployment_id=deployment_id, wait=wait_for_running, **kwargs)
        self.start_grace_seconds = start_grace_seconds

    def grace_seconds(self) -> float:
        return check_positive_number("start_grace_seconds", self.start_grace_seconds, allow_zero=True)

    def on_kill(self) -> None:
        """Stopping a half-started deployment would be surprising; it is left as it is."""


class StopDeploymentOperator(_DeploymentStateOperator):
    """Stop a Model Deployment and (with ``wait_for_stopped=True``) wait until it is ``STOPPED``.

    Returns ``{"deployment_id", "status"}``.
    """

    action = "stop"
    target = "STOPPED"

    def __init__(self, *, deployment_id: str, wait_for_stopped: bool = True, **kwargs: Any) -> None:
        super().__init__(deployment_id=deployment_id, wait=wait_for_stopped, **kwargs)


class DeleteDeploymentOperator(DominoBaseOperator):
    """Delete a Model Deployment (already gone counts as deleted unless ``ignore_missing=False``).

    Returns ``{"deployment_id", "deleted"}``.
    """

    template_fields: Sequence[str] = ("deployment_id",)

    def __init__(self, *, deployment_id: str, ignore_missing: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deployment_id = deployment_id
        self.ignore_missing = ignore_missing

    def execute(self, context: Any) -> dict[str, Any]:
        with refused_input():
            check_id("deployment_id", self.deployment_id)
        try:
            self.hook.delete_deployment(self.deployment_id)
        except DominoNotFoundError:
            if not self.ignore_missing:
                raise
            return {"deployment_id": self.deployment_id, "deleted": False}
        self.log.info("Deleted deployment %s", self.deployment_id)
        return {"deployment_id": self.deployment_id, "deleted": True}
