"""A real Airflow 3 deployment for end-to-end tests: metadata database, scheduler, DAG processor, triggerer
and API server, each a separate ``airflow`` subprocess in its own process group, in a fresh temporary
``AIRFLOW_HOME``.

It is what ``airflow standalone`` starts (the same four components, ``LocalExecutor``, SQLite, the
``SimpleAuthManager``), but with every setting given explicitly through ``AIRFLOW__*`` variables, on free
ports on 127.0.0.1, with fast scheduler and DAG-processor intervals, and with the components' output in
files (``<home>/component-logs/<name>.log``) so a failing test can show their tails.

Only the standard library is used: the test process talks to the deployment through the public REST API
(v2) and, for what the API does not expose (the ``trigger`` table), reads the SQLite file read-only.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# The scheduler and the triggerer would also start log servers on 0.0.0.0:8793 / :8794 (no host setting);
# every component shares this machine's log folder, so the API server reads task and trigger logs from disk.
COMMANDS = {
    "api-server": ("api-server", "--host", "127.0.0.1", "--port", "{port}", "--workers", "1"),
    "scheduler": ("scheduler", "--skip-serve-logs"),
    "dag-processor": ("dag-processor",),
    "triggerer": ("triggerer", "--skip-serve-logs"),
}
_INHERITED_DROPPED = ("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_")
_INHERITED_DROPPED_NAMES = (
    "AIRFLOW_HOME",
    "AIRFLOW_CONFIG",
    "DOMINO_API_HOST",
    "DOMINO_USER_API_KEY",
    "DOMINO_TOKEN_FILE",
)


class DeploymentError(RuntimeError):
    """The deployment did not start or did not answer as expected."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


