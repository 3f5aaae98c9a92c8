"""``example_dags/domino_train_register_deploy.py`` on a real Airflow 3 deployment, against the local Domino
emulator.

The deployment (``e2e_harness.AirflowDeployment``) is what ``airflow standalone`` runs, as separate
processes: ``airflow db migrate``, then ``api-server``, ``scheduler`` (LocalExecutor), ``dag-processor`` and
``triggerer``, in a fresh ``AIRFLOW_HOME`` with a SQLite metadata database. Every component gets the
connection to the emulator as ``AIRFLOW_CONN_DOMINO_DEFAULT``. The example's Domino project
(``example_dags/project``) is installed in the emulator under the DAG's default ``project_id`` param. The test
unpauses and triggers the DAG through the public REST API (v2) and waits for the run to succeed.

That the sensor really waited in the triggerer is shown from several components:

- the execution API's audit log (``/api/v2/eventLogs``: one row per state a worker reports) holds
  ``deferred`` for the sensor's first try, then ``running`` again (the resume, same try) and ``success``;
- polling the task instances during the run saw the sensor ``deferred`` on a ``ModelApiVersionTrigger``
  that a ``TriggererJob`` had taken;
- the emulator answered the version's status while the task was deferred (no worker was running it, so
  those requests came from the trigger);
- the triggerer wrote the trigger's log next to the task's (``attempt=1.log.trigger.<job id>.log``): its
  polls, ``Trigger fired event`` with a success event and ``trigger completed``; the API serves those lines
  in the task's log;
- afterwards no trigger row is left (the triggerer deletes triggers no task waits on).

The emulator's builds take ``BUILD_SECONDS`` so the sensor's first poke (on a worker, a few seconds after the
deploy task created the version) cannot already find the version running: without that the sensor would
rightly finish without deferring.
"""

from __future__ import annotations

import ast
import datetime
import json
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

AIRFLOW_VERSION = version("apache-airflow")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        int(AIRFLOW_VERSION.split(".")[0]) < 3,
        reason=f"needs Airflow 3 (api-server, dag-processor, execution API); this is Airflow {AIRFLOW_VERSION}",
    ),
]

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "domino_train_register_deploy"
EXAMPLE_DAG = REPO / "example_dags" / f"{DAG_ID}.py"
EXAMPLE_PROJECT = REPO / "example_dags" / "project"

SENSOR_CLASS = "ModelApiVersionSensor"
DEPLOY_CLASS = "DeployModelApiOperator"
TRIGGER_CLASSPATH = "airflow_provider_domino.triggers.ModelApiVersionTrigger"
BUILD_SECONDS = 20.0  # a Model API version's build time in the emulator; the sensor stays deferred that long
RUN_TIMEOUT = 180.0  # seconds from triggering the run to its final state
API_KEY = "KEY-e2e-7c1d94ab"
MODEL_TOKEN = "MTOK-e2e-3b60f2e5"


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def example() -> Path:
    """The example DAG file; the test fails (it does not skip) when it is missing or is not valid Python."""
    if not EXAMPLE_DAG.is_file() or not EXAMPLE_PROJECT.is_dir():
        pytest.fail(f"{EXAMPLE_DAG.relative_to(REPO)} and {EXAMPLE_PROJECT.relative_to(REPO)}/ must exist")
    ast.parse(EXAMPLE_DAG.read_text(), filename=str(EXAMPLE_DAG))
    return EXAMPLE_DAG


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from airflow_provider_domino.emulator import run_emulator

    projects = tmp_path_factory.mktemp("e2e-projects")
    with run_emulator(
        str(projects), dialect="domino", api_key=API_KEY, model_token=MODEL_TOKEN, build_seconds=BUILD_SECONDS
    ) as emu:
        yield emu


