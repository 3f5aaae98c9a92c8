"""Run the emulator from tests: a subprocess on a free port, stopped on exit (even on error).

>>> with run_emulator(projects_dir) as emu:
...     requests.get(f"{emu.base_url}/api/modelServing/v1/modelApis", headers=emu.headers)

Only the standard library is used here, so importing it costs nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

LISTENING = "Domino emulator listening on http://"


class EmulatorError(RuntimeError):
    """The emulator process did not start, or an introspection call failed."""


class RunningEmulator:
    """A running emulator subprocess: its address, credentials and introspection helpers."""

    def __init__(
        self,
        projects_dir: str,
        *,
        dialect: str = "seed",
        api_key: str | None = None,
        model_token: str | None = None,
        faults: str | None = None,
        state_file: str | None = None,
        build_seconds: float = 0.3,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 20.0,
    ) -> None:
        self.projects_dir = projects_dir
        self.dialect = dialect
        self.api_key = api_key or "emu-key-" + secrets.token_hex(12)
        self.model_token = model_token or "emu-model-" + secrets.token_hex(12)
        self.faults_spec = faults
        self.state_file = state_file
        self.build_seconds = build_seconds
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.host = "127.0.0.1"
        self.port = 0
        self.process: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed by close())
        self._stdout_lines: list[str] = []

    # ------------------------------------------------------------------ addresses and credentials
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise EmulatorError("the emulator is not running")
        return self.process.pid

    @property
    def headers(self) -> dict[str, str]:
        """Platform API headers."""
        return {"X-Domino-Api-Key": self.api_key}

    @property
    def model_auth(self) -> tuple[str, str]:
        """Basic auth for synchronous model calls."""
        return (self.model_token, self.model_token)

    @property
    def model_headers(self) -> dict[str, str]:
        """Bearer header for asynchronous predictions."""
        return {"Authorization": f"Bearer {self.model_token}"}

    def model_url(self, model_api_id: str) -> str:
        return f"{self.base_url}/models/{model_api_id}/latest/model"

    # ------------------------------------------------------------------ process control
    def command(self, port: int) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "airflow_provider_domino.emulator",
            "--host",
            self.host,
            "--port",
            str(port),
            "--projects",
            self.projects_dir,
            "--dialect",
            self.dialect,
            "--api-key",
            self.api_key,
            "--model-token",
            self.model_token,
            "--build-seconds",
            str(self.build_seconds),
        ]
        if self.faults_spec:
            cmd += ["--faults", self.faults_spec]
        if self.state_file:
            cmd += ["--state", self.state_file]
        return cmd + self.extra_args

    def start(self, port: int = 0) -> RunningEmulator:
        if self.process is not None and self.process.poll() is None:
            raise EmulatorError("the emulator is already running")
        self.process = subprocess.Popen(
            self.command(port),
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        first: list[str] = []
        ready = threading.Event()
        stdout = self.process.stdout
        assert stdout is not None

        def drain() -> None:
            for line in stdout:
                if not first:
                    first.append(line.rstrip("\n"))
                    ready.set()
                else:
                    self._stdout_lines.append(line.rstrip("\n"))
            ready.set()

        threading.Thread(target=drain, name="emulator-stdout", daemon=True).start()
        if not ready.wait(self.startup_timeout) or not first or not first[0].startswith(LISTENING):
            self.stop()
            raise EmulatorError(
                f"the emulator did not start (first line {first[0] if first else None!r}):\n{self.stderr_text()}"
            )
        self.first_line = first[0]
        address = first[0][len(LISTENING) :]
        self.host, _, port_text = address.rpartition(":")
        self.port = int(port_text)
        return self

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def restart(self) -> RunningEmulator:
        """Stop, then start again on the same port with the same ``--state``."""
        port = self.port
        self.stop()
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.start(port)
            except EmulatorError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stderr_text(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    @property
    def stdout_lines(self) -> list[str]:
        """Lines printed after the first one (generated credentials, dialect)."""
        return list(self._stdout_lines)

    def close(self) -> None:
        self.stop()
        self._stderr.close()

    # ------------------------------------------------------------------ introspection (/_emulator/)
    def _call(self, method: str, name: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_emulator/{name}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise EmulatorError(f"{method} /_emulator/{name} failed: {exc.code} {exc.read().decode()}") from None
        return json.loads(payload) if payload else None

    def health(self) -> dict[str, Any]:
        return self._call("GET", "health")  # type: ignore[no-any-return]

    def state(self) -> dict[str, Any]:
        return self._call("GET", "state")  # type: ignore[no-any-return]

    def request_log(self, since: int = 0) -> list[dict[str, Any]]:
        return self._call("GET", f"requests?since={since}")["requests"]  # type: ignore[no-any-return]

    def clear_request_log(self) -> None:
        self._call("DELETE", "requests")

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "faults")  # type: ignore[no-any-return]

    def set_faults(self, spec: str | dict[str, Any] | None = None, **settings: Any) -> dict[str, Any]:
        """Replace the fault settings: a ``--faults`` string, a dict, or keywords (``rate=0.5, seed=1``)."""
        body: dict[str, Any] = {"spec": spec} if isinstance(spec, str) else dict(spec or {})
        body.update(settings)
        return self._call("PUT", "faults", body)  # type: ignore[no-any-return]

    def clear_faults(self) -> dict[str, Any]:
        return self.set_faults({"rate": 0})

    def set_start_lag(self, seconds: float) -> dict[str, Any]:
        """How long a started deployment keeps reporting its old state (``--start-lag-seconds``); reset
        restores the command line's value."""
        return self._call("PUT", "config", {"startLagSeconds": seconds})  # type: ignore[no-any-return]

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def seed(self, model_apis: int, project_id: str = "seeded", **options: Any) -> dict[str, Any]:
        """Bulk-create ``model_apis`` running Model APIs (for pagination and load tests)."""
        return self._call("POST", "seed", {"modelApis": model_apis, "projectId": project_id, **options})  # type: ignore[no-any-return]


@contextlib.contextmanager
def run_emulator(
    projects_dir: str | os.PathLike[str] | None = None,
    *,
    dialect: str = "seed",
    api_key: str | None = None,
    model_token: str | None = None,
    faults: str | None = None,
    state_file: str | os.PathLike[str] | None = None,
    build_seconds: float = 0.3,
    extra_args: Sequence[str] = (),
) -> Iterator[RunningEmulator]:
    """Start the emulator as a subprocess on a free port; yield it; stop it on exit.

    Without ``projects_dir`` a temporary folder is used (and removed afterwards). Credentials not given are
    generated here, so the object always knows them.
    """
    with contextlib.ExitStack() as stack:
        if projects_dir is None:
            projects_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="domino-projects-"))
        emulator = RunningEmulator(
            os.fspath(projects_dir),
            dialect=dialect,
            api_key=api_key,
            model_token=model_token,
            faults=faults,
            state_file=os.fspath(state_file) if state_file is not None else None,
            build_seconds=build_seconds,
            extra_args=extra_args,
        )
        stack.callback(emulator.close)
        emulator.start()
        yield emulator
