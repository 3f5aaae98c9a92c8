"""Model API operators against a live emulator, with real Airflow (``dag.test()``), in both dialects."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from airflow_provider_domino.operators.model_apis import (
    CreateVersionOperator,
    DeleteModelApiOperator,
    DeployModelApiOperator,
    UpdateModelApiOperator,
)
from airflow_provider_domino.operators.predictions import PredictOperator
from dagutil import RESULTS, collector, new_dag, run, states, task_log, tries, worker_lost_on_first_try
from domino_env import api_requests, live

FAST = {"poll_interval": 0.2, "wait_timeout": 60}


def deploy_task(dag: Any, task_id: str = "deploy", **overrides: Any) -> DeployModelApiOperator:
    kwargs: dict[str, Any] = {
        "project_id": "churn",
        "name": "churn-model",
        "model_file": "model.py",
        "model_function": "predict",
        "environment_id": "env-1",
        "hardware_tier_id": "small",
        **FAST,
        **overrides,
    }
    return DeployModelApiOperator(task_id=task_id, dag=dag, **kwargs)


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_deploy_then_predict_returns_ids_url_and_the_models_answer(domino, run_dag, deferrable):
    dag = new_dag()
    deploy = deploy_task(dag, deferrable=deferrable)
    predict = PredictOperator(
        task_id="predict", model_api_id=deploy.output["model_api_id"], data={"x": 40, "y": 2}, dag=dag
    )
    deploy >> predict
    collector(dag, deploy, "deploy")
    collector(dag, predict, "predict")

    dag_run = run(run_dag, dag)

    assert states(dag_run)["predict"] == "success", states(dag_run)
    out = RESULTS["deploy"]
    assert set(out) == {"model_api_id", "version_id", "url", "status"}
    assert out["status"].lower() == "running"
    assert out["url"] == f"{domino.base_url}/models/{out['model_api_id']}/latest/model"
    assert RESULTS["predict"] == {"sum": 42}
    apis = live(domino.state()["modelApis"])
    assert [a["id"] for a in apis] == [out["model_api_id"]]


def test_deferrable_deploy_defers_only_when_not_yet_running(domino, run_dag):
    """A second deploy with if_exists='reuse' finds the version running: no deferral, same ids."""
    first = new_dag()
    collector(first, deploy_task(first, deferrable=True), "first")
    run(run_dag, first)
    first_out = dict(RESULTS["first"])

    second = new_dag()
    collector(second, deploy_task(second, deferrable=True, if_exists="reuse"), "second")
    dag_run = run(run_dag, second)
    assert states(dag_run)["deploy"] == "success"
    assert RESULTS["second"]["model_api_id"] == first_out["model_api_id"]
    assert RESULTS["second"]["version_id"] == first_out["version_id"]
    assert len(live(domino.state()["versions"])) == 1


def test_if_exists_new_version_builds_a_second_version_of_the_same_model_api(domino, run_dag):
    for name in ("one", "two"):
        dag = new_dag()
        collector(dag, deploy_task(dag), name)
        run(run_dag, dag)
    one, two = RESULTS.get("one"), RESULTS["two"]
    assert one is None or one["model_api_id"] == two["model_api_id"]
    state = domino.state()
    assert len(live(state["modelApis"])) == 1
    assert len(state["versions"]) == 2


def test_if_exists_fail_fails_the_task_without_retries(domino, run_dag):
    first = new_dag()
    deploy_task(first)
    run(run_dag, first)

    second = new_dag()
    deploy_task(second, if_exists="fail", retries=2, retry_delay=datetime.timedelta(0))
    dag_run = run(run_dag, second)
    assert states(dag_run)["deploy"] == "failed"
    assert tries(dag_run)["deploy"] == 1
    assert len(domino.state()["versions"]) == 1


def test_build_failure_fails_once_and_the_message_holds_the_build_log_tail(domino, run_dag, capfd):
    dag = new_dag()
    deploy_task(dag, model_file="broken.py", retries=2, retry_delay=datetime.timedelta(0))
    dag_run = run(run_dag, dag)
    assert states(dag_run)["deploy"] == "failed"
    assert tries(dag_run)["deploy"] == 1, "a failed build must not be retried"
    text = task_log(capfd)
    assert "ended Failed. Last lines of its build log:" in text
    assert "function predict not found in broken.py" in text


def test_lost_create_responses_leave_exactly_one_model_api_and_version(domino, run_dag):
    """Every create's answer is lost once (the change applied, the client told 502)."""
    domino.set_faults(rate=1.0, kinds=["lost"], methods=["POST"], paths=["/api/modelServing/v1/modelApis"], max=1)
    dag = new_dag()
    collector(dag, deploy_task(dag, retries=2, retry_delay=datetime.timedelta(0)), "deploy")
    dag_run = run(run_dag, dag)

    assert states(dag_run)["deploy"] == "success"
    assert domino.faults()["counts"]["lost"] == 1
    state = domino.state()
    assert len(live(state["modelApis"])) == 1
    assert len(state["versions"]) == 1
    assert RESULTS["deploy"]["model_api_id"] == state["modelApis"][0]["id"]


