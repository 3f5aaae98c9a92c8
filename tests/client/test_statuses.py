"""The status vocabularies: one outcome per status of each resource kind, compared case-insensitively."""

from __future__ import annotations

import pytest

from airflow_provider_domino._client import statuses
from airflow_provider_domino._client.errors import DominoInputError


@pytest.mark.parametrize(
    ("kind", "status", "outcome"),
    [
        ("model_api_version", "Running", "success"),
        ("model_api_version", "RUNNING", "success"),
        ("model_api_version", "  running \n", "success"),
        ("model_api_version", "Preparing to build", "pending"),
        ("model_api_version", "building", "pending"),
        ("model_api_version", "Ready to run", "pending"),
        ("model_api_version", "Failed", "failure"),
        ("model_api_version", "STALLED", "failure"),
        ("model_api_version", "Unreachable", "failure"),
        ("build_log", "complete", "success"),
        ("build_log", "COMPLETE", "success"),
        ("build_log", "Building", "pending"),
        ("build_log", "failed", "failure"),
        ("deployment", "RUNNING", "success"),
        ("deployment", "starting", "pending"),
        ("deployment", "UPDATING", "pending"),
        ("deployment", "FAILED", "failure"),
        ("deployment", "DELETED", "failure"),
        ("async_prediction", "COMPLETED", "success"),
        ("async_prediction", "succeeded", "success"),
        ("async_prediction", "Succeeded", "success"),
        ("async_prediction", "queued", "pending"),
        ("async_prediction", "Processing", "pending"),
        ("async_prediction", "FAILED", "failure"),
        ("job", "Succeeded", "success"),
        ("job", "completed", "success"),
        ("job", "Queued", "pending"),
        ("job", "running", "pending"),
        ("job", "Error", "failure"),
        ("job", "Stopped", "failure"),
    ],
)
def test_outcome_of_each_kind_ignores_case_and_whitespace(kind, status, outcome) -> None:
    vocab = statuses.vocabulary(kind)
    assert vocab.outcome(status) == outcome
    assert vocab.is_success(status) is (outcome == "success")
    assert vocab.is_failure(status) is (outcome == "failure")
    assert vocab.is_pending(status) is (outcome == "pending")


@pytest.mark.parametrize("status", [None, "", "Exploding", "runn ing"])
def test_unheard_of_statuses_are_unknown_not_pending(status) -> None:
    for vocab in statuses.VOCABULARIES.values():
        assert vocab.outcome(status) == "unknown"


def test_no_status_is_both_success_and_failure_in_any_kind() -> None:
    for vocab in statuses.VOCABULARIES.values():
        assert not (vocab.success & vocab.failure), vocab.kind
        assert not (vocab.success & vocab.pending), vocab.kind


def test_a_finished_build_includes_ready_to_run_and_running() -> None:
    assert {"ready to run", "running"} <= statuses.MODEL_API_BUILD_DONE
    assert "building" not in statuses.MODEL_API_BUILD_DONE


def test_unknown_kind_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="model_api_version"):
        statuses.vocabulary("teapot")


def test_matches_compares_case_insensitively() -> None:
    assert statuses.matches("RUNNING", ["Running"])
    assert statuses.matches(" stopped ", ["Running", "Stopped"])
    assert not statuses.matches(None, ["Running"])


def test_check_targets_accepts_known_statuses_in_any_case() -> None:
    assert statuses.check_targets("deployment", ["running", "STOPPED"]) == ("running", "STOPPED")
    assert statuses.check_targets("job", "Succeeded") == ("Succeeded",)


@pytest.mark.parametrize(
    ("targets", "problem"),
    [([], "at least one"), (["Runing"], "'Runing'"), (["Running", 3], "3")],
)
def test_check_targets_errors_name_the_field(targets, problem) -> None:
    with pytest.raises(DominoInputError) as caught:
        statuses.check_targets("model_api_version", targets, field="target_statuses")
    assert caught.value.field == "target_statuses"
    assert problem in str(caught.value)


def test_check_targets_names_a_custom_field_and_the_kind() -> None:
    with pytest.raises(DominoInputError) as caught:
        statuses.check_targets("async_prediction", ["Done"], field="success_statuses")
    assert str(caught.value).startswith("success_statuses:")
    assert "async prediction" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "pending_until", "now", "ended"),
    [
        ("STOPPED", {}, 100.0, True),  # a failure with no grace ends the wait
        ("stopped", {"STOPPED": 160.0}, 100.0, False),  # inside the grace it is still pending (any case)
        ("STOPPED", {"stopped": 160.0}, 160.0, True),  # the grace is over
        ("FAILED", {"STOPPED": 160.0}, 100.0, True),  # the grace covers only the statuses it names
        ("STARTING", {}, 100.0, False),  # pending statuses never end a wait
        ("RUNNING", {"RUNNING": 0.0}, 100.0, False),  # nor do successes
        (None, {}, 100.0, False),
    ],
)
def test_ended_honours_a_grace_for_failure_statuses(status, pending_until, now, ended) -> None:
    assert statuses.ended(statuses.DEPLOYMENT, status, pending_until, now) is ended
