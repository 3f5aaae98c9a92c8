"""Every trigger serializes to plain data and rebuilds from it (as the triggerer does), and never shows a token."""

from __future__ import annotations

import json

import pytest

try:
    from airflow.sdk.serde import deserialize, serialize
except ImportError:  # Airflow 2.11 stores trigger kwargs with BaseSerialization
    from airflow.serialization.serialized_objects import BaseSerialization

    serialize, deserialize = BaseSerialization.serialize, BaseSerialization.deserialize

from airflow_provider_domino.triggers import (
    AsyncPredictionTrigger,
    DeploymentTrigger,
    DominoPollingTrigger,
    JobTrigger,
    ModelApiVersionTrigger,
)

COMMON = {"domino_conn_id": "domino_prod", "poll_interval": 2.5, "carry": {"model_api_id": "api-1", "url": "http://x"}}

TRIGGERS = {
    ModelApiVersionTrigger: ModelApiVersionTrigger(
        model_api_id="api-1", version_id="ver-1", target_statuses=("Running", "Ready to run"), **COMMON
    ),
    DeploymentTrigger: DeploymentTrigger(
        deployment_id="dep-1", target_statuses=("RUNNING",), pending_until={"STOPPED": 1780000000.5}, **COMMON
    ),
    AsyncPredictionTrigger: AsyncPredictionTrigger(
        model_api_id="api-1", prediction_id="pred-1", access_token="MTOK-secret-4d1e9a", **COMMON
    ),
    JobTrigger: JobTrigger(job_id="job-1", project_id="churn", **COMMON),
}


def import_classpath(classpath: str) -> type:
    from importlib import import_module

    module, _, name = classpath.rpartition(".")
    return getattr(import_module(module), name)


def test_every_trigger_class_is_covered():
    assert set(DominoPollingTrigger.__subclasses__()) == set(TRIGGERS)


@pytest.mark.parametrize("trigger", TRIGGERS.values(), ids=lambda t: type(t).__name__)
def test_serialize_then_rebuild_from_the_classpath_gives_the_same_trigger(trigger):
    classpath, kwargs = trigger.serialize()
    cls = import_classpath(classpath)
    assert cls is type(trigger)
    assert classpath.startswith("airflow_provider_domino.triggers.")

    # Plain data: it survives JSON and Airflow's serde (what the triggerer and dag.test() store and read back).
    through_json = json.loads(json.dumps(kwargs))
    through_serde = deserialize(serialize(kwargs))
    for rebuilt_kwargs in (kwargs, through_json, through_serde):
        rebuilt = cls(**rebuilt_kwargs)
        assert rebuilt.serialize() == (classpath, kwargs)

    assert kwargs["carry"] == COMMON["carry"]
    assert kwargs["domino_conn_id"] == "domino_prod"
    assert kwargs["poll_interval"] == 2.5


def test_defaults_survive_the_round_trip():
    trigger = ModelApiVersionTrigger(model_api_id="api-1", version_id="ver-1")
    classpath, kwargs = trigger.serialize()
    assert kwargs["target_statuses"] == ["Running"]
    assert kwargs["domino_conn_id"] == "domino_default"
    assert kwargs["carry"] == {}
    assert import_classpath(classpath)(**kwargs).serialize() == (classpath, kwargs)


@pytest.mark.parametrize("cls", list(TRIGGERS), ids=lambda c: c.__name__)
def test_a_missing_id_is_refused_naming_it(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__} needs {cls.id_fields[0]}"):
        cls()


def test_repr_of_an_async_prediction_trigger_hides_the_access_token():
    trigger = TRIGGERS[AsyncPredictionTrigger]
    text = repr(trigger)
    assert "MTOK-secret-4d1e9a" not in text
    assert "access_token=***" in text
    assert "prediction_id=pred-1" in text
    # The token is still serialized: the rebuilt trigger needs it to poll.
    assert trigger.serialize()[1]["access_token"] == "MTOK-secret-4d1e9a"
    assert "access_token" not in repr(AsyncPredictionTrigger(model_api_id="api-1", prediction_id="pred-1"))
