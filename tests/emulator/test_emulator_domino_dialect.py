"""The domino dialect: the 6.2.0 spec's shapes. Every response here goes through ``dsession``, whose hook
validates it against tests/data/domino-public-api-6.2.0-models.json."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from airflow_provider_domino.emulator import RunningEmulator
from conftest import wait_for

MS = "/api/modelServing/v1"
SPEC_BODY = {
    "name": "spec-shaped",
    "description": "created with the spec's body",
    "environmentId": "env-789",
    "isAsync": False,
    "strictNodeAntiAffinity": False,
    "environmentVariables": [{"key": "A", "value": "1"}],
    "version": {
        "projectId": "demo",
        "source": {"type": "File", "file": "model.py", "function": "predict"},
        "logHttpRequestResponse": False,
        "monitoringEnabled": False,
        "description": "marker-v1",
    },
}


def model_api_status(s: requests.Session, emu: RunningEmulator, api_id: str) -> str:
    return s.get(f"{emu.base_url}{MS}/modelApis/{api_id}").json()["activeVersion"]["deployment"]["status"]


@pytest.fixture(scope="module")
def running_api(domino_emu: RunningEmulator) -> str:
    with requests.Session() as s:
        s.headers.update(domino_emu.headers)
        from spec_validation import requests_hook

        s.hooks["response"].append(requests_hook())
        created = s.post(f"{domino_emu.base_url}{MS}/modelApis", json=SPEC_BODY)
        assert created.status_code == 201
        api_id = created.json()["id"]
        wait_for(lambda: model_api_status(s, domino_emu, api_id) == "Running")
        return api_id  # type: ignore[no-any-return]


def test_create_model_api_accepts_both_bodies_and_answers_201(
    dsession: requests.Session, domino_emu: RunningEmulator
) -> None:
    flat = {"projectId": "demo", "name": "flat", "modelFile": "model.py", "modelFunction": "predict"}
    for body in (SPEC_BODY, flat, {**flat, **SPEC_BODY, "name": "superset"}):
        created = dsession.post(f"{domino_emu.base_url}{MS}/modelApis", json=body)
        assert created.status_code == 201, created.text
        model_api = created.json()
        assert "status" not in model_api and "url" not in model_api
        assert model_api["activeVersion"]["deployment"]["status"] == "Preparing to build"
        assert model_api["activeVersion"]["deployment"]["isPending"] is True
        assert isinstance(model_api["metadata"]["created"], int)
    conflict = {**flat, **SPEC_BODY, "modelFile": "serve.py"}
    answer = dsession.post(f"{domino_emu.base_url}{MS}/modelApis", json=conflict)
    assert answer.status_code == 400 and "disagree" in answer.json()["error"]


def test_version_keeps_description_and_status_sits_under_deployment(
    dsession: requests.Session, domino_emu: RunningEmulator, running_api: str
) -> None:
    url = f"{domino_emu.base_url}{MS}/modelApis/{running_api}/versions"
    versions = dsession.get(url).json()
    assert isinstance(versions, list) and versions[0]["description"] == "marker-v1"
    assert versions[0]["deployment"] == {"status": "Running", "isPending": False}
    body = {
        "projectId": "demo",
        "source": {"type": "File", "file": "model.py", "function": "echo"},
        "logHttpRequestResponse": False,
        "monitoringEnabled": False,
        "description": "marker-v2",
    }
    created = dsession.post(url, json=body)
    assert created.status_code == 201 and created.json()["number"] == 2
    version_id = created.json()["id"]
    wait_for(lambda: dsession.get(f"{url}/{version_id}").json()["deployment"]["status"] == "Running")
    for kind in ("buildLogs", "exportLogs", "instanceLogs"):
        assert dsession.get(f"{url}/{version_id}/{kind}").status_code == 200
    assert [v["deployment"]["status"] for v in dsession.get(url).json()] == ["Stopped", "Running"]


def test_lists_are_enveloped_and_honour_offset_and_limit(
    dsession: requests.Session, domino_emu: RunningEmulator
) -> None:
    url = f"{domino_emu.base_url}{MS}/modelApis"
    everything = dsession.get(url, params={"offset": 0, "limit": 1000}).json()
    total = everything["metadata"]["totalCount"]
    assert total == len(everything["items"]) >= 3
    page = dsession.get(url, params={"offset": 1, "limit": 2}).json()
    assert [m["id"] for m in page["items"]] == [m["id"] for m in everything["items"][1:3]]
    assert page["metadata"]["pagination"] == {"offset": 1, "limit": 2, "totalCount": total}
    # the spec's default offset is 25: a client that omits it skips the first 25
    assert dsession.get(url).json()["metadata"]["offset"] == 25


def test_update_and_delete_answer_spec_statuses(dsession: requests.Session, domino_emu: RunningEmulator) -> None:
    flat = {"projectId": "demo", "name": "to-delete", "modelFile": "model.py", "modelFunction": "predict"}
    api_id = dsession.post(f"{domino_emu.base_url}{MS}/modelApis", json=flat).json()["id"]
    url = f"{domino_emu.base_url}{MS}/modelApis/{api_id}"
    put = dsession.put(url, json={"name": "renamed", "description": "d", "environmentId": "env-1", "replicas": 2})
    assert put.status_code == 200 and put.json()["replicas"] == 2
    deleted = dsession.delete(url)
    assert deleted.status_code == 204 and deleted.content == b""
    assert dsession.get(url).json()["isArchived"] is True
    listed = dsession.get(f"{domino_emu.base_url}{MS}/modelApis", params={"offset": 0, "limit": 1000}).json()
    assert api_id not in [m["id"] for m in listed["items"]]


def test_sync_and_async_predictions(dsession: requests.Session, domino_emu: RunningEmulator, running_api: str) -> None:
    answer = requests.post(domino_emu.model_url(running_api), auth=domino_emu.model_auth, json={"data": {"k": 1}})
    assert answer.json()["result"] == {"k": 1}  # version 2 (echo) is live by now
    url = f"{domino_emu.base_url}/api/modelApis/async/v1/{running_api}"
    auth = {"Authorization": f"Bearer {domino_emu.model_token}"}
    submitted = dsession.post(url, headers=auth, json={"parameters": {"a": 1}})
    assert submitted.status_code == 200 and set(submitted.json()) == {"asyncPredictionId"}
    pid = submitted.json()["asyncPredictionId"]
    done = wait_for(
        lambda: (b := dsession.get(f"{url}/{pid}", headers=auth).json())["status"] in ("succeeded", "failed") and b
    )
    assert done == {"asyncPredictionId": pid, "status": "succeeded", "result": {"a": 1}}
    failing = dsession.post(url, headers=auth, json={"parameters": [1, 2, 3]}).json()["asyncPredictionId"]
    failed = wait_for(
        lambda: (b := dsession.get(f"{url}/{failing}", headers=auth).json())["status"] in ("succeeded", "failed") and b
    )
    assert failed["status"] == "failed" and "TypeError" in failed["errors"][0]
    too_big = dsession.post(url, headers=auth, json={"parameters": {"blob": "x" * 11000}})
    assert too_big.status_code == 413 and set(too_big.json()) == {"errors", "requestId"}


def test_jobs_answer_the_spec_shapes(dsession: requests.Session, domino_emu: RunningEmulator) -> None:
    created = dsession.post(
        f"{domino_emu.base_url}/api/jobs/v1/jobs",
        json={"projectId": "demo", "runCommand": "python train.py", "title": "train"},
    )
    assert created.status_code == 200
    job_id = created.json()["job"]["id"]
    url = f"{domino_emu.base_url}/api/jobs/beta/jobs/{job_id}"
    wait_for(lambda: dsession.get(url).json()["job"]["status"]["isCompleted"])
    assert dsession.get(url).json()["job"]["status"]["executionStatus"] == "Succeeded"
    logs = dsession.get(f"{url}/logs", params={"logType": "stdOut"}).json()["logs"]
    assert logs["isComplete"] and logs["logContent"][0]["logType"] == "stdOut"
    listed = dsession.get(f"{domino_emu.base_url}/api/jobs/beta/jobs", params={"projectId": "demo"}).json()
    assert job_id in [j["id"] for j in listed["jobs"]]


def test_registry_token_pagination_and_v2_registration(dsession: requests.Session, domino_emu: RunningEmulator) -> None:
    reg = f"{domino_emu.base_url}/api/registeredmodels"
    names = ["churn model a", "churn model b", "churn model c"]
    for name in names:
        body = {
            "modelName": name,
            "create": True,
            "description": "d",
            "modelSource": {
                "sourceType": "mlflow",
                "mlflowSource": {"experimentRunId": "run-1", "artifactPath": "model"},
            },
        }
        answer = dsession.post(f"{reg}/v2", json=body)
        assert answer.status_code == 200 and answer.json()["modelVersion"]["modelVersion"] == 1
    again = dsession.post(f"{reg}/v2", json={**body, "create": True})
    assert again.status_code == 400 and "already exists" in again.json()["error"]
    seen, token = [], None
    while True:
        params = {"searchPattern": "churn model", "maxResults": 2, **({"pageToken": token} if token else {})}
        page = dsession.get(f"{reg}/v2", params=params).json()
        seen += [m["name"] for m in page["items"]]
        token = page["metadata"].get("nextPageToken")
        if not token:
            break
    assert seen == names
    path = f"{reg}/v1/{quote(names[0], safe='')}"
    assert (
        dsession.post(
            f"{path}/versions", json={"description": "v2", "experimentRunId": "run-2", "artifact": "model"}
        ).status_code
        == 200
    )
    assert dsession.get(f"{path}/versions", params={"offset": 0, "limit": 10}).json()["metadata"]["totalCount"] == 2
    assert dsession.get(f"{path}/versions/2").json()["modelVersion"] == 2
    assert dsession.get(f"{reg}/v2/{quote(names[0], safe='')}/versions/2").json()["modelVersion"] == 2
    assert dsession.patch(path, json={"discoverable": False}).json()["discoverable"] is False
    # a Model API from the registry shows up under the version
    body = {
        "name": "from-registry",
        "description": "",
        "environmentId": "env",
        "isAsync": False,
        "strictNodeAntiAffinity": False,
        "environmentVariables": [],
        "version": {
            "projectId": "demo",
            "logHttpRequestResponse": False,
            "monitoringEnabled": False,
            "source": {
                "type": "Registry",
                "registeredModelName": names[0],
                "registeredModelVersion": 2,
                "file": "model.py",
                "function": "echo",
            },
        },
    }
    api_id = dsession.post(f"{domino_emu.base_url}{MS}/modelApis", json=body).json()["id"]
    apis = dsession.get(f"{path}/versions/2/modelapis").json()["items"]
    assert [a["id"] for a in apis] == [api_id]


def test_deployments_spec_shapes(dsession: requests.Session, domino_emu: RunningEmulator) -> None:
    reg = f"{domino_emu.base_url}/api/registeredmodels/v2"
    dsession.post(
        reg,
        json={
            "modelName": "deployable",
            "create": True,
            "modelSource": {"sourceType": "mlflow", "mlflowSource": {"experimentRunId": "r"}},
        },
    )
    base = f"{domino_emu.base_url}{MS}/modelDeployments"
    body = {
        "name": "edge",
        "deploymentTargetId": "t1",
        "resourceConfigurationId": "rc1",
        "deploymentType": "x",
        "configuration": {
            "sharedConfig": {},
            "modelConfigs": {},
            "deploymentType": {"type": "SYNC_ENDPOINT", "sharedConfig": {}, "modelConfigs": {}},
        },
        "models": [
            {
                "name": "m",
                "environmentId": "e",
                "source": {
                    "registeredModelName": "deployable",
                    "registeredModelVersion": 1,
                    "registeredModelType": "MODELREGISTRY",
                },
            }
        ],
    }
    created = dsession.post(base, json=body)
    assert created.status_code == 200 and created.json()["status"]["state"] == "STARTING"
    dep = f"{base}/{created.json()['id']}"
    wait_for(lambda: dsession.get(dep).json()["status"]["state"] == "RUNNING")
    assert dsession.post(f"{dep}/stop").status_code == 204
    wait_for(lambda: dsession.get(dep).json()["status"]["state"] == "STOPPED")
    assert dsession.post(f"{dep}/start").status_code == 204
    assert dsession.patch(dep, json={"description": "patched"}).json()["status"]["state"] == "UPDATING"
    assert dsession.get(base, params={"offset": 0, "limit": 10}).json()["metadata"]["totalCount"] >= 1
    assert dsession.get(f"{dep}/credentials").json()["items"]
    assert dsession.get(f"{dep}/credentials/predict").json()["operationType"] == "predict"
    assert isinstance(dsession.get(f"{dep}/logs/events").json(), list)
    assert dsession.delete(dep).status_code == 204


def test_every_spec_operation_family_was_validated(checked_paths: list[str]) -> None:
    """The hook really checked responses (guards against a hook that silently validates nothing)."""
    joined = "\n".join(checked_paths)
    for fragment in (
        "POST /api/modelServing/v1/modelApis 201",
        "/versions 201",
        "/buildLogs 200",
        "/api/modelApis/async/v1/",
        "/api/jobs/beta/jobs/",
        "GET /api/registeredmodels/v2 200",
        "/modelDeployments",
        "/credentials 200",
    ):
        assert fragment in joined, fragment
