"""Secrets kept: a whole pipeline run with distinctive credentials leaves none of them in task logs,
exception texts, XCom, rendered template fields or the emulator's request log.

The pipeline touches every kind of call: a job, the registry, a Model API deployed with a deferred wait,
a sensor, a sync prediction whose token is templated from a Variable, and an async prediction. It runs
once with an API key and once with a bearer token read from a token file.
"""

from __future__ import annotations

import datetime
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_domino.emulator import run_emulator

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(240)]

API_KEY = "KEY-secret-9f2c4be1d7"
MODEL_TOKEN = "MTOK-secret-3a7e55c0b2"
BAD_TOKEN = "MTOK-wrong-61d0f9ae44"

MODEL = "def predict(x):\n    return {'y': 3 * x + 2}\n"
TRAIN = "print('fitted y = 3x + 2')\n"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(message)s").format(record))


def _pipeline(dag_id: str) -> Any:
    from airflow.providers.common.compat.sdk import DAG

    from airflow_provider_domino.operators.jobs import RunJobOperator
    from airflow_provider_domino.operators.model_apis import DeployModelApiOperator
    from airflow_provider_domino.operators.predictions import PredictOperator, SubmitAsyncPredictionOperator
    from airflow_provider_domino.operators.registry import RegisterModelOperator
    from airflow_provider_domino.sensors.model_apis import ModelApiVersionSensor
    from airflow_provider_domino.sensors.predictions import AsyncPredictionSensor

    fast = {"poll_interval": 0.2}
    with DAG(dag_id, schedule=None, start_date=datetime.datetime(2026, 1, 1)) as dag:
        train = RunJobOperator(task_id="train", project_id="secrets", command="python train.py", **fast)
        register = RegisterModelOperator(
            task_id="register", model_name="secret model", experiment_run_id=train.output["job_id"]
        )
        deploy = DeployModelApiOperator(
            task_id="deploy",
            project_id="secrets",
            name="secret-model",
            model_file="model.py",
            model_function="predict",
            environment_id="env",
            deferrable=True,
            **fast,
        )
        wait = ModelApiVersionSensor(
            task_id="wait",
            model_api_id=deploy.output["model_api_id"],
            version_id=deploy.output["version_id"],
            poke_interval=0.2,
            deferrable=True,
        )
        predict = PredictOperator(
            task_id="predict",
            model_api_id=deploy.output["model_api_id"],
            data={"x": 5},
            access_token="{{ var.value.domino_model_token }}",
        )
        submit = SubmitAsyncPredictionOperator(
            task_id="submit",
            model_api_id=deploy.output["model_api_id"],
            parameters={"x": 1},
            access_token="{{ var.value.domino_model_token }}",
        )
        result = AsyncPredictionSensor(
            task_id="result",
            model_api_id=deploy.output["model_api_id"],
            prediction_id=submit.output["prediction_id"],
            access_token="{{ var.value.domino_model_token }}",
            poke_interval=0.2,
            deferrable=True,
        )
        wrong = PredictOperator(
            task_id="wrong_token", model_api_id=deploy.output["model_api_id"], data={"x": 1}, access_token=BAD_TOKEN
        )
        train >> register >> deploy >> wait >> [predict, submit, wrong]
        submit >> result
    return dag


def _stored_texts(dag_id: str) -> list[str]:
    """XCom values and rendered template fields stored for ``dag_id``."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    try:
        from airflow.models.xcom import XComModel as XComTable
    except ImportError:  # Airflow 2
        from airflow.models.xcom import BaseXCom as XComTable  # type: ignore[no-redef]

    texts = []
    with create_session() as session:
        for row in session.query(XComTable).filter(XComTable.dag_id == dag_id):
            texts.append(f"xcom {row.task_id}.{row.key} = {row.value!r}")
        for row in session.query(RenderedTaskInstanceFields).filter(RenderedTaskInstanceFields.dag_id == dag_id):
            texts.append(f"rendered {row.task_id} = {json.dumps(row.rendered_fields, default=str)}")
    return texts


@pytest.mark.parametrize("auth", ["api_key", "token_file"])
def test_no_credential_leaks_anywhere_in_a_full_pipeline(
    auth: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_dag, capfd: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "projects" / "secrets"
    project.mkdir(parents=True)
    (project / "model.py").write_text(MODEL)
    (project / "train.py").write_text(TRAIN)
    extra: dict[str, Any] = {"max_retries": 2, "retry_backoff": 0.05}
    password: str | None = API_KEY
    if auth == "token_file":
        token_file = tmp_path / "token"
        token_file.write_text(API_KEY + "\n")
        extra["token_file"] = str(token_file)
        password = None

    records = _Records()
    for name in ("airflow.task", "airflow_provider_domino", ""):
        logging.getLogger(name).addHandler(records)
    try:
        with run_emulator(str(tmp_path / "projects"), api_key=API_KEY, model_token=MODEL_TOKEN) as emu:
            conn = {"conn_type": "domino", "host": emu.base_url, "password": password, "extra": extra}
            monkeypatch.setenv("AIRFLOW_CONN_DOMINO_DEFAULT", json.dumps(conn))
            monkeypatch.setenv("AIRFLOW_VAR_DOMINO_MODEL_TOKEN", MODEL_TOKEN)
            dag = _pipeline(f"secrets_{auth}")
            dag_run = run_dag(dag)
            request_log = json.dumps(emu.request_log())
    finally:
        for name in ("airflow.task", "airflow_provider_domino", ""):
            logging.getLogger(name).removeHandler(records)

    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dag_run.get_task_instances()}
    assert states.pop("wrong_token") == "failed", "a wrong model token must fail the call"
    assert set(states.values()) == {"success"}, states

    out, err = capfd.readouterr()
    logs = out + err + "\n".join(records.lines)
    assert "Domino answered 40" in logs, "the wrong-token failure (Domino's 401/403) is in the task log"
    stored = "\n".join(_stored_texts(dag.dag_id))
    assert "prediction_id" in stored and "access_token" in stored, "the XCom and rendered fields were read"
    for secret in (API_KEY, MODEL_TOKEN, BAD_TOKEN):
        assert secret not in logs, f"a credential is in the task logs: {secret[:8]}..."
        assert secret not in stored, f"a credential is in XCom or rendered fields: {secret[:8]}..."
        assert secret not in request_log, f"a credential is in the emulator's request log: {secret[:8]}..."
