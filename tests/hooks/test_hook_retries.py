"""The sync transport's retry decisions: what is retried, how long it waits, and what is never repeated."""

from __future__ import annotations

import email.utils
import logging
import time

import pytest
import requests
from urllib3.exceptions import NewConnectionError, ProtocolError

from airflow_provider_domino._client.errors import (
    DominoApiError,
    DominoAuthError,
    DominoConflictError,
    DominoConnectionError,
    DominoNotFoundError,
    DominoOutcomeUnknownError,
    DominoRateLimitError,
    DominoServerError,
    DominoValidationError,
)

from .cases import MA, MD
from .helpers import ANY_URL, BASE, calls

CREATE_KW = {
    "project_id": "p-1",
    "name": "churn",
    "model_file": "model.py",
    "model_function": "predict",
    "environment_id": "env-1",
}


def reset() -> requests.ConnectionError:
    return requests.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    )


def refused() -> requests.ConnectionError:
    return requests.ConnectionError(NewConnectionError(None, "Failed to establish a new connection: refused"))


# --- 429 and 503 ---------------------------------------------------------------------------------------


def test_429_with_retry_after_seconds_waits_that_long_and_succeeds(hook, mocked, waits) -> None:
    mocked.get(ANY_URL, json={"errors": ["slow down"]}, status=429, headers={"Retry-After": "7"})
    mocked.get(ANY_URL, json={"id": "ma-1"})
    assert hook.get_model_api("ma-1") == {"id": "ma-1"}
    assert waits == [7.0]
    assert len(mocked.calls) == 2


def test_429_with_retry_after_http_date_waits_until_then(hook, mocked, waits) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    mocked.get(ANY_URL, status=429, headers={"Retry-After": when})
    mocked.get(ANY_URL, json={"id": "ma-1"})
    assert hook.get_model_api("ma-1") == {"id": "ma-1"}
    assert len(waits) == 1
    assert 25 <= waits[0] <= 31


def test_retry_after_is_capped_by_extra_retry_after_cap(make_hook, mocked, waits) -> None:
    hook = make_hook(extra={"retry_after_cap": 5, "retry_backoff": 0.01})
    mocked.get(ANY_URL, status=429, headers={"Retry-After": "3600"})
    mocked.get(ANY_URL, json={"id": "ma-1"})
    hook.get_model_api("ma-1")
    assert waits == [5.0]


def test_429_on_a_create_is_retried_because_the_server_refused_it(hook, mocked, waits) -> None:
    mocked.post(ANY_URL, status=429, headers={"Retry-After": "1"})
    mocked.post(ANY_URL, json={"id": "ma-1"}, status=201)
    assert hook.create_model_api(**CREATE_KW) == {"id": "ma-1"}
    assert len(mocked.calls) == 2
    assert waits == [1.0]


def test_503_then_200_is_retried_with_backoff(hook, mocked, waits) -> None:
    mocked.get(ANY_URL, body="<html><title>503</title></html>", status=503, content_type="text/html")
    mocked.get(ANY_URL, json={"id": "ma-1"})
    assert hook.get_model_api("ma-1") == {"id": "ma-1"}
    assert len(mocked.calls) == 2
    # retry_backoff 0.01, jittered between half and all of it
    assert len(waits) == 1 and 0.005 <= waits[0] <= 0.01


def test_503_on_a_create_is_retried(hook, mocked) -> None:
    mocked.post(ANY_URL, status=503)
    mocked.post(ANY_URL, json={"id": "ma-1"}, status=201)
    assert hook.create_model_api(**CREATE_KW) == {"id": "ma-1"}
    assert len(mocked.calls) == 2


def test_backoff_grows_exponentially_without_retry_after(make_hook, mocked, waits) -> None:
    hook = make_hook(extra={"max_retries": 3, "retry_backoff": 1})
    mocked.get(ANY_URL, status=503)
    with pytest.raises(DominoServerError):
        hook.get_model_api("ma-1")
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        assert 0.5 * 2**attempt <= wait <= 2**attempt


# --- lost answers --------------------------------------------------------------------------------------


def test_connection_reset_on_get_is_retried(hook, mocked) -> None:
    mocked.get(ANY_URL, body=reset())
    mocked.get(ANY_URL, json={"id": "ma-1"})
    assert hook.get_model_api("ma-1") == {"id": "ma-1"}
    assert len(mocked.calls) == 2


def test_read_timeout_on_get_is_retried(hook, mocked) -> None:
    mocked.get(ANY_URL, body=requests.ReadTimeout("read timed out"))
    mocked.get(ANY_URL, json={"id": "ma-1"})
    assert hook.get_model_api("ma-1") == {"id": "ma-1"}


def test_create_after_a_read_timeout_is_not_repeated_and_its_outcome_is_unknown(hook, mocked, waits) -> None:
    mocked.post(ANY_URL, body=requests.ReadTimeout("read timed out"))
    mocked.post(ANY_URL, json={"id": "ma-1"}, status=201)
    with pytest.raises(DominoOutcomeUnknownError) as caught:
        hook.create_model_api(**CREATE_KW)
    assert len(mocked.calls) == 1
    assert waits == []
    assert caught.value.method == "POST" and caught.value.path == MA
    assert "look up what exists" in str(caught.value)


