"""The whole platform, real components on free ports, shared by the session."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from harness.platform.control import ControlClient, ControlError
from harness.platform.seed import demo_products, seed
from harness.platform.supervisor import Platform
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

EVERY_COMPONENT = {
    "postgres", "kafka", "gateway", "user-service", "product-service", "order-service",
    "payment-service", "payment-provider", "prometheus", "alertmanager",
}  # fmt: skip


def test_every_component_is_ready(control: ControlClient):
    rows = {row["name"]: row for row in control.list()}
    assert set(rows) >= EVERY_COMPONENT
    assert [name for name, row in rows.items() if not row["ready"]] == []
    assert all(row["pid"] for row in rows.values())


def test_prometheus_scrapes_every_target_healthy(local_platform: Platform):
    prometheus = local_platform.url("prometheus")
    expected = EVERY_COMPONENT - {"postgres", "kafka"} | {"harness"}

    def healthy_jobs() -> set[str] | None:
        targets = httpx.get(f"{prometheus}/api/v1/targets").json()["data"]["activeTargets"]
        jobs = {t["labels"]["job"]: t["health"] for t in targets}
        return set(jobs) if set(jobs) >= expected and set(jobs.values()) == {"up"} else None

    wait_until(healthy_jobs, within=30, what="every scrape target healthy")

    def up_everywhere() -> bool:
        result = httpx.get(f"{prometheus}/api/v1/query", params={"query": "up"}).json()
        values = {s["metric"]["job"]: s["value"][1] for s in result["data"]["result"]}
        return set(values) >= expected and set(values.values()) == {"1"}

    wait_until(up_everywhere, within=15, what="up == 1 for every job")


def test_killed_service_is_restarted_and_counted(local_platform: Platform, control: ControlClient):
    before = control.component("payment-provider")
    control.kill("payment-provider")
    restarted = before["restarts"] + 1  # the platform is shared: count from here
    after = wait_until(
        lambda: (
            row
            if (row := control.component("payment-provider"))["ready"]
            and row["restarts"] == restarted
            else None
        ),
        within=30,
        what="payment-provider restarted once and ready",
    )
    assert after["pid"] != before["pid"]
    assert httpx.get(local_platform.url("payment-provider") + "/readyz").status_code == 200
    metrics = httpx.get(local_platform.control_url + "/metrics").text
    assert (
        f'harness_component_restarts_total{{component="payment-provider"}} {restarted}.0' in metrics
    )
    assert 'harness_component_up{component="payment-provider"} 1.0' in metrics
    topology = json.loads((local_platform.run_dir / "topology.json").read_text())
    pids = {c["name"]: c["pid"] for c in topology["components"]}
    assert pids["payment-provider"] == after["pid"]


def test_paused_component_is_down_until_resumed(local_platform: Platform, control: ControlClient):
    paused = control.pause("payment-provider")
    try:
        assert paused["state"] == "paused"
        with pytest.raises(httpx.TimeoutException):
            httpx.get(local_platform.url("payment-provider") + "/healthz", timeout=0.5)
        metrics = httpx.get(local_platform.control_url + "/metrics").text
        assert 'harness_component_up{component="payment-provider"} 0.0' in metrics
    finally:
        control.resume("payment-provider")
    assert httpx.get(local_platform.url("payment-provider") + "/healthz").status_code == 200
    with pytest.raises(ControlError, match="not paused"):
        control.resume("payment-provider")


def test_alert_sent_to_alertmanager_reaches_the_harness_receiver(
    local_platform: Platform, control: ControlClient
):
    marker = f"HarnessReceiverCheck{uuid.uuid4().hex[:8]}"
    # Routed like a page for the gateway: the quickest route of the generated config too.
    alert = {
        "labels": {"alertname": marker, "severity": "page", "service": "gateway"},
        "annotations": {"summary": "receiver round trip"},
    }
    response = httpx.post(local_platform.url("alertmanager") + "/api/v2/alerts", json=[alert])
    assert response.status_code == 200

    def received() -> list[dict[str, Any]]:
        return [a for a in control.alerts() if a["labels"].get("alertname") == marker]

    records = wait_until(received, within=40, interval=0.5, what=f"{marker} at the receiver")
    assert records[0]["status"] == "firing"
    assert records[0]["labels"]["severity"] == "page"
    lines = (local_platform.run_dir / "alerts.jsonl").read_text().splitlines()
    assert any(json.loads(line)["labels"].get("alertname") == marker for line in lines)


def test_demo_catalog_is_seeded_once(local_platform: Platform):
    gateway = local_platform.url("gateway")
    total = httpx.get(f"{gateway}/products", params={"limit": 1}).json()["total"]
    assert total >= len(demo_products())
    again = seed(gateway, "admin@example.com", "admin-password")
    assert again.created == 0 and again.existing == len(demo_products())
    assert httpx.get(f"{gateway}/products", params={"limit": 1}).json()["total"] == total


def test_run_directory_describes_the_run(local_platform: Platform):
    run_dir = local_platform.run_dir
    topology = json.loads((run_dir / "topology.json").read_text())
    assert {c["name"] for c in topology["components"]} >= EVERY_COMPONENT
    kafka_address = topology["facts"]["kafka_bootstrap"]
    order = next(c for c in topology["components"] if c["name"] == "order-service")
    assert order["env"]["KAFKA_BOOTSTRAP_SERVERS"] == kafka_address
    for name in EVERY_COMPONENT:
        assert (run_dir / "logs" / f"{name}.log").exists()
    assert (run_dir / "prometheus.yml").exists() and (run_dir / "alertmanager.yml").exists()
