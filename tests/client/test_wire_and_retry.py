"""The sans-I/O core alone: path building, message reading, pagination, Retry-After and the retry decision."""

from __future__ import annotations

import email.utils

import pytest

from airflow_provider_domino._client import config, retry, wire
from airflow_provider_domino._client.endpoints import ENDPOINTS
from airflow_provider_domino._client.errors import DominoConfigError, DominoInputError, scrub

SETTINGS = config.Settings(base_url="https://d.example.com", auth=config.Auth("api_key", secret="KEY-6b1f0c"))


def test_every_endpoint_path_renders_with_percent_encoded_parameters() -> None:
    names = ("model_api_id", "version_id", "deployment_id", "log_suffix", "model_name", "version")
    params = dict.fromkeys((*names, "prediction_id", "job_id"), "a b%c")
    for endpoint in ENDPOINTS.values():
        path = wire.render_path(endpoint.path, params)
        assert "{" not in path and " " not in path
        assert path.count("a%20b%25c") == endpoint.path.count("{")


@pytest.mark.parametrize("value", ["", " ", None, "a/b", "..", ".", "a\\b", "a\tb", 1.5, True, [1]])
def test_check_id_refuses_bad_ids(value) -> None:
    with pytest.raises(DominoInputError):
        wire.check_id("model_api_id", value)


def test_check_id_accepts_spaces_dots_and_integers() -> None:
    assert wire.check_id("model_name", "my model v1.2") == "my model v1.2"
    assert wire.check_id("version", 3) == "3"
    assert wire.check_id("x", "a..b") == "a..b"


def test_build_drops_none_params_and_spells_booleans() -> None:
    request = wire.build(SETTINGS, "list_model_apis", params={"a": None, "b": True, "c": 0})
    assert request.params == {"b": "true", "c": 0}
    assert request.url == "https://d.example.com/api/modelServing/v1/modelApis"


@pytest.mark.parametrize(
    ("content", "ctype", "message"),
    [
        (b'{"error": "e"}', "application/json", "e"),
        (b'{"errors": ["a", "b"]}', None, "a; b"),
        (b'{"message": "m"}', None, "m"),
        (b'{"error": {"message": "nested"}}', None, "nested"),
        (b'{"detail": "d"}', None, "d"),
        (b'"just a string"', None, "just a string"),
        (b"plain  text\n here", "text/plain", "plain text here"),
        (b"", None, None),
        (b"   ", None, None),
    ],
)
def test_domino_message_from_each_body_shape(content, ctype, message) -> None:
    assert wire.domino_message(content, ctype)[0] == message


def test_domino_message_of_html_names_its_title_in_one_line() -> None:
    message, body = wire.domino_message(b"<html><head><title>\n504 Gateway Time-out\n</title></head></html>", None)
    assert body is None
    assert "HTML" in message and "504 Gateway Time-out" in message and "\n" not in message


def _request(name: str, **params) -> wire.Request:
    return wire.build(SETTINGS, name, params=params)


def test_next_page_of_a_bare_array() -> None:
    request = _request("list_model_apis", offset=0, limit=2)
    assert wire.next_page_params(request, [1, 2], [1, 2]) == {"offset": 2, "limit": 2}
    assert wire.next_page_params(request, [1], [1]) is None
    assert wire.next_page_params(request, [], []) is None


def test_next_page_of_an_envelope_with_total_count() -> None:
    request = _request("list_model_apis", offset=2, limit=2)
    body = {"items": [3, 4], "metadata": {"offset": 2, "limit": 2, "totalCount": 5}}
    assert wire.next_page_params(request, body, [3, 4]) == {"offset": 4, "limit": 2}
    body["metadata"]["totalCount"] = 4
    assert wire.next_page_params(request, body, [3, 4]) is None


def test_next_page_by_token() -> None:
    request = _request("list_registered_models", offset=0, limit=2, maxResults=2)
    body = {"items": [1, 2], "metadata": {"nextPageToken": "t"}}
    assert wire.next_page_params(request, body, [1, 2]) == {"limit": 2, "maxResults": 2, "pageToken": "t"}
    assert wire.next_page_params(request, {"items": [1, 2], "metadata": {"requestId": "r"}}, [1, 2]) is None


