"""Shared settings of the chart tests: paths, the release, and the value switches rendered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "commerce-platform"
HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
RELEASE = "shop"
NAMESPACE = "commerce"
KUBE_VERSION = "1.31.0"

# Every switch of the chart, each rendered, validated and snapshotted.
SCENARIOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "dependencies": {"postgresql": {"enabled": True}, "kafka": {"enabled": True}},
    "harness": {
        "harness": {"locust": {"enabled": True}, "chaos": {"enabled": True}},
        "monitoring": {"alertmanagerConfig": {"enabled": True}},
    },
    "chaos-scheduled": {
        "harness": {
            "chaos": {
                "enabled": True,
                "schedule": "0 3 * * *",
                "experiments": ["pod-kill.json", "scale-down.json"],
            }
        }
    },
    "existing-secrets": {
        "auth": {"existingSecret": "platform-auth", "existingSecretKey": "token"},
        "postgresql": {
            "auth": {"existingSecret": "platform-db", "secretKeys": {"userPasswordKey": "pw"}}
        },
        "rateLimit": {
            "storage": {"existingSecret": "platform-rate-limit", "existingSecretKey": "redis-url"}
        },
    },
    "external-rate-limit-store": {
        "rateLimit": {"storage": {"url": "rediss://:s3cret@counts.internal:6380/2", "port": 6380}},
        "networkPolicy": {"rateLimitStoreTo": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]},
    },
}

Manifest = dict[str, Any]
Render = Callable[[dict[str, Any] | None], list[Manifest]]


def parse_manifests(rendered: dict[str, str]) -> list[Manifest]:
    """Every object of a render, in template then document order."""
    objects: list[Manifest] = []
    for template in sorted(rendered):
        if template.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(rendered[template]) if doc)
    return objects
