"""End-to-end tests: a real Airflow deployment (separate scheduler, DAG processor, triggerer and API server
processes) running the example DAGs against the local Domino emulator. Marked ``e2e``; deselect them with
``-m "not e2e"``."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: runs a real Airflow deployment (scheduler, DAG processor, triggerer, API server) end to end"
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Keep each phase's report on the item (``item.rep_call``), so fixtures can print logs on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
