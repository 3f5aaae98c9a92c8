"""The shared Domino fixtures (``tests/domino_env.py``): a project, an emulator per dialect, a connection."""

from domino_env import domino, emulator, projects_dir

__all__ = ["domino", "emulator", "projects_dir"]
