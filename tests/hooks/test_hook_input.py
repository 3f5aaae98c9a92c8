"""Bad input and bad configuration are refused before any request is sent, with the field named."""

from __future__ import annotations

import pytest

from airflow_provider_domino._client.errors import DominoConfigError, DominoInputError
from airflow_provider_domino.hooks.domino import DominoHook

from .helpers import ANY_URL, KEY, calls

CREATE_KW = {
    "project_id": "p-1",
    "name": "churn",
    "model_file": "model.py",
    "model_function": "predict",
    "environment_id": "env-1",
}


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda h: h.get_model_api(""), "model_api_id"),
        (lambda h: h.get_model_api("   "), "model_api_id"),
        (lambda h: h.get_model_api(None), "model_api_id"),
        (lambda h: h.get_model_api("a/b"), "model_api_id"),
        (lambda h: h.get_model_api(".."), "model_api_id"),
        (lambda h: h.get_model_api("a\\b"), "model_api_id"),
        (lambda h: h.get_model_api("a\nb"), "model_api_id"),
        (lambda h: h.get_model_api(12.5), "model_api_id"),
        (lambda h: h.get_model_api(["ma-1"]), "model_api_id"),
        (lambda h: h.get_model_api(True), "model_api_id"),
        (lambda h: h.get_model_api_version("ma-1", ""), "version_id"),
        (lambda h: h.get_deployment("../etc"), "deployment_id"),
        (lambda h: h.get_registered_model("team/../model"), "model_name"),
        (lambda h: h.get_registered_model_version("my model", None), "version"),
        (lambda h: h.get_async_prediction("ma-1", ".."), "prediction_id"),
        (lambda h: h.get_job(""), "job_id"),
        (lambda h: h.stop_job("", "p-1"), "job_id"),
        (lambda h: h.stop_job("j-1", ""), "project_id"),
        (lambda h: h.list_jobs(""), "project_id"),
        (lambda h: list(h.iter_jobs(None)), "project_id"),
        (lambda h: h.list_model_apis(limit=0), "limit"),
        (lambda h: h.list_model_apis(limit=-1), "limit"),
        (lambda h: h.list_deployments(offset=-1), "offset"),
        (lambda h: h.list_registered_models(limit="10"), "limit"),
        (lambda h: h.get_instance_logs("ma-1", "v-1", tail=0), "tail"),
        (lambda h: h.predict("ma-1", data={"x": 1}, parameters=[1]), "data"),
        (lambda h: h.predict("ma-1"), "data"),
        (lambda h: h.predict("ma-1", data=[1, 2]), "data"),
        (lambda h: h.predict("ma-1", parameters="1,2"), "parameters"),
        (lambda h: h.predict(data={"x": 1}), "model_api_id"),
        (lambda h: h.predict(url="ftp://models.example.com/x", data={"x": 1}), "model_url"),
        (lambda h: h.predict("ma-1", data={"x": float("nan")}), "data"),
        (lambda h: h.submit_async_prediction("ma-1", {"blob": "x" * 11 * 1024}), "parameters"),
        (lambda h: h.submit_async_prediction("ma-1", None), "parameters"),
        (lambda h: h.submit_async_prediction("ma-1", "text"), "parameters"),
        (lambda h: h.get_job_logs("j-1", log_type="everything"), "log_type"),
        (lambda h: h.update_model_api("ma-1", colour="blue"), "colour"),
        (lambda h: h.update_model_api("ma-1"), "changes"),
        (lambda h: h.update_model_api("ma-1", replicas=0), "replicas"),
        (lambda h: h.update_model_api("", replicas=2), "model_api_id"),
        (lambda h: h.update_deployment("d-1", {}), "changes"),
        (lambda h: h.update_registered_model("my model", None), "changes"),
        (lambda h: h.create_model_api(**{**CREATE_KW, "name": ""}), "name"),
        (lambda h: h.create_model_api(**{**CREATE_KW, "replicas": 0}), "replicas"),
        (lambda h: h.create_model_api(**{**CREATE_KW, "environment_variables": ["A=1"]}), "environment_variables"),
        (lambda h: h.create_model_api_version("ma-1", model_file="", model_function="predict"), "model_file"),
        (lambda h: h.create_model_api_version("a/b", model_file="m.py", model_function="predict"), "model_api_id"),
        (lambda h: h.create_deployment(name="dep"), "model_version_id"),
        (lambda h: h.register_model(name="m", experiment_run_id=""), "experiment_run_id"),
        (lambda h: h.create_registered_model_version("m", experiment_run_id=None), "experiment_run_id"),
        (lambda h: h.start_job(project_id="p-1", command=""), "command"),
        (lambda h: h.find_model_apis("p-1", ""), "name"),
    ],
)
def test_bad_input_is_refused_before_any_request(hook, mocked, call, field) -> None:
    with pytest.raises(DominoInputError) as caught:
        call(hook)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}:")
    assert len(mocked.calls) == 0