def test_first_page_always_sends_offset() -> None:
    assert wire.first_page_params(ENDPOINTS["list_model_apis"], None, 10) == {"offset": 0, "limit": 10}
    assert wire.first_page_params(ENDPOINTS["list_registered_models"], {"name": None}, 5) == {
        "offset": 0,
        "limit": 5,
        "maxResults": 5,
    }


def test_page_items_of_every_envelope() -> None:
    request = _request("list_model_apis")
    assert wire.page_items([1], request) == [1]
    for key in ("items", "data", "results"):
        assert wire.page_items({key: [1]}, request) == [1]


# --- Retry-After and the decision -------------------------------------------------------------------------


def test_parse_retry_after_seconds_date_cap_and_garbage() -> None:
    assert retry.parse_retry_after("12", cap=120) == 12.0
    assert retry.parse_retry_after("500", cap=120) == 120.0
    assert retry.parse_retry_after("-3", cap=120) == 0.0
    now = 1_700_000_000.0
    assert retry.parse_retry_after(email.utils.formatdate(now + 42, usegmt=True), cap=120, now=now) == 42.0
    assert retry.parse_retry_after(email.utils.formatdate(now - 42, usegmt=True), cap=120, now=now) == 0.0
    for garbage in (None, "", "soon", "nan"):
        assert retry.parse_retry_after(garbage, cap=120) is None


@pytest.mark.parametrize(
    ("endpoint", "status", "retried"),
    [
        ("get_model_api", 429, True),
        ("get_model_api", 503, True),
        ("get_model_api", 500, True),
        ("get_model_api", 502, True),
        ("get_model_api", 504, True),
        ("update_model_api", 500, True),
        ("delete_model_api", 500, True),
        ("create_model_api", 429, True),
        ("create_model_api", 503, True),
        ("create_model_api", 500, False),
        ("create_model_api", 502, False),
        ("create_model_api", 504, False),
        ("predict", 502, False),
        ("start_deployment", 502, True),
        ("stop_job", 500, True),
        ("get_model_api", 400, False),
        ("get_model_api", 401, False),
        ("get_model_api", 404, False),
        ("get_model_api", 409, False),
        ("get_model_api", 501, False),
    ],
)
def test_status_retry_decision(endpoint, status, retried) -> None:
    assert retry.status_is_retryable(ENDPOINTS[endpoint], status) is retried


@pytest.mark.parametrize(
    ("endpoint", "kind", "retried"),
    [
        ("create_model_api", "connect", True),
        ("create_model_api", "lost", False),
        ("get_model_api", "lost", True),
        ("start_deployment", "lost", True),
        ("get_model_api", "tls", False),
    ],
)
def test_transport_retry_decision(endpoint, kind, retried) -> None:
    assert retry.transport_is_retryable(ENDPOINTS[endpoint], kind) is retried


def test_scrub_replaces_every_known_secret_of_four_or_more_characters() -> None:
    assert scrub("a KEY-1 b KEY-1 c abc", ["KEY-1", "abc", None]) == "a *** b *** c abc"


# --- configuration ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("domino.example.com", None, "https://domino.example.com"),
        ("http://127.0.0.1:8899", None, "http://127.0.0.1:8899"),
        ("domino.example.com", 8443, "https://domino.example.com:8443"),
        ("https://example.com/domino/", None, "https://example.com/domino"),
    ],
)
def test_normalize_base_url(host, port, url) -> None:
    assert config.normalize_base_url(host, port) == url


@pytest.mark.parametrize("host", ["", None, "ftp://x", "http://", "a b", "http://x:99999"])
def test_normalize_base_url_refuses(host) -> None:
    with pytest.raises(DominoConfigError):
        config.normalize_base_url(host)


def test_settings_repr_holds_no_secret() -> None:
    settings = config.settings_from_connection(
        conn_id="c", host="h.example.com", password="KEY-6b1f0c", extra={"model_access_token": "MTOK-93ad1e"}
    )
    assert "KEY-6b1f0c" not in repr(settings) and "MTOK-93ad1e" not in repr(settings)
    assert settings.secrets() == ("KEY-6b1f0c", "MTOK-93ad1e")


def test_settings_from_environ_is_none_without_domino_api_host() -> None:
    assert config.settings_from_environ({"DOMINO_USER_API_KEY": "k"}) is None
