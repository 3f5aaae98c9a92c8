"""Deterministic fault injection: which API request gets which failure.

Grammar (``--faults``), comma-separated ``key=value`` pairs, every key optional::

    rate=0.3,seed=7,kinds=500+502+503+504+429+reset+slow+lost,retry_after=1,slow_seconds=2,
    methods=POST+PUT,paths=/api/modelServing+/models,first=0,max=0

The same seed and the same sequence of eligible requests give the same sequence of faults: each eligible
request draws one number from a ``random.Random(seed)``; below ``rate`` it draws a kind from ``kinds``.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

ALL_KINDS = ("500", "502", "503", "504", "429", "reset", "slow", "lost")


class FaultSpecError(ValueError):
    """A fault specification that cannot be parsed."""


@dataclass
class FaultSettings:
    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = ALL_KINDS
    retry_after: int = 1
    slow_seconds: float = 2.0
    methods: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    first: int = 0  # skip this many eligible requests before injecting
    max: int = 0  # stop after this many faults (0 = no limit)

    def as_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "seed": self.seed,
            "kinds": list(self.kinds),
            "retryAfter": self.retry_after,
            "slowSeconds": self.slow_seconds,
            "methods": list(self.methods),
            "paths": list(self.paths),
            "first": self.first,
            "max": self.max,
            "spec": self.as_spec(),
        }

    def as_spec(self) -> str:
        parts = [
            f"rate={self.rate:g}",
            f"seed={self.seed}",
            "kinds=" + "+".join(self.kinds),
            f"retry_after={self.retry_after}",
            f"slow_seconds={self.slow_seconds:g}",
        ]
        if self.methods:
            parts.append("methods=" + "+".join(self.methods))
        if self.paths:
            parts.append("paths=" + "+".join(self.paths))
        if self.first:
            parts.append(f"first={self.first}")
        if self.max:
            parts.append(f"max={self.max}")
        return ",".join(parts)


_ALIASES = {
    "retry_after": "retry_after",
    "retryafter": "retry_after",
    "slow_seconds": "slow_seconds",
    "slowseconds": "slow_seconds",
    "paths": "paths",
    "pathprefixes": "paths",
    "path_prefixes": "paths",
}


def _number(key: str, raw: Any, kind: type) -> Any:
    if isinstance(raw, bool):
        raise FaultSpecError(f"fault setting {key!r} must be a number, not {raw!r}")
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise FaultSpecError(f"fault setting {key!r} must be a number, not {raw!r}") from None


def _names(key: str, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        items = [item.strip() for item in raw.replace("|", "+").split("+")]
    elif isinstance(raw, (list, tuple)) and all(isinstance(item, (str, int)) for item in raw):
        items = [str(item).strip() for item in raw]
    else:
        raise FaultSpecError(f"fault setting {key!r} must be a list of strings")
    return tuple(item for item in items if item)


def settings_from_mapping(values: dict[str, Any]) -> FaultSettings:
    """Build settings from a mapping (parsed spec string or the JSON of PUT /_emulator/faults)."""
    settings = FaultSettings()
    for raw_key, raw in values.items():
        key = _ALIASES.get(raw_key.lower(), raw_key.lower())
        if key == "rate":
            settings.rate = _number(key, raw, float)
            if not 0.0 <= settings.rate <= 1.0:
                raise FaultSpecError("fault rate must be between 0 and 1")
        elif key == "seed":
            settings.seed = _number(key, raw, int)
        elif key == "kinds":
            kinds = _names(key, raw)
            unknown = [kind for kind in kinds if kind not in ALL_KINDS]
            if unknown or not kinds:
                raise FaultSpecError(f"unknown fault kind(s) {unknown or kinds}; choose from {'+'.join(ALL_KINDS)}")
            settings.kinds = kinds
        elif key == "retry_after":
            settings.retry_after = _number(key, raw, int)
        elif key == "slow_seconds":
            settings.slow_seconds = _number(key, raw, float)
        elif key == "methods":
            settings.methods = tuple(method.upper() for method in _names(key, raw))
        elif key == "paths":
            settings.paths = _names(key, raw)
        elif key == "first":
            settings.first = _number(key, raw, int)
        elif key == "max":
            settings.max = _number(key, raw, int)
        elif key != "spec":
            raise FaultSpecError(f"unknown fault setting {raw_key!r}")
    return settings


def parse_fault_spec(spec: str) -> FaultSettings:
    """Parse the ``--faults`` grammar; an empty string means no faults."""
    values: dict[str, Any] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise FaultSpecError(f"fault setting {part!r} is not key=value")
        values[key.strip()] = value.strip()
    return settings_from_mapping(values)


@dataclass
class FaultInjector:
    """Draws faults for eligible requests, in order, from a seeded generator, and counts them."""

    settings: FaultSettings = field(default_factory=FaultSettings)
    counts: dict[str, int] = field(default_factory=dict)
    eligible: int = 0
    injected: int = 0
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.configure(self.settings)

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._rng = random.Random(settings.seed)
            self.counts = {}
            self.eligible = 0
            self.injected = 0

    def draw(self, method: str, path: str) -> str | None:
        """Return the fault kind for this request, or None."""
        settings = self.settings
        if settings.rate <= 0:
            return None
        if settings.methods and method.upper() not in settings.methods:
            return None
        if settings.paths and not any(path.startswith(prefix) for prefix in settings.paths):
            return None
        with self._lock:
            self.eligible += 1
            roll = self._rng.random()
            kind = self._rng.choice(settings.kinds)
            if self.eligible <= settings.first or roll >= settings.rate:
                return None
            if settings.max and self.injected >= settings.max:
                return None
            self.injected += 1
            self.counts[kind] = self.counts.get(kind, 0) + 1
            return kind

    def as_json(self) -> dict[str, Any]:
        return {
            "settings": self.settings.as_json(),
            "enabled": self.settings.rate > 0,
            "eligibleRequests": self.eligible,
            "injected": self.injected,
            "counts": {kind: self.counts.get(kind, 0) for kind in ALL_KINDS},
        }
