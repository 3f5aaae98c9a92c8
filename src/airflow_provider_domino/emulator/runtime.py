"""Processes the emulator runs on behalf of users: build checks, model workers and jobs.

Everything here is asyncio subprocess work, so the server's event loop never waits on user code.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WORKER_SCRIPT = str(Path(__file__).with_name("_worker.py"))
_STREAM_LIMIT = 64 * 1024 * 1024


class ModelCallError(Exception):
    """The model raised, or its answer cannot be used (message is the model's own)."""


class ModelTimeout(Exception):
    """The model did not answer within the timeout; its worker was killed."""


class ModelCrashed(Exception):
    """The worker process died while running the model."""


def job_environment() -> dict[str, str]:
    """The environment of job commands: ``python`` is the emulator's own interpreter."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def _spawn_worker(mode: str, project_dir: str, file: str, function: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-u",
        WORKER_SCRIPT,
        mode,
        project_dir,
        file,
        function,
        stdin=asyncio.subprocess.PIPE if mode == "serve" else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE if mode == "serve" else asyncio.subprocess.STDOUT,
        cwd=project_dir,
        env=job_environment(),
        start_new_session=True,
        limit=_STREAM_LIMIT,
    )


def kill_process_group(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def run_build_check(project_dir: str, file: str, function: str, timeout: float) -> tuple[bool, list[str]]:
    """Import the model file in a separate process; return (ok, log lines)."""
    proc = await _spawn_worker("check", project_dir, file, function)
    assert proc.stdout is not None
    try:
        output = await asyncio.wait_for(proc.stdout.read(), timeout)
        code = await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        kill_process_group(proc.pid)
        await proc.wait()
        return False, [f"importing {file} took longer than {timeout:g} seconds; build stopped"]
    lines = output.decode("utf-8", "replace").splitlines()
    if code != 0 and not lines:
        lines = [f"build check exited with code {code}"]
    return code == 0, lines


class ModelWorker:
    """One long-lived process serving one Model API version; restarted after a crash or a timeout."""

    def __init__(self, project_dir: str, file: str, function: str, on_log: Callable[[str, str], None]) -> None:
        self.project_dir = project_dir
        self.file = file
        self.function = function
        self.on_log = on_log
        self.proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._log_task: asyncio.Task[None] | None = None

    async def _start(self) -> asyncio.subprocess.Process:
        proc = await _spawn_worker("serve", self.project_dir, self.file, self.function)
        assert proc.stdout is not None and proc.stderr is not None
        self._log_task = asyncio.ensure_future(self._pump_logs(proc.stderr))
        line = await proc.stdout.readline()
        if not line:
            await proc.wait()
            raise ModelCrashed(f"model worker exited with code {proc.returncode} while loading the model")
        hello = json.loads(line)
        if "fatal" in hello:
            await proc.wait()
            raise ModelCallError(hello["fatal"])
        self.on_log("stdout", f"model worker started (pid {proc.pid}) for {self.file}:{self.function}")
        return proc

    async def _pump_logs(self, stream: asyncio.StreamReader) -> None:
        while True:
            line = await stream.readline()
            if not line:
                return
            self.on_log("stderr", line.decode("utf-8", "replace").rstrip("\n"))

    async def call(self, args: list[Any], kwargs: dict[str, Any], timeout: float) -> tuple[Any, float]:
        """Run the model; return (result, model milliseconds)."""
        deadline = time.monotonic() + timeout
        try:
            await asyncio.wait_for(self._lock.acquire(), timeout)
        except TimeoutError:
            raise ModelTimeout(f"the model did not answer within {timeout:g} seconds (queued)") from None
        try:
            if self.proc is None or self.proc.returncode is not None:
                self.proc = await asyncio.wait_for(self._start(), max(deadline - time.monotonic(), 0.01))
            proc = self.proc
            assert proc.stdin is not None and proc.stdout is not None
            request_id = next(self._ids)
            proc.stdin.write(json.dumps({"id": request_id, "args": args, "kwargs": kwargs}).encode() + b"\n")
            try:
                await proc.stdin.drain()
                line = await asyncio.wait_for(proc.stdout.readline(), max(deadline - time.monotonic(), 0.01))
            except TimeoutError:
                self.on_log("stderr", f"model call exceeded {timeout:g} seconds; worker killed and restarted")
                await self._kill()
                raise ModelTimeout(f"the model did not answer within {timeout:g} seconds") from None
            except (BrokenPipeError, ConnectionResetError):
                line = b""
            if not line:
                code = await proc.wait()
                self.proc = None
                self.on_log("stderr", f"model worker exited with code {code}")
                raise ModelCrashed(f"the model process exited unexpectedly (exit code {code})")
            answer = json.loads(line)
            if not answer.get("ok"):
                raise ModelCallError(answer.get("error", "model failed"))
            return answer.get("result"), float(answer.get("ms", 0.0))
        except TimeoutError:
            await self._kill()
            raise ModelTimeout(f"the model did not start within {timeout:g} seconds") from None
        finally:
            self._lock.release()

    async def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            kill_process_group(proc.pid)
            await proc.wait()

    def kill_now(self) -> None:
        """Synchronous kill, for shutdown paths."""
        if self.proc is not None and self.proc.returncode is None:
            kill_process_group(self.proc.pid)


class JobProcess:
    """A job's shell command, run in its own process group in the project folder."""

    def __init__(self, command: str, cwd: str, on_line: Callable[[str, str], None]) -> None:
        self.command = command
        self.cwd = cwd
        self.on_line = on_line
        self.proc: asyncio.subprocess.Process | None = None
        self.stop_requested = False

    async def run(self) -> int:
        self.proc = await asyncio.create_subprocess_shell(
            self.command,
            cwd=self.cwd,
            env=job_environment(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            limit=_STREAM_LIMIT,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        await asyncio.gather(
            self._pump(self.proc.stdout, "stdOut"),
            self._pump(self.proc.stderr, "stdErr"),
        )
        return await self.proc.wait()

    async def _pump(self, stream: asyncio.StreamReader, log_type: str) -> None:
        while True:
            line = await stream.readline()
            if not line:
                return
            self.on_line(log_type, line.decode("utf-8", "replace"))

    def stop(self) -> None:
        self.stop_requested = True
        if self.proc is not None and self.proc.returncode is None:
            kill_process_group(self.proc.pid, signal.SIGTERM)
            asyncio.get_running_loop().call_later(2.0, self.kill_now)

    def kill_now(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            kill_process_group(self.proc.pid)
