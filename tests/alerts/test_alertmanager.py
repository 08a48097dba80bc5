"""Alertmanager config: routing and inhibition checked with amtool against the real config."""

from __future__ import annotations

import subprocess

import yaml

from alerts.alertmanager import DEFAULT_WEBHOOK_URL
from slo.generate import alertmanager_path


def route(*labels: str) -> str:
    result = subprocess.run(
        ["amtool", "config", "routes", "test", "--config.file", str(alertmanager_path()), *labels],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_routes_by_service() -> None:
    assert route("service=gateway", "severity=page") == "harness-gateway"
    assert route("service=order-service", "severity=ticket") == "harness-order-service"
    assert route("service=unknown") == "harness"


def test_page_of_an_slo_inhibits_its_ticket_only() -> None:
    config = yaml.safe_load(alertmanager_path().read_text())
    (rule,) = config["inhibit_rules"]
    assert rule["equal"] == ["slo_service", "slo_name"]
    assert 'severity="ticket"' in rule["target_matchers"]
    assert 'slo_name=~".+"' in rule["target_matchers"]  # symptom tickets are not inhibited


def test_every_receiver_posts_to_the_harness_webhook() -> None:
    config = yaml.safe_load(alertmanager_path().read_text())
    urls = {hook["url"] for r in config["receivers"] for hook in r["webhook_configs"]}
    assert urls == {DEFAULT_WEBHOOK_URL}
