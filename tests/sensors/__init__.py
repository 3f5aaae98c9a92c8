"""Sensor tests against the live emulator (a package, so its conftest never shadows another folder's)."""
