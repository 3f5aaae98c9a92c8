"""Fixtures for the example DAG tests: the example Domino project (``example_dags/project``) copied into a
temporary projects folder as ``demo-project``, an emulator per dialect serving it, an Airflow connection to
it, and the example DAG files loaded as modules.

The shared test helpers are reused (``tests/dagutil.py``, ``tests/domino_env.py``): in the ``domino`` dialect
every response the provider receives is validated against Domino's Public API 6.2.0 spec.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from exampleutil import EXAMPLE_DAGS, PROJECT_ID

from airflow_provider_domino.emulator import RunningEmulator
from domino_env import domino, emulator

# The shared emulator (one per dialect) and connection fixtures, serving this folder's own projects_dir.
__all__ = ["domino", "emulator"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo: runs scripts/demo.sh (make demo) end to end; deselect with -m 'not demo'")


@pytest.fixture(scope="module")
def projects_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example-projects")
    shutil.copytree(EXAMPLE_DAGS / "project", root / PROJECT_ID, ignore=shutil.ignore_patterns("__pycache__", "*.json"))
    return root


@pytest.fixture
def deployed(domino: RunningEmulator, projects_dir: Path) -> dict[str, Any]:
    """The state ``domino_train_register_deploy`` leaves: a trained model served by a running Model API
    ``demo-linear`` (made directly, with the hook, so these tests do not depend on that DAG)."""
    from exampleutil import MODEL_NAME

    from airflow_provider_domino.hooks.domino import DominoHook

    subprocess.run([sys.executable, "train.py"], cwd=projects_dir / PROJECT_ID, check=True, capture_output=True)
    hook = DominoHook()
    model_api = hook.create_model_api(
        project_id=PROJECT_ID, name=MODEL_NAME, model_file="model.py", model_function="predict", environment_id="env"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        versions = [v for v in domino.state()["versions"] if v.get("modelApiId") == model_api["id"]]
        if versions and all(str(v.get("status")).lower() == "running" for v in versions):
            return {"model_api_id": model_api["id"], "version_id": versions[0]["id"]}
        time.sleep(0.1)
    raise AssertionError(f"Model API {model_api['id']} did not reach Running: {domino.state()['versions']}")
