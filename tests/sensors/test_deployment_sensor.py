"""DeploymentSensor against a live emulator, with real Airflow (``dag.test()``), in both dialects."""

from __future__ import annotations

import datetime
import re

import pytest
from airflow.providers.common.compat.standard.operators import PythonOperator

from airflow_provider_domino._client import statuses
from airflow_provider_domino.hooks.domino import DominoHook
from airflow_provider_domino.sensors.deployments import DeploymentSensor
from dagutil import new_dag, run, states, task_log, tries
from domino_env import api_requests
from sensors.livedomino import deployment_status, gets, running_model_api
from sensors.sensorutil import FAST


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_running_after_start_stopped_after_stop_and_a_stopped_deployment_fails_a_running_wait(
    domino, run_dag, hook, capfd, deferrable
):
    _, version_id = running_model_api(hook)
    deployment_id = hook.create_deployment(name="churn-deployment", model_version_id=version_id)["id"]

    def stop() -> None:
        stopper = DominoHook("domino_default")
        stopper.stop_deployment(deployment_id)
        stopper.close()

    dag = new_dag()
    running = DeploymentSensor(task_id="running", deployment_id=deployment_id, deferrable=deferrable, dag=dag, **FAST)
    stopping = PythonOperator(task_id="stop", python_callable=stop, dag=dag)
    stopped = DeploymentSensor(
        task_id="stopped", deployment_id=deployment_id, target_state="STOPPED", deferrable=deferrable, dag=dag, **FAST
    )
    not_running = DeploymentSensor(
        task_id="not_running",
        deployment_id=deployment_id,
        deferrable=deferrable,
        retries=2,
        retry_delay=datetime.timedelta(0),
        dag=dag,
        **FAST,
    )
    running >> stopping >> stopped >> not_running

    dag_run = run(run_dag, dag)

    assert states(dag_run) == {"running": "success", "stop": "success", "stopped": "success", "not_running": "failed"}
    assert tries(dag_run)["not_running"] == 1, "a deployment in a failure state is not waited on again"
    assert statuses.matches(deployment_status(hook, deployment_id), ["STOPPED"])
    assert re.search(rf"Deployment {deployment_id} is stopped, not RUNNING", task_log(capfd), re.IGNORECASE)
    assert len(gets(domino, f"/modelDeployments/{deployment_id}")) >= 3


@pytest.mark.parametrize(
    ("overrides", "field"), [({"target_state": "BOGUS"}, "target_state"), ({"deployment_id": ""}, "deployment_id")]
)
def test_bad_arguments_are_refused_before_any_request_naming_the_argument(domino, run_dag, capfd, overrides, field):
    dag = new_dag()
    kwargs = {"deployment_id": "dep-1", "retries": 2, "retry_delay": datetime.timedelta(0), **overrides}
    DeploymentSensor(task_id="wait", dag=dag, **FAST, **kwargs)
    domino.clear_request_log()
    dag_run = run(run_dag, dag)
    assert states(dag_run) == {"wait": "failed"}
    assert tries(dag_run)["wait"] == 1
    assert f"Invalid argument {field}" in task_log(capfd)
    assert api_requests(domino) == []
