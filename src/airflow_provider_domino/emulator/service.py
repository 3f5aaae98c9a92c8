"""The emulated Domino: resources, their life cycles, and the answers in each dialect.

Statuses that move with time (builds, deployments) are computed from stored timestamps when read, so a
restart with ``--state`` resumes them where they were. Work that runs user code (build checks, model calls,
jobs) is done by subprocesses from :mod:`airflow_provider_domino.emulator.runtime`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import itertools
import os
import secrets
import sys
import time
import traceback
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from airflow_provider_domino.emulator.config import EmulatorConfig
from airflow_provider_domino.emulator.http import JSON, ApiError, Request, Response, Router, field_value
from airflow_provider_domino.emulator.runtime import (
    JobProcess,
    ModelCallError,
    ModelCrashed,
    ModelTimeout,
    ModelWorker,
    run_build_check,
)
from airflow_provider_domino.emulator.store import Store

OWNER = "emulator-user"
PENDING_STATUSES = ("Preparing to build", "Building", "Starting")
ASYNC_SEED_STATUS = {"queued": "QUEUED", "running": "RUNNING", "succeeded": "COMPLETED", "failed": "FAILED"}
JOB_DONE = ("Succeeded", "Failed", "Stopped", "Error")
MAX_LOG_LINES = 5000
_id_counter = itertools.count(secrets.randbelow(1 << 20))


def new_id() -> str:
    """A 24-hex id in the style of Domino's (time first, so ids sort by creation)."""
    return f"{int(time.time()):08x}{secrets.token_hex(5)}{next(_id_counter) & 0xFFFFFF:06x}"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def epoch_ms(ts: float) -> int:
    return int(ts * 1000)


def _pick(label: str, *candidates: tuple[JSON, str, str], kind: type = str, required: bool = False) -> Any:
    """One logical field that may arrive in the seed's flat body or the spec's nested one; both must agree."""
    found: list[tuple[str, Any]] = []
    for obj, key, where in candidates:
        value = field_value(obj, key, kind, where=where)
        if value is not None:
            found.append((f"{where}.{key}" if where else key, value))
    if not found:
        if required:
            names = " or ".join(repr(f"{where}.{key}" if where else key) for _, key, where in candidates)
            raise ApiError(400, f"field {names} is required ({label})")
        return None
    if any(value != found[0][1] for _, value in found[1:]):
        raise ApiError(400, f"fields {' and '.join(repr(n) for n, _ in found)} disagree ({label})")
    if kind is str and not str(found[0][1]).strip():
        raise ApiError(400, f"field {found[0][0]!r} must not be empty")
    return found[0][1]


