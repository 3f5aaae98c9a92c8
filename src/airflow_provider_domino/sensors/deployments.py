"""DeploymentSensor: wait for a Model Deployment's state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.wire import check_id
from airflow_provider_domino.sensors._base import DominoBaseSensor


class DeploymentSensor(DominoBaseSensor):
    """Wait until a Model Deployment is in ``target_state`` (``RUNNING`` by default); fail at once on a
    failure state. Poke, reschedule and deferrable modes.

    .. code-block:: python

        DeploymentSensor(task_id="wait_deployment", deployment_id="{{ params.deployment_id }}", mode="reschedule")
    """

    template_fields: Sequence[str] = ("deployment_id", "target_state")
    ui_color = "#b3cde3"

    def __init__(self, *, deployment_id: str, target_state: str = "RUNNING", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deployment_id = deployment_id
        self.target_state = target_state

    def validate(self) -> None:
        check_id("deployment_id", self.deployment_id)
        statuses.check_targets("deployment", (self.target_state,), field="target_state")

    def poke(self, context: Any) -> bool:
        current = shapes.deployment_status(self.hook.get_deployment(self.deployment_id))
        self.log.info("Deployment %s is %s", self.deployment_id, current)
        if statuses.matches(current, (self.target_state,)):
            return True
        if statuses.DEPLOYMENT.is_failure(current):
            raise self.failure(current, {})
        return False

    def trigger(self) -> Any:
        from airflow_provider_domino.triggers import DeploymentTrigger

        return DeploymentTrigger(
            domino_conn_id=self.domino_conn_id,
            poll_interval=self.poke_interval,
            target_statuses=(self.target_state,),
            deployment_id=self.deployment_id,
        )

    def failure(self, status: str | None, details: dict[str, Any]) -> Exception:
        return AirflowFailException(f"Deployment {self.deployment_id} is {status}, not {self.target_state}")
