"""Emulator capacity: sustained requests/s and latency for simple GETs from N concurrent client processes.

Each client process keeps one HTTP/1.1 connection alive (``http.client``, the lightest client in the
standard library) and sends ``GET /api/modelServing/v1/modelApis/{id}`` with the API key back to back for a
fixed time. The server's CPU use over the window is read from ``/proc`` (psutil). With the throughput and
p99 at each N, the other benchmarks' request rates can be checked against what the server can take: when
they are far below it, those figures measure the provider, not the emulator. Baseline: N=1 (ratios against it).

    .venv/bin/python benchmarks/bench_emulator_capacity.py [--quick]
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import sys
import time
from typing import Any

from _support import header, is_quick, median, percentile, verdict


def client(host: str, port: int, path: str, headers: dict[str, str], seconds: float, start_at: float, out: Any) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    latencies: list[float] = []
    errors = 0
    while time.time() < start_at:
        time.sleep(0.001)
    end = time.perf_counter() + seconds
    clock = time.perf_counter
    while True:
        t = clock()
        if t >= end:
            break
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
        latencies.append(clock() - t)
    conn.close()
    out.put((latencies, errors))


def measure(emu: Any, path: str, clients: int, seconds: float) -> dict[str, Any]:
    import psutil

    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 0.5
    procs = [
        ctx.Process(target=client, args=(emu.host, emu.port, path, emu.headers, seconds, start_at, queue))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    server = psutil.Process(emu.pid)
    while time.time() < start_at:
        time.sleep(0.001)
    cpu_before = sum(server.cpu_times()[:2])
    time.sleep(seconds)
    cpu_after = sum(server.cpu_times()[:2])
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join()
    latencies = [x for lat, _ in results for x in lat]
    return {
        "clients": clients,
        "rps": len(latencies) / seconds,
        "p50": median(latencies),
        "p99": percentile(latencies, 99),
        "errors": sum(e for _, e in results),
        "server_cpu": (cpu_after - cpu_before) / seconds,
    }


def main() -> int:
    quick = is_quick()
    levels = [1, 4] if quick else [1, 2, 4, 8, 16]
    seconds = 1.5 if quick else 4.0
    header("Emulator capacity: GET /api/modelServing/v1/modelApis/{id} from N client processes", quick)
    from airflow_provider_domino.emulator.testing import run_emulator

    with run_emulator() as emu:
        emu.seed(100, project_id="cap")
        import json
        import urllib.request

        request = urllib.request.Request(
            f"{emu.base_url}/api/modelServing/v1/modelApis?projectId=cap&offset=0&limit=1", headers=emu.headers
        )
        with urllib.request.urlopen(request) as response:
            model_api_id = json.loads(response.read())[0]["id"]
        path = f"/api/modelServing/v1/modelApis/{model_api_id}"
        measure(emu, path, 1, 0.5)  # warm-up
        rows = [measure(emu, path, n, seconds) for n in levels]

    print(f"  {seconds} s per level; server CPU = the emulator process's CPU seconds per second")
    print(f"  {'clients':>7} {'req/s':>8} {'x N=1':>6} {'p50':>9} {'p99':>9} {'server CPU':>11} {'errors':>7}")
    base = rows[0]["rps"]
    for r in rows:
        print(
            f"  {r['clients']:7d} {r['rps']:8.0f} {r['rps'] / base:6.2f} {r['p50'] * 1000:6.2f} ms "
            f"{r['p99'] * 1000:6.2f} ms {r['server_cpu'] * 100:9.0f} % {r['errors']:7d}"
        )
    best = max(rows, key=lambda r: r["rps"])
    print(
        f"  capacity: about {best['rps']:.0f} req/s at {best['clients']} clients (p99 {best['p99'] * 1000:.1f} ms); "
        f"one client alone: {base:.0f} req/s"
    )
    verdict("no errors under load", all(r["errors"] == 0 for r in rows), f"{sum(r['errors'] for r in rows)} errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
