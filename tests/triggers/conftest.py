"""The shared Domino fixtures (``tests/domino_env.py``) and a sync ``hook`` on the connection."""

from domino_env import domino, emulator, projects_dir
from sensors.livedomino import hook

__all__ = ["domino", "emulator", "hook", "projects_dir"]
