"""Triggers run against a live emulator (``asyncio.run``, no triggerer), in both dialects: one event each, with
the right status, ids and ``carry``; Domino's message on errors; one HTTP client per run, always closed; nothing
blocking on the event loop; ``JobTrigger.on_kill`` stops the job.

A timing test (the longest gap of a heartbeat coroutine beside 50 triggers) is deliberately absent: the
project bans timed assertions. :func:`test_fifty_concurrent_triggers_never_block_the_event_loop` checks the
same property structurally instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
import requests

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.transport import AsyncTransport, SyncTransport
from airflow_provider_domino.hooks.domino import DominoAsyncHook
from airflow_provider_domino.triggers import (
    DEFAULT_MAX_CONCURRENT_POLLS,
    AsyncPredictionTrigger,
    DeploymentTrigger,
    JobTrigger,
    ModelApiVersionTrigger,
    max_concurrent_polls,
    poll_gate,
)
from domino_env import api_requests
from sensors.livedomino import (
    Gate,
    create_model_api,
    job_status,
    running_model_api,
    seen_gets,
    wait_until,
)

FAST = {"poll_interval": 0.2}
UNKNOWN = "0123456789abcdef01234567"


def events(trigger: Any) -> list[dict[str, Any]]:
    """Every event ``trigger.run()`` yields, run to its end."""

    async def main() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    return asyncio.run(main())


@pytest.fixture
def transports(domino, monkeypatch) -> dict[str, list[AsyncTransport]]:
    """The async transports (one per trigger run) made and closed during the test."""
    seen: dict[str, list[AsyncTransport]] = {"made": [], "closed": []}
    init, aclose = AsyncTransport.__init__, AsyncTransport.aclose

    def tracking_init(self: AsyncTransport, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        seen["made"].append(self)

    async def tracking_aclose(self: AsyncTransport) -> None:
        seen["closed"].append(self)
        await aclose(self)

    monkeypatch.setattr(AsyncTransport, "__init__", tracking_init)
    monkeypatch.setattr(AsyncTransport, "aclose", tracking_aclose)
    return seen


def assert_one_client_closed(seen: dict[str, list[AsyncTransport]], runs: int = 1) -> None:
    assert len(seen["made"]) == runs, "one HTTP client per run"
    assert sorted(map(id, seen["closed"])) == sorted(map(id, seen["made"])), "every client made was closed once"
    assert all(t.client.is_closed for t in seen["made"])


# --- one event per run ----------------------------------------------------------------------------------


def version_running(hook: Any) -> tuple[Any, dict[str, Any]]:
    model_api_id, version_id = create_model_api(hook)
    ids = {"model_api_id": model_api_id, "version_id": version_id}
    return ModelApiVersionTrigger(carry={"case": "version"}, **ids, **FAST), ids


def version_build_failed(hook: Any) -> tuple[Any, dict[str, Any]]:
    model_api_id, version_id = create_model_api(hook, model_file="broken.py")
    ids = {"model_api_id": model_api_id, "version_id": version_id}
    return ModelApiVersionTrigger(carry={"case": "broken"}, **ids, **FAST), ids


def deployment_running(hook: Any) -> tuple[Any, dict[str, Any]]:
    _, version_id = running_model_api(hook)
    ids = {"deployment_id": hook.create_deployment(name="churn-dep", model_version_id=version_id)["id"]}
    return DeploymentTrigger(carry={"case": "deployment"}, **ids, **FAST), ids


def deployment_stopped(hook: Any) -> tuple[Any, dict[str, Any]]:
    _, version_id = running_model_api(hook)
    ids = {"deployment_id": hook.create_deployment(name="churn-dep", model_version_id=version_id)["id"]}
    hook.stop_deployment(ids["deployment_id"])
    return DeploymentTrigger(target_statuses=("STOPPED",), carry={"case": "stopped"}, **ids, **FAST), ids


def prediction(model_function: str) -> Callable[[Any], tuple[Any, dict[str, Any]]]:
    def make(hook: Any) -> tuple[Any, dict[str, Any]]:
        model_api_id, _ = create_model_api(hook, model_function=model_function)
        prediction_id = shapes.prediction_id(hook.submit_async_prediction(model_api_id, {"x": 20, "y": 1}))
        ids = {"model_api_id": model_api_id, "prediction_id": prediction_id}
        return AsyncPredictionTrigger(carry={"case": model_function}, **ids, **FAST), ids

    return make


def job(command: str) -> Callable[[Any], tuple[Any, dict[str, Any]]]:
    def make(hook: Any) -> tuple[Any, dict[str, Any]]:
        ids = {"job_id": shapes.job_id(hook.start_job(project_id="churn", command=command))}
        return JobTrigger(project_id="churn", carry={"case": command}, **ids, **FAST), ids

    return make


CASES = {
    "version-running": (version_running, "success", "Running", {}),
    "version-build-failed": (version_build_failed, "failure", "Failed", {}),
    "deployment-running": (deployment_running, "success", "Running", {}),
    "deployment-stopped": (deployment_stopped, "success", "Stopped", {}),
    "prediction-succeeded": (
        prediction("predict"),
        "success",
        "succeeded|completed",
        {"result": {"sum": 21}, "errors": []},
    ),
    "prediction-failed": (prediction("crash"), "failure", "failed", {"result": None}),
    "job-succeeded": (job("python train.py"), "success", "Succeeded", {"project_id": "churn"}),
    "job-failed": (job("python train.py --fail"), "failure", "Failed", {"project_id": "churn"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_run_yields_exactly_one_event_with_status_ids_and_carry(domino, hook, transports, case):
    make, status, domino_status, extra = CASES[case]
    trigger, ids = make(hook)

    (event,) = events(trigger)

    assert event["status"] == status, event
    assert statuses.normalize(event["domino_status"]) in domino_status.lower().split("|")
    assert {k: event[k] for k in ids} == ids
    assert event["carry"] == trigger.carry
    assert {k: event[k] for k in extra} == extra
    assert event["message"].endswith(event["domino_status"])
    if case == "prediction-failed":
        assert any("the model cannot score this" in e for e in event["errors"]), event["errors"]
    assert_one_client_closed(transports)


@pytest.mark.parametrize(
    "make",
    [
        lambda api: ModelApiVersionTrigger(model_api_id=api, version_id=UNKNOWN),
        lambda api: DeploymentTrigger(deployment_id=UNKNOWN),
        lambda api: AsyncPredictionTrigger(model_api_id=api, prediction_id=UNKNOWN),
        lambda api: JobTrigger(job_id=UNKNOWN, project_id="churn"),
    ],
    ids=["version", "deployment", "prediction", "job"],
)
def test_an_unknown_id_gives_one_error_event_with_dominos_message(domino, hook, transports, make):
    model_api_id, _ = create_model_api(hook)
    trigger = make(model_api_id)
    domino.clear_request_log()

    (event,) = events(trigger)

    assert event["status"] == "error"
    assert event["domino_status"] is None
    assert event["carry"] == {}
    answered = [r for r in api_requests(domino) if UNKNOWN in r["path"]]
    assert answered and {r["status"] for r in answered} == {404}, "not found is not retried"
    assert "404" in event["message"]
    assert UNKNOWN in event["message"] and "not found" in event["message"].lower()
    assert_one_client_closed(transports)


# --- the client is closed however the run ends ---------------------------------------------------------


def test_the_client_is_closed_when_the_triggerer_cancels_a_waiting_trigger(domino, hook, transports):
    model_api_id, version_id = create_model_api(hook)
    # A valid status this version never reaches: the trigger keeps polling until cancelled.
    trigger = ModelApiVersionTrigger(
        model_api_id=model_api_id, version_id=version_id, target_statuses=("Stopped",), **FAST
    )

    async def main() -> None:
        async def consume() -> None:
            async for _ in trigger.run():
                raise AssertionError("no event expected")

        task = asyncio.create_task(consume())
        while not (transports["made"] and len(domino_checks) >= 2):
            await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    domino_checks: list[Any] = []
    send = AsyncTransport.send

    async def counting_send(self: AsyncTransport, request: Any) -> Any:
        domino_checks.append(request)
        return await send(self, request)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(AsyncTransport, "send", counting_send)
        asyncio.run(main())

    assert len(domino_checks) >= 2
    assert_one_client_closed(transports)


def test_the_client_is_closed_when_only_the_first_event_is_taken(domino, hook, transports):
    """``dag.test()`` takes the first event with ``anext()`` and leaves the generator to the loop's shutdown."""
    model_api_id, version_id = create_model_api(hook)
    trigger = ModelApiVersionTrigger(model_api_id=model_api_id, version_id=version_id, **FAST)

    async def first() -> Any:
        return await anext(trigger.run(), None)

    event = asyncio.run(first())
    assert event.payload["status"] == "success"
    assert_one_client_closed(transports)


