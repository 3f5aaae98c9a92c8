"""``python -m airflow_provider_domino.emulator``: run a local Domino (see docs/emulator.md)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from airflow_provider_domino.emulator.config import DIALECTS, EmulatorConfig
from airflow_provider_domino.emulator.faults import FaultSpecError, parse_fault_spec


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="domino-emulator",
        description="A local Domino Data Lab emulator (Model APIs, deployments, registry, jobs).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    p.add_argument("--projects", default=".", metavar="DIR", help="folder whose subfolders are projects")
    p.add_argument("--dialect", choices=DIALECTS, default="seed", help="response shapes (default seed)")
    p.add_argument("--api-key", help="platform API key / bearer token accepted (generated if absent)")
    p.add_argument("--model-token", help="model access token every Model API accepts (generated if absent)")
    p.add_argument("--faults", default="", metavar="SPEC", help="fault injection, e.g. rate=0.3,seed=7,kinds=500+reset")
    p.add_argument("--state", metavar="FILE", help="SQLite file that keeps state across restarts")
    p.add_argument("--build-seconds", type=float, default=1.0, help="build to running time (default 1.0)")
    p.add_argument("--model-timeout", type=float, default=60.0, help="model call timeout in seconds (default 60)")
    p.add_argument("--job-queue-seconds", type=float, help="time a job stays Queued (default build-seconds/4)")
    p.add_argument(
        "--deployment-seconds", type=float, help="time a deployment stays STARTING/STOPPING (default build-seconds/2)"
    )
    p.add_argument(
        "--start-lag-seconds",
        type=float,
        default=0.0,
        help="time a started deployment still reports its old state (STOPPED), as a busy Domino may (default 0)",
    )
    p.add_argument("--max-body-bytes", type=int, default=16 * 1024 * 1024, help="largest request body accepted")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        faults = parse_fault_spec(args.faults)
    except FaultSpecError as exc:
        parser().error(f"--faults: {exc}")
    if not os.path.isdir(args.projects):
        parser().error(f"--projects: {args.projects!r} is not a directory")
    if args.build_seconds < 0 or args.model_timeout <= 0 or args.start_lag_seconds < 0:
        parser().error("--build-seconds and --start-lag-seconds must be >= 0 and --model-timeout > 0")
    extra: list[str] = []
    api_key = args.api_key
    if not api_key:
        api_key = secrets.token_urlsafe(24)
        extra.append(f"DOMINO_API_KEY={api_key}")
    model_token = args.model_token
    if not model_token:
        model_token = secrets.token_urlsafe(24)
        extra.append(f"DOMINO_MODEL_TOKEN={model_token}")
    extra.append(f"DOMINO_EMULATOR_DIALECT={args.dialect}")
    config = EmulatorConfig(
        api_key=api_key,
        model_token=model_token,
        projects_dir=args.projects,
        dialect=args.dialect,
        host=args.host,
        port=args.port,
        faults=faults,
        state_file=args.state,
        build_seconds=args.build_seconds,
        model_timeout=args.model_timeout,
        job_queue_seconds=args.job_queue_seconds,
        deployment_seconds=args.deployment_seconds,
        start_lag_seconds=args.start_lag_seconds,
        max_body_bytes=args.max_body_bytes,
    )
    from airflow_provider_domino.emulator.server import serve

    return serve(config, extra)


if __name__ == "__main__":
    sys.exit(main())