def test_a_lost_version_create_is_found_by_its_marker_not_created_again(domino, run_dag):
    first = new_dag()
    collector(first, deploy_task(first), "deploy")
    run(run_dag, first)
    model_api_id = RESULTS["deploy"]["model_api_id"]

    domino.set_faults(rate=1.0, kinds=["lost"], methods=["POST"], paths=["/api/modelServing/v1/modelApis/"], max=1)
    second = new_dag()
    version = CreateVersionOperator(
        task_id="version",
        model_api_id=model_api_id,
        model_file="model.py",
        model_function="predict",
        dag=second,
        **FAST,
    )
    collector(second, version, "version")
    dag_run = run(run_dag, second)

    assert states(dag_run)["version"] == "success"
    assert domino.faults()["counts"]["lost"] == 1
    versions = [v for v in domino.state()["versions"] if v.get("modelApiId") == model_api_id]
    assert len(versions) == 2
    assert RESULTS["version"]["version_id"] in {v["id"] for v in versions}


def run_deploy_retried_once(run_dag: Any, cls: type) -> None:
    """Run a ``cls`` deploy task allowed one retry; its second try must succeed."""
    dag = new_dag()
    task = cls(
        task_id="deploy",
        dag=dag,
        project_id="churn",
        name="churn-model",
        model_file="model.py",
        model_function="predict",
        environment_id="env-1",
        retries=1,
        retry_delay=datetime.timedelta(0),
        **FAST,
    )
    collector(dag, task, "deploy")
    dag_run = run(run_dag, dag)
    assert states(dag_run)["deploy"] == "success"
    assert tries(dag_run)["deploy"] == 2


def test_a_task_retried_after_its_create_reuses_what_the_first_try_made(domino, run_dag):
    run_deploy_retried_once(run_dag, worker_lost_on_first_try(DeployModelApiOperator))
    state = domino.state()
    assert len(live(state["modelApis"])) == 1
    assert len(state["versions"]) == 1


def test_create_version_update_and_delete(domino, run_dag):
    dag = new_dag()
    deploy = deploy_task(dag)
    version = CreateVersionOperator(
        task_id="version",
        model_api_id=deploy.output["model_api_id"],
        model_file="model.py",
        model_function="predict",
        environment_id="env-1",
        description="nightly {{ ds }}",
        dag=dag,
        **FAST,
    )
    update = UpdateModelApiOperator(
        task_id="update", model_api_id=deploy.output["model_api_id"], description="scaled", replicas=2, dag=dag
    )
    delete = DeleteModelApiOperator(task_id="delete", model_api_id=deploy.output["model_api_id"], dag=dag)
    deploy >> version >> update >> delete
    collector(dag, version, "version")
    collector(dag, update, "update")
    collector(dag, delete, "delete")
    dag_run = run(run_dag, dag, logical_date=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC))

    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    assert RESULTS["version"]["status"].lower() == "running"
    assert RESULTS["update"]["replicas"] == 2
    assert RESULTS["delete"] == {"model_api_id": RESULTS["version"]["model_api_id"], "deleted": True}
    state = domino.state()
    descriptions = [v.get("description", "") for v in state["versions"]]
    assert any(d.startswith("nightly 2026-03-01 [airflow:") for d in descriptions), descriptions
    assert state["modelApis"][0].get("isArchived") is True
    assert live(state["modelApis"]) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"project_id": ""}, "project_id"),
        ({"name": None}, "name"),
        ({"model_file": 42}, "model_file"),
        ({"if_exists": "overwrite"}, "if_exists"),
        ({"target_statuses": ["Bogus"]}, "target_statuses"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"replicas": -1}, "replicas"),
    ],
)
def test_bad_arguments_fail_before_any_request_naming_the_argument(domino, run_dag, capfd, overrides, field):
    dag = new_dag()
    deploy_task(dag, retries=2, retry_delay=datetime.timedelta(0), **overrides)
    domino.clear_request_log()
    dag_run = run(run_dag, dag)
    assert states(dag_run)["deploy"] == "failed"
    assert tries(dag_run)["deploy"] == 1
    assert f"Invalid argument {field}" in task_log(capfd)
    assert api_requests(domino) == []


def test_a_try_cut_during_the_build_wait_reconnects_to_the_same_version(domino, run_dag):
    run_deploy_retried_once(
        run_dag, worker_lost_on_first_try(DeployModelApiOperator, "poll_until_complete", after=False)
    )
    state = domino.state()
    assert len(state["versions"]) == 1
    out = RESULTS["deploy"]
    assert out["version_id"] == state["versions"][0]["id"]
    assert out["url"].endswith(f"/models/{out['model_api_id']}/latest/model")
    assert out["status"].lower() == "running"
