"""Probe journeys against the real platform: they pass when it is healthy; with the
order-service stopped the checkout fails and the runner's metrics say where and why."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from harness.platform.control import ControlClient
from harness.platform.supervisor import Platform
from synthetic_probes.runner import run_journey_once
from synthetic_probes.settings import DEFAULT_JOURNEYS_DIR
from tests.waiting import answers, start_on_free_port, wait_until

pytestmark = pytest.mark.slow


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
    log_path = tmp_path / "runner.log"
    log = log_path.open("wb")

    def spawn(port: int) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "PROBES_PORT": str(port),
            "PROBES_GATEWAY_URL": local_platform.url("gateway"),
            "PROBES_JOURNEYS_DIR": str(tmp_path),
        }
        command = [sys.executable, "-m", "synthetic_probes"]
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    process, port = start_on_free_port(
        spawn, lambda port: answers(f"http://127.0.0.1:{port}/readyz"), log_path,
        what="second probe runner",
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
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

    text = wait_until(browsed, within=40, what="a successful browse journey in the metrics")
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

    def checkout_succeeds() -> bool:
        return sample(metrics(), "probe_success", journey="checkout") == 1

    wait_until(checkout_succeeds, within=30, what="a successful checkout journey")
    control.stop("order-service")
    try:
        result = run_journey_once("checkout", local_platform.url("gateway"))
        assert not result.ok
        failure = result.failure
        assert failure is not None and failure.name == "place-order", result.steps
        assert failure.reason == "http_status" and failure.status is not None
        assert failure.status >= 500

        # A journey already past place-order when the service stopped fails at a later
        # step (its wait for CONFIRMED): wait for a run that started after the stop.
        def failed_at_place_order() -> str | None:
            text = metrics()
            info = sample(
                text, "probe_last_failure_info",
                journey="checkout", step="place-order", reason="http_status",
            )  # fmt: skip
            return text if info == 1 else None

        text = wait_until(
            failed_at_place_order, within=30,
            what="probe_last_failure_info{step=place-order, reason=http_status} == 1",
        )  # fmt: skip
        assert sample(text, "probe_success", journey="checkout") == 0
        assert sample(text, "probe_runs_total", journey="checkout", result="failure")
    finally:
        control.start("order-service")
    assert control.component("order-service")["ready"]
    wait_until(checkout_succeeds, within=45, what="checkout succeeding again after the restart")
