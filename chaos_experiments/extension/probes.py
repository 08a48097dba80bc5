"""Chaos Toolkit probes: where the platform is, and whether it is healthy."""

import time
from typing import Any

import httpx
from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from chaos_experiments.extension import platform
from chaos_experiments.extension.shop import Shopper
from harness.platform.control import ControlError

__all__ = [
    "all_components_ready",
    "component_state",
    "component_url",
    "harness_run_dir",
    "order_completes",
    "route_faults",
    "wait_until_recovered",
]

POLL_S = 0.5


def harness_run_dir(configuration: Configuration = None, secrets: Secrets = None) -> str:
    """The running platform's run directory (for an experiment's dynamic configuration)."""
    return str(platform.run_dir(configuration))


def component_url(
    component: str, configuration: Configuration = None, secrets: Secrets = None
) -> str:
    """``http://127.0.0.1:PORT`` of a component of the running platform."""
    return platform.url_of(configuration, component)


def _components(configuration: Configuration | None) -> list[dict[str, Any]]:
    with platform.control_client(configuration) as client:
        try:
            return client.list()
        except ControlError as exc:
            raise ActivityFailed(str(exc)) from exc


def component_state(name: str, configuration: Configuration = None, secrets: Secrets = None) -> str:
    """The supervisor's state of a component: ready, starting, paused, stopped, backoff..."""
    for component in _components(configuration):
        if component["name"] == name:
            return str(component["state"])
    raise ActivityFailed(f"unknown component {name!r}")


def all_components_ready(configuration: Configuration = None, secrets: Secrets = None) -> bool:
    """True when the supervisor reports every component ready."""
    return all(component["ready"] for component in _components(configuration))


def _targets_down(configuration: Configuration | None) -> list[str]:
    """Service jobs Prometheus does not see up in its latest scrape."""
    expected = set(platform.SERVICE_NAMES)
    query = 'up{job=~"' + "|".join(sorted(expected)) + '"} == 1'
    try:
        response = httpx.get(
            platform.prometheus_url(configuration) + "/api/v1/query",
            params={"query": query},
            timeout=platform.HTTP_TIMEOUT,
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return [f"prometheus ({type(exc).__name__})"]
    up = {series["metric"]["job"] for series in response.json()["data"]["result"]}
    return sorted(expected - up)


def wait_until_recovered(
    timeout_s: float = 60.0, configuration: Configuration = None, secrets: Secrets = None
) -> float:
    """Wait until every component is ready and Prometheus sees every service up again.

    Returns the seconds it took; fails naming what is still down after ``timeout_s``.
    """
    started = time.monotonic()
    while True:
        components = _components(configuration)
        waiting = [f"{c['name']} ({c['state']})" for c in components if not c["ready"]]
        if not waiting:
            waiting = [f"{job} (not scraped up)" for job in _targets_down(configuration)]
        if not waiting:
            return round(time.monotonic() - started, 2)
        if time.monotonic() - started > timeout_s:
            raise ActivityFailed(f"not recovered after {timeout_s:g}s: {', '.join(waiting)}")
        time.sleep(POLL_S)


def route_faults(
    service: str, configuration: Configuration = None, secrets: Secrets = None
) -> list[dict[str, Any]]:
    """The fault rules a service applies right now."""
    response = platform.admin_request(configuration, service, "GET", "/admin/faults")
    rules: list[dict[str, Any]] = response.json()["rules"]
    return rules


def order_completes(
    timeout_s: float = 30.0, configuration: Configuration = None, secrets: Secrets = None
) -> str:
    """A new customer orders the best-stocked product; returns the order's final status.

    CONFIRMED means the whole saga works: gateway, users, products, orders, the broker,
    payments and the provider. PENDING means it did not finish within ``timeout_s``.
    """
    shopper = Shopper(platform.gateway_url(configuration))
    try:
        shopper.register_and_login()
        order_id = shopper.place_order(shopper.product_in_stock())
        return shopper.wait_terminal(order_id, timeout_s)
    except httpx.HTTPError as exc:
        raise ActivityFailed(f"order journey: {type(exc).__name__}: {exc}") from exc
    finally:
        shopper.close()