class AirflowDeployment:
    """The four Airflow 3 components on one machine, sharing one SQLite metadata database.

    Use as a context manager: ``__enter__`` migrates the database, starts the components and waits until
    the API server answers and the scheduler, DAG processor and triggerer have heartbeated; ``__exit__``
    stops every process group it started (SIGTERM, then SIGKILL), also when starting failed.
    """

    def __init__(self, home: Path, *, extra_env: Mapping[str, str] | None = None, parallelism: int = 4) -> None:
        self.home = home
        self.dags_folder = home / "dags"
        self.log_dir = home / "component-logs"
        self.db_path = home / "airflow.db"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._log_files: list[Any] = []
        self._token: str | None = None
        #: Components whose process group needed SIGKILL at stop.
        self.killed: list[str] = []
        self.env = self._environment(extra_env or {}, parallelism)

    # ------------------------------------------------------------------ configuration
    def _environment(self, extra: Mapping[str, str], parallelism: int) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_INHERITED_DROPPED) and k not in _INHERITED_DROPPED_NAMES
        }
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "PYTHONUNBUFFERED": "1",
                # [core]
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": str(parallelism),
                "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(parallelism),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
                # [database]
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db_path}",
                "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
                # [api] / [api_auth]: one signing secret for every component (the scheduler signs the
                # workers' execution-API tokens, the API server checks them).
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__BASE_URL": self.base_url,
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                # [scheduler] / [dag_processor] / [triggerer]: short intervals for a test.
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                "AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL": "2",
                "AIRFLOW__TRIGGERER__CAPACITY": "20",
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
                # [logging]
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            }
        )
        env.update(extra)
        return env

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> AirflowDeployment:
        self.dags_folder.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.migrate()
            for name in COMPONENTS:
                self.start(name)
            self.wait_until_ready()
        except BaseException:
            print(self.log_tails())
            self.stop()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _airflow(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "airflow", *args]

    def migrate(self, timeout: float = 180.0) -> None:
        log = self.log_dir / "db-migrate.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                self._airflow("db", "migrate"),
                env=self.env,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop_group(proc, grace=5.0)
                raise DeploymentError(f"`airflow db migrate` took over {timeout:g}s:\n{tail(log)}") from None
        if code != 0:
            raise DeploymentError(f"`airflow db migrate` exited {code}:\n{tail(log)}")

    def start(self, name: str) -> None:
        command = self._airflow(*(a.format(port=self.port) for a in COMMANDS[name]))
        out = (self.log_dir / f"{name}.log").open("wb")
        self._log_files.append(out)
        self.processes[name] = subprocess.Popen(
            command, env=self.env, cwd=self.home, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self, grace: float = 20.0) -> None:
        """Stop every process group started here: first the scheduler (with the tasks its executor runs), the
        triggerer and the DAG processor, then the API server, so tasks being stopped can still report to the
        execution API. SIGTERM, then SIGKILL to whatever is left in a group after ``grace`` seconds."""
        first = {n: p for n, p in self.processes.items() if n != "api-server"}
        last = {n: p for n, p in self.processes.items() if n == "api-server"}
        for group in (first, last):
            for proc in group.values():
                _signal_group(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            for proc in group.values():
                while time.monotonic() < deadline and _group_alive(proc.pid):
                    proc.poll()
                    time.sleep(0.2)
            for name, proc in group.items():
                if _group_alive(proc.pid):
                    self.killed.append(name)
                    _signal_group(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        for out in self._log_files:
            out.close()
        self._log_files.clear()

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise DeploymentError(f"airflow {name} exited {proc.returncode}:\n{tail(self.log_dir / f'{name}.log')}")

    def wait_until_ready(self, timeout: float = 120.0) -> None:
        """The API server answers and every job (scheduler, DAG processor, triggerer) is healthy."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                health = self.request("GET", "/api/v2/monitor/health", auth=False)
                last = health
                parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
                if all((health.get(p) or {}).get("status") == "healthy" for p in parts):
                    # The execution API (a sub-application) initialises on its first request, which takes
                    # seconds; made by the first task's worker, it overruns the client's timeout and is retried.
                    self.request("GET", "/execution/health", auth=False, timeout=max(5.0, deadline - time.monotonic()))
                    return
            except (OSError, DeploymentError) as exc:
                last = exc
            time.sleep(1.0)
        raise DeploymentError(f"the deployment was not healthy after {timeout:g}s; last answer: {last!r}")

    # ------------------------------------------------------------------ REST API (v2)
    def token(self) -> str:
        """A JWT from the SimpleAuthManager (``all_admins``: ``GET /auth/token`` needs no credentials)."""
        if self._token is None:
            self._token = self.request("GET", "/auth/token", auth=False)["access_token"]
        return self._token

    def request(self, method: str, path: str, body: Any = None, *, auth: bool = True, timeout: float = 30.0) -> Any:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise DeploymentError(f"{method} {path} -> {exc.code}: {detail}") from None
        return json.loads(raw) if raw else None

    def get(self, path: str, **query: Any) -> Any:
        qs = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        return self.request("GET", f"{path}?{qs}" if qs else path)

    def wait_for_dag(self, dag_id: str, timeout: float = 90.0) -> dict[str, Any]:
        """Wait until the DAG processor has serialized ``dag_id``; fail early on an import error."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            errors = self.get("/api/v2/importErrors").get("import_errors", [])
            if errors:
                raise DeploymentError(
                    "import errors in the dags folder:\n" + "\n".join(e["stack_trace"] for e in errors)
                )
            try:
                dag = self.request("GET", f"/api/v2/dags/{dag_id}")
            except DeploymentError as exc:
                if "-> 404" not in str(exc):
                    raise
            else:
                return dag  # type: ignore[no-any-return]
            time.sleep(1.0)
        raise DeploymentError(f"DAG {dag_id} was not parsed within {timeout:g}s:\n{self.log_tails(('dag-processor',))}")

    def unpause(self, dag_id: str) -> None:
        dag = self.request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        if dag.get("is_paused"):
            raise DeploymentError(f"DAG {dag_id} is still paused: {dag}")

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        run = self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return str(run["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")  # type: ignore[no-any-return]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        body = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances")
        return body["task_instances"]  # type: ignore[no-any-return]

    def event_logs(self, dag_id: str, run_id: str | None = None, task_id: str | None = None) -> list[dict[str, Any]]:
        body = self.get("/api/v2/eventLogs", dag_id=dag_id, run_id=run_id, task_id=task_id, limit=200, order_by="id")
        return body["event_logs"]  # type: ignore[no-any-return]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        """The task's log as the API server serves it (worker log plus the trigger's log while deferred)."""
        quoted = urllib.parse.quote(run_id, safe="")
        body = self.request(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances/{task_id}/logs/{try_number}?full_content=true"
        )
        content = body.get("content")
        if isinstance(content, list):
            return "\n".join(c.get("event", "") if isinstance(c, dict) else str(c) for c in content)
        return str(content)

    # ------------------------------------------------------------------ metadata database (read-only)
    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)) as db:
            return db.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ diagnostics
    def task_log_files(self) -> list[Path]:
        return sorted((self.home / "logs").rglob("*.log*"))

    def log_tails(self, names: tuple[str, ...] = ("db-migrate", *COMPONENTS), lines: int = 60) -> str:
        parts = []
        for name in names:
            path = self.log_dir / f"{name}.log"
            if path.exists():
                parts.append(f"===== {name} ({path}) =====\n{tail(path, lines)}")
        for path in self.task_log_files():
            parts.append(f"===== task log {path.relative_to(self.home)} =====\n{tail(path, lines)}")
        return "\n".join(parts)


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _group_alive(proc.pid):
        proc.poll()
        time.sleep(0.2)
    if _group_alive(proc.pid):
        _signal_group(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
