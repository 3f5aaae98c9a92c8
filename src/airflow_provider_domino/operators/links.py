"""Extra links from a task to what it made in Domino's UI, built from the connection's host and XCom ids."""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

MODEL_API_LINK_KEY = "domino_model_api_url"
JOB_LINK_KEY = "domino_job_url"


def model_api_ui_url(ui_url: str, model_api_id: str) -> str:
    return f"{ui_url.rstrip('/')}/models/{model_api_id}/overview"


def job_ui_url(ui_url: str, project_id: str, job_id: str) -> str:
    return f"{ui_url.rstrip('/')}/jobs/{project_id}/{job_id}"


class _XComLink(BaseOperatorLink):
    xcom_key = ""

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        url = XCom.get_value(key=self.xcom_key, ti_key=ti_key)
        return url if isinstance(url, str) else ""


class DominoModelApiLink(_XComLink):
    """The Model API's page in Domino."""

    name = "Domino Model API"
    xcom_key = MODEL_API_LINK_KEY


class DominoJobLink(_XComLink):
    """The job's page in Domino."""

    name = "Domino Job"
    xcom_key = JOB_LINK_KEY
