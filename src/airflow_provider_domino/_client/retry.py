"""The one retry decision, shared by the sync and async transports, and its tenacity wiring.

What is retried:
- a request that surely never reached the server (connection refused, DNS failure, connect timeout);
- 429 and 503, honouring ``Retry-After`` (seconds or an HTTP date, capped);
- for idempotent requests (GET, PUT, DELETE, and the POSTs marked safe such as start/stop): lost answers
  (read timeouts, resets), 502, 504 and 500.
A create whose answer was lost is not repeated: it surfaces as
:class:`~airflow_provider_domino._client.errors.DominoOutcomeUnknownError`. Other 4xx are never retried.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from typing import TYPE_CHECKING, Any

from tenacity import RetryCallState, retry_if_exception, stop_after_attempt

if TYPE_CHECKING:
    from airflow_provider_domino._client.config import Settings
    from airflow_provider_domino._client.endpoints import Endpoint

ALWAYS_RETRYABLE = frozenset({429, 503})
IDEMPOTENT_RETRYABLE = frozenset({500, 502, 504})
MAX_BACKOFF = 60.0


def status_is_retryable(endpoint: Endpoint, status: int) -> bool:
    if status in ALWAYS_RETRYABLE:
        return True
    return endpoint.idempotent and status in IDEMPOTENT_RETRYABLE


def transport_is_retryable(endpoint: Endpoint, kind: str) -> bool:
    """``connect``: never reached the server, always safe; ``lost``: safe only when idempotent;
    ``tls``: a certificate problem, which waiting does not fix."""
    if kind == "tls":
        return False
    return kind == "connect" or endpoint.idempotent


def parse_retry_after(value: str | None, *, cap: float, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), capped at ``cap``."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, cap))


def _is_retryable(exc: BaseException) -> bool:
    from airflow_provider_domino._client.errors import DominoError

    return isinstance(exc, DominoError) and exc.retryable


def _wait(settings: Settings):
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is not None:
            return float(hinted)
        backoff = settings.retry_backoff * (2 ** (state.attempt_number - 1))
        return min(MAX_BACKOFF, backoff) * (0.5 + random.random() / 2)

    return wait


def retry_kwargs(settings: Settings, logger: logging.Logger) -> dict[str, Any]:
    """Keyword arguments for ``tenacity.Retrying`` and ``tenacity.AsyncRetrying`` alike."""

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "Domino request failed (attempt %d of %d), retrying in %.1fs: %s",
            state.attempt_number,
            settings.max_retries + 1,
            state.next_action.sleep if state.next_action else 0.0,
            exc,
        )

    return {
        "retry": retry_if_exception(_is_retryable),
        "stop": stop_after_attempt(settings.max_retries + 1),
        "wait": _wait(settings),
        "reraise": True,
        "before_sleep": before_sleep,
    }
