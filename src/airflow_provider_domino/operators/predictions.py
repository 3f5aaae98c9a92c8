"""Operators that call models: a synchronous prediction, and submitting an asynchronous one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.wire import check_id
from airflow_provider_domino.operators._base import DominoBaseOperator, refused_input


def mask_token(token: str | None) -> None:
    if token:
        from airflow.providers.common.compat.sdk import mask_secret

        mask_secret(token)


class PredictOperator(DominoBaseOperator):
    """Call a Model API synchronously and return the model's ``result``.

    The call carries only the model access token (``access_token``, else the connection's extra
    ``model_access_token``), never the platform API key.

    .. code-block:: python

        PredictOperator(
            task_id="smoke_test",
            model_api_id="{{ ti.xcom_pull('deploy')['model_api_id'] }}",
            data={"tenure": 12, "plan": "basic"},
        )

    :param model_api_id: the Model API to call (or give ``model_url``).
    :param model_url: the model's full URL, e.g. the ``url`` a deploy task returned.
    :param data: keyword arguments of the model function (``{"data": {...}}``).
    :param parameters: positional arguments (``{"parameters": [...]}``).
    :param access_token: the model access token (masked in logs).
    """

    template_fields: Sequence[str] = ("model_api_id", "model_url", "data", "parameters", "access_token")
    ui_color = "#7fc97f"
    returns_dict = False  # it returns the model's own result

    def __init__(
        self,
        *,
        model_api_id: str | None = None,
        model_url: str | None = None,
        data: dict[str, Any] | None = None,
        parameters: list[Any] | None = None,
        access_token: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_api_id = model_api_id
        self.model_url = model_url
        self.data = data
        self.parameters = parameters
        self.access_token = access_token

    def execute(self, context: Any) -> Any:
        mask_token(self.access_token)
        with refused_input():
            if not self.model_api_id and not self.model_url:
                raise shapes.DominoInputError("model_api_id", "give model_api_id or model_url")
            if self.model_api_id and not self.model_url:
                check_id("model_api_id", self.model_api_id)
            shapes.predict_body(self.data, self.parameters)
        body = self.hook.predict(
            None if self.model_url else self.model_api_id,
            data=self.data,
            parameters=self.parameters,
            url=self.model_url or None,
            access_token=self.access_token or None,
        )
        if not isinstance(body, dict):
            return body
        release = body.get("release")
        release = release if isinstance(release, dict) else {}
        self.log.info(
            "Model version %s answered in %s ms (request %s)",
            release.get("model_version") or release.get("modelVersion") or "?",
            body.get("model_time_in_ms"),
            body.get("request_id"),
        )
        return body.get("result")


class SubmitAsyncPredictionOperator(DominoBaseOperator):
    """Submit an asynchronous prediction; optionally wait for its result (deferrable).

    Returns ``{"model_api_id", "prediction_id"}``, plus ``"result"`` when ``wait_for_result=True``.

    .. code-block:: python

        SubmitAsyncPredictionOperator.partial(task_id="score", model_api_id="{{ params.model_api_id }}")
            .expand(parameters=[{"x": 1}, {"x": 2}])
    """

    template_fields: Sequence[str] = ("model_api_id", "parameters", "access_token")
    ui_color = "#7fc97f"

    def __init__(
        self,
        *,
        model_api_id: str,
        parameters: dict[str, Any] | list[Any],
        access_token: str | None = None,
        wait_for_result: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_api_id = model_api_id
        self.parameters = parameters
        self.access_token = access_token
        self.wait_for_result = wait_for_result

    def execute(self, context: Any) -> dict[str, Any]:
        mask_token(self.access_token)
        with refused_input():
            check_id("model_api_id", self.model_api_id)
            shapes.async_prediction_body(self.parameters)
            self.check_wait_settings()
        body = self.hook.submit_async_prediction(
            self.model_api_id, self.parameters, access_token=self.access_token or None
        )
        prediction_id = shapes.prediction_id(body)
        if not prediction_id:
            raise shapes.DominoInputError("prediction_id", f"Domino's answer holds no prediction id: {sorted(body)}")
        self.log.info("Submitted async prediction %s to Model API %s", prediction_id, self.model_api_id)
        result = {"model_api_id": self.model_api_id, "prediction_id": prediction_id}
        if not self.wait_for_result:
            return result
        return self._wait(result)

    def _wait(self, result: dict[str, Any]) -> dict[str, Any]:
        from airflow_provider_domino.sensors.predictions import prediction_outcome

        prediction_id = result["prediction_id"]
        what = f"async prediction {prediction_id}"
        latest: dict[str, Any] = {}

        def fetch() -> str | None:
            latest.clear()
            latest.update(
                self.hook.get_async_prediction(self.model_api_id, prediction_id, access_token=self.access_token or None)
            )
            return shapes.prediction_status(latest)

        terminal = tuple(statuses.ASYNC_PREDICTION.success | statuses.ASYNC_PREDICTION.failure)
        if self.deferrable and not statuses.matches(fetch(), terminal):
            from airflow_provider_domino.triggers import AsyncPredictionTrigger

            self.defer_to(
                AsyncPredictionTrigger(
                    domino_conn_id=self.domino_conn_id,
                    poll_interval=self.poll_interval,
                    model_api_id=self.model_api_id,
                    prediction_id=prediction_id,
                    access_token=self.access_token or None,
                    carry=result,
                ),
            )
        self.wait_for_status(fetch, "async_prediction", terminal, what)
        return {**result, "result": prediction_outcome(latest, what)}

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        from airflow_provider_domino.sensors.predictions import prediction_outcome

        result = (event or {}).get("carry") or {}
        what = f"async prediction {result.get('prediction_id')}"
        if event and event.get("status") in ("success", "failure"):
            value = prediction_outcome(
                {"status": event.get("domino_status"), "result": event.get("result"), "errors": event.get("errors")},
                what,
            )
            return {**result, "result": value}
        self.event_or_fail(event, what)
        raise AssertionError("unreachable")  # pragma: no cover
