"""AsyncPredictionSensor against a live emulator, with real Airflow (``dag.test()``), in both dialects."""

from __future__ import annotations

import datetime
import re

import pytest

from airflow_provider_domino._client import shapes
from airflow_provider_domino.sensors.predictions import AsyncPredictionSensor
from dagutil import RESULTS, collector, new_dag, run, states, task_log, tries
from domino_env import MODEL_TOKEN, api_requests
from sensors.livedomino import Gate, create_model_api, gets, seen_gets
from sensors.sensorutil import FAST


def submit(hook, model_api_id: str, parameters: dict) -> str:
    prediction_id = shapes.prediction_id(hook.submit_async_prediction(model_api_id, parameters))
    assert prediction_id
    return prediction_id


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_returns_the_models_result_once_the_prediction_finishes(
    domino, run_dag, hook, projects_dir, deferrals, deferrable
):
    gate = Gate(projects_dir)  # the prediction stays queued (no running version) until the sensor has looked
    model_api_id, _ = create_model_api(hook, model_file=gate.model_file)
    prediction_id = submit(hook, model_api_id, {"x": 40, "y": 2})
    dag = new_dag()
    sensor = AsyncPredictionSensor(
        task_id="wait", model_api_id=model_api_id, prediction_id=prediction_id, deferrable=deferrable, dag=dag, **FAST
    )
    collector(dag, sensor, "result")

    with gate.opens_after(domino, seen_gets(f"/{prediction_id}")):
        dag_run = run(run_dag, dag)

    assert states(dag_run) == {"wait": "success", "collect_result": "success"}
    assert RESULTS["result"] == {"sum": 42}
    assert len(gets(domino, f"/{prediction_id}")) >= 2
    assert [d["task_id"] for d in deferrals] == (["wait"] if deferrable else [])


def test_an_explicit_access_token_is_used_for_the_checks(domino, run_dag, hook, monkeypatch):
    model_api_id, _ = create_model_api(hook)
    prediction_id = submit(hook, model_api_id, {"x": 1})
    # A connection without the model token: only the sensor's own access_token can authorise the checks.
    monkeypatch.setenv(
        "AIRFLOW_CONN_DOMINO_DEFAULT", f'{{"conn_type": "domino", "host": "{domino.base_url}", "password": "x"}}'
    )
    dag = new_dag()
    sensor = AsyncPredictionSensor(
        task_id="wait",
        model_api_id=model_api_id,
        prediction_id=prediction_id,
        access_token=MODEL_TOKEN,
        dag=dag,
        **FAST,
    )
    collector(dag, sensor, "result")
    dag_run = run(run_dag, dag)
    assert states(dag_run)["wait"] == "success"
    assert RESULTS["result"] == {"sum": 2}
    checks = gets(domino, f"/{prediction_id}")
    assert checks
    assert all(r["status"] == 200 for r in checks)


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_a_failing_model_fails_the_sensor_at_once_with_dominos_errors(
    domino, run_dag, hook, projects_dir, deferrals, capfd, deferrable
):
    # model.py's crash() raises; in deferrable mode a gated twin keeps the prediction queued past the first
    # check, so the failure arrives through the trigger.
    gate = Gate(projects_dir)
    model_api_id, _ = create_model_api(
        hook, model_file=gate.model_file if deferrable else "model.py", model_function="crash"
    )
    prediction_id = submit(hook, model_api_id, {"x": 1})
    dag = new_dag()
    AsyncPredictionSensor(
        task_id="wait",
        model_api_id=model_api_id,
        prediction_id=prediction_id,
        deferrable=deferrable,
        retries=2,
        retry_delay=datetime.timedelta(0),
        dag=dag,
        **FAST,
    )

    with gate.opens_after(domino, seen_gets(f"/{prediction_id}")):
        dag_run = run(run_dag, dag)

    assert states(dag_run) == {"wait": "failed"}
    assert tries(dag_run)["wait"] == 1
    text = task_log(capfd)
    pattern = rf"async prediction {prediction_id} of Model API {model_api_id} ended failed: .*RuntimeError: the (gated )?model cannot score this"
    assert re.search(pattern, text, re.IGNORECASE), text[-3000:]
    assert len(deferrals) == (1 if deferrable else 0)


def test_a_missing_prediction_id_fails_before_any_request(domino, run_dag, capfd):
    dag = new_dag()
    AsyncPredictionSensor(task_id="wait", model_api_id="api-1", prediction_id="", retries=2, dag=dag, **FAST)
    domino.clear_request_log()
    dag_run = run(run_dag, dag)
    assert states(dag_run) == {"wait": "failed"}
    assert tries(dag_run)["wait"] == 1
    assert "Invalid argument prediction_id" in task_log(capfd)
    assert api_requests(domino) == []
