"""Triggers that wait on Domino resources in the triggerer, one per waited resource.

Each polls with :class:`~airflow_provider_domino.hooks.domino.DominoAsyncHook` (one HTTP client per run,
closed on exit), reads statuses through :mod:`airflow_provider_domino._client.statuses`, and fires one
event: ``{"status": "success" | "failure" | "error", "domino_status": ..., "message": ..., "carry": ...,
<ids>}`` (``carry`` echoes what the deferring task passed, so it needs no ``defer(kwargs=...)``).
They serialize to plain data and rebuild from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.errors import DominoError
from airflow_provider_domino.hooks.domino import DominoAsyncHook

__all__ = [
    "AsyncPredictionTrigger",
    "DeploymentTrigger",
    "DominoPollingTrigger",
    "JobTrigger",
    "ModelApiVersionTrigger",
]

_SECRET_KWARGS = frozenset({"access_token"})

#: Default of the ``[domino] trigger_max_concurrent_polls`` Airflow option.
DEFAULT_MAX_CONCURRENT_POLLS = 32
_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = weakref.WeakKeyDictionary()


def max_concurrent_polls() -> int:
    """The ``[domino] trigger_max_concurrent_polls`` option (Airflow configuration), checked."""
    from airflow.providers.common.compat.sdk import conf

    raw = conf.get("domino", "trigger_max_concurrent_polls", fallback=str(DEFAULT_MAX_CONCURRENT_POLLS))
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise ValueError(
            f"[domino] trigger_max_concurrent_polls must be a positive integer, got {raw!r}; "
            f"unset it for the default ({DEFAULT_MAX_CONCURRENT_POLLS})"
        )
    return value


def poll_gate(domino_conn_id: str) -> asyncio.Semaphore:
    """The running event loop's gate for one connection: at most ``trigger_max_concurrent_polls`` of its
    triggers open a client or poll at the same moment; the rest wait their turn (waiting between polls takes
    no slot).

    A thousand triggers deferred together would otherwise all become ready in the same loop iterations, and
    one iteration would run all their steps (about a millisecond of CPU each) before any other trigger of the
    triggerer got a turn: seconds of blocked loop. Through the gate an iteration carries at most a few dozen
    such steps, and throughput stays what the CPU and the server allow.
    """
    loop = asyncio.get_running_loop()
    gates = _GATES.setdefault(loop, {})
    gate = gates.get(domino_conn_id)
    if gate is None:
        gate = gates[domino_conn_id] = asyncio.Semaphore(max_concurrent_polls())
    return gate


class DominoPollingTrigger(BaseTrigger):
    """Poll one Domino resource until its status is a target (success) or a failure.

    Subclasses name the resource's ids (:attr:`id_fields`), its status vocabulary (:attr:`kind`) and how
    to read its status (:meth:`fetch`).
    """

    kind: str = ""
    id_fields: tuple[str, ...] = ()
    default_targets: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        domino_conn_id: str = "domino_default",
        poll_interval: float = 10.0,
        target_statuses: Sequence[str] | None = None,
        carry: dict[str, Any] | None = None,
        pending_until: dict[str, float] | None = None,
        **ids: Any,
    ) -> None:
        super().__init__()
        #: Failure statuses that still count as pending until a wall-clock time (epoch seconds), e.g.
        #: ``{"STOPPED": t}`` right after a start request (see :func:`statuses.ended`).
        self.pending_until = {str(k): float(v) for k, v in (pending_until or {}).items()}
        #: Plain data the deferring task needs back; echoed in the event (``event["carry"]``).
        self.carry = dict(carry or {})
        missing = [f for f in self.id_fields if not ids.get(f)]
        if missing:
            raise ValueError(f"{type(self).__name__} needs {missing[0]}")
        self.domino_conn_id = domino_conn_id
        self.poll_interval = float(poll_interval)
        self.target_statuses = tuple(target_statuses or self.default_targets)
        self.ids = {k: ids[k] for k in self.id_fields}
        self.extra = {k: v for k, v in ids.items() if k not in self.id_fields}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        classpath = f"{type(self).__module__}.{type(self).__qualname__}"
        return classpath, {
            "domino_conn_id": self.domino_conn_id,
            "poll_interval": self.poll_interval,
            "target_statuses": list(self.target_statuses),
            "carry": self.carry,
            "pending_until": self.pending_until,
            **self.ids,
            **self.extra,
        }

    def __repr__(self) -> str:
        classpath, kwargs = self.serialize()
        shown = {k: ("***" if k in _SECRET_KWARGS and v else v) for k, v in kwargs.items()}
        return f"<{classpath} {', '.join(f'{k}={v}' for k, v in shown.items())}>"

    async def fetch(self, hook: Any) -> tuple[str | None, dict[str, Any]]:
        """The resource's current status and what the event should carry besides it."""
        raise NotImplementedError

    def _event(self, status: str, domino_status: str | None, message: str, payload: dict[str, Any]) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": status,
                "domino_status": domino_status,
                "message": message,
                "carry": self.carry,
                **self.ids,
                **payload,
            }
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        vocab = statuses.vocabulary(self.kind)
        what = f"{self.kind.replace('_', ' ')} {'/'.join(str(v) for v in self.ids.values())}"
        # Triggers deferred together would all poll in one event-loop turn; spread their first polls.
        await asyncio.sleep(random.uniform(0, min(self.poll_interval, 1.0)))
        gate = poll_gate(self.domino_conn_id)
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with gate:
                    hook = await stack.enter_async_context(DominoAsyncHook(self.domino_conn_id))
                while True:
                    async with gate:
                        current, payload = await self.fetch(hook)
                    if statuses.matches(current, self.target_statuses):
                        yield self._event("success", current, f"{what} is {current}", payload)
                        return
                    if statuses.ended(vocab, current, self.pending_until, time.time()):
                        yield self._event("failure", current, f"{what} ended {current}", payload)
                        return
                    self.log.info("%s is %s; checking again in %gs", what, current, self.poll_interval)
                    await asyncio.sleep(self.poll_interval)
        except DominoError as exc:
            yield self._event("error", None, f"could not check {what}: {exc}", {})


