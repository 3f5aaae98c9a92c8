"""Pagination: walking 10,000 Model APIs with ``DominoHook.iter_model_apis`` beside a bare requests loop.

The emulator's seed helper creates the Model APIs (already running, no builds). The bare loop asks for the
same ``offset``/``limit`` pages with one ``requests.Session`` and the same headers, reads each page's items
(a bare array in the ``seed`` dialect, ``items`` + ``metadata.totalCount`` in the ``domino`` dialect) and
stops at a short page (seed) or at ``totalCount`` (domino), as the hook does. Walks alternate hook / bare; the
ratio is of the medians (the best-of ratio is printed too: load on the machine only ever adds time).

Reported per dialect: wall time per walk (target: hook at most 1.10x bare), the client process's CPU time per
walk (the provider's own cost, without the server's), and the tracemalloc peak while iterating without
keeping the items, for 1k, 5k and 10k items: it must not grow with the number of pages.

    .venv/bin/python benchmarks/bench_pagination.py [--quick]
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import requests
from _support import connection_env, env, header, is_quick, median, verdict

TARGET_RATIO = 1.10
PAGE_SIZE = 100
LIST_PATH = "/api/modelServing/v1/modelApis"


def bare_walk(session: requests.Session, base_url: str, headers: dict[str, str], project_id: str) -> Iterator[Any]:
    """Offset/limit pages with plain requests, the loop a careful caller would write by hand."""
    offset = 0
    while True:
        params = {"projectId": project_id, "offset": offset, "limit": PAGE_SIZE}
        response = session.get(base_url + LIST_PATH, params=params, headers=headers, timeout=(10.0, 60.0))
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} {response.text[:200]}")
        body = response.json()
        if isinstance(body, dict):  # domino dialect: an envelope with totalCount
            items = body["items"]
            total = body["metadata"]["totalCount"]
            yield from items
            offset += len(items)
            if not items or offset >= total:
                return
        else:  # seed dialect: a bare array; a short page is the last
            yield from body
            offset += len(body)
            if len(body) < PAGE_SIZE:
                return


def timed(walk: Callable[[], Iterator[Any]]) -> tuple[float, float, int]:
    """Wall and CPU seconds of one walk, and how many items it saw."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in walk())
    return time.perf_counter() - wall, time.process_time() - cpu, count


def peak_memory(walk: Callable[[], Iterator[Any]]) -> tuple[int, int]:
    """tracemalloc's peak (bytes above the start) while iterating without keeping items, and the count."""
    gc.collect()
    iterator = walk()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        count = 0
        for _ in iterator:
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - start, count


def run_dialect(dialect: str, sizes: list[int], repeats: int) -> dict[str, Any]:
    from airflow_provider_domino.emulator.testing import run_emulator

    largest = max(sizes)
    with run_emulator(dialect=dialect) as emu, env(connection_env(emu)):
        for n in sizes:
            emu.seed(n, project_id=f"p{n}")
        from airflow_provider_domino.hooks.domino import DominoHook

        hook = DominoHook()
        session = requests.Session()
        session.headers["User-Agent"] = hook.get_conn().headers["User-Agent"]
        headers = {"Accept": "application/json", **emu.headers}

        def walks(n: int) -> dict[str, Callable[[], Iterator[Any]]]:
            return {
                "hook": lambda: hook.iter_model_apis(f"p{n}", page_size=PAGE_SIZE),
                "bare": lambda: bare_walk(session, emu.base_url, headers, f"p{n}"),
            }

        big = walks(largest)
        for fn in big.values():  # warm-up: connections, imports, caches
            timed(fn)
        wall: dict[str, list[float]] = {"hook": [], "bare": []}
        cpu: dict[str, list[float]] = {"hook": [], "bare": []}
        for i in range(repeats):
            order = ("hook", "bare") if i % 2 == 0 else ("bare", "hook")
            for name in order:
                w, c, count = timed(big[name])
                if count != largest:
                    raise RuntimeError(f"{name} walk saw {count} items, expected {largest}")
                wall[name].append(w)
                cpu[name].append(c)
        memory: dict[str, dict[int, int]] = {"hook": {}, "bare": {}}
        for n in sizes:
            for name, fn in walks(n).items():
                peak, count = peak_memory(fn)
                if count != n:
                    raise RuntimeError(f"{name} walk of p{n} saw {count} items, expected {n}")
                memory[name][n] = peak
        requests_log = len(emu.request_log())
        session.close()
        hook.close()
    return {"wall": wall, "cpu": cpu, "memory": memory, "largest": largest, "requests": requests_log}


def main() -> int:
    quick = is_quick()
    sizes = [200, 1000, 2000] if quick else [1000, 5000, 10000]
    repeats = 2 if quick else 5
    header(f"Pagination: walking {max(sizes):,} Model APIs, hook.iter_model_apis vs a bare requests loop", quick)
    print(f"  page size {PAGE_SIZE}; {repeats} timed walks each (alternating) after one warm-up walk each")
    ok = True
    for dialect in ("seed", "domino"):
        r = run_dialect(dialect, sizes, repeats)
        hook_wall, bare_wall = median(r["wall"]["hook"]), median(r["wall"]["bare"])
        hook_cpu, bare_cpu = median(r["cpu"]["hook"]), median(r["cpu"]["bare"])
        pages = -(-r["largest"] // PAGE_SIZE)
        print(f"\n  dialect {dialect}: {r['largest']:,} items, {pages} pages")
        print(f"    {'':6} {'wall/walk':>11} {'client CPU/walk':>16} {'CPU per page':>13}")
        for name, w, c in (("bare", bare_wall, bare_cpu), ("hook", hook_wall, hook_cpu)):
            print(f"    {name:6} {w * 1000:8.0f} ms {c * 1000:13.0f} ms {c / pages * 1e6:10.0f} µs")
        ratio = hook_wall / bare_wall
        best = min(r["wall"]["hook"]) / min(r["wall"]["bare"])
        print(
            f"    ratio hook / bare: wall {ratio:.3f}x (medians; best-of {best:.3f}x), "
            f"client CPU {hook_cpu / bare_cpu:.3f}x"
        )
        print(f"    tracemalloc peak while iterating: {'items':>8} {'pages':>6} {'hook':>10} {'bare':>10}")
        for n in sizes:
            print(
                f"    {'':33} {n:8,} {-(-n // PAGE_SIZE):6} {r['memory']['hook'][n] / 1024:7.0f} KiB "
                f"{r['memory']['bare'][n] / 1024:7.0f} KiB"
            )
        hook_mem = r["memory"]["hook"]
        growth = hook_mem[max(sizes)] / hook_mem[min(sizes)]
        ok &= verdict(f"{dialect}: wall time <= 1.10x bare loop", ratio <= TARGET_RATIO, f"{ratio:.3f}x")
        ok &= verdict(
            f"{dialect}: peak memory does not grow with pages",
            growth <= 1.5,
            f"{hook_mem[min(sizes)] / 1024:.0f} KiB at {min(sizes):,} items, "
            f"{hook_mem[max(sizes)] / 1024:.0f} KiB at {max(sizes):,} ({growth:.2f}x for {max(sizes) // min(sizes)}x"
            " the pages)",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
