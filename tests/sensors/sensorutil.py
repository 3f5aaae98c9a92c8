"""What the sensor tests share: a spy on deferral and the reschedule rows of a task instance."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_domino.sensors._base import DominoBaseSensor

FAST: dict[str, Any] = {"poke_interval": 0.2, "timeout": 60}


@pytest.fixture
def deferrals(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every ``defer()`` a Domino sensor makes (``dag.test()`` runs tasks in this process), then deferred."""
    calls: list[dict[str, Any]] = []
    original = DominoBaseSensor.defer

    def spy(self: DominoBaseSensor, *args: Any, **kwargs: Any) -> Any:
        calls.append({"task_id": self.task_id, **kwargs})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DominoBaseSensor, "defer", spy)
    return calls


def reschedules(dag_run: Any, task_id: str) -> int:
    """How many times the task instance was rescheduled (rows of ``task_reschedule``)."""
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    ti = dag_run.get_task_instance(task_id)
    if hasattr(TaskReschedule, "ti_id"):  # Airflow 3
        where = [TaskReschedule.ti_id == ti.id]
    else:  # Airflow 2.11 keys the rows by dag, run and task
        where = [
            TaskReschedule.dag_id == ti.dag_id,
            TaskReschedule.run_id == ti.run_id,
            TaskReschedule.task_id == ti.task_id,
        ]
    with create_session() as session:
        return int(session.scalar(select(func.count()).where(*where)) or 0)
