"""Render the commerce-platform chart with Helm's own engine (the helm-python-sdk wheel).

No cluster exists here: the chart is linted, rendered offline and schema-validated.
Golden snapshots live in tests/helm/golden/; refresh them with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/helm``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
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


@pytest.fixture(scope="session")
def fixture_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the chart whose generated files are the test fixtures (stable goldens)."""
    copy = tmp_path_factory.mktemp("chart") / "commerce-platform"
    shutil.copytree(CHART, copy, ignore=shutil.ignore_patterns("files"))
    shutil.copytree(FIXTURES, copy / "files")
    return copy


@pytest.fixture(scope="session")
def render_raw(fixture_chart: Path) -> Callable[[dict[str, Any] | None], dict[str, str]]:
    chart = helm.Chart.load(fixture_chart)

    def render(values: dict[str, Any] | None) -> dict[str, str]:
        return chart.render(values=values, name=RELEASE, namespace=NAMESPACE, is_install=True)

    return render


@pytest.fixture(scope="session")
def render(render_raw: Callable[[dict[str, Any] | None], dict[str, str]]) -> Render:
    cache: dict[str, list[Manifest]] = {}

    def rendered_objects(values: dict[str, Any] | None) -> list[Manifest]:
        key = yaml.safe_dump(values)
        if key not in cache:
            cache[key] = parse_manifests(render_raw(values))
        return cache[key]

    return rendered_objects


@pytest.fixture(scope="session")
def manifests_of() -> Callable[[dict[str, str]], list[Manifest]]:
    return parse_manifests
