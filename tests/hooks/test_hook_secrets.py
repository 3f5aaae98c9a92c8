"""Secrets: no API key, bearer token or model access token in any log line, exception text or repr; and the
hook hands them to Airflow's secret masker."""

from __future__ import annotations

import logging

import pytest
import requests
import responses
from urllib3.exceptions import ProtocolError

from airflow_provider_domino._client import wire
from airflow_provider_domino._client.errors import DominoError
from airflow_provider_domino.hooks import domino as domino_module

from .helpers import ANY_URL, KEY, MTOK

TFTOK = "TFTOK-5e2d7a"


def _run_failing_calls(hook, mocked) -> list[BaseException]:
    """A run of retried and failing calls whose error bodies echo the secrets back."""
    echo = f"bad credential {KEY} / {MTOK} / {TFTOK}"
    reset = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, echo)))
    mocked.get(ANY_URL, json={"errors": [echo]}, status=503, headers={"Retry-After": "1"})
    mocked.get(ANY_URL, body=reset)
    mocked.get(ANY_URL, json={"error": echo}, status=401)
    mocked.post("https://domino.example.com/api/modelServing/v1/modelApis", body=requests.ReadTimeout(echo))
    mocked.post(ANY_URL, body=f"<html><title>{echo}</title></html>", status=500, content_type="text/html")
    errors: list[BaseException] = []
    calls = [
        lambda: hook.get_model_api("ma-1"),
        lambda: hook.get_model_api("ma-1"),
        lambda: hook.create_model_api(
            project_id="p", name="n", model_file="m.py", model_function="f", environment_id="e"
        ),
        lambda: hook.predict("ma-1", data={"x": 1}),
        lambda: hook.submit_async_prediction("ma-1", {"x": 1}, access_token="ARG-SECRET-42"),
        lambda: hook.test_connection(),
    ]
    for call in calls:
        try:
            result = call()
        except DominoError as exc:
            errors.append(exc)
        else:
            errors.append(Exception(str(result)))
    return errors


@pytest.mark.parametrize("kind", ["api_key", "bearer", "token_file"])
def test_no_secret_reaches_logs_exceptions_or_reprs(make_hook, mocked, caplog, capsys, tmp_path, kind) -> None:
    extra = {"model_access_token": MTOK, "max_retries": 2, "retry_backoff": 0.01, "auth_type": "api_key"}
    password, secrets = KEY, [KEY, MTOK, "ARG-SECRET-42"]
    if kind == "bearer":
        extra["auth_type"] = "bearer"
    if kind == "token_file":
        token = tmp_path / "token"
        token.write_text(TFTOK + "\n")
        extra["token_file"] = str(token)
        password, secrets = None, [TFTOK, MTOK, "ARG-SECRET-42"]
    hook = make_hook(password=password, extra=extra)
    with caplog.at_level(logging.DEBUG):
        errors = _run_failing_calls(hook, mocked)
    assert len(mocked.calls) >= 6  # the calls really were made, and retried
    texts = [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [str(getattr(e, "domino_message", "")) for e in errors]
    texts += [repr(hook.settings), repr(hook.settings.auth), str(hook.settings)]
    texts += [repr(wire.build(hook.settings, "predict", {"model_api_id": "m"}, model_token="ARG-SECRET-42"))]
    texts += [r.getMessage() for r in caplog.records] + [caplog.text]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]
    assert any("retrying" in t for t in texts), "the retried calls logged nothing"
    for secret in secrets:
        leaks = [t for t in texts if secret in t]
        assert not leaks, f"{secret} leaked: {leaks[:2]}"


def test_the_hook_registers_its_secrets_with_airflows_masker(make_hook, monkeypatch) -> None:
    masked: list[str] = []
    monkeypatch.setattr(domino_module, "_MASKED", set())
    monkeypatch.setattr("airflow.providers.common.compat.sdk.mask_secret", masked.append)
    hook = make_hook()
    hook.settings  # noqa: B018 - loading the connection registers its secrets
    assert KEY in masked
    assert MTOK in masked


def test_a_token_read_from_a_file_is_masked_when_read(make_hook, mocked, monkeypatch, tmp_path) -> None:
    masked: list[str] = []
    monkeypatch.setattr(domino_module, "_MASKED", set())
    monkeypatch.setattr("airflow.providers.common.compat.sdk.mask_secret", masked.append)
    token = tmp_path / "token"
    token.write_text("FILE-TOKEN-111\n")
    hook = make_hook(password=None, extra={"token_file": str(token)})
    mocked.get(ANY_URL, json={})
    hook.get_model_api("ma-1")
    token.write_text("FILE-TOKEN-222\n")  # Domino refreshed it
    hook.get_model_api("ma-1")
    assert "FILE-TOKEN-111" in masked
    assert "FILE-TOKEN-222" in masked
    assert masked.count("FILE-TOKEN-222") == 1  # once per value, not once per request


def test_airflows_real_masker_redacts_the_connection_secrets(make_hook) -> None:
    try:
        from airflow.sdk._shared import secrets_masker as masker
    except ImportError:  # Airflow 2.11
        from airflow.utils.log import secrets_masker as masker  # type: ignore[no-redef]
    hook = make_hook("masked_conn", password="KEY-real-mask-77", extra={"model_access_token": "MTOK-real-mask-88"})
    hook.settings  # noqa: B018
    assert masker.redact("key KEY-real-mask-77 token MTOK-real-mask-88") == "key *** token ***"


@responses.activate
def test_an_error_body_echoing_the_basic_credential_is_scrubbed(make_hook) -> None:
    hook = make_hook("echo_conn", extra={"model_access_token": MTOK, "max_retries": 0})
    responses.post(ANY_URL, json={"error": f"rejected token {MTOK}"}, status=403)
    with pytest.raises(DominoError) as caught:
        hook.predict("ma-1", data={"x": 1})
    assert MTOK not in str(caught.value)
    assert "***" in str(caught.value)
