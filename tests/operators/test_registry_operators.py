"""Model Registry operators against a live emulator, with real Airflow (``dag.test()``), in both dialects."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from airflow_provider_domino.operators.registry import CreateRegisteredModelVersionOperator, RegisterModelOperator
from dagutil import RESULTS, collector, new_dag, run, states, task_log, tries, worker_lost_on_first_try
from domino_env import api_requests

MODEL = "churn classifier"
DAY = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
NEXT_DAY = datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC)


def experiment_task(dag: Any) -> Any:
    """An upstream task that returns the experiment run to register (as a training task would)."""
    from airflow.providers.common.compat.standard.operators import PythonOperator

    return PythonOperator(
        task_id="experiment",
        python_callable=lambda ds: {"run_id": f"run-{ds}", "artifact": "model.json"},
        multiple_outputs=True,
        dag=dag,
    )


def register_task(dag: Any, cls: type = RegisterModelOperator, **overrides: Any) -> Any:
    kwargs: dict[str, Any] = {"model_name": MODEL, "experiment_run_id": "run-1", **overrides}
    return cls(task_id="register", dag=dag, **kwargs)


def registered(domino: Any) -> list[dict[str, Any]]:
    return domino.state()["registeredModels"]


def test_register_then_a_new_run_registers_version_2_of_the_same_model(domino, run_dag):
    dag = new_dag(params={"model": MODEL})
    experiment = experiment_task(dag)
    register = register_task(
        dag,
        model_name="{{ params.model }}",
        experiment_run_id=experiment.output["run_id"],
        artifact_path=experiment.output["artifact"],
        description="nightly {{ ds }}",
        project_id="churn",
    )
    experiment >> register
    collector(dag, register, "register")

    first = run(run_dag, dag, logical_date=DAY)
    assert set(states(first).values()) == {"success"}, states(first)
    assert RESULTS["register"] == {"model_name": MODEL, "model_version": 1}
    second = run(run_dag, dag, logical_date=NEXT_DAY)
    assert set(states(second).values()) == {"success"}, states(second)
    assert RESULTS["register"] == {"model_name": MODEL, "model_version": 2}

    [model] = registered(domino)
    assert model["name"] == MODEL
    assert model["projectId"] == "churn"
    versions = model["versions"]
    assert [v["modelVersion"] for v in versions] == [1, 2]
    assert [v["experimentRunId"] for v in versions] == ["run-2026-03-01", "run-2026-03-02"]
    assert versions[0]["source"]["artifactPath"] == "model.json"
    assert versions[0]["description"].startswith("nightly 2026-03-01 [airflow:"), versions[0]["description"]
    assert versions[1]["description"].startswith("nightly 2026-03-02 [airflow:"), versions[1]["description"]
    # The name travels percent-encoded in paths.
    paths = {r["path"] for r in api_requests(domino)}
    assert "/api/registeredmodels/v1/churn%20classifier" in paths


def test_create_registered_model_version_adds_a_version_named_by_an_upstream_task(domino, run_dag):
    model_name = "churn classifier (gbm)"
    dag = new_dag()
    register = register_task(dag, model_name=model_name)
    version = CreateRegisteredModelVersionOperator(
        task_id="version",
        model_name=register.output["model_name"],
        experiment_run_id="run-2",
        description="retrained on {{ ds }}",
        dag=dag,
    )
    register >> version
    collector(dag, version, "version")

    dag_run = run(run_dag, dag, logical_date=DAY)

    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    assert RESULTS["version"] == {"model_name": model_name, "model_version": 2}
    [model] = registered(domino)
    assert model["name"] == model_name
    assert model["versions"][1]["experimentRunId"] == "run-2"
    assert model["versions"][1]["description"].startswith("retrained on 2026-03-01 [airflow:")


def test_adding_a_version_to_a_model_that_is_not_registered_fails(domino, run_dag, capfd):
    dag = new_dag()
    CreateRegisteredModelVersionOperator(task_id="version", model_name="nobody", experiment_run_id="run-1", dag=dag)

    dag_run = run(run_dag, dag)

    assert states(dag_run)["version"] == "failed"
    assert "Domino answered 404 Not Found" in task_log(capfd)
    assert registered(domino) == []


def test_a_task_retried_after_registering_reuses_the_version_it_registered(domino, run_dag):
    dag = new_dag()
    collector(
        dag,
        register_task(
            dag, cls=worker_lost_on_first_try(RegisterModelOperator), retries=1, retry_delay=datetime.timedelta(0)
        ),
        "register",
    )

    dag_run = run(run_dag, dag)

    assert states(dag_run)["register"] == "success"
    assert tries(dag_run)["register"] == 2
    [model] = registered(domino)
    assert len(model["versions"]) == 1
    assert RESULTS["register"] == {"model_name": MODEL, "model_version": 1}


def test_a_task_retried_after_adding_a_version_reuses_that_version(domino, run_dag):
    dag = new_dag()
    register = register_task(dag)
    version = worker_lost_on_first_try(CreateRegisteredModelVersionOperator)(
        task_id="version",
        model_name=MODEL,
        experiment_run_id="run-2",
        retries=1,
        retry_delay=datetime.timedelta(0),
        dag=dag,
    )
    register >> version
    collector(dag, version, "version")

    dag_run = run(run_dag, dag)

    assert states(dag_run)["version"] == "success"
    assert tries(dag_run)["version"] == 2
    [model] = registered(domino)
    assert len(model["versions"]) == 2
    assert RESULTS["version"] == {"model_name": MODEL, "model_version": 2}


@pytest.mark.parametrize("prior_versions", [0, 1], ids=["new_model", "existing_model"])
def test_a_lost_register_answer_does_not_register_twice(domino, run_dag, prior_versions):
    """A new model is registered with POST /v2; an existing one gets POST /v1/{name}/versions."""
    if prior_versions:
        first = new_dag()
        register_task(first, experiment_run_id="run-0")
        run(run_dag, first)
    domino.set_faults(rate=1.0, kinds=["lost"], methods=["POST"], paths=["/api/registeredmodels/"], max=1)
    dag = new_dag()
    collector(dag, register_task(dag, retries=2, retry_delay=datetime.timedelta(0)), "register")

    dag_run = run(run_dag, dag)

    assert states(dag_run)["register"] == "success", states(dag_run)
    assert tries(dag_run)["register"] == 1
    assert domino.faults()["counts"]["lost"] == 1
    [model] = registered(domino)
    assert len(model["versions"]) == prior_versions + 1
    assert RESULTS["register"] == {"model_name": MODEL, "model_version": prior_versions + 1}


@pytest.mark.parametrize(
    ("cls", "overrides", "field"),
    [
        (RegisterModelOperator, {"model_name": ""}, "model_name"),
        (RegisterModelOperator, {"experiment_run_id": None}, "experiment_run_id"),
        (RegisterModelOperator, {"description": 7}, "description"),
        (CreateRegisteredModelVersionOperator, {"model_name": "  "}, "model_name"),
        (CreateRegisteredModelVersionOperator, {"experiment_run_id": ""}, "experiment_run_id"),
    ],
)
def test_bad_arguments_fail_before_any_request_naming_the_argument(domino, run_dag, capfd, cls, overrides, field):
    dag = new_dag()
    register_task(dag, cls=cls, retries=2, retry_delay=datetime.timedelta(0), **overrides)
    domino.clear_request_log()

    dag_run = run(run_dag, dag)

    assert states(dag_run)["register"] == "failed"
    assert tries(dag_run)["register"] == 1
    assert f"Invalid argument {field}" in task_log(capfd)
    assert api_requests(domino) == []
