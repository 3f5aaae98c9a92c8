"""Helpers shared by the benchmark scripts (a package, so ``make bench`` does not run it as a script).

Standard library only, besides what the scripts themselves measure.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

QUICK_ENV = "BENCH_QUICK"


def is_quick(argv: Sequence[str] | None = None) -> bool:
    """Fast smoke mode: ``--quick`` on the command line or ``BENCH_QUICK=1`` (``BENCH_QUICK=1 make bench``)."""
    args = sys.argv[1:] if argv is None else argv
    return "--quick" in args or os.environ.get(QUICK_ENV, "").lower() in ("1", "true", "yes")


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100), linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def iqr(values: Sequence[float]) -> float:
    return percentile(values, 75) - percentile(values, 25)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(name: str, ok: bool, detail: str) -> bool:
    """Print one target's PASS/FAIL line (informational: the scripts always exit 0)."""
    print(f"  [{'PASS' if ok else 'FAIL'}] {name}: {detail}")
    return ok


def header(title: str, quick: bool) -> None:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"# {title}{'  (quick mode)' if quick else ''}")
    print(
        f"  python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def connection_env(emulator: Any, **extra: Any) -> dict[str, str]:
    """``AIRFLOW_CONN_DOMINO_DEFAULT`` for a running emulator (API key; the model token as an extra)."""
    conn = {
        "conn_type": "domino",
        "host": emulator.base_url,
        "password": emulator.api_key,
        "extra": {"model_access_token": emulator.model_token, **extra},
    }
    return {"AIRFLOW_CONN_DOMINO_DEFAULT": json.dumps(conn)}


@contextmanager
def env(values: dict[str, str]):
    """Set environment variables for the duration of a block."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


_PROCESS: Any = None


def rss_bytes() -> int:
    """This process's resident set size (psutil when installed, else ``/proc/self/status``)."""
    global _PROCESS
    if _PROCESS is None:
        try:
            import psutil
        except ImportError:
            _PROCESS = False
        else:
            _PROCESS = psutil.Process()
    if _PROCESS:
        return int(_PROCESS.memory_info().rss)
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0
