"""Life cycles in the seed dialect: builds, predictions, jobs, deployments, the registry, archiving."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from airflow_provider_domino.emulator import RunningEmulator
from conftest import wait_for

MS = "/api/modelServing/v1"


def create_api(emu: RunningEmulator, session: requests.Session, file: str, function: str, **extra: Any) -> dict:
    body = {"projectId": "demo", "name": f"m-{function}", "modelFile": file, "modelFunction": function, **extra}
    response = session.post(f"{emu.base_url}{MS}/modelApis", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def api_status(emu: RunningEmulator, session: requests.Session, api_id: str) -> str:
    return session.get(f"{emu.base_url}{MS}/modelApis/{api_id}").json()["status"]


def running_api(emu: RunningEmulator, session: requests.Session, function: str, file: str = "model.py") -> str:
    api = create_api(emu, session, file, function)
    wait_for(lambda: api_status(emu, session, api["id"]) == "Running")
    return api["id"]


def build_logs(emu: RunningEmulator, session: requests.Session, api_id: str) -> dict:
    version = session.get(f"{emu.base_url}{MS}/modelApis/{api_id}/versions").json()[-1]
    return session.get(f"{emu.base_url}{MS}/modelApis/{api_id}/versions/{version['id']}/buildLogs").json()


def test_build_walks_through_every_status_to_running(seed_emu: RunningEmulator, session: requests.Session) -> None:
    api = create_api(seed_emu, session, "model.py", "predict", description="scores things")
    seen = [api["status"]]
    while seen[-1] != "Running":
        time.sleep(0.02)
        status = api_status(seed_emu, session, api["id"])
        if status != seen[-1]:
            seen.append(status)
    assert seen == ["Preparing to build", "Building", "Starting", "Running"]
    logs = build_logs(seed_emu, session, api["id"])
    assert logs["status"] == "complete"
    text = "\n".join(line["log"] for line in logs["logs"])
    assert "Found function predict in model.py" in text
    assert session.get(f"{seed_emu.base_url}{MS}/modelApis/{api['id']}").json()["description"] == "scores things"


@pytest.mark.parametrize(
    ("file", "function", "reason"),
    [
        ("missing.py", "predict", "model file 'missing.py' not found in project 'demo'"),
        ("model.py", "nope", "function nope not found in model.py"),
        ("broken.py", "predict", "ModuleNotFoundError: No module named 'not_a_module_anywhere_12345'"),
        ("model.py", "NOT_CALLABLE", "NOT_CALLABLE in model.py is not callable"),
    ],
)
def test_build_failure_ends_failed_with_the_reason_in_build_logs(
    seed_emu: RunningEmulator, session: requests.Session, file: str, function: str, reason: str
) -> None:
    api = create_api(seed_emu, session, file, function)
    wait_for(lambda: api_status(seed_emu, session, api["id"]) == "Failed")
    logs = build_logs(seed_emu, session, api["id"])
    assert logs["status"] == "failed"
    text = "\n".join(line["log"] for line in logs["logs"])
    assert reason in text
    assert text.splitlines()[-1].startswith("Build failed:")


def test_sync_prediction_passes_data_as_kwargs_and_parameters_as_positional(
    seed_emu: RunningEmulator, session: requests.Session
) -> None:
    predict_id = running_api(seed_emu, session, "predict")
    answer = requests.post(
        seed_emu.model_url(predict_id), auth=seed_emu.model_auth, json={"data": {"features": [1, 2, 3], "scale": 2}}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["result"] == {"score": 12}
    assert {"model_time_in_ms", "release", "request_id", "timing"} <= set(body)
    assert body["request_id"] == answer.headers["X-Request-Id"]
    add_id = running_api(seed_emu, session, "add")
    answer = requests.post(seed_emu.model_url(add_id), auth=seed_emu.model_auth, json={"parameters": [40, 2]})
    assert answer.json()["result"] == 42
    # the model's prints become instance logs
    version = session.get(f"{seed_emu.base_url}{MS}/modelApis/{predict_id}/versions").json()[0]
    logs = session.get(f"{seed_emu.base_url}{MS}/modelApis/{predict_id}/versions/{version['id']}/instanceLogs").json()
    assert "scoring [1, 2, 3]" in [line["log"] for line in logs["logs"]]


def test_model_exception_gives_500_with_its_message(seed_emu: RunningEmulator, session: requests.Session) -> None:
    api_id = running_api(seed_emu, session, "fail")
    answer = requests.post(seed_emu.model_url(api_id), auth=seed_emu.model_auth, json={"data": {"x": 1}})
    assert answer.status_code == 500
    assert answer.json() == {"error": "ValueError: features are missing: x"}


def test_model_over_its_timeout_gives_504_and_the_worker_recovers(
    seed_emu: RunningEmulator, session: requests.Session
) -> None:
    api_id = running_api(seed_emu, session, "slow")
    started = time.monotonic()
    answer = requests.post(seed_emu.model_url(api_id), auth=seed_emu.model_auth, json={"data": {"seconds": 10}})
    assert answer.status_code == 504
    assert "1.5 seconds" in answer.json()["error"]
    assert time.monotonic() - started < 5
    quick = requests.post(seed_emu.model_url(api_id), auth=seed_emu.model_auth, json={"data": {"seconds": 0}})
    assert quick.json()["result"] == "late"


def test_crashing_model_does_not_take_the_server_down(seed_emu: RunningEmulator, session: requests.Session) -> None:
    api_id = running_api(seed_emu, session, "crash")
    answer = requests.post(seed_emu.model_url(api_id), auth=seed_emu.model_auth, json={"data": {}})
    assert answer.status_code == 500
    assert "exit code 3" in answer.json()["error"]
    assert seed_emu.health()["status"] == "ok"
    again = requests.post(seed_emu.model_url(api_id), auth=seed_emu.model_auth, json={"data": {}})
    assert again.status_code == 500  # a fresh worker, crashing again


def test_model_call_auth(seed_emu: RunningEmulator, session: requests.Session) -> None:
    api_id = running_api(seed_emu, session, "echo")
    missing = requests.post(seed_emu.model_url(api_id), json={"data": {}})
    assert missing.status_code == 401
    assert set(missing.json()) == {"errors", "requestId"}
    wrong = requests.post(seed_emu.model_url(api_id), auth=("nope", "nope"), json={"data": {}})
    assert wrong.status_code == 403
    public = create_api(seed_emu, session, "model.py", "echo", isPublic=True, name="public-echo")
    wait_for(lambda: api_status(seed_emu, session, public["id"]) == "Running")
    assert requests.post(seed_emu.model_url(public["id"]), json={"data": {"a": 1}}).json()["result"] == {"a": 1}


def test_async_prediction_queues_runs_and_completes_or_fails(
    seed_emu: RunningEmulator, session: requests.Session
) -> None:
    api_id = running_api(seed_emu, session, "echo")
    url = f"{seed_emu.base_url}/api/modelApis/async/v1/{api_id}"
    submitted = requests.post(url, headers=seed_emu.model_headers, json={"parameters": {"x": 1}})
    assert submitted.status_code == 200
    prediction_id = submitted.json()["predictionId"]

    def poll(pid: str) -> dict:
        body = requests.get(f"{url}/{pid}", headers=seed_emu.model_headers).json()
        return body if body["status"] in ("COMPLETED", "FAILED") else {}

    assert poll_result(poll, prediction_id) == {
        "predictionId": prediction_id,
        "status": "COMPLETED",
        "result": {"x": 1},
    }
    positional = requests.post(url, headers=seed_emu.model_headers, json={"parameters": [1, 2]}).json()["predictionId"]
    failed = poll_result(poll, positional)
    assert failed["status"] == "FAILED"
    assert "TypeError" in failed["error"]
    assert requests.post(url, json={"parameters": {}}).status_code == 401


def poll_result(poll: Any, prediction_id: str) -> dict:
    return wait_for(lambda: poll(prediction_id))  # type: ignore[no-any-return]


def start_job(emu: RunningEmulator, session: requests.Session, command: str) -> str:
    answer = session.post(f"{emu.base_url}/api/jobs/v1/jobs", json={"projectId": "demo", "runCommand": command})
    assert answer.status_code == 200, answer.text
    job = answer.json()["job"]
    assert job["status"]["executionStatus"] == "Queued"
    return job["id"]


def job_status(emu: RunningEmulator, session: requests.Session, job_id: str) -> str:
    return session.get(f"{emu.base_url}/api/jobs/beta/jobs/{job_id}").json()["job"]["status"]["executionStatus"]


def job_logs(emu: RunningEmulator, session: requests.Session, job_id: str, log_type: str = "complete") -> dict:
    url = f"{emu.base_url}/api/jobs/beta/jobs/{job_id}/logs"
    return session.get(url, params={"logType": log_type}).json()["logs"]


def test_job_trains_writes_a_file_and_the_model_serves_it(
    seed_emu: RunningEmulator, session: requests.Session, projects: Path
) -> None:
    (projects / "demo" / "weights.json").unlink(missing_ok=True)
    job_id = start_job(seed_emu, session, "python train.py")
    seen = wait_for(
        lambda: (
            job_status(seed_emu, session, job_id) in ("Succeeded", "Failed") and job_status(seed_emu, session, job_id)
        )
    )
    assert seen == "Succeeded"
    assert (projects / "demo" / "weights.json").exists()
    stdout = job_logs(seed_emu, session, job_id, "stdOut")
    assert [line["log"] for line in stdout["logContent"]] == ['trained {"bias": 0.5, "slope": 2.0}\n']
    assert stdout["isComplete"] is True
    stderr = job_logs(seed_emu, session, job_id, "stdErr")
    assert [line["log"] for line in stderr["logContent"]] == ["a warning on stderr\n"]
    api_id = running_api(seed_emu, session, "predict", file="serve.py")
    answer = requests.post(seed_emu.model_url(api_id), auth=seed_emu.model_auth, json={"data": {"features": [1, 2]}})
    assert answer.json()["result"] == {"prediction": 6.5}


def test_failing_job_ends_failed_with_stderr_in_logs(seed_emu: RunningEmulator, session: requests.Session) -> None:
    job_id = start_job(seed_emu, session, "python failing_job.py")
    wait_for(lambda: job_status(seed_emu, session, job_id) == "Failed")
    logs = job_logs(seed_emu, session, job_id)
    assert "Traceback: training data is corrupt\n" in [
        line["log"] for line in logs["logContent"] if line["logType"] == "stdErr"
    ]
    assert logs["problem"] == "The command exited with code 4"


def test_running_job_can_be_stopped(seed_emu: RunningEmulator, session: requests.Session) -> None:
    job_id = start_job(seed_emu, session, "echo started; sleep 60")
    wait_for(lambda: job_status(seed_emu, session, job_id) == "Running")
    wait_for(lambda: job_logs(seed_emu, session, job_id, "stdOut")["logContent"])
    stopped = session.post(f"{seed_emu.base_url}/api/jobs/v1/jobs/{job_id}/stop")
    assert stopped.status_code == 200
    started = time.monotonic()
    wait_for(lambda: job_status(seed_emu, session, job_id) == "Stopped")
    assert time.monotonic() - started < 5
    # the v4 form is accepted too
    other = start_job(seed_emu, session, "sleep 60")
    body = {"projectId": "demo", "jobId": other, "commitResults": False}
    assert session.post(f"{seed_emu.base_url}/v4/jobs/stop", json=body).status_code == 200
    wait_for(lambda: job_status(seed_emu, session, other) == "Stopped")


def test_deployment_create_start_stop_delete(seed_emu: RunningEmulator, session: requests.Session) -> None:
    api_id = running_api(seed_emu, session, "predict")
    version_id = session.get(f"{seed_emu.base_url}{MS}/modelApis/{api_id}/versions").json()[0]["id"]
    base = f"{seed_emu.base_url}{MS}/modelDeployments"
    body = {"name": "production-deployment", "modelVersionId": version_id, "hardwareTierId": "medium", "replicas": 2}
    created = session.post(base, json=body).json()
    assert created["status"] == "STARTING" and created["replicas"] == 2
    dep = f"{base}/{created['id']}"
    wait_for(lambda: session.get(dep).json()["status"] == "RUNNING")
    assert session.post(f"{dep}/stop").json()["status"] == "STOPPING"
    wait_for(lambda: session.get(dep).json()["status"] == "STOPPED")
    assert session.post(f"{dep}/start").json()["status"] == "STARTING"
    wait_for(lambda: session.get(dep).json()["status"] == "RUNNING")
    patched = session.patch(dep, json={"replicas": 3}).json()
    assert patched["replicas"] == 3 and patched["version"] == 2
    assert created["id"] in [d["id"] for d in session.get(base).json()]
    logs = session.get(f"{dep}/logs/deployment").json()
    assert any("STARTING" in line["log"] for line in logs)
    creds = session.get(f"{dep}/credentials").json()["items"][0]
    assert creds["credentialsType"] == "HMAC" and creds["credentials"]["secretAccessKey"]
    deleted = session.delete(dep)
    assert deleted.status_code == 200 and deleted.json()["isArchived"] is True
    wait_for(lambda: session.get(dep).json()["status"] == "DELETED")
    assert created["id"] not in [d["id"] for d in session.get(base).json()]
    assert session.post(f"{dep}/start").status_code == 400
    unknown = session.post(base, json={**body, "modelVersionId": "no-such-version"})
    assert unknown.status_code == 404 and "no-such-version" in unknown.json()["error"]


def test_a_start_lag_keeps_a_started_deployment_stopped_for_a_moment(
    seed_emu: RunningEmulator, session: requests.Session
) -> None:
    api_id = running_api(seed_emu, session, "predict")
    version_id = session.get(f"{seed_emu.base_url}{MS}/modelApis/{api_id}/versions").json()[0]["id"]
    base = f"{seed_emu.base_url}{MS}/modelDeployments"
    created = session.post(base, json={"name": "lagging", "modelVersionId": version_id}).json()
    dep = f"{base}/{created['id']}"
    session.post(f"{dep}/stop")
    wait_for(lambda: session.get(dep).json()["status"] == "STOPPED")
    try:
        assert seed_emu.set_start_lag(0.6)["startLagSeconds"] == 0.6
        assert session.post(f"{dep}/start").json()["status"] == "STOPPED", "the start is not picked up yet"
        wait_for(lambda: session.get(dep).json()["status"] == "RUNNING")
        logs = [line["log"] for line in session.get(f"{dep}/logs/deployment").json()]
        assert logs[-2:] == ["STARTING: start requested", "RUNNING"], logs
    finally:
        seed_emu.reset()
    assert seed_emu.health()["startLagSeconds"] == 0.0, "reset restores the command line's value"


@pytest.mark.parametrize("body", [{"startLagSeconds": -1}, {"startLagSeconds": "1"}, {"buildSeconds": 1}, []])
def test_the_runtime_config_refuses_bad_settings_naming_them(seed_emu: RunningEmulator, body: object) -> None:
    answer = requests.put(f"{seed_emu.base_url}/_emulator/config", json=body, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"], answer.text


def test_registry_with_spaces_and_slashes_in_names(seed_emu: RunningEmulator, session: requests.Session) -> None:
    reg = f"{seed_emu.base_url}/api/registeredmodels"
    for name in ("fraud classifier v1", "team/fraud model"):
        body = {
            "name": name,
            "description": "Random forest",
            "source": {"type": "experiment", "experimentId": "exp-123", "runId": "run-456"},
        }
        first = session.post(f"{reg}/v2", json=body)
        assert first.status_code == 200
        assert first.json()["registeredModel"]["name"] == name
        path = f"{reg}/v1/{quote(name, safe='')}"
        assert session.get(path).json()["name"] == name
        second = session.post(
            f"{path}/versions", json={"description": "v2", "experimentRunId": "run-789", "artifact": "model"}
        )
        assert second.json()["modelVersion"] == 2
        versions = session.get(f"{path}/versions").json()
        assert [v["modelVersion"] for v in versions] == [1, 2]
        assert session.get(f"{path}/versions/2").json()["experimentRunId"] == "run-789"
        assert session.get(f"{path}/versions/2/modelapis").json() == []
        assert session.patch(path, json={"description": "updated"}).json()["description"] == "updated"
    assert [m["name"] for m in session.get(f"{reg}/v2", params={"name": "fraud classifier v1"}).json()] == [
        "fraud classifier v1"
    ]
    assert len(session.get(f"{reg}/v2", params={"offset": 1, "limit": 1}).json()) == 1
    assert session.get(f"{reg}/v1/{quote('no such model', safe='')}").status_code == 404
    assert session.get(f"{reg}/v1/{quote('fraud classifier v1', safe='')}/versions/9").status_code == 404


def test_new_version_takes_over_and_keeps_its_description(seed_emu: RunningEmulator, session: requests.Session) -> None:
    api_id = running_api(seed_emu, session, "predict")
    url = f"{seed_emu.base_url}{MS}/modelApis/{api_id}/versions"
    created = session.post(
        url,
        json={
            "modelFile": "model.py",
            "modelFunction": "echo",
            "environmentId": "env-789",
            "description": "marker-123",
        },
    )
    assert created.status_code == 200
    new = created.json()
    assert new["number"] == 2 and new["description"] == "marker-123"
    assert api_status(seed_emu, session, api_id) == "Running"  # the old version serves meanwhile
    wait_for(lambda: session.get(f"{url}/{new['id']}").json()["status"] == "Running")
    statuses = [v["status"] for v in session.get(url).json()]
    assert statuses == ["Stopped", "Running"]
    answer = requests.post(seed_emu.model_url(api_id), auth=seed_emu.model_auth, json={"data": {"k": "v"}})
    assert answer.json()["result"] == {"k": "v"}
    assert answer.json()["release"]["model_version_number"] == 2


def test_update_and_delete_archive_the_model_api(seed_emu: RunningEmulator, session: requests.Session) -> None:
    api_id = running_api(seed_emu, session, "predict")
    url = f"{seed_emu.base_url}{MS}/modelApis/{api_id}"
    updated = session.put(
        url, json={"name": "renamed", "description": "new words", "environmentId": "env-1", "replicas": 2}
    )
    assert updated.json()["name"] == "renamed" and updated.json()["replicas"] == 2
    deleted = session.delete(url)
    assert deleted.status_code == 200 and deleted.json()["isArchived"] is True
    got = session.get(url).json()
    assert got["isArchived"] is True and got["status"] == "Stopped"
    assert api_id not in [m["id"] for m in session.get(f"{seed_emu.base_url}{MS}/modelApis").json()]
    assert requests.post(seed_emu.model_url(api_id), auth=seed_emu.model_auth, json={"data": {}}).status_code == 404
