"""Sensor fields rendered from params and upstream XCom (``.output`` and ``ti.xcom_pull``), in both dialects."""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.standard.operators import PythonOperator

from airflow_provider_domino.hooks.domino import DominoHook
from airflow_provider_domino.operators.predictions import SubmitAsyncPredictionOperator
from airflow_provider_domino.sensors.deployments import DeploymentSensor
from airflow_provider_domino.sensors.model_apis import ModelApiVersionSensor
from airflow_provider_domino.sensors.predictions import AsyncPredictionSensor
from dagutil import RESULTS, collector, new_dag, run, states
from sensors.livedomino import create_model_api, gets
from sensors.sensorutil import FAST


def test_sensor_fields_render_from_params_and_upstream_xcom(domino, run_dag, hook):
    model_api_id, version_id = create_model_api(hook)

    def ids() -> dict[str, Any]:
        return {"version_id": version_id}

    def make_deployment(version: str) -> dict[str, Any]:
        creator = DominoHook("domino_default")
        try:
            return {"deployment_id": creator.create_deployment(name="templated", model_version_id=version)["id"]}
        finally:
            creator.close()

    # Lower-case targets: rendered, then compared case-insensitively with what Domino reports.
    dag = new_dag(params={"model_api_id": model_api_id, "target": "running", "state": "running"})
    upstream = PythonOperator(task_id="ids", python_callable=ids, multiple_outputs=True, dag=dag)
    wait_version = ModelApiVersionSensor(
        task_id="wait_version",
        model_api_id="{{ params.model_api_id }}",
        version_id=upstream.output["version_id"],
        target_statuses=["{{ params.target }}"],
        dag=dag,
        **FAST,
    )
    deployment = PythonOperator(
        task_id="deployment",
        python_callable=make_deployment,
        op_args=[upstream.output["version_id"]],
        multiple_outputs=True,
        dag=dag,
    )
    wait_deployment = DeploymentSensor(
        task_id="wait_deployment",
        deployment_id=deployment.output["deployment_id"],
        target_state="{{ params.state | upper }}",
        dag=dag,
        **FAST,
    )
    submit = SubmitAsyncPredictionOperator(
        task_id="submit", model_api_id="{{ params.model_api_id }}", parameters={"x": 5, "y": 6}, dag=dag
    )
    wait_prediction = AsyncPredictionSensor(
        task_id="wait_prediction",
        model_api_id=submit.output["model_api_id"],
        prediction_id="{{ ti.xcom_pull(task_ids='submit')['prediction_id'] }}",
        dag=dag,
        **FAST,
    )
    wait_version >> deployment
    wait_version >> submit
    collector(dag, wait_prediction, "prediction")
    collector(dag, deployment, "deployment")
    collector(dag, submit, "submit")

    dag_run = run(run_dag, dag)

    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    assert RESULTS["prediction"] == {"sum": 11}
    assert gets(domino, f"/modelApis/{model_api_id}/versions/{version_id}")
    assert gets(domino, f"/modelDeployments/{RESULTS['deployment']['deployment_id']}")
    assert gets(domino, f"/{RESULTS['submit']['prediction_id']}")
    assert (wait_deployment.target_state, wait_version.target_statuses) == (
        "{{ params.state | upper }}",
        ["{{ params.target }}"],
    )
