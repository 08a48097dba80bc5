"""Prometheus and Alertmanager (Debian packages): their commands and generated config.

Configuration is rendered into the run directory. Rule files come from the SLO and
alert generators (``slo/generated``, ``alerts/generated``; their ``game/`` variants for
the game-day profile), and Alertmanager uses the generated routing when present, with
its webhook receivers pointed at the harness' own alert receiver.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from harness.platform.topology import Topology

SCRAPE_INTERVAL = "5s"  # game days need quick signals; also the rule evaluation interval
PROMETHEUS_BIN = "prometheus"
ALERTMANAGER_BIN = "prometheus-alertmanager"
DEBIAN_PACKAGES = ("prometheus", "prometheus-alertmanager")


class MissingBinaries(Exception):
    """Prometheus or Alertmanager is not installed and could not be installed."""


def missing_binaries() -> list[str]:
    return [name for name in (PROMETHEUS_BIN, ALERTMANAGER_BIN) if shutil.which(name) is None]


def prometheus_command(run_dir: Path, port: int) -> tuple[str, ...]:
    return (
        PROMETHEUS_BIN,
        f"--config.file={run_dir / 'prometheus.yml'}",
        f"--storage.tsdb.path={run_dir / 'prometheus-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--enable-feature=exemplar-storage",
        "--web.enable-lifecycle",  # POST /-/reload after regenerating rules
        "--storage.tsdb.retention.time=2d",
    )


def alertmanager_command(run_dir: Path, port: int) -> tuple[str, ...]:
    return (
        ALERTMANAGER_BIN,
        f"--config.file={run_dir / 'alertmanager.yml'}",
        f"--storage.path={run_dir / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # a single instance: no gossip port
    )


def rule_globs(project_root: Path, profile: str) -> list[str]:
    """Rule file globs for every generated folder that exists."""
    globs = []
    for folder in ("slo/generated", "alerts/generated"):
        directory = project_root / folder
        if profile == "game":
            directory = directory / "game"
        if directory.is_dir():
            globs.append(str(directory / "*.yaml"))
    return globs


def prometheus_config(
    scrape_targets: Iterable[tuple[str, int, str]],
    alertmanager_port: int | None,
    rule_files: list[str],
) -> dict[str, Any]:
    """``scrape_targets``: (job, port, metrics path); the job is the component name."""
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "evaluation_interval": SCRAPE_INTERVAL,
            "external_labels": {"platform": "local"},
        },
        "rule_files": rule_files,
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": path,
                "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
            }
            for job, port, path in scrape_targets
        ],
    }
    if alertmanager_port is not None:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]
        }
    return config


def builtin_alertmanager_config(receiver_url: str) -> dict[str, Any]:
    """Everything to the harness receiver, quickly: game days measure time to detect."""
    return {
        "route": {
            "receiver": "harness",
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "5s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {"name": "harness", "webhook_configs": [{"url": receiver_url, "send_resolved": True}]}
        ],
    }


def alertmanager_config(
    project_root: Path, receiver_url: str, profile: str = "default"
) -> dict[str, Any]:
    generated = project_root / "alerts" / "generated"
    if profile == "game":
        generated = generated / "game"
    generated = generated / "alertmanager.yml"
    if not generated.exists():
        return builtin_alertmanager_config(receiver_url)
    config = yaml.safe_load(generated.read_text()) or {}
    for receiver in config.get("receivers") or []:
        for webhook in receiver.get("webhook_configs") or []:
            webhook["url"] = receiver_url
    return config


def write_yaml(path: Path, document: dict[str, Any], source: str) -> None:
    header = f"# rendered by the harness for this run ({source}); edits are overwritten\n"
    path.write_text(header + yaml.safe_dump(document, sort_keys=False))


def write_prometheus_config(topology: Topology) -> None:
    """Scrape every component with metrics, the harness itself and Prometheus."""
    targets = [(c.name, c.port, c.metrics_path) for c in topology.components]
    scraped = [(job, port, path) for job, port, path in targets if port and path]
    scraped.append(("harness", topology.control_port, "/metrics"))
    names = {c.name for c in topology.components}
    alertmanager_port = topology.ports["alertmanager"] if "alertmanager" in names else None
    rules = rule_globs(topology.project_root, topology.profile)
    config = prometheus_config(scraped, alertmanager_port, rules)
    write_yaml(topology.run_dir / "prometheus.yml", config, f"profile {topology.profile}")


def write_alertmanager_config(topology: Topology) -> None:
    config = alertmanager_config(topology.project_root, topology.receiver_url, topology.profile)
    write_yaml(topology.run_dir / "alertmanager.yml", config, f"receiver {topology.receiver_url}")


def install_command() -> list[str] | None:
    """How to install what is missing here, if we can (root with apt-get)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    return ["apt-get", "install", "-y", "--no-install-recommends", *DEBIAN_PACKAGES]


def ensure_binaries() -> None:
    """Install Prometheus and Alertmanager with apt-get when missing and possible."""
    if not missing_binaries():
        return
    command = install_command()
    if command is not None:
        subprocess.run(command, check=False, capture_output=True)
    still_missing = missing_binaries()
    if still_missing:
        raise MissingBinaries(
            f"{', '.join(still_missing)} not found: install the Debian packages "
            f"{' '.join(DEBIAN_PACKAGES)} (apt-get install {' '.join(DEBIAN_PACKAGES)})"
        )