# --- never blocking the event loop ---------------------------------------------------------------------


def spy_on_blocking_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record calls that would block an event loop made on this thread (where ``asyncio.run`` runs the loop):
    ``time.sleep``, blocking socket connects and name lookups, ``requests``, ``urllib``, the sync transport."""
    loop_thread = threading.get_ident()
    calls: list[str] = []

    def spy(name: str, original: Callable[..., Any], when: Callable[..., bool] = lambda *a, **k: True) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == loop_thread and when(*args, **kwargs):
                calls.append(name)
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(time, "sleep", spy("time.sleep", time.sleep))
    monkeypatch.setattr(
        socket.socket, "connect", spy("socket.connect", socket.socket.connect, lambda sock, *a: sock.getblocking())
    )
    monkeypatch.setattr(socket, "getaddrinfo", spy("socket.getaddrinfo", socket.getaddrinfo))
    monkeypatch.setattr(requests.Session, "send", spy("requests.Session.send", requests.Session.send))
    monkeypatch.setattr(urllib.request, "urlopen", spy("urllib.request.urlopen", urllib.request.urlopen))
    monkeypatch.setattr(SyncTransport, "send", spy("SyncTransport.send", SyncTransport.send))
    return calls


def waiting_version_triggers(hook: Any, projects_dir: Any, count: int) -> tuple[Gate, str, list[Any]]:
    """``count`` triggers (each carrying its number) on one new version whose build waits for the gate."""
    gate = Gate(projects_dir)
    model_api_id, version_id = create_model_api(hook, model_file=gate.model_file)
    triggers = [
        ModelApiVersionTrigger(model_api_id=model_api_id, version_id=version_id, carry={"n": n}, **FAST)
        for n in range(count)
    ]
    return gate, version_id, triggers


def run_together(triggers: list[Any]) -> list[list[dict[str, Any]]]:
    """Run every trigger to its end as concurrent tasks of one event loop; each one's events."""

    async def main() -> list[list[dict[str, Any]]]:
        async def one(trigger: Any) -> list[dict[str, Any]]:
            return [event.payload async for event in trigger.run()]

        return await asyncio.gather(*(one(t) for t in triggers))

    return asyncio.run(main())


