"""``make demo`` (scripts/demo.sh) runs green: the emulator starts, the DAG succeeds, the emulator stops.

Marked ``demo`` (about half a minute): deselect it with ``-m "not demo"``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from exampleutil import ROOT

TASKS = ("train", "register", "deploy", "wait_running", "smoke_test", "check_prediction")


@pytest.mark.demo
@pytest.mark.timeout(300)
def test_demo_script_runs_the_example_dag_to_success_and_stops_the_emulator(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DOMINO_"))}
    # As `make demo` does: the venv's bin first on PATH (airflow, python).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TMPDIR"] = str(tmp_path)

    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh")], env=env, capture_output=True, text=True, timeout=280, check=False
    )

    out = proc.stdout
    assert proc.returncode == 0, out[-5000:] + proc.stderr[-3000:]
    for task_id in TASKS:
        assert f"    {task_id:<18} success" in out
    assert "==> Prediction for x=10: 32.0" in out
    assert "==> DAG run success" in out
    assert "==> Emulator stopped" in out
    pid = int(re.search(r"Emulator listening on \S+ \(pid (\d+)\)", out).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the emulator is gone
    assert list(tmp_path.iterdir()) == []  # the temporary AIRFLOW_HOME and project copy are gone
