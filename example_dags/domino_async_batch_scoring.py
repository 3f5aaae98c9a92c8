"""Score a batch of records with asynchronous predictions, one mapped task per record.

    find_model_api (the Model API, by name, with DominoHook)
    records (the batch: one {"x": ...} per record, from the params)
      -> submit (SubmitAsyncPredictionOperator, mapped over the records)
      -> wait_result (AsyncPredictionSensor, deferrable, mapped over the submissions)
      -> summarise (pairs each record with its prediction)

Dynamic task mapping makes one ``submit`` and one ``wait_result`` task instance per record, so each
prediction is retried and shown on its own; the waits run in the triggerer, holding no worker slot.

Needs a Model API named ``demo-linear`` in ``demo-project`` (run ``domino_train_register_deploy`` first).
Try it with ``airflow dags test domino_async_batch_scoring`` (see ``domino_train_register_deploy`` for the
emulator and the connection), or pass your own batch: ``--conf '{"xs": [1, 2, 3]}'``.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, AirflowFailException, Param, task

from airflow_provider_domino.hooks.domino import DominoHook
from airflow_provider_domino.operators.predictions import SubmitAsyncPredictionOperator
from airflow_provider_domino.sensors.predictions import AsyncPredictionSensor

# Seconds between status checks of each prediction.
POLL_SECONDS = 2

with DAG(
    dag_id="domino_async_batch_scoring",
    description="Score a batch with Domino async predictions, one mapped task per record",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["domino", "example"],
    params={
        "project_id": Param("demo-project", type="string", description="The Domino project of the Model API"),
        "model_name": Param("demo-linear", type="string", description="The Model API to score with"),
        "xs": Param([1, 2, 3, 4], type="array", description="The batch: one value of x per record"),
    },
) as dag:

    @task
    def find_model_api(params: dict | None = None) -> str:
        params = params or {}
        found = DominoHook().find_model_apis(params["project_id"], params["model_name"])
        if not found:
            raise AirflowFailException(
                f"No Model API named {params['model_name']!r} in project {params['project_id']!r}: "
                "run domino_train_register_deploy first"
            )
        return found[0]["id"]

    @task
    def records(params: dict | None = None) -> list[dict]:
        return [{"x": x} for x in (params or {})["xs"]]

    batch = records()

    # One task instance per record; each returns {"model_api_id", "prediction_id"} ...
    submit = SubmitAsyncPredictionOperator.partial(task_id="submit", model_api_id=find_model_api()).expand(
        parameters=batch
    )

    # ... which are exactly the sensor's arguments.
    wait_result = AsyncPredictionSensor.partial(
        task_id="wait_result", deferrable=True, poke_interval=POLL_SECONDS, timeout=30 * 60
    ).expand_kwargs(submit.output)

    @task
    def summarise(batch: list[dict], results: list[dict]) -> dict:
        """Pair each record with its prediction (mapped results come back in map-index order)."""
        scored = [{**record, **result} for record, result in zip(batch, results, strict=True)]
        for row in scored:
            print(f"x={row['x']}: prediction {row['prediction']:.4f}")
        mean = sum(row["prediction"] for row in scored) / len(scored)
        print(f"Scored {len(scored)} records; mean prediction {mean:.4f}")
        return {"records": len(scored), "mean_prediction": mean, "scored": scored}

    summarise(batch, wait_result.output)
