"""RunJobOperator: run a command as a Domino job (the training step) and wait for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, ResumableJobMixin

from airflow_provider_domino._client import shapes, statuses
from airflow_provider_domino._client.errors import DominoError, DominoOutcomeUnknownError
from airflow_provider_domino.operators._base import (
    DominoBaseOperator,
    has_marker,
    refused_input,
    task_marker,
    with_marker,
)
from airflow_provider_domino.operators.links import JOB_LINK_KEY, DominoJobLink, job_ui_url

LOG_TAIL_LINES = 40


class RunJobOperator(ResumableJobMixin, DominoBaseOperator):
    """Start a Domino job that runs ``command`` in a project, wait for it, and copy its output to the task log.

    The job's title carries a marker of this task instance: a retried try (or one whose start answer was
    lost) reconnects to the job an earlier try started while it runs or after it succeeded, and starts a
    new one only after a failure. On Airflow 3.3+ the job id is also kept in the task state store
    (``ResumableJobMixin``). Killing the task stops the job.

    Returns ``{"job_id", "status"}``.

    .. code-block:: python

        train = RunJobOperator(task_id="train", project_id="churn-project", command="python train.py")

    :param project_id: the project to run in.
    :param command: the command line (``runCommand``), e.g. ``python train.py --epochs 3``.
    :param title: the job's title (a retry marker is appended).
    :param hardware_tier: the hardware tier to run on.
    :param environment_id: the compute environment to run in.
    :param commit_id: the project commit to run.
    :param log_output: copy the job's stdout and stderr into the task log when it ends.
    """

    template_fields: Sequence[str] = ("project_id", "command", "title", "hardware_tier", "environment_id", "commit_id")
    operator_extra_links = (DominoJobLink(),)
    external_id_key = "domino_job_id"
    ui_color = "#f0a35e"

    def __init__(
        self,
        *,
        project_id: str,
        command: str,
        title: str | None = None,
        hardware_tier: str | None = None,
        environment_id: str | None = None,
        commit_id: str | None = None,
        log_output: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.command = command
        self.title = title
        self.hardware_tier = hardware_tier
        self.environment_id = environment_id
        self.commit_id = commit_id
        self.log_output = log_output
        self._job_id: str | None = None

    def _fields(self, marker: str) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "command": self.command,
            "title": with_marker(self.title or self.command[:80], marker, field="title"),
            "hardware_tier": self.hardware_tier,
            "environment_id": self.environment_id,
            "commit_id": self.commit_id,
        }

    def execute(self, context: Any) -> dict[str, Any]:
        with refused_input():
            shapes.require_text("command", self.command)  # before a title is made of it
            shapes.job_body(**self._fields(task_marker(context)))
            self.check_wait_settings()
        if not self.deferrable:
            result = self.execute_resumable(context)
            if result is None and self._job_id:
                # The mixin returns poll_until_complete's None when it reconnects to a job an earlier try started.
                result = self.get_job_result(self._job_id, context)
            return result
        job_id = self.submit_job(context)
        status = self.get_job_status(job_id, context)
        if not self.is_job_active(status):
            return self._finish(job_id, status)
        from airflow_provider_domino.triggers import JobTrigger

        self.defer_to(
            JobTrigger(
                domino_conn_id=self.domino_conn_id,
                poll_interval=self.poll_interval,
                job_id=job_id,
                project_id=self.project_id,
            ),
        )
        raise AssertionError("unreachable")  # pragma: no cover

    # --- ResumableJobMixin ----------------------------------------------------------------------------

    def submit_job(self, context: Any) -> str:
        """Start the job, unless an earlier try of this task instance started one that runs or succeeded."""
        marker = task_marker(context)
        job_id = self._find_job(marker)
        if job_id is None:
            try:
                job_id = shapes.job_id(self.hook.start_job(**self._fields(marker)))
            except DominoOutcomeUnknownError as exc:
                self.log.warning("Starting the job: %s; looking it up", exc)
                job_id = self._find_job(marker)
                if job_id is None:
                    raise AirflowException(f"The job was not started: {exc}") from exc
            self.log.info("Started Domino job %s: %s", job_id, self.command)
        if not job_id:
            raise AirflowException("Domino's answer to starting the job holds no job id")
        self._track(job_id, context)
        return job_id

    def _track(self, job_id: str, context: Any) -> None:
        """Remember the job this try waits for (``on_kill`` stops it) and push its link."""
        self._job_id = job_id
        context["ti"].xcom_push(key=JOB_LINK_KEY, value=job_ui_url(self.hook.ui_url, self.project_id, job_id))

    def _find_job(self, marker: str) -> str | None:
        for item in self.hook.iter_jobs(self.project_id):
            job = shapes.job(item)
            if not has_marker(job.get("title"), marker):
                continue
            status = shapes.job_status(item)
            if statuses.JOB.is_failure(status):
                continue
            self.log.info("Found job %s (%s) started by an earlier try of this task", job.get("id"), status)
            return str(job.get("id"))
        return None

    def get_job_status(self, external_id: Any, context: Any) -> str:
        return shapes.job_status(self.hook.get_job(str(external_id))) or ""

    def is_job_active(self, status: str) -> bool:
        return statuses.JOB.outcome(status) in ("pending", "unknown")

    def is_job_succeeded(self, status: str) -> bool:
        return statuses.JOB.is_success(status)

    def poll_until_complete(self, external_id: Any, context: Any) -> None:
        job_id = str(external_id)
        if self._job_id != job_id:  # reconnected by the mixin: submit_job did not run in this try
            self._track(job_id, context)
        self.wait_for_status(
            lambda: self.get_job_status(job_id, context),
            "job",
            tuple(statuses.JOB.success),
            f"job {job_id}",
        )

    def get_job_result(self, external_id: Any, context: Any) -> dict[str, Any]:
        job_id = str(external_id)
        return self._finish(job_id, self.get_job_status(job_id, context))

    # --- the end of a job -----------------------------------------------------------------------------

    def _finish(self, job_id: str, status: str | None) -> dict[str, Any]:
        self._job_id = None
        if statuses.JOB.is_success(status):
            if self.log_output:
                self._log_output(job_id)
            return {"job_id": job_id, "status": status}
        raise self._job_failed(job_id, status)

    def _log_output(self, job_id: str) -> str:
        try:
            text = shapes.job_log_text(self.hook.get_job_logs(job_id))
        except DominoError as exc:
            self.log.warning("Could not read the logs of job %s: %s", job_id, exc)
            return ""
        if text:
            self.log.info("Output of Domino job %s:\n%s", job_id, text)
        return text

    def _job_failed(self, job_id: str, status: str | None) -> AirflowFailException:
        try:
            logs = self.hook.get_job_logs(job_id)
            tail = "\n".join(shapes.job_log_text(logs).splitlines()[-LOG_TAIL_LINES:])
            problem = shapes.job_problem(logs)
        except DominoError as exc:
            tail, problem = f"(logs unavailable: {exc})", None
        reason = f": {problem}" if problem else ""
        return AirflowFailException(f"Domino job {job_id} ended {status}{reason}. Last lines of its output:\n{tail}")

    def failed(self, status: str | None, what: str) -> Exception:
        if self._job_id:
            return self._job_failed(self._job_id, status)
        return super().failed(status, what)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        job_id = str((event or {}).get("job_id") or "")
        if event and event.get("status") in ("success", "failure") and job_id:
            return self._finish(job_id, event.get("domino_status"))
        self.event_or_fail(event, f"job {job_id}")
        raise AssertionError("unreachable")  # pragma: no cover

    def on_kill(self) -> None:
        """Stop the job this task is waiting for."""
        if self._job_id:
            self.log.info("Stopping Domino job %s", self._job_id)
            try:
                self.hook.stop_job(self._job_id, self.project_id)
            except DominoError as exc:
                self.log.warning("Could not stop Domino job %s: %s", self._job_id, exc)
