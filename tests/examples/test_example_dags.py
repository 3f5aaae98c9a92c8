"""Every example DAG runs to success under ``dag.test()`` against the emulator, in both dialects."""

from __future__ import annotations

import pytest
from exampleutil import MODEL_NAME, PROJECT_ID, asset_events, load_example, register_assets

from airflow_provider_domino.hooks.domino import DominoHook
from dagutil import RESULTS, collector, run, states, task_log

# A candidate model that was trained badly: the canary must catch it.
BAD_MODEL_PY = """
def predict(x):
    return {"prediction": 2.0 * float(x)}
"""


def live_versions(domino, model_api_id):
    return sorted(
        (v for v in domino.state()["versions"] if v.get("modelApiId") == model_api_id), key=lambda v: v["number"]
    )


def test_train_register_deploy_trains_registers_deploys_and_answers_about_32(domino, run_dag, capfd):
    dag = load_example("domino_train_register_deploy").dag
    register_assets(dag)

    dag_run = run(run_dag, dag)

    assert set(states(dag_run).values()) == {"success"}, states(dag_run)
    log = task_log(capfd)
    assert "training RMSE" in log  # the job's output, copied into the task log
    assert "Prediction for x=10: 32.0" in log
    state = domino.state()
    [model_api] = [a for a in state["modelApis"] if not a.get("isArchived")]
    assert model_api["name"] == MODEL_NAME
    assert [m["name"] for m in state["registeredModels"]] == [MODEL_NAME]
    assert [j["status"] for j in state["jobs"]] == ["Succeeded"]
    # The register task's outlet: the event that starts domino_scheduled_redeploy.
    assert {"source_dag_id": dag.dag_id, "source_task_id": "register"} in asset_events("domino://models/demo-linear")
    answer = DominoHook().predict(model_api["id"], data={"x": 10})["result"]["prediction"]
    assert answer == pytest.approx(32.0, abs=0.5)


def test_scheduled_redeploy_keeps_a_good_new_version(domino, deployed, run_dag, capfd):
    dag = load_example("domino_scheduled_redeploy").dag

    dag_run = run(run_dag, dag)

    assert states(dag_run) == {
        "read_current": "success",
        "baseline": "success",
        "new_version": "success",
        "canary": "success",
        "decide": "success",
        "keep": "success",
        "rollback": "skipped",
    }
    versions = live_versions(domino, deployed["model_api_id"])
    assert [v["number"] for v in versions] == [1, 2]
    assert f"Decision: keeping version {versions[1]['id']}" in task_log(capfd)
    assert str(versions[1]["status"]).lower() == "running"


def test_scheduled_redeploy_rolls_back_a_bad_new_version(domino, deployed, projects_dir, run_dag, capfd):
    (projects_dir / PROJECT_ID / "model_bad.py").write_text(BAD_MODEL_PY)
    dag = load_example("domino_scheduled_redeploy").dag

    dag_run = run(run_dag, dag, run_conf={"model_file": "model_bad.py"})

    assert states(dag_run)["keep"] == "skipped", states(dag_run)
    assert states(dag_run)["rollback"] == "success", states(dag_run)
    log = task_log(capfd)
    assert "answered 20.0000" in log  # the bad candidate's canary answer for x=10
    assert f"Decision: rolling back to version 1 ({deployed['version_id']})" in log
    versions = live_versions(domino, deployed["model_api_id"])
    assert [(v["number"], v["source"]["file"]) for v in versions] == [
        (1, "model.py"),
        (2, "model_bad.py"),
        (3, "model.py"),
    ]
    answer = DominoHook().predict(deployed["model_api_id"], data={"x": 10})["result"]["prediction"]
    assert answer == pytest.approx(32.0, abs=0.5)


def test_async_batch_scoring_maps_one_prediction_per_record_and_gathers_them(domino, deployed, run_dag, capfd):
    dag = load_example("domino_async_batch_scoring").dag
    collector(dag, dag.get_task("summarise"), "summary")
    xs = [0, 1, 2.5, -4, 10]

    dag_run = run(run_dag, dag, run_conf={"xs": xs})

    tis = dag_run.get_task_instances()
    assert {ti.state for ti in tis} == {"success"}, states(dag_run)
    assert sorted(ti.map_index for ti in tis if ti.task_id == "wait_result") == [0, 1, 2, 3, 4]
    summary = RESULTS["summary"]
    assert [row["x"] for row in summary["scored"]] == xs
    for row in summary["scored"]:
        assert row["prediction"] == pytest.approx(3 * row["x"] + 2, abs=0.2)
    assert len(domino.state()["predictions"]) == len(xs)
    assert "Scored 5 records" in task_log(capfd)
