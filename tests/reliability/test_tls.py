"""TLS verification is on unless the connection turns it off; turning it off warns once."""

from __future__ import annotations

import json
import logging

import pytest
import responses

from airflow_provider_domino.hooks import domino as domino_hook
from airflow_provider_domino.hooks.domino import DominoHook

pytestmark = pytest.mark.reliability

HOST = "https://domino.example.com"


def _connect(monkeypatch: pytest.MonkeyPatch, conn_id: str, **extra: object) -> None:
    conn = {"conn_type": "domino", "host": HOST, "password": "KEY-tls-31c5", "extra": extra}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))


def test_verification_is_on_by_default_and_the_session_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _connect(monkeypatch, "tls_default")
    hook = DominoHook("tls_default")
    assert hook.settings.verify is True
    with responses.RequestsMock() as mocked:
        mocked.get(f"{HOST}/api/modelServing/v1/modelApis/m", json={"id": "m"})
        hook.get_model_api("m")
        # True, or the CA bundle requests picked from the environment (REQUESTS_CA_BUNDLE): on either way
        assert mocked.calls[0].request.req_kwargs["verify"] not in (False, None, "")


def test_a_ca_bundle_path_is_passed_through(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    _connect(monkeypatch, "tls_bundle", verify=str(bundle))
    assert DominoHook("tls_bundle").settings.verify == str(bundle)


def test_turning_verification_off_warns_once_per_connection(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(domino_hook, "_TLS_WARNED", set())
    _connect(monkeypatch, "tls_off", verify=False)
    with caplog.at_level(logging.WARNING, logger=domino_hook.__name__):
        for _ in range(3):
            assert DominoHook("tls_off").settings.verify is False
    warnings = [r for r in caplog.records if "TLS certificate verification is OFF" in r.getMessage()]
    assert len(warnings) == 1
    assert "tls_off" in warnings[0].getMessage()
