"""Where the running platform is and how to reach its parts, from an experiment's
configuration. Shared by the actions and probes; not activities themselves."""

from pathlib import Path
from typing import Any

import httpx
from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration

from harness.platform import state
from harness.platform.control import ControlClient
from harness.platform.topology import SERVICES

RUN_DIR_KEY = "harness_run_dir"
ADMIN_TOKEN_KEY = "admin_token"  # noqa: S105 - a configuration key, not a secret
DEFAULT_ADMIN_TOKEN = "dev-admin-token"  # noqa: S105 - the services' documented default
SERVICE_NAMES = tuple(SERVICES)  # every component with /admin/faults
HTTP_TIMEOUT = 10.0


def run_dir(configuration: Configuration | None) -> Path:
    """The run directory named by the configuration, else the running platform's."""
    value = (configuration or {}).get(RUN_DIR_KEY)
    if value:
        return Path(value)
    current = state.running(state.state_dir())
    if current is None or not current.alive:
        raise ActivityFailed("no platform running; start one with `harness up`")
    return current.run_dir


def control_client(configuration: Configuration | None) -> ControlClient:
    directory = run_dir(configuration)
    try:
        return ControlClient.from_run_dir(directory)
    except FileNotFoundError:
        raise ActivityFailed(f"no control.json in {directory}: is the platform up?") from None


def url_of(configuration: Configuration | None, component: str) -> str:
    directory = run_dir(configuration)
    try:
        urls = state.component_urls(directory)
    except FileNotFoundError:
        raise ActivityFailed(f"no topology.json in {directory}: is the platform up?") from None
    if component not in urls:
        raise ActivityFailed(f"no component {component!r} with a port in {directory}")
    return urls[component]


def gateway_url(configuration: Configuration | None) -> str:
    value = (configuration or {}).get("gateway_url")
    return str(value) if value else url_of(configuration, "gateway")


def prometheus_url(configuration: Configuration | None) -> str:
    value = (configuration or {}).get("prometheus_base_url")
    return str(value) if value else url_of(configuration, "prometheus")


def admin_request(
    configuration: Configuration | None,
    component: str,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    """Call a service's ``/admin/*`` endpoint with the admin token."""
    if component not in SERVICE_NAMES:
        raise ActivityFailed(f"{component!r} has no admin API; one of {', '.join(SERVICE_NAMES)}")
    token = str((configuration or {}).get(ADMIN_TOKEN_KEY) or DEFAULT_ADMIN_TOKEN)
    url = url_of(configuration, component) + path
    try:
        response = httpx.request(
            method, url, json=body, headers={"X-Admin-Token": token}, timeout=HTTP_TIMEOUT
        )
    except httpx.HTTPError as exc:
        raise ActivityFailed(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 400:
        raise ActivityFailed(f"{method} {url}: HTTP {response.status_code}: {response.text[:300]}")
    return response
