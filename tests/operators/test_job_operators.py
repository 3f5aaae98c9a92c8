"""RunJobOperator against a live emulator, with real Airflow (``dag.test()``), in both dialects."""

from __future__ import annotations

import asyncio
import datetime
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_domino.operators.jobs import RunJobOperator
from dagutil import RESULTS, collector, new_dag, run, states, task_log, tries, worker_lost_on_first_try
from domino_env import api_requests

FAST = {"poll_interval": 0.2, "wait_timeout": 60}
DAY = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)

#: A job long enough for a retry to find it still running, short enough to keep the suite quick.
MEDIUM_TRAIN_PY = """
import time

print("medium training started", flush=True)
time.sleep(2)
print("medium training done", flush=True)
"""


@pytest.fixture
def churn(projects_dir: Path) -> Path:
    """The ``churn`` project folder (the emulator reads it live), without a previous run's artifact."""
    project = projects_dir / "churn"
    (project / "medium_train.py").write_text(MEDIUM_TRAIN_PY)
    (project / "artifact.json").unlink(missing_ok=True)
    return project


def job_task(dag: Any, task_id: str = "train", cls: type[RunJobOperator] = RunJobOperator, **overrides: Any) -> Any:
    kwargs: dict[str, Any] = {"project_id": "churn", "command": "python train.py", **FAST, **overrides}
    return cls(task_id=task_id, dag=dag, **kwargs)


def link_collector(dag: Any, upstream: Any) -> Any:
    """A task that stores the job link ``upstream`` pushed in ``RESULTS["link"]``."""
    from airflow.providers.common.compat.standard.operators import PythonOperator

    def collect(value: Any) -> None:
        RESULTS["link"] = value

    task = PythonOperator(
        task_id="collect_link",
        python_callable=collect,
        op_args=["{{ ti.xcom_pull(task_ids='" + upstream.task_id + "', key='domino_job_url') }}"],
        dag=dag,
    )
    upstream >> task
    return task


def jobs(domino: Any) -> list[dict[str, Any]]:
    return domino.state()["jobs"]


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_train_job_writes_its_artifact_returns_ids_and_copies_stdout_to_the_task_log(
    domino, run_dag, churn, capfd, deferrable
):
    from airflow.providers.common.compat.standard.operators import PythonOperator

    dag = new_dag(params={"project": "churn"})
    prepare = PythonOperator(
        task_id="prepare", python_callable=lambda: {"commit": "c0ffee12"}, multiple_outputs=True, dag=dag
    )
    train = job_task(
        dag,
        project_id="{{ params.project }}",
        title="train {{ ds }}",
        commit_id=prepare.output["commit"],
        deferrable=deferrable,
    )
    collector(dag, train, "train")
    link_collector(dag, train)

    dag_run = run(run_dag, dag, logical_date=DAY)

    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    out = RESULTS["train"]
    assert set(out) == {"job_id", "status"}
    assert out["status"].lower() == "succeeded"
    assert (churn / "artifact.json").read_text() == '{"w": 2.0}'
    [job] = jobs(domino)
    assert job["id"] == out["job_id"]
    assert job["runCommand"] == "python train.py"
    assert job["title"].startswith("train 2026-03-01 [airflow:"), job["title"]
    assert job["commitId"] == "c0ffee12"
    assert RESULTS["link"] == f"{domino.base_url}/jobs/churn/{out['job_id']}"
    text = task_log(capfd)
    assert f"Output of Domino job {out['job_id']}" in text
    assert "training on 3 rows" in text


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_a_failing_job_fails_the_task_once_with_its_log_tail(domino, run_dag, churn, capfd, deferrable):
    dag = new_dag()
    job_task(dag, command="python train.py --fail", deferrable=deferrable, retries=2, retry_delay=datetime.timedelta(0))

    dag_run = run(run_dag, dag)

    assert states(dag_run)["train"] == "failed"
    assert tries(dag_run)["train"] == 1, "a job that failed must not be retried by Airflow"
    assert len(jobs(domino)) == 1
    text = task_log(capfd)
    assert "AirflowFailException" in text
    assert "ended Failed: The command exited with code 3. Last lines of its output:" in text
    assert "loss is NaN" in text


