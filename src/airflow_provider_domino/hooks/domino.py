"""DominoHook: the Airflow glue between a ``domino`` connection and Domino's Models API.

The endpoint methods live once in :class:`~airflow_provider_domino._client.api.DominoApi`; this module
turns an Airflow connection into client settings and gives them a transport: ``requests`` for
:class:`DominoHook` (operators, sensors) and ``httpx`` for :class:`DominoAsyncHook` (triggers).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import AirflowNotFoundException, BaseHook

from airflow_provider_domino._client import shapes, wire
from airflow_provider_domino._client.api import DEFAULT_PAGE_SIZE, DominoApi
from airflow_provider_domino._client.config import Settings, settings_from_connection, settings_from_environ
from airflow_provider_domino._client.errors import DominoConfigError, DominoError, DominoNotFoundError
from airflow_provider_domino._client.transport import AsyncTransport, SyncTransport

log = logging.getLogger(__name__)

_TLS_WARNED: set[str] = set()
_MASKED: set[str] = set()


def _mask(secret: str) -> None:
    """Register ``secret`` with Airflow's secret masker (once per value: token files are re-read often)."""
    if secret in _MASKED:
        return
    from airflow.providers.common.compat.sdk import mask_secret

    mask_secret(secret)
    _MASKED.add(secret)


def _mask_from_event_loop(secret: str) -> None:
    """Mask a secret read inside a trigger without blocking its event loop (the masker may talk to the
    supervisor synchronously)."""
    if secret in _MASKED:
        return
    import asyncio

    asyncio.get_running_loop().run_in_executor(None, _mask, secret)


def _finish(settings: Settings) -> Settings:
    """Register the settings' secrets with Airflow's masker and warn (once) when TLS checks are off."""
    for secret in settings.secrets():
        _mask(secret)
    if settings.verify is False and settings.source not in _TLS_WARNED:
        _TLS_WARNED.add(settings.source)
        log.warning(
            "TLS certificate verification is OFF for %s (extra verify=false): use it only with a test server",
            settings.source,
        )
    return dataclasses.replace(settings, auth=dataclasses.replace(settings.auth, on_secret=_mask))


def settings_from_airflow_connection(conn: Any) -> Settings:
    """Client settings from an Airflow ``Connection`` object."""
    return _finish(
        settings_from_connection(
            conn_id=conn.conn_id, host=conn.host, password=conn.password, extra=conn.extra, port=conn.port
        )
    )


def settings_without_connection(conn_id: str, environ: Mapping[str, str] | None = None) -> Settings:
    """The in-Domino fallback, or a clear error naming the missing connection."""
    settings = settings_from_environ(os.environ if environ is None else environ)
    if settings is None:
        raise DominoConfigError(
            "domino_conn_id",
            f"connection {conn_id!r} does not exist and DOMINO_API_HOST is not set",
            f"create an Airflow connection {conn_id!r} of type 'domino', or run inside Domino",
        )
    return _finish(settings)


