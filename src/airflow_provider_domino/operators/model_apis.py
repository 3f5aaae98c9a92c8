"""Operators for Model APIs and their versions: deploy, add a version, update, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, ResumableJobMixin

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.errors import DominoNotFoundError, DominoOutcomeUnknownError
from airflow_provider_domino.assets import is_literal, model_api_asset
from airflow_provider_domino.operators._base import (
    DominoBaseOperator,
    check_choice,
    has_marker,
    refused_input,
    task_marker,
    with_marker,
)
from airflow_provider_domino.operators.links import MODEL_API_LINK_KEY, DominoModelApiLink, model_api_ui_url

IF_EXISTS = ("new_version", "reuse", "fail")
BUILD_LOG_TAIL = 40


class _VersionWaitMixin(ResumableJobMixin, DominoBaseOperator):
    """Making a Model API version and waiting for its status, on the worker or in the triggerer.

    Subclasses make (or find) the version in :meth:`start_version`. A wait on the worker goes through
    ``ResumableJobMixin``: on Airflow 3.3+ the version's ids are kept in the task state store, so a retried
    try reconnects to the build instead of starting another; below 3.3 the retry marker finds it.
    """

    external_id_key = "domino_model_api_version"
    _result: dict[str, Any] | None = None
    _marker: str = ""
    _targets: tuple[str, ...] = ("Running",)

    def start_version(self, context: Any) -> dict[str, Any]:
        """Make (or find) the version; return the result dict (``model_api_id``, ``version_id``, ...)."""
        raise NotImplementedError

    def result_for(self, model_api_id: str, version_id: str) -> dict[str, Any]:
        """The result dict of a version this task did not make in this try (a reconnect)."""
        return {"model_api_id": model_api_id, "version_id": version_id}

    def push_link(self, context: Any, model_api_id: str) -> None:
        context["ti"].xcom_push(key=MODEL_API_LINK_KEY, value=model_api_ui_url(self.hook.ui_url, model_api_id))

    def run_version(self, context: Any, targets: tuple[str, ...], wait: bool) -> dict[str, Any]:
        self._targets = targets
        if not wait:
            result = self.start_version(context)
            version = self.hook.get_model_api_version(result["model_api_id"], result["version_id"])
            return {**result, "status": shapes.version_status(version)}
        if self.deferrable:
            return self.finish_version(context, self.start_version(context), targets)
        out = self.execute_resumable(context)
        if out is None and self._waiting:  # the mixin returns None when it reconnected to a running build
            out = self.get_job_result({"model_api_id": self._waiting[0], "version_id": self._waiting[1]}, context)
        return out

    def version_failed(self, model_api_id: str, version_id: str, status: str | None) -> AirflowFailException:
        tail = self.hook.build_log_tail(model_api_id, version_id, BUILD_LOG_TAIL)
        return AirflowFailException(
            f"Model API {model_api_id} version {version_id} ended {status}. Last lines of its build log:\n{tail}"
        )

    def _status(self, model_api_id: str, version_id: str) -> str | None:
        return shapes.version_status(self.hook.get_model_api_version(model_api_id, version_id))

    def finish_version(self, context: Any, result: dict[str, Any], targets: tuple[str, ...]) -> dict[str, Any]:
        """Return ``result`` with the version's status once it is a target (checked once, then deferred)."""
        model_api_id, version_id = result["model_api_id"], result["version_id"]
        current = self._status(model_api_id, version_id)
        if statuses.matches(current, targets):
            return {**result, "status": current}
        if statuses.MODEL_API_VERSION.is_failure(current):
            raise self.version_failed(model_api_id, version_id, current)
        from airflow_provider_domino.triggers import ModelApiVersionTrigger

        self.defer_to(
            ModelApiVersionTrigger(
                domino_conn_id=self.domino_conn_id,
                poll_interval=self.poll_interval,
                target_statuses=targets,
                model_api_id=model_api_id,
                version_id=version_id,
                carry=result,
            ),
        )
        raise AssertionError("unreachable")  # pragma: no cover

    # --- ResumableJobMixin: the "job" is the version's build and start --------------------------------

    _waiting: tuple[str, str] | None = None

    def submit_job(self, context: Any) -> Any:
        self._result = self.start_version(context)
        return {"model_api_id": self._result["model_api_id"], "version_id": self._result["version_id"]}

    def get_job_status(self, external_id: Any, context: Any) -> str:
        return self._status(external_id["model_api_id"], external_id["version_id"]) or ""

    def is_job_active(self, status: str) -> bool:
        return not statuses.matches(status, self._targets) and not statuses.MODEL_API_VERSION.is_failure(status)

    def is_job_succeeded(self, status: str) -> bool:
        return statuses.matches(status, self._targets)

    def poll_until_complete(self, external_id: Any, context: Any) -> None:
        model_api_id, version_id = external_id["model_api_id"], external_id["version_id"]
        self._waiting = (model_api_id, version_id)
        self.wait_for_status(
            lambda: self._status(model_api_id, version_id),
            "model_api_version",
            self._targets,
            f"Model API {model_api_id} version {version_id}",
        )

    def get_job_result(self, external_id: Any, context: Any) -> dict[str, Any]:
        model_api_id, version_id = external_id["model_api_id"], external_id["version_id"]
        result = self._result or self.result_for(model_api_id, version_id)
        self.push_link(context, model_api_id)
        return {**result, "status": self._status(model_api_id, version_id)}

    def failed(self, status: str | None, what: str) -> Exception:
        if self._waiting:
            return self.version_failed(self._waiting[0], self._waiting[1], status)
        return super().failed(status, what)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        result = dict((event or {}).get("carry") or {})
        if event and event.get("status") == "failure":
            raise self.version_failed(event["model_api_id"], event["version_id"], event.get("domino_status"))
        event = self.event_or_fail(event, f"Model API {result.get('model_api_id')} version {result.get('version_id')}")
        return {**result, "status": event.get("domino_status")}


