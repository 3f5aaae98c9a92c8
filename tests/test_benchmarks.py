"""Every ``benchmarks/*.py`` script runs in quick mode and reports: a smoke test that keeps them from rotting.

Their timings are not asserted (speed targets are measured by the benchmarks, not by tests); only the
verdicts that are about correctness, not speed, must pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("bench_*.py"))
# Verdicts that do not depend on the machine's speed.
CORRECTNESS = ("all triggers finish with success", "no errors under load")

pytestmark = [
    pytest.mark.bench,
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        int(version("apache-airflow").split(".")[0]) < 3,
        reason="the benchmarks measure against airflow.sdk (Airflow 3)",
    ),
]


def test_every_benchmark_script_is_found() -> None:
    assert len(SCRIPTS) == 5, SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_runs_in_quick_mode_and_reports_its_verdicts(script: str) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("BENCH_POLL_INTERVAL", None)
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        cwd=BENCHMARKS.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "(quick mode)" in proc.stdout
    verdicts = re.findall(r"^\s*\[(PASS|FAIL)\] (.+?):", proc.stdout, flags=re.MULTILINE)
    assert verdicts, f"{script} printed no verdict:\n{proc.stdout[-2000:]}"
    failed = [name for outcome, name in verdicts if outcome == "FAIL" and name.startswith(CORRECTNESS)]
    assert failed == [], proc.stdout[-3000:]