@pytest.fixture(scope="module")
def deployment(example: Path, emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from e2e_harness import AirflowDeployment

    conn = {
        "conn_type": "domino",
        "host": emulator.base_url,
        "password": API_KEY,
        "extra": {"model_access_token": MODEL_TOKEN, "retry_backoff": 0.2, "max_retries": 4},
    }
    deployment = AirflowDeployment(
        tmp_path_factory.mktemp("e2e-airflow-home"), extra_env={"AIRFLOW_CONN_DOMINO_DEFAULT": json.dumps(conn)}
    )
    # In place before the DAG processor starts, so its first scan parses it.
    deployment.dags_folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(example, deployment.dags_folder / example.name)
    with deployment:
        yield deployment
    if deployment.killed:
        print(f"\nneeded SIGKILL at teardown: {deployment.killed}")


@pytest.fixture
def logs_on_failure(request: pytest.FixtureRequest, deployment: Any, emulator: Any) -> Iterator[None]:
    """Print the components', tasks' and emulator's log tails when the test fails."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        print("\n" + deployment.log_tails())
        print(f"===== emulator stderr =====\n{emulator.stderr_text()[-4000:]}")


def install_project(emulator: Any, dag_details: dict[str, Any]) -> str:
    """Copy the example project into the emulator as the project the DAG uses by default (its ``project_id``
    param, read from the parsed DAG, so the run uses the DAG's own defaults); return that id."""
    param = (dag_details.get("params") or {}).get("project_id")
    project_id = param.get("value") if isinstance(param, dict) else param
    assert isinstance(project_id, str) and project_id, f"{DAG_ID} has no default 'project_id' param: {param!r}"
    shutil.copytree(
        EXAMPLE_PROJECT,
        Path(emulator.projects_dir) / project_id,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "model.json"),
    )
    return project_id


# ---------------------------------------------------------------------------------------------- the run
@dataclass
class RunObservation:
    """What polling the API saw while the run went on."""

    run: dict[str, Any] = field(default_factory=dict)
    states: dict[str, list[str]] = field(default_factory=dict)  # task_id -> states seen, in order
    triggers: dict[str, dict[str, Any]] = field(default_factory=dict)  # task_id -> its trigger while deferred
    triggerer_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # task_id -> the triggerer's job


def watch_run(deployment: Any, run_id: str, timeout: float) -> RunObservation:
    seen = RunObservation()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deployment.check_alive()
        for ti in deployment.task_instances(DAG_ID, run_id):
            states = seen.states.setdefault(ti["task_id"], [])
            state = ti.get("state") or "none"
            if not states or states[-1] != state:
                states.append(state)
            if state == "deferred" and ti.get("trigger"):
                seen.triggers[ti["task_id"]] = ti["trigger"]
            if state == "deferred" and ti.get("triggerer_job"):
                seen.triggerer_jobs[ti["task_id"]] = ti["triggerer_job"]
        seen.run = deployment.dag_run(DAG_ID, run_id)
        if seen.run.get("state") in ("success", "failed"):
            return seen
        time.sleep(0.5)
    raise AssertionError(f"the run did not finish within {timeout:g}s; states seen: {seen.states}")


def _when(event: dict[str, Any]) -> float:
    return datetime.datetime.fromisoformat(event["when"].replace("Z", "+00:00")).timestamp()


def _json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def _wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} after {timeout:g}s")
        time.sleep(0.5)


