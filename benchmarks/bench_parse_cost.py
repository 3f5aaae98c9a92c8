"""DAG-parse cost: the time importing every operator and sensor module adds on top of ``import airflow.sdk``.

A DAG file imports the provider's operators at every parse, so this is paid by every scheduler and DAG
processor, every few seconds, per DAG file. Each run is a fresh interpreter (``subprocess``): it imports
``airflow.sdk``, then times importing the modules with ``time.perf_counter`` inside the child (so the
figure is the added cost alone, not the noisy total start-up). The baseline is the same figure for
``apache-airflow-providers-http``'s operator and sensor modules, measured in the same rounds (the two are
interleaved in a shuffled order to cancel drift). Byte-code caches are warmed by one uncounted run each.

Targets: at most 50 ms added (median), and less than the http provider adds.

    .venv/bin/python benchmarks/bench_parse_cost.py [--quick] [--runs N]
"""

from __future__ import annotations

import json
import os
import pkgutil
import random
import subprocess
import sys
import tempfile
from importlib import util

from _support import header, iqr, is_quick, median, percentile, verdict

TARGET_ADDED_S = 0.050

HTTP_MODULES = ["airflow.providers.http.operators.http", "airflow.providers.http.sensors.http"]

CHILD = r"""
import importlib, json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
before = set(sys.modules)
for name in sys.argv[1:]:
    importlib.import_module(name)
t2 = time.perf_counter()
new = sorted(set(sys.modules) - before)
print(json.dumps({"sdk": t1 - t0, "added": t2 - t1, "new_modules": new}))
"""


def provider_modules() -> list[str]:
    """Every public operator and sensor module of this provider (found on disk, not imported)."""
    names = []
    for package in ("airflow_provider_domino.operators", "airflow_provider_domino.sensors"):
        spec = util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations is not None
        for info in pkgutil.iter_modules(spec.submodule_search_locations):
            if not info.name.startswith("_"):
                names.append(f"{package}.{info.name}")
    return sorted(names)


def run_child(modules: list[str], cwd: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *modules],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def top_self_times(modules: list[str], cwd: str, count: int = 6) -> list[tuple[int, str]]:
    """The modules with the largest self import time (``-X importtime``) among those the provider adds."""
    code = "import airflow.sdk, importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *modules],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
    )
    lines = [line for line in out.stderr.splitlines() if line.startswith("import time:") and "|" in line]
    # The provider's imports come after airflow.sdk's: take the lines after the last "airflow.sdk" root line.
    roots = [i for i, line in enumerate(lines) if line.rstrip().endswith("| airflow.sdk")]
    tail = lines[roots[-1] + 1 :] if roots else lines
    parsed = []
    for line in tail:
        fields = line.split(":", 1)[1].split("|")
        parsed.append((int(fields[0]), fields[2].strip()))
    return sorted(parsed, reverse=True)[:count]


def main() -> int:
    quick = is_quick()
    runs = 4 if quick else 20
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    header("DAG-parse cost: importing the operator and sensor modules on top of airflow.sdk", quick)
    domino = provider_modules()
    variants = {"airflow-provider-domino": domino, "apache-airflow-providers-http": HTTP_MODULES}
    print(f"  modules (domino): {', '.join(m.rsplit('.', 2)[-2] + '.' + m.rsplit('.', 1)[-1] for m in domino)}")
    print(f"  modules (http):   {', '.join(HTTP_MODULES)}")
    print(f"  {runs} fresh interpreters per provider, interleaved; one uncounted warm-up run each")

    results: dict[str, list[float]] = {name: [] for name in variants}
    sdk_times: list[float] = []
    new_modules: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as cwd:
        for name, modules in variants.items():
            new_modules[name] = run_child(modules, cwd)["new_modules"]
        rng = random.Random(7)
        for _ in range(runs):
            order = list(variants)
            rng.shuffle(order)
            for name in order:
                result = run_child(variants[name], cwd)
                results[name].append(result["added"])
                sdk_times.append(result["sdk"])
        top = top_self_times(domino, cwd)

    print(
        f"\n  import airflow.sdk alone: median {median(sdk_times) * 1000:.0f} ms (IQR {iqr(sdk_times) * 1000:.0f} ms)"
    )
    print(f"  {'provider':32} {'added median':>13} {'IQR':>9} {'p10':>9} {'p90':>9} {'new modules':>12}")
    for name, values in results.items():
        third_party = sorted({m.split(".")[0] for m in new_modules[name]} - {"airflow", "airflow_provider_domino"})
        print(
            f"  {name:32} {median(values) * 1000:10.1f} ms {iqr(values) * 1000:6.1f} ms "
            f"{percentile(values, 10) * 1000:6.1f} ms {percentile(values, 90) * 1000:6.1f} ms "
            f"{len(new_modules[name]):12d}"
        )
        print(f"  {'':32} third-party packages newly imported: {', '.join(third_party) or 'none'}")
    print("  largest self import times among the domino modules (-X importtime, one run):")
    for self_us, name in top:
        print(f"    {self_us / 1000:7.1f} ms  {name}")

    dom = median(results["airflow-provider-domino"])
    http = median(results["apache-airflow-providers-http"])
    print(f"\n  ratio domino / http (medians): {dom / http:.2f}x")
    verdict("added import time <= 50 ms (median)", dom <= TARGET_ADDED_S, f"{dom * 1000:.1f} ms")
    verdict(
        "less than the http provider adds",
        dom < http,
        f"{dom * 1000:.1f} ms vs {http * 1000:.1f} ms",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
