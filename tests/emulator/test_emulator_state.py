"""State survives a restart with --state: resources, logs, and a build still in progress."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

import requests

from airflow_provider_domino.emulator import run_emulator
from conftest import wait_for

MS = "/api/modelServing/v1"


def test_restart_with_state_keeps_everything(projects: Path, tmp_path: Path) -> None:
    state = tmp_path / "emulator.sqlite"
    with run_emulator(projects, state_file=state, build_seconds=0.3) as emu:
        s = requests.Session()
        s.headers.update(emu.headers)
        body = {"projectId": "demo", "name": "kept", "modelFile": "model.py", "modelFunction": "echo"}
        kept = s.post(f"{emu.base_url}{MS}/modelApis", json=body).json()
        wait_for(lambda: s.get(f"{emu.base_url}{MS}/modelApis/{kept['id']}").json()["status"] == "Running")
        versions = s.get(f"{emu.base_url}{MS}/modelApis/{kept['id']}/versions").json()
        s.post(
            f"{emu.base_url}/api/registeredmodels/v2",
            json={"name": "kept model", "source": {"type": "experiment", "runId": "r1"}},
        )
        job = s.post(f"{emu.base_url}/api/jobs/v1/jobs", json={"projectId": "demo", "runCommand": "echo hello"}).json()[
            "job"
        ]
        job_url = f"{emu.base_url}/api/jobs/beta/jobs/{job['id']}"
        wait_for(lambda: s.get(job_url).json()["job"]["status"]["executionStatus"] == "Succeeded")
        dep = s.post(
            f"{emu.base_url}{MS}/modelDeployments", json={"name": "d", "modelVersionId": versions[0]["id"]}
        ).json()
        async_url = f"{emu.base_url}/api/modelApis/async/v1/{kept['id']}"
        prediction = requests.post(async_url, headers=emu.model_headers, json={"parameters": {"p": 1}}).json()[
            "predictionId"
        ]
        wait_for(
            lambda: requests.get(f"{async_url}/{prediction}", headers=emu.model_headers).json()["status"] == "COMPLETED"
        )
        # a build that is still going when the server stops: 3 s total, restart at once
        emu.build_seconds = 3.0
        emu.restart()
        slow = s.post(f"{emu.base_url}{MS}/modelApis", json={**body, "name": "in-progress"}).json()
        time.sleep(0.1)
        port = emu.port
        emu.build_seconds = 0.3
        emu.restart()
        assert emu.port == port
        listed = {m["name"]: m for m in s.get(f"{emu.base_url}{MS}/modelApis").json()}
        assert set(listed) >= {"kept", "in-progress"}
        assert listed["kept"]["status"] == "Running"
        assert listed["in-progress"]["status"] in ("Preparing to build", "Building", "Starting")
        wait_for(lambda: s.get(f"{emu.base_url}{MS}/modelApis/{slow['id']}").json()["status"] == "Running", timeout=10)
        answer = requests.post(emu.model_url(kept["id"]), auth=emu.model_auth, json={"data": {"after": "restart"}})
        assert answer.json()["result"] == {"after": "restart"}
        assert s.get(f"{emu.base_url}/api/registeredmodels/v1/{quote('kept model', safe='')}").status_code == 200
        logs = s.get(f"{job_url}/logs", params={"logType": "stdOut"}).json()["logs"]["logContent"]
        assert [line["log"] for line in logs] == ["hello\n"]
        assert s.get(f"{emu.base_url}{MS}/modelDeployments/{dep['id']}").json()["status"] == "RUNNING"
        assert requests.get(f"{async_url}/{prediction}", headers=emu.model_headers).json()["result"] == {"p": 1}
        build = s.get(f"{emu.base_url}{MS}/modelApis/{kept['id']}/versions/{versions[0]['id']}/buildLogs").json()
        assert "Found function echo in model.py" in [line["log"] for line in build["logs"]]
        # a new job number continues the sequence
        second = s.post(f"{emu.base_url}/api/jobs/v1/jobs", json={"projectId": "demo", "runCommand": "true"}).json()[
            "job"
        ]
        assert second["number"] == job["number"] + 1


def test_job_running_at_shutdown_is_failed_after_restart(projects: Path, tmp_path: Path) -> None:
    with run_emulator(projects, state_file=tmp_path / "s.sqlite") as emu:
        s = requests.Session()
        s.headers.update(emu.headers)
        job = s.post(f"{emu.base_url}/api/jobs/v1/jobs", json={"projectId": "demo", "runCommand": "sleep 60"}).json()[
            "job"
        ]
        url = f"{emu.base_url}/api/jobs/beta/jobs/{job['id']}"
        wait_for(lambda: s.get(url).json()["job"]["status"]["executionStatus"] == "Running")
        emu.restart()
        status = s.get(url).json()["job"]["status"]
        assert status["executionStatus"] == "Failed" and status["isCompleted"] is True
        assert "emulator stopped" in s.get(f"{url}/logs").json()["logs"]["problem"]


def test_reset_clears_state_and_request_log(projects: Path) -> None:
    with run_emulator(projects) as emu:
        body = {"projectId": "demo", "name": "gone", "modelFile": "model.py", "modelFunction": "echo"}
        requests.post(f"{emu.base_url}{MS}/modelApis", headers=emu.headers, json=body)
        assert emu.state()["modelApis"] and emu.request_log()
        emu.reset()
        assert emu.state()["modelApis"] == [] and emu.request_log() == []
