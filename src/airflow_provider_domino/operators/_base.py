"""What every Domino operator and sensor shares: the hook, deferral defaults, waiting, and retry markers.

A *marker* names one task instance (dag_id, run_id, task_id, map_index) in a field Domino keeps (a version
or deployment description, a job title). A retried try, or a try whose create answer was lost, finds what
the earlier one created by its marker instead of creating it again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, BaseOperator

from airflow_provider_domino._client import statuses
from airflow_provider_domino._client.errors import DominoInputError

DEFAULT_POLL_INTERVAL = 10.0
DEFAULT_WAIT_TIMEOUT = 3600.0


def default_deferrable() -> bool:
    """``[operators] default_deferrable`` from Airflow's configuration (``False`` when unset)."""
    from airflow.providers.common.compat.sdk import conf

    return conf.getboolean("operators", "default_deferrable", fallback=False)


def task_marker(context: Any) -> str:
    """``[airflow:<16 hex>]``: a stable name for this task instance, the same on every try."""
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    if map_index is None:
        map_index = -1
    key = f"{ti.dag_id}\x1f{ti.run_id}\x1f{ti.task_id}\x1f{map_index}"
    return f"[airflow:{hashlib.sha256(key.encode()).hexdigest()[:16]}]"


def with_marker(text: str | None, marker: str, field: str = "description") -> str:
    """``text`` with ``marker`` appended; refuses (naming ``field``) a value that is not text."""
    from airflow_provider_domino._client.shapes import optional_text

    text = (optional_text(field, text) or "").strip()
    return f"{text} {marker}" if text else marker


def has_marker(text: Any, marker: str) -> bool:
    return isinstance(text, str) and marker in text


@contextmanager
def refused_input() -> Iterator[None]:
    """Turn bad input (checked before any request) into a task failure that Airflow does not retry."""
    try:
        yield
    except DominoInputError as exc:
        raise AirflowFailException(f"Invalid argument {exc}") from exc


def check_choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise DominoInputError(field, f"unknown value {value!r}", f"use one of {list(choices)}")
    return value


def check_positive_number(field: str, value: Any, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (value == 0 and not allow_zero):
        wanted = "a number of seconds >= 0" if allow_zero else "a positive number of seconds"
        raise DominoInputError(field, f"must be {wanted}, got {value!r}")
    return float(value)


class DominoBaseOperator(BaseOperator):
    """Base of the Domino operators: a lazily built hook, deferral and a bounded polling loop.

    :param domino_conn_id: the Airflow connection to Domino (type ``domino``).
    :param poll_interval: seconds between status checks while waiting.
    :param wait_timeout: give up waiting after this many seconds (also the deferral's timeout).
    :param deferrable: wait in the triggerer instead of on a worker; defaults to Airflow's
        ``[operators] default_deferrable``.
    """

    #: Whether :meth:`execute` returns a dict of ids (pushed key by key as well).
    returns_dict = True

    def __init__(
        self,
        *,
        domino_conn_id: str = "domino_default",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        # The dict an operator returns is also pushed key by key, so ``task.output["model_api_id"]`` works.
        kwargs.setdefault("multiple_outputs", self.returns_dict)
        super().__init__(**kwargs)
        self.domino_conn_id = domino_conn_id
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.deferrable = default_deferrable() if deferrable is None else deferrable

    @cached_property
    def hook(self) -> Any:
        from airflow_provider_domino.hooks.domino import DominoHook

        return DominoHook(self.domino_conn_id)

    def check_wait_settings(self) -> None:
        check_positive_number("poll_interval", self.poll_interval)
        check_positive_number("wait_timeout", self.wait_timeout)

    def wait_for_status(
        self,
        fetch: Callable[[], str | None],
        kind: str,
        targets: tuple[str, ...],
        what: str,
        pending_until: Mapping[str, float] | None = None,
    ) -> str:
        """Poll ``fetch`` on this worker until its status is a target; fail on a failure status or timeout.
        ``pending_until`` lets failure statuses count as pending until a time (see :func:`statuses.ended`)."""
        vocab = statuses.vocabulary(kind)
        deadline = time.monotonic() + float(self.wait_timeout)
        while True:
            current = fetch()
            if statuses.matches(current, targets):
                return current or ""
            if statuses.ended(vocab, current, pending_until or {}, time.time()):
                raise self.failed(current, what)
            if time.monotonic() >= deadline:
                raise AirflowException(f"Timed out after {self.wait_timeout:g}s waiting for {what}; it is {current}")
            self.log.info("%s is %s; checking again in %.0fs", what, current, self.poll_interval)
            time.sleep(float(self.poll_interval))

    def failed(self, status: str | None, what: str) -> Exception:
        """The exception for a resource that ended in a failure status (subclasses add logs)."""
        return AirflowFailException(f"{what} ended {status}")

    def defer_to(self, trigger: Any, *, method_name: str = "execute_complete") -> None:
        """Defer to ``trigger`` for at most ``wait_timeout``; what the resumed task needs travels in the
        trigger's ``carry`` (``dag.test()`` drops ``defer(kwargs=...)``)."""
        self.defer(trigger=trigger, method_name=method_name, timeout=timedelta(seconds=float(self.wait_timeout)))

    def event_or_fail(self, event: dict[str, Any] | None, what: str) -> dict[str, Any]:
        """The trigger's event when it says success; otherwise the failure, raised."""
        if not event:
            raise AirflowException(f"No event from the trigger waiting for {what}")
        if event.get("status") == "success":
            return event
        if event.get("status") == "failure":
            raise self.failed(event.get("domino_status"), what)
        raise AirflowException(event.get("message") or f"Waiting for {what} failed")
