"""One small error hierarchy for everything the Domino client raises.

Every error built from an HTTP answer carries the HTTP status, method, path, Domino's request id and
Domino's own message. No message ever holds a credential: texts pass through :func:`scrub` with the
secrets the client knows before an error is built.
"""

from __future__ import annotations

from collections.abc import Iterable


class DominoError(Exception):
    """Root of every error this provider raises about Domino."""

    #: Whether the transport may send the same request again.
    retryable: bool = False
    #: Seconds the server asked us to wait (``Retry-After``), when it said so.
    retry_after: float | None = None


class DominoInputError(DominoError, ValueError):
    """Input that was checked locally and refused before any request was sent."""

    def __init__(self, field: str, problem: str, fix: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        text = f"{field}: {problem}"
        if fix:
            text += f" ({fix})"
        super().__init__(text)


class DominoConfigError(DominoInputError):
    """The Airflow connection (or the in-Domino environment) cannot be turned into client settings."""


class DominoApiError(DominoError):
    """Domino answered with an error status (or an answer the client cannot read)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        request_id: str | None = None,
        domino_message: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.request_id = request_id
        self.domino_message = domino_message
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(message)


class DominoAuthError(DominoApiError):
    """401 or 403: the credential is missing, wrong, or lacks the permission."""


class DominoNotFoundError(DominoApiError):
    """404: the resource does not exist (or is not visible to this credential)."""


class DominoConflictError(DominoApiError):
    """409: the request conflicts with the current state (for example a duplicate name)."""


class DominoValidationError(DominoApiError):
    """400 or 422: Domino refused the request body or parameters."""


class DominoPayloadTooLargeError(DominoValidationError):
    """413: the request body is over Domino's limit."""


class DominoRateLimitError(DominoApiError):
    """429: too many requests (retried while attempts remain, honouring ``Retry-After``)."""


class DominoServerError(DominoApiError):
    """5xx from Domino or from a proxy in front of it."""


class DominoResponseError(DominoApiError):
    """A success status whose body is not what the endpoint answers (not JSON, or the wrong shape)."""


class DominoConnectionError(DominoApiError):
    """The request could not be delivered, or no answer came back, and it is safe to say nothing changed.

    Raised when retries are exhausted for an idempotent request, or for any request that surely never
    reached the server (connection refused, DNS failure, connect timeout).
    """


class DominoOutcomeUnknownError(DominoApiError):
    """A non-idempotent request (a create) may or may not have been applied.

    The request was sent but its answer was lost (read timeout, connection reset, a 502/504 from a proxy).
    Sending it again could create a duplicate, so the transport does not; the caller resolves it by looking
    up what exists (the operators do this with the marker they write into every resource they create).
    """

    retryable = False


_STATUS_CLASSES: dict[int, type[DominoApiError]] = {
    400: DominoValidationError,
    401: DominoAuthError,
    403: DominoAuthError,
    404: DominoNotFoundError,
    409: DominoConflictError,
    413: DominoPayloadTooLargeError,
    422: DominoValidationError,
    429: DominoRateLimitError,
}


def error_class_for_status(status: int) -> type[DominoApiError]:
    """The error class that an HTTP error status maps to."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return DominoServerError
    return DominoApiError


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every known secret (at least 4 characters long) in ``text`` with ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, "***")
    return text
