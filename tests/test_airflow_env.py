"""The test harness itself: an isolated Airflow whose ``dag.test()`` runs a task to success."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pendulum


def test_airflow_home_is_the_sessions_private_directory(airflow_home: Path) -> None:
    from airflow.configuration import conf

    assert os.environ["AIRFLOW_HOME"] == str(airflow_home)
    assert Path(conf.get("core", "dags_folder")) == airflow_home / "dags"
    assert conf.get("database", "sql_alchemy_conn").endswith(str(airflow_home / "airflow.db"))
    assert conf.getboolean("core", "load_examples") is False
    assert not {"DOMINO_API_HOST", "DOMINO_USER_API_KEY", "DOMINO_TOKEN_FILE"} & set(os.environ)


def test_dag_test_runs_a_python_task_to_success(run_dag: Callable[..., Any], airflow_db: Path, tmp_path: Path) -> None:
    from airflow.providers.common.compat.sdk import DAG
    from airflow.providers.common.compat.standard.operators import PythonOperator

    marker = tmp_path / "ran"

    def _touch() -> str:
        marker.write_text("ok")
        return "done"

    with DAG(
        dag_id="harness_self_test",
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        catchup=False,
    ) as dag:
        PythonOperator(task_id="touch", python_callable=_touch)

    dag_run = run_dag(dag)

    assert marker.read_text() == "ok"
    assert dag_run.state == "success"
    assert airflow_db.exists()


def test_run_dag_can_run_the_same_dag_twice(run_dag: Callable[..., Any]) -> None:
    from airflow.providers.common.compat.sdk import DAG
    from airflow.providers.common.compat.standard.operators import PythonOperator

    with DAG(dag_id="harness_rerun", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
        PythonOperator(task_id="noop", python_callable=lambda: None)

    assert run_dag(dag).state == "success"
    assert run_dag(dag).state == "success"