def find_marked_version(hook: Any, model_api_id: str, marker: str) -> Mapping[str, Any] | None:
    """The newest version of a Model API whose description carries ``marker``."""
    found = [v for v in hook.iter_model_api_versions(model_api_id) if has_marker(shapes.version_description(v), marker)]
    return max(found, key=shapes.version_number) if found else None


def latest_version_id(hook: Any, model_api: Mapping[str, Any]) -> str | None:
    active = shapes.active_version_id(model_api)
    if active:
        return active
    versions = list(hook.iter_model_api_versions(model_api["id"]))
    return str(max(versions, key=shapes.version_number)["id"]) if versions else None


class DeployModelApiOperator(_VersionWaitMixin):
    """Deploy a model file of a Domino project as a Model API, and wait until it serves.

    Creates the Model API (which builds its first version), or, when the project already has a Model API of
    that name, acts as ``if_exists`` says: ``"new_version"`` (default) builds a new version of it,
    ``"reuse"`` keeps its current version, ``"fail"`` fails the task. Retries are safe: a retried try (or
    one whose create answer was lost) finds the Model API and version its task instance already made.

    Returns ``{"model_api_id", "version_id", "url", "status"}``. Its outlet is the Asset
    ``domino://model-apis/<project_id>/<name>`` (when both are literal strings and no ``outlets`` are given).

    .. code-block:: python

        deploy = DeployModelApiOperator(
            task_id="deploy",
            project_id="churn-project",
            name="churn",
            model_file="model.py",
            model_function="predict",
            environment_id="env-789",
            hardware_tier_id="small",
            deferrable=True,
        )
        smoke = PredictOperator(task_id="smoke", model_api_id=deploy.output["model_api_id"], data={"x": 1})

    :param project_id: the Domino project holding the model file.
    :param name: the Model API's name (unique within the project).
    :param model_file: path of the model's Python file in the project.
    :param model_function: the function in ``model_file`` that answers predictions.
    :param environment_id: the compute environment to build the model with.
    :param hardware_tier_id: the hardware tier to serve on.
    :param description: the Model API's description.
    :param version_description: the new version's description (a retry marker is appended to it).
    :param replicas: how many instances serve the model.
    :param environment_variables: variables set for the model's process.
    :param if_exists: ``"new_version"``, ``"reuse"`` or ``"fail"`` (see above).
    :param wait_for_running: wait until the version's status is one of ``target_statuses``.
    :param target_statuses: the statuses that end the wait (default ``("Running",)``).
    """

    template_fields: Sequence[str] = (
        "project_id",
        "name",
        "model_file",
        "model_function",
        "environment_id",
        "hardware_tier_id",
        "description",
        "version_description",
        "replicas",
        "environment_variables",
        "if_exists",
    )
    operator_extra_links = (DominoModelApiLink(),)
    ui_color = "#2d7ff9"

    def __init__(
        self,
        *,
        project_id: str,
        name: str,
        model_file: str,
        model_function: str,
        environment_id: str,
        hardware_tier_id: str | None = None,
        description: str = "",
        version_description: str = "",
        replicas: int | None = None,
        environment_variables: dict[str, str] | None = None,
        if_exists: str = "new_version",
        wait_for_running: bool = True,
        target_statuses: Sequence[str] = ("Running",),
        **kwargs: Any,
    ) -> None:
        if "outlets" not in kwargs and is_literal(project_id, name):
            kwargs["outlets"] = [model_api_asset(project_id, name)]
        super().__init__(**kwargs)
        self.project_id = project_id
        self.name = name
        self.model_file = model_file
        self.model_function = model_function
        self.environment_id = environment_id
        self.hardware_tier_id = hardware_tier_id
        self.description = description
        self.version_description = version_description
        self.replicas = replicas
        self.environment_variables = environment_variables
        self.if_exists = if_exists
        self.wait_for_running = wait_for_running
        self.target_statuses = target_statuses

    def _fields(self, marker: str) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "name": self.name,
            "model_file": self.model_file,
            "model_function": self.model_function,
            "environment_id": self.environment_id,
            "hardware_tier_id": self.hardware_tier_id,
            "description": self.description,
            "replicas": self.replicas,
            "environment_variables": self.environment_variables,
            "version_description": with_marker(self.version_description, marker, field="version_description"),
        }

    def execute(self, context: Any) -> dict[str, Any]:
        marker = task_marker(context)
        with refused_input():
            check_choice("if_exists", self.if_exists, IF_EXISTS)
            targets = statuses.check_targets("model_api_version", self.target_statuses)
            self.check_wait_settings()
            shapes.model_api_body(**self._fields(marker))  # every field checked before any request
        self._marker = marker
        return self.run_version(context, targets, self.wait_for_running)

    def start_version(self, context: Any) -> dict[str, Any]:
        model_api, version_id = self._ensure(self._marker)
        model_api_id = str(model_api["id"])
        self.push_link(context, model_api_id)
        self.log.info("Model API %s (%s), version %s", self.name, model_api_id, version_id)
        return {
            "model_api_id": model_api_id,
            "version_id": version_id,
            "url": self.hook.model_url(model_api),
            "status": shapes.model_api_status(model_api),
        }

    def result_for(self, model_api_id: str, version_id: str) -> dict[str, Any]:
        model_api = self.hook.get_model_api(model_api_id)
        return {"model_api_id": model_api_id, "version_id": version_id, "url": self.hook.model_url(model_api)}

    def _ensure(self, marker: str) -> tuple[Mapping[str, Any], str]:
        """The Model API and version this task instance deploys, creating them only when no try has."""
        hook = self.hook
        existing = hook.find_model_apis(self.project_id, self.name)
        if not existing:
            try:
                created = hook.create_model_api(**self._fields(marker))
            except DominoOutcomeUnknownError as exc:
                self.log.warning("Creating Model API %s: %s; looking it up", self.name, exc)
                existing = hook.find_model_apis(self.project_id, self.name)
                if not existing:
                    raise AirflowException(f"Model API {self.name} was not created: {exc}") from exc
            else:
                model_api_id = str(created["id"])
                version = find_marked_version(hook, model_api_id, marker)
                version_id = str(version["id"]) if version else latest_version_id(hook, created)
                if not version_id:
                    raise AirflowException(f"Model API {model_api_id} was created without a version")
                self.log.info("Created Model API %s (%s)", self.name, model_api_id)
                return created, version_id
        if len(existing) > 1:
            self.log.warning(
                "Project %s has %d Model APIs named %s; using %s",
                self.project_id,
                len(existing),
                self.name,
                existing[0]["id"],
            )
        model_api = existing[0]
        model_api_id = str(model_api["id"])
        ours = find_marked_version(hook, model_api_id, marker)
        if ours is not None and not statuses.MODEL_API_VERSION.is_failure(shapes.version_status(ours)):
            self.log.info("Found version %s made by an earlier try of this task; carrying on with it", ours["id"])
            return model_api, str(ours["id"])
        if ours is None and self.if_exists == "fail":
            raise AirflowFailException(
                f"Model API {self.name!r} already exists in project {self.project_id} (id {model_api_id}) and if_exists='fail'"
            )
        if ours is None and self.if_exists == "reuse":
            version_id = latest_version_id(hook, model_api)
            if not version_id:
                raise AirflowException(f"Model API {model_api_id} has no version to reuse")
            self.log.info("Reusing Model API %s version %s", model_api_id, version_id)
            return model_api, version_id
        return model_api, self._new_version(model_api_id, marker)

    def _new_version(self, model_api_id: str, marker: str) -> str:
        try:
            version = self.hook.post_model_api_version(
                model_api_id,
                project_id=self.project_id,
                model_file=self.model_file,
                model_function=self.model_function,
                environment_id=self.environment_id,
                description=with_marker(self.version_description, marker, field="version_description"),
            )
        except DominoOutcomeUnknownError as exc:
            self.log.warning("Creating a version of %s: %s; looking it up", model_api_id, exc)
            found = find_marked_version(self.hook, model_api_id, marker)
            if found is None or statuses.MODEL_API_VERSION.is_failure(shapes.version_status(found)):
                raise AirflowException(f"No new version of Model API {model_api_id} was created: {exc}") from exc
            version = found
        self.log.info("Created version %s of Model API %s", version["id"], model_api_id)
        return str(version["id"])


