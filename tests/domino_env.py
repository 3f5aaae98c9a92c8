"""Shared fixtures for operator, sensor, trigger and example tests (re-exported by their conftests): a Domino project with real model code, a running
emulator per dialect, and an Airflow connection to it.

In the ``domino`` dialect every response the provider receives (sync and async transports) is validated
against Domino's Public API 6.2.0 spec.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_domino.emulator import RunningEmulator, run_emulator

MODEL_PY = """
def predict(x, y=1):
    return {"sum": x + y}


def crash(**kwargs):
    raise RuntimeError("the model cannot score this")
"""

TRAIN_PY = """
import json
import sys

print("training on 3 rows")
with open("artifact.json", "w") as fh:
    json.dump({"w": 2.0}, fh)
if "--fail" in sys.argv:
    print("loss is NaN", file=sys.stderr)
    sys.exit(3)
print("done")
"""

SLOW_TRAIN_PY = """
import time

print("starting a long training", flush=True)
time.sleep(120)
"""

API_KEY = "KEY-op-5f3c91d2"
MODEL_TOKEN = "MTOK-op-a8e4b207"


@pytest.fixture(scope="session")
def projects_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("projects")
    project = root / "churn"
    project.mkdir()
    (project / "model.py").write_text(MODEL_PY)
    (project / "broken.py").write_text("def something_else():\n    return 1\n")
    (project / "train.py").write_text(TRAIN_PY)
    (project / "slow_train.py").write_text(SLOW_TRAIN_PY)
    return root


@pytest.fixture(scope="module", params=["seed", "domino"])
def emulator(request: pytest.FixtureRequest, projects_dir: Path) -> Iterator[RunningEmulator]:
    with run_emulator(
        str(projects_dir), dialect=request.param, api_key=API_KEY, model_token=MODEL_TOKEN, build_seconds=0.3
    ) as emu:
        yield emu


@contextlib.contextmanager
def connected(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, *, api_key: str, model_token: str
) -> Iterator[RunningEmulator]:
    """A clean emulator, the ``domino_default`` connection to it (fast retries), every response checked
    against the spec in the ``domino`` dialect, and the task log recorded (``dagutil.task_log``)."""
    from dagutil import capture_task_log

    emulator.reset()
    emulator.clear_faults()
    conn = {
        "conn_type": "domino",
        "host": emulator.base_url,
        "password": api_key,
        "extra": {"model_access_token": model_token, "retry_backoff": 0.05, "max_retries": 4},
    }
    monkeypatch.setenv("AIRFLOW_CONN_DOMINO_DEFAULT", json.dumps(conn))
    if emulator.dialect == "domino":
        validate_every_response(monkeypatch)
    stop = capture_task_log()
    try:
        yield emulator
    finally:
        stop()


@pytest.fixture
def domino(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, airflow_db: Any) -> Iterator[RunningEmulator]:
    """A clean emulator and an Airflow connection ``domino_default`` to it (see :func:`connected`)."""
    with connected(emulator, monkeypatch, api_key=API_KEY, model_token=MODEL_TOKEN) as emu:
        yield emu


def validate_every_response(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check every response the provider receives (sync and async) against the 6.2.0 spec."""
    from airflow_provider_domino._client import transport
    from spec_validation import async_httpx_hook, requests_hook

    sync_init = transport.SyncTransport.__init__
    async_init = transport.AsyncTransport.__init__

    def sync_checked(self: Any, *args: Any, **kwargs: Any) -> None:
        sync_init(self, *args, **kwargs)
        self.session.hooks["response"].append(requests_hook())

    def async_checked(self: Any, *args: Any, **kwargs: Any) -> None:
        async_init(self, *args, **kwargs)
        self.client.event_hooks["response"].append(async_httpx_hook())

    monkeypatch.setattr(transport.SyncTransport, "__init__", sync_checked)
    monkeypatch.setattr(transport.AsyncTransport, "__init__", async_checked)


def api_requests(emu: RunningEmulator) -> list[dict[str, Any]]:
    """The platform and model requests the emulator saw (not its own introspection calls)."""
    return [r for r in emu.request_log() if not r["path"].startswith("/_emulator")]


def live(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if not i.get("isArchived") and not i.get("archived")]
