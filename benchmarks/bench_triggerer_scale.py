"""Triggerer scale: 1,000 ``AsyncPredictionTrigger`` s (what ``AsyncPredictionSensor(deferrable=True)``
defers to) running at once in one asyncio event loop against the emulator.

Each measured run is a fresh child process (so RSS growth is its own), on the standard asyncio loop, as
Airflow's triggerer runs: one uncounted warm-up trigger (imports, connection lookup), then N triggers are
started together as tasks and each is run until its first event, as the triggerer does. A heartbeat
coroutine (every 5 ms) records the longest event-loop stall and samples RSS. The triggers read the
``domino_default`` connection from ``AIRFLOW_CONN_DOMINO_DEFAULT``.

The emulator runs a model's predictions one at a time (one worker per running version), so the cases are
built so that what is measured is the triggers, not that queue:

- **parallel** (the target): the child submits N predictions of a model that answers only once a release
  time has come, sets the release time ``RELEASE_S`` seconds ahead and starts N triggers at once. Every
  prediction takes the same time as a single one would (a real Domino computes them side by side; here the
  worker is held back by the release time, then drains the queue in about a millisecond each). Target:
  the N triggers' wall time within 2x of one trigger's in the same set-up.
- **overhead**: every prediction has already finished before the triggers start; each trigger does only its
  fixed work (open its client, one GET, close). Shows the fixed cost per trigger; N x that cost is serial
  CPU on one event loop, so its literal ratio to one trigger is reported for the record only.
- **serial server**: N predictions of a model that takes 10 ms, queued one after another by the emulator's
  single worker, the triggers started at once. Fair comparison: the time the server still needs to finish
  them after the triggers start plus one trigger's wall time.

Also reported: detection latency (a prediction finishing, by the emulator's own timestamp, to its
trigger's event). Targets: all finish; parallel wall within 2x of one trigger's; longest loop stall
< 0.2 s (the triggerer's warning threshold) in every case. Informational: RSS growth per trigger.

What-if runs repeat the parallel and overhead cases with the provider's poll gate opened wide
(``[domino] trigger_max_concurrent_polls`` set to a million through its ``AIRFLOW__DOMINO__...``
variable, in the child only): the provider as it was before the gate, measured in the same run.

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
RELEASE_S = 5.0  # how long every prediction of the parallel case takes, from the triggers' start (1 s in quick mode)
GATE_ENV = "AIRFLOW__DOMINO__TRIGGER_MAX_CONCURRENT_POLLS"
UNGATED = 1_000_000  # what-if: a gate that never closes (the provider before the poll gate)
POLL_INTERVAL_S = float(os.environ.get("BENCH_POLL_INTERVAL", "0.5"))  # seconds; Airflow-like values: 5-30
RELEASE_FILE = "release_at"
MODEL = f"""import time
from pathlib import Path

RELEASE = Path(__file__).with_name({RELEASE_FILE!r})


def predict(x=0, **kwargs):
    return {{"y": x}}


def predict_10ms(x=0, **kwargs):
    time.sleep(0.01)
    return {{"y": x}}