def test_fifty_concurrent_triggers_never_block_the_event_loop(domino, hook, projects_dir, transports, monkeypatch):
    gate, version_id, triggers = waiting_version_triggers(hook, projects_dir, 50)  # each polls a few times
    in_flight = {"now": 0, "peak": 0}
    send = AsyncTransport.send

    async def counting_send(self: AsyncTransport, request: Any) -> Any:
        in_flight["now"] += 1
        in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
        try:
            return await send(self, request)
        finally:
            in_flight["now"] -= 1

    monkeypatch.setattr(AsyncTransport, "send", counting_send)

    with gate.opens_after(domino, seen_gets(f"/versions/{version_id}", count=100)), monkeypatch.context() as mp:
        calls = spy_on_blocking_calls(mp)
        results = run_together(triggers)

    assert calls == [], f"blocking calls on the event loop: {sorted(set(calls))}"
    assert [len(r) for r in results] == [1] * 50
    assert sorted(r[0]["carry"]["n"] for r in results) == list(range(50))
    assert {r[0]["status"] for r in results} == {"success"}
    assert in_flight["peak"] > 1, "the triggers' requests overlapped"
    assert_one_client_closed(transports, runs=50)


# --- the poll gate --------------------------------------------------------------------------------------

GATE_OPTION = "AIRFLOW__DOMINO__TRIGGER_MAX_CONCURRENT_POLLS"


