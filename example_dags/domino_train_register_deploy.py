"""Train, register, deploy and smoke-test a model on Domino: the complete workflow in one DAG.

    train (RunJobOperator: python train.py)
      -> register (RegisterModelOperator, outlet asset domino://models/demo-linear)
      -> deploy (DeployModelApiOperator, outlet asset domino://model-apis/demo-linear)
      -> wait_running (ModelApiVersionSensor, deferrable: the wait runs in the triggerer)
      -> smoke_test (PredictOperator with a known input)
      -> check_prediction (fails unless the answer is within tolerance)

The Domino project is ``example_dags/project``: ``train.py`` fits y = 3x + 2 from data it makes and
writes ``model.json``; ``model.py`` serves ``predict(x)``. So predict(x=10) must answer about 32.

Run it offline against the local emulator with ``make demo``, or by hand::

    python -m airflow_provider_domino.emulator --projects <folder holding demo-project/> --port 8899 \\
        --api-key dev-key --model-token dev-token
    export AIRFLOW_CONN_DOMINO_DEFAULT='{"conn_type": "domino", "host": "http://127.0.0.1:8899",
        "password": "dev-key", "extra": {"model_access_token": "dev-token"}}'
    airflow dags test domino_train_register_deploy

Settings are DAG params (override them with ``--conf`` or in the trigger form). The registered
model's and the Model API's assets are named after the default model name.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_domino.assets import model_api_asset, registered_model_asset
from airflow_provider_domino.operators.jobs import RunJobOperator
from airflow_provider_domino.operators.model_apis import DeployModelApiOperator
from airflow_provider_domino.operators.predictions import PredictOperator
from airflow_provider_domino.operators.registry import RegisterModelOperator
from airflow_provider_domino.sensors.model_apis import ModelApiVersionSensor

PROJECT_ID = "demo-project"
MODEL_NAME = "demo-linear"
# Other DAGs (domino_scheduled_redeploy) are scheduled on these assets.
REGISTERED_MODEL = registered_model_asset(MODEL_NAME)
MODEL_API = model_api_asset(PROJECT_ID, MODEL_NAME)
# Seconds between status checks. The emulator builds in about a second; against a real Domino, 30 is plenty.
POLL_SECONDS = 2

with DAG(
    dag_id="domino_train_register_deploy",
    description="Train a model in a Domino job, register it, deploy it as a Model API and smoke-test it",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["domino", "example"],
    params={
        "project_id": Param(PROJECT_ID, type="string", description="The Domino project holding train.py"),
        "model_name": Param(MODEL_NAME, type="string", description="Registered model and Model API name"),
        "environment_id": Param("demo-env", type="string", description="Compute environment of the build"),
        "hardware_tier_id": Param("small", type="string", description="Hardware tier serving the model"),
        "smoke_x": Param(10, type="number", description="The smoke test's input"),
        "expected": Param(32.0, type="number", description="The answer expected for smoke_x (3x + 2)"),
        "tolerance": Param(0.5, type="number", description="How far the answer may be from expected"),
    },
) as dag:
    train = RunJobOperator(
        task_id="train",
        project_id="{{ params.project_id }}",
        command="python train.py",
        title="Train {{ params.model_name }}",
        poll_interval=POLL_SECONDS,
    )

    register = RegisterModelOperator(
        task_id="register",
        model_name="{{ params.model_name }}",
        project_id="{{ params.project_id }}",
        experiment_run_id=train.output["job_id"],
        artifact_path="model.json",
        description="Linear model trained by {{ dag.dag_id }}",
        outlets=[REGISTERED_MODEL],
    )

    deploy = DeployModelApiOperator(
        task_id="deploy",
        project_id="{{ params.project_id }}",
        name="{{ params.model_name }}",
        model_file="model.py",
        model_function="predict",
        environment_id="{{ params.environment_id }}",
        hardware_tier_id="{{ params.hardware_tier_id }}",
        version_description="Registered model {{ params.model_name }} v{{ ti.xcom_pull('register')['model_version'] }}",
        wait_for_running=False,  # the sensor below waits, in the triggerer
        outlets=[MODEL_API],
    )

    wait_running = ModelApiVersionSensor(
        task_id="wait_running",
        model_api_id=deploy.output["model_api_id"],
        version_id=deploy.output["version_id"],
        deferrable=True,
        poke_interval=POLL_SECONDS,
        timeout=30 * 60,
    )

    smoke_test = PredictOperator(
        task_id="smoke_test",
        model_api_id=deploy.output["model_api_id"],
        data={"x": "{{ params.smoke_x }}"},
    )

    @task
    def check_prediction(answer: dict, params: dict | None = None) -> float:
        """Fail the run unless the model's answer is within tolerance of the expected value."""
        params = params or {}
        prediction = float(answer["prediction"])
        expected, tolerance = float(params["expected"]), float(params["tolerance"])
        print(f"Prediction for x={params['smoke_x']}: {prediction:.4f} (expected {expected:g} ± {tolerance:g})")
        if abs(prediction - expected) > tolerance:
            raise ValueError(f"The model answered {prediction:.4f}, more than {tolerance:g} from {expected:g}")
        return prediction

    train >> register >> deploy >> wait_running >> smoke_test
    check_prediction(smoke_test.output)
