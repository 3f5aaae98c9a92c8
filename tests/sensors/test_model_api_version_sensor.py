"""ModelApiVersionSensor against a live emulator, with real Airflow (``dag.test()``), in both dialects."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from airflow_provider_domino.sensors.model_apis import ModelApiVersionSensor
from dagutil import new_dag, run, states, task_log, tries
from domino_env import api_requests
from sensors.livedomino import Gate, create_model_api, gets, running_model_api, seen_gets, version_status, wait_until
from sensors.sensorutil import FAST, reschedules

NO_RETRY_DELAY = datetime.timedelta(0)


def version_sensor(dag: Any, model_api_id: str, version_id: str, task_id: str = "wait", **kwargs: Any) -> Any:
    return ModelApiVersionSensor(
        task_id=task_id, dag=dag, model_api_id=model_api_id, version_id=version_id, **{**FAST, **kwargs}
    )


@pytest.mark.parametrize(
    ("mode", "deferrable"),
    [("poke", False), ("reschedule", False), ("poke", True)],
    ids=["poke", "reschedule", "deferrable"],
)
def test_waits_while_the_version_builds_and_succeeds_once_it_runs(
    domino, run_dag, hook, projects_dir, deferrals, mode, deferrable
):
    gate = Gate(projects_dir)  # the build stays "Building" until the sensor has looked once
    model_api_id, version_id = create_model_api(hook, model_file=gate.model_file)
    dag = new_dag()
    version_sensor(dag, model_api_id, version_id, mode=mode, deferrable=deferrable)

    path = f"/versions/{version_id}"
    with gate.opens_after(domino, seen_gets(path)):
        dag_run = run(run_dag, dag)

    assert states(dag_run) == {"wait": "success"}
    assert tries(dag_run)["wait"] == 1
    assert len(gets(domino, path)) >= 2, "the first check saw the build still running, so the sensor looked again"
    assert version_status(hook, model_api_id, version_id) == "Running"
    assert (reschedules(dag_run, "wait") >= 1) == (mode == "reschedule")
    if deferrable:
        assert [d["task_id"] for d in deferrals] == ["wait"]
        assert deferrals[0]["timeout"] == datetime.timedelta(seconds=60)
        assert deferrals[0]["trigger"].serialize()[1]["version_id"] == version_id
    else:
        assert deferrals == []


def test_deferrable_sensor_does_not_defer_when_the_version_already_runs(domino, run_dag, hook, deferrals, capfd):
    model_api_id, version_id = running_model_api(hook)
    domino.clear_request_log()
    dag = new_dag()
    version_sensor(dag, model_api_id, version_id, deferrable=True)
    dag_run = run(run_dag, dag)

    assert states(dag_run) == {"wait": "success"}
    assert deferrals == []
    assert len(gets(domino, f"/versions/{version_id}")) == 1, "one check before deferring, no trigger polling"
    assert "running trigger in line" not in task_log(capfd)


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_a_failed_build_fails_at_once_without_retries_and_shows_the_build_log_tail(
    domino, run_dag, hook, projects_dir, deferrals, capfd, deferrable
):
    # Deferrable: the build fails only after the first check, so the failure comes through the trigger.
    gate = Gate(projects_dir, broken=True)
    model_file = gate.model_file if deferrable else "broken.py"
    model_api_id, version_id = create_model_api(hook, model_file=model_file)
    dag = new_dag()
    version_sensor(dag, model_api_id, version_id, deferrable=deferrable, retries=2, retry_delay=NO_RETRY_DELAY)

    with gate.opens_after(domino, seen_gets(f"/versions/{version_id}")):
        dag_run = run(run_dag, dag)

    assert states(dag_run) == {"wait": "failed"}
    assert tries(dag_run)["wait"] == 1, "a failed build must not be retried"
    text = task_log(capfd)
    assert f"Model API {model_api_id} version {version_id} ended Failed. Last lines of its build log:" in text
    assert f"function predict not found in {model_file}" in text
    assert len(deferrals) == (1 if deferrable else 0)


def test_timeout_fails_the_sensor_and_soft_fail_skips_it(domino, run_dag, hook, capfd):
    """A version can be Stopped (a valid target), but this one never is: only the timeout ends the wait."""
    model_api_id, version_id = create_model_api(hook)
    dag = new_dag()
    common = {"target_statuses": ("Stopped",), "timeout": 2, "retries": 2, "retry_delay": NO_RETRY_DELAY}
    version_sensor(dag, model_api_id, version_id, task_id="strict", **common)
    version_sensor(dag, model_api_id, version_id, task_id="soft", soft_fail=True, **{**common, "timeout": 1})

    dag_run = run(run_dag, dag)

    assert states(dag_run) == {"strict": "failed", "soft": "skipped"}
    assert tries(dag_run)["strict"] == 1, "a sensor timeout is not retried"
    assert "Sensor has timed out" in task_log(capfd)
    assert len(gets(domino, f"/versions/{version_id}")) >= 4, "both sensors polled until their timeout"
    assert version_status(hook, model_api_id, version_id) == "Running"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"target_statuses": ("Bogus",)}, "target_statuses"),
        ({"target_statuses": ()}, "target_statuses"),
        ({"version_id": " "}, "version_id"),
    ],
)
def test_bad_arguments_fail_before_any_request_naming_the_argument(domino, run_dag, capfd, overrides, field):
    dag = new_dag()
    kwargs = {"deferrable": True, "retries": 2, "retry_delay": NO_RETRY_DELAY, **overrides}
    version_sensor(dag, kwargs.pop("model_api_id", "api-1"), kwargs.pop("version_id", "ver-1"), **kwargs)
    domino.clear_request_log()
    dag_run = run(run_dag, dag)
    assert states(dag_run) == {"wait": "failed"}
    assert tries(dag_run)["wait"] == 1
    assert f"Invalid argument {field}" in task_log(capfd)
    assert api_requests(domino) == []


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_soft_fail_skips_a_failed_build_in_every_mode(domino, run_dag, hook, deferrals, deferrable):
    model_api_id, version_id = create_model_api(hook, model_file="broken.py")
    wait_until(lambda: version_status(hook, model_api_id, version_id) == "Failed", "the build to fail")
    dag = new_dag()
    version_sensor(dag, model_api_id, version_id, deferrable=deferrable, soft_fail=True)
    dag_run = run(run_dag, dag)
    assert states(dag_run) == {"wait": "skipped"}
    assert deferrals == []