class Domino:
    """All state and behaviour behind the Domino API paths."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.seed = config.dialect == "seed"
        self.store = Store(config.state_file)
        self.workers: dict[str, ModelWorker] = {}
        self.job_procs: dict[str, JobProcess] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.versions_by_api: dict[str, list[str]] = {}
        self._reindex()
        self.router = Router()
        self._add_routes()

    # ------------------------------------------------------------------ plumbing
    def _reindex(self) -> None:
        self.versions_by_api = {}
        for version in self.store.values("versions"):
            self.versions_by_api.setdefault(version["modelApiId"], []).append(version["id"])

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)

    async def startup(self) -> None:
        """Resume what a previous run left: unfinished builds, queued predictions; fail jobs it was running."""
        now = time.time()
        for version in self.store.values("versions"):
            if version.get("build") is None:
                self._add_build_line(version, now, "building", "Emulator restarted: resuming the build")
                self.spawn(self._build(version["id"]))
        for prediction in self.store.values("predictions"):
            if prediction["status"] in ("queued", "running"):
                prediction["status"] = "queued"
                self.store.put("predictions", prediction["id"], prediction)
                self.spawn(self._run_prediction(prediction["id"]))
        for job in self.store.values("jobs"):
            if job["status"] not in JOB_DONE:
                job.update(status="Failed", completed=now, problem="The emulator stopped while the job was running")
                self._add_job_line(job, "stdErr", "The emulator stopped while this job was running; job failed.\n")
                self.store.put("jobs", job["id"], job)
        self.spawn(self._flush_loop())

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self.store.flush()

    def _stop_processes(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for worker in self.workers.values():
            worker.kill_now()
        for proc in self.job_procs.values():
            proc.kill_now()
        self.workers.clear()
        self.job_procs.clear()

    async def shutdown(self) -> None:
        self._stop_processes()
        await asyncio.sleep(0)
        self.store.close()

    def reset(self) -> None:
        self._stop_processes()
        self.store.clear()
        self.versions_by_api = {}
        self.spawn(self._flush_loop())

    def project_dir(self, project_id: str) -> str:
        bad = not project_id or project_id.startswith(".") or "/" in project_id or "\\" in project_id
        path = os.path.join(self.config.projects_dir, project_id)
        if bad or not os.path.isdir(path):
            raise ApiError(404, f"project {project_id!r} not found")
        return os.path.abspath(path)

    def project_summary(self, project_id: str | None) -> JSON:
        return {"id": project_id or "", "name": project_id or "", "ownerUsername": OWNER, "isGitBasedProject": False}

    def _list_meta(self, req: Request, offset: int, limit: int, total: int) -> JSON:
        page = {"offset": offset, "limit": limit, "totalCount": total}
        return {"requestId": req.request_id, "notices": [], **page, "pagination": page}

    def _paginate(self, req: Request, items: list[Any], *, domino_offset: int = 25) -> tuple[list[Any], JSON | None]:
        """Seed: bare list honouring offset/limit. Domino: the spec's default offset applies (send offset!)."""
        if self.seed:
            offset = req.query_int("offset", 0) or 0
            limit = req.query_int("limit")
            return items[offset : None if limit is None else offset + limit], None
        offset = req.query_int("offset", domino_offset) or 0
        limit = req.query_int("limit", 25)
        assert limit is not None
        return items[offset : offset + limit], self._list_meta(req, offset, limit, len(items))

    def _list_response(self, req: Request, items: list[Any], **kwargs: Any) -> Response:
        page, meta = self._paginate(req, items, **kwargs)
        return Response(200, page if meta is None else {"items": page, "metadata": meta})

    # ------------------------------------------------------------------ auth
    def check_platform_auth(self, req: Request) -> None:
        presented = [req.headers.get("x-domino-api-key", "")]
        auth = req.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            presented.append(auth[7:].strip())
        presented = [p for p in presented if p]
        if not presented:
            raise ApiError(401, "missing credentials: send X-Domino-Api-Key or Authorization: Bearer <token>")
        if not any(hmac.compare_digest(p.encode(), self.config.api_key.encode()) for p in presented):
            raise ApiError(403, "invalid API key or token")

    def check_model_auth(self, req: Request, api: JSON, scheme: str) -> None:
        if api.get("isPublic"):
            return
        auth = req.headers.get("authorization", "")
        candidates: list[str] = []
        if auth[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise ApiError(403, "malformed Basic credentials") from None
            candidates = [user, password]
        elif auth[:7].lower() == "bearer ":
            candidates = [auth[7:].strip()]
        if not any(candidates):
            hint = "Basic auth (token, token)" if scheme == "basic" else "Authorization: Bearer <token>"
            raise ApiError(401, f"missing model access token: send {hint}")
        token = self.config.model_token.encode()
        if not any(hmac.compare_digest(c.encode(), token) for c in candidates if c):
            raise ApiError(403, "invalid model access token")

    # ------------------------------------------------------------------ version life cycle
    def _build_seconds(self, version: JSON) -> float:
        return float(version.get("buildSeconds", self.config.build_seconds))

    def _is_live(self, version: JSON, now: float) -> bool:
        return (
            version.get("build") == "ok"
            and version.get("deploy", True)
            and not version.get("stopped")
            and now - version["created"] >= self._build_seconds(version)
        )

    def version_status(self, version: JSON, now: float | None = None) -> str:
        now = time.time() if now is None else now
        api = self.store.get("modelApis", version["modelApiId"])
        if api is None or api.get("isArchived") or version.get("stopped"):
            return "Stopped"
        total = self._build_seconds(version)
        elapsed = now - version["created"]
        if elapsed < 0.25 * total:
            return "Preparing to build"
        if version.get("build") is None or elapsed < 0.6 * total:
            return "Building"
        if version["build"] == "failed":
            return "Failed"
        if elapsed < total:
            return "Starting"
        if not version.get("deploy", True):
            return "Ready to run"
        for other_id in reversed(self.versions_by_api.get(version["modelApiId"], [])):
            if other_id == version["id"]:
                break
            other = self.store.get("versions", other_id)
            if other is not None and self._is_live(other, now):
                return "Stopped"
        return "Running"

    def live_version(self, api_id: str, now: float | None = None) -> JSON | None:
        now = time.time() if now is None else now
        for version_id in reversed(self.versions_by_api.get(api_id, [])):
            version = self.store.get("versions", version_id)
            if version is not None and self._is_live(version, now):
                return version
        return None

    def active_version(self, api: JSON, now: float) -> JSON | None:
        live = self.live_version(api["id"], now)
        if live is not None:
            return live
        ids = self.versions_by_api.get(api["id"], [])
        return self.store.get("versions", ids[-1]) if ids else None

    def api_status(self, api: JSON, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if api.get("isArchived"):
            return "Stopped"
        active = self.active_version(api, now)
        return self.version_status(active, now) if active is not None else "Stopped"

    def _add_build_line(self, version: JSON, ts: float, stage: str, text: str) -> None:
        version.setdefault("buildLog", []).append([ts, stage, text])

    def _new_version(
        self,
        api: JSON,
        project_id: str,
        source: JSON,
        environment_id: str,
        description: str,
        deploy: bool,
        extra: JSON,
    ) -> JSON:
        now = time.time()
        total = self.config.build_seconds
        number = len(self.versions_by_api.get(api["id"], [])) + 1
        version: JSON = {
            "id": new_id(),
            "modelApiId": api["id"],
            "number": number,
            "projectId": project_id,
            "source": source,
            "environmentId": environment_id,
            "description": description,
            "deploy": deploy,
            "created": now,
            "buildSeconds": total,
            "build": None,
            "buildLog": [],
            "instanceLog": [],
            "commitId": secrets.token_hex(20),
            **extra,
        }
        self._add_build_line(version, now, "preparing", f"Preparing to build version {number} of {api['name']}")
        what = f"{source.get('file')}:{source.get('function')}" if source.get("file") else "registry model"
        self._add_build_line(version, now + 0.25 * total, "building", f"Building model image for {what}")
        self.store.put("versions", version["id"], version)
        self.versions_by_api.setdefault(api["id"], []).append(version["id"])
        self.spawn(self._build(version["id"]))
        return version

    async def _build(self, version_id: str) -> None:
        version = self.store.get("versions", version_id)
        if version is None:
            return
        source = version["source"]
        ok, lines = True, []
        try:
            if source["type"] == "Registry":
                registered = self._registered_version(
                    source["registeredModelName"], int(source["registeredModelVersion"])
                )
                lines.append(
                    f"Using registered model {registered['name']!r} version {source['registeredModelVersion']}"
                )
            if source.get("file"):
                ok, check_lines = await run_build_check(
                    self.project_dir(version["projectId"]),
                    source["file"],
                    source.get("function") or "",
                    self.config.model_timeout,
                )
                lines.extend(check_lines)
        except ApiError as exc:
            ok, lines = False, [*lines, exc.message]
        version = self.store.get("versions", version_id)
        if version is None:  # reset while building
            return
        now = time.time()
        total = self._build_seconds(version)
        start = version["created"]
        at = max(now, start + 0.25 * total)
        for line in lines:
            self._add_build_line(version, at, "building", line)
        if ok:
            self._add_build_line(version, max(at, start + 0.6 * total), "complete", "Build complete")
            self._add_build_line(version, max(at, start + 0.6 * total), "starting", "Starting model instances")
            self._add_build_line(version, max(at, start + total), "running", "Model API version is running")
        else:
            reason = lines[-1] if lines else "unknown error"
            self._add_build_line(version, max(at, start + 0.6 * total), "failed", f"Build failed: {reason}")
        version["build"] = "ok" if ok else "failed"
        self.store.put("versions", version_id, version)

    # ------------------------------------------------------------------ model APIs: parsing
    def _parse_source(self, flat: JSON, nested: JSON, where: str) -> JSON:
        source = field_value(nested, "source", dict, where=where) or {}
        src_where = f"{where}.source" if where else "source"
        kind = field_value(source, "type", str, where=src_where) or "File"
        if kind not in ("File", "Registry"):
            raise ApiError(400, f"field '{src_where}.type' must be 'File' or 'Registry', not {kind!r}")
        file = _pick("model file", (flat, "modelFile", ""), (source, "file", src_where), required=kind == "File")
        function = _pick(
            "model function", (flat, "modelFunction", ""), (source, "function", src_where), required=kind == "File"
        )
        result: JSON = {"type": kind}
        if file is not None:
            result["file"] = file
        if function is not None:
            result["function"] = function
        if file is not None and function is None:
            raise ApiError(400, f"field 'modelFunction' or '{src_where}.function' is required with a model file")
        excludes = field_value(source, "excludeFiles", list, where=src_where)
        if excludes is not None:
            result["excludeFiles"] = [str(item) for item in excludes]
        if kind == "Registry":
            name = field_value(source, "registeredModelName", str, required=True, where=src_where)
            number = field_value(source, "registeredModelVersion", int, required=True, where=src_where)
            self._registered_version(name, number)
            result.update(registeredModelName=name, registeredModelVersion=number)
        return result

    def _api_or_404(self, api_id: str) -> JSON:
        api = self.store.get("modelApis", api_id)
        if api is None:
            raise ApiError(404, f"Model API {api_id!r} not found")
        return api

    def _version_or_404(self, api_id: str, version_id: str) -> JSON:
        self._api_or_404(api_id)
        version = self.store.get("versions", version_id)
        if version is None or version["modelApiId"] != api_id:
            raise ApiError(404, f"version {version_id!r} of Model API {api_id!r} not found")
        return version

    @staticmethod
    def _check_replicas(value: Any, label: str) -> int | None:
        if value is not None and value < 1:
            raise ApiError(400, f"field {label!r} must be at least 1")
        return value  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ model APIs: handlers
    async def create_model_api(self, req: Request) -> Response:
        body = req.json()
        name = field_value(body, "name", str, required=True)
        nested = field_value(body, "version", dict) or {}
        project_id = _pick("project", (body, "projectId", ""), (nested, "projectId", "version"), required=True)
        source = self._parse_source(body, nested, "version")
        environment_id = _pick("environment", (body, "environmentId", ""), (nested, "environmentId", "version"))
        env_vars = field_value(body, "environmentVariables", list) or []
        for index, item in enumerate(env_vars):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise ApiError(400, f"field 'environmentVariables[{index}]' must be an object with a string 'key'")
        access = field_value(body, "access", dict) or {}
        is_public = _pick("public", (body, "isPublic", ""), (access, "isPublic", "access"), kind=bool)
        api: JSON = {
            "id": new_id(),
            "name": name,
            "description": field_value(body, "description", str, default=""),
            "projectId": project_id,
            "environmentId": environment_id or "default-environment",
            "hardwareTierId": field_value(body, "hardwareTierId", str),
            "resourceQuotaId": field_value(body, "resourceQuotaId", str),
            "replicas": self._check_replicas(field_value(body, "replicas", int), "replicas") or 1,
            "isAsync": bool(field_value(body, "isAsync", bool, default=False)),
            "isPublic": bool(is_public),
            "strictNodeAntiAffinity": bool(field_value(body, "strictNodeAntiAffinity", bool, default=False)),
            "environmentVariables": [{"key": i["key"], "value": str(i.get("value", ""))} for i in env_vars],
            "isArchived": False,
            "created": time.time(),
        }
        api["lastModified"] = api["created"]
        self.project_dir(project_id)
        version_description = _pick(
            "version description", (nested, "description", "version"), (body, "versionDescription", "")
        )
        deploy = field_value(nested, "shouldDeploy", bool, where="version", default=True)
        extra = self._version_flags(nested, "version")
        self.store.put("modelApis", api["id"], api)
        self._new_version(api, project_id, source, api["environmentId"], version_description or "", deploy, extra)
        return Response(200 if self.seed else 201, self.render_api(api, req))

    @staticmethod
    def _version_flags(body: JSON, where: str) -> JSON:
        return {
            "logHttpRequestResponse": bool(
                field_value(body, "logHttpRequestResponse", bool, where=where, default=False)
            ),
            "monitoringEnabled": bool(field_value(body, "monitoringEnabled", bool, where=where, default=False)),
            "recordInvocation": bool(field_value(body, "recordInvocation", bool, where=where, default=False)),
        }

    async def list_model_apis(self, req: Request) -> Response:
        project_id = req.query.get("projectId")
        name = req.query.get("name")
        env = req.query.get("environmentId")
        reg_name = req.query.get("registeredModelName")
        apis = []
        for api in self.store.tables["modelApis"].values():
            if api.get("isArchived"):
                continue
            if (project_id and api["projectId"] != project_id) or (name and api["name"] != name):
                continue
            if env and api["environmentId"] != env:
                continue
            if reg_name and not self._api_uses_registered(api["id"], reg_name, req.query_int("registeredModelVersion")):
                continue
            apis.append(api)
        page, meta = self._paginate(req, apis)
        now = time.time()
        items = [self.render_api(api, req, now) for api in page]
        return Response(200, items if meta is None else {"items": items, "metadata": meta})

    async def get_model_api(self, req: Request) -> Response:
        return Response(200, self.render_api(self._api_or_404(req.params["modelApiId"]), req))

    async def update_model_api(self, req: Request) -> Response:
        api = self._api_or_404(req.params["modelApiId"])
        body = req.json()
        if api.get("isArchived"):
            raise ApiError(400, f"Model API {api['id']!r} is archived and cannot be updated")
        changes: JSON = {}
        for key, kind in (
            ("name", str),
            ("description", str),
            ("environmentId", str),
            ("hardwareTierId", str),
            ("resourceQuotaId", str),
            ("replicas", int),
            ("isPublic", bool),
            ("isAsync", bool),
        ):
            value = field_value(body, key, kind)
            if value is not None:
                changes[key] = value
        if "name" in changes and not changes["name"].strip():
            raise ApiError(400, "field 'name' must not be empty")
        self._check_replicas(changes.get("replicas"), "replicas")
        api.update(changes, lastModified=time.time())
        self.store.put("modelApis", api["id"], api)
        return Response(200, self.render_api(api, req))

    async def delete_model_api(self, req: Request) -> Response:
        api = self._api_or_404(req.params["modelApiId"])
        if not api.get("isArchived"):
            api.update(isArchived=True, lastModified=time.time())
            self.store.put("modelApis", api["id"], api)
            for version_id in self.versions_by_api.get(api["id"], []):
                worker = self.workers.pop(version_id, None)
                if worker is not None:
                    worker.kill_now()
        if self.seed:
            return Response(200, self.render_api(api, req))
        return Response(204)

    async def list_versions(self, req: Request) -> Response:
        api = self._api_or_404(req.params["modelApiId"])
        now = time.time()
        versions = [self.store.get("versions", vid) for vid in self.versions_by_api.get(api["id"], [])]
        items = [self.render_version(v, now) for v in versions if v is not None]
        if self.seed:
            offset = req.query_int("offset", 0) or 0
            limit = req.query_int("limit")
            items = items[offset : None if limit is None else offset + limit]
        return Response(200, items)

    async def create_version(self, req: Request) -> Response:
        api = self._api_or_404(req.params["modelApiId"])
        body = req.json()
        if api.get("isArchived"):
            raise ApiError(400, f"Model API {api['id']!r} is archived; create a new Model API instead")
        field_value(body, "version", dict)
        nested: JSON = body["version"] if isinstance(body.get("version"), dict) else body
        where = "version" if nested is not body else ""
        project_id = _pick("project", (body, "projectId", ""), (nested, "projectId", where)) or api["projectId"]
        self.project_dir(project_id)
        source = self._parse_source(body, nested, where)
        environment_id = _pick("environment", (body, "environmentId", ""), (nested, "environmentId", where))
        description = _pick("description", (body, "description", ""), (nested, "description", where))
        deploy = field_value(nested, "shouldDeploy", bool, where=where, default=True)
        version = self._new_version(
            api,
            project_id,
            source,
            environment_id or api["environmentId"],
            description or "",
            deploy,
            self._version_flags(nested, where),
        )
        return Response(200 if self.seed else 201, self.render_version(version))

    async def get_version(self, req: Request) -> Response:
        version = self._version_or_404(req.params["modelApiId"], req.params["versionId"])
        return Response(200, self.render_version(version))

    def _log_line(self, ts: float, text: str, stream: str, tags: JSON) -> JSON:
        return {
            "timestamp": epoch_ms(ts),
            "timeNano": int(ts * 1e9),
            "log": text,
            "streamType": stream,
            "tags": [{"key": k, "value": str(v)} for k, v in tags.items()],
        }

    def _since(self, req: Request) -> int:
        raw = req.query.get("sinceTimeNano")
        if not raw:
            return 0
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, f"query parameter 'sinceTimeNano' must be an integer, not {raw!r}") from None

    async def build_logs(self, req: Request) -> Response:
        version = self._version_or_404(req.params["modelApiId"], req.params["versionId"])
        now = time.time()
        since = self._since(req)
        status = self.version_status(version, now)
        stage = {"Preparing to build": "preparing", "Building": "building", "Failed": "failed"}.get(status, "complete")
        lines = sorted((line for line in version.get("buildLog", []) if line[0] <= now), key=lambda line: line[0])
        logs = [
            self._log_line(ts, text, "stdout", {"stage": stg, "buildId": version["id"]})
            for ts, stg, text in lines
            if int(ts * 1e9) > since
        ]
        return Response(
            200,
            {
                "modelId": version["modelApiId"],
                "modelVersionId": version["id"],
                "buildId": version["id"],
                "status": stage,
                "logs": logs,
            },
        )

    async def export_logs(self, req: Request) -> Response:
        version = self._version_or_404(req.params["modelApiId"], req.params["versionId"])
        return Response(
            200,
            {"modelId": version["modelApiId"], "modelVersionId": version["id"], "status": "NotStarted", "logs": []},
        )

    async def instance_logs(self, req: Request) -> Response:
        version = self._version_or_404(req.params["modelApiId"], req.params["versionId"])
        max_results = req.query_int("maxResults", 1000, minimum=1) or 1000
        since = self._since(req)
        lines = [line for line in version.get("instanceLog", []) if int(line[0] * 1e9) > since]
        lines = lines[-max_results:]
        pod = f"model-{version['id']}-0"
        body = {
            "modelId": version["modelApiId"],
            "modelVersionId": version["id"],
            "maxResults": max_results,
            "podName": req.query.get("podName") or pod,
            "containerName": req.query.get("containerName") or "model",
            "logs": [self._log_line(ts, text, stream, {"pod": pod}) for ts, stream, text in lines],
        }
        return Response(200, body)

    # ------------------------------------------------------------------ model APIs: shapes
    def render_api(self, api: JSON, req: Request, now: float | None = None) -> JSON:
        now = time.time() if now is None else now
        active = self.active_version(api, now)
        status = self.api_status(api, now)
        if self.seed:
            body: JSON = {
                "id": api["id"],
                "name": api["name"],
                "description": api["description"],
                "status": status,
                "url": f"{req.base_url}/models/{api['id']}/latest/model",
                "projectId": api["projectId"],
                "createdAt": iso(api["created"]),
                "updatedAt": iso(api["lastModified"]),
                "environmentId": api["environmentId"],
                "hardwareTierId": api["hardwareTierId"],
                "replicas": api["replicas"],
                "isArchived": api["isArchived"],
                "isAsync": api["isAsync"],
                "isPublic": api["isPublic"],
                "activeVersionId": active["id"] if active else None,
                "activeVersionNumber": active["number"] if active else None,
            }
            if active is not None and active["source"].get("file"):
                body["modelFile"] = active["source"]["file"]
                body["modelFunction"] = active["source"].get("function")
            return body
        body = {
            "id": api["id"],
            "name": api["name"],
            "description": api["description"],
            "isArchived": api["isArchived"],
            "environmentId": api["environmentId"],
            "hardwareTierId": api["hardwareTierId"],
            "resourceQuotaId": api.get("resourceQuotaId"),
            "bundleId": None,
            "replicas": api["replicas"],
            "routingMode": "Basic",
            "isAsync": api["isAsync"],
            "strictNodeAntiAffinity": api["strictNodeAntiAffinity"],
            "overrideRequestTimeoutSecs": int(self.config.model_timeout),
            "access": {
                "isPublic": api["isPublic"],
                "accessTokens": [
                    {
                        "id": "emulator-model-token",
                        "name": "emulator model access token",
                        "created": epoch_ms(api["created"]),
                        "createdBy": OWNER,
                        "lastGenerated": epoch_ms(api["created"]),
                        "lastGeneratedBy": OWNER,
                    }
                ],
            },
            "healthCheck": {"failureThreshold": 3, "initialDelaySeconds": 0, "periodSeconds": 10, "timeoutSeconds": 5},
            "collaborators": [],
            "volumes": [],
            "metadata": {
                "created": epoch_ms(api["created"]),
                "createdBy": OWNER,
                "lastModified": epoch_ms(api["lastModified"]),
            },
        }
        if active is not None:
            body["activeVersion"] = {
                "id": active["id"],
                "number": active["number"],
                "dataPlaneId": "000000000000000000000000",
                "deployment": {"status": status, "isPending": status in PENDING_STATUSES},
            }
        return body

    def render_version(self, version: JSON, now: float | None = None) -> JSON:
        status = self.version_status(version, now)
        if self.seed:
            source = version["source"]
            return {
                "id": version["id"],
                "modelApiId": version["modelApiId"],
                "number": version["number"],
                "projectId": version["projectId"],
                "modelFile": source.get("file"),
                "modelFunction": source.get("function"),
                "environmentId": version["environmentId"],
                "description": version["description"],
                "status": status,
                "isPending": status in PENDING_STATUSES,
                "createdAt": iso(version["created"]),
                "source": source,
            }
        return {
            "id": version["id"],
            "modelApiId": version["modelApiId"],
            "number": version["number"],
            "projectId": version["projectId"],
            "description": version["description"],
            "source": version["source"],
            "commitId": version["commitId"],
            "dataPlaneId": "000000000000000000000000",
            "environmentRevisionId": f"{version['environmentId']}-rev1",
            "logHttpRequestResponse": version.get("logHttpRequestResponse", False),
            "monitoringEnabled": version.get("monitoringEnabled", False),
            "recordInvocation": version.get("recordInvocation", False),
            "labels": [],
            "bundleId": None,
            "predictionDatasetResourceId": None,
            "provenanceCheckpointId": None,
            "metadata": {"created": epoch_ms(version["created"]), "createdBy": OWNER, "summary": None},
            "deployment": {"status": status, "isPending": status in PENDING_STATUSES},
        }

    # ------------------------------------------------------------------ predictions
    def _worker_for(self, version: JSON) -> ModelWorker:
        worker = self.workers.get(version["id"])
        if worker is None:
            for other_id in self.versions_by_api.get(version["modelApiId"], []):
                other = self.workers.pop(other_id, None)
                if other is not None:
                    other.kill_now()
            source = version["source"]
            if not source.get("file"):
                raise ModelCallError(
                    "this version comes from the model registry without model code; the emulator can only "
                    "run versions whose source names a file and function"
                )
            version_id = version["id"]

            def on_log(stream: str, line: str) -> None:
                current = self.store.get("versions", version_id)
                if current is not None:
                    log = current.setdefault("instanceLog", [])
                    log.append([time.time(), stream, line])
                    del log[:-MAX_LOG_LINES]
                    self.store.touch("versions", version_id)

            worker = ModelWorker(
                self.project_dir(version["projectId"]), source["file"], source.get("function") or "", on_log
            )
            self.workers[version["id"]] = worker
        return worker

    @staticmethod
    def _call_arguments(value: Any, label: str) -> tuple[list[Any], dict[str, Any]]:
        if isinstance(value, dict):
            return [], value
        if isinstance(value, list):
            return value, {}
        raise ApiError(400, f"field {label!r} must be an object (keyword arguments) or an array (positional ones)")

    async def call_model(self, req: Request) -> Response:
        started = time.perf_counter()
        api = self._api_or_404(req.params["modelApiId"])
        if api.get("isArchived"):
            raise ApiError(404, f"Model API {api['id']!r} is archived")
        self.check_model_auth(req, api, "basic")
        body = req.json()
        if "data" in body:
            args, kwargs = self._call_arguments(body["data"], "data")
        elif "parameters" in body:
            args, kwargs = self._call_arguments(body["parameters"], "parameters")
        else:
            raise ApiError(
                400, "body must carry 'data' (keyword arguments object) or 'parameters' (positional arguments array)"
            )
        version = self.live_version(api["id"])
        if version is None:
            status = self.api_status(api)
            headers = {"Retry-After": "1"} if status in PENDING_STATUSES else {}
            return Response(503, {"error": f"Model API {api['id']} is not running (status: {status})"}, headers)
        try:
            result, model_ms = await self._worker_for(version).call(args, kwargs, self.config.model_timeout)
        except ModelTimeout as exc:
            return Response(504, {"error": str(exc)})
        except (ModelCallError, ModelCrashed) as exc:
            return Response(500, {"error": str(exc)})
        return Response(
            200,
            {
                "result": result,
                "model_time_in_ms": round(model_ms),
                "release": {
                    "harness_version": "0.1",
                    "model_version": version["id"],
                    "model_version_number": version["number"],
                },
                "request_id": req.request_id,
                "timing": round((time.perf_counter() - started) * 1000, 3),
            },
        )

    async def submit_prediction(self, req: Request) -> Response:
        api = self._api_or_404(req.params["modelApiId"])
        self.check_model_auth(req, api, "bearer")
        limit = self.config.async_body_bytes
        if len(req.body) > limit:
            raise ApiError(
                413, f"request body is {len(req.body)} bytes; asynchronous predictions accept at most {limit}"
            )
        if api.get("isArchived"):
            raise ApiError(404, f"Model API {api['id']!r} is archived")
        body = req.json()
        if "parameters" not in body:
            raise ApiError(400, "field 'parameters' is required")
        self._call_arguments(body["parameters"], "parameters")
        prediction = {
            "id": new_id(),
            "modelApiId": api["id"],
            "parameters": body["parameters"],
            "status": "queued",
            "created": time.time(),
            "result": None,
            "errors": [],
        }
        self.store.put("predictions", prediction["id"], prediction)
        self.spawn(self._run_prediction(prediction["id"]))
        return Response(200, {"predictionId" if self.seed else "asyncPredictionId": prediction["id"]})

    async def _run_prediction(self, prediction_id: str) -> None:
        prediction = self.store.get("predictions", prediction_id)
        if prediction is None:
            return
        deadline = time.monotonic() + self.config.model_timeout
        version = None
        while True:
            api = self.store.get("modelApis", prediction["modelApiId"])
            if api is None:
                return
            version = self.live_version(api["id"])
            status = self.api_status(api)
            if version is not None or status not in PENDING_STATUSES or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        if version is None:
            self._finish_prediction(prediction, None, f"Model API is not running (status: {status})")
            return
        prediction.update(status="running", started=time.time())
        self.store.put("predictions", prediction_id, prediction)
        args, kwargs = self._call_arguments(prediction["parameters"], "parameters")
        try:
            result, _ = await self._worker_for(version).call(args, kwargs, self.config.model_timeout)
        except (ModelCallError, ModelTimeout, ModelCrashed) as exc:
            self._finish_prediction(prediction, None, str(exc))
        else:
            self._finish_prediction(prediction, result, None)

    def _finish_prediction(self, prediction: JSON, result: Any, error: str | None) -> None:
        prediction.update(
            status="failed" if error else "succeeded",
            result=result,
            errors=[error] if error else [],
            finished=time.time(),
        )
        if self.store.get("predictions", prediction["id"]) is prediction:
            self.store.put("predictions", prediction["id"], prediction)

    async def get_prediction(self, req: Request) -> Response:
        api = self._api_or_404(req.params["modelApiId"])
        self.check_model_auth(req, api, "bearer")
        prediction = self.store.get("predictions", req.params["predictionId"])
        if prediction is None or prediction["modelApiId"] != api["id"]:
            raise ApiError(404, f"prediction {req.params['predictionId']!r} not found")
        status = prediction["status"]
        if self.seed:
            body: JSON = {"predictionId": prediction["id"], "status": ASYNC_SEED_STATUS[status]}
            if status == "succeeded":
                body["result"] = prediction["result"]
            elif status == "failed":
                body["error"] = "; ".join(prediction["errors"])
            return Response(200, body)
        body = {"asyncPredictionId": prediction["id"], "status": status}
        if status == "succeeded":
            result = prediction["result"]
            body["result"] = result if isinstance(result, dict) else {"result": result}
        elif status == "failed":
            body["errors"] = prediction["errors"]
        return Response(200, body)

    # ------------------------------------------------------------------ jobs
    def _job_or_404(self, job_id: str) -> JSON:
        job = self.store.get("jobs", job_id)
        if job is None:
            raise ApiError(404, f"job {job_id!r} not found")
        return job

    def _add_job_line(self, job: JSON, log_type: str, text: str) -> None:
        logs = job.setdefault("logs", [])
        logs.append([time.time(), log_type, text])
        del logs[:-MAX_LOG_LINES]

    async def start_job(self, req: Request) -> Response:
        body = req.json()
        project_id = field_value(body, "projectId", str, required=True)
        command = field_value(body, "runCommand", str, required=True)
        for key in ("title", "hardwareTier", "environmentId", "commitId"):
            field_value(body, key, str)
        self.project_dir(project_id)
        now = time.time()
        job: JSON = {
            "id": new_id(),
            "number": self.store.next_number("job"),
            "projectId": project_id,
            "runCommand": command,
            "title": body.get("title") or command,
            "hardwareTier": body.get("hardwareTier"),
            "environmentId": body.get("environmentId"),
            "commitId": body.get("commitId") or secrets.token_hex(20),
            "status": "Queued",
            "submitted": now,
            "started": None,
            "completed": None,
            "exitCode": None,
            "stopRequested": False,
            "logs": [],
        }
        self._add_job_line(job, "prepareOutput", f"Queued job {job['number']} in project {project_id}\n")
        self.store.put("jobs", job["id"], job)
        self.spawn(self._run_job(job["id"]))
        return Response(200, {"job": self.render_job(job, detailed=True), "metadata": self._meta(req)})

    async def _run_job(self, job_id: str) -> None:
        await asyncio.sleep(self.config.queue_seconds)
        job = self.store.get("jobs", job_id)
        if job is None:
            return
        if job["stopRequested"]:
            job.update(status="Stopped", completed=time.time())
            self.store.put("jobs", job_id, job)
            return

        def on_line(log_type: str, text: str) -> None:
            self._add_job_line(job, log_type, text)
            self.store.touch("jobs", job_id)

        proc = JobProcess(job["runCommand"], self.project_dir(job["projectId"]), on_line)
        self.job_procs[job_id] = proc
        self._add_job_line(job, "prepareOutput", f"Running: {job['runCommand']}\n")
        job.update(status="Running", started=time.time())
        self.store.put("jobs", job_id, job)
        try:
            code = await proc.run()
        except OSError as exc:
            self._add_job_line(job, "stdErr", f"could not start the command: {exc}\n")
            code = 127
        finally:
            self.job_procs.pop(job_id, None)
        if proc.stop_requested or job["stopRequested"]:
            status, problem = "Stopped", "The job was stopped"
        elif code == 0:
            status, problem = "Succeeded", None
        else:
            status, problem = "Failed", f"The command exited with code {code}"
        job.update(status=status, completed=time.time(), exitCode=code, problem=problem)
        if self.store.get("jobs", job_id) is job:
            self.store.put("jobs", job_id, job)

    async def get_job(self, req: Request) -> Response:
        job = self._job_or_404(req.params["jobId"])
        return Response(200, {"job": self.render_job(job, detailed=True), "metadata": self._meta(req)})

    async def list_jobs(self, req: Request) -> Response:
        project_id = req.query.get("projectId")
        if not project_id:
            raise ApiError(400, "query parameter 'projectId' is required")
        jobs = [j for j in self.store.values("jobs") if j["projectId"] == project_id]
        offset = req.query_int("offset", 0) or 0
        limit = req.query_int("limit", 25) or 25
        page = [self.render_job(j, detailed=False) for j in jobs[offset : offset + limit]]
        return Response(200, {"jobs": page, "metadata": self._list_meta(req, offset, limit, len(jobs))})

    def _stop(self, job: JSON) -> None:
        if job["status"] in JOB_DONE:
            return
        job["stopRequested"] = True
        self._add_job_line(job, "prepareOutput", "Stop requested\n")
        self.store.put("jobs", job["id"], job)
        proc = self.job_procs.get(job["id"])
        if proc is not None:
            proc.stop()

    async def stop_job(self, req: Request) -> Response:
        job = self._job_or_404(req.params["jobId"])
        self._stop(job)
        return Response(200, {"job": self.render_job(job, detailed=True), "metadata": self._meta(req)})

    async def stop_job_v4(self, req: Request) -> Response:
        body = req.json()
        job_id = field_value(body, "jobId", str, required=True)
        project_id = field_value(body, "projectId", str)
        field_value(body, "commitResults", bool)
        job = self._job_or_404(job_id)
        if project_id and job["projectId"] != project_id:
            raise ApiError(404, f"job {job_id!r} not found in project {project_id!r}")
        self._stop(job)
        return Response(200, {"job": self.render_job(job, detailed=True), "metadata": self._meta(req)})

    async def job_logs(self, req: Request) -> Response:
        job = self._job_or_404(req.params["jobId"])
        log_type = req.query.get("logType") or "complete"
        if log_type not in ("stdOut", "stdErr", "prepareOutput", "complete"):
            raise ApiError(
                400, f"query parameter 'logType' must be stdOut, stdErr, prepareOutput or complete, not {log_type!r}"
            )
        lines = [line for line in job.get("logs", []) if log_type == "complete" or line[1] == log_type]
        limit = req.query_int("limit")
        if limit:
            lines = lines[-limit:]
        pagination: JSON = {"limit": limit or len(lines)}
        if lines:
            pagination["latestTimeNano"] = str(int(lines[-1][0] * 1e9))
        logs: JSON = {
            "logContent": [
                {"timestamp": iso(ts), "logType": kind, "log": text, "size": len(text.encode())}
                for ts, kind, text in lines
            ],
            "isComplete": job["status"] in JOB_DONE,
        }
        if job.get("problem"):
            logs["problem"] = job["problem"]
        return Response(200, {"logs": logs, "metadata": {**self._meta(req), "pagination": pagination}})

    @staticmethod
    def _meta(req: Request) -> JSON:
        return {"requestId": req.request_id, "notices": []}

    def render_job(self, job: JSON, *, detailed: bool) -> JSON:
        stage: JSON = {"submissionTime": iso(job["submitted"])}
        if job.get("started"):
            stage["startTime"] = iso(job["started"])
        if job.get("completed"):
            stage["completedTime"] = iso(job["completed"])
        body: JSON = {
            "id": job["id"],
            "number": job["number"],
            "title": job["title"],
            "runCommand": job["runCommand"],
            "stageTimes": stage,
            "commitDetails": {"inputCommitId": job["commitId"]},
            "dominoStats": [],
            "status": {
                "executionStatus": job["status"],
                "isCompleted": job["status"] in JOB_DONE,
                "isArchived": False,
                "isScheduled": False,
            },
            "projects": [{"projectId": job["projectId"], "commitId": job["commitId"]}],
            "gitRepos": [],
            "datasetMounts": [],
            "externalVolumeMounts": [],
            "netAppVolumeMounts": [],
            "startedById": OWNER,
        }
        if job.get("exitCode") is not None:
            body["dominoStats"] = [{"name": "exitCode", "value": str(job["exitCode"])}]
        if detailed:
            body.update(tags=[], commentsCount=0, goalIds=[])
        return body

    # ------------------------------------------------------------------ deployments
    def _deployment_or_404(self, deployment_id: str) -> JSON:
        deployment = self.store.get("deployments", deployment_id)
        if deployment is None:
            raise ApiError(404, f"model deployment {deployment_id!r} not found")
        return deployment

    def deployment_state(self, deployment: JSON, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if now < deployment["changedAt"]:  # the change has not been picked up yet (start lag)
            return str(deployment.get("before") or deployment["transition"])
        if now - deployment["changedAt"] < self.config.transition_seconds:
            return str(deployment["transition"])
        return str(deployment["desired"])

    def _transition(self, deployment: JSON, desired: str, transition: str, note: str, lag: float = 0.0) -> None:
        now = time.time()
        before = self.deployment_state(deployment, now) if "changedAt" in deployment else None
        start = now + lag
        deployment.update(desired=desired, transition=transition, changedAt=start, updated=now, before=before)
        deployment.setdefault("events", []).append([start, f"{transition}: {note}"])
        deployment["events"].append([start + self.config.transition_seconds, f"{desired}"])
        self.store.put("deployments", deployment["id"], deployment)

    def _parse_models(self, body: JSON) -> list[JSON]:
        models = field_value(body, "models", list) or []
        parsed = []
        for index, model in enumerate(models):
            where = f"models[{index}]"
            if not isinstance(model, dict):
                raise ApiError(400, f"field {where!r} must be an object")
            source = field_value(model, "source", dict, required=True, where=where)
            name = field_value(source, "registeredModelName", str, required=True, where=f"{where}.source")
            number = field_value(source, "registeredModelVersion", int, required=True, where=f"{where}.source")
            self._registered_version(name, number)
            parsed.append(
                {
                    "name": field_value(model, "name", str, required=True, where=where),
                    "environmentId": field_value(model, "environmentId", str, required=True, where=where),
                    "source": {
                        "registeredModelName": name,
                        "registeredModelVersion": number,
                        "registeredModelType": "MODELREGISTRY",
                    },
                }
            )
        return parsed

    @staticmethod
    def _parse_configuration(body: JSON) -> JSON:
        """The spec's ModelDeploymentConfiguration, completed with empty configs and a SYNC_ENDPOINT type."""
        config = field_value(body, "configuration", dict) or {}
        shared = field_value(config, "sharedConfig", dict, where="configuration") or {}
        models = field_value(config, "modelConfigs", dict, where="configuration") or {}
        kind = field_value(config, "deploymentType", dict, where="configuration") or {}
        where = "configuration.deploymentType"
        type_name = field_value(kind, "type", str, where=where) or "SYNC_ENDPOINT"
        if type_name not in ("SYNC_ENDPOINT", "ASYNC_ENDPOINT"):
            raise ApiError(400, f"field '{where}.type' must be SYNC_ENDPOINT or ASYNC_ENDPOINT, not {type_name!r}")
        return {
            "sharedConfig": shared,
            "modelConfigs": models,
            "deploymentType": {
                "type": type_name,
                "sharedConfig": field_value(kind, "sharedConfig", dict, where=where) or shared,
                "modelConfigs": field_value(kind, "modelConfigs", dict, where=where) or models,
            },
        }

    def _version_model(self, version_id: str) -> JSON:
        version = self.store.get("versions", version_id)
        if version is None:
            raise ApiError(
                404, f"model version {version_id!r} not found (modelVersionId must be a Model API version id)"
            )
        api = self.store.get("modelApis", version["modelApiId"]) or {}
        return {
            "name": api.get("name", ""),
            "environmentId": version["environmentId"],
            "projectId": version["projectId"],
            "source": {
                "registeredModelName": api.get("name", ""),
                "registeredModelVersion": version["number"],
                "registeredModelType": "MODELREGISTRY",
            },
        }

    async def create_deployment(self, req: Request) -> Response:
        body = req.json()
        name = field_value(body, "name", str, required=True)
        version_id = field_value(body, "modelVersionId", str)
        models = self._parse_models(body)
        if version_id is not None:
            models.insert(0, self._version_model(version_id))
        if not models:
            raise ApiError(400, "field 'modelVersionId' (or a non-empty 'models' array) is required")
        configuration = self._parse_configuration(body)
        now = time.time()
        deployment: JSON = {
            "id": new_id(),
            "name": name,
            "description": field_value(body, "description", str, default=""),
            "modelVersionId": version_id,
            "hardwareTierId": field_value(body, "hardwareTierId", str),
            "replicas": self._check_replicas(field_value(body, "replicas", int), "replicas") or 1,
            "deploymentTargetId": field_value(body, "deploymentTargetId", str) or "emulator-target",
            "resourceConfigurationId": field_value(body, "resourceConfigurationId", str) or "emulator-resources",
            "isGloballyAccessible": bool(field_value(body, "isGloballyAccessible", bool, default=False)),
            "models": models,
            "configuration": configuration,
            "revision": 1,
            "created": now,
            "secret": secrets.token_urlsafe(24),
            "events": [],
        }
        for model in models:
            model.setdefault("environmentName", model["environmentId"])
            model.setdefault("projectId", "")
        self._transition(deployment, "RUNNING", "STARTING", f"deployment {name!r} created")
        return Response(200, self.render_deployment(deployment))

    async def list_deployments(self, req: Request) -> Response:
        name = req.query.get("name")
        project_id = req.query.get("projectId")
        items = [
            d
            for d in self.store.values("deployments")
            if d["desired"] != "DELETED"
            and (not name or d["name"] == name)
            and (not project_id or any(m.get("projectId") == project_id for m in d["models"]))
        ]
        page, meta = self._paginate(req, items)
        now = time.time()
        rendered = [self.render_deployment(d, now) for d in page]
        return Response(200, rendered if meta is None else {"items": rendered, "metadata": meta})

    async def get_deployment(self, req: Request) -> Response:
        return Response(200, self.render_deployment(self._deployment_or_404(req.params["deploymentId"])))

    def _live_deployment(self, deployment_id: str) -> JSON:
        deployment = self._deployment_or_404(deployment_id)
        if deployment["desired"] == "DELETED":
            raise ApiError(400, f"model deployment {deployment_id!r} is deleted")
        return deployment

    async def update_deployment(self, req: Request) -> Response:
        deployment = self._live_deployment(req.params["deploymentId"])
        body = req.json()
        changes: JSON = {}
        for key, kind in (
            ("name", str),
            ("description", str),
            ("hardwareTierId", str),
            ("replicas", int),
            ("isGloballyAccessible", bool),
            ("deploymentTargetId", str),
            ("resourceConfigurationId", str),
        ):
            value = field_value(body, key, kind)
            if value is not None:
                changes[key] = value
        if body.get("configuration") is not None:
            changes["configuration"] = self._parse_configuration(body)
        self._check_replicas(changes.get("replicas"), "replicas")
        if "models" in body:
            changes["models"] = self._parse_models(body)
        version_id = field_value(body, "modelVersionId", str)
        if version_id is not None:
            changes["modelVersionId"] = version_id
            changes["models"] = [self._version_model(version_id)]
        for model in changes.get("models", []):
            model.setdefault("environmentName", model["environmentId"])
            model.setdefault("projectId", "")
        deployment.update(changes)
        deployment["revision"] = int(deployment.get("revision", 1)) + 1
        if deployment["desired"] == "RUNNING":
            self._transition(deployment, "RUNNING", "UPDATING", "configuration updated")
        else:
            deployment["updated"] = time.time()
            self.store.put("deployments", deployment["id"], deployment)
        return Response(200, self.render_deployment(deployment))

    async def delete_deployment(self, req: Request) -> Response:
        deployment = self._deployment_or_404(req.params["deploymentId"])
        if deployment["desired"] != "DELETED":
            self._transition(deployment, "DELETED", "DELETING", "deployment deleted")
        return Response(200, self.render_deployment(deployment)) if self.seed else Response(204)

    async def start_deployment(self, req: Request) -> Response:
        deployment = self._live_deployment(req.params["deploymentId"])
        if deployment["desired"] != "RUNNING":
            self._transition(deployment, "RUNNING", "STARTING", "start requested", lag=self.config.start_lag_seconds)
        return Response(200, self.render_deployment(deployment)) if self.seed else Response(204)

    async def stop_deployment(self, req: Request) -> Response:
        deployment = self._live_deployment(req.params["deploymentId"])
        if deployment["desired"] != "STOPPED":
            self._transition(deployment, "STOPPED", "STOPPING", "stop requested")
        return Response(200, self.render_deployment(deployment)) if self.seed else Response(204)

    async def deployment_logs(self, req: Request) -> Response:
        deployment = self._deployment_or_404(req.params["deploymentId"])
        suffix = req.params["logSuffix"]
        now = time.time()
        lines = [
            {
                "timestamp": iso(ts),
                "timeNano": str(int(ts * 1e9)),
                "log": text,
                "streamType": "stdout",
                "tags": [{"key": "logSuffix", "value": suffix}],
            }
            for ts, text in deployment.get("events", [])
            if ts <= now
        ]
        return Response(200, lines)

    def _credentials(self, deployment: JSON, operation: str) -> JSON:
        return {
            "operationType": operation,
            "credentialsType": "HMAC",
            "expirationTime": iso(time.time() + 3600),
            "credentials": {"accessKeyId": f"emu-{deployment['id']}", "secretAccessKey": deployment["secret"]},
        }

    async def deployment_credentials(self, req: Request) -> Response:
        deployment = self._live_deployment(req.params["deploymentId"])
        operation = req.params.get("operationType")
        if operation is not None:
            return Response(200, self._credentials(deployment, operation))
        return Response(200, {"items": [self._credentials(deployment, "predict")]})

    def render_deployment(self, deployment: JSON, now: float | None = None) -> JSON:
        state = self.deployment_state(deployment, now)
        if self.seed:
            return {
                "id": deployment["id"],
                "name": deployment["name"],
                "description": deployment["description"],
                "modelVersionId": deployment["modelVersionId"],
                "hardwareTierId": deployment["hardwareTierId"],
                "replicas": deployment["replicas"],
                "status": state,
                "isArchived": deployment["desired"] == "DELETED",
                "version": deployment["revision"],
                "models": deployment["models"],
                "createdAt": iso(deployment["created"]),
                "updatedAt": iso(deployment["updated"]),
            }
        return {
            "id": deployment["id"],
            "name": deployment["name"],
            "description": deployment["description"],
            "version": deployment["revision"],
            "creatorInfo": {"id": OWNER, "username": OWNER},
            "collaborators": [],
            "isGloballyAccessible": deployment["isGloballyAccessible"],
            "deploymentTargetInfo": {
                "id": deployment["deploymentTargetId"],
                "name": deployment["deploymentTargetId"],
                "typeName": "emulator",
            },
            "resourceConfigurationInfo": {
                "id": deployment["resourceConfigurationId"],
                "name": deployment["hardwareTierId"] or deployment["resourceConfigurationId"],
                "configuration": {"replicas": deployment["replicas"]},
            },
            "models": deployment["models"],
            "configuration": deployment["configuration"],
            "deploymentType": "emulator",
            "creationTimestamp": iso(deployment["created"]),
            "remoteUpdateTimestamp": iso(deployment["updated"]),
            "status": {"state": state, "message": f"deployment is {state.lower()}"},
        }

    # ------------------------------------------------------------------ registry
    def _registered_or_404(self, name: str) -> JSON:
        model = self.store.get("registeredModels", name)
        if model is None:
            raise ApiError(404, f"registered model {name!r} not found")
        return model

    def _registered_version(self, name: str, number: int) -> JSON:
        model = self._registered_or_404(name)
        for version in model["versions"]:
            if version["modelVersion"] == number:
                return model
        raise ApiError(404, f"version {number} of registered model {name!r} not found")

    def _version_number(self, raw: str) -> int:
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, f"model version must be an integer, not {raw!r}") from None

    @staticmethod
    def _parse_registry_source(body: JSON) -> JSON:
        """Experiment run and artifact from any of the seed, v1 and v2 request forms."""
        source = field_value(body, "source", dict)
        model_source = field_value(body, "modelSource", dict)
        run_id = field_value(body, "experimentRunId", str)
        artifact = field_value(body, "artifact", str)
        experiment_id = None
        kind = "mlflow"
        if source is not None:
            kind = field_value(source, "type", str, where="source") or "experiment"
            experiment_id = field_value(source, "experimentId", str, where="source")
            run_id = field_value(source, "runId", str, where="source") or run_id
            artifact = field_value(source, "artifactPath", str, where="source") or artifact
        if model_source is not None:
            kind = field_value(model_source, "sourceType", str, required=True, where="modelSource")
            if kind not in ("mlflow", "huggingface"):
                raise ApiError(400, f"field 'modelSource.sourceType' must be 'mlflow' or 'huggingface', not {kind!r}")
            mlflow = field_value(model_source, "mlflowSource", dict, where="modelSource")
            if kind == "mlflow":
                if mlflow is None:
                    raise ApiError(400, "field 'modelSource.mlflowSource' is required when sourceType is 'mlflow'")
                run_id = field_value(mlflow, "experimentRunId", str, required=True, where="modelSource.mlflowSource")
                artifact = field_value(mlflow, "artifactPath", str, where="modelSource.mlflowSource") or artifact
        return {"type": kind, "experimentId": experiment_id, "experimentRunId": run_id or "", "artifactPath": artifact}

    def _add_registered_version(self, model: JSON, description: str, source: JSON, project_id: str | None) -> JSON:
        now = time.time()
        version = {
            "modelVersion": len(model["versions"]) + 1,
            "description": description,
            "source": source,
            "experimentRunId": source.get("experimentRunId") or "",
            "projectId": project_id or model.get("projectId"),
            "created": now,
        }
        model["versions"].append(version)
        model["updated"] = now
        self.store.put("registeredModels", model["name"], model)
        return version

    async def register_model(self, req: Request) -> Response:
        body = req.json()
        name = _pick("model name", (body, "name", ""), (body, "modelName", ""), required=True)
        description = field_value(body, "description", str, default="")
        project_id = field_value(body, "projectId", str)
        create = field_value(body, "create", bool)
        discoverable = field_value(body, "discoverable", bool, default=True)
        tags = field_value(body, "tags", dict) or {}
        source = self._parse_registry_source(body)
        if project_id:
            self.project_dir(project_id)
        model = self.store.get("registeredModels", name)
        if model is None and create is False:
            raise ApiError(404, f"registered model {name!r} not found (create is false)")
        if model is not None and create is True:
            raise ApiError(400, f"registered model {name!r} already exists; send create=false to add a version")
        if model is None:
            now = time.time()
            model = {
                "name": name,
                "description": description,
                "projectId": project_id,
                "discoverable": discoverable,
                "tags": {str(k): str(v) for k, v in tags.items()},
                "created": now,
                "updated": now,
                "versions": [],
            }
        version = self._add_registered_version(model, description, source, project_id)
        if req.path.rstrip("/").endswith("/v1"):
            return Response(200, self.render_registered(model))
        return Response(
            200,
            {
                "registeredModel": self.render_registered(model),
                "modelVersion": self.render_reg_version(model, version, 2),
            },
        )

    async def list_registered(self, req: Request) -> Response:
        models = self.store.values("registeredModels")
        project_id = req.query.get("projectId")
        if project_id:
            models = [m for m in models if m.get("projectId") == project_id]
        if self.seed:
            name = req.query.get("name")
            pattern = req.query.get("searchPattern")
            if name:
                models = [m for m in models if m["name"] == name]
            if pattern:
                models = [m for m in models if pattern.lower() in m["name"].lower()]
            offset = req.query_int("offset", 0) or 0
            limit = req.query_int("limit")
            page = models[offset : None if limit is None else offset + limit]
            return Response(200, [self.render_registered(m) for m in page])
        pattern = req.query.get("searchPattern")
        if pattern:
            models = [m for m in models if pattern.lower() in m["name"].lower()]
        token = req.query.get("pageToken") or ""
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except (ValueError, binascii.Error):
            raise ApiError(400, f"query parameter 'pageToken' is not a token this server issued: {token!r}") from None
        size = req.query_int("maxResults", 25, minimum=1) or 25
        page = models[offset : offset + size]
        pagination: JSON = {}
        if offset + size < len(models):
            pagination["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
        meta = {"requestId": req.request_id, "notices": [], **pagination, "pagination": pagination}
        return Response(200, {"items": [self.render_registered(m) for m in page], "metadata": meta})

    async def get_registered(self, req: Request) -> Response:
        return Response(200, self.render_registered(self._registered_or_404(req.params["modelName"])))

    async def patch_registered(self, req: Request) -> Response:
        model = self._registered_or_404(req.params["modelName"])
        body = req.json()
        description = field_value(body, "description", str)
        discoverable = field_value(body, "discoverable", bool)
        if description is not None:
            model["description"] = description
        if discoverable is not None:
            model["discoverable"] = discoverable
        model["updated"] = time.time()
        self.store.put("registeredModels", model["name"], model)
        return Response(200, self.render_registered(model))

    def _version_list(self, req: Request, model: JSON, api_version: int) -> Response:
        offset = req.query_int("offset", 0) or 0
        limit = req.query_int("limit", None if self.seed else 20)
        versions = model["versions"]
        page = versions[offset : None if limit is None else offset + limit]
        if self.seed:
            return Response(200, [self.render_reg_version(model, v, api_version) for v in page])
        items = [self.render_reg_overview(model, v) for v in page]
        return Response(200, {"items": items, "metadata": self._list_meta(req, offset, limit or 20, len(versions))})

    async def list_registered_versions(self, req: Request) -> Response:
        model = self._registered_or_404(req.params["modelName"])
        return self._version_list(req, model, 1)

    async def list_registered_versions_v2(self, req: Request) -> Response:
        model = self._registered_or_404(req.params["modelName"])
        return self._version_list(req, model, 2)

    async def create_registered_version(self, req: Request) -> Response:
        model = self._registered_or_404(req.params["modelName"])
        body = req.json()
        description = field_value(body, "description", str, default="")
        project_id = field_value(body, "projectId", str)
        source = self._parse_registry_source(body)
        version = self._add_registered_version(model, description, source, project_id)
        return Response(200, self.render_reg_version(model, version, 1))

    def _find_reg_version(self, req: Request) -> tuple[JSON, JSON]:
        number = self._version_number(req.params["version"])
        model = self._registered_version(req.params["modelName"], number)
        version = next(v for v in model["versions"] if v["modelVersion"] == number)
        return model, version

    async def get_registered_version(self, req: Request) -> Response:
        model, version = self._find_reg_version(req)
        return Response(200, self.render_reg_version(model, version, 1))

    async def get_registered_version_v2(self, req: Request) -> Response:
        model, version = self._find_reg_version(req)
        return Response(200, self.render_reg_version(model, version, 2))

    def _api_uses_registered(self, api_id: str, name: str, number: int | None) -> bool:
        for version_id in self.versions_by_api.get(api_id, []):
            source = (self.store.get("versions", version_id) or {}).get("source", {})
            if source.get("registeredModelName") == name and number in (None, source.get("registeredModelVersion")):
                return True
        return False

    def _registered_model_apis(self, req: Request, name: str, number: int | None) -> Response:
        now = time.time()
        items = []
        for api in self.store.values("modelApis"):
            if api.get("isArchived") or not self._api_uses_registered(api["id"], name, number):
                continue
            active = self.active_version(api, now)
            item: JSON = {
                "id": api["id"],
                "name": api["name"],
                "description": api["description"],
                "project": self.project_summary(api["projectId"]),
                "updatedAt": iso(api["lastModified"]),
                "activeVersionStatus": self.api_status(api, now),
            }
            if active is not None:
                item.update(activeModelVersionId=active["id"], activeVersionNumber=active["number"])
            items.append(item)
        return self._list_response(req, items, domino_offset=0)

    async def registered_version_model_apis(self, req: Request) -> Response:
        model, version = self._find_reg_version(req)
        return self._registered_model_apis(req, model["name"], version["modelVersion"])

    async def registered_model_apis(self, req: Request) -> Response:
        model = self._registered_or_404(req.params["modelName"])
        return self._registered_model_apis(req, model["name"], None)

    def render_registered(self, model: JSON) -> JSON:
        return {
            "name": model["name"],
            "description": model["description"],
            "project": self.project_summary(model.get("projectId")),
            "tags": model.get("tags", {}),
            "ownerUsername": OWNER,
            "createdAt": iso(model["created"]),
            "updatedAt": iso(model["updated"]),
            "discoverable": model.get("discoverable", True),
            "latestVersion": len(model["versions"]),
            "requestingUserAccess": {
                "canEditModel": True,
                "canEditProjectAssets": True,
                "canViewExperimentRuns": True,
                "canViewModelApis": True,
                "canViewProject": True,
                "canViewProjectFiles": True,
            },
        }

    def render_reg_overview(self, model: JSON, version: JSON) -> JSON:
        return {
            "modelName": model["name"],
            "modelVersion": version["modelVersion"],
            "experimentRunId": version["experimentRunId"],
            "project": self.project_summary(version.get("projectId")),
            "ownerUsername": OWNER,
            "createdAt": iso(version["created"]),
            "updatedAt": iso(version["created"]),
        }

    def render_reg_version(self, model: JSON, version: JSON, api_version: int) -> JSON:
        run_info = {"metrics": [], "params": [], "runUrl": f"/experiments/runs/{version['experimentRunId']}"}
        body = self.render_reg_overview(model, version)
        body.update(
            modelVersionDescription=version["description"],
            versionUiDetails={"experimentRunInfo": run_info, "modelVersionDataSources": [], "modelVersionDatasets": []},
            tags={},
            source=version["source"],
        )
        return body

    # ------------------------------------------------------------------ bulk seeding (introspection helper)
    def seed_model_apis(self, count: int, project_id: str, prefix: str, file: str, function: str) -> list[str]:
        """Create ``count`` Model APIs whose single version is already built and running (no build check)."""
        now = time.time()
        apis: list[tuple[str, JSON]] = []
        versions: list[tuple[str, JSON]] = []
        start = len(self.store.tables["modelApis"])
        for index in range(count):
            api: JSON = {
                "id": new_id(),
                "name": f"{prefix}{start + index}",
                "description": "seeded by /_emulator/seed",
                "projectId": project_id,
                "environmentId": "default-environment",
                "hardwareTierId": None,
                "resourceQuotaId": None,
                "replicas": 1,
                "isAsync": False,
                "isPublic": False,
                "strictNodeAntiAffinity": False,
                "environmentVariables": [],
                "isArchived": False,
                "created": now,
                "lastModified": now,
            }
            version: JSON = {
                "id": new_id(),
                "modelApiId": api["id"],
                "number": 1,
                "projectId": project_id,
                "source": {"type": "File", "file": file, "function": function},
                "environmentId": "default-environment",
                "description": "",
                "deploy": True,
                "created": now - self.config.build_seconds,
                "buildSeconds": self.config.build_seconds,
                "build": "ok",
                "buildLog": [[now, "complete", "Seeded by /_emulator/seed: build skipped"]],
                "instanceLog": [],
                "commitId": "0" * 40,
            }
            apis.append((api["id"], api))
            versions.append((version["id"], version))
            self.versions_by_api[api["id"]] = [version["id"]]
        self.store.put_many("modelApis", apis)
        self.store.put_many("versions", versions)
        return [key for key, _ in apis]

    def dump(self) -> JSON:
        now = time.time()
        state: JSON = self.store.dump()
        for api in state["modelApis"]:
            api["status"] = self.api_status(api, now)
        for version in state["versions"]:
            version["status"] = self.version_status(version, now)
        for deployment in state["deployments"]:
            deployment["state"] = self.deployment_state(deployment, now)
            deployment.pop("secret", None)
        return state

    # ------------------------------------------------------------------ routes
    def _add_routes(self) -> None:
        ms = "/api/modelServing/v1"
        api = f"{ms}/modelApis/{{modelApiId}}"
        version = f"{api}/versions/{{versionId}}"
        dep = f"{ms}/modelDeployments/{{deploymentId}}"
        reg = "/api/registeredmodels"
        table = [
            ("GET", f"{ms}/modelApis", self.list_model_apis),
            ("POST", f"{ms}/modelApis", self.create_model_api),
            ("GET", api, self.get_model_api),
            ("PUT", api, self.update_model_api),
            ("DELETE", api, self.delete_model_api),
            ("GET", f"{api}/versions", self.list_versions),
            ("POST", f"{api}/versions", self.create_version),
            ("GET", version, self.get_version),
            ("GET", f"{version}/buildLogs", self.build_logs),
            ("GET", f"{version}/exportLogs", self.export_logs),
            ("GET", f"{version}/instanceLogs", self.instance_logs),
            ("GET", f"{ms}/modelDeployments", self.list_deployments),
            ("POST", f"{ms}/modelDeployments", self.create_deployment),
            ("GET", dep, self.get_deployment),
            ("PATCH", dep, self.update_deployment),
            ("DELETE", dep, self.delete_deployment),
            ("POST", f"{dep}/start", self.start_deployment),
            ("POST", f"{dep}/stop", self.stop_deployment),
            ("GET", f"{dep}/logs/{{logSuffix}}", self.deployment_logs),
            ("GET", f"{dep}/credentials", self.deployment_credentials),
            ("GET", f"{dep}/credentials/{{operationType}}", self.deployment_credentials),
            ("GET", f"{reg}/v2", self.list_registered),
            ("POST", f"{reg}/v2", self.register_model),
            ("GET", f"{reg}/v1", self.list_registered),
            ("POST", f"{reg}/v1", self.register_model),
            ("GET", f"{reg}/v1/{{modelName}}", self.get_registered),
            ("PATCH", f"{reg}/v1/{{modelName}}", self.patch_registered),
            ("GET", f"{reg}/v1/{{modelName}}/modelapis", self.registered_model_apis),
            ("GET", f"{reg}/v1/{{modelName}}/versions", self.list_registered_versions),
            ("POST", f"{reg}/v1/{{modelName}}/versions", self.create_registered_version),
            ("GET", f"{reg}/v1/{{modelName}}/versions/{{version}}", self.get_registered_version),
            ("GET", f"{reg}/v1/{{modelName}}/versions/{{version}}/modelapis", self.registered_version_model_apis),
            ("GET", f"{reg}/v2/{{modelName}}/versions", self.list_registered_versions_v2),
            ("GET", f"{reg}/v2/{{modelName}}/versions/{{version}}", self.get_registered_version_v2),
            ("POST", "/models/{modelApiId}/latest/model", self.call_model),
            ("POST", "/api/modelApis/async/v1/{modelApiId}", self.submit_prediction),
            ("GET", "/api/modelApis/async/v1/{modelApiId}/{predictionId}", self.get_prediction),
            ("POST", "/api/jobs/v1/jobs", self.start_job),
            ("GET", "/api/jobs/beta/jobs", self.list_jobs),
            ("GET", "/api/jobs/beta/jobs/{jobId}", self.get_job),
            ("GET", "/api/jobs/beta/jobs/{jobId}/logs", self.job_logs),
            ("POST", "/api/jobs/v1/jobs/{jobId}/stop", self.stop_job),
            ("POST", "/v4/jobs/stop", self.stop_job_v4),
        ]
        for method, template, handler in table:
            self.router.add(method, template, handler)

    @staticmethod
    def uses_model_auth(raw_path: str) -> bool:
        """Model calls and async predictions authenticate with the model token, not the platform key."""
        return raw_path.startswith(("/models/", "/api/modelApis/async/"))
