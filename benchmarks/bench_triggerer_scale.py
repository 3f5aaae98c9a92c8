"""Triggerer scale: 1,000 ``AsyncPredictionTrigger`` s (what ``AsyncPredictionSensor(deferrable=True)``
defers to) running at once in one asyncio event loop against the emulator.

Each measured run is a fresh child process (so RSS growth is its own), on the standard asyncio loop, as
Airflow's triggerer runs: one uncounted warm-up trigger (imports, connection lookup), then N triggers are
started together as tasks and each is run until its first event, as the triggerer does. A heartbeat
coroutine (every 5 ms) records the longest event-loop stall and samples RSS. The triggers read the
``domino_default`` connection from ``AIRFLOW_CONN_DOMINO_DEFAULT``.

The emulator runs a model's predictions one at a time (one worker per running version), so 1,000
predictions of one model take the server a while to drain however good the client is. Two cases:

- **overhead**: every prediction has already finished before the triggers start. Each trigger then does
  exactly its fixed work (open its client, one GET, close): wall time for N triggers beside one trigger
  shows the triggers' own cost per trigger. N x the fixed cost is serial CPU work on one event loop, so the
  literal "within 2x of one trigger" cannot hold for any client at N=1,000 and is reported for the record.
- **realistic**: the child submits N predictions (sync hook) of a model that takes 10 ms and at once starts N
  triggers polling every ``poll_interval`` (with a trivially fast model the server drains the queue as fast
  as it is filled, and this case collapses into the first). Fair comparison: the time the server still needs
  to finish them after the triggers start, plus one trigger's own wall time. Also reported: detection latency, the time from a prediction finishing
  (the emulator's own timestamp) to its trigger's event (target within 2x of a single trigger's).

Targets: all finish; wall time within 2x of the fair baseline; longest loop stall < 0.2 s (the triggerer's
warning threshold). Informational: RSS growth per trigger.

What-if runs repeat both cases with one SSL context shared by all the triggers' httpx clients, and with
one httpx client (unbounded pool) shared by all the triggers, each patched in this benchmark's child only, to
size the fixes discussed in docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_triggerer_scale.py [--quick] [--triggers N]
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import connection_env, env, header, is_quick, median, percentile, rss_bytes, verdict

STALL_TARGET_S = 0.2
HEARTBEAT_S = 0.005
POLL_INTERVAL_S = float(os.environ.get("BENCH_POLL_INTERVAL", "0.5"))  # seconds; Airflow-like values: 5-30
MODEL = """import time


def predict(x=0, **kwargs):
    return {"y": x}


def predict_10ms(x=0, **kwargs):
    time.sleep(0.01)
    return {"y": x}