def predict_at_release(x=0, **kwargs):
    while True:
        try:
            if time.time() >= float(RELEASE.read_text()):
                return {{"y": x}}
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
"""


# --------------------------------------------------------------------------------------------- child side
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
    release = Path(spec["release_file"]) if spec.get("release_file") else None
    if release is not None:
        release.unlink(missing_ok=True)
    if spec.get("submit"):
        from airflow_provider_domino.hooks.domino import DominoHook

        hook = DominoHook()
        start = time.perf_counter()
        ids = submit_predictions(hook, model_api_id, spec["submit"])
        submit_seconds = time.perf_counter() - start
        hook.close()
    gc_start = time.perf_counter()
    gc.collect()
    gc_before = time.perf_counter() - gc_start  # a full collection of this process before any trigger runs
    loop = asyncio.get_running_loop()
    base_rss = rss_bytes()
    state = {"done": False, "max_stall": 0.0, "peak_rss": base_rss}

    async def heartbeat() -> None:
        last, tick = loop.time(), 0
        while not state["done"]:
            await asyncio.sleep(HEARTBEAT_S)
            now = loop.time()
            stall = now - last - HEARTBEAT_S
            state["max_stall"] = max(state["max_stall"], stall)
            last, tick = now, tick + 1
            if tick % 4 == 0:
                state["peak_rss"] = max(state["peak_rss"], rss_bytes())

    collections: list[tuple[int, float]] = []  # (generation, seconds) of every garbage collection in the run
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            collections.append((info["generation"], time.perf_counter() - started.pop()))

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(HEARTBEAT_S * 2)
    gc.callbacks.append(on_gc)
    triggers = [make(pid) for pid in ids]
    t_start = time.time()
    if release is not None:
        release.write_text(repr(t_start + spec["release_after"]))
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(first_event(t) for t in triggers))
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    gc.callbacks.remove(on_gc)
    state["peak_rss"] = max(state["peak_rss"], rss_bytes())
    state["done"] = True
    await beat
    statuses: dict[str, int] = {}
    for payload, _ in results:
        statuses[payload["status"]] = statuses.get(payload["status"], 0) + 1
    return {
        "n": len(ids),
        "wall": wall,
        "cpu": cpu,
        "t_start": t_start,
        "submit_seconds": submit_seconds,
        "statuses": statuses,
        "max_stall": state["max_stall"],
        "rss_growth": state["peak_rss"] - base_rss,
        "gc_before": gc_before,
        "full_gcs": sum(1 for generation, _ in collections if generation == 2),
        "longest_gc": max((seconds for _, seconds in collections), default=0.0),
        "events": {payload["prediction_id"]: at for payload, at in results},
        "sample_error": next((p["message"] for p, _ in results if p["status"] != "success"), None),
    }


def submit_predictions(hook: Any, model_api_id: str, count: int) -> list[str]:
    """Submit ``count`` asynchronous predictions; their ids."""
    return [shapes_id(hook.submit_async_prediction(model_api_id, {"x": i})) for i in range(count)]


def shapes_id(body: dict[str, Any]) -> str:
    from airflow_provider_domino._client import shapes

    found = shapes.prediction_id(body)
    if not found:
        raise RuntimeError(f"no prediction id in {body!r}")
    return found


def child_main(spec: dict[str, Any]) -> None:
    print(json.dumps(asyncio.run(run_triggers(spec))))


# --------------------------------------------------------------------------------------------- parent side
def run_child(spec: dict[str, Any], timeout: float = 900) -> dict[str, Any]:
    child_env = dict(os.environ)
    if spec.get("gate"):
        child_env[GATE_ENV] = str(spec["gate"])
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", json.dumps(spec)],
            env=child_env,
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


def with_latency(emu: Any, r: dict[str, Any]) -> dict[str, Any]:
    """Add the server's finish times, its drain time after the triggers' start, and detection latencies."""
    finished = {i: p["finished"] for i, p in wait_finished(emu, set(r["events"])).items()}
    r["server_after_start"] = max(0.0, max(finished.values()) - r["t_start"])
    r["latency"] = [r["events"][i] - max(f, r["t_start"]) for i, f in finished.items()]
    return r


def describe(label: str, r: dict[str, Any]) -> None:
    print(
        f"    {label:30} {r['n']:5d} triggers  wall {r['wall']:7.2f} s  "
        f"({r['wall'] / r['n'] * 1000:6.1f} ms/trigger)  longest stall {r['max_stall'] * 1000:6.0f} ms  "
        f"RSS +{r['rss_growth'] / 2**20:6.1f} MiB ({r['rss_growth'] / r['n'] / 1024:5.1f} KiB/trigger)  "
        f"events {r['statuses']}"
    )
    print(
        f"      {r['full_gcs']} full garbage collections, the longest collection {r['longest_gc'] * 1000:.0f} ms "
        f"(a full collection before the triggers started: {r['gc_before'] * 1000:.0f} ms)"
    )
    if r.get("sample_error"):
        print(f"      first non-success event: {r['sample_error']}")
    if "latency" in r:
        print(
            f"      submitting took {r['submit_seconds']:.2f} s; the server finished the last prediction "
            f"{r['server_after_start']:.2f} s after the triggers started; detection latency: median "
            f"{median(r['latency']) * 1000:.0f} ms, p99 {percentile(r['latency'], 99) * 1000:.0f} ms, "
            f"max {max(r['latency']) * 1000:.0f} ms"
        )


def main() -> int:
    quick = is_quick()
    n = 100 if quick else 1000
    release_after = 1.0 if quick else RELEASE_S
    if "--triggers" in sys.argv:
        n = int(sys.argv[sys.argv.index("--triggers") + 1])
    header(f"Triggerer scale: {n} AsyncPredictionTriggers in one event loop", quick)
    print(f"  poll_interval {POLL_INTERVAL_S} s, heartbeat every {HEARTBEAT_S * 1000:.0f} ms, standard asyncio loop")

    from airflow_provider_domino.emulator.testing import run_emulator

    with tempfile.TemporaryDirectory(prefix="bench-trig-") as projects:
        project = Path(projects) / "bench"
        project.mkdir()
        (project / "model.py").write_text(MODEL)
        with run_emulator(projects) as emu, env(connection_env(emu)):
            functions = {"fast-": "predict", "slow-": "predict_10ms", "held-": "predict_at_release"}
            model = {
                prefix: emu.seed(
                    1, project_id="bench", modelFile="model.py", modelFunction=function, namePrefix=prefix
                )["firstId"]
                for prefix, function in functions.items()
            }
            from airflow_provider_domino.hooks.domino import DominoHook

            hook = DominoHook()

            def submit(count: int, prefix: str) -> list[str]:
                return submit_predictions(hook, model[prefix], count)

            def warmed(prefix: str) -> dict[str, Any]:
                (project / RELEASE_FILE).write_text("0")
                warm = submit(1, prefix)
                wait_finished(emu, set(warm))
                return {"model_api_id": model[prefix], "poll_interval": POLL_INTERVAL_S, "warmup_id": warm[0]}

            # Parallel case: every prediction answers RELEASE_S after the triggers start.
            held = {
                **warmed("held-"),
                "prediction_ids": [],
                "release_file": str(project / RELEASE_FILE),
                "release_after": release_after,
            }
            par_one = with_latency(emu, run_child({**held, "submit": 1}))
            par_many = with_latency(emu, run_child({**held, "submit": n}))
            par_open = with_latency(emu, run_child({**held, "submit": n, "gate": UNGATED}))

            # Overhead case: every prediction done before the triggers start.
            fast = warmed("fast-")
            done = submit(n + 1, "fast-")
            wait_finished(emu, set(done))
            one = run_child({**fast, "prediction_ids": done[:1]})
            many = run_child({**fast, "prediction_ids": done[1:]})
            many_open = run_child({**fast, "prediction_ids": done[1:], "gate": UNGATED})

            # Serial server: one worker works through n predictions of 10 ms each.
            slow = {**warmed("slow-"), "prediction_ids": []}
            ser_one = with_latency(emu, run_child({**slow, "submit": 1}))
            ser_many = with_latency(emu, run_child({**slow, "submit": n}))
            hook.close()

    print(f"\n  parallel case (every prediction answers {release_after:g} s after the triggers start):")
    describe("1 trigger", par_one)
    describe(f"{n} triggers", par_many)
    describe(f"{n} triggers, no poll gate", par_open)
    par_ratio = par_many["wall"] / par_one["wall"]
    par_open_ratio = par_open["wall"] / par_one["wall"]
    print(f"    wall({n}) / wall(1): {par_ratio:.2f}x (no poll gate: {par_open_ratio:.2f}x)")

    print("\n  overhead case (predictions already finished; each trigger: open client, one GET, close):")
    describe("1 trigger", one)
    describe(f"{n} triggers", many)
    describe(f"{n} triggers, no poll gate", many_open)
    literal = many["wall"] / one["wall"]
    print(
        f"    fixed cost per trigger: {many['cpu'] / n * 1000:.2f} ms of CPU (no poll gate: "
        f"{many_open['cpu'] / n * 1000:.2f} ms); literal ratio wall({n}) / wall(1): {literal:.1f}x "
        "(one trigger's wall is mostly its random first-poll delay; see the docstring)"
    )

    print(f"\n  serial server (one worker, {n} predictions of 10 ms, poll every {POLL_INTERVAL_S} s):")
    describe("1 trigger", ser_one)
    describe(f"{n} triggers", ser_many)
    fair = ser_many["wall"] / (ser_many["server_after_start"] + ser_one["wall"])
    print(
        f"    fair ratio wall({n}) / (server drain after start {ser_many['server_after_start']:.2f} s "
        f"+ wall(1) {ser_one['wall']:.2f} s): {fair:.2f}x"
    )
    print()
    gated = (par_one, par_many, one, many, ser_one, ser_many)
    all_ok = all(r["statuses"] == {"success": r["n"]} for r in gated)
    verdict("all triggers finish with success", all_ok, " / ".join(str(r["statuses"]) for r in gated[1::2]))
    verdict("parallel case: wall within 2x of one trigger's", par_ratio <= 2, f"{par_ratio:.2f}x")
    verdict("serial server: wall within 2x of server drain + one trigger", fair <= 2, f"{fair:.2f}x")
    stall = max(r["max_stall"] for r in gated)
    verdict(
        "longest event-loop stall < 0.2 s (every case)",
        stall < STALL_TARGET_S,
        f"{stall * 1000:.0f} ms (parallel {par_many['max_stall'] * 1000:.0f}, overhead "
        f"{many['max_stall'] * 1000:.0f}, serial {ser_many['max_stall'] * 1000:.0f}; no poll gate: parallel "
        f"{par_open['max_stall'] * 1000:.0f}, overhead {many_open['max_stall'] * 1000:.0f})",
    )
    per = par_many["rss_growth"] / n / 1024
    print(f"  (info) peak RSS growth per waiting trigger (parallel case): {per:.1f} KiB")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        child_main(json.loads(sys.argv[2]))
        sys.exit(0)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