def test_a_task_retried_after_its_job_started_carries_on_with_that_job(domino, run_dag, churn, capfd):
    # The first try dies right after starting the job, before ResumableJobMixin stored its id.
    dag = new_dag()
    collector(
        dag,
        job_task(
            dag,
            cls=worker_lost_on_first_try(RunJobOperator, "submit_job"),
            retries=1,
            retry_delay=datetime.timedelta(0),
        ),
        "train",
    )

    dag_run = run(run_dag, dag)

    assert "started by an earlier try of this task" in task_log(capfd)

    assert states(dag_run)["train"] == "success"
    assert tries(dag_run)["train"] == 2
    [job] = jobs(domino)
    assert RESULTS["train"] == {"job_id": job["id"], "status": "Succeeded"}


def test_a_retry_reconnects_to_the_job_still_running_and_returns_its_ids(domino, run_dag, churn, capfd):
    dag = new_dag()
    task = job_task(
        dag,
        cls=worker_lost_on_first_try(RunJobOperator, "poll_until_complete", after=False),  # job id already stored
        command="python medium_train.py",
        retries=1,
        retry_delay=datetime.timedelta(0),
    )
    collector(dag, task, "train")
    link_collector(dag, task)

    dag_run = run(run_dag, dag)

    assert states(dag_run)["train"] == "success", states(dag_run)
    assert tries(dag_run)["train"] == 2
    [job] = jobs(domino)
    assert RESULTS["train"] == {"job_id": job["id"], "status": "Succeeded"}
    assert RESULTS["link"] == f"{domino.base_url}/jobs/churn/{job['id']}"
    assert "medium training done" in task_log(capfd)


def test_a_lost_start_job_answer_is_found_by_its_marker_not_started_again(domino, run_dag, churn):
    domino.set_faults(rate=1.0, kinds=["lost"], methods=["POST"], paths=["/api/jobs/v1/jobs"], max=1)
    dag = new_dag()
    collector(dag, job_task(dag, retries=2, retry_delay=datetime.timedelta(0)), "train")

    dag_run = run(run_dag, dag)

    assert states(dag_run)["train"] == "success"
    assert tries(dag_run)["train"] == 1
    assert domino.faults()["counts"]["lost"] == 1
    [job] = jobs(domino)
    assert RESULTS["train"]["job_id"] == job["id"]
    starts = [r for r in api_requests(domino) if r["method"] == "POST" and r["path"] == "/api/jobs/v1/jobs"]
    assert len(starts) == 1


class FakeTI:
    dag_id, run_id, task_id, map_index, try_number = "kill_dag", "manual__kill", "train", -1, 1

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def wait_for_job_status(domino: Any, job_id: str, wanted: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = next(j["status"] for j in jobs(domino) if j["id"] == job_id)
        if status == wanted or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_killing_the_task_stops_the_running_job(domino, airflow_db, churn, deferrable):
    """On a worker the operator's ``on_kill`` stops the job; while deferred, the trigger's (Airflow 3.3)."""
    task = RunJobOperator(task_id="train", project_id="churn", command="python slow_train.py", **FAST)
    ti = FakeTI()
    job_id = task.submit_job({"ti": ti})
    assert ti.pushed == {"domino_job_url": f"{domino.base_url}/jobs/churn/{job_id}"}
    assert wait_for_job_status(domino, job_id, "Running") == "Running"

    if deferrable:
        from airflow_provider_domino.triggers import JobTrigger

        asyncio.run(JobTrigger(poll_interval=0.2, job_id=job_id, project_id="churn").on_kill())
    else:
        task.on_kill()

    assert wait_for_job_status(domino, job_id, "Stopped") == "Stopped"
    stops = [r for r in api_requests(domino) if r["path"] == "/v4/jobs/stop"]
    assert len(stops) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"command": ""}, "command"),
        ({"command": 42}, "command"),
        ({"project_id": None}, "project_id"),
        ({"title": 7}, "title"),
        ({"poll_interval": -1}, "poll_interval"),
    ],
)
def test_bad_arguments_fail_before_any_request_naming_the_argument(domino, run_dag, capfd, overrides, field):
    dag = new_dag()
    job_task(dag, retries=2, retry_delay=datetime.timedelta(0), **overrides)
    domino.clear_request_log()

    dag_run = run(run_dag, dag)

    assert states(dag_run)["train"] == "failed"
    assert tries(dag_run)["train"] == 1
    assert f"Invalid argument {field}" in task_log(capfd)
    assert api_requests(domino) == []
