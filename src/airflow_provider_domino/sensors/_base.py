"""What the Domino sensors share: the hook, one status check, and deferral to a trigger."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
)

from airflow_provider_domino.operators._base import default_deferrable, refused_input


class DominoBaseSensor(BaseSensorOperator):
    """Poke, reschedule or defer. In deferrable mode the state is checked once first: no deferral when the
    wait is already over.

    :param domino_conn_id: the Airflow connection to Domino.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    """

    def __init__(
        self, *, domino_conn_id: str = "domino_default", deferrable: bool | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.domino_conn_id = domino_conn_id
        self.deferrable = default_deferrable() if deferrable is None else deferrable

    @cached_property
    def hook(self) -> Any:
        from airflow_provider_domino.hooks.domino import DominoHook

        return DominoHook(self.domino_conn_id)

    def validate(self) -> None:
        """Check the (rendered) arguments before any request; raise ``DominoInputError``."""

    def trigger(self) -> Any:
        raise NotImplementedError

    def on_event(self, context: Any, event: dict[str, Any]) -> Any:
        """The sensor's return value from a successful trigger event."""
        return None

    def execute(self, context: Any) -> Any:
        with refused_input():
            self.validate()
        if not self.deferrable:
            return super().execute(context)
        try:
            done = self.poke(context)
        except AirflowFailException as exc:
            # As the poke loop of BaseSensorOperator.execute does: a failure skips under soft_fail / never_fail.
            if self.soft_fail or getattr(self, "never_fail", False):
                raise AirflowSkipException(f"Skipping due to soft_fail or never_fail: {exc}") from exc
            raise
        if isinstance(done, PokeReturnValue):
            if done.is_done:
                return done.xcom_value
        elif done:
            return None
        self.defer(
            trigger=self.trigger(), method_name="execute_complete", timeout=timedelta(seconds=float(self.timeout))
        )

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        if not event:
            raise AirflowException("No event from the trigger")
        if event.get("status") == "success":
            return self.on_event(context, event)
        if event.get("status") == "failure":
            raise self.failure(event.get("domino_status"), event)
        raise AirflowException(event.get("message") or "The trigger failed")

    def failure(self, status: str | None, details: dict[str, Any]) -> Exception:
        raise NotImplementedError
