"""Bad input refused, one table across hook, operators and sensors.

Each row is one mistake a user (or a misbehaving server) can make. The check is the same for all:
exactly one clear error naming the problem, and, for input that can be checked locally, no request sent.
Server answers come from a mocked transport (``responses``): the point here is the provider's reading of
them; the live emulator suites check the same paths end to end.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import responses

from airflow_provider_domino._client import errors as E
from airflow_provider_domino.hooks.domino import DominoHook

pytestmark = pytest.mark.reliability

HOST = "http://127.0.0.1:9"  # never reached: every answer below is mocked
MA = f"{HOST}/api/modelServing/v1/modelApis"
KEY = "KEY-badinput-4e1d"
MTOK = "MTOK-badinput-77a0"


@dataclass
class Case:
    id: str
    act: Callable[[], Any]
    raises: type[BaseException]
    match: str
    #: (method, url, kwargs for responses.add) of a mocked answer; empty: input checked locally.
    answer: tuple[str, str, dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    conn: dict[str, Any] | None = None


def hook() -> DominoHook:
    return DominoHook("domino_default")


class FakeTI:
    dag_id, run_id, task_id, map_index, try_number = "dag", "run", "task", -1, 1

    def xcom_push(self, key: str, value: Any) -> None:
        raise AssertionError(f"nothing is pushed for refused input (key {key})")


def run_operator(cls: type, **kwargs: Any) -> Callable[[], Any]:
    def act() -> Any:
        op = cls(task_id="t", **kwargs)
        return op.execute({"ti": FakeTI()})

    return act


def ops() -> dict[str, Any]:
    from airflow_provider_domino.operators import deployments, jobs, model_apis, predictions, registry
    from airflow_provider_domino.sensors import deployments as sdep
    from airflow_provider_domino.sensors import model_apis as sma
    from airflow_provider_domino.sensors import predictions as spred

    return {
        "deploy": model_apis.DeployModelApiOperator,
        "version": model_apis.CreateVersionOperator,
        "update": model_apis.UpdateModelApiOperator,
        "start": deployments.StartDeploymentOperator,
        "create_dep": deployments.CreateDeploymentOperator,
        "register": registry.RegisterModelOperator,
        "predict": predictions.PredictOperator,
        "submit": predictions.SubmitAsyncPredictionOperator,
        "job": jobs.RunJobOperator,
        "version_sensor": sma.ModelApiVersionSensor,
        "prediction_sensor": spred.AsyncPredictionSensor,
        "deployment_sensor": sdep.DeploymentSensor,
    }


DEPLOY = {
    "project_id": "p",
    "name": "n",
    "model_file": "model.py",
    "model_function": "predict",
    "environment_id": "e",
}


def cases(tmp_path: Path) -> list[Case]:
    o = ops()
    fail = pytest.importorskip("airflow.providers.common.compat.sdk").AirflowFailException
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    return [
        # --- ids and arguments, refused before any request -------------------------------------------
        Case("hook-empty-id", lambda: hook().get_model_api(""), E.DominoInputError, "model_api_id: is required"),
        Case("hook-id-with-slash", lambda: hook().get_model_api("a/b"), E.DominoInputError, "must not contain '/'"),
        Case(
            "hook-id-dotdot",
            lambda: hook().get_deployment(".."),
            E.DominoInputError,
            "deployment_id: '..' is not a valid id",
        ),
        Case("hook-id-wrong-type", lambda: hook().get_job(["j"]), E.DominoInputError, "job_id: must be a string"),
        Case("hook-limit-zero", lambda: hook().list_model_apis(limit=0), E.DominoInputError, "limit: must be > 0"),
        Case(
            "hook-offset-negative",
            lambda: hook().list_deployments(offset=-1),
            E.DominoInputError,
            "offset: must be >= 0",
        ),
        Case(
            "hook-page-size-negative",
            lambda: list(hook().iter_model_apis(page_size=-5)),
            E.DominoInputError,
            "page_size",
        ),
        Case(
            "hook-predict-both",
            lambda: hook().predict("m", data={"a": 1}, parameters=[1]),
            E.DominoInputError,
            "exactly one of data",
        ),
        Case(
            "hook-predict-data-not-dict",
            lambda: hook().predict("m", data=[1, 2]),
            E.DominoInputError,
            "data: must be a JSON object",
        ),
        Case(
            "hook-async-over-10KiB",
            lambda: hook().submit_async_prediction("m", {"blob": "x" * 11_000}),
            E.DominoInputError,
            "over Domino's 10240-byte limit",
        ),
        Case(
            "hook-bad-log-type",
            lambda: hook().get_job_logs("j", log_type="stdout"),
            E.DominoInputError,
            "log_type: unknown log type",
        ),
        Case(
            "hook-update-unknown-field",
            lambda: hook().update_model_api("m", colour="red"),
            E.DominoInputError,
            "colour: cannot be updated",
        ),
        Case(
            "hook-no-model-token",
            lambda: hook().predict("m", data={}),
            E.DominoInputError,
            "access_token",
            conn={"extra": {}},
        ),
        # --- connections ---------------------------------------------------------------------------
        Case(
            "conn-no-host", lambda: hook().get_model_api("m"), E.DominoConfigError, "host: is empty", conn={"host": ""}
        ),
        Case(
            "conn-bad-scheme",
            lambda: hook().get_model_api("m"),
            E.DominoConfigError,
            "scheme 'ftp' is not supported",
            conn={"host": "ftp://domino"},
        ),
        Case(
            "conn-extra-not-json",
            lambda: hook().get_model_api("m"),
            E.DominoConfigError,
            "extra: is not valid JSON",
            conn={"extra": "{not json"},
        ),
        Case(
            "conn-unknown-auth-type",
            lambda: hook().get_model_api("m"),
            E.DominoConfigError,
            "auth_type: unknown value 'oauth'",
            conn={"extra": {"auth_type": "oauth"}},
        ),
        Case(
            "conn-no-password",
            lambda: hook().get_model_api("m"),
            E.DominoConfigError,
            "password: connection 'domino_default' has no API key",
            conn={"password": None},
        ),
        Case(
            "conn-unreadable-token-file",
            lambda: hook().get_model_api("m"),
            E.DominoConfigError,
            "token_file: cannot read",
            conn={"extra": {"token_file": str(tmp_path / "missing-token")}},
        ),
        Case(
            "conn-negative-timeout",
            lambda: hook().get_model_api("m"),
            E.DominoConfigError,
            "timeout: must be positive",
            conn={"extra": {"timeout": -1}},
        ),
        # --- operators and sensors (rendered arguments checked at execute time) ------------------------
        Case(
            "deploy-empty-project",
            run_operator(o["deploy"], **{**DEPLOY, "project_id": ""}),
            fail,
            "Invalid argument project_id",
        ),
        Case(
            "deploy-unknown-if-exists",
            run_operator(o["deploy"], **DEPLOY, if_exists="replace"),
            fail,
            "Invalid argument if_exists: unknown value 'replace'",
        ),
        Case(
            "deploy-unknown-target-status",
            run_operator(o["deploy"], **DEPLOY, target_statuses=["Up"]),
            fail,
            "Invalid argument target_statuses",
        ),
        Case(
            "deploy-zero-poll-interval",
            run_operator(o["deploy"], **DEPLOY, poll_interval=0),
            fail,
            "Invalid argument poll_interval",
        ),
        Case(
            "deploy-wrong-type",
            run_operator(o["deploy"], **{**DEPLOY, "model_function": 7}),
            fail,
            "Invalid argument model_function: must be a string",
        ),
        Case(
            "version-id-with-slash",
            run_operator(o["version"], model_api_id="a/b", model_file="m.py", model_function="f"),
            fail,
            "Invalid argument model_api_id",
        ),
        Case(
            "update-nothing",
            run_operator(o["update"], model_api_id="m"),
            fail,
            "Invalid argument name: nothing to update",
        ),
        Case(
            "start-empty-deployment", run_operator(o["start"], deployment_id=""), fail, "Invalid argument deployment_id"
        ),
        Case(
            "create-deployment-no-version",
            run_operator(o["create_dep"], name="d"),
            fail,
            "Invalid argument model_version_id",
        ),
        Case(
            "register-no-run-id",
            run_operator(o["register"], model_name="m", experiment_run_id=""),
            fail,
            "Invalid argument experiment_run_id",
        ),
        Case("predict-no-target", run_operator(o["predict"], data={"x": 1}), fail, "Invalid argument model_api_id"),
        Case(
            "submit-over-limit",
            run_operator(o["submit"], model_api_id="m", parameters={"b": "y" * 11_000}),
            fail,
            "Invalid argument parameters",
        ),
        Case(
            "job-empty-command", run_operator(o["job"], project_id="p", command=" "), fail, "Invalid argument command"
        ),
        Case(
            "version-sensor-bad-target",
            run_operator(o["version_sensor"], model_api_id="m", version_id="v", target_statuses=["Done"]),
            fail,
            "Invalid argument target_statuses",
        ),
        Case(
            "prediction-sensor-empty-id",
            run_operator(o["prediction_sensor"], model_api_id="m", prediction_id=""),
            fail,
            "Invalid argument prediction_id",
        ),
        Case(
            "deployment-sensor-bad-state",
            run_operator(o["deployment_sensor"], deployment_id="d", target_state="UP"),
            fail,
            "Invalid argument target_state",
        ),
        # --- what the server answers ---------------------------------------------------------------
        Case(
            "answer-401",
            lambda: hook().get_model_api("m"),
            E.DominoAuthError,
            "401 Unauthorized.*Check the credential of connection 'domino_default'",
            ("GET", f"{MA}/m", {"status": 401, "json": {"errors": ["Invalid API key"], "requestId": "r1"}}),
        ),
        Case(
            "answer-403",
            lambda: hook().delete_model_api("m"),
            E.DominoAuthError,
            "403 Forbidden to DELETE .*: not a collaborator",
            ("DELETE", f"{MA}/m", {"status": 403, "json": {"errors": ["not a collaborator"]}}),
        ),
        Case(
            "answer-404",
            lambda: hook().get_model_api("gone"),
            E.DominoNotFoundError,
            "404 Not Found.*Model API gone not found",
            ("GET", f"{MA}/gone", {"status": 404, "json": {"error": "Model API gone not found"}}),
        ),
        Case(
            "answer-409",
            lambda: hook().create_model_api(**DEPLOY),
            E.DominoConflictError,
            "409 Conflict.*name is taken",
            ("POST", MA, {"status": 409, "json": {"message": "name is taken"}}),
        ),
        Case(
            "answer-413",
            lambda: hook().submit_async_prediction("m", {"a": 1}, access_token=MTOK),
            E.DominoPayloadTooLargeError,
            "413 Payload Too Large",
            (
                "POST",
                f"{HOST}/api/modelApis/async/v1/m",
                {"status": 413, "json": {"errors": ["Request body too large"]}},
            ),
        ),
        Case(
            "answer-422",
            lambda: hook().create_model_api(**DEPLOY),
            E.DominoValidationError,
            "422 Unprocessable Entity.*environmentId is invalid",
            ("POST", MA, {"status": 422, "json": {"errors": ["environmentId is invalid"], "requestId": "r2"}}),
        ),
        Case(
            "answer-html",
            lambda: hook().get_model_api("m"),
            E.DominoResponseError,
            "not JSON \\(an HTML page instead of JSON",
            ("GET", f"{MA}/m", {"status": 200, "body": html, "content_type": "text/html"}),
        ),
        Case(
            "answer-not-json",
            lambda: hook().get_model_api("m"),
            E.DominoResponseError,
            "a body that is not JSON",
            ("GET", f"{MA}/m", {"status": 200, "body": "OK", "content_type": "text/plain"}),
        ),
        Case(
            "answer-wrong-shape",
            lambda: hook().list_model_apis(),
            E.DominoResponseError,
            "is not a list of items",
            ("GET", MA, {"status": 200, "json": {"modelApis": "none"}}),
        ),
    ]


def _ids() -> list[str]:
    return [c.id for c in cases(Path("/nonexistent"))]


@pytest.mark.parametrize("case_id", _ids())
def test_bad_input_gives_one_clear_error(case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in cases(tmp_path) if c.id == case_id)
    conn: dict[str, Any] = {
        "conn_type": "domino",
        "host": HOST,
        "password": KEY,
        "extra": {"model_access_token": MTOK, "max_retries": 0},
    }
    for key, value in (case.conn or {}).items():
        conn[key] = value
    if isinstance(conn.get("extra"), dict):
        conn["extra"] = json.dumps(conn["extra"])
    monkeypatch.setenv("AIRFLOW_CONN_DOMINO_DEFAULT", json.dumps(conn))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        if case.answer:
            method, url, kwargs = case.answer
            mocked.add(method, url, **kwargs)
        with pytest.raises(case.raises, match=case.match) as caught:
            case.act()
        sent = len(mocked.calls)

    assert sent == (1 if case.answer else 0), "input that can be checked locally must not reach Domino"
    text = str(caught.value)
    assert KEY not in text and MTOK not in text
    assert len(cases(tmp_path)) >= 30
