"""The emulator restarted (with ``--state``) while a sensor waits on a build: the DAG still succeeds."""

from __future__ import annotations

import datetime
import json
import threading
import time
from pathlib import Path

import pytest

from airflow_provider_domino.emulator import run_emulator

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(180)]

MODEL = "def predict(x):\n    return {'double': 2 * x}\n"


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferred"])
def test_a_waiting_sensor_survives_a_restart_of_domino(tmp_path: Path, monkeypatch, run_dag, deferrable: bool) -> None:
    from airflow.providers.common.compat.sdk import DAG

    from airflow_provider_domino.operators.model_apis import DeployModelApiOperator
    from airflow_provider_domino.operators.predictions import PredictOperator
    from airflow_provider_domino.sensors.model_apis import ModelApiVersionSensor

    (tmp_path / "projects" / "restart").mkdir(parents=True)
    (tmp_path / "projects" / "restart" / "model.py").write_text(MODEL)
    state = tmp_path / "state.sqlite"
    with run_emulator(str(tmp_path / "projects"), state_file=str(state), build_seconds=6.0) as emu:
        conn = {
            "conn_type": "domino",
            "host": emu.base_url,
            "password": emu.api_key,
            "extra": {"model_access_token": emu.model_token, "max_retries": 8, "retry_backoff": 0.5},
        }
        monkeypatch.setenv("AIRFLOW_CONN_DOMINO_DEFAULT", json.dumps(conn))
        with DAG(f"restart_{deferrable}", schedule=None, start_date=datetime.datetime(2026, 1, 1)) as dag:
            deploy = DeployModelApiOperator(
                task_id="deploy",
                project_id="restart",
                name="doubler",
                model_file="model.py",
                model_function="predict",
                environment_id="env",
                wait_for_running=False,
            )
            wait = ModelApiVersionSensor(
                task_id="wait",
                model_api_id=deploy.output["model_api_id"],
                version_id=deploy.output["version_id"],
                poke_interval=0.5,
                timeout=120,
                deferrable=deferrable,
            )
            predict = PredictOperator(task_id="predict", model_api_id=deploy.output["model_api_id"], data={"x": 21})
            deploy >> wait >> predict

        restarted = threading.Event()
        first_pid = emu.pid

        def restart_when_building() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                versions = emu.state()["versions"]
                if versions and str(versions[0]["status"]).lower() not in ("running", "failed"):
                    emu.restart()
                    restarted.set()
                    return
                time.sleep(0.2)

        restarter = threading.Thread(target=restart_when_building, daemon=True)
        restarter.start()
        dag_run = run_dag(dag)
        restarter.join(timeout=60)

        assert restarted.is_set(), "the emulator was not restarted while the build ran"
        assert emu.pid != first_pid
        states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dag_run.get_task_instances()}
        assert states == {"deploy": "success", "wait": "success", "predict": "success"}
        assert len(emu.state()["modelApis"]) == 1
