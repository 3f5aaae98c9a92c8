"""The distribution as users get it: version, wheel contents, entry point, and docs that match the code."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from airflow_provider_domino import __version__
from airflow_provider_domino.hooks._connection_form import EXTRA_FIELDS, ExtraField

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    import tomllib  # Python 3.11+, imported here so the import block sorts the same for any target version

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_pyproject_version_is_the_package_version() -> None:
    assert _pyproject()["project"]["version"] == __version__


def test_pyproject_declares_the_airflow_provider_entry_point() -> None:
    entry_points = _pyproject()["project"]["entry-points"]["apache_airflow_provider"]
    assert entry_points == {"provider_info": "airflow_provider_domino:get_provider_info"}


def test_pyproject_requires_airflow_2_11_and_common_compat() -> None:
    dependencies = _pyproject()["project"]["dependencies"]
    assert "apache-airflow>=2.11" in dependencies
    assert "apache-airflow-providers-common-compat>=1.23" in dependencies


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """Build the wheel once, the way pip would for a user (isolated build with hatchling)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )
    (path,) = out.glob("airflow_provider_domino-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_the_package_typed_without_tests(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert "airflow_provider_domino/__init__.py" in names
    assert "airflow_provider_domino/_provider_info.py" in names
    assert "airflow_provider_domino/hooks/_connection_form.py" in names
    assert "airflow_provider_domino/py.typed" in names
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n]


def test_wheel_metadata_has_entry_point_version_and_extras(wheel: zipfile.ZipFile) -> None:
    dist_info = f"airflow_provider_domino-{__version__}.dist-info"
    entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    assert "[apache_airflow_provider]" in entry_points
    assert "provider_info = airflow_provider_domino:get_provider_info" in entry_points
    metadata = wheel.read(f"{dist_info}/METADATA").decode()
    assert f"Version: {__version__}" in metadata
    assert "Provides-Extra: emulator" in metadata
    assert "Requires-Dist: apache-airflow>=2.11" in metadata


# --- the docs describe the connection the code reads ------------------------------------------------


def _documented_default(field: ExtraField) -> str | None:
    if field.default is None:
        return None
    if isinstance(field.default, bool):
        return str(field.default).lower()
    if isinstance(field.default, float):
        return f"{field.default:g}"
    return str(field.default)


def _table_row(text: str, name: str) -> str:
    rows = [line for line in text.splitlines() if re.match(rf"^\|\s*`{name}`\s*\|", line)]
    assert rows, f"no table row for `{name}`"
    return rows[0]


@pytest.mark.parametrize("doc", ["README.md", "docs/connection.md"])
@pytest.mark.parametrize("field", EXTRA_FIELDS, ids=lambda f: f.name)
def test_docs_table_lists_every_connection_extra_with_its_default(doc: str, field: ExtraField) -> None:
    row = _table_row((ROOT / doc).read_text(encoding="utf-8"), field.name)
    default = _documented_default(field)
    if default is not None:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert f"`{default}`" in cells, f"{doc}: `{field.name}` row does not show default `{default}`"


def test_ci_runs_lint_then_airflow2_then_airflow3_tests_last() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines()]
    commands = [c for c in commands if c and not c.startswith(("#", "echo"))]
    pattern = re.compile(r"(?:step|make(?:\s+--?[\w-]+)*)\s+(lint|test-airflow2|test)\b")
    steps = [m.group(1) for m in map(pattern.match, commands) if m]
    assert steps == ["lint", "test-airflow2", "test"]