# ---------------------------------------------------------------------------------------------- the test
@pytest.mark.timeout(480)
def test_train_register_deploy_runs_on_a_real_deployment_and_the_sensor_waits_in_the_triggerer(
    deployment: Any, emulator: Any, logs_on_failure: None
) -> None:
    started = time.monotonic()
    dag = deployment.wait_for_dag(DAG_ID)
    project_id = install_project(emulator, deployment.request("GET", f"/api/v2/dags/{DAG_ID}/details"))
    tasks = {
        t["task_id"]: t["class_ref"]["class_name"] for t in deployment.get(f"/api/v2/dags/{DAG_ID}/tasks")["tasks"]
    }
    sensors = [task_id for task_id, cls in tasks.items() if cls == SENSOR_CLASS]
    deploys = [task_id for task_id, cls in tasks.items() if cls == DEPLOY_CLASS]
    assert len(sensors) == 1 and len(deploys) == 1, f"expected one {SENSOR_CLASS} and one {DEPLOY_CLASS}: {tasks}"
    sensor, deploy = sensors[0], deploys[0]
    assert dag["is_paused"], "DAGs start paused in this deployment; the test unpauses it"

    deployment.unpause(DAG_ID)
    run_id = deployment.trigger(DAG_ID)
    seen = watch_run(deployment, run_id, RUN_TIMEOUT)
    run_seconds = time.monotonic() - started

    final = {ti["task_id"]: ti["state"] for ti in deployment.task_instances(DAG_ID, run_id)}
    assert seen.run["state"] == "success", f"run {run_id} ended {seen.run['state']}: {final}; seen {seen.states}"
    assert set(final) == set(tasks) and set(final.values()) == {"success"}, final

    # 1. The audit log: the worker reported the sensor deferred; the same try ran again and succeeded.
    events = deployment.event_logs(DAG_ID, run_id=run_id, task_id=sensor)
    names = [e["event"] for e in events]
    assert "deferred" in names, (
        f"{sensor} never deferred: {names}. If its first poke already found the version Running, the "
        f"emulator's build ({BUILD_SECONDS:g}s) was shorter than the time the scheduler took to start it."
    )
    deferred = names.index("deferred")
    before, after = names[:deferred], names[deferred + 1 :]
    assert names.count("deferred") == 1 and set(before) == {"running"}, names
    assert "running" in after and after[-1] == "success" and "failed" not in after, names
    assert {e["try_number"] for e in events} == {1}, f"the resume must be the same try, not a retry: {events}"
    deferred_at = _when(events[deferred])
    resumed_at = _when(events[deferred + 1 + after.index("running")])

    # 2. Polling saw it deferred, on this provider's trigger, held by a triggerer.
    assert "deferred" in seen.states[sensor], seen.states[sensor]
    assert seen.triggers[sensor]["classpath"] == TRIGGER_CLASSPATH, seen.triggers[sensor]
    triggerer = seen.triggerer_jobs.get(sensor) or {}
    assert triggerer.get("job_type") == "TriggererJob", seen.triggerer_jobs

    # 3. While no worker ran the sensor, the trigger asked the emulator for the version's status.
    xcom = deployment.request(
        "GET",
        f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances/{deploy}"
        "/xcomEntries/return_value",
    )["value"]
    deployed = json.loads(xcom) if isinstance(xcom, str) else xcom
    version_path = f"/{deployed['model_api_id']}/versions/{deployed['version_id']}"
    polls = [
        r
        for r in emulator.request_log()
        if r["method"] == "GET" and r["path"].endswith(version_path) and deferred_at < r["time"] < resumed_at
    ]
    assert len(polls) >= 2 and all(r["status"] == 200 for r in polls), polls

    # 4. The triggerer's own log of the trigger: it polled, fired a success event and completed.
    trigger_logs = sorted(
        deployment.home.glob(f"logs/dag_id={DAG_ID}/run_id=*/task_id={sensor}/attempt=1.log.trigger.*.log")
    )
    assert [p.name.rsplit(".", 2)[-2] for p in trigger_logs] == [str(triggerer.get("id"))], trigger_logs
    lines = _json_lines(trigger_logs[0])
    fired = [line for line in lines if line.get("event") == "Trigger fired event"]
    assert len(fired) == 1, lines
    assert "'status': 'success'" in fired[0]["result"] and "'domino_status': 'Running'" in fired[0]["result"], fired
    assert any(line.get("event") == "trigger completed" for line in lines), lines
    assert sum("checking again in" in str(line.get("event")) for line in lines) >= 1, lines
    assert "Trigger fired event" in deployment.task_log(DAG_ID, run_id, sensor), (
        "the API does not show the trigger's log"
    )

    # 5. Nothing is left waiting: the triggerer deletes triggers no task instance refers to any more.
    _wait_for(lambda: deployment.query("SELECT count(*) FROM trigger")[0][0] == 0, 30, "trigger rows are left")

    print(
        f"\n{DAG_ID} on Airflow {AIRFLOW_VERSION} (project {project_id}): parsed, triggered and "
        f"succeeded in {run_seconds:.0f}s; {sensor} deferred {resumed_at - deferred_at:.1f}s, {len(polls)} status checks from "
        f"the trigger; states seen: {seen.states}"
    )
