"""Where the example DAGs live, and loading one as a module."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = ROOT / "example_dags"
PROJECT_ID = "demo-project"
MODEL_NAME = "demo-linear"


def load_example(name: str) -> ModuleType:
    """Import ``example_dags/<name>.py`` as a fresh module (its ``dag`` attribute is the DAG)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLE_DAGS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def asset_uris(condition: Any) -> set[str]:
    """The URIs of the assets (Datasets on Airflow 2.11) in an asset, a list of them or a schedule condition."""
    if hasattr(condition, "uri"):
        return {condition.uri}
    items = condition if isinstance(condition, (list, tuple)) else condition.objects
    return set().union(*(asset_uris(item) for item in items))


def asset_events(uri: str) -> list[dict[str, object]]:
    """The asset (dataset) events recorded in the metadata database for ``uri``."""
    from airflow.utils.session import create_session

    try:
        from airflow.models.asset import AssetEvent as Event
        from airflow.models.asset import AssetModel as Model
    except ImportError:  # Airflow 2.11
        from airflow.models.dataset import DatasetEvent as Event
        from airflow.models.dataset import DatasetModel as Model
    key = "asset_id" if hasattr(Event, "asset_id") else "dataset_id"
    with create_session() as session:
        rows = session.query(Event).join(Model, getattr(Event, key) == Model.id).filter(Model.uri == uri).all()
        return [{"source_dag_id": e.source_dag_id, "source_task_id": e.source_task_id} for e in rows]


def register_assets(dag: Any) -> None:
    """Record the DAG's assets in the metadata database as the DAG processor would. Airflow 3's ``run_dag``
    does it already; Airflow 2.11's ``dag.test()`` runs the DAG object and drops events of unknown datasets."""
    if hasattr(dag, "sync_to_db"):  # Airflow 2.11
        dag.sync_to_db()
