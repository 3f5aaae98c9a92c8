"""The seed document's own Python examples, run against the emulator in the seed dialect.

The code blocks are extracted from tests/data/domino-models-api.md (a verbatim copy of the seed) and run
unchanged, except that the placeholder base URL, credentials and example ids are replaced by real ones.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_domino.emulator import RunningEmulator
from conftest import wait_for

SEED = Path(__file__).resolve().parents[1] / "data" / "domino-models-api.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", SEED.read_text(), flags=re.S)


def block(containing: str) -> str:
    matches = [b for b in python_blocks() if containing in b]
    assert len(matches) == 1, f"expected one seed example containing {containing!r}"
    return matches[0]


def localize(code: str, emu: RunningEmulator, **ids: str) -> str:
    """Swap the seed's placeholders (base URL, credentials, example ids) for the emulator's."""
    code = code.replace("https://your-domino.com", emu.base_url)
    code = code.replace("YOUR_API_KEY", emu.api_key).replace("MODEL_ACCESS_TOKEN", emu.model_token)
    for placeholder, value in ids.items():
        code = code.replace(placeholder, value)
    return code


def run(code: str, namespace: dict[str, Any]) -> dict[str, Any]:
    exec(compile(code, str(SEED), "exec"), namespace)
    return namespace


@pytest.fixture()
def auth_namespace(seed_emu: RunningEmulator) -> dict[str, Any]:
    """What the seed's Authentication block defines (``headers``, ``base_url``), by running it."""
    return run(localize(block('headers = {"X-Domino-Api-Key"'), seed_emu), {})


def running(emu: RunningEmulator, model_api_id: str) -> bool:
    response = requests.get(f"{emu.base_url}/api/modelServing/v1/modelApis/{model_api_id}", headers=emu.headers)
    return response.json()["status"] == "Running"


def test_seed_has_the_examples_this_suite_runs() -> None:
    assert len(python_blocks()) == 8


def test_create_then_list_then_get_model_api(
    seed_emu: RunningEmulator, auth_namespace: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ns = run(localize(block("customer-churn"), seed_emu), dict(auth_namespace))
    model_api = ns["model_api"]
    assert capsys.readouterr().out.strip() == f"Model API ID: {model_api['id']}"

    ns = run(localize(block('params={"projectId": "project-123"}'), seed_emu), dict(auth_namespace))
    assert isinstance(ns["models"], list)
    assert model_api["id"] in [m["id"] for m in ns["models"]]

    # "Get Model API" documents a response, not code: the emulator answers with every field it shows.
    got = requests.get(
        f"{seed_emu.base_url}/api/modelServing/v1/modelApis/{model_api['id']}", headers=auth_namespace["headers"]
    ).json()
    assert {"id", "name", "status", "url", "projectId", "createdAt"} <= set(got)
    assert got["url"] == f"{seed_emu.base_url}/models/{model_api['id']}/latest/model"
    assert got["projectId"] == "project-123"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", got["createdAt"])
    wait_for(lambda: running(seed_emu, model_api["id"]))


def test_synchronous_and_asynchronous_requests(
    seed_emu: RunningEmulator, auth_namespace: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ns = run(localize(block("customer-churn"), seed_emu), dict(auth_namespace))
    model_api_id = ns["model_api"]["id"]
    wait_for(lambda: running(seed_emu, model_api_id))
    capsys.readouterr()

    run(localize(block("model_url = "), seed_emu, **{"model-api-456": model_api_id}), {})
    assert capsys.readouterr().out.strip() == "Prediction: {'churn': 1.0}"

    ns = dict(auth_namespace, model_api_id=model_api_id, model_access_token=seed_emu.model_token)
    run(localize(block("# Submit async request"), seed_emu), ns)
    assert capsys.readouterr().out.strip() == "Result: {'scored_file': 's3://bucket/data.csv'}"
    assert ns["status"]["status"] == "COMPLETED"


def test_complete_workflow_deploy_and_test(
    seed_emu: RunningEmulator, auth_namespace: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = localize(block("# 3. Deploy as API"), seed_emu)
    deploy = workflow[workflow.index("# 3. Deploy as API") : workflow.index("# 4. Test endpoint")]
    test = workflow[workflow.index("# 4. Test endpoint") :]
    ns = dict(auth_namespace, project_id="project-123", env_id="env-789", access_token=seed_emu.model_token)
    run(deploy, ns)
    model_api = ns["model_api"]
    assert model_api["name"] == "production-model"
    # The seed's workflow goes straight on; a real Domino needs the build to finish first, so wait for it.
    wait_for(lambda: running(seed_emu, model_api["id"]))
    capsys.readouterr()
    run(test, ns)
    assert ns["test_response"].status_code == 200
    out = capsys.readouterr().out
    assert out.startswith("Test prediction: {'result': {'churn': 0.6}")
    assert "'model_time_in_ms'" in out and "'release'" in out and "'request_id'" in out