def test_create_after_a_connection_reset_is_not_repeated(hook, mocked) -> None:
    mocked.post(ANY_URL, body=reset())
    with pytest.raises(DominoOutcomeUnknownError):
        hook.start_job(project_id="p-1", command="python train.py")
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_create_answered_by_a_gateway_error_is_not_repeated_and_its_outcome_is_unknown(hook, mocked, status) -> None:
    mocked.post(ANY_URL, body="<html><title>Bad Gateway</title></html>", status=status, content_type="text/html")
    with pytest.raises(DominoOutcomeUnknownError) as caught:
        hook.create_model_api(**CREATE_KW)
    assert len(mocked.calls) == 1
    assert caught.value.status == status
    assert caught.value.retryable is False


def test_refused_connection_on_a_create_is_retried_and_then_succeeds(hook, mocked) -> None:
    mocked.post(ANY_URL, body=refused())
    mocked.post(ANY_URL, json={"id": "ma-1"}, status=201)
    assert hook.create_model_api(**CREATE_KW) == {"id": "ma-1"}
    assert len(mocked.calls) == 2


def test_refused_connection_to_a_real_closed_port_is_retried_until_attempts_run_out(
    make_hook, free_port, waits, caplog
) -> None:
    hook = make_hook(host=f"http://127.0.0.1:{free_port}", extra={"max_retries": 2, "retry_backoff": 0.01})
    with caplog.at_level(logging.WARNING), pytest.raises(DominoConnectionError) as caught:
        hook.create_model_api(**CREATE_KW)
    assert not isinstance(caught.value, DominoOutcomeUnknownError)
    assert "Could not connect" in str(caught.value)
    assert len(waits) == 2  # three attempts, two waits between them
    retried = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert [r.getMessage().split("(")[1].split(")")[0] for r in retried] == ["attempt 1 of 3", "attempt 2 of 3"]


# --- statuses that are, or are not, retried -----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, DominoValidationError),
        (401, DominoAuthError),
        (403, DominoAuthError),
        (404, DominoNotFoundError),
        (409, DominoConflictError),
        (422, DominoValidationError),
    ],
)
def test_client_errors_are_not_retried(hook, mocked, waits, status, error) -> None:
    mocked.get(ANY_URL, json={"error": "no"}, status=status)
    mocked.get(ANY_URL, json={"id": "ma-1"})
    with pytest.raises(error):
        hook.get_model_api("ma-1")
    assert len(mocked.calls) == 1
    assert waits == []


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("GET", lambda h: h.get_model_api("ma-1")),
        ("PUT", lambda h: h.put_model_api("ma-1", {"name": "n"})),
        ("DELETE", lambda h: h.delete_model_api("ma-1")),
    ],
)
def test_500_is_retried_for_idempotent_methods(hook, mocked, method, call) -> None:
    mocked.add(method, ANY_URL, json={"error": "boom"}, status=500)
    mocked.add(method, ANY_URL, json={"id": "ma-1"}, status=200)
    call(hook)
    assert len(mocked.calls) == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda h: h.create_model_api(**CREATE_KW),
        lambda h: h.predict("ma-1", data={"x": 1}),
        lambda h: h.submit_async_prediction("ma-1", {"x": 1}),
    ],
    ids=["create_model_api", "predict", "submit_async_prediction"],
)
def test_500_is_not_retried_for_a_post(hook, mocked, call) -> None:
    mocked.post(ANY_URL, json={"error": "boom"}, status=500)
    with pytest.raises(DominoServerError):
        call(hook)
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors_on_get_are_retried(hook, mocked, status) -> None:
    mocked.get(ANY_URL, status=status)
    mocked.get(ANY_URL, json={"id": "ma-1"})
    assert hook.get_model_api("ma-1") == {"id": "ma-1"}
    assert len(mocked.calls) == 2


@pytest.mark.parametrize("action", ["start", "stop"])
def test_start_and_stop_deployment_are_safe_to_repeat_after_a_502(hook, mocked, action) -> None:
    url = f"{BASE}{MD}/d-1/{action}"
    mocked.post(url, status=502)
    mocked.post(url, status=204)
    getattr(hook, f"{action}_deployment")("d-1")
    assert [c.method for c in calls(mocked)] == ["POST", "POST"]


def test_start_deployment_after_a_reset_is_retried(hook, mocked) -> None:
    mocked.post(ANY_URL, body=reset())
    mocked.post(ANY_URL, status=204)
    hook.start_deployment("d-1")
    assert len(mocked.calls) == 2


# --- attempts are capped ---------------------------------------------------------------------------------


def test_attempts_are_capped_at_max_retries_plus_one(hook, mocked, waits) -> None:
    mocked.get(ANY_URL, json={"error": "busy"}, status=503)
    with pytest.raises(DominoServerError) as caught:
        hook.get_model_api("ma-1")
    assert len(mocked.calls) == 4  # max_retries 3
    assert len(waits) == 3
    assert caught.value.status == 503


def test_max_retries_zero_makes_one_attempt(make_hook, mocked, waits) -> None:
    hook = make_hook(extra={"max_retries": 0})
    mocked.get(ANY_URL, status=429, headers={"Retry-After": "1"})
    with pytest.raises(DominoRateLimitError) as caught:
        hook.get_model_api("ma-1")
    assert len(mocked.calls) == 1
    assert waits == []
    assert caught.value.retry_after == 1.0


def test_exhausted_resets_raise_a_connection_error_naming_the_request(hook, mocked) -> None:
    mocked.get(ANY_URL, body=reset())
    with pytest.raises(DominoConnectionError) as caught:
        hook.get_model_api("ma-1")
    assert len(mocked.calls) == 4
    assert isinstance(caught.value, DominoApiError)
    assert f"GET {MA}/ma-1" in str(caught.value)