def test_async_body_at_the_limit_is_sent_and_one_byte_over_is_refused(hook, mocked) -> None:
    mocked.post(ANY_URL, json={"asyncPredictionId": "pr-1"})
    overhead = len('{"parameters": {"b": ""}}')
    hook.submit_async_prediction("ma-1", {"b": "x" * (10 * 1024 - overhead)})
    with pytest.raises(DominoInputError, match="10240-byte limit"):
        hook.submit_async_prediction("ma-1", {"b": "x" * (10 * 1024 - overhead + 1)})
    assert len(mocked.calls) == 1


def test_a_hook_needs_a_connection_id() -> None:
    with pytest.raises(DominoConfigError, match="domino_conn_id"):
        DominoHook("")


# --- configuration ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"host": None}, "host", "empty"),
        ({"host": "ftp://domino.example.com"}, "host", "ftp"),
        ({"host": "https://"}, "host", "no host name"),
        ({"host": "domino example.com"}, "host", "whitespace"),
        ({"extra": "{not json"}, "extra", "not valid JSON"),
        ({"extra": "[1, 2]"}, "extra", "JSON object"),
        ({"extra": {"auth_type": "kerberos"}}, "auth_type", "kerberos"),
        ({"extra": {"timeout": -5}}, "timeout", "positive"),
        ({"extra": {"timeout": 0}}, "timeout", "positive"),
        ({"extra": {"connect_timeout": "soon"}}, "connect_timeout", "number"),
        ({"extra": {"max_retries": -1}}, "max_retries", ">= 0"),
        ({"extra": {"max_retries": 2.5}}, "max_retries", "whole number"),
        ({"extra": {"verify": "/no/such/ca-bundle.pem"}}, "verify", "does not exist"),
        ({"extra": {"verify": 3}}, "verify", "CA bundle path"),
        ({"password": None, "extra": {}}, "password", "no API key"),
    ],
)
def test_bad_connections_are_refused_naming_the_field(make_hook, mocked, fields, field, text) -> None:
    hook = make_hook("bad_conn", **fields)
    with pytest.raises(DominoConfigError) as caught:
        hook.get_model_api("ma-1")
    assert caught.value.field == field
    assert text in str(caught.value)
    assert len(mocked.calls) == 0


def test_an_unreadable_token_file_is_refused_before_any_request(make_hook, mocked, tmp_path) -> None:
    hook = make_hook(password=None, extra={"token_file": str(tmp_path / "missing-token")})
    with pytest.raises(DominoConfigError) as caught:
        hook.get_model_api("ma-1")
    assert caught.value.field == "token_file"
    assert "missing-token" in str(caught.value)
    assert len(mocked.calls) == 0


def test_an_empty_token_file_is_refused_before_any_request(make_hook, mocked, tmp_path) -> None:
    token = tmp_path / "token"
    token.write_text("\n")
    hook = make_hook(password=None, extra={"token_file": str(token)})
    with pytest.raises(DominoConfigError, match="empty"):
        hook.get_model_api("ma-1")
    assert len(mocked.calls) == 0


@pytest.mark.parametrize(("value", "expected"), [("false", False), ("true", True), (False, False)])
def test_verify_accepts_booleans_and_their_spellings(make_hook, value, expected) -> None:
    assert make_hook(extra={"verify": value}).settings.verify is expected


