"""One row per endpoint method of ``DominoApi``: the call, and exactly what it must send and answer.

Shared by the sync hook tests (``responses``) and the async hook tests (``respx``): both hooks run the same
endpoint methods, so both must send the same requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MA = "/api/modelServing/v1/modelApis"
MD = "/api/modelServing/v1/modelDeployments"
RM = "/api/registeredmodels/v1/my%20model"  # "my model", percent-encoded
MODEL_URL = "https://models.example.com/models/ma-1/latest/model"


@dataclass
class Case:
    name: str  # the DominoApi method it exercises
    call: Callable[[Any], Any]
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None  # expected JSON body (a subset for dicts); None: no body
    auth: str = "platform"  # platform | basic | bearer
    status: int = 200
    reply: Any = None  # JSON reply (or text for str)
    expected: Any = None  # what the method returns
    host: str = "https://domino.example.com"
    token: str | None = None  # the model token expected, when not the connection's

    @property
    def id(self) -> str:
        return self.name


_API = {"id": "ma-1", "name": "churn", "projectId": "p-1"}
_VERSION = {"id": "v-1", "number": 1, "status": "Building"}
_DEP = {"id": "d-1", "name": "dep", "status": {"state": "RUNNING"}}
_JOB = {"job": {"id": "j-1", "status": {"executionStatus": "Queued"}}}

CASES = [
    # --- Model APIs
    Case(
        "list_model_apis",
        lambda h: h.list_model_apis("p-1", name="churn", offset=5, limit=10),
        "GET",
        MA,
        query={"projectId": "p-1", "name": "churn", "offset": "5", "limit": "10"},
        reply={"items": [_API], "metadata": {"offset": 5, "limit": 10, "totalCount": 6}},
        expected=[_API],
    ),
    Case(
        "create_model_api",
        lambda h: h.create_model_api(
            project_id="p-1",
            name="churn",
            model_file="model.py",
            model_function="predict",
            environment_id="env-1",
            hardware_tier_id="small",
            description="churn model",
            environment_variables={"MODE": "prod"},
        ),
        "POST",
        MA,
        body={
            # the seed's flat fields
            "projectId": "p-1",
            "name": "churn",
            "description": "churn model",
            "modelFile": "model.py",
            "modelFunction": "predict",
            "environmentId": "env-1",
            "hardwareTierId": "small",
            # and the real API's nested version
            "isAsync": False,
            "strictNodeAntiAffinity": False,
            "environmentVariables": [{"name": "MODE", "value": "prod"}],
            "version": {
                "projectId": "p-1",
                "source": {"type": "File", "file": "model.py", "function": "predict"},
                "logHttpRequestResponse": False,
                "monitoringEnabled": False,
            },
        },
        status=201,
        reply=_API,
        expected=_API,
    ),
    Case("get_model_api", lambda h: h.get_model_api("ma-1"), "GET", MA + "/ma-1", reply=_API, expected=_API),
    Case(
        "put_model_api",
        lambda h: h.put_model_api("ma-1", {"name": "churn", "description": "", "environmentId": "e", "replicas": 2}),
        "PUT",
        MA + "/ma-1",
        body={"name": "churn", "description": "", "environmentId": "e", "replicas": 2},
        reply=_API,
        expected=_API,
    ),
    Case("delete_model_api", lambda h: h.delete_model_api("ma-1"), "DELETE", MA + "/ma-1", status=204),
    # --- versions and logs
    Case(
        "list_model_api_versions",
        lambda h: h.list_model_api_versions("ma-1"),
        "GET",
        MA + "/ma-1/versions",
        query={},
        reply=[_VERSION],
        expected=[_VERSION],
    ),
    Case(
        "post_model_api_version",
        lambda h: h.post_model_api_version(
            "ma-1",
            project_id="p-1",
            model_file="model.py",
            model_function="predict",
            environment_id="env-1",
            description="second",
        ),
        "POST",
        MA + "/ma-1/versions",
        body={
            "modelFile": "model.py",
            "modelFunction": "predict",
            "environmentId": "env-1",
            "projectId": "p-1",
            "source": {"type": "File", "file": "model.py", "function": "predict"},
            "logHttpRequestResponse": False,
            "monitoringEnabled": False,
            "description": "second",
        },
        status=201,
        reply=_VERSION,
        expected=_VERSION,
    ),
    Case(
        "get_model_api_version",
        lambda h: h.get_model_api_version("ma-1", "v-1"),
        "GET",
        MA + "/ma-1/versions/v-1",
        reply=_VERSION,
        expected=_VERSION,
    ),
    Case(
        "get_build_logs",
        lambda h: h.get_build_logs("ma-1", "v-1"),
        "GET",
        MA + "/ma-1/versions/v-1/buildLogs",
        reply={"status": "complete", "logs": [{"log": "step 1"}]},
        expected={"status": "complete", "logs": [{"log": "step 1"}]},
    ),
    Case(
        "get_export_logs",
        lambda h: h.get_export_logs("ma-1", "v-1"),
        "GET",
        MA + "/ma-1/versions/v-1/exportLogs",
        reply={"logs": []},
        expected={"logs": []},
    ),
    Case(
        "get_instance_logs",
        lambda h: h.get_instance_logs("ma-1", "v-1", tail=50),
        "GET",
        MA + "/ma-1/versions/v-1/instanceLogs",
        query={"tail": "50"},
        reply={"logs": [{"log": "serving"}]},
        expected={"logs": [{"log": "serving"}]},
    ),
    # --- Model Deployments
    Case(
        "list_deployments",
        lambda h: h.list_deployments(name="dep", project_id="p-1"),
        "GET",
        MD,
        query={"name": "dep", "projectId": "p-1", "offset": "0", "limit": "100"},
        reply={"items": [_DEP], "metadata": {"pagination": {"offset": 0, "limit": 100, "totalCount": 1}}},
        expected=[_DEP],
    ),
    Case(
        "create_deployment",
        lambda h: h.create_deployment(name="dep", model_version_id="mv-1", hardware_tier_id="small", replicas=2),
        "POST",
        MD,
        body={"name": "dep", "modelVersionId": "mv-1", "hardwareTierId": "small", "replicas": 2},
        status=201,
        reply=_DEP,
        expected=_DEP,
    ),
    Case("get_deployment", lambda h: h.get_deployment("d-1"), "GET", MD + "/d-1", reply=_DEP, expected=_DEP),
    Case(
        "update_deployment",
        lambda h: h.update_deployment("d-1", {"replicas": 3}),
        "PATCH",
        MD + "/d-1",
        body={"replicas": 3},
        reply=_DEP,
        expected=_DEP,
    ),
    Case("delete_deployment", lambda h: h.delete_deployment("d-1"), "DELETE", MD + "/d-1", status=204),
    Case("start_deployment", lambda h: h.start_deployment("d-1"), "POST", MD + "/d-1/start", status=204),
    Case("stop_deployment", lambda h: h.stop_deployment("d-1"), "POST", MD + "/d-1/stop", status=204),
    Case(
        "get_deployment_logs",
        lambda h: h.get_deployment_logs("d-1", "stdout"),
        "GET",
        MD + "/d-1/logs/stdout",
        reply="line one\nline two",
        expected="line one\nline two",
    ),
    Case(
        "get_deployment_credentials",
        lambda h: h.get_deployment_credentials("d-1"),
        "GET",
        MD + "/d-1/credentials",
        reply={"token": "t"},
        expected={"token": "t"},
    ),
    # --- Model Registry
    Case(
        "list_registered_models",
        lambda h: h.list_registered_models(name="my model", project_id="p-1", limit=20),
        "GET",
        "/api/registeredmodels/v2",
        query={
            "name": "my model",
            "searchPattern": "my model",
            "projectId": "p-1",
            "offset": "0",
            "limit": "20",
            "maxResults": "20",
        },
        reply={"items": [{"name": "my model"}], "metadata": {"nextPageToken": None}},
        expected=[{"name": "my model"}],
    ),
    Case(
        "register_model",
        lambda h: h.register_model(
            name="my model",
            experiment_run_id="run-1",
            experiment_id="exp-1",
            artifact_path="model",
            description="first",
            project_id="p-1",
        ),
        "POST",
        "/api/registeredmodels/v2",
        body={
            # the seed's fields
            "name": "my model",
            "description": "first",
            "source": {"type": "experiment", "experimentId": "exp-1", "runId": "run-1"},
            # and the real API's
            "modelName": "my model",
            "create": True,
            "projectId": "p-1",
            "modelSource": {
                "sourceType": "mlflow",
                "mlflowSource": {"experimentRunId": "run-1", "artifactPath": "model"},
            },
        },
        reply={"registeredModel": {"name": "my model"}, "modelVersion": {"modelVersion": 1}},
        expected={"registeredModel": {"name": "my model"}, "modelVersion": {"modelVersion": 1}},
    ),
    Case(
        "get_registered_model",
        lambda h: h.get_registered_model("my model"),
        "GET",
        RM,
        reply={"name": "my model"},
        expected={"name": "my model"},
    ),
    Case(
        "update_registered_model",
        lambda h: h.update_registered_model("my model", {"description": "better"}),
        "PATCH",
        RM,
        body={"description": "better"},
        reply={"name": "my model", "description": "better"},
        expected={"name": "my model", "description": "better"},
    ),
    Case(
        "list_registered_model_versions",
        lambda h: h.list_registered_model_versions("my model", offset=2, limit=2),
        "GET",
        RM + "/versions",
        query={"offset": "2", "limit": "2"},
        reply={"items": [{"modelVersion": 3}], "metadata": {"offset": 2, "limit": 2, "totalCount": 3}},
        expected=[{"modelVersion": 3}],
    ),
    Case(
        "create_registered_model_version",
        lambda h: h.create_registered_model_version(
            "my model", experiment_run_id="run-2", artifact_path="model", description="v2"
        ),
        "POST",
        RM + "/versions",
        body={"experimentRunId": "run-2", "artifact": "model", "description": "v2", "source": {"runId": "run-2"}},
        status=201,
        reply={"modelVersion": 2},
        expected={"modelVersion": 2},
    ),
    Case(
        "get_registered_model_version",
        lambda h: h.get_registered_model_version("my model", 3),
        "GET",
        RM + "/versions/3",
        reply={"modelVersion": 3},
        expected={"modelVersion": 3},
    ),
    Case(
        "list_registered_model_version_model_apis",
        lambda h: h.list_registered_model_version_model_apis("my model", 3),
        "GET",
        RM + "/versions/3/modelapis",
        reply={"items": [_API]},
        expected=[_API],
    ),
    # --- calling models: only the model access token
    Case(
        "predict",
        lambda h: h.predict("ma-1", data={"x": 1, "y": 2}),
        "POST",
        "/models/ma-1/latest/model",
        body={"data": {"x": 1, "y": 2}},
        auth="basic",
        reply={"result": {"sum": 3}},
        expected={"result": {"sum": 3}},
    ),
    Case(
        "predict_url_parameters_access_token",
        lambda h: h.predict(url=MODEL_URL, parameters=[1, 2], access_token="ARG-TOKEN-1"),
        "POST",
        "/models/ma-1/latest/model",
        body={"parameters": [1, 2]},
        auth="basic",
        host="https://models.example.com",
        token="ARG-TOKEN-1",
        reply={"result": 3},
        expected={"result": 3},
    ),
    Case(
        "submit_async_prediction",
        lambda h: h.submit_async_prediction("ma-1", {"input_file": "s3://bucket/data.csv"}),
        "POST",
        "/api/modelApis/async/v1/ma-1",
        body={"parameters": {"input_file": "s3://bucket/data.csv"}},
        auth="bearer",
        reply={"asyncPredictionId": "pr-1"},
        expected={"asyncPredictionId": "pr-1"},
    ),
    Case(
        "get_async_prediction",
        lambda h: h.get_async_prediction("ma-1", "pr-1", access_token="ARG-TOKEN-2"),
        "GET",
        "/api/modelApis/async/v1/ma-1/pr-1",
        auth="bearer",
        token="ARG-TOKEN-2",
        reply={"status": "succeeded", "result": 3},
        expected={"status": "succeeded", "result": 3},
    ),
    # --- Jobs
    Case(
        "start_job",
        lambda h: h.start_job(
            project_id="p-1",
            command="python train.py",
            title="train",
            hardware_tier="small",
            environment_id="env-1",
            commit_id="c-1",
        ),
        "POST",
        "/api/jobs/v1/jobs",
        body={
            "projectId": "p-1",
            "runCommand": "python train.py",
            "title": "train",
            "hardwareTier": "small",
            "environmentId": "env-1",
            "commitId": "c-1",
        },
        reply=_JOB,
        expected=_JOB,
    ),
    Case(
        "list_jobs",
        lambda h: h.list_jobs("p-1", limit=5),
        "GET",
        "/api/jobs/beta/jobs",
        query={"projectId": "p-1", "offset": "0", "limit": "5"},
        reply={"jobs": [], "items": [_JOB["job"]]},
        expected=[_JOB["job"]],
    ),
    Case("get_job", lambda h: h.get_job("j-1"), "GET", "/api/jobs/beta/jobs/j-1", reply=_JOB, expected=_JOB),
    Case(
        "get_job_logs",
        lambda h: h.get_job_logs("j-1", log_type="stdOut"),
        "GET",
        "/api/jobs/beta/jobs/j-1/logs",
        query={"logType": "stdOut"},
        reply={"logContent": [{"log": "epoch 1", "logType": "stdOut"}], "isComplete": True},
        expected={"logContent": [{"log": "epoch 1", "logType": "stdOut"}], "isComplete": True},
    ),
    Case(
        "stop_job",
        lambda h: h.stop_job("j-1", "p-1", commit_results=True),
        "POST",
        "/v4/jobs/stop",
        body={"projectId": "p-1", "jobId": "j-1", "commitResults": True},
        status=204,
    ),
]
