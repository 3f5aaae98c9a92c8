"""Status vocabularies, in one place: which statuses of each resource kind mean pending, success or failure.

Statuses are compared case-insensitively and with surrounding whitespace ignored, so the seed's
``COMPLETED`` and the real API's ``succeeded`` read the same way. Operators, sensors and triggers ask
this module; none of them compares status strings itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["pending", "success", "failure", "unknown"]


def normalize(status: str | None) -> str:
    """Lower-case, trimmed form of a status (``""`` for none)."""
    return (status or "").strip().lower()


@dataclass(frozen=True)
class Vocabulary:
    """The statuses one resource kind reports."""

    kind: str
    pending: frozenset[str]
    success: frozenset[str]
    failure: frozenset[str]

    @property
    def known(self) -> frozenset[str]:
        return self.pending | self.success | self.failure

    def outcome(self, status: str | None) -> Outcome:
        s = normalize(status)
        if s in self.success:
            return "success"
        if s in self.failure:
            return "failure"
        if s in self.pending:
            return "pending"
        return "unknown"

    def is_success(self, status: str | None) -> bool:
        return normalize(status) in self.success

    def is_failure(self, status: str | None) -> bool:
        return normalize(status) in self.failure

    def is_pending(self, status: str | None) -> bool:
        return normalize(status) in self.pending


def _v(kind: str, pending: Iterable[str], success: Iterable[str], failure: Iterable[str]) -> Vocabulary:
    return Vocabulary(
        kind,
        frozenset(normalize(s) for s in pending),
        frozenset(normalize(s) for s in success),
        frozenset(normalize(s) for s in failure),
    )


#: A Model API version (and a Model API, through its active version). "Ready to run" is a finished build
#: that is not serving yet: success for a build wait, pending for a wait on "Running".
MODEL_API_VERSION = _v(
    "model_api_version",
    pending=["Pending", "Preparing to build", "Building", "Ready to run", "Starting", "Stopping", "Queued"],
    success=["Running"],
    failure=["Failed", "Stalled", "Unreachable", "Stopped", "Error"],
)

#: Status values that mean "the build finished successfully" (the version exists as an image).
MODEL_API_BUILD_DONE = frozenset(normalize(s) for s in ["Ready to run", "Starting", "Running", "Stopped"])

#: Build log statuses (``buildLogs.status``).
BUILD_LOG = _v("build_log", pending=["preparing", "building"], success=["complete"], failure=["failed"])

#: Model Deployments (``status.state`` in the real API, ``status`` in the seed's shapes).
DEPLOYMENT = _v(
    "deployment",
    pending=["Pending", "Starting", "Updating", "Stopping", "Deleting", "Creating"],
    success=["Running"],
    failure=["Failed", "Deleted", "Stopped", "Error"],
)

#: Asynchronous predictions: the seed says COMPLETED/FAILED, Domino's docs queued/succeeded/failed,
#: the spec text Pending/Processing/Succeeded/Failed.
ASYNC_PREDICTION = _v(
    "async_prediction",
    pending=["Queued", "Pending", "Processing", "Running", "Submitted", "In progress"],
    success=["Succeeded", "Completed", "Success"],
    failure=["Failed", "Error", "Cancelled", "Canceled", "Timed out"],
)

#: Jobs (``job.status.executionStatus``).
JOB = _v(
    "job",
    pending=[
        "Queued",
        "Pending",
        "Preparing",
        "Pulling",
        "Building",
        "Starting",
        "Running",
        "Serving",
        "Finishing",
    ],
    success=["Succeeded", "Completed"],
    failure=["Failed", "Error", "Stopped", "Stopping", "Killed"],
)

VOCABULARIES: dict[str, Vocabulary] = {
    v.kind: v for v in (MODEL_API_VERSION, BUILD_LOG, DEPLOYMENT, ASYNC_PREDICTION, JOB)
}


def vocabulary(kind: str) -> Vocabulary:
    """The vocabulary for ``kind`` (one of :data:`VOCABULARIES`' keys)."""
    try:
        return VOCABULARIES[kind]
    except KeyError:
        raise ValueError(f"unknown status kind {kind!r}; expected one of {sorted(VOCABULARIES)}") from None


def matches(status: str | None, targets: Iterable[str]) -> bool:
    """Whether ``status`` is one of ``targets``, compared case-insensitively."""
    s = normalize(status)
    return any(s == normalize(t) for t in targets)


def check_targets(kind: str, targets: Iterable[str], field: str = "target_statuses") -> tuple[str, ...]:
    """Validate user-given target statuses against the vocabulary of ``kind``; return them as a tuple.

    Raises :class:`~airflow_provider_domino._client.errors.DominoInputError` naming ``field`` for an empty
    list or a status the resource kind never reports.
    """
    from airflow_provider_domino._client.errors import DominoInputError

    if isinstance(targets, str):
        targets = (targets,)
    out = tuple(targets)
    if not out:
        raise DominoInputError(field, "must name at least one status")
    vocab = vocabulary(kind)
    unknown = [t for t in out if not isinstance(t, str) or normalize(t) not in vocab.known]
    if unknown:
        raise DominoInputError(
            field,
            f"unknown status {unknown[0]!r} for a {kind.replace('_', ' ')}",
            f"use one of {sorted(vocab.known)}",
        )
    return out


def ended(vocab: Vocabulary, status: str | None, pending_until: Mapping[str, float], now: float) -> bool:
    """Whether ``status`` is a failure that ends a wait. ``pending_until`` maps statuses to the wall-clock time
    (epoch seconds) until which they still count as pending: right after a start request a deployment may
    still report ``STOPPED`` for a moment, because Domino applies the request asynchronously."""
    if not vocab.is_failure(status):
        return False
    until = {normalize(k): v for k, v in pending_until.items()}.get(normalize(status))
    return until is None or now >= until