def test_verify_accepts_an_existing_ca_bundle_path(make_hook, tmp_path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert make_hook(extra={"verify": str(bundle)}).settings.verify == str(bundle)


def test_extras_set_timeouts_and_retries(make_hook) -> None:
    settings = make_hook(
        extra={"timeout": "30", "connect_timeout": 3, "max_retries": 1, "retry_backoff": 0.5, "retry_after_cap": 9}
    ).settings
    assert (settings.read_timeout, settings.connect_timeout) == (30.0, 3.0)
    assert (settings.max_retries, settings.retry_backoff, settings.retry_after_cap) == (1, 0.5, 9.0)


def test_timeouts_are_bounded_by_default(make_hook, mocked, monkeypatch) -> None:
    hook = make_hook(extra={})
    seen = {}
    original = hook.get_conn().request

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(hook.get_conn(), "request", spy)
    mocked.get(ANY_URL, json={})
    hook.get_model_api("ma-1")
    assert seen["timeout"] == (10.0, 60.0)
    assert seen["verify"] is True
    assert seen["allow_redirects"] is False


# --- without a connection: the variables Domino sets inside its runs --------------------------------------


def test_a_missing_connection_without_domino_api_host_names_the_connection(waits, mocked) -> None:
    with pytest.raises(DominoConfigError) as caught:
        DominoHook("nowhere_conn").get_model_api("ma-1")
    assert "'nowhere_conn'" in str(caught.value)
    assert "DOMINO_API_HOST" in str(caught.value)
    assert len(mocked.calls) == 0


def test_domino_api_host_with_user_api_key_is_used_without_a_connection(monkeypatch, waits, mocked) -> None:
    monkeypatch.setenv("DOMINO_API_HOST", "http://nucleus-frontend.domino-platform:80")
    monkeypatch.setenv("DOMINO_USER_API_KEY", KEY)
    mocked.get(ANY_URL, json={"id": "ma-1"})
    assert DominoHook().get_model_api("ma-1") == {"id": "ma-1"}
    (call,) = calls(mocked)
    assert call.url.startswith("http://nucleus-frontend.domino-platform:80/api/modelServing/v1/modelApis/ma-1")
    assert call.headers["x-domino-api-key"] == KEY


def test_domino_token_file_is_used_without_a_connection(monkeypatch, waits, mocked, tmp_path) -> None:
    token = tmp_path / "token"
    token.write_text("RUN-TOKEN-1\n")
    monkeypatch.setenv("DOMINO_API_HOST", "domino.example.com")
    monkeypatch.setenv("DOMINO_TOKEN_FILE", str(token))
    monkeypatch.setenv("DOMINO_USER_API_KEY", KEY)  # the token file wins
    mocked.get(ANY_URL, json={})
    hook = DominoHook()
    hook.get_model_api("ma-1")
    token.write_text("RUN-TOKEN-2\n")
    hook.get_model_api("ma-1")
    assert [c.headers["authorization"] for c in calls(mocked)] == ["Bearer RUN-TOKEN-1", "Bearer RUN-TOKEN-2"]
    assert calls(mocked)[0].url.startswith("https://domino.example.com/")


def test_domino_api_host_without_a_credential_is_refused(monkeypatch, waits, mocked) -> None:
    monkeypatch.setenv("DOMINO_API_HOST", "domino.example.com")
    with pytest.raises(DominoConfigError, match="DOMINO_USER_API_KEY"):
        DominoHook().get_model_api("ma-1")
    assert len(mocked.calls) == 0


def test_a_connection_wins_over_the_domino_environment(make_hook, monkeypatch, mocked) -> None:
    monkeypatch.setenv("DOMINO_API_HOST", "other.example.com")
    monkeypatch.setenv("DOMINO_USER_API_KEY", "ENV-KEY-1")
    hook = make_hook()
    mocked.get(ANY_URL, json={})
    hook.get_model_api("ma-1")
    assert calls(mocked)[0].url.startswith("https://domino.example.com/")
    assert calls(mocked)[0].headers["x-domino-api-key"] == KEY
