"""Chaos Toolkit actions: break the local platform, and repair it.

Component actions go through the supervisor's control API; route faults and the
payment provider's behaviour through the services' admin endpoints. Every repair action
is idempotent, so rollbacks may run it whatever state the method left behind.
"""

import threading
import time
from typing import Any

import httpx
from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from chaos_experiments.extension import platform
from chaos_experiments.extension.probes import wait_until_recovered
from chaos_experiments.extension.shop import Shopper
from harness.platform.control import ControlError

__all__ = [
    "clear_all_faults",
    "clear_route_faults",
    "drive_traffic",
    "inject_route_fault",
    "kill_component",
    "make_payment_provider_decline",
    "make_payment_provider_fail",
    "make_payment_provider_slow",
    "make_payment_provider_unreachable",
    "pause_broker",
    "pause_component",
    "restore_platform",
    "resume_broker",
    "resume_component",
    "start_broker",
    "start_component",
    "start_database",
    "stop_broker",
    "stop_component",
    "stop_database",
]

# Set when the operator stops a run (Ctrl-C, SIGTERM): background traffic ends at once
# instead of holding the rollbacks back until its duration is over.
_STOP_TRAFFIC = threading.Event()


def stop_background_traffic() -> None:
    """End every running ``drive_traffic`` now (the runner calls it on an interrupt)."""
    _STOP_TRAFFIC.set()


def allow_background_traffic() -> None:
    """Let ``drive_traffic`` run again (at the start of each experiment run)."""
    _STOP_TRAFFIC.clear()


BROKER = "kafka"
DATABASE = "postgres"
PROVIDER = "payment-provider"


def _act(configuration: Configuration | None, name: str, action: str) -> dict[str, Any]:
    with platform.control_client(configuration) as client:
        try:
            result: dict[str, Any] = getattr(client, action)(name)
        except ControlError as exc:
            raise ActivityFailed(str(exc)) from exc
    return result