class _DominoHookBase(BaseHook, DominoApi):
    """What both hooks share: the connection attributes."""

    conn_name_attr = "domino_conn_id"
    default_conn_name = "domino_default"
    conn_type = "domino"
    hook_name = "Domino"

    def __init__(self, domino_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(domino_conn_id, str) or not domino_conn_id.strip():
            raise DominoConfigError("domino_conn_id", "must be a non-empty connection id")
        self.domino_conn_id = domino_conn_id


class DominoHook(_DominoHookBase):
    """Talk to Domino's Models API from operators and sensors.

    Credentials come from the Airflow connection ``domino_conn_id`` (type ``domino``: host, password = API
    key or token, extras ``auth_type``, ``token_file``, ``model_access_token``, ``timeout``,
    ``connect_timeout``, ``verify``, ``max_retries``, ``retry_backoff``) or, when that connection does not
    exist, from ``DOMINO_API_HOST`` with ``DOMINO_USER_API_KEY`` or ``DOMINO_TOKEN_FILE`` (inside Domino).

    Every endpoint of the Models API is one method (see
    :class:`~airflow_provider_domino._client.api.DominoApi`); lists also have ``iter_*`` methods that walk
    every page. Requests are retried as :mod:`airflow_provider_domino._client.retry` decides.

    .. code-block:: python

        hook = DominoHook("domino_default")
        api = hook.create_model_api(
            project_id="project-123", name="churn", model_file="model.py",
            model_function="predict", environment_id="env-789",
        )
        hook.predict(api["id"], data={"tenure": 12})

    :param domino_conn_id: the Airflow connection to use.
    :param session: a ``requests.Session`` to send with (one is made, and reused, otherwise).
    """

    def __init__(self, domino_conn_id: str = _DominoHookBase.default_conn_name, *, session: Any = None, **kwargs: Any):
        super().__init__(domino_conn_id, **kwargs)
        self._session = session

    # Airflow 2.11 reads the connection form only from methods defined on the hook class itself.
    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra fields of the connection form (Airflow 2.11 reads this; 3.2+ reads the provider info)."""
        from airflow_provider_domino.hooks._connection_form import connection_form_widgets

        return connection_form_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Labels, placeholders and hidden standard fields of the connection form."""
        from airflow_provider_domino.hooks._connection_form import legacy_ui_field_behaviour

        return legacy_ui_field_behaviour()

    @cached_property
    def settings(self) -> Settings:  # type: ignore[override]
        try:
            conn = self.get_connection(self.domino_conn_id)
        except AirflowNotFoundException:
            return settings_without_connection(self.domino_conn_id)
        return settings_from_airflow_connection(conn)

    @cached_property
    def transport(self) -> SyncTransport:
        return SyncTransport(self.settings, self._session)

    def get_conn(self) -> Any:
        """The ``requests.Session`` this hook sends with."""
        return self.transport.session

    def close(self) -> None:
        if "transport" in self.__dict__:
            self.transport.close()

    def _send(self, request: wire.Request, shape: Callable[[Any], Any] | None = None) -> Any:
        body = self.transport.send(request)
        return shape(body) if shape is not None else body

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def ui_url(self) -> str:
        """Base URL of Domino's UI (extra ``ui_url``, else the API host), for links."""
        return self.settings.ui_url or self.settings.base_url

    # --- every page of a list -------------------------------------------------------------------------

    def _iterate(
        self, endpoint: str, path_params: Mapping[str, Any] | None, params: Mapping[str, Any], page_size: int
    ) -> Iterator[Any]:
        shapes.positive_int("page_size", page_size)
        spec = wire.ENDPOINTS[endpoint]
        query = wire.first_page_params(spec, params, page_size) if spec.pagination else dict(params)
        request = self._request(endpoint, path_params, params=query)
        previous: list[Any] | None = None
        while True:
            body = self.transport.send(request)
            items = wire.page_items(body, request)
            if items == previous:  # a server that ignores offset answers the same page again
                return
            yield from items
            following = wire.next_page_params(request, body, items) if spec.pagination else None
            if following is None:
                return
            request = dataclasses.replace(request, params=following)
            previous = items

    def iter_model_apis(
        self, project_id: str | None = None, *, name: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Any]:
        """Every Model API (optionally of one project, or with one name), page after page."""
        return self._iterate("list_model_apis", None, {"projectId": project_id, "name": name}, page_size)

    def iter_model_api_versions(self, model_api_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Any]:
        return self._iterate("list_model_api_versions", {"model_api_id": model_api_id}, {}, page_size)

    def iter_deployments(
        self, *, name: str | None = None, project_id: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Any]:
        return self._iterate("list_deployments", None, {"name": name, "projectId": project_id}, page_size)

    def iter_registered_models(
        self, *, name: str | None = None, project_id: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Any]:
        params = {"name": name, "searchPattern": name, "projectId": project_id}
        return self._iterate("list_registered_models", None, params, page_size)

    def iter_registered_model_versions(self, model_name: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Any]:
        return self._iterate("list_registered_model_versions", {"model_name": model_name}, {}, page_size)

    def iter_jobs(self, project_id: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Any]:
        shapes.require_text("project_id", project_id)
        return self._iterate("list_jobs", None, {"projectId": project_id}, page_size)

    # --- calls made of several requests ------------------------------------------------------------------

    def update_model_api(self, model_api_id: str, **changes: Any) -> Any:
        """Change some of a Model API's settings (``name``, ``description``, ``environment_id``, ``replicas``,
        ``hardware_tier_id``, ``resource_quota_id``). Domino's PUT replaces them all, so this reads the
        current ones and merges."""
        if not changes:
            raise DominoConfigError("changes", "name at least one field to update")
        shapes.model_api_update_body({}, changes)  # refuses unknown fields before any request
        current = self.get_model_api(model_api_id)
        return self.put_model_api(model_api_id, shapes.model_api_update_body(current, changes))

    def create_model_api_version(
        self,
        model_api_id: str,
        *,
        model_file: str,
        model_function: str,
        environment_id: str | None = None,
        project_id: str | None = None,
        description: str | None = None,
        **fields: Any,
    ) -> Any:
        """Create (and so build) a new version of a Model API. ``project_id`` is looked up when not given."""
        wire.check_id("model_api_id", model_api_id)
        # Refuse bad input before any request, with a stand-in project id when it is to be looked up.
        shapes.version_body(
            project_id=project_id or "-",
            model_file=model_file,
            model_function=model_function,
            environment_id=environment_id,
            description=description,
        )
        if project_id is None:
            project_id = self.project_of_model_api(model_api_id)
        return self.post_model_api_version(
            model_api_id,
            project_id=project_id,
            model_file=model_file,
            model_function=model_function,
            environment_id=environment_id,
            description=description,
            **fields,
        )

    def project_of_model_api(self, model_api_id: str) -> str:
        """The project a Model API serves from (the seed's ``projectId``, else its latest version's)."""
        model_api = self.get_model_api(model_api_id)
        project = model_api.get("projectId") if isinstance(model_api, Mapping) else None
        if not project:
            versions = list(self.iter_model_api_versions(model_api_id))
            for version in sorted(versions, key=shapes.version_number, reverse=True):
                project = shapes.version_project_id(version)
                if project:
                    break
        if not project:
            raise DominoConfigError(
                "project_id", f"cannot tell the project of Model API {model_api_id!r}; pass project_id"
            )
        return str(project)

    def find_model_apis(self, project_id: str, name: str) -> list[dict[str, Any]]:
        """The live (not archived) Model APIs of ``project_id`` named exactly ``name``."""
        shapes.require_text("project_id", project_id)
        shapes.require_text("name", name)
        found = []
        for item in self.iter_model_apis(project_id, name=name):
            if item.get("name") != name or item.get("isArchived"):
                continue
            if item.get("projectId") not in (None, project_id):
                continue
            found.append(item)
        return found

    def build_log_tail(self, model_api_id: str, version_id: str, lines: int = 40) -> str:
        """The last ``lines`` lines of a version's build log ("" when it cannot be read)."""
        try:
            body = self.get_build_logs(model_api_id, version_id)
        except DominoError as exc:
            return f"(build log unavailable: {exc})"
        return "\n".join(shapes.build_log_lines(body)[-lines:])

    def model_url(self, model_api: Mapping[str, Any]) -> str:
        return shapes.model_url(model_api, self.base_url)

    def test_connection(self) -> tuple[bool, str]:
        """Check host and credential with one cheap authenticated call (list Model APIs, ``limit=1``)."""
        try:
            self.list_model_apis(limit=1)
        except DominoNotFoundError as exc:
            return False, f"Domino is reachable but the Models API was not found: {exc}"
        except DominoError as exc:
            return False, str(exc)
        return True, f"Connected to Domino at {self.base_url}"


class DominoAsyncHook(_DominoHookBase):
    """The async twin of :class:`DominoHook`, for triggers: the same endpoint methods, awaited.

    Use it as an async context manager; it loads the connection and opens one ``httpx.AsyncClient`` on
    entry and closes it on exit::

        async with DominoAsyncHook("domino_default") as hook:
            version = await hook.get_model_api_version(model_api_id, version_id)
    """

    def __init__(self, domino_conn_id: str = _DominoHookBase.default_conn_name, **kwargs: Any) -> None:
        super().__init__(domino_conn_id, **kwargs)
        self._settings: Settings | None = None
        self._transport: AsyncTransport | None = None

    @property
    def settings(self) -> Settings:  # type: ignore[override]
        if self._settings is None:
            raise RuntimeError("DominoAsyncHook is used outside 'async with'")
        return self._settings

    async def _load_settings(self) -> Settings:
        import asyncio

        from airflow.providers.common.compat.connection import get_async_connection

        try:
            conn = await get_async_connection(self.domino_conn_id, hook=self)
        except AirflowNotFoundException:
            settings = await asyncio.to_thread(settings_without_connection, self.domino_conn_id)
        else:
            settings = await asyncio.to_thread(settings_from_airflow_connection, conn)
        return dataclasses.replace(settings, auth=dataclasses.replace(settings.auth, on_secret=_mask_from_event_loop))

    async def __aenter__(self) -> DominoAsyncHook:
        self._settings = await self._load_settings()
        # Cheap: the TLS context (the costly part of an httpx client) is built once per process and setting.
        self._transport = AsyncTransport(self._settings)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    async def _send(self, request: wire.Request, shape: Callable[[Any], Any] | None = None) -> Any:
        if self._transport is None:
            raise RuntimeError("DominoAsyncHook is used outside 'async with'")
        body = await self._transport.send(request)
        return shape(body) if shape is not None else body