class CreateVersionOperator(_VersionWaitMixin):
    """Build a new version of an existing Model API, and (by default) wait until it runs.

    Retry-safe: a retried try reuses the version its task instance already created (unless it failed).
    Returns ``{"model_api_id", "version_id", "status"}``.

    .. code-block:: python

        CreateVersionOperator(
            task_id="new_version",
            model_api_id="{{ var.value.churn_model_api_id }}",
            model_file="model.py",
            model_function="predict",
            environment_id="env-789",
        )

    :param model_api_id: the Model API to add a version to.
    :param model_file: path of the model's Python file in the project.
    :param model_function: the function in ``model_file`` that answers predictions.
    :param environment_id: the compute environment (the Model API's when not given).
    :param project_id: the project (looked up from the Model API when not given).
    :param description: the version's description (a retry marker is appended to it).
    :param commit_id: build from this commit of the project (e.g. to roll back exactly); the latest otherwise.
    :param wait_for_build: wait until the version's status is one of ``target_statuses``.
    :param target_statuses: the statuses that end the wait (default ``("Running",)``).
    """

    template_fields: Sequence[str] = (
        "model_api_id",
        "model_file",
        "model_function",
        "environment_id",
        "project_id",
        "description",
        "commit_id",
    )
    operator_extra_links = (DominoModelApiLink(),)
    ui_color = "#2d7ff9"

    def __init__(
        self,
        *,
        model_api_id: str,
        model_file: str,
        model_function: str,
        environment_id: str | None = None,
        project_id: str | None = None,
        description: str = "",
        commit_id: str | None = None,
        wait_for_build: bool = True,
        target_statuses: Sequence[str] = ("Running",),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.commit_id = commit_id
        self.model_api_id = model_api_id
        self.model_file = model_file
        self.model_function = model_function
        self.environment_id = environment_id
        self.project_id = project_id
        self.description = description
        self.wait_for_build = wait_for_build
        self.target_statuses = target_statuses

    def execute(self, context: Any) -> dict[str, Any]:
        marker = task_marker(context)
        with refused_input():
            from airflow_provider_domino._client.wire import check_id

            check_id("model_api_id", self.model_api_id)
            targets = statuses.check_targets("model_api_version", self.target_statuses)
            self.check_wait_settings()
            shapes.version_body(
                project_id=self.project_id or "-",
                model_file=self.model_file,
                model_function=self.model_function,
                environment_id=self.environment_id,
                description=self.description,
            )
        self._marker = marker
        return self.run_version(context, targets, self.wait_for_build)

    def start_version(self, context: Any) -> dict[str, Any]:
        hook = self.hook
        marker = self._marker
        self.push_link(context, self.model_api_id)
        ours = find_marked_version(hook, self.model_api_id, marker)
        if ours is not None and not statuses.MODEL_API_VERSION.is_failure(shapes.version_status(ours)):
            self.log.info("Found version %s made by an earlier try of this task; carrying on with it", ours["id"])
            version: Mapping[str, Any] = ours
        else:
            try:
                version = hook.create_model_api_version(
                    self.model_api_id,
                    model_file=self.model_file,
                    model_function=self.model_function,
                    environment_id=self.environment_id,
                    project_id=self.project_id,
                    description=with_marker(self.description, marker),
                    commit_id=self.commit_id or None,
                )
            except DominoOutcomeUnknownError as exc:
                self.log.warning("Creating a version of %s: %s; looking it up", self.model_api_id, exc)
                found = find_marked_version(hook, self.model_api_id, marker)
                if found is None:
                    raise AirflowException(
                        f"No new version of Model API {self.model_api_id} was created: {exc}"
                    ) from exc
                version = found
            self.log.info("Created version %s of Model API %s", version["id"], self.model_api_id)
        return {
            "model_api_id": self.model_api_id,
            "version_id": str(version["id"]),
            "status": shapes.version_status(version),
        }


class UpdateModelApiOperator(DominoBaseOperator):
    """Change settings of a Model API (name, description, environment, replicas, hardware tier).

    Fields left ``None`` keep their current values. Returns ``{"model_api_id", "name", "replicas"}``.

    .. code-block:: python

        UpdateModelApiOperator(task_id="scale", model_api_id="{{ ti.xcom_pull('deploy')['model_api_id'] }}", replicas=3)
    """

    template_fields: Sequence[str] = (
        "model_api_id",
        "name",
        "description",
        "environment_id",
        "replicas",
        "hardware_tier_id",
    )

    def __init__(
        self,
        *,
        model_api_id: str,
        name: str | None = None,
        description: str | None = None,
        environment_id: str | None = None,
        replicas: int | None = None,
        hardware_tier_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_api_id = model_api_id
        self.name = name
        self.description = description
        self.environment_id = environment_id
        self.replicas = replicas
        self.hardware_tier_id = hardware_tier_id

    def execute(self, context: Any) -> dict[str, Any]:
        changes = {
            k: v
            for k, v in {
                "name": self.name,
                "description": self.description,
                "environment_id": self.environment_id,
                "replicas": self.replicas,
                "hardware_tier_id": self.hardware_tier_id,
            }.items()
            if v is not None
        }
        with refused_input():
            from airflow_provider_domino._client.wire import check_id

            check_id("model_api_id", self.model_api_id)
            if not changes:
                raise shapes.DominoInputError(
                    "name",
                    "nothing to update",
                    "set at least one of name, description, environment_id, replicas, hardware_tier_id",
                )
            shapes.model_api_update_body({}, changes)
        updated = self.hook.update_model_api(self.model_api_id, **changes)
        self.log.info("Updated Model API %s: %s", self.model_api_id, sorted(changes))
        return {"model_api_id": self.model_api_id, "name": updated.get("name"), "replicas": updated.get("replicas")}


class DeleteModelApiOperator(DominoBaseOperator):
    """Delete (archive) a Model API. A Model API that is already gone counts as deleted unless
    ``ignore_missing=False``. Returns ``{"model_api_id", "deleted"}``."""

    template_fields: Sequence[str] = ("model_api_id",)

    def __init__(self, *, model_api_id: str, ignore_missing: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_api_id = model_api_id
        self.ignore_missing = ignore_missing

    def execute(self, context: Any) -> dict[str, Any]:
        with refused_input():
            from airflow_provider_domino._client.wire import check_id

            check_id("model_api_id", self.model_api_id)
        try:
            self.hook.delete_model_api(self.model_api_id)
        except DominoNotFoundError:
            if not self.ignore_missing:
                raise
            self.log.info("Model API %s does not exist; nothing to delete", self.model_api_id)
            return {"model_api_id": self.model_api_id, "deleted": False}
        self.log.info("Deleted Model API %s", self.model_api_id)
        return {"model_api_id": self.model_api_id, "deleted": True}
