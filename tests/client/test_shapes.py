"""The tolerant readers accept both dialects (the seed's shapes and Domino Public API 6.2.0's), and the
request bodies are the superset of both."""

from __future__ import annotations

import pytest

from airflow_provider_domino._client import shapes
from airflow_provider_domino._client.errors import DominoInputError


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"id": "m", "status": "Running"}, "Running"),
        ({"id": "m", "activeVersion": {"deployment": {"status": "Building"}}}, "Building"),
        ({"id": "m", "deployment": {"status": "Stopped"}}, "Stopped"),
        ({"id": "m"}, None),
    ],
)
def test_model_api_status_at_status_or_active_version_deployment(body, status) -> None:
    assert shapes.model_api_status(body) == status


def test_version_status_and_active_version_in_both_shapes() -> None:
    assert shapes.version_status({"status": "Running"}) == "Running"
    assert shapes.version_status({"deployment": {"status": "Failed"}}) == "Failed"
    assert shapes.active_version_id({"activeVersion": {"id": "v-2"}}) == "v-2"
    assert shapes.active_version_id({"activeVersionId": "v-3"}) == "v-3"


@pytest.mark.parametrize(
    ("body", "pid"),
    [({"predictionId": "p-1"}, "p-1"), ({"asyncPredictionId": "p-2"}, "p-2"), ({"id": "p-3"}, "p-3"), ({}, None)],
)
def test_prediction_id_at_prediction_id_or_async_prediction_id(body, pid) -> None:
    assert shapes.prediction_id(body) == pid


def test_prediction_errors_from_errors_list_or_single_error() -> None:
    assert shapes.prediction_errors({"errors": ["a", {"b": 1}]}) == ["a", '{"b": 1}']
    assert shapes.prediction_errors({"error": "boom"}) == ["boom"]
    assert shapes.prediction_errors({"status": "ok"}) == []


@pytest.mark.parametrize(
    ("body", "status", "jid"),
    [
        ({"job": {"id": "j-1", "status": {"executionStatus": "Running"}}}, "Running", "j-1"),
        ({"id": "j-2", "status": "Succeeded"}, "Succeeded", "j-2"),
        ({"runId": "j-3", "executionStatus": "Queued"}, "Queued", "j-3"),
    ],
)
def test_job_status_at_job_status_execution_status_or_flat(body, status, jid) -> None:
    assert shapes.job_status(body) == status
    assert shapes.job_id(body) == jid


def test_job_log_text_keeps_the_wanted_log_types() -> None:
    body = {
        "logContent": [
            {"log": "prep\n", "logType": "prepareOutput"},
            {"log": "out\n", "logType": "stdOut"},
            {"log": "err\n", "logType": "stdErr"},
        ]
    }
    assert shapes.job_log_text(body) == "out\nerr"
    assert shapes.job_log_text({"logs": body}, None) == "prep\nout\nerr"
    assert shapes.job_log_text({}) == ""


@pytest.mark.parametrize(
    ("body", "status"),
    [({"status": {"state": "RUNNING"}}, "RUNNING"), ({"status": "Running"}, "Running"), ({"state": "X"}, "X")],
)
def test_deployment_status_at_status_state_or_status(body, status) -> None:
    assert shapes.deployment_status(body) == status


def test_build_log_lines_from_every_shape() -> None:
    assert shapes.build_log_lines("a\nb") == ["a", "b"]
    assert shapes.build_log_lines({"logs": "a\nb"}) == ["a", "b"]
    assert shapes.build_log_lines({"logs": [{"log": "a\nb\n"}, {"message": "c"}, "d"]}) == ["a", "b", "c", "d"]
    assert shapes.build_log_lines([{"log": "x"}]) == ["x"]
    assert shapes.build_log_lines(None) == []


def test_registered_model_and_version_from_both_dialects() -> None:
    real = {"registeredModel": {"name": "churn"}, "modelVersion": {"modelVersion": 3}}
    assert shapes.registered_model_and_version(real, "x") == ("churn", 3)
    assert shapes.registered_model_and_version({"name": "churn", "version": 2}, "x") == ("churn", 2)
    assert shapes.registered_model_and_version({}, "fallback") == ("fallback", None)


def test_version_readers() -> None:
    assert shapes.version_project_id({"project": {"id": "p-1"}}) == "p-1"
    assert shapes.version_description({"metadata": {"description": "d"}}) == "d"
    assert shapes.version_number({"number": 4}) == 4
    assert shapes.version_number({"number": "4"}) == 0


def test_model_api_body_is_the_superset_of_seed_and_real_api() -> None:
    body = shapes.model_api_body(
        project_id="p", name="n", model_file="m.py", model_function="f", environment_id="e", replicas=2
    )
    assert {"projectId", "name", "modelFile", "modelFunction", "environmentId"} <= body.keys()
    assert body["version"]["source"] == {"type": "File", "file": "m.py", "function": "f"}
    assert body["version"]["projectId"] == "p"
    assert body["replicas"] == 2
    assert "hardwareTierId" not in body  # optional fields left out, not sent as null


def test_update_body_refuses_unknown_fields_and_keeps_required_ones() -> None:
    with pytest.raises(DominoInputError) as caught:
        shapes.model_api_update_body({}, {"colour": "blue"})
    assert caught.value.field == "colour"
    body = shapes.model_api_update_body({"name": "n", "environmentId": "e", "replicas": 3}, {"description": "d"})
    assert body == {"name": "n", "environmentId": "e", "replicas": 3, "description": "d"}


def test_predict_body_takes_exactly_one_of_data_or_parameters() -> None:
    assert shapes.predict_body({"x": 1}) == {"data": {"x": 1}}
    assert shapes.predict_body(parameters=(1, 2)) == {"parameters": [1, 2]}
    for bad in ((None, None), ({"x": 1}, [1])):
        with pytest.raises(DominoInputError):
            shapes.predict_body(*bad)


def test_positive_int() -> None:
    assert shapes.positive_int("n", 3) == 3
    assert shapes.positive_int("n", 0, allow_zero=True) == 0
    for bad in (0, -1, True, 1.0, "1"):
        with pytest.raises(DominoInputError):
            shapes.positive_int("n", bad)
