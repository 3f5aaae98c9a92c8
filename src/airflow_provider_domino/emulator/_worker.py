"""Model worker: runs user model code in its own process, away from the emulator's server process.

Run as a plain script (never imported by the server), with the standard library only:

- ``python _worker.py check PROJECT_DIR FILE FUNCTION`` imports ``FILE`` from the project and checks that
  ``FUNCTION`` exists and is callable; it prints build log lines and exits 0 (ok) or 1 (failed).
- ``python _worker.py serve PROJECT_DIR FILE FUNCTION`` loads the function, then answers one JSON request per
  stdin line (``{"id", "args", "kwargs"}``) with one JSON line on the original stdout. Whatever the model
  prints goes to stderr, which the server keeps as instance logs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any


class BuildError(Exception):
    """The model file or function cannot be loaded."""


def load_function(project_dir: str, file: str, function: str) -> Callable[..., Any]:
    """Import ``file`` from ``project_dir`` as Domino does (project root on sys.path) and return ``function``."""
    root = os.path.realpath(project_dir)
    path = os.path.realpath(os.path.join(root, file))
    if not path.startswith(root + os.sep):
        raise BuildError(f"model file {file!r} is outside the project")
    if not os.path.isfile(path):
        raise BuildError(f"model file {file!r} not found in project {os.path.basename(root)!r}")
    os.chdir(root)
    sys.path.insert(0, root)
    module_name = os.path.splitext(os.path.relpath(path, root))[0].replace(os.sep, ".")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise BuildError(f"cannot load {file!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # the user's module may raise anything, even SystemExit
        raise BuildError(f"importing {file} failed:\n" + "".join(traceback.format_exception(exc)).rstrip()) from exc
    fn = getattr(module, function, None)
    if fn is None:
        raise BuildError(f"function {function} not found in {file}")
    if not callable(fn):
        raise BuildError(f"{function} in {file} is not callable")
    return fn  # type: ignore[no-any-return]


def check(project_dir: str, file: str, function: str) -> int:
    print(f"Loading {file} from the project", flush=True)
    try:
        load_function(project_dir, file, function)
    except BuildError as exc:
        print(str(exc), flush=True)
        return 1
    print(f"Found function {function} in {file}", flush=True)
    return 0


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _failure(rid: Any, message: str, started: float) -> str:
    return json.dumps({"id": rid, "ok": False, "error": message, "ms": _ms(started)})


def serve(project_dir: str, file: str, function: str) -> int:
    # Keep the real stdout for answers; the model's prints (even from C code) land on stderr.
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        fn = load_function(project_dir, file, function)
    except BuildError as exc:
        channel.write(json.dumps({"fatal": str(exc)}) + "\n")
        return 1
    channel.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        rid = request.get("id")
        started = time.perf_counter()
        try:
            result = fn(*request.get("args", []), **request.get("kwargs", {}))
        except BaseException as exc:  # report every model failure and keep serving
            traceback.print_exc()
            text = _failure(rid, f"{type(exc).__name__}: {exc}", started)
        else:
            try:
                text = json.dumps({"id": rid, "ok": True, "result": result, "ms": _ms(started)})
            except (TypeError, ValueError) as exc:
                text = _failure(rid, f"model result is not JSON serializable: {exc}", started)
        sys.stderr.flush()
        channel.write(text + "\n")
    return 0


def main(argv: list[str]) -> int:
    mode, project_dir, file, function = argv
    if mode == "check":
        return check(project_dir, file, function)
    return serve(project_dir, file, function)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
