"""Triggers read statuses through the one status module: by default they end on every status it calls a
success, and on every status it calls a failure, whatever the case (``fetch`` is stubbed; no server)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from airflow_provider_domino._client import statuses
from airflow_provider_domino.triggers import (
    AsyncPredictionTrigger,
    DeploymentTrigger,
    JobTrigger,
    ModelApiVersionTrigger,
)

IDS = {
    ModelApiVersionTrigger: {"model_api_id": "api-1", "version_id": "ver-1"},
    DeploymentTrigger: {"deployment_id": "dep-1"},
    AsyncPredictionTrigger: {"model_api_id": "api-1", "prediction_id": "pred-1"},
    JobTrigger: {"job_id": "job-1", "project_id": "churn"},
}

CASES = [
    (cls, status, outcome)
    for cls in IDS
    for outcome in ("success", "failure")
    for status in sorted(getattr(statuses.vocabulary(cls.kind), outcome))
]


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch) -> None:
    # The hook opens its client on this connection; the stubbed fetch sends nothing.
    conn = {"conn_type": "domino", "host": "http://127.0.0.1:9", "password": "KEY-unused-7a1c"}
    monkeypatch.setenv("AIRFLOW_CONN_DOMINO_DEFAULT", json.dumps(conn))


@pytest.mark.parametrize(("cls", "status", "outcome"), CASES, ids=[f"{c.__name__}-{s}" for c, s, _ in CASES])
def test_by_default_a_trigger_ends_on_every_status_the_status_module_names(
    connection, monkeypatch, cls, status, outcome
):
    async def fetch(self: Any, hook: Any) -> tuple[str, dict[str, Any]]:
        return status.upper(), {}

    monkeypatch.setattr(cls, "fetch", fetch)

    async def main() -> list[dict[str, Any]]:
        return [event.payload async for event in cls(poll_interval=0.01, **IDS[cls]).run()]

    (event,) = asyncio.run(asyncio.wait_for(main(), 5))
    assert (event["status"], event["domino_status"]) == (outcome, status.upper())
