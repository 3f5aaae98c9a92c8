"""Request overhead: ``DominoHook.get_model_api`` beside a bare ``requests.Session().get`` of the same URL.

Both send the same headers (API key, ``Accept``, the hook's ``User-Agent``) over a kept-alive connection to
the local emulator, and both parse the JSON answer and check the status (what any real caller does). The two
are interleaved call by call (the order alternates every round) to cancel drift on a busy machine, after a
warm-up. The hook's extra work per call is the wire core (building and checking the request, reading the
answer) and the retry wrapper (tenacity); the paired difference (hook minus bare, round by round) shows it.

Target: the hook's median latency at most 1.10x the bare request's.

    .venv/bin/python benchmarks/bench_request_overhead.py [--quick] [--calls N]
"""

from __future__ import annotations

import gc
import sys
import time

import requests
from _support import connection_env, env, header, is_quick, median, percentile, verdict

TARGET_RATIO = 1.10


def cpu_breakdown(hook, model_api_id, session, url, headers) -> list[tuple[str, float]]:
    """Per-call CPU cost of the hook's own steps, measured without the network."""
    import logging
    import timeit

    import tenacity

    from airflow_provider_domino._client import wire
    from airflow_provider_domino._client.retry import retry_kwargs

    settings = hook.settings
    request = hook._request("get_model_api", {"model_api_id": model_api_id})
    response = session.get(url, headers=headers)
    content, status, resp_headers = response.content, response.status_code, response.headers
    log = logging.getLogger("bench")

    def retry_wrapper() -> None:
        for attempt in tenacity.Retrying(**retry_kwargs(settings, log)):
            with attempt:
                return

    steps = {
        "build the request (wire.build: path template, id check, quoting)": lambda: hook._request(
            "get_model_api", {"model_api_id": model_api_id}
        ),
        "auth headers (wire.auth_headers)": lambda: wire.auth_headers(settings, request),
        "retry wrapper (tenacity.Retrying built per call, one attempt)": retry_wrapper,
        "read the answer (wire.read_response: status check, json.loads)": lambda: wire.read_response(
            settings, request, status, resp_headers, content
        ),
        "for scale: json.loads of the same body (the bare side does this too)": lambda: response.json(),
    }
    out = []
    for label, fn in steps.items():
        timer = timeit.Timer(fn)
        number, _ = timer.autorange()
        out.append((label, median(timer.repeat(5, number)) / number))
    return out


def main() -> int:
    quick = is_quick()
    calls = 300 if quick else 2000
    if "--calls" in sys.argv:
        calls = int(sys.argv[sys.argv.index("--calls") + 1])
    warmup = max(50, calls // 10)
    header("Request overhead: DominoHook.get_model_api vs a bare requests.Session().get", quick)

    from airflow_provider_domino.emulator.testing import run_emulator

    with run_emulator() as emu, env(connection_env(emu)):
        emu.seed(1, project_id="bench")
        from airflow_provider_domino.hooks.domino import DominoHook

        hook = DominoHook()
        model_api_id = hook.list_model_apis("bench", limit=1)[0]["id"]
        url = f"{emu.base_url}/api/modelServing/v1/modelApis/{model_api_id}"
        session = requests.Session()
        session.headers["User-Agent"] = hook.get_conn().headers["User-Agent"]
        headers = {"Accept": "application/json", **emu.headers}

        def bare() -> object:
            response = session.get(url, headers=headers, timeout=(10.0, 60.0), allow_redirects=False)
            if response.status_code != 200:
                raise RuntimeError(response.status_code)
            return response.json()

        def via_hook() -> object:
            return hook.get_model_api(model_api_id)

        assert bare() == via_hook(), "the two calls must fetch the same thing"
        for _ in range(warmup):
            bare()
            via_hook()

        times: dict[str, list[float]] = {"hook": [], "bare": []}
        clock = time.perf_counter
        gc.collect()
        for i in range(calls):
            pair = (("hook", via_hook), ("bare", bare)) if i % 2 else (("bare", bare), ("hook", via_hook))
            for name, fn in pair:
                start = clock()
                fn()
                times[name].append(clock() - start)
        breakdown = cpu_breakdown(hook, model_api_id, session, url, headers)
        session.close()
        hook.close()

    diffs = [h - b for h, b in zip(times["hook"], times["bare"], strict=True)]
    print(f"  {calls} calls each, interleaved, after {warmup} warm-up calls each; emulator dialect seed")
    print(f"  {'':24} {'median':>10} {'p90':>10} {'p99':>10}")
    for name, label in (("bare", "bare requests.get"), ("hook", "DominoHook.get_model_api")):
        v = times[name]
        print(
            f"  {label:24} {median(v) * 1e6:7.0f} µs {percentile(v, 90) * 1e6:7.0f} µs "
            f"{percentile(v, 99) * 1e6:7.0f} µs"
        )
    print(f"  paired difference hook - bare: median {median(diffs) * 1e6:.0f} µs per call")
    ratio = median(times["hook"]) / median(times["bare"])
    ratio90 = percentile(times["hook"], 90) / percentile(times["bare"], 90)
    paired = 1 + median(diffs) / median(times["bare"])
    print(f"  ratio hook / bare: median {ratio:.3f}x, p90 {ratio90:.3f}x; 1 + paired/bare {paired:.3f}x")
    print("  where the hook's extra time goes (CPU only, no network, timeit medians):")
    for label, seconds in breakdown:
        print(f"    {seconds * 1e6:6.1f} µs  {label}")
    verdict("median latency <= 1.10x bare requests", ratio <= TARGET_RATIO, f"{ratio:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
