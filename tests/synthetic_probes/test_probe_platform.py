"""Probe journeys against the real platform: they pass when it is healthy; with the
order-service stopped the checkout fails and the runner's metrics say where and why."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from harness.platform.control import ControlClient
from harness.platform.processes import free_ports
from harness.platform.supervisor import Platform
from synthetic_probes.runner import run_journey_once
from synthetic_probes.settings import DEFAULT_JOURNEYS_DIR

pytestmark = pytest.mark.slow


def eventually(condition: Callable[[], Any], within: float, step: float = 0.5) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            assert value, f"not true within {within}s"
            return value
        time.sleep(step)


def sample(metrics_text: str, name: str, **labels: str) -> float | None:
    for line in metrics_text.splitlines():
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] == name and all(f'{k}="{v}"' in head for k, v in labels.items()):
            return float(value)
    return None


@pytest.fixture
def fast_checkout_runner(local_platform: Platform, tmp_path: Path) -> Iterator[str]:
    """A second probe runner, checkout only, every 2 seconds: a real process, so the test
    need not wait for the platform runner's 30-second interval."""
    journey = yaml.safe_load((DEFAULT_JOURNEYS_DIR / "checkout.yaml").read_text())
    journey |= {"interval_seconds": 2, "timeout_seconds": 10}
    journey["steps"][-1]["until"]["within_seconds"] = 8
    (tmp_path / "checkout.yaml").write_text(yaml.safe_dump(journey))
    (port,) = free_ports(1)
    env = {
        **os.environ,
        "PROBES_PORT": str(port),
        "PROBES_GATEWAY_URL": local_platform.url("gateway"),
        "PROBES_JOURNEYS_DIR": str(tmp_path),
    }
    log = (tmp_path / "runner.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "synthetic_probes"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"{url}/readyz").status_code == 200
            except httpx.HTTPError:
                return False

        eventually(ready, within=30)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_platform_probe_runner_exports_journey_metrics(local_platform: Platform):
    url = local_platform.url("probe-runner")
    assert httpx.get(f"{url}/healthz").status_code == 200

    def browsed() -> str | None:
        text = httpx.get(f"{url}/metrics").text
        return text if sample(text, "probe_success", journey="browse") == 1 else None

    text = eventually(browsed, within=40)
    assert sample(text, "probe_runs_total", journey="browse", result="success")
    assert sample(text, "probe_duration_seconds_count", journey="browse", step="view-product")
    assert sample(text, "probe_runs_total", journey="checkout", result="failure") is not None


def test_checkout_journey_passes(local_platform: Platform):
    result = run_journey_once("checkout", local_platform.url("gateway"))
    assert result.ok, [step for step in result.steps if not step.ok]
    assert [step.status for step in result.steps] == [200, 200, 202, 200]
    assert result.cleanup == []  # the clean-up only runs after a failed run


def test_checkout_fails_while_order_service_is_stopped(
    local_platform: Platform, control: ControlClient, fast_checkout_runner: str
):
    def metrics() -> str:
        return httpx.get(f"{fast_checkout_runner}/metrics").text

    eventually(lambda: sample(metrics(), "probe_success", journey="checkout") == 1, within=30)
    control.stop("order-service")
    try:
        result = run_journey_once("checkout", local_platform.url("gateway"))
        assert not result.ok
        failure = result.failure
        assert failure is not None and failure.name == "place-order"
        assert failure.reason == "http_status" and failure.status is not None
        assert failure.status >= 500

        def failing() -> str | None:
            text = metrics()
            return text if sample(text, "probe_success", journey="checkout") == 0 else None

        text = eventually(failing, within=30)
        assert sample(text, "probe_runs_total", journey="checkout", result="failure")
        assert (
            sample(
                text,
                "probe_last_failure_info",
                journey="checkout",
                step="place-order",
                reason="http_status",
            )
            == 1
        )
    finally:
        control.start("order-service")
    assert control.component("order-service")["ready"]
    eventually(lambda: sample(metrics(), "probe_success", journey="checkout") == 1, within=45)
