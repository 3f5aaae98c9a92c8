"""Model Deployment operators against a live emulator, with real Airflow (``dag.test()``), in both dialects."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from airflow.providers.common.compat.standard.operators import PythonOperator

from airflow_provider_domino.operators.deployments import (
    CreateDeploymentOperator,
    DeleteDeploymentOperator,
    StartDeploymentOperator,
    StopDeploymentOperator,
)
from airflow_provider_domino.operators.model_apis import DeployModelApiOperator
from dagutil import RESULTS, collector, new_dag, run, states, task_log, tries, worker_lost_on_first_try
from domino_env import api_requests, live

FAST = {"poll_interval": 0.2, "wait_timeout": 60}
DAY = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
DEPLOYMENTS = "/api/modelServing/v1/modelDeployments"


def deploy_task(dag: Any) -> DeployModelApiOperator:
    """A running Model API version for the deployment to serve."""
    return DeployModelApiOperator(
        task_id="deploy",
        dag=dag,
        project_id="churn",
        name="churn-model",
        model_file="model.py",
        model_function="predict",
        environment_id="env-1",
        **FAST,
    )


def create_task(dag: Any, model_version_id: Any, cls: type = CreateDeploymentOperator, **overrides: Any) -> Any:
    kwargs: dict[str, Any] = {"name": "churn-prod", "model_version_id": model_version_id, **FAST, **overrides}
    return cls(task_id="create", dag=dag, **kwargs)


def deployments(domino: Any) -> list[dict[str, Any]]:
    return domino.state()["deployments"]


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_create_start_stop_delete_walks_a_deployment_through_its_life(domino, run_dag, deferrable):
    dag = new_dag(params={"team": "retention"})
    deploy = deploy_task(dag)
    create = create_task(
        dag,
        deploy.output["version_id"],
        name="churn-{{ ds_nodash }}",
        description="owned by {{ params.team }}",
        hardware_tier_id="small",
    )
    start = StartDeploymentOperator(
        task_id="start", deployment_id=create.output["deployment_id"], deferrable=deferrable, dag=dag, **FAST
    )
    stop = StopDeploymentOperator(
        task_id="stop", deployment_id=create.output["deployment_id"], deferrable=deferrable, dag=dag, **FAST
    )
    delete = DeleteDeploymentOperator(task_id="delete", deployment_id=create.output["deployment_id"], dag=dag)
    deploy >> create >> start >> stop >> delete
    for task in (deploy, create, start, stop, delete):
        collector(dag, task, task.task_id)

    dag_run = run(run_dag, dag, logical_date=DAY)

    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    deployment_id = RESULTS["create"]["deployment_id"]
    assert set(RESULTS["create"]) == {"deployment_id", "status"}
    assert RESULTS["create"]["status"].upper() in ("STARTING", "RUNNING")
    assert RESULTS["start"] == {"deployment_id": deployment_id, "status": "RUNNING"}
    assert RESULTS["stop"] == {"deployment_id": deployment_id, "status": "STOPPED"}
    assert RESULTS["delete"] == {"deployment_id": deployment_id, "deleted": True}
    [deployment] = deployments(domino)
    assert deployment["id"] == deployment_id
    assert deployment["name"] == "churn-20260301"
    assert deployment["description"].startswith("owned by retention [airflow:"), deployment["description"]
    assert deployment["modelVersionId"] == RESULTS["deploy"]["version_id"]
    assert deployment["state"] in ("DELETING", "DELETED")
    calls = [(r["method"], r["path"]) for r in api_requests(domino) if r["path"].startswith(DEPLOYMENTS)]
    assert ("POST", f"{DEPLOYMENTS}/{deployment_id}/start") in calls
    assert ("POST", f"{DEPLOYMENTS}/{deployment_id}/stop") in calls
    assert ("DELETE", f"{DEPLOYMENTS}/{deployment_id}") in calls


def test_start_without_waiting_returns_the_state_domino_reports(domino, run_dag):
    dag = new_dag()
    create = create_task(dag, deploy_task(dag).output["version_id"])
    stop = StopDeploymentOperator(task_id="stop", deployment_id=create.output["deployment_id"], dag=dag, **FAST)
    start = StartDeploymentOperator(
        task_id="start", deployment_id=create.output["deployment_id"], wait_for_running=False, dag=dag, **FAST
    )
    create >> stop >> start
    collector(dag, start, "start")

    dag_run = run(run_dag, dag)

    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    assert RESULTS["start"]["status"] == "STARTING"


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
@pytest.mark.parametrize(("grace", "outcome"), [(60, "success"), (0, "failed")], ids=["grace", "no-grace"])
def test_a_deployment_still_stopped_just_after_its_start_is_waited_for_within_the_grace(
    domino, run_dag, capfd, deferrable, grace, outcome
):
    # A busy Domino applies a start request asynchronously: the deployment reports STOPPED for a moment.
    dag = new_dag()
    create = create_task(dag, deploy_task(dag).output["version_id"])
    stop = StopDeploymentOperator(task_id="stop", deployment_id=create.output["deployment_id"], dag=dag, **FAST)
    lag = PythonOperator(task_id="lag", python_callable=lambda: domino.set_start_lag(1.0), dag=dag)
    start = StartDeploymentOperator(
        task_id="start",
        deployment_id=create.output["deployment_id"],
        start_grace_seconds=grace,
        deferrable=deferrable,
        dag=dag,
        **FAST,
    )
    create >> stop >> lag >> start
    collector(dag, start, "start")

    dag_run = run(run_dag, dag)

    assert states(dag_run)["start"] == outcome, states(dag_run)
    if outcome == "success":
        assert RESULTS["start"]["status"] == "RUNNING"
    else:
        assert "ended STOPPED" in task_log(capfd)


def test_a_lost_create_answer_is_found_by_its_marker_not_created_again(domino, run_dag):
    dag = new_dag()
    deploy = deploy_task(dag)
    create = create_task(dag, deploy.output["version_id"], retries=2, retry_delay=datetime.timedelta(0))
    deploy >> create
    collector(dag, create, "create")
    domino.set_faults(rate=1.0, kinds=["lost"], methods=["POST"], paths=[DEPLOYMENTS], max=1)

    dag_run = run(run_dag, dag)

    assert states(dag_run)["create"] == "success", states(dag_run)
    assert tries(dag_run)["create"] == 1
    assert domino.faults()["counts"]["lost"] == 1
    [deployment] = deployments(domino)
    assert RESULTS["create"]["deployment_id"] == deployment["id"]


def test_a_task_retried_after_its_create_reuses_the_deployment(domino, run_dag):
    dag = new_dag()
    deploy = deploy_task(dag)
    create = create_task(
        dag,
        deploy.output["version_id"],
        cls=worker_lost_on_first_try(CreateDeploymentOperator),
        retries=1,
        retry_delay=datetime.timedelta(0),
    )
    collector(dag, create, "create")

    dag_run = run(run_dag, dag)

    assert states(dag_run)["create"] == "success"
    assert tries(dag_run)["create"] == 2
    [deployment] = deployments(domino)
    assert RESULTS["create"]["deployment_id"] == deployment["id"]


def test_another_task_with_the_same_name_creates_its_own_deployment(domino, run_dag):
    """The marker names the task instance: a different task is not mistaken for a retry."""
    dag = new_dag()
    deploy = deploy_task(dag)
    first = create_task(dag, deploy.output["version_id"])
    second = CreateDeploymentOperator(
        task_id="create_again", name="churn-prod", model_version_id=deploy.output["version_id"], dag=dag
    )
    first >> second
    collector(dag, first, "first")
    collector(dag, second, "second")

    run(run_dag, dag)

    assert RESULTS["first"]["deployment_id"] != RESULTS["second"]["deployment_id"]
    assert len(live(deployments(domino))) == 2


@pytest.mark.parametrize(
    ("ignore_missing", "state", "result"),
    [(True, "success", {"deployment_id": "no-such-deployment", "deleted": False}), (False, "failed", None)],
    ids=["ignore_missing", "strict"],
)
def test_deleting_a_missing_deployment(domino, run_dag, capfd, ignore_missing, state, result):
    dag = new_dag()
    delete = DeleteDeploymentOperator(
        task_id="delete", deployment_id="no-such-deployment", ignore_missing=ignore_missing, dag=dag
    )
    collector(dag, delete, "delete")

    dag_run = run(run_dag, dag)

    assert states(dag_run)["delete"] == state
    assert RESULTS.get("delete") == result
    if not ignore_missing:
        assert "Domino answered 404 Not Found to DELETE" in task_log(capfd)


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (StartDeploymentOperator, {"deployment_id": ""}, "deployment_id"),
        (StopDeploymentOperator, {"deployment_id": "a/b"}, "deployment_id"),
        (DeleteDeploymentOperator, {"deployment_id": ""}, "deployment_id"),
        (StartDeploymentOperator, {"deployment_id": "d-1", "poll_interval": 0}, "poll_interval"),
        (StartDeploymentOperator, {"deployment_id": "d-1", "start_grace_seconds": -1}, "start_grace_seconds"),
        (StartDeploymentOperator, {"deployment_id": "d-1", "start_grace_seconds": "soon"}, "start_grace_seconds"),
        (CreateDeploymentOperator, {"name": "churn-prod"}, "model_version_id"),
        (CreateDeploymentOperator, {"name": "", "model_version_id": "v-1"}, "name"),
        (CreateDeploymentOperator, {"name": "churn-prod", "model_version_id": "v-1", "replicas": 0}, "replicas"),
        (CreateDeploymentOperator, {"name": "churn-prod", "model_version_id": "v-1", "description": 7}, "description"),
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