def test_the_poll_gate_bounds_opening_and_polling_but_not_waiting(domino, hook, projects_dir, transports, monkeypatch):
    monkeypatch.setenv(GATE_OPTION, "4")
    gate, version_id, triggers = waiting_version_triggers(hook, projects_dir, 30)
    busy = {"now": 0, "peak": 0}
    polls = [0] * len(triggers)
    enter, fetch = DominoAsyncHook.__aenter__, ModelApiVersionTrigger.fetch

    async def counted(step: Any) -> Any:
        busy["now"] += 1
        busy["peak"] = max(busy["peak"], busy["now"])
        try:
            return await step
        finally:
            busy["now"] -= 1

    async def counting_enter(self: DominoAsyncHook) -> DominoAsyncHook:
        return await counted(enter(self))

    async def counting_fetch(self: ModelApiVersionTrigger, hook: Any) -> Any:
        polls[self.carry["n"]] += 1
        return await counted(fetch(self, hook))

    monkeypatch.setattr(DominoAsyncHook, "__aenter__", counting_enter)
    monkeypatch.setattr(ModelApiVersionTrigger, "fetch", counting_fetch)

    # The build finishes only after 150 polls: five for each trigger if the slots pass round fairly.
    with gate.opens_after(domino, seen_gets(f"/versions/{version_id}", count=150)):
        results = run_together(triggers)

    assert {r[0]["status"] for r in results} == {"success"} and [len(r) for r in results] == [1] * 30
    assert 1 < busy["peak"] <= 4, f"at most 4 clients opening or polls in flight at once, saw {busy['peak']}"
    # A trigger waiting for its next poll holds no slot: every trigger polled while the build was still going,
    # not only the first four (which, holding their slots through their waits, would have starved the rest).
    assert min(polls) >= 2, polls
    assert_one_client_closed(transports, runs=30)


def test_there_is_one_poll_gate_per_event_loop_and_connection(monkeypatch):
    monkeypatch.setenv(GATE_OPTION, "3")

    async def gates() -> tuple[asyncio.Semaphore, asyncio.Semaphore, asyncio.Semaphore]:
        return poll_gate("domino_default"), poll_gate("domino_default"), poll_gate("domino_other")

    first, again, other = asyncio.run(gates())
    assert first is again and first is not other
    (next_loop, _, _) = asyncio.run(gates())
    assert next_loop is not first, "a gate belongs to one event loop"


def test_the_poll_gate_size_comes_from_the_airflow_option(monkeypatch):
    monkeypatch.delenv(GATE_OPTION, raising=False)
    assert max_concurrent_polls() == DEFAULT_MAX_CONCURRENT_POLLS == 32
    monkeypatch.setenv(GATE_OPTION, "7")
    assert max_concurrent_polls() == 7


@pytest.mark.parametrize("bad", ["0", "-2", "many", "2.5"])
def test_a_bad_poll_gate_size_names_the_option_and_the_fix_before_any_request(domino, transports, monkeypatch, bad):
    monkeypatch.setenv(GATE_OPTION, bad)
    domino.clear_request_log()
    trigger = AsyncPredictionTrigger(model_api_id=UNKNOWN, prediction_id=UNKNOWN, poll_interval=0.01)
    with pytest.raises(ValueError, match=r"\[domino\] trigger_max_concurrent_polls must be a positive integer") as err:
        events(trigger)
    assert repr(bad) in str(err.value) and "unset it" in str(err.value)
    assert api_requests(domino) == [] and transports["made"] == []


# --- on_kill -------------------------------------------------------------------------------------------


def test_job_trigger_on_kill_stops_the_running_job(domino, hook, transports):
    job_id = shapes.job_id(hook.start_job(project_id="churn", command="python slow_train.py"))
    wait_until(lambda: statuses.matches(job_status(hook, job_id), ["Running"]), "the job to run")
    domino.clear_request_log()

    asyncio.run(JobTrigger(job_id=job_id, project_id="churn", **FAST).on_kill())

    stops = [r for r in api_requests(domino) if r["method"] == "POST"]
    assert len(stops) == 1 and "stop" in stops[0]["path"], stops

    def ended() -> str | None:
        status = job_status(hook, job_id)
        return status if statuses.matches(status, ["Stopped", "Failed"]) else None

    final = wait_until(ended, "the job to end", limit=15)
    assert statuses.normalize(final) == "stopped"
    assert_one_client_closed(transports)