"""


# --------------------------------------------------------------------------------------------- child side
def share_ssl_context() -> None:
    """What-if: every httpx client gets one cached SSL context instead of building its own."""
    import functools

    import httpx._transports.default as default

    original = default.create_ssl_context

    @functools.lru_cache(maxsize=8)
    def cached(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        return original(verify=verify, cert=cert, trust_env=trust_env)

    default.create_ssl_context = cached


def share_client() -> None:
    """What-if: all triggers of the process share one httpx client (and so its pool and SSL context)."""
    from airflow_provider_domino._client import transport

    original_init = transport.AsyncTransport.__init__
    shared: dict[tuple[Any, ...], Any] = {}

    def init(self: Any, settings: Any, client: Any = None) -> None:
        key = (settings.base_url, settings.verify, settings.read_timeout, settings.connect_timeout)
        if client is None and key not in shared:
            import httpx

            # Unbounded pool: with httpx's default (100 connections) 1,000 requests queue in httpcore's
            # pool, whose bookkeeping per queued request blocked the loop for seconds in an earlier run.
            unbounded = httpx.Limits(max_connections=None, max_keepalive_connections=None)
            shared[key] = httpx.AsyncClient(
                timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
                verify=settings.verify,
                headers={"User-Agent": transport.user_agent()},
                follow_redirects=False,
                limits=unbounded,
            )
        original_init(self, settings, client or shared[key])

    async def aclose(self: Any) -> None:
        return None

    transport.AsyncTransport.__init__ = init  # type: ignore[method-assign]
    transport.AsyncTransport.aclose = aclose  # type: ignore[method-assign]


async def first_event(trigger: Any) -> tuple[dict[str, Any], float]:
    agen = trigger.run()
    try:
        event = await agen.__anext__()
    finally:
        await agen.aclose()
    return event.payload, time.time()


async def run_triggers(spec: dict[str, Any]) -> dict[str, Any]:
    from airflow_provider_domino.triggers import AsyncPredictionTrigger

    model_api_id, poll = spec["model_api_id"], spec["poll_interval"]

    def make(prediction_id: str) -> Any:
        return AsyncPredictionTrigger(model_api_id=model_api_id, prediction_id=prediction_id, poll_interval=poll)

    await first_event(make(spec["warmup_id"]))  # imports, connection lookup, secret masking
    ids = list(spec["prediction_ids"])
    submit_seconds = 0.0
    if spec.get("submit"):
        from airflow_provider_domino.hooks.domino import DominoHook

        hook = DominoHook()
        start = time.perf_counter()
        ids = [shapes_id(hook.submit_async_prediction(model_api_id, {"x": i})) for i in range(spec["submit"])]
        submit_seconds = time.perf_counter() - start
        hook.close()
    gc.collect()
    loop = asyncio.get_running_loop()
    base_rss = rss_bytes()
    state = {"done": False, "max_stall": 0.0, "stalls_over": 0, "peak_rss": base_rss}

    async def heartbeat() -> None:
        last, tick = loop.time(), 0
        while not state["done"]:
            await asyncio.sleep(HEARTBEAT_S)
            now = loop.time()
            stall = now - last - HEARTBEAT_S
            state["max_stall"] = max(state["max_stall"], stall)
            state["stalls_over"] += stall > STALL_TARGET_S
            last, tick = now, tick + 1
            if tick % 4 == 0:
                state["peak_rss"] = max(state["peak_rss"], rss_bytes())

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(HEARTBEAT_S * 2)
    triggers = [make(pid) for pid in ids]
    t_start = time.time()
    wall_start = time.perf_counter()
    results = await asyncio.gather(*(first_event(t) for t in triggers))
    wall = time.perf_counter() - wall_start
    state["peak_rss"] = max(state["peak_rss"], rss_bytes())
    state["done"] = True
    await beat
    statuses: dict[str, int] = {}
    for payload, _ in results:
        statuses[payload["status"]] = statuses.get(payload["status"], 0) + 1
    return {
        "n": len(ids),
        "wall": wall,
        "t_start": t_start,
        "submit_seconds": submit_seconds,
        "statuses": statuses,
        "max_stall": state["max_stall"],
        "stalls_over": state["stalls_over"],
        "rss_growth": state["peak_rss"] - base_rss,
        "events": {payload["prediction_id"]: at for payload, at in results},
        "sample_error": next((p["message"] for p, _ in results if p["status"] != "success"), None),
    }


def shapes_id(body: dict[str, Any]) -> str:
    from airflow_provider_domino._client import shapes

    found = shapes.prediction_id(body)
    if not found:
        raise RuntimeError(f"no prediction id in {body!r}")
    return found


def child_main(spec: dict[str, Any]) -> None:
    if spec.get("shared_ssl"):
        share_ssl_context()
    if spec.get("shared_client"):
        share_client()
    print(json.dumps(asyncio.run(run_triggers(spec))))


# --------------------------------------------------------------------------------------------- parent side
def run_child(spec: dict[str, Any], timeout: float = 900) -> dict[str, Any]:
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", json.dumps(spec)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"trigger child failed ({proc.returncode}):\n{err.read()[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def wait_finished(emu: Any, ids: set[str], timeout: float = 300) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        predictions = {p["id"]: p for p in emu.state()["predictions"] if p["id"] in ids}
        if all(predictions.get(i, {}).get("status") in ("succeeded", "failed") for i in ids):
            return predictions
        if time.monotonic() > deadline:
            raise RuntimeError("predictions did not finish in time")
        time.sleep(0.25)


def finished_times(emu: Any, ids: set[str]) -> dict[str, float]:
    return {i: p["finished"] for i, p in wait_finished(emu, ids).items()}


def describe(label: str, r: dict[str, Any]) -> None:
    print(
        f"    {label:34} {r['n']:5d} triggers  wall {r['wall']:7.2f} s  "
        f"({r['wall'] / r['n'] * 1000:6.1f} ms/trigger)  longest stall {r['max_stall'] * 1000:7.0f} ms  "
        f"RSS +{r['rss_growth'] / 2**20:6.1f} MiB ({r['rss_growth'] / r['n'] / 1024:6.1f} KiB/trigger)  "
        f"events {r['statuses']}"
    )
    if r.get("sample_error"):
        print(f"      first non-success event: {r['sample_error']}")


def main() -> int:
    quick = is_quick()
    n = 100 if quick else 1000
    if "--triggers" in sys.argv:
        n = int(sys.argv[sys.argv.index("--triggers") + 1])
    header(f"Triggerer scale: {n} AsyncPredictionTriggers in one event loop", quick)
    print(f"  poll_interval {POLL_INTERVAL_S} s, heartbeat every {HEARTBEAT_S * 1000:.0f} ms, standard asyncio loop")

    from airflow_provider_domino.emulator.testing import run_emulator

    with tempfile.TemporaryDirectory(prefix="bench-trig-") as projects:
        (Path(projects) / "bench").mkdir()
        (Path(projects) / "bench" / "model.py").write_text(MODEL)
        with run_emulator(projects) as emu, env(connection_env(emu)):
            emu.seed(1, project_id="bench", modelFile="model.py", modelFunction="predict")
            emu.seed(1, project_id="bench", modelFile="model.py", modelFunction="predict_10ms", namePrefix="slow-")
            from airflow_provider_domino.hooks.domino import DominoHook

            hook = DominoHook()
            model_api_id = hook.find_model_apis("bench", "seeded-model-0")[0]["id"]
            slow_model_api_id = hook.find_model_apis("bench", "slow-1")[0]["id"]

            def submit(count: int, model: str = model_api_id) -> list[str]:
                return [shapes_id(hook.submit_async_prediction(model, {"x": i})) for i in range(count)]

            # Overhead case: every prediction done before the triggers start.
            done = submit(n + 2)
            wait_finished(emu, set(done))
            base = {"model_api_id": model_api_id, "poll_interval": POLL_INTERVAL_S, "warmup_id": done[0]}
            one = run_child({**base, "prediction_ids": done[1:2]})
            many = run_child({**base, "prediction_ids": done[2:]})
            what_if = run_child({**base, "prediction_ids": done[2:], "shared_ssl": True})
            what_if_client = run_child({**base, "prediction_ids": done[2:], "shared_client": True})

            # Realistic case: the triggers start as soon as the predictions are submitted.
            warm = submit(2, slow_model_api_id)
            wait_finished(emu, set(warm))
            base.update(model_api_id=slow_model_api_id, warmup_id=warm[0])
            one_live = run_child({**base, "prediction_ids": [], "submit": 1})
            one_live["finished"] = finished_times(emu, set(one_live["events"]))
            many_live = run_child({**base, "prediction_ids": [], "submit": n})
            many_live["finished"] = finished_times(emu, set(many_live["events"]))
            live_what_if = run_child({**base, "prediction_ids": [], "submit": n, "shared_ssl": True})
            live_what_if["finished"] = finished_times(emu, set(live_what_if["events"]))
            live_client = run_child({**base, "prediction_ids": [], "submit": n, "shared_client": True})
            live_client["finished"] = finished_times(emu, set(live_client["events"]))
            hook.close()

    print("\n  overhead case (predictions already finished; each trigger: open client, one GET, close):")
    describe("1 trigger", one)
    describe(f"{n} triggers", many)
    describe(f"{n} triggers, one shared SSL context", what_if)
    describe(f"{n} triggers, one shared httpx client", what_if_client)
    literal = many["wall"] / one["wall"]
    print(f"    literal ratio wall({n}) / wall(1): {literal:.1f}x (serial fixed work on one loop; see the docstring)")

    print(f"\n  realistic case (submit {n}, start {n} triggers at once, poll every {POLL_INTERVAL_S} s):")
    live_runs = (
        ("1 trigger", one_live),
        (f"{n} triggers", many_live),
        (f"{n} triggers, one shared SSL context", live_what_if),
        (f"{n} triggers, one shared httpx client", live_client),
    )
    for label, r in live_runs:
        describe(label, r)
        latest = max(r["finished"].values())
        r["server_after_start"] = max(0.0, latest - r["t_start"])
        r["latency"] = [r["events"][i] - max(f, r["t_start"]) for i, f in r["finished"].items()]
        print(
            f"      submitting took {r['submit_seconds']:.2f} s; the server finished the last prediction "
            f"{r['server_after_start']:.2f} s after the triggers started"
        )
        print(
            f"      detection latency (prediction finished -> event): median {median(r['latency']) * 1000:.0f} ms, "
            f"p99 {percentile(r['latency'], 99) * 1000:.0f} ms, max {max(r['latency']) * 1000:.0f} ms"
        )
    fair_base = many_live["server_after_start"] + one_live["wall"]
    fair = many_live["wall"] / fair_base
    latency_ratio = percentile(many_live["latency"], 99) / max(max(one_live["latency"]), POLL_INTERVAL_S)
    print(
        f"    fair ratio wall({n}) / (server drain after start {many_live['server_after_start']:.2f} s "
        f"+ wall(1) {one_live['wall']:.2f} s): {fair:.2f}x"
    )
    print(
        f"    literal ratio wall({n}) / wall(1): {many_live['wall'] / one_live['wall']:.1f}x; "
        f"p99 detection latency / max(single, poll interval): {latency_ratio:.2f}x"
    )

    fixed = live_what_if["wall"] / (live_what_if["server_after_start"] + one_live["wall"])
    shared = live_client["wall"] / (live_client["server_after_start"] + one_live["wall"])
    print(f"    fair ratio, what-if: one shared SSL context {fixed:.2f}x, one shared httpx client {shared:.2f}x")
    print()
    all_ok = all(r["statuses"] == {"success": r["n"]} for r in (one, many, one_live, many_live))
    verdict("all triggers finish with success", all_ok, f"{many['statuses']} / {many_live['statuses']}")
    verdict("overhead case: wall within 2x of one trigger (literal)", literal <= 2, f"{literal:.1f}x")
    verdict("realistic case: wall within 2x of server drain + one trigger", fair <= 2, f"{fair:.2f}x")
    verdict(
        "realistic case: p99 detection latency within 2x of one trigger's",
        latency_ratio <= 2,
        f"{latency_ratio:.2f}x",
    )
    stall = max(many["max_stall"], many_live["max_stall"])
    verdict("longest event-loop stall < 0.2 s", stall < STALL_TARGET_S, f"{stall * 1000:.0f} ms")
    per = max(many["rss_growth"], many_live["rss_growth"]) / n / 1024
    print(f"  (info) peak RSS growth per trigger: {per:.1f} KiB")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        child_main(json.loads(sys.argv[2]))
        sys.exit(0)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
