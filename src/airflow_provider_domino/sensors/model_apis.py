"""ModelApiVersionSensor: wait for a Model API version's build / run status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.wire import check_id
from airflow_provider_domino.sensors._base import DominoBaseSensor

BUILD_LOG_TAIL = 40


class ModelApiVersionSensor(DominoBaseSensor):
    """Wait until a Model API version's status is one of ``target_statuses`` (``Running`` by default).

    A version that ends ``Failed`` (or another failure status) fails the task at once, without Airflow
    retries, and the message holds the last lines of its build log. Poke, reschedule and deferrable modes.

    .. code-block:: python

        ModelApiVersionSensor(
            task_id="wait_running",
            model_api_id="{{ ti.xcom_pull('deploy')['model_api_id'] }}",
            version_id="{{ ti.xcom_pull('deploy')['version_id'] }}",
            deferrable=True,
        )
    """

    template_fields: Sequence[str] = ("model_api_id", "version_id", "target_statuses")
    ui_color = "#b3cde3"

    def __init__(
        self, *, model_api_id: str, version_id: str, target_statuses: Sequence[str] = ("Running",), **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.model_api_id = model_api_id
        self.version_id = version_id
        self.target_statuses = target_statuses

    def validate(self) -> None:
        check_id("model_api_id", self.model_api_id)
        check_id("version_id", self.version_id)
        self.target_statuses = statuses.check_targets("model_api_version", self.target_statuses)

    def poke(self, context: Any) -> bool:
        version = self.hook.get_model_api_version(self.model_api_id, self.version_id)
        current = shapes.version_status(version)
        self.log.info("Model API %s version %s is %s", self.model_api_id, self.version_id, current)
        if statuses.matches(current, self.target_statuses):
            return True
        if statuses.MODEL_API_VERSION.is_failure(current):
            raise self.failure(current, {})
        return False

    def trigger(self) -> Any:
        from airflow_provider_domino.triggers import ModelApiVersionTrigger

        return ModelApiVersionTrigger(
            domino_conn_id=self.domino_conn_id,
            poll_interval=self.poke_interval,
            target_statuses=tuple(self.target_statuses),
            model_api_id=self.model_api_id,
            version_id=self.version_id,
        )

    def failure(self, status: str | None, details: dict[str, Any]) -> Exception:
        tail = self.hook.build_log_tail(self.model_api_id, self.version_id, BUILD_LOG_TAIL)
        return AirflowFailException(
            f"Model API {self.model_api_id} version {self.version_id} ended {status}. "
            f"Last lines of its build log:\n{tail}"
        )
