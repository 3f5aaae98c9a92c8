"""The shared Domino fixtures (``tests/domino_env.py``), a sync ``hook`` on the connection, and a spy on
sensor deferrals."""

from domino_env import domino, emulator, projects_dir
from sensors.livedomino import hook
from sensors.sensorutil import deferrals

__all__ = ["deferrals", "domino", "emulator", "hook", "projects_dir"]