class ModelApiVersionTrigger(DominoPollingTrigger):
    """Wait until a Model API version reaches a target status (``Running`` by default)."""

    kind = "model_api_version"
    id_fields = ("model_api_id", "version_id")
    default_targets = ("Running",)

    async def fetch(self, hook: Any) -> tuple[str | None, dict[str, Any]]:
        version = await hook.get_model_api_version(self.ids["model_api_id"], self.ids["version_id"])
        return shapes.version_status(version), {}


class DeploymentTrigger(DominoPollingTrigger):
    """Wait until a Model Deployment reaches a target state (``RUNNING`` by default)."""

    kind = "deployment"
    id_fields = ("deployment_id",)
    default_targets = ("RUNNING",)

    async def fetch(self, hook: Any) -> tuple[str | None, dict[str, Any]]:
        deployment = await hook.get_deployment(self.ids["deployment_id"])
        return shapes.deployment_status(deployment), {}


class AsyncPredictionTrigger(DominoPollingTrigger):
    """Wait until an asynchronous prediction finishes; the event carries its result or errors."""

    kind = "async_prediction"
    id_fields = ("model_api_id", "prediction_id")
    default_targets = tuple(sorted(statuses.ASYNC_PREDICTION.success))

    async def fetch(self, hook: Any) -> tuple[str | None, dict[str, Any]]:
        body = await hook.get_async_prediction(
            self.ids["model_api_id"], self.ids["prediction_id"], access_token=self.extra.get("access_token")
        )
        return shapes.prediction_status(body), {"result": body.get("result"), "errors": shapes.prediction_errors(body)}


class JobTrigger(DominoPollingTrigger):
    """Wait until a Domino job finishes. Killing the task (Airflow 3.3+) stops the job."""

    kind = "job"
    id_fields = ("job_id",)
    default_targets = tuple(sorted(statuses.JOB.success))

    async def fetch(self, hook: Any) -> tuple[str | None, dict[str, Any]]:
        body = await hook.get_job(self.ids["job_id"])
        return shapes.job_status(body), {"project_id": self.extra.get("project_id")}

    async def on_kill(self) -> None:
        """Stop the job when a user kills the deferred task (Airflow 3.3 calls this; earlier ones do not)."""
        async with DominoAsyncHook(self.domino_conn_id) as hook:
            await hook.stop_job(self.ids["job_id"], self.extra.get("project_id") or None)
        self.log.info("Stopped Domino job %s", self.ids["job_id"])
