"""DominoAsyncHook: the same endpoint methods, credentials, retry decisions and errors as the sync hook, over
``httpx`` (mocked with respx), with the connection from an ``AIRFLOW_CONN_...`` variable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_domino._client.errors import (
    DominoAuthError,
    DominoConfigError,
    DominoConnectionError,
    DominoInputError,
    DominoNotFoundError,
    DominoOutcomeUnknownError,
    DominoServerError,
    DominoValidationError,
)
from airflow_provider_domino.hooks.domino import DominoAsyncHook

from .cases import CASES, MA, Case
from .helpers import KEY, MTOK, calls
from .test_hook_requests import check_sent

CREATE_KW = {
    "project_id": "p-1",
    "name": "churn",
    "model_file": "model.py",
    "model_function": "predict",
    "environment_id": "env-1",
}


def run(conn_id: str, work: Callable[[DominoAsyncHook], Awaitable[Any]]) -> Any:
    """Open the async hook on ``conn_id``, run ``work`` with it, close it."""

    async def main() -> Any:
        async with DominoAsyncHook(conn_id) as hook:
            return await work(hook)

    return asyncio.run(main())


@pytest.fixture
def conn(set_connection, waits) -> str:
    return set_connection()


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def _reply(case: Case) -> httpx.Response:
    if isinstance(case.reply, str):
        return httpx.Response(case.status, text=case.reply)
    if case.reply is None:
        return httpx.Response(case.status)
    return httpx.Response(case.status, json=case.reply)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_async_endpoint_method_sends_the_same_request_as_the_sync_one(conn, router, case: Case) -> None:
    router.route().mock(return_value=_reply(case))
    result = run(conn, lambda h: case.call(h))
    check_sent(calls(router), case)
    assert result == case.expected


def test_async_hook_closes_its_client_on_exit(conn, router) -> None:
    router.route().mock(return_value=httpx.Response(200, json={}))
    seen = {}

    async def main() -> None:
        async with DominoAsyncHook(conn) as hook:
            seen["client"] = hook._transport.client
            await hook.get_model_api("ma-1")
        seen["after"] = hook._transport

    asyncio.run(main())
    assert seen["client"].is_closed
    assert seen["after"] is None


def test_async_hook_outside_async_with_is_refused() -> None:
    hook = DominoAsyncHook()
    with pytest.raises(RuntimeError, match="async with"):
        hook.settings  # noqa: B018
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(hook._send(None))


def test_async_bearer_and_token_file_credentials(set_connection, waits, router, tmp_path) -> None:
    router.route().mock(return_value=httpx.Response(200, json={}))
    conn = set_connection("bearer_conn", extra={"auth_type": "bearer"})
    run(conn, lambda h: h.get_model_api("ma-1"))
    token = tmp_path / "token"
    token.write_text("ASYNC-TOKEN-1\n")
    conn = set_connection("file_conn", password=None, extra={"token_file": str(token)})

    async def twice(hook: DominoAsyncHook) -> None:
        await hook.get_model_api("ma-1")
        token.write_text("ASYNC-TOKEN-2\n")
        await hook.get_model_api("ma-1")

    run(conn, twice)
    headers = [c.headers for c in calls(router)]
    assert headers[0]["authorization"] == f"Bearer {KEY}" and "x-domino-api-key" not in headers[0]
    assert [h["authorization"] for h in headers[1:]] == ["Bearer ASYNC-TOKEN-1", "Bearer ASYNC-TOKEN-2"]


def test_the_token_file_is_read_off_the_event_loop_and_its_token_masked(
    set_connection, waits, router, tmp_path, monkeypatch
) -> None:
    from airflow_provider_domino._client import config
    from airflow_provider_domino.hooks import domino as hook_module

    echo = {"message": "no Model API ma-2 for caller OFF-LOOP-TOKEN-7d2"}  # a server echoing the credential
    router.route(path__regex=r".*/ma-2$").mock(return_value=httpx.Response(404, json=echo))
    router.route().mock(return_value=httpx.Response(200, json={}))
    token = tmp_path / "token"
    token.write_text("OFF-LOOP-TOKEN-7d2\n")
    conn = set_connection("file_conn_threads", password=None, extra={"token_file": str(token)})
    reads: list[bool] = []  # for each read of the file: was it on the event loop's thread?
    real_read = config.read_token_file

    def recording_read(path: str) -> str:
        try:
            asyncio.get_running_loop()
            reads.append(True)
        except RuntimeError:
            reads.append(False)
        return real_read(path)

    monkeypatch.setattr(config, "read_token_file", recording_read)
    masked: list[str] = []
    monkeypatch.setattr(hook_module, "_mask_from_event_loop", masked.append)

    run(conn, lambda h: h.get_model_api("ma-1"))
    with pytest.raises(DominoNotFoundError) as missing:
        run(conn, lambda h: h.get_model_api("ma-2"))

    assert [c.headers["authorization"] for c in calls(router)] == ["Bearer OFF-LOOP-TOKEN-7d2"] * 2
    assert "OFF-LOOP-TOKEN-7d2" not in str(missing.value) and "ma-2" in str(missing.value)
    assert len(reads) >= 2 and not any(reads), f"the token file was read on the event loop: {reads}"
    assert "OFF-LOOP-TOKEN-7d2" in masked, "the token read in the thread was still handed to the masker"


def test_async_hook_without_connection_names_it(waits, router) -> None:
    with pytest.raises(DominoConfigError, match="'no_such_async_conn'"):
        run("no_such_async_conn", lambda h: h.get_model_api("ma-1"))
    assert not router.calls


def test_async_hook_uses_the_domino_environment_without_a_connection(monkeypatch, waits, router) -> None:
    monkeypatch.setenv("DOMINO_API_HOST", "http://127.0.0.1:8899")
    monkeypatch.setenv("DOMINO_USER_API_KEY", KEY)
    router.route().mock(return_value=httpx.Response(200, json={"id": "ma-1"}))
    assert run("domino_default", lambda h: h.get_model_api("ma-1")) == {"id": "ma-1"}
    (call,) = calls(router)
    assert call.url == f"http://127.0.0.1:8899{MA}/ma-1"
    assert call.headers["x-domino-api-key"] == KEY


def test_async_bad_input_is_refused_before_any_request(conn, router) -> None:
    for work in (
        lambda h: h.get_model_api("a/b"),
        lambda h: h.list_model_apis(limit=0),
        lambda h: h.submit_async_prediction("ma-1", {"blob": "x" * 11 * 1024}),
        lambda h: h.predict("ma-1"),
    ):
        with pytest.raises(DominoInputError):
            run(conn, work)
    assert not router.calls


# --- retries: the same decisions as the sync transport -------------------------------------------------


def test_async_429_waits_for_retry_after_and_succeeds(conn, router, waits) -> None:
    router.route().mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(200, json={"id": "ma-1"})]
    )
    assert run(conn, lambda h: h.get_model_api("ma-1")) == {"id": "ma-1"}
    assert len(router.calls) == 2
    assert waits == [4.0]


def test_async_503_then_200_is_retried(conn, router) -> None:
    router.route().mock(side_effect=[httpx.Response(503), httpx.Response(200, json={"id": "ma-1"})])
    assert run(conn, lambda h: h.get_model_api("ma-1")) == {"id": "ma-1"}
    assert len(router.calls) == 2


@pytest.mark.parametrize("lost", [httpx.ReadError("reset by peer"), httpx.RemoteProtocolError("closed")])
def test_async_reset_on_get_is_retried(conn, router, lost) -> None:
    router.route().mock(side_effect=[lost, httpx.Response(200, json={"id": "ma-1"})])
    assert run(conn, lambda h: h.get_model_api("ma-1")) == {"id": "ma-1"}
    assert len(router.calls) == 2


def test_async_lost_create_is_not_repeated_and_its_outcome_is_unknown(conn, router, waits) -> None:
    router.route().mock(side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(201, json={"id": "x"})])
    with pytest.raises(DominoOutcomeUnknownError):
        run(conn, lambda h: h.create_model_api(**CREATE_KW))
    assert len(router.calls) == 1
    assert waits == []


def test_async_create_answered_502_is_not_repeated(conn, router) -> None:
    router.route().mock(return_value=httpx.Response(502, text="<html><title>Bad Gateway</title></html>"))
    with pytest.raises(DominoOutcomeUnknownError) as caught:
        run(conn, lambda h: h.submit_async_prediction("ma-1", {"x": 1}))
    assert len(router.calls) == 1
    assert "HTML" in str(caught.value)


def test_async_refused_create_is_retried(conn, router) -> None:
    router.route().mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(201, json={"id": "ma-1"})])
    assert run(conn, lambda h: h.create_model_api(**CREATE_KW)) == {"id": "ma-1"}
    assert len(router.calls) == 2


def test_async_refused_by_a_real_closed_port_raises_after_every_attempt(set_connection, free_port, waits) -> None:
    conn = set_connection("closed_port", host=f"http://127.0.0.1:{free_port}", extra={"max_retries": 1})
    with pytest.raises(DominoConnectionError, match="Could not connect"):
        run(conn, lambda h: h.get_model_api("ma-1"))
    assert len(waits) == 1


def test_async_client_errors_are_not_retried_and_500_on_post_is_not_either(conn, router) -> None:
    router.get().mock(return_value=httpx.Response(400, json={"errors": ["bad"]}))
    router.post().mock(return_value=httpx.Response(500, json={"error": "boom"}))
    with pytest.raises(DominoValidationError):
        run(conn, lambda h: h.get_model_api("ma-1"))
    with pytest.raises(DominoServerError):
        run(conn, lambda h: h.predict("ma-1", data={"x": 1}))
    assert len(router.calls) == 2


def test_async_attempts_are_capped(conn, router, waits) -> None:
    router.route().mock(return_value=httpx.Response(503))
    with pytest.raises(DominoServerError):
        run(conn, lambda h: h.get_model_api("ma-1"))
    assert len(router.calls) == 4
    assert len(waits) == 3


def test_async_auth_error_names_the_connection_and_not_the_key(conn, router) -> None:
    router.route().mock(return_value=httpx.Response(401, json={"errors": [f"bad key {KEY}"], "requestId": "r-7"}))
    with pytest.raises(DominoAuthError) as caught:
        run(conn, lambda h: h.get_model_api("ma-1"))
    assert "'domino_default'" in str(caught.value)
    assert KEY not in str(caught.value)
    assert caught.value.request_id == "r-7"


def test_async_model_calls_carry_only_the_model_token(conn, router) -> None:
    router.route().mock(return_value=httpx.Response(200, json={"asyncPredictionId": "pr-1"}))
    run(conn, lambda h: h.submit_async_prediction("ma-1", {"x": 1}))
    headers = calls(router)[0].headers
    assert headers["authorization"] == f"Bearer {MTOK}"
    assert KEY not in str(headers)
