"""Apache Airflow provider for Domino Data Lab Model APIs."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "get_provider_info"]


def get_provider_info() -> dict:
    """Return the provider metadata Airflow's ProvidersManager reads (the ``apache_airflow_provider`` entry point)."""
    from airflow_provider_domino._provider_info import PROVIDER_INFO

    return PROVIDER_INFO