def kill_component(
    name: str, configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """SIGKILL a component; the supervisor's restart policy brings it back."""
    return _act(configuration, name, "kill")


def stop_component(
    name: str, configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """Stop a component and keep it stopped until `start_component`."""
    return _act(configuration, name, "stop")


def start_component(
    name: str, configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """Start a stopped component and wait until it is ready."""
    return _act(configuration, name, "start")


def pause_component(
    name: str, configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """SIGSTOP a component: it hangs but keeps its port."""
    return _act(configuration, name, "pause")


def resume_component(
    name: str, configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """SIGCONT a paused component."""
    return _act(configuration, name, "resume")


def stop_database(configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Stop PostgreSQL (every service loses its database)."""
    return _act(configuration, DATABASE, "stop")


def start_database(configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Start PostgreSQL again and wait until it accepts connections."""
    return _act(configuration, DATABASE, "start")


def stop_broker(configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Stop the dev Kafka broker. It comes back on a new port, which restarts its clients."""
    return _act(configuration, BROKER, "stop")


def start_broker(configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Start the dev Kafka broker again."""
    return _act(configuration, BROKER, "start")


def pause_broker(configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Freeze the dev Kafka broker: connections hang, the port stays (a broker outage)."""
    return _act(configuration, BROKER, "pause")


def resume_broker(configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Unfreeze the dev Kafka broker."""
    return _act(configuration, BROKER, "resume")


def _rules(configuration: Configuration | None, service: str) -> list[dict[str, Any]]:
    response = platform.admin_request(configuration, service, "GET", "/admin/faults")
    rules: list[dict[str, Any]] = response.json()["rules"]
    return rules


def inject_route_fault(
    service: str,
    route: str,
    latency_ms: int = 0,
    error_rate: float = 0.0,
    error_status: int = 503,
    method: str = "*",
    expires_in_s: float = 0.0,
    configuration: Configuration = None,
    secrets: Secrets = None,
) -> list[dict[str, Any]]:
    """Add latency and/or an error rate on a route glob (``/products*``) of one service.

    ``expires_in_s`` > 0 makes the service drop the rule by itself: a fault that cannot
    outlive the experiment even if everything else fails. Returns the service's rules.
    """
    rule = {
        "route": route,
        "method": method,
        "latency_ms": latency_ms,
        "error_rate": error_rate,
        "error_status": error_status,
        "expires_in_s": expires_in_s or None,
    }
    rules = [*_rules(configuration, service), rule]
    response = platform.admin_request(
        configuration, service, "PUT", "/admin/faults", {"rules": rules}
    )
    result: list[dict[str, Any]] = response.json()["rules"]
    return result


def clear_route_faults(
    service: str, configuration: Configuration = None, secrets: Secrets = None
) -> bool:
    """Remove every fault rule of one service."""
    platform.admin_request(configuration, service, "DELETE", "/admin/faults")
    return True


def clear_all_faults(configuration: Configuration = None, secrets: Secrets = None) -> list[str]:
    """Remove the fault rules of every service that answers, and reset the provider.

    A service that does not answer is skipped: when it restarts it has no faults.
    Returns the services cleared.
    """
    cleared = []
    for service in platform.SERVICE_NAMES:
        try:
            platform.admin_request(configuration, service, "DELETE", "/admin/faults")
            if service == PROVIDER:
                platform.admin_request(
                    configuration, PROVIDER, "PUT", "/admin/behaviour", {"decline_rate": 0.0}
                )
        except ActivityFailed:
            continue
        cleared.append(service)
    return cleared


def make_payment_provider_slow(
    latency_ms: int,
    expires_in_s: float = 0.0,
    configuration: Configuration = None,
    secrets: Secrets = None,
) -> list[dict[str, Any]]:
    """Delay every charge by ``latency_ms``."""
    return inject_route_fault(
        PROVIDER, "/charges*", latency_ms=latency_ms, expires_in_s=expires_in_s,
        configuration=configuration,
    )  # fmt: skip


def make_payment_provider_fail(
    error_rate: float,
    error_status: int = 503,
    expires_in_s: float = 0.0,
    configuration: Configuration = None,
    secrets: Secrets = None,
) -> list[dict[str, Any]]:
    """Fail a share of charges with ``error_status``."""
    return inject_route_fault(
        PROVIDER, "/charges*", error_rate=error_rate, error_status=error_status,
        expires_in_s=expires_in_s, configuration=configuration,
    )  # fmt: skip


def make_payment_provider_decline(
    decline_rate: float, configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """Decline a share of cards (a business failure, not an outage)."""
    response = platform.admin_request(
        configuration, PROVIDER, "PUT", "/admin/behaviour", {"decline_rate": decline_rate}
    )
    result: dict[str, Any] = response.json()
    return result


def make_payment_provider_unreachable(
    configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """Stop the payment provider: charges get connection errors until it starts again."""
    return _act(configuration, PROVIDER, "stop")


def restore_platform(
    timeout_s: float = 60.0, configuration: Configuration = None, secrets: Secrets = None
) -> dict[str, Any]:
    """The rollback for every experiment: whatever was broken, repair it.

    Resumes paused components, starts stopped ones, clears every fault rule and the
    provider's decline rate, then waits until all components are ready.
    """
    repaired = []
    with platform.control_client(configuration) as client:
        try:
            for component in client.list():
                if component["state"] == "paused":
                    client.resume(component["name"])
                    repaired.append(f"resumed {component['name']}")
                elif component["state"] in ("stopped", "failed"):
                    client.start(component["name"])
                    repaired.append(f"started {component['name']}")
        except ControlError as exc:
            raise ActivityFailed(str(exc)) from exc
    seconds = wait_until_recovered(timeout_s, configuration=configuration)
    cleared = clear_all_faults(configuration=configuration)
    return {"repaired": repaired, "faults_cleared": cleared, "ready_after_s": seconds}


def drive_traffic(
    duration_s: float,
    browsers: int = 1,
    order_every_s: float = 0.0,
    browse_every_s: float = 0.25,
    configuration: Configuration = None,
    secrets: Secrets = None,
) -> dict[str, int]:
    """Keep the platform under light load through the gateway for ``duration_s``.

    ``browsers`` threads list products every ``browse_every_s``; with ``order_every_s``
    > 0 one more thread places an order that often. Run it as a background activity so
    the fault lands under load (light on purpose: in a game, Locust is the load; this only
    makes sure a fault meets requests). Returns request counts by outcome: ok, error
    (4xx/5xx) and unreachable.
    """
    base = platform.gateway_url(configuration)
    counts = {"ok": 0, "error": 0, "unreachable": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + duration_s

    def count(outcome: str) -> None:
        with lock:
            counts[outcome] += 1

    def browse() -> None:
        with httpx.Client(base_url=base, timeout=2.0) as http:
            while time.monotonic() < deadline and not _STOP_TRAFFIC.is_set():
                try:
                    response = http.get("/products", params={"limit": 5})
                    count("ok" if response.status_code < 400 else "error")
                except httpx.HTTPError:
                    count("unreachable")
                _STOP_TRAFFIC.wait(browse_every_s)

    def order() -> None:
        shopper = Shopper(base, timeout=2.0)
        try:
            shopper.register_and_login()
            product = shopper.product_in_stock()
            while time.monotonic() < deadline and not _STOP_TRAFFIC.is_set():
                try:
                    shopper.place_order(product)
                    count("ok")
                except ActivityFailed:
                    count("error")
                except httpx.HTTPError:
                    count("unreachable")
                _STOP_TRAFFIC.wait(order_every_s)
        except (ActivityFailed, httpx.HTTPError):
            count("error")  # could not even start shopping: the platform was already down
        finally:
            shopper.close()

    workers = [threading.Thread(target=browse, daemon=True) for _ in range(browsers)]
    if order_every_s > 0:
        workers.append(threading.Thread(target=order, daemon=True))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(duration_s + 10)
    return counts
