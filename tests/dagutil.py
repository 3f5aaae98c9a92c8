"""Build small DAGs around one operator and run them with ``dag.test()``; collect what tasks returned."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import logging
from collections.abc import Callable
from typing import Any

from airflow.providers.common.compat.sdk import DAG

RESULTS: dict[str, Any] = {}
_ids = itertools.count()


def new_dag(**kwargs: Any) -> DAG:
    kwargs.setdefault("schedule", None)
    kwargs.setdefault("start_date", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
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


def run(run_dag: Callable[..., Any], dag: DAG, *, logical_date: datetime.datetime | None = None, **kwargs: Any) -> Any:
    """``dag.test()`` on either Airflow line (2.11 calls the logical date ``execution_date``)."""
    RESULTS.clear()
    if logical_date is not None:
        from airflow import __version__

        kwargs["logical_date" if int(__version__.split(".")[0]) >= 3 else "execution_date"] = logical_date
    return run_dag(dag, **kwargs)


def worker_lost_on_first_try(cls: type, method: str = "execute", *, after: bool = True) -> type:
    """A subclass of operator ``cls`` whose first try dies in ``method`` as a crashed worker would: once
    ``method`` has done its work (``after=True``: what it created exists) or before it (a wait cut short).
    ``method`` takes the task context as its last argument or as ``context=`` (``execute``, ``submit_job``,
    ``poll_until_complete``)."""

    def dying(self: Any, *args: Any, **kwargs: Any) -> Any:
        context = kwargs["context"] if "context" in kwargs else args[-1]
        first = context["ti"].try_number == 1
        if first and not after:
            raise RuntimeError(f"worker lost during {method}")
        result = getattr(super(subclass, self), method)(*args, **kwargs)
        if first:
            raise RuntimeError(f"worker lost after {method}")
        return result

    subclass = type(f"WorkerLost{cls.__name__}", (cls,), {method: dying, "__module__": cls.__module__})
    return subclass


def task_log(capfd: Any) -> str:
    """What the tasks logged: Airflow 3's task logger writes to the process's stdout and stderr; Airflow
    2's goes through the ``airflow.task`` logger, which :data:`TASK_LOG` (installed by :func:`capture_task_log`)
    records."""
    out, err = capfd.readouterr()
    return out + err + "\n".join(TASK_LOG)


TASK_LOG: list[str] = []


class _Recorder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a broken record must not break the task
            TASK_LOG.append(self.format(record))


def capture_task_log() -> Any:
    """Record ``airflow.task`` log records (with tracebacks); returns a function that stops recording."""
    TASK_LOG.clear()
    handler = _Recorder()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("airflow.task")
    logger.addHandler(handler)
    return lambda: logger.removeHandler(handler)
