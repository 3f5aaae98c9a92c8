"""Bad input, load, auth, the command line and clean shutdown."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from airflow_provider_domino.emulator import RunningEmulator, run_emulator
from conftest import wait_for

MS = "/api/modelServing/v1"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message"),
    [
        ("POST", f"{MS}/modelApis", {"data": b"{not json"}, 400, "malformed JSON body"),
        ("POST", f"{MS}/modelApis", {"json": [1, 2]}, 400, "must be a JSON object"),
        ("POST", f"{MS}/modelApis", {"data": b""}, 400, "request body is required"),
        ("POST", f"{MS}/modelApis", {"data": b"[" * 100_000}, 400, "malformed JSON body"),
        ("POST", f"{MS}/modelApis/x/versions", {"json": {"version": 5}}, 404, "Model API 'x' not found"),
        (
            "POST",
            f"{MS}/modelApis",
            {"json": {"name": "x", "projectId": "demo", "version": {"source": {"type": "Git"}}}},
            400,
            "'version.source.type' must be 'File' or 'Registry'",
        ),
        (
            "POST",
            "/api/registeredmodels/v2",
            {"json": {"modelName": "m", "create": True, "modelSource": {"sourceType": "mlflow"}}},
            400,
            "'modelSource.mlflowSource' is required",
        ),
        ("POST", "/models/nope/latest/model", {"json": {"data": {}}}, 404, "Model API 'nope' not found"),
        ("POST", f"{MS}/modelApis", {"json": {"name": 5}}, 400, "field 'name' must be a string, not int"),
        ("POST", f"{MS}/modelApis", {"json": {"name": "x"}}, 400, "'projectId' or 'version.projectId' is required"),
        (
            "POST",
            f"{MS}/modelApis",
            {"json": {"name": "x", "projectId": "demo", "modelFile": "m.py", "modelFunction": "f", "replicas": "2"}},
            400,
            "field 'replicas' must be an integer",
        ),
        (
            "POST",
            f"{MS}/modelApis",
            {"json": {"name": "x", "projectId": "nope", "modelFile": "m.py", "modelFunction": "f"}},
            404,
            "project 'nope' not found",
        ),
        ("GET", f"{MS}/modelApis/does-not-exist", {}, 404, "Model API 'does-not-exist' not found"),
        ("GET", f"{MS}/modelApis?limit=abc", {}, 400, "query parameter 'limit' must be an integer"),
        ("GET", "/api/jobs/beta/jobs/unknown", {}, 404, "job 'unknown' not found"),
        ("GET", f"{MS}/modelDeployments/unknown", {}, 404, "model deployment 'unknown' not found"),
        (
            "POST",
            "/api/jobs/v1/jobs",
            {"json": {"projectId": "demo", "runCommand": ["ls"]}},
            400,
            "'runCommand' must be a string",
        ),
        ("DELETE", "/api/jobs/v1/jobs", {}, 405, "not allowed"),
        ("GET", "/api/nothing/here", {}, 404, "no such endpoint"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_problem(
    seed_emu: RunningEmulator,
    session: requests.Session,
    method: str,
    path: str,
    kwargs: dict,
    status: int,
    message: str,
) -> None:
    answer = session.request(method, f"{seed_emu.base_url}{path}", **kwargs)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    assert answer.headers["X-Request-Id"]


def test_huge_bodies_get_413(seed_emu: RunningEmulator, session: requests.Session) -> None:
    huge = b'{"name": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    answer = session.post(f"{seed_emu.base_url}{MS}/modelApis", data=huge)
    assert answer.status_code == 413
    assert set(answer.json()) == {"errors", "requestId"}
    assert seed_emu.health()["status"] == "ok"


def test_200_concurrent_async_predictions_all_complete(seed_emu: RunningEmulator, session: requests.Session) -> None:
    body = {"projectId": "demo", "name": "concurrent", "modelFile": "model.py", "modelFunction": "echo"}
    api_id = session.post(f"{seed_emu.base_url}{MS}/modelApis", json=body).json()["id"]
    wait_for(lambda: session.get(f"{seed_emu.base_url}{MS}/modelApis/{api_id}").json()["status"] == "Running")
    url = f"{seed_emu.base_url}/api/modelApis/async/v1/{api_id}"

    def submit(i: int) -> str:
        answer = requests.post(url, headers=seed_emu.model_headers, json={"parameters": {"i": i}})
        assert answer.status_code == 200, answer.text
        return answer.json()["predictionId"]  # type: ignore[no-any-return]

    with ThreadPoolExecutor(32) as pool:
        ids = list(pool.map(submit, range(200)))
    assert len(set(ids)) == 200

    def finished() -> bool:
        statuses = [p["status"] for p in seed_emu.state()["predictions"] if p["id"] in set(ids)]
        return statuses.count("succeeded") == 200

    wait_for(finished, timeout=60, interval=0.2)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda pid: requests.get(f"{url}/{pid}", headers=seed_emu.model_headers).json(), ids))
    assert [r["result"] for r in results] == [{"i": i} for i in range(200)]


def test_platform_auth_envelopes_and_a_request_log_without_credentials(projects: Path) -> None:
    key, token = "KEY-distinctive-9f8e7d", "TOKEN-distinctive-1a2b3c"
    with run_emulator(projects, api_key=key, model_token=token) as emu:
        url = f"{emu.base_url}{MS}/modelApis"
        missing = requests.get(url)
        assert missing.status_code == 401
        assert set(missing.json()) == {"errors", "requestId"}
        assert missing.json()["requestId"] == missing.headers["X-Request-Id"]
        wrong = requests.get(url, headers={"X-Domino-Api-Key": "wrong"})
        assert wrong.status_code == 403 and set(wrong.json()) == {"errors", "requestId"}
        assert requests.get(url, headers={"X-Domino-Api-Key": key}).status_code == 200
        assert requests.get(url, headers={"Authorization": f"Bearer {key}"}).status_code == 200
        requests.get(url, params={"api_key": key, "note": f"x{token}x"}, headers={"Authorization": f"Bearer {key}"})
        requests.post(f"{emu.base_url}/models/abc/latest/model", auth=(token, token), json={"data": {}})
        requests.get(f"{emu.base_url}/api/{key}", headers={"X-Domino-Api-Key": key})
        log = emu.request_log()
        assert len(log) == 7
        dump = repr(log)
        assert key not in dump and token not in dump
        assert "[REDACTED]" in dump
        assert [entry["status"] for entry in log][:3] == [401, 403, 200]


def test_first_line_credentials_and_sigterm_stop_everything(projects: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_domino.emulator",
            "--projects",
            str(projects),
            "--build-seconds",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.fullmatch(r"Domino emulator listening on http://127\.0\.0\.1:(\d+)\n", first)
        assert match, first
        base = f"http://127.0.0.1:{match.group(1)}"
        creds = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(2))  # type: ignore[union-attr]
        headers = {"X-Domino-Api-Key": creds["DOMINO_API_KEY"]}
        body = {"projectId": "demo", "name": "child", "modelFile": "model.py", "modelFunction": "echo"}
        api_id = requests.post(f"{base}{MS}/modelApis", headers=headers, json=body).json()["id"]
        wait_for(lambda: requests.get(f"{base}{MS}/modelApis/{api_id}", headers=headers).json()["status"] == "Running")
        token = creds["DOMINO_MODEL_TOKEN"]
        assert requests.post(f"{base}/models/{api_id}/latest/model", auth=(token, token), json={"data": {}}).ok
        requests.post(f"{base}/api/jobs/v1/jobs", headers=headers, json={"projectId": "demo", "runCommand": "sleep 60"})
        wait_for(lambda: len(descendants(proc.pid)) >= 2)
        children = descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        wait_for(lambda: not any(alive(pid) for pid in children), timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def descendants(pid: int) -> list[int]:
    """Process ids whose parent chain leads to ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigint_stops_cleanly(projects: Path) -> None:
    with run_emulator(projects) as emu:
        os.kill(emu.pid, signal.SIGINT)
        assert emu.process is not None and emu.process.wait(10) == 0


def test_simple_gets_all_answer_and_a_deep_page_is_served(seed_emu: RunningEmulator) -> None:
    seed_emu.seed(10_000, project_id="bulk")
    with requests.Session() as s:
        s.headers.update(seed_emu.headers)
        url = f"{seed_emu.base_url}{MS}/modelApis"
        page = s.get(url, params={"projectId": "bulk", "offset": 9_990, "limit": 50}).json()
        assert len(page) == 10
        # Speed is measured by benchmarks/bench_emulator_capacity.py, not asserted here.
        health = f"{seed_emu.base_url}/_emulator/health"
        answers = [s.get(health).status_code for _ in range(300)]
    assert answers == [200] * 300
