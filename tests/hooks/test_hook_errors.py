"""Errors: Domino's own message read from every body shape, the request id, and the class by status."""

from __future__ import annotations

import pytest

from airflow_provider_domino._client.errors import (
    DominoApiError,
    DominoAuthError,
    DominoConflictError,
    DominoError,
    DominoNotFoundError,
    DominoPayloadTooLargeError,
    DominoRateLimitError,
    DominoResponseError,
    DominoServerError,
    DominoValidationError,
)

from .cases import MA
from .helpers import ANY_URL, KEY, MTOK

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@pytest.fixture
def once(make_hook):
    """A hook that never retries, so each error comes straight from its first answer."""
    return make_hook("domino_once", extra={"max_retries": 0, "model_access_token": MTOK})


def _error(hook, mocked, status, **reply) -> DominoApiError:
    mocked.get(ANY_URL, status=status, **reply)
    with pytest.raises(DominoApiError) as caught:
        hook.get_model_api("ma-1")
    return caught.value


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({"json": {"error": "Model API ma-1 not found"}}, "Model API ma-1 not found"),
        ({"json": {"errors": ["name is required", "replicas must be > 0"]}}, "name is required; replicas must be > 0"),
        ({"json": {"errors": [{"message": "bad field"}]}}, "bad field"),
        ({"json": {"message": "Something is off"}}, "Something is off"),
        ({"body": "plain words from a server", "content_type": "text/plain"}, "plain words from a server"),
    ],
    ids=["error", "errors", "errors-objects", "message", "plain-text"],
)
def test_dominos_message_is_read_from_each_body_shape(once, mocked, reply, message) -> None:
    error = _error(once, mocked, 400, **reply)
    assert error.domino_message == message
    assert message in str(error)
    assert error.status == 400
    assert error.method == "GET"
    assert error.path == f"{MA}/ma-1"
    assert str(error).startswith(f"Domino answered 400 Bad Request to GET {MA}/ma-1")


def test_a_long_plain_text_body_is_trimmed_to_one_line(once, mocked) -> None:
    error = _error(once, mocked, 400, body="word \n" * 1000, content_type="text/plain")
    assert "\n" not in str(error)
    assert len(error.domino_message) <= 500


def test_an_html_502_from_a_proxy_is_said_to_be_one_in_one_line_with_its_title(once, mocked) -> None:
    error = _error(once, mocked, 502, body=NGINX_502, content_type="text/html")
    text = str(error)
    assert isinstance(error, DominoServerError)
    assert "\n" not in text
    assert "HTML" in text and "proxy" in text
    assert "502 Bad Gateway" in error.domino_message
    assert "<html" not in text and "<center>" not in text


def test_an_html_page_without_a_content_type_is_recognised(once, mocked) -> None:
    error = _error(once, mocked, 503, body="<!DOCTYPE html><html><h1>Maintenance</h1></html>", content_type=None)
    assert "HTML" in error.domino_message and "Maintenance" in error.domino_message


def test_an_empty_error_body_still_names_status_method_and_path(once, mocked) -> None:
    error = _error(once, mocked, 500, body=b"")
    assert error.domino_message is None
    assert str(error) == f"Domino answered 500 Internal Server Error to GET {MA}/ma-1"


def test_request_id_comes_from_the_x_request_id_header(once, mocked) -> None:
    error = _error(once, mocked, 404, json={"error": "gone"}, headers={"X-Request-Id": "req-hdr-1"})
    assert error.request_id == "req-hdr-1"
    assert "req-hdr-1" in str(error)


def test_request_id_comes_from_the_body_request_id(once, mocked) -> None:
    error = _error(once, mocked, 422, json={"errors": ["bad"], "requestId": "req-body-2"})
    assert error.request_id == "req-body-2"
    assert "req-body-2" in str(error)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, DominoValidationError),
        (401, DominoAuthError),
        (403, DominoAuthError),
        (404, DominoNotFoundError),
        (409, DominoConflictError),
        (413, DominoPayloadTooLargeError),
        (422, DominoValidationError),
        (429, DominoRateLimitError),
        (500, DominoServerError),
        (502, DominoServerError),
        (503, DominoServerError),
        (504, DominoServerError),
    ],
)
def test_error_class_follows_the_status(once, mocked, status, cls) -> None:
    error = _error(once, mocked, status, json={"error": "x"})
    assert type(error) is cls
    assert isinstance(error, DominoError)


def test_payload_too_large_is_a_validation_error(once, mocked) -> None:
    assert isinstance(_error(once, mocked, 413, json={"errors": ["too big"]}), DominoValidationError)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_name_the_connection_and_never_the_key(once, mocked, status) -> None:
    # even a server that echoes the key back does not get it into the message
    error = _error(once, mocked, status, json={"errors": [f"API key {KEY} is not valid"]})
    assert isinstance(error, DominoAuthError)
    assert "'domino_once'" in str(error)
    assert KEY not in str(error)
    assert KEY not in (error.domino_message or "")
    assert KEY not in repr(error)


def test_an_auth_error_of_a_model_call_points_at_the_model_token(once, mocked) -> None:
    mocked.post(ANY_URL, json={"error": f"bad token {MTOK}"}, status=401)
    with pytest.raises(DominoAuthError) as caught:
        once.predict("ma-1", data={"x": 1})
    assert "model access token" in str(caught.value)
    assert MTOK not in str(caught.value)


def test_a_200_whose_body_is_not_json_is_a_response_error(once, mocked) -> None:
    mocked.get(ANY_URL, body="<html><title>Login</title></html>", status=200, content_type="text/html")
    with pytest.raises(DominoResponseError) as caught:
        once.get_model_api("ma-1")
    assert caught.value.status == 200
    assert "not JSON" in str(caught.value)
    assert "Login" in str(caught.value)


def test_a_200_with_an_empty_body_where_json_is_expected_is_a_response_error(once, mocked) -> None:
    mocked.get(ANY_URL, body=b"", status=200)
    with pytest.raises(DominoResponseError, match="empty body"):
        once.get_model_api("ma-1")


def test_redirects_are_not_followed_and_surface_as_errors(once, mocked) -> None:
    mocked.get(ANY_URL, status=302, headers={"Location": "https://login.example.com/"})
    with pytest.raises(DominoApiError) as caught:
        once.get_model_api("ma-1")
    assert caught.value.status == 302
    assert len(mocked.calls) == 1
