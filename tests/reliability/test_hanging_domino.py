"""A Domino that accepts connections and never answers: every request ends at the configured timeout.

The server is a plain TCP listener on 127.0.0.1 that reads requests and sends nothing back. Each test
is bounded by pytest-timeout, so "no task hangs forever" fails loudly rather than stalling the suite.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import socket
import threading
from collections.abc import Iterator

import pytest

from airflow_provider_domino._client.errors import DominoConnectionError, DominoOutcomeUnknownError
from airflow_provider_domino.hooks.domino import DominoAsyncHook, DominoHook

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(60)]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a server that never answers; it counts the connections it got."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)  # keep it open, read nothing back, answer nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.fixture
def hanging_conn(silent_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    conn = {
        "conn_type": "domino",
        "host": silent_server,
        "password": "KEY-hang-0b9e77",
        "extra": {"timeout": 0.5, "connect_timeout": 0.5, "max_retries": 2, "retry_backoff": 0.01},
    }
    monkeypatch.setenv("AIRFLOW_CONN_DOMINO_HANG", json.dumps(conn))
    return "domino_hang"


def test_a_read_against_a_silent_server_ends_with_a_timeout_after_bounded_retries(hanging_conn: str) -> None:
    hook = DominoHook(hanging_conn)
    with pytest.raises(DominoConnectionError, match="No answer from Domino to GET") as caught:
        hook.get_model_api("ma-1")
    assert "Timeout" in str(caught.value)


def test_a_create_against_a_silent_server_ends_once_as_an_unknown_outcome(hanging_conn: str) -> None:
    hook = DominoHook(hanging_conn)
    with pytest.raises(DominoOutcomeUnknownError, match="may or may not have been applied"):
        hook.create_model_api(
            project_id="p", name="n", model_file="model.py", model_function="predict", environment_id="e"
        )


def test_the_async_hook_ends_at_the_timeout_too(hanging_conn: str) -> None:
    async def poll() -> None:
        async with DominoAsyncHook(hanging_conn) as hook:
            await hook.get_model_api_version("ma-1", "v-1")

    with pytest.raises(DominoConnectionError, match="No answer from Domino"):
        asyncio.run(poll())


def test_a_trigger_against_a_silent_server_fires_an_error_event(hanging_conn: str) -> None:
    from airflow_provider_domino.triggers import ModelApiVersionTrigger

    trigger = ModelApiVersionTrigger(
        domino_conn_id=hanging_conn, poll_interval=0.1, model_api_id="ma-1", version_id="v-1"
    )

    async def first_event() -> dict:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("no event")

    payload = asyncio.run(first_event())
    assert payload["status"] == "error"
    assert "No answer from Domino" in payload["message"]


def test_a_deploy_task_against_a_silent_server_fails_instead_of_hanging(hanging_conn: str, run_dag) -> None:
    from airflow.providers.common.compat.sdk import DAG

    from airflow_provider_domino.operators.model_apis import DeployModelApiOperator

    with DAG("hanging_domino", schedule=None, start_date=datetime.datetime(2026, 1, 1)) as dag:
        DeployModelApiOperator(
            task_id="deploy",
            domino_conn_id=hanging_conn,
            project_id="p",
            name="n",
            model_file="model.py",
            model_function="predict",
            environment_id="e",
            poll_interval=0.1,
            wait_timeout=5,
        )
    dag_run = run_dag(dag)
    (ti,) = dag_run.get_task_instances()
    assert str(getattr(ti.state, "value", ti.state)) == "failed"
