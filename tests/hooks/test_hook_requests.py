"""Every DominoHook method sends exactly the request it should: method, percent-encoded path, query,
headers (the right credential, and only it) and JSON body."""

from __future__ import annotations

import base64
import inspect
import json

import pytest
import responses

from airflow_provider_domino._client.api import DominoApi
from airflow_provider_domino._client.errors import DominoConfigError, DominoInputError
from airflow_provider_domino.hooks.domino import DominoHook

from .cases import CASES, MA, Case
from .helpers import ANY_URL, BASE, KEY, MTOK, calls, contains


def _reply(rsps: responses.RequestsMock, case: Case) -> None:
    if isinstance(case.reply, str):
        rsps.add(case.method, ANY_URL, body=case.reply, status=case.status, content_type="text/plain")
    elif case.reply is None:
        rsps.add(case.method, ANY_URL, body=b"", status=case.status)
    else:
        rsps.add(case.method, ANY_URL, json=case.reply, status=case.status)


def check_sent(seen, case: Case) -> None:
    """One request, carrying exactly what ``case`` says (shared with the async tests)."""
    assert len(seen) == 1, [s.url for s in seen]
    req = seen[0]
    assert req.method == case.method
    assert req.url.split("?")[0] == case.host + case.path
    assert req.query == case.query
    if case.body is None:
        assert req.json is None
    else:
        assert contains(req.json, case.body), req.json
        assert req.headers["content-type"] == "application/json"
    assert req.headers["accept"] == "application/json"
    token = case.token or MTOK
    if case.auth == "platform":
        assert req.headers["x-domino-api-key"] == KEY
        assert "authorization" not in req.headers
    else:
        assert "x-domino-api-key" not in req.headers
        if case.auth == "basic":
            assert req.headers["authorization"] == "Basic " + base64.b64encode(f"{token}:{token}".encode()).decode()
        else:
            assert req.headers["authorization"] == f"Bearer {token}"
        # a model call never carries the platform credential, in any header
        assert not any(KEY in value for value in req.headers.values())


