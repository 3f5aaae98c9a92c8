"""Build small DAGs around one operator and run them with ``dag.test()``; collect what tasks returned."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

from airflow.providers.common.compat.sdk import DAG

RESULTS: dict[str, Any] = {}
_ids = itertools.count()


def new_dag(**kwargs: Any) -> DAG:
    kwargs.setdefault("schedule", None)
    kwargs.setdefault("start_date", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    kwargs.setdefault("catchup", False)
    return DAG(f"domino_test_{next(_ids)}", **kwargs)


def collector(dag: DAG, upstream: Any, name: str) -> Any:
    """A task that stores ``upstream``'s return value in ``RESULTS[name]``."""
    from airflow.providers.common.compat.standard.operators import PythonOperator

    def collect(value: Any) -> None:
        RESULTS[name] = value

    task = PythonOperator(task_id=f"collect_{name}", python_callable=collect, op_args=[upstream.output], dag=dag)
    upstream >> task
    return task


def states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dag_run.get_task_instances()}


def tries(dag_run: Any) -> dict[str, int]:
    return {ti.task_id: ti.try_number for ti in dag_run.get_task_instances()}


def run(run_dag: Callable[..., Any], dag: DAG, **kwargs: Any) -> Any:
    RESULTS.clear()
    return run_dag(dag, **kwargs)


def task_log(capfd: Any) -> str:
    """What the tasks logged (Airflow's task logger writes to the process's stdout and stderr)."""
    out, err = capfd.readouterr()
    return out + err
