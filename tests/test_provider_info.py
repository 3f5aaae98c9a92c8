"""The provider's registration with Airflow: schema-valid metadata, real modules, one connection form."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from airflow_provider_domino import __version__, get_provider_info
from airflow_provider_domino.hooks import _connection_form as form

PACKAGE = "airflow-provider-domino"


def _airflow_schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files("airflow").joinpath(name).read_text(encoding="utf-8"))


def _airflow_major() -> int:
    from airflow import __version__ as airflow_version

    return int(airflow_version.split(".")[0])


def _declared_modules() -> list[str]:
    info = get_provider_info()
    return sorted(
        {
            module
            for section in ("hooks", "operators", "sensors", "triggers")
            for entry in info.get(section, [])
            for module in entry["python-modules"]
        }
    )


def _declared_classes() -> list[str]:
    info = get_provider_info()
    return sorted([c["hook-class-name"] for c in info["connection-types"]] + info["extra-links"])


# --- metadata ------------------------------------------------------------------------------------


def test_provider_info_validates_against_airflows_provider_info_schema() -> None:
    jsonschema.validate(get_provider_info(), _airflow_schema("provider_info.schema.json"))


def test_connection_type_validates_against_airflows_provider_yaml_schema() -> None:
    # provider.yaml's schema is the stricter one: on Airflow 3.2+ it spells out conn-fields.
    schema = _airflow_schema("provider.yaml.schema.json")["properties"]["connection-types"]
    jsonschema.validate(get_provider_info()["connection-types"], schema)


def test_provider_info_names_the_package_version_and_integration() -> None:
    info = get_provider_info()
    assert info["package-name"] == PACKAGE
    assert info["name"] == "Domino"
    assert info["versions"] == [__version__]
    integration_names = {i["integration-name"] for i in info["integrations"]}
    assert integration_names == {"Domino"}
    for section in ("hooks", "operators", "sensors", "triggers"):
        assert {e["integration-name"] for e in info[section]} <= integration_names, section


def test_config_section_declares_the_trigger_poll_gate_with_its_real_default() -> None:
    from airflow_provider_domino.triggers import DEFAULT_MAX_CONCURRENT_POLLS

    option = get_provider_info()["config"]["domino"]["options"]["trigger_max_concurrent_polls"]
    assert option["type"] == "integer"
    assert int(option["default"]) == DEFAULT_MAX_CONCURRENT_POLLS


def test_installed_distribution_version_matches_the_package() -> None:
    from importlib.metadata import version

    assert version(PACKAGE) == __version__


def test_entry_point_registers_get_provider_info() -> None:
    from importlib.metadata import entry_points

    (entry_point,) = [ep for ep in entry_points(group="apache_airflow_provider") if ep.dist and ep.dist.name == PACKAGE]
    assert entry_point.load() is get_provider_info


def test_connection_type_is_domino_with_hook_name_domino() -> None:
    (conn,) = get_provider_info()["connection-types"]
    assert conn["connection-type"] == "domino"
    assert conn["hook-name"] == "Domino"
    assert conn["hook-class-name"] == "airflow_provider_domino.hooks.domino.DominoHook"


def test_importing_provider_info_does_not_import_airflow() -> None:
    # ProvidersManager imports it in every Airflow process; it must stay cheap.
    code = (
        "import sys, airflow_provider_domino as p; p.get_provider_info(); "
        "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith(('airflow.', 'flask', 'wtforms'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- every declared module exists ----------------------------------------------------------------
# These fail until each module of the public surface is written: that is the point.


@pytest.mark.parametrize("module", _declared_modules())
def test_declared_module_exists_and_imports(module: str) -> None:
    src = Path(__file__).resolve().parents[1] / "src"
    relative = Path(*module.split("."))
    exists = (src / relative).with_suffix(".py").is_file() or (src / relative / "__init__.py").is_file()
    assert exists, f"{module} is declared in the provider info but has no source file"
    importlib.import_module(module)


@pytest.mark.parametrize("dotted", _declared_classes())
def test_declared_class_exists(dotted: str) -> None:
    module, _, name = dotted.rpartition(".")
    assert isinstance(getattr(importlib.import_module(module), name), type)


# --- one table, two connection forms ---------------------------------------------------------------


def test_conn_fields_defaults_are_the_hooks_defaults() -> None:
    fields = form.conn_fields()
    assert set(fields) == set(form.DEFAULTS)
    assert form.DEFAULTS == {
        "auth_type": "api_key",
        "token_file": None,
        "model_access_token": None,
        "timeout": 60.0,
        "connect_timeout": 10.0,
        "verify": True,
        "max_retries": 5,
        "retry_backoff": 1.0,
        "ui_url": None,
    }
    for name, default in form.DEFAULTS.items():
        declared = fields[name]["schema"].get("default")
        if name == "verify":
            assert declared == "true"
        else:
            assert declared == default, name


def test_model_access_token_is_a_secret_field_and_auth_type_a_choice() -> None:
    fields = form.conn_fields()
    assert fields["model_access_token"]["schema"]["format"] == "password"
    assert fields["auth_type"]["schema"]["enum"] == ["api_key", "bearer"]
    assert [n for n, f in fields.items() if f["schema"].get("format") == "password"] == ["model_access_token"]


def test_ui_field_behaviour_hides_unused_fields_and_relabels_host_and_password() -> None:
    modern, legacy = form.ui_field_behaviour(), form.legacy_ui_field_behaviour()
    assert set(modern["hidden-fields"]) == set(legacy["hidden_fields"]) == {"schema", "login", "port"}
    relabeling = {"host": "Domino host", "password": "API key or token"}
    assert modern["relabeling"] == legacy["relabeling"] == relabeling
    assert modern["placeholders"] == legacy["placeholders"]
    assert modern["placeholders"]["host"] == "https://domino.example.com"


def _legacy_widgets() -> dict[str, Any]:
    if _airflow_major() >= 3:
        pytest.skip("Airflow 3 reads conn-fields; the Airflow 2 web form libraries are not installed")
    return form.connection_form_widgets()


def test_legacy_form_has_the_same_fields_labels_and_defaults() -> None:
    widgets = _legacy_widgets()
    fields = form.conn_fields()
    assert list(widgets) == list(fields)
    for name, widget in widgets.items():
        assert str(widget.args[0]) == fields[name]["label"]
        default = fields[name]["schema"].get("default")
        assert widget.kwargs.get("default") == default, name


def test_legacy_form_uses_only_field_classes_airflow_2_accepts() -> None:
    widgets = _legacy_widgets()
    from wtforms import BooleanField, IntegerField, PasswordField, StringField

    assert {w.field_class for w in widgets.values()} <= {BooleanField, IntegerField, PasswordField, StringField}
    assert widgets["model_access_token"].field_class is PasswordField


def test_form_fields_are_the_extras_the_client_reads() -> None:
    from airflow_provider_domino._client import config

    assert set(form.conn_fields()) <= config.KNOWN_EXTRAS
    # Every extra a user may set is on the form, except tuning knobs kept out of the UI.
    assert config.KNOWN_EXTRAS - set(form.conn_fields()) <= {"retry_after_cap"}
    for name, default in form.DEFAULTS.items():
        assert default == config.DEFAULTS.get(name), name


# --- what Airflow itself sees ----------------------------------------------------------------------


def test_providers_manager_offers_the_domino_connection_form() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert manager.providers[PACKAGE].version == __version__
    widgets = manager.connection_form_widgets
    assert {f"extra__domino__{name}" for name in form.DEFAULTS} <= set(widgets)
    assert widgets["extra__domino__model_access_token"].is_sensitive
    assert not widgets["extra__domino__timeout"].is_sensitive
    behaviour = manager.field_behaviours["domino"]
    assert set(behaviour["hidden_fields"]) == {"schema", "login", "port"}
    assert behaviour["relabeling"]["password"] == "API key or token"


def _airflow_cli(*args: str, home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _json_rows(stdout: str) -> list[dict[str, Any]]:
    # Airflow may print log lines before the JSON document.
    return json.loads(stdout[stdout.index("[") :])


def test_airflow_providers_list_shows_the_package(tmp_path: Path) -> None:
    rows = _json_rows(_airflow_cli("providers", "list", "--output", "json", home=tmp_path))
    (row,) = [r for r in rows if r["package_name"] == PACKAGE]
    assert row["version"] == __version__


def test_airflow_providers_get_shows_the_package(tmp_path: Path) -> None:
    rows = _json_rows(_airflow_cli("providers", "get", PACKAGE, "--output", "json", home=tmp_path))
    assert rows == [{"Provider": PACKAGE, "Version": __version__}]
