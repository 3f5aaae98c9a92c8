"""The example DAG files import cleanly: no import errors and no warnings, on the Airflow line under test.

The DagBag is filled in a fresh interpreter, so every module the examples import is imported for real (in
this session other tests may have imported them already). Airflow's own base modules are imported before
warnings are recorded: Airflow 2.11 warns about its metrics settings when they are first imported, in every
process, with or without these examples.
"""

from __future__ import annotations

import json
import subprocess
import sys

from exampleutil import EXAMPLE_DAGS, asset_uris, load_example

EXAMPLES = {"domino_train_register_deploy", "domino_scheduled_redeploy", "domino_async_batch_scoring"}

PARSE = r"""
import inspect, json, sys, warnings

import airflow.sensors.base  # noqa: F401  (Airflow's own import-time warnings, see the module docstring)

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2.11
    from airflow.models.dagbag import DagBag

kwargs = {"include_examples": False} if "include_examples" in inspect.signature(DagBag).parameters else {}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    bag = DagBag(dag_folder=sys.argv[1], **kwargs)
print(json.dumps({
    "dag_ids": sorted(bag.dag_ids),
    "files": sorted({dag.fileloc for dag in bag.dags.values()}),
    "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "captured_warnings": {str(k): [str(w) for w in v] for k, v in (getattr(bag, "captured_warnings", None) or {}).items()},
    "warnings": [f"{w.category.__name__} at {w.filename}:{w.lineno}: {w.message}" for w in caught],
}))
"""


def test_example_dags_import_without_errors_or_warnings(airflow_home):
    proc = subprocess.run(
        [sys.executable, "-c", PARSE, str(EXAMPLE_DAGS)], capture_output=True, text=True, timeout=240, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])

    assert report["import_errors"] == {}
    assert report["warnings"] == []
    assert report["captured_warnings"] == {}
    assert set(report["dag_ids"]) == EXAMPLES
    # The example project's train.py and model.py are not DAG files.
    assert {f.rsplit("/", 1)[-1] for f in report["files"]} == {f"{name}.py" for name in EXAMPLES}


def test_registering_a_model_version_is_what_schedules_the_redeployment():
    train = load_example("domino_train_register_deploy")
    redeploy = load_example("domino_scheduled_redeploy")
    registry_uri = "domino://models/demo-linear"

    assert asset_uris(train.dag.get_task("register").outlets) == {registry_uri}
    assert asset_uris(train.dag.get_task("deploy").outlets) == {"domino://model-apis/demo-project/demo-linear"}
    timetable = redeploy.dag.timetable
    condition = getattr(timetable, "asset_condition", None) or timetable.dataset_condition
    assert asset_uris(condition) == {registry_uri}
