"""The generated game rules in a real Prometheus: a total outage at the gateway pages.

The exporter below stands in for the gateway: it serves the contract's
`http_server_request_duration_seconds{service="gateway", ...}` histogram from its own
registry, and every request it records is a 5xx on GET /products/{product_id} (a total
outage of browsing). Prometheus scrapes it every second and evaluates the generated
game-profile rules; the test waits (at most 3 minutes) for the browse-availability page.
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, Histogram, start_http_server

from slo.generate import rule_files
from tests.waiting import answers, start_on_free_port, wait_until

pytestmark = pytest.mark.slow  # starts servers

PAGE_ALERT = "GatewayBrowseAvailabilityBudgetBurn"
DEADLINE_S = 180
REQUESTS_PER_SECOND = 20


@pytest.fixture
def outage_exporter() -> Iterator[int]:
    registry = CollectorRegistry()
    histogram = Histogram(
        "http_server_request_duration_seconds",
        "Gateway request duration (stand-in).",
        ["service", "route", "method", "status_class"],
        registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )
    failing = histogram.labels("gateway", "/products/{product_id}", "GET", "5xx")
    stop = threading.Event()

    def serve_errors() -> None:
        while not stop.wait(1 / REQUESTS_PER_SECOND):
            failing.observe(0.02)

    server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)  # the OS picks
    port = server.server_port
    worker = threading.Thread(target=serve_errors, daemon=True)
    worker.start()
    try:
        yield port
    finally:
        stop.set()
        worker.join(timeout=5)
        server.shutdown()
        server.server_close()


@pytest.fixture
def prometheus(tmp_path: Path, outage_exporter: int) -> Iterator[str]:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in rule_files("game")],
        "scrape_configs": [
            {
                "job_name": "gateway",
                "static_configs": [{"targets": [f"127.0.0.1:{outage_exporter}"]}],
            }
        ],
    }
    config_path = tmp_path / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    log_path = tmp_path / "prometheus.log"
    log = log_path.open("wb")

    def spawn(port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                "/usr/bin/prometheus",
                f"--config.file={config_path}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    process, port = start_on_free_port(
        spawn, lambda port: answers(f"http://127.0.0.1:{port}/-/ready"), log_path,
        what="Prometheus",
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local http)
        return json.load(response)


def alerts(base_url: str) -> list[dict[str, Any]]:
    try:
        return list(get(f"{base_url}/api/v1/alerts")["data"]["alerts"])
    except OSError:
        return []  # not listening yet


def test_total_outage_fires_the_page(prometheus: str, tmp_path: Path) -> None:
    def page_firing() -> list[dict[str, Any]]:
        firing = [a for a in alerts(prometheus) if a["state"] == "firing"]
        pages = [
            a for a in firing
            if a["labels"]["alertname"] == PAGE_ALERT and a["labels"]["severity"] == "page"
        ]  # fmt: skip
        return firing if pages else []

    firing = wait_until(
        page_firing, within=DEADLINE_S, interval=1, what=f"{PAGE_ALERT} firing as a page"
    )
    page = next(a for a in firing if a["labels"]["severity"] == "page")
    assert page["labels"]["slo_name"] == "browse-availability"
    assert page["labels"]["service"] == "gateway"
    assert page["annotations"]["runbook_url"].startswith("https://")
    # Only browsing failed: no other SLO of the gateway burns.
    assert {a["labels"].get("slo_name") for a in firing} <= {"browse-availability", None}
