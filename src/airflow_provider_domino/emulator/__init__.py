"""A local Domino: ``python -m airflow_provider_domino.emulator`` (see docs/emulator.md).

Importing this package is cheap: the server (starlette, uvicorn) is imported only when it runs.
"""

from __future__ import annotations

from airflow_provider_domino.emulator.testing import RunningEmulator, run_emulator

__all__ = ["RunningEmulator", "run_emulator"]
