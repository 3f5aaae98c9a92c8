"""Fixtures for the emulator tests: a projects folder with real model code, and running emulators.

Every emulator is a subprocess started by ``run_emulator`` and stopped when its fixture ends. In the
``domino`` dialect, tests talk through ``dsession``, whose response hook validates every response against
the 6.2.0 spec (tests/spec_validation.py).
"""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from airflow_provider_domino.emulator import RunningEmulator, run_emulator
from spec_validation import requests_hook

MODEL_PY = """
import os
import time


def predict(features=None, scale=1):
    print(f"scoring {features}")
    return {"score": sum(features or []) * scale}


def add(a, b=0):
    return a + b


def fail(**kwargs):
    raise ValueError("features are missing: " + ",".join(sorted(kwargs)))


def slow(seconds=5):
    time.sleep(seconds)
    return "late"


def crash():
    os._exit(3)


def echo(**kwargs):
    return kwargs


NOT_CALLABLE = 42
"""

TRAIN_PY = """
import json
import sys

weights = {"bias": 0.5, "slope": 2.0}
with open("weights.json", "w") as fh:
    json.dump(weights, fh)
print("trained", json.dumps(weights))
print("a warning on stderr", file=sys.stderr)
"""

SERVE_PY = """
import json


def predict(features):
    with open("weights.json") as fh:
        w = json.load(fh)
    return {"prediction": sum(features) * w["slope"] + w["bias"]}
"""

FAILING_JOB_PY = """
import sys

print("starting")
print("Traceback: training data is corrupt", file=sys.stderr)
sys.exit(4)
"""


def write_projects(root: Path) -> Path:
    """Projects used by the tests: ``demo`` (models, jobs) and ``project-123`` (the seed's examples)."""
    demo = root / "demo"
    demo.mkdir(parents=True, exist_ok=True)
    (demo / "model.py").write_text(textwrap.dedent(MODEL_PY))
    (demo / "broken.py").write_text("import not_a_module_anywhere_12345\n\ndef predict():\n    return 1\n")
    (demo / "train.py").write_text(textwrap.dedent(TRAIN_PY))
    (demo / "serve.py").write_text(textwrap.dedent(SERVE_PY))
    (demo / "failing_job.py").write_text(textwrap.dedent(FAILING_JOB_PY))
    seed_project = root / "project-123"
    seed_project.mkdir(exist_ok=True)
    (seed_project / "serve.py").write_text(
        "def predict(features=None, input_file=None):\n"
        "    if input_file is not None:\n"
        "        return {'scored_file': input_file}\n"
        "    return {'churn': sum(features) / 10}\n"
    )
    return root


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_projects(tmp_path_factory.mktemp("projects"))


@pytest.fixture(scope="module")
def seed_emu(projects: Path) -> Iterator[RunningEmulator]:
    with run_emulator(projects, dialect="seed", build_seconds=0.3, extra_args=["--model-timeout", "1.5"]) as emu:
        yield emu


@pytest.fixture(scope="module")
def domino_emu(projects: Path) -> Iterator[RunningEmulator]:
    with run_emulator(projects, dialect="domino", build_seconds=0.3, extra_args=["--model-timeout", "1.5"]) as emu:
        yield emu


@pytest.fixture(scope="module")
def checked_paths() -> list[str]:
    return []


@pytest.fixture()
def session(seed_emu: RunningEmulator) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers.update(seed_emu.headers)
        yield s


@pytest.fixture()
def dsession(domino_emu: RunningEmulator, checked_paths: list[str]) -> Iterator[requests.Session]:
    """A session on the domino-dialect emulator; every response is validated against the spec."""
    with requests.Session() as s:
        s.headers.update(domino_emu.headers)
        s.hooks["response"].append(requests_hook(checked_paths))
        yield s


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; return its value (fail the test on timeout)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value {last!r})")
