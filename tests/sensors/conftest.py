"""The operator tests' fixtures (a Domino project, an emulator per dialect, a connection to it) a sync
``hook`` on that connection, and a spy on sensor deferrals.

This folder is a package, so this module is not a bare ``conftest`` that would shadow the one the operator
tests import names from. ``tests/`` is on ``sys.path`` (the root conftest's folder), so ``tests/operators``
imports as the namespace package ``operators``. Its fixtures import ``dagutil`` as a top-level module (pytest
puts ``tests/operators`` on ``sys.path`` only when it collects that folder), so that folder is appended here:
tests here and those fixtures then share one ``dagutil``.
"""

import sys
from pathlib import Path

_OPERATORS = str(Path(__file__).resolve().parent.parent / "operators")
if _OPERATORS not in sys.path:
    sys.path.append(_OPERATORS)

from operators.conftest import domino, emulator, projects_dir  # noqa: E402
from sensors.livedomino import hook  # noqa: E402
from sensors.sensorutil import deferrals  # noqa: E402

__all__ = ["deferrals", "domino", "emulator", "hook", "projects_dir"]
