"""Session-wide test harness: a private, throw-away Airflow for every test run.

Airflow reads its configuration when it is first imported, so the environment is set here, at
conftest import time, before any test module can import ``airflow``. The session gets its own
``AIRFLOW_HOME`` (a temporary directory, removed at exit) with a SQLite metadata database in it,
and nothing from the developer's shell leaks in: inherited ``AIRFLOW__*``, ``AIRFLOW_CONN_*`` and
``AIRFLOW_VAR_*`` variables are dropped, and so are the variables of the hook's in-Domino fallback
(``DOMINO_API_HOST``, ``DOMINO_USER_API_KEY``, ``DOMINO_TOKEN_FILE``), which are set when the suite
runs inside a Domino workspace. Tests give connections through ``AIRFLOW_CONN_*`` variables
(``monkeypatch.setenv``), which both Airflow lines read.

``[core] unit_test_mode`` is deliberately left off: it loads the config Airflow's own repository
tests use (``load_examples = True``, Airflow's test dags folder, ``LocalExecutor``, which Airflow 2
refuses with SQLite) and changes masking and operator-safeguard behaviour, so tests would no longer
see what a user's deployment sees.

Fixtures:

- ``airflow_home``: the session's ``AIRFLOW_HOME`` as a ``Path``.
- ``airflow_db``: the metadata database, created once per session; request it in tests that touch
  the database.
- ``run_dag``: ``run_dag(dag, **test_kwargs) -> DagRun`` runs ``dag.test()`` on either Airflow line.
  Airflow 3.3's ``dag.test()`` only runs DAGs it finds serialized in the database (it re-parses the
  dags folder first), so a DAG built inside a test is written to the database before the run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_DROPPED_PREFIXES = ("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_")
_DOMINO_FALLBACK = ("DOMINO_API_HOST", "DOMINO_USER_API_KEY", "DOMINO_TOKEN_FILE")


def _isolated_airflow_environment() -> Path:
    for name in list(os.environ):
        if name.startswith(_DROPPED_PREFIXES) or name in _DOMINO_FALLBACK:
            del os.environ[name]
    home = Path(tempfile.mkdtemp(prefix="airflow-provider-domino-tests-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    (home / "dags").mkdir()
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
        }
    )
    return home


_AIRFLOW_HOME = _isolated_airflow_environment()


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """The session's private ``AIRFLOW_HOME``."""
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def airflow_db(airflow_home: Path) -> Iterator[Path]:
    """Create the session's SQLite metadata database (all migrations) once; yield its path."""
    from airflow.utils import db

    db.initdb()
    yield airflow_home / "airflow.db"


def _serialize_into_db(dag: Any) -> None:
    """Write ``dag`` to the metadata database the way the dag processor would (Airflow 3 only)."""
    try:
        from airflow.dag_processing.bundles.manager import DagBundlesManager
        from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    except ImportError:  # Airflow 2 runs the DAG object it is given.
        return
    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder=os.devnull, collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)


@pytest.fixture
def run_dag(airflow_db: Path) -> Callable[..., Any]:
    """Run ``dag.test(**kwargs)`` and return its DagRun, on Airflow 3.3 and on 2.11 alike."""

    def _run(dag: Any, **test_kwargs: Any) -> Any:
        _serialize_into_db(dag)
        return dag.test(**test_kwargs)

    return _run
