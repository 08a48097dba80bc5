"""Chaos Toolkit probes: where the platform is, and whether it is healthy."""

import time
from typing import Any

import httpx
from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets
from prometheus_client.parser import text_string_to_metric_families

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


def _targets_down(configuration: Configuration | None, started_at: dict[str, float]) -> list[str]:
    """Service jobs without a successful scrape of their current process: a sample of
    ``up`` from before a restart says nothing about the process running now."""
    expected = set(platform.SERVICE_NAMES)
    selector = 'up{job=~"' + "|".join(sorted(expected)) + '"}'
    query = f"timestamp({selector}) and ({selector} == 1)"  # scrape times of the "up"s
    try:
        response = httpx.get(
            platform.prometheus_url(configuration) + "/api/v1/query",
            params={"query": query},
            timeout=platform.HTTP_TIMEOUT,
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return [f"prometheus ({type(exc).__name__})"]
    scraped = {
        series["metric"]["job"]: float(series["value"][1])
        for series in response.json()["data"]["result"]
    }
    return sorted(
        job for job in expected if job not in scraped or scraped[job] < started_at.get(job, 0.0)
    )


OPEN = 2  # circuit_breaker_state of a breaker that refuses calls


def _open_breakers(configuration: Configuration | None) -> list[str]:
    """Breakers that refuse calls right now, read from each service's own /metrics (a
    Prometheus scrape would lag). A component ready behind an open breaker is still an
    outage for its callers."""
    found = []
    for service in platform.SERVICE_NAMES:
        try:
            text = httpx.get(
                platform.url_of(configuration, service) + "/metrics", timeout=platform.HTTP_TIMEOUT
            ).text
        except httpx.HTTPError as exc:
            found.append(f"{service} metrics ({type(exc).__name__})")
            continue
        for family in text_string_to_metric_families(text):
            if family.name != "circuit_breaker_state":
                continue
            found += [
                f"{service} -> {s.labels.get('peer')} (breaker open)"
                for s in family.samples
                if s.value >= OPEN
            ]
    return found


def wait_until_recovered(
    timeout_s: float = 60.0, configuration: Configuration = None, secrets: Secrets = None
) -> float:
    """Wait until every component is ready, Prometheus sees every service up again and
    no circuit breaker refuses calls.

    Returns the seconds it took; fails naming what is still down after ``timeout_s``.
    """
    started = time.monotonic()
    while True:
        components = _components(configuration)
        waiting = [f"{c['name']} ({c['state']})" for c in components if not c["ready"]]
        if not waiting:
            started_at = {c["name"]: c.get("started_at") or 0.0 for c in components}
            waiting = [
                f"{job} (not scraped up since its start)"
                for job in _targets_down(configuration, started_at)
            ]
        if not waiting:
            waiting = _open_breakers(configuration)
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
