"""Prediction operators against a live emulator, with real Airflow (``dag.test()``), in both dialects."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from airflow_provider_domino.operators.model_apis import DeployModelApiOperator
from airflow_provider_domino.operators.predictions import PredictOperator, SubmitAsyncPredictionOperator
from dagutil import RESULTS, collector, new_dag, run, states, task_log, tries
from domino_env import MODEL_TOKEN, api_requests

FAST = {"poll_interval": 0.2, "wait_timeout": 60}
DAY = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
WRONG_TOKEN = "MTOK-wrong-7d13c0e9"
ASYNC = "/api/modelApis/async/v1/"


def deploy_task(dag: Any, model_function: str = "predict") -> DeployModelApiOperator:
    return DeployModelApiOperator(
        task_id="deploy",
        dag=dag,
        project_id="churn",
        name=f"churn-{model_function}",
        model_file="model.py",
        model_function=model_function,
        environment_id="env-1",
        **FAST,
    )


def list_collector(dag: Any, upstream: Any, name: str) -> Any:
    """A task that stores what the mapped ``upstream`` returned, as a list, in ``RESULTS[name]``."""
    from airflow.providers.common.compat.standard.operators import PythonOperator

    def collect(values: Any) -> None:
        RESULTS[name] = list(values)

    task = PythonOperator(task_id=f"collect_{name}", python_callable=collect, op_args=[upstream.output], dag=dag)
    upstream >> task
    return task


def model_calls(domino: Any) -> list[dict[str, Any]]:
    return [r for r in api_requests(domino) if r["path"].startswith("/models/")]


def test_predict_by_id_with_data_and_by_url_with_templated_parameters(domino, run_dag):
    dag = new_dag(params={"y": 2})
    deploy = deploy_task(dag)
    by_id = PredictOperator(
        task_id="by_id", model_api_id=deploy.output["model_api_id"], data={"x": 40, "y": 2}, dag=dag
    )
    by_url = PredictOperator(
        task_id="by_url", model_url=deploy.output["url"], parameters=["{{ ds }}", "/{{ params.y }}"], dag=dag
    )
    deploy >> [by_id, by_url]
    collector(dag, deploy, "deploy")
    collector(dag, by_id, "by_id")
    collector(dag, by_url, "by_url")

    dag_run = run(run_dag, dag, logical_date=DAY)

    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    assert RESULTS["by_id"] == {"sum": 42}
    assert RESULTS["by_url"] == {"sum": "2026-03-01/2"}
    model_api_id = RESULTS["deploy"]["model_api_id"]
    calls = model_calls(domino)
    assert [c["path"] for c in calls] == [f"/models/{model_api_id}/latest/model"] * 2
    assert all(c["status"] == 200 for c in calls)


def test_a_model_exception_fails_the_task_with_dominos_message(domino, run_dag, capfd):
    dag = new_dag()
    deploy = deploy_task(dag, model_function="crash")
    PredictOperator(task_id="predict", model_api_id=deploy.output["model_api_id"], data={"x": 1}, dag=dag)

    dag_run = run(run_dag, dag)

    assert states(dag_run)["predict"] == "failed"
    text = task_log(capfd)
    assert "Domino answered 500" in text
    assert "RuntimeError: the model cannot score this" in text
    assert [c["status"] for c in model_calls(domino)] == [500], "a model call is not repeated"


def test_an_explicit_access_token_overrides_the_connection_and_is_never_logged(domino, run_dag, capfd):
    dag = new_dag()
    deploy = deploy_task(dag)
    PredictOperator(
        task_id="predict",
        model_api_id=deploy.output["model_api_id"],
        data={"x": 1},
        access_token=WRONG_TOKEN,
        dag=dag,
    )

    dag_run = run(run_dag, dag)

    assert states(dag_run)["predict"] == "failed"
    text = task_log(capfd)
    assert "Domino answered 403 Forbidden to POST /models/" in text
    assert "Check the model access token" in text
    assert WRONG_TOKEN not in text
    assert MODEL_TOKEN not in text
    assert [c["status"] for c in model_calls(domino)] == [403]


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_submit_async_prediction_returns_ids_and_with_wait_the_result(domino, run_dag, deferrable):
    dag = new_dag(params={"x": 5})
    deploy = deploy_task(dag)
    submit = SubmitAsyncPredictionOperator(
        task_id="submit", model_api_id=deploy.output["model_api_id"], parameters={"x": 1, "y": 1}, dag=dag, **FAST
    )
    waited = SubmitAsyncPredictionOperator(
        task_id="waited",
        model_api_id=deploy.output["model_api_id"],
        parameters=["{{ params.x }}", "-{{ ds }}"],
        wait_for_result=True,
        deferrable=deferrable,
        dag=dag,
        **FAST,
    )
    deploy >> [submit, waited]
    collector(dag, deploy, "deploy")
    collector(dag, submit, "submit")
    collector(dag, waited, "waited")

    dag_run = run(run_dag, dag, logical_date=DAY)

    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    model_api_id = RESULTS["deploy"]["model_api_id"]
    assert set(RESULTS["submit"]) == {"model_api_id", "prediction_id"}
    assert RESULTS["submit"]["model_api_id"] == model_api_id
    assert set(RESULTS["waited"]) == {"model_api_id", "prediction_id", "result"}
    assert RESULTS["waited"]["result"] == {"sum": "5-2026-03-01"}
    predictions = {p["id"]: p for p in domino.state()["predictions"]}
    assert set(predictions) == {RESULTS["submit"]["prediction_id"], RESULTS["waited"]["prediction_id"]}


def test_a_failed_async_prediction_fails_the_waiting_task_with_the_models_error(domino, run_dag, capfd):
    dag = new_dag()
    deploy = deploy_task(dag, model_function="crash")
    SubmitAsyncPredictionOperator(
        task_id="submit",
        model_api_id=deploy.output["model_api_id"],
        parameters={"x": 1},
        wait_for_result=True,
        dag=dag,
        **FAST,
    )

    dag_run = run(run_dag, dag)

    assert states(dag_run)["submit"] == "failed"
    assert "the model cannot score this" in task_log(capfd)


def test_mapped_predictions_over_three_records_all_succeed(domino, run_dag):
    dag = new_dag()
    deploy = deploy_task(dag)
    predict = PredictOperator.partial(task_id="predict", model_api_id=deploy.output["model_api_id"], dag=dag).expand(
        parameters=[[1, 2], [3, 4], [5, 6]]
    )
    score = SubmitAsyncPredictionOperator.partial(
        task_id="score", model_api_id=deploy.output["model_api_id"], wait_for_result=True, dag=dag, **FAST
    ).expand(parameters=[{"x": 1}, {"x": 2}, {"x": 3}])
    deploy >> [predict, score]
    list_collector(dag, predict, "predict")
    list_collector(dag, score, "score")

    dag_run = run(run_dag, dag)

    mapped = [
        (ti.task_id, ti.map_index, str(getattr(ti.state, "value", ti.state)))
        for ti in dag_run.get_task_instances()
        if ti.task_id in ("predict", "score")
    ]
    assert sorted(mapped) == [(t, i, "success") for t in ("predict", "score") for i in range(3)]
    assert RESULTS["predict"] == [{"sum": 3}, {"sum": 7}, {"sum": 11}]
    assert [r["result"] for r in RESULTS["score"]] == [{"sum": 2}, {"sum": 3}, {"sum": 4}]
    assert len({r["prediction_id"] for r in RESULTS["score"]}) == 3


def test_a_lost_async_submit_answer_fails_without_submitting_again(domino, run_dag, capfd):
    dag = new_dag()
    deploy = deploy_task(dag)
    SubmitAsyncPredictionOperator(
        task_id="submit", model_api_id=deploy.output["model_api_id"], parameters={"x": 1}, dag=dag, **FAST
    )
    domino.set_faults(rate=1.0, kinds=["lost"], methods=["POST"], paths=[ASYNC], max=1)

    dag_run = run(run_dag, dag)

    assert states(dag_run)["submit"] == "failed"
    assert "may or may not have been applied" in task_log(capfd)
    submits = [r for r in api_requests(domino) if r["method"] == "POST" and r["path"].startswith(ASYNC)]
    assert len(submits) == 1


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (SubmitAsyncPredictionOperator, {"model_api_id": "m-1", "parameters": {"blob": "x" * 11 * 1024}}, "parameters"),
        (SubmitAsyncPredictionOperator, {"model_api_id": "", "parameters": {"x": 1}}, "model_api_id"),
        (SubmitAsyncPredictionOperator, {"model_api_id": "m-1", "parameters": "x=1"}, "parameters"),
        (PredictOperator, {"data": {"x": 1}}, "model_api_id"),
        (PredictOperator, {"model_api_id": "m-1"}, "data"),
        (PredictOperator, {"model_api_id": "m-1", "data": {"x": 1}, "parameters": [1]}, "data"),
        (PredictOperator, {"model_api_id": "m-1", "data": [1, 2]}, "data"),
    ],
)
def test_bad_arguments_fail_before_any_request_naming_the_argument(domino, run_dag, capfd, cls, kwargs, field):
    dag = new_dag()
    cls(task_id="task", dag=dag, retries=2, retry_delay=datetime.timedelta(0), **kwargs)
    domino.clear_request_log()

    dag_run = run(run_dag, dag)

    assert states(dag_run)["task"] == "failed"
    assert tries(dag_run)["task"] == 1
    assert f"Invalid argument {field}" in task_log(capfd)
    assert api_requests(domino) == []