def test_every_endpoint_method_of_the_api_has_a_case() -> None:
    methods = {
        name
        for name, member in inspect.getmembers(DominoApi, inspect.isfunction)
        if not name.startswith("_") and name != "settings"
    }
    assert methods <= {c.name for c in CASES}, methods - {c.name for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_endpoint_method_sends_its_request_and_returns_the_answer(
    hook: DominoHook, mocked: responses.RequestsMock, case: Case
) -> None:
    _reply(mocked, case)
    result = case.call(hook)
    check_sent(calls(mocked), case)
    assert result == case.expected


def test_user_agent_names_provider_airflow_and_python(hook: DominoHook, mocked: responses.RequestsMock) -> None:
    mocked.get(ANY_URL, json={"id": "ma-1"})
    hook.get_model_api("ma-1")
    agent = calls(mocked)[0].headers["user-agent"]
    assert agent.startswith("airflow-provider-domino/")
    assert "apache-airflow/" in agent
    assert "python/" in agent


def test_the_user_agent_reads_package_metadata_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # Reading Airflow's version parses its whole metadata file (milliseconds): a thousand trigger runs, one
    # client each, must not pay it a thousand times.
    from importlib import metadata

    from airflow_provider_domino._client import transport

    reads: list[str] = []
    real_version = metadata.version

    def counting_version(name: str) -> str:
        reads.append(name)
        return real_version(name)

    monkeypatch.setattr(metadata, "version", counting_version)
    transport.user_agent.cache_clear()
    try:
        agents = {transport.user_agent() for _ in range(3)}
    finally:
        transport.user_agent.cache_clear()
    assert len(agents) == 1 and reads == ["apache-airflow"]


def test_one_session_is_reused_for_every_request(hook: DominoHook, mocked: responses.RequestsMock) -> None:
    mocked.get(ANY_URL, json={"id": "ma-1"})
    session = hook.get_conn()
    hook.get_model_api("ma-1")
    hook.get_model_api("ma-1")
    assert hook.get_conn() is session
    assert len(mocked.calls) == 2


# --- credentials ---------------------------------------------------------------------------------------


def test_bearer_auth_type_sends_authorization_bearer_and_no_api_key_header(make_hook, mocked) -> None:
    hook = make_hook(extra={"auth_type": "bearer"})
    mocked.get(ANY_URL, json={})
    hook.get_model_api("ma-1")
    headers = calls(mocked)[0].headers
    assert headers["authorization"] == f"Bearer {KEY}"
    assert "x-domino-api-key" not in headers


def test_auth_type_is_read_case_insensitively(make_hook, mocked) -> None:
    hook = make_hook(extra={"auth_type": " Bearer "})
    mocked.get(ANY_URL, json={})
    hook.get_model_api("ma-1")
    assert calls(mocked)[0].headers["authorization"] == f"Bearer {KEY}"


def test_token_file_is_reread_on_every_request(make_hook, mocked, tmp_path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("TOKEN-ONE\nsecond line ignored\n")
    hook = make_hook(password=None, extra={"token_file": str(token_file)})
    mocked.get(ANY_URL, json={})
    hook.get_model_api("ma-1")
    token_file.write_text("TOKEN-TWO\n")
    hook.get_model_api("ma-1")
    first, second = calls(mocked)
    assert first.headers["authorization"] == "Bearer TOKEN-ONE"
    assert second.headers["authorization"] == "Bearer TOKEN-TWO"
    assert "x-domino-api-key" not in first.headers


def test_token_file_wins_over_password(make_hook, mocked, tmp_path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("FILE-TOKEN\n")
    hook = make_hook(extra={"token_file": str(token_file)})
    mocked.get(ANY_URL, json={})
    hook.get_model_api("ma-1")
    headers = calls(mocked)[0].headers
    assert headers["authorization"] == "Bearer FILE-TOKEN"
    assert "x-domino-api-key" not in headers


@pytest.mark.parametrize(
    "call",
    [
        lambda h: h.predict("ma-1", data={"x": 1}, access_token="OVERRIDE-77"),
        lambda h: h.submit_async_prediction("ma-1", {"x": 1}, access_token="OVERRIDE-77"),
        lambda h: h.get_async_prediction("ma-1", "pr-1", access_token="OVERRIDE-77"),
    ],
    ids=["predict", "submit_async_prediction", "get_async_prediction"],
)
def test_access_token_argument_overrides_the_connection_model_token(hook, mocked, call) -> None:
    mocked.add(responses.POST, ANY_URL, json={"result": 1})
    mocked.add(responses.GET, ANY_URL, json={"status": "queued"})
    call(hook)
    auth = calls(mocked)[0].headers["authorization"]
    assert "OVERRIDE-77" in auth or base64.b64encode(b"OVERRIDE-77:OVERRIDE-77").decode() in auth
    assert MTOK not in auth and KEY not in json.dumps(calls(mocked)[0].headers)


def test_model_calls_without_any_model_token_are_refused_before_sending(make_hook, mocked) -> None:
    hook = make_hook(extra={})
    with pytest.raises(DominoInputError, match="access_token"):
        hook.predict("ma-1", data={"x": 1})
    with pytest.raises(DominoInputError, match="model_access_token"):
        hook.submit_async_prediction("ma-1", {"x": 1})
    assert len(mocked.calls) == 0


def test_bearer_platform_token_is_not_sent_to_model_calls(make_hook, mocked) -> None:
    hook = make_hook(extra={"auth_type": "bearer", "model_access_token": MTOK})
    mocked.post(ANY_URL, json={"result": 1})
    hook.predict("ma-1", data={"x": 1})
    assert KEY not in json.dumps(calls(mocked)[0].headers)


# --- host forms ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "base"),
    [
        ("domino.example.com", None, "https://domino.example.com"),
        ("http://127.0.0.1:8899", None, "http://127.0.0.1:8899"),
        ("https://domino.example.com/", None, "https://domino.example.com"),
        ("domino.example.com", 8443, "https://domino.example.com:8443"),
        ("https://domino.example.com:9000", 8443, "https://domino.example.com:9000"),
    ],
)
def test_host_forms_give_the_base_url_requests_go_to(make_hook, mocked, host, port, base) -> None:
    hook = make_hook(host=host, port=port)
    assert hook.base_url == base
    mocked.get(ANY_URL, json={})
    hook.get_model_api("ma-1")
    assert calls(mocked)[0].url == f"{base}{MA}/ma-1"


def test_ui_url_defaults_to_the_api_host_and_follows_extra_ui_url(make_hook) -> None:
    assert make_hook().ui_url == BASE
    assert make_hook("with_ui", extra={"ui_url": "ui.example.com/"}).ui_url == "https://ui.example.com"


# --- calls made of several requests --------------------------------------------------------------------


def test_update_model_api_reads_merges_and_puts_the_full_body(hook, mocked) -> None:
    current = {
        "id": "ma-1",
        "name": "churn",
        "description": "old",
        "environmentId": "env-1",
        "replicas": 2,
        "hardwareTierId": "small",
        "status": "Running",
    }
    mocked.get(f"{BASE}{MA}/ma-1", json=current)
    mocked.put(f"{BASE}{MA}/ma-1", json={**current, "replicas": 4})
    result = hook.update_model_api("ma-1", replicas=4, description="new")
    get, put = calls(mocked)
    assert (get.method, put.method) == ("GET", "PUT")
    assert put.json == {
        "name": "churn",
        "description": "new",
        "environmentId": "env-1",
        "replicas": 4,
        "hardwareTierId": "small",
    }
    assert result["replicas"] == 4


def test_update_model_api_fills_required_fields_the_current_one_lacks(hook, mocked) -> None:
    mocked.get(f"{BASE}{MA}/ma-1", json={"id": "ma-1", "name": "churn", "environmentId": "env-1"})
    mocked.put(f"{BASE}{MA}/ma-1", json={})
    hook.update_model_api("ma-1", hardware_tier_id="large")
    assert calls(mocked)[1].json == {
        "name": "churn",
        "environmentId": "env-1",
        "description": "",
        "replicas": 1,
        "hardwareTierId": "large",
    }


def test_create_model_api_version_looks_up_the_project_of_the_model_api(hook, mocked) -> None:
    mocked.get(f"{BASE}{MA}/ma-1", json={"id": "ma-1", "projectId": "p-9"})
    mocked.post(f"{BASE}{MA}/ma-1/versions", json={"id": "v-2"}, status=201)
    result = hook.create_model_api_version("ma-1", model_file="model.py", model_function="predict")
    get, post = calls(mocked)
    assert get.method == "GET" and get.path == f"{MA}/ma-1"
    assert post.method == "POST"
    assert contains(
        post.json,
        {
            "projectId": "p-9",
            "modelFile": "model.py",
            "modelFunction": "predict",
            "source": {"type": "File", "file": "model.py", "function": "predict"},
        },
    )
    assert result == {"id": "v-2"}


def test_create_model_api_version_with_project_id_sends_only_the_create(hook, mocked) -> None:
    mocked.post(f"{BASE}{MA}/ma-1/versions", json={"id": "v-2"}, status=201)
    hook.create_model_api_version(
        "ma-1", model_file="model.py", model_function="predict", project_id="p-1", environment_id="env-1"
    )
    (post,) = calls(mocked)
    assert contains(post.json, {"projectId": "p-1", "environmentId": "env-1"})


def test_project_of_model_api_reads_projectid_of_the_seed_shape(hook, mocked) -> None:
    mocked.get(f"{BASE}{MA}/ma-1", json={"id": "ma-1", "projectId": "p-1"})
    assert hook.project_of_model_api("ma-1") == "p-1"
    assert len(mocked.calls) == 1


def test_project_of_model_api_falls_back_to_the_latest_version(hook, mocked) -> None:
    mocked.get(f"{BASE}{MA}/ma-1", json={"id": "ma-1", "activeVersion": {"id": "v-1"}})
    mocked.get(
        f"{BASE}{MA}/ma-1/versions",
        json=[
            {"id": "v-1", "number": 1, "projectId": "p-old"},
            {"id": "v-2", "number": 2, "project": {"id": "p-new"}},
        ],
    )
    assert hook.project_of_model_api("ma-1") == "p-new"
    assert calls(mocked)[1].query == {}  # the versions list is not paginated: no offset or limit


def test_project_of_model_api_unknown_names_project_id(hook, mocked) -> None:
    mocked.get(f"{BASE}{MA}/ma-1", json={"id": "ma-1"})
    mocked.get(f"{BASE}{MA}/ma-1/versions", json=[])
    with pytest.raises(DominoConfigError, match="project_id"):
        hook.project_of_model_api("ma-1")


def test_find_model_apis_keeps_only_live_exact_matches_in_the_project(hook, mocked) -> None:
    mocked.get(
        f"{BASE}{MA}",
        json={
            "items": [
                {"id": "a", "name": "churn", "projectId": "p-1"},
                {"id": "b", "name": "churn-2", "projectId": "p-1"},
                {"id": "c", "name": "churn", "projectId": "p-1", "isArchived": True},
                {"id": "d", "name": "churn", "projectId": "p-other"},
                {"id": "e", "name": "churn"},
            ],
            "metadata": {"offset": 0, "limit": 100, "totalCount": 5},
        },
    )
    found = hook.find_model_apis("p-1", "churn")
    assert [f["id"] for f in found] == ["a", "e"]
    assert calls(mocked)[0].query == {"projectId": "p-1", "name": "churn", "offset": "0", "limit": "100"}


def test_build_log_tail_gives_the_last_lines(hook, mocked) -> None:
    mocked.get(
        f"{BASE}{MA}/ma-1/versions/v-1/buildLogs",
        json={"status": "failed", "logs": [{"log": f"line {i}\n"} for i in range(10)]},
    )
    assert hook.build_log_tail("ma-1", "v-1", lines=3) == "line 7\nline 8\nline 9"


def test_build_log_tail_says_when_the_log_cannot_be_read(hook, mocked) -> None:
    mocked.get(ANY_URL, json={"error": "no such version"}, status=404)
    tail = hook.build_log_tail("ma-1", "v-1")
    assert tail.startswith("(build log unavailable:")
    assert "no such version" in tail


def test_model_url_prefers_the_seed_url_and_else_builds_one(hook) -> None:
    assert hook.model_url({"id": "ma-1", "url": "https://m.example.com/x"}) == "https://m.example.com/x"
    assert hook.model_url({"id": "ma-1"}) == f"{BASE}/models/ma-1/latest/model"


# --- test_connection -----------------------------------------------------------------------------------


def test_test_connection_succeeds_with_one_cheap_authenticated_call(hook, mocked) -> None:
    mocked.get(f"{BASE}{MA}", json={"items": [], "metadata": {"offset": 0, "limit": 1, "totalCount": 0}})
    ok, message = hook.test_connection()
    assert ok is True
    assert BASE in message
    (call,) = calls(mocked)
    assert call.query == {"offset": "0", "limit": "1"}
    assert call.headers["x-domino-api-key"] == KEY


def test_test_connection_fails_with_dominos_message(hook, mocked) -> None:
    mocked.get(ANY_URL, json={"errors": ["Invalid API key"], "requestId": "r-1"}, status=401)
    ok, message = hook.test_connection()
    assert ok is False
    assert "Invalid API key" in message
    assert "domino_default" in message
    assert KEY not in message


def test_test_connection_reports_a_missing_models_api(hook, mocked) -> None:
    mocked.get(ANY_URL, body="Not Found", status=404)
    ok, message = hook.test_connection()
    assert ok is False
    assert "Models API was not found" in message


def test_test_connection_reports_an_unreachable_host(make_hook, free_port) -> None:
    hook = make_hook(host=f"http://127.0.0.1:{free_port}", extra={"max_retries": 0})
    ok, message = hook.test_connection()
    assert ok is False
    assert "Could not connect" in message


def test_registered_model_names_with_slashes_and_spaces_are_percent_encoded(hook, mocked) -> None:
    mocked.get(f"{BASE}/api/registeredmodels/v1/team%2Fchurn%20model", json={"name": "team/churn model"})
    assert hook.get_registered_model("team/churn model")["name"] == "team/churn model"


def test_stop_job_without_a_project_uses_the_public_api_stop_by_id(hook, mocked) -> None:
    mocked.post(f"{BASE}/api/jobs/v1/jobs/job-7/stop", status=204)
    hook.stop_job("job-7")
    (call,) = calls(mocked)
    assert call.method == "POST"
    assert call.json == {"commitResults": False}
