"""AsyncPredictionSensor: wait for an asynchronous prediction and return its result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException, PokeReturnValue

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.wire import check_id
from airflow_provider_domino.sensors._base import DominoBaseSensor


def prediction_outcome(body: Mapping[str, Any], what: str) -> Any:
    """The result of a finished prediction, or its failure (with Domino's errors), raised."""
    status = shapes.prediction_status(body)
    if statuses.ASYNC_PREDICTION.is_failure(status):
        errors = "; ".join(shapes.prediction_errors(body)) or "no error message"
        raise AirflowFailException(f"{what} ended {status}: {errors}")
    return body.get("result")


class AsyncPredictionSensor(DominoBaseSensor):
    """Wait until an asynchronous prediction finishes (``succeeded`` / ``COMPLETED``) and return its result;
    fail with Domino's errors when it ends ``failed``. Poke, reschedule and deferrable modes.

    .. code-block:: python

        AsyncPredictionSensor(
            task_id="wait_prediction",
            model_api_id="{{ ti.xcom_pull('submit')['model_api_id'] }}",
            prediction_id="{{ ti.xcom_pull('submit')['prediction_id'] }}",
            deferrable=True,
        )
    """

    template_fields: Sequence[str] = ("model_api_id", "prediction_id", "access_token")
    ui_color = "#b3cde3"

    def __init__(
        self, *, model_api_id: str, prediction_id: str, access_token: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.model_api_id = model_api_id
        self.prediction_id = prediction_id
        self.access_token = access_token

    @property
    def what(self) -> str:
        return f"async prediction {self.prediction_id} of Model API {self.model_api_id}"

    def validate(self) -> None:
        from airflow_provider_domino.operators.predictions import mask_token

        mask_token(self.access_token)
        check_id("model_api_id", self.model_api_id)
        check_id("prediction_id", self.prediction_id)

    def poke(self, context: Any) -> PokeReturnValue:
        body = self.hook.get_async_prediction(
            self.model_api_id, self.prediction_id, access_token=self.access_token or None
        )
        status = shapes.prediction_status(body)
        self.log.info("%s is %s", self.what, status)
        if statuses.ASYNC_PREDICTION.is_pending(status) or statuses.ASYNC_PREDICTION.outcome(status) == "unknown":
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=prediction_outcome(body, self.what))

    def trigger(self) -> Any:
        from airflow_provider_domino.triggers import AsyncPredictionTrigger

        return AsyncPredictionTrigger(
            domino_conn_id=self.domino_conn_id,
            poll_interval=self.poke_interval,
            model_api_id=self.model_api_id,
            prediction_id=self.prediction_id,
            access_token=self.access_token or None,
        )

    def on_event(self, context: Any, event: dict[str, Any]) -> Any:
        return event.get("result")

    def failure(self, status: str | None, details: dict[str, Any]) -> Exception:
        errors = "; ".join(details.get("errors") or []) or "no error message"
        return AirflowFailException(f"{self.what} ended {status}: {errors}")
