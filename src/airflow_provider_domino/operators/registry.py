"""Operators for the Model Registry: register a model, add a version to a registered model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_domino._client import shapes
from airflow_provider_domino._client.errors import DominoNotFoundError, DominoOutcomeUnknownError
from airflow_provider_domino.assets import is_literal, registered_model_asset
from airflow_provider_domino.operators._base import (
    DominoBaseOperator,
    has_marker,
    refused_input,
    task_marker,
    with_marker,
)


def _version_of(item: Mapping[str, Any]) -> int | None:
    for key in ("modelVersion", "version", "number"):
        value = item.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _description_of(item: Mapping[str, Any]) -> str | None:
    return item.get("modelVersionDescription") or item.get("description")


def find_marked_model_version(
    hook: Any, model_name: str, marker: str, experiment_run_id: str | None = None
) -> int | None:
    """The registered model version whose description carries ``marker`` (``None`` if none, or no model).

    Versions of another experiment run than ``experiment_run_id`` (when given) are skipped. Domino's version
    list (``RegisteredModelVersionOverview``) holds no description, so a listed version without one is read
    in full, newest first.
    """
    try:
        versions = list(hook.iter_registered_model_versions(model_name))
    except DominoNotFoundError:
        return None
    for item in sorted(versions, key=lambda v: _version_of(v) or 0, reverse=True):
        run_id = item.get("experimentRunId")
        if experiment_run_id and run_id and run_id != experiment_run_id:
            continue
        number = _version_of(item)
        description = _description_of(item)
        if description is None and number is not None:
            description = _description_of(hook.get_registered_model_version(model_name, number))
        if has_marker(description, marker):
            return number
    return None


class _RegistryOperator(DominoBaseOperator):
    """Shared by the registry operators. Their outlet is the Asset ``domino://models/<model_name>`` (when the
    name is a literal string and no ``outlets`` are given), so a DAG can be scheduled on new versions."""

    template_fields: Sequence[str] = (
        "model_name",
        "experiment_run_id",
        "artifact_path",
        "experiment_id",
        "description",
    )

    def __init__(
        self,
        *,
        model_name: str,
        experiment_run_id: str,
        artifact_path: str | None = None,
        experiment_id: str | None = None,
        description: str = "",
        **kwargs: Any,
    ) -> None:
        if "outlets" not in kwargs and is_literal(model_name):
            kwargs["outlets"] = [registered_model_asset(model_name)]
        super().__init__(**kwargs)
        self.model_name = model_name
        self.experiment_run_id = experiment_run_id
        self.artifact_path = artifact_path
        self.experiment_id = experiment_id
        self.description = description

    def _version_fields(self, marker: str) -> dict[str, Any]:
        return {
            "experiment_run_id": self.experiment_run_id,
            "artifact_path": self.artifact_path,
            "experiment_id": self.experiment_id,
            "description": with_marker(self.description, marker),
        }

    def _check(self, marker: str) -> None:
        with refused_input():
            from airflow_provider_domino._client.wire import check_id

            check_id("model_name", self.model_name)
            shapes.registered_model_version_body(**self._version_fields(marker))

    def _find(self, marker: str) -> int | None:
        return find_marked_model_version(self.hook, self.model_name, marker, self.experiment_run_id)

    def _add_version(self, marker: str) -> dict[str, Any]:
        """A new version of an existing registered model (or the one an earlier try added)."""
        found = self._find(marker)
        if found is not None:
            self.log.info("Found version %s of %s registered by an earlier try of this task", found, self.model_name)
            return {"model_name": self.model_name, "model_version": found}
        try:
            body = self.hook.create_registered_model_version(self.model_name, **self._version_fields(marker))
        except DominoOutcomeUnknownError as exc:
            found = self._find(marker)
            if found is None:
                raise AirflowException(f"No version of {self.model_name} was registered: {exc}") from exc
            return {"model_name": self.model_name, "model_version": found}
        name, version = shapes.registered_model_and_version(body, self.model_name)
        self.log.info("Registered version %s of model %s", version, name)
        return {"model_name": name, "model_version": version}


class RegisterModelOperator(_RegistryOperator):
    """Register a model (from an experiment run's artifact) in Domino's Model Registry.

    A model that is not registered yet is registered; an existing one gets a new version. Retry-safe: a
    retried try finds the version its task instance registered. Returns ``{"model_name", "model_version"}``.

    .. code-block:: python

        RegisterModelOperator(
            task_id="register", model_name="churn classifier",
            experiment_run_id="{{ ti.xcom_pull('train')['job_id'] }}", artifact_path="model.json",
        )
    """

    template_fields: Sequence[str] = (*_RegistryOperator.template_fields, "project_id")

    def __init__(self, *, project_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id

    def execute(self, context: Any) -> dict[str, Any]:
        marker = task_marker(context)
        self._check(marker)
        try:
            self.hook.get_registered_model(self.model_name)
        except DominoNotFoundError:
            pass
        else:
            return self._add_version(marker)
        try:
            body = self.hook.register_model(
                name=self.model_name,
                experiment_run_id=self.experiment_run_id,
                experiment_id=self.experiment_id,
                artifact_path=self.artifact_path,
                description=with_marker(self.description, marker),
                project_id=self.project_id,
            )
        except DominoOutcomeUnknownError as exc:
            self.log.warning("Registering %s: %s; looking it up", self.model_name, exc)
            found = self._find(marker)
            if found is None:
                raise AirflowException(f"Model {self.model_name} was not registered: {exc}") from exc
            return {"model_name": self.model_name, "model_version": found}
        name, version = shapes.registered_model_and_version(body, self.model_name)
        if version is None:
            version = find_marked_model_version(self.hook, name, marker, self.experiment_run_id) or 1
        self.log.info("Registered model %s, version %s", name, version)
        return {"model_name": name, "model_version": version}


class CreateRegisteredModelVersionOperator(_RegistryOperator):
    """Add a version to a registered model. Returns ``{"model_name", "model_version"}``."""

    def execute(self, context: Any) -> dict[str, Any]:
        marker = task_marker(context)
        self._check(marker)
        return self._add_version(marker)
