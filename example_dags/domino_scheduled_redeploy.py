"""Redeploy a Model API when a new model version is registered: canary, then keep it or roll back.

Data-aware: this DAG is scheduled on the asset ``domino://models/demo-linear``, which the ``register``
task of ``domino_train_register_deploy`` updates. So "a new model version was registered" starts it.

    read_current (the Model API serving now, by name, with DominoHook)
      -> baseline (PredictOperator: the current version's answer, kept in XCom)
      -> new_version (CreateVersionOperator, waits for the build in the triggerer)
      -> canary (PredictOperator: the new version's answer to the same input)
      -> decide (branch: logs "keeping version X" or "rolling back to version Y")
      -> keep | rollback (CreateVersionOperator from the previous version's file and function)

The canary is kept when its answer is within ``tolerance`` of ``expected``, or at least as close to it as
the current version's answer. A new version whose build fails fails ``new_version``; Domino keeps serving
the previous version then, so there is nothing to roll back.

To run it every day as well as on new registrations, use a combined schedule:
``schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("@daily", timezone="UTC"),
assets=[REGISTERED_MODEL])`` (``airflow.timetables.assets`` on Airflow 3; on 2.11,
``DatasetOrTimeSchedule(..., datasets=[...])`` from ``airflow.timetables.datasets``).

Needs a Model API named ``demo-linear`` in ``demo-project`` (run ``domino_train_register_deploy`` first).
Try it with ``airflow dags test domino_scheduled_redeploy`` (see ``domino_train_register_deploy`` for the
emulator and the connection).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import DAG, AirflowFailException, Param, task

from airflow_provider_domino.assets import model_api_asset, registered_model_asset
from airflow_provider_domino.hooks.domino import DominoHook
from airflow_provider_domino.operators.model_apis import CreateVersionOperator
from airflow_provider_domino.operators.predictions import PredictOperator

PROJECT_ID = "demo-project"
MODEL_NAME = "demo-linear"
# Updated by the register task of domino_train_register_deploy.
REGISTERED_MODEL = registered_model_asset(MODEL_NAME)
MODEL_API = model_api_asset(PROJECT_ID, MODEL_NAME)
# Seconds between status checks. The emulator builds in about a second; against a real Domino, 30 is plenty.
POLL_SECONDS = 2

with DAG(
    dag_id="domino_scheduled_redeploy",
    description="New version of a Model API on each registered model version: canary, then keep or roll back",
    schedule=[REGISTERED_MODEL],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["domino", "example"],
    params={
        "project_id": Param(PROJECT_ID, type="string", description="The Domino project of the Model API"),
        "model_name": Param(MODEL_NAME, type="string", description="The Model API to redeploy"),
        "model_file": Param("model.py", type="string", description="The new version's model file"),
        "model_function": Param("predict", type="string", description="The new version's model function"),
        "canary_x": Param(10, type="number", description="The canary prediction's input"),
        "expected": Param(32.0, type="number", description="The answer expected for canary_x"),
        "tolerance": Param(0.5, type="number", description="How far the canary's answer may be from expected"),
    },
) as dag:

    @task(multiple_outputs=True)
    def read_current(params: dict | None = None) -> dict[str, Any]:
        """The Model API to redeploy and the version serving now (its file and function, for a rollback)."""
        params = params or {}
        hook = DominoHook()
        found = hook.find_model_apis(params["project_id"], params["model_name"])
        if not found:
            raise AirflowFailException(
                f"No Model API named {params['model_name']!r} in project {params['project_id']!r}: "
                "run domino_train_register_deploy first"
            )
        model_api = found[0]
        # Domino 6.x nests the active version; older answers (and the seed document) keep it flat.
        active = model_api.get("activeVersion") or {}
        version_id = active.get("id") or model_api.get("activeVersionId")
        version = hook.get_model_api_version(model_api["id"], version_id)
        source = version.get("source") or {}
        current = {
            "model_api_id": model_api["id"],
            "version_id": version_id,
            "version_number": version.get("number"),
            "model_file": source.get("file") or version.get("modelFile"),
            "model_function": source.get("function") or version.get("modelFunction"),
        }
        print(f"Model API {model_api['id']} serves version {current['version_number']} ({version_id})")
        return current

    current = read_current()

    baseline = PredictOperator(
        task_id="baseline",
        model_api_id=current["model_api_id"],
        data={"x": "{{ params.canary_x }}"},
    )

    new_version = CreateVersionOperator(
        task_id="new_version",
        model_api_id=current["model_api_id"],
        project_id="{{ params.project_id }}",
        model_file="{{ params.model_file }}",
        model_function="{{ params.model_function }}",
        description="Canary for {{ params.model_name }} (run {{ run_id }})",
        wait_for_build=True,
        deferrable=True,
        poll_interval=POLL_SECONDS,
    )

    # Once the new version runs, the Model API serves it: this is the new version's answer.
    canary = PredictOperator(
        task_id="canary",
        model_api_id=current["model_api_id"],
        data={"x": "{{ params.canary_x }}"},
    )

    @task.branch
    def decide(canary_answer: dict, baseline_answer: dict, current: dict, new: dict, params: dict | None = None) -> str:
        """Keep the new version if its answer is good enough, else roll back to the previous one."""
        params = params or {}
        expected, tolerance = float(params["expected"]), float(params["tolerance"])
        new_error = abs(float(canary_answer["prediction"]) - expected)
        old_error = abs(float(baseline_answer["prediction"]) - expected)
        print(
            f"Canary for x={params['canary_x']}: new version {new['version_id']} answered "
            f"{canary_answer['prediction']:.4f}, version {current['version_number']} answered "
            f"{baseline_answer['prediction']:.4f}; expected {expected:g} ± {tolerance:g}"
        )
        if new_error <= tolerance or new_error <= old_error:
            print(f"Decision: keeping version {new['version_id']}")
            return "keep"
        print(f"Decision: rolling back to version {current['version_number']} ({current['version_id']})")
        return "rollback"

    @task(outlets=[MODEL_API])
    def keep(new: dict) -> str:
        print(f"Version {new['version_id']} stays in service")
        return new["version_id"]

    rollback = CreateVersionOperator(
        task_id="rollback",
        model_api_id=current["model_api_id"],
        project_id="{{ params.project_id }}",
        model_file=current["model_file"],
        model_function=current["model_function"],
        description="Rollback of {{ params.model_name }} to version {{ ti.xcom_pull('read_current')['version_number'] }}",
        wait_for_build=True,
        deferrable=True,
        poll_interval=POLL_SECONDS,
        outlets=[MODEL_API],
    )

    baseline >> new_version >> canary
    decision = decide(canary.output, baseline.output, current, new_version.output)
    decision >> [keep(new_version.output), rollback]
