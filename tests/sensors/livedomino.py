"""Helpers for sensor and trigger tests against the live emulator: Domino objects made with the sync hook,
and *gated* models whose build waits until the test opens a gate, so a wait provably sees a pending status.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_domino._client import shapes
from airflow_provider_domino.emulator import RunningEmulator
from airflow_provider_domino.hooks.domino import DominoHook

# The build imports the model file in the project folder (its working directory), so the gate is a file
# there. The import gives up waiting after 30 s, far below the emulator's import timeout.
GATED_PY = """
import os
import time

_deadline = time.monotonic() + 30
while not os.path.exists({gate!r}) and time.monotonic() < _deadline:
    time.sleep(0.02)


def predict(x, y=1):
    return {{"sum": x + y}}


def crash(**kwargs):
    raise RuntimeError("the gated model cannot score this")
"""

GATED_BROKEN_PY = """
import os
import time

_deadline = time.monotonic() + 30
while not os.path.exists({gate!r}) and time.monotonic() < _deadline:
    time.sleep(0.02)


def something_else():
    return 1
"""


@pytest.fixture
def hook(domino: RunningEmulator) -> Iterator[DominoHook]:
    """A sync hook on the ``domino_default`` connection the ``domino`` fixture sets."""
    h = DominoHook("domino_default")
    yield h
    h.close()


class Gate:
    """A model file whose build stays ``Building`` until :meth:`open` (or until a watched request is seen)."""

    def __init__(self, projects_dir: Path, *, broken: bool = False) -> None:
        token = secrets.token_hex(4)
        self.model_file = f"gated_{token}.py"
        self.path = projects_dir / "churn" / f"gate_{token}"
        source = GATED_BROKEN_PY if broken else GATED_PY
        (projects_dir / "churn" / self.model_file).write_text(source.format(gate=self.path.name))

    def open(self) -> None:
        self.path.touch()

    @contextmanager
    def opens_after(self, emu: RunningEmulator, seen: Callable[[list[dict[str, Any]]], bool]) -> Iterator[None]:
        """Open the gate once ``seen(request_log)`` holds (watched from a thread); always open it on exit."""
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                if seen(emu.request_log()):
                    self.open()
                    return
                stop.wait(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
            self.open()


def gets(emu: RunningEmulator, path_suffix: str) -> list[dict[str, Any]]:
    """The GET requests the emulator saw on a path ending with ``path_suffix``."""
    return [r for r in emu.request_log() if r["method"] == "GET" and r["path"].endswith(path_suffix)]


def seen_gets(path_suffix: str, count: int = 1) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda log: sum(r["method"] == "GET" and r["path"].endswith(path_suffix) for r in log) >= count


def create_model_api(
    hook: DominoHook, *, model_file: str = "model.py", model_function: str = "predict", name: str | None = None
) -> tuple[str, str]:
    """Create a Model API in project ``churn``; return its id and its first version's id."""
    api = hook.create_model_api(
        project_id="churn",
        name=name or f"churn-{secrets.token_hex(3)}",
        model_file=model_file,
        model_function=model_function,
        environment_id="env-1",
    )
    versions = hook.list_model_api_versions(api["id"])
    return api["id"], versions[0]["id"]


def wait_until(check: Callable[[], Any], what: str, limit: float = 30.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail the test naming ``what`` after ``limit`` s."""
    deadline = time.monotonic() + limit
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def version_status(hook: DominoHook, model_api_id: str, version_id: str) -> str | None:
    return shapes.version_status(hook.get_model_api_version(model_api_id, version_id))


def running_model_api(hook: DominoHook, **kwargs: Any) -> tuple[str, str]:
    model_api_id, version_id = create_model_api(hook, **kwargs)
    wait_until(lambda: version_status(hook, model_api_id, version_id) == "Running", "the version to run")
    return model_api_id, version_id


def deployment_status(hook: DominoHook, deployment_id: str) -> str | None:
    return shapes.deployment_status(hook.get_deployment(deployment_id))


def job_status(hook: DominoHook, job_id: str) -> str | None:
    return shapes.job_status(hook.get_job(job_id))
