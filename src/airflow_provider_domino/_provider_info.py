"""What Airflow's ProvidersManager learns about this package (``airflow providers list`` and the UI).

Cheap to import and free of Airflow imports: the providers manager imports it in every Airflow process.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_domino import __version__
from airflow_provider_domino.hooks._connection_form import (
    CONN_TYPE,
    HOOK_NAME,
    conn_fields,
    ui_field_behaviour,
)

INTEGRATION = "Domino"
_PACKAGE = "airflow_provider_domino"

PROVIDER_INFO: dict[str, Any] = {
    "package-name": "airflow-provider-domino",
    "name": "Domino",
    "description": (
        "`Domino Data Lab <https://www.dominodatalab.com/>`__ Model APIs: deploy, version, serve and "
        "score models from Airflow, with deferrable waits and a local Domino emulator.\n"
    ),
    "versions": [__version__],
    "integrations": [
        {
            "integration-name": INTEGRATION,
            "external-doc-url": "https://docs.dominodatalab.com/",
            "tags": ["software"],
        }
    ],
    "hooks": [{"integration-name": INTEGRATION, "python-modules": [f"{_PACKAGE}.hooks.domino"]}],
    "operators": [
        {
            "integration-name": INTEGRATION,
            "python-modules": [
                f"{_PACKAGE}.operators.model_apis",
                f"{_PACKAGE}.operators.deployments",
                f"{_PACKAGE}.operators.registry",
                f"{_PACKAGE}.operators.predictions",
                f"{_PACKAGE}.operators.jobs",
            ],
        }
    ],
    "sensors": [
        {
            "integration-name": INTEGRATION,
            "python-modules": [
                f"{_PACKAGE}.sensors.model_apis",
                f"{_PACKAGE}.sensors.predictions",
                f"{_PACKAGE}.sensors.deployments",
            ],
        }
    ],
    "triggers": [{"integration-name": INTEGRATION, "python-modules": [f"{_PACKAGE}.triggers"]}],
    "connection-types": [
        {
            "hook-class-name": f"{_PACKAGE}.hooks.domino.DominoHook",
            "connection-type": CONN_TYPE,
            "hook-name": HOOK_NAME,
            "conn-fields": conn_fields(),
            "ui-field-behaviour": ui_field_behaviour(),
        }
    ],
    "extra-links": [
        f"{_PACKAGE}.operators.links.DominoModelApiLink",
        f"{_PACKAGE}.operators.links.DominoJobLink",
    ],
    "config": {
        "domino": {
            "description": "Options for the Domino provider.",
            "options": {
                "trigger_max_concurrent_polls": {
                    "description": (
                        "How many of the Domino triggers of one triggerer event loop, per connection, may open "
                        "their HTTP client or poll Domino at the same moment; the others wait their turn, and "
                        "a trigger waiting between polls takes no slot. Keeps a burst of triggers (a thousand "
                        "deferred together) from blocking the triggerer's event loop. Raise it when Domino "
                        "answers slowly and many triggers poll often.\n"
                    ),
                    "version_added": "0.1.0",
                    "type": "integer",
                    "example": "64",
                    "default": "32",
                }
            },
        }
    },
}
