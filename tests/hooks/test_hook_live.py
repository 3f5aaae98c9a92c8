"""A round trip of every hook method against a live emulator on 127.0.0.1, in both dialects.

In the ``domino`` dialect every response the sync hook receives is also validated against Domino's Public
API 6.2.0 spec (``tests/spec_validation.py``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.errors import DominoNotFoundError
from airflow_provider_domino.emulator import RunningEmulator, run_emulator
from airflow_provider_domino.hooks.domino import DominoAsyncHook, DominoHook

pytestmark = pytest.mark.integration

MODEL_PY = "def predict(x, y=1):\n    return {'sum': x + y}\n"
TRAIN_PY = "print('trained')\n"
PROJECT = "tiny"


@pytest.fixture(scope="module", params=["seed", "domino"])
def emulator(request, tmp_path_factory) -> Iterator[RunningEmulator]:
    projects = tmp_path_factory.mktemp(f"projects-{request.param}")
    (projects / PROJECT).mkdir()
    (projects / PROJECT / "model.py").write_text(MODEL_PY)
    (projects / PROJECT / "train.py").write_text(TRAIN_PY)
    with run_emulator(projects, dialect=request.param, build_seconds=0.2) as emu:
        yield emu


@pytest.fixture
def live_conn(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    conn = {
        "conn_type": "domino",
        "host": emulator.base_url,
        "password": emulator.api_key,
        "extra": {"model_access_token": emulator.model_token, "max_retries": 2, "retry_backoff": 0.05},
    }
    monkeypatch.setenv("AIRFLOW_CONN_DOMINO_LIVE", json.dumps(conn))
    return "domino_live"


@pytest.fixture
def checked() -> list[str]:
    return []


@pytest.fixture
def live(emulator: RunningEmulator, live_conn: str, checked: list[str]) -> Iterator[DominoHook]:
    hook = DominoHook(live_conn)
    if emulator.dialect == "domino":
        spec_validation = pytest.importorskip("spec_validation")
        hook.get_conn().hooks["response"].append(spec_validation.requests_hook(checked))
    yield hook
    hook.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"not reached within {timeout}s (last {last!r})")


def _running(hook: DominoHook, api_id: str, version_id: str) -> bool:
    status = shapes.version_status(hook.get_model_api_version(api_id, version_id))
    assert not statuses.MODEL_API_VERSION.is_failure(status), hook.build_log_tail(api_id, version_id)
    return statuses.MODEL_API_VERSION.is_success(status)


def test_model_api_lifecycle_round_trip(live: DominoHook, emulator: RunningEmulator, checked: list[str]) -> None:
    ok, message = live.test_connection()
    assert ok, message
    name = f"sum-{emulator.dialect}"
    created = live.create_model_api(
        project_id=PROJECT,
        name=name,
        model_file="model.py",
        model_function="predict",
        environment_id="env-1",
        description="adds",
    )
    api_id = created["id"]
    assert [a["id"] for a in live.find_model_apis(PROJECT, name)] == [api_id]
    assert api_id in [a["id"] for a in live.iter_model_apis(PROJECT)]
    assert api_id in [a["id"] for a in live.list_model_apis(PROJECT, limit=100)]
    assert live.get_model_api(api_id)["id"] == api_id
    assert live.project_of_model_api(api_id) == PROJECT

    versions = live.list_model_api_versions(api_id)
    # Domino's version list is one unpaginated array (see the pagination tests); the build may move on
    # between the two reads, so compare ids.
    assert len(versions) == 1
    assert [v["id"] for v in live.iter_model_api_versions(api_id)] == [versions[0]["id"]]
    first = versions[0]["id"]
    wait_for(lambda: _running(live, api_id, first))
    assert isinstance(live.build_log_tail(api_id, first), str)
    live.get_build_logs(api_id, first)
    live.get_export_logs(api_id, first)
    live.get_instance_logs(api_id, first, tail=10)

    model = live.get_model_api(api_id)
    assert live.predict(api_id, data={"x": 2, "y": 3})["result"] == {"sum": 5}
    assert live.predict(url=live.model_url(model), parameters=[4])["result"] == {"sum": 5}

    second = live.create_model_api_version(api_id, model_file="model.py", model_function="predict", description="v2")
    assert second["id"] != first
    wait_for(lambda: _running(live, api_id, second["id"]))

    updated = live.update_model_api(api_id, description="adds two numbers")
    assert updated["description"] == "adds two numbers"
    with pytest.raises(DominoNotFoundError):
        live.get_model_api("no-such-model-api")
    live.delete_model_api(api_id)
    if emulator.dialect == "domino":
        # entries are "METHOD path status": the create, the get, the update and the version list were validated
        for prefix in (
            "POST /api/modelServing/v1/modelApis ",
            f"GET /api/modelServing/v1/modelApis/{api_id} ",
            f"PUT /api/modelServing/v1/modelApis/{api_id} ",
            f"GET /api/modelServing/v1/modelApis/{api_id}/versions ",
        ):
            assert any(entry.startswith(prefix) for entry in checked), prefix


def test_async_predictions_and_async_hook(live: DominoHook, live_conn: str, emulator: RunningEmulator) -> None:
    created = live.create_model_api(
        project_id=PROJECT,
        name=f"async-{emulator.dialect}",
        model_file="model.py",
        model_function="predict",
        environment_id="env-1",
        is_async=True,
    )
    api_id = created["id"]
    version = live.list_model_api_versions(api_id)[0]["id"]
    wait_for(lambda: _running(live, api_id, version))
    submitted = live.submit_async_prediction(api_id, {"x": 10})
    prediction = shapes.prediction_id(submitted)
    assert prediction

    def done() -> Any:
        body = live.get_async_prediction(api_id, prediction)
        return body if statuses.ASYNC_PREDICTION.outcome(shapes.prediction_status(body)) != "pending" else None

    result = wait_for(done)
    assert statuses.ASYNC_PREDICTION.is_success(shapes.prediction_status(result)), result

    async def through_the_async_hook() -> tuple[Any, ...]:
        async with DominoAsyncHook(live_conn) as hook:
            got = await hook.get_model_api(api_id)
            page = await hook.list_model_apis(PROJECT)
            ver = await hook.get_model_api_version(api_id, version)
            poll = await hook.get_async_prediction(api_id, prediction)
            sync = await hook.predict(api_id, data={"x": 1})
            with pytest.raises(DominoNotFoundError):
                await hook.get_model_api("does-not-exist")
            return got, page, ver, poll, sync

    got, page, ver, poll, sync = asyncio.run(through_the_async_hook())
    assert got["id"] == api_id
    assert api_id in [a["id"] for a in page]
    assert ver["id"] == version
    assert shapes.prediction_status(poll) == shapes.prediction_status(result)
    assert sync["result"] == {"sum": 2}


def test_registry_deployments_and_jobs(live: DominoHook, emulator: RunningEmulator, checked: list[str]) -> None:
    name = f"my model {emulator.dialect}"
    registered = live.register_model(name=name, experiment_run_id="run-1", experiment_id="exp-1", project_id=PROJECT)
    assert shapes.registered_model_and_version(registered, name)[0] == name
    assert live.get_registered_model(name)["name"] == name
    live.update_registered_model(name, {"description": "updated"})
    live.create_registered_model_version(name, experiment_run_id="run-2")
    assert name in [m["name"] for m in live.iter_registered_models(name=name, page_size=1)]
    live.list_registered_models(name=name)
    versions = list(live.iter_registered_model_versions(name, page_size=1))
    assert len(versions) == 2
    assert len(live.list_registered_model_versions(name)) == 2
    live.get_registered_model_version(name, 2)
    assert isinstance(live.list_registered_model_version_model_apis(name, 1), list)

    if emulator.dialect == "domino":
        deployment = live.create_deployment(
            name=f"dep-{emulator.dialect}",
            deployment_target_id="t1",
            resource_configuration_id="rc1",
            deployment_type="x",
            configuration={"sharedConfig": {}, "modelConfigs": {}},
            models=[
                {
                    "name": "m",
                    "environmentId": "e",
                    "source": {
                        "registeredModelName": name,
                        "registeredModelVersion": 1,
                        "registeredModelType": "MODELREGISTRY",
                    },
                }
            ],
        )
    else:
        api = live.create_model_api(
            project_id=PROJECT,
            name="for-deployment",
            model_file="model.py",
            model_function="predict",
            environment_id="e",
        )
        version_id = live.list_model_api_versions(api["id"])[0]["id"]
        deployment = live.create_deployment(name="dep-seed", model_version_id=version_id, replicas=1)
    dep_id = deployment["id"]
    wait_for(lambda: statuses.DEPLOYMENT.is_success(shapes.deployment_status(live.get_deployment(dep_id))))
    assert dep_id in [d["id"] for d in live.iter_deployments()]
    live.list_deployments()
    live.stop_deployment(dep_id)
    live.start_deployment(dep_id)
    live.update_deployment(dep_id, {"description": "patched"})
    live.get_deployment_credentials(dep_id)
    live.get_deployment_logs(dep_id, "events")
    live.delete_deployment(dep_id)

    job = live.start_job(project_id=PROJECT, command="python train.py", title="train")
    job_id = shapes.job_id(job)
    wait_for(lambda: statuses.JOB.outcome(shapes.job_status(live.get_job(job_id))) != "pending")
    assert statuses.JOB.is_success(shapes.job_status(live.get_job(job_id)))
    assert "trained" in shapes.job_log_text(live.get_job_logs(job_id, log_type="stdOut"))
    assert job_id in [shapes.job_id(j) for j in live.iter_jobs(PROJECT)]
    live.list_jobs(PROJECT)
    live.stop_job(job_id, PROJECT)
    if emulator.dialect == "domino":
        for prefix in (
            "POST /api/registeredmodels/v2 ",
            "POST /api/jobs/v1/jobs ",
            "POST /api/modelServing/v1/modelDeployments ",
        ):
            assert any(entry.startswith(prefix) for entry in checked), prefix
