"""Settings of one emulator process (what the command line chose)."""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_provider_domino.emulator.faults import FaultSettings

DIALECTS = ("seed", "domino")


@dataclass
class EmulatorConfig:
    api_key: str
    model_token: str
    projects_dir: str = "."
    dialect: str = "seed"
    host: str = "127.0.0.1"
    port: int = 0
    faults: FaultSettings = field(default_factory=FaultSettings)
    state_file: str | None = None
    build_seconds: float = 1.0
    model_timeout: float = 60.0
    job_queue_seconds: float | None = None  # default: a quarter of build_seconds
    deployment_seconds: float | None = None  # default: half of build_seconds
    start_lag_seconds: float = 0.0  # a started deployment keeps reporting its old state this long
    max_body_bytes: int = 16 * 1024 * 1024
    async_body_bytes: int = 10 * 1024
    request_log_size: int = 20000

    @property
    def queue_seconds(self) -> float:
        return self.build_seconds / 4 if self.job_queue_seconds is None else self.job_queue_seconds

    @property
    def transition_seconds(self) -> float:
        return self.build_seconds / 2 if self.deployment_seconds is None else self.deployment_seconds
