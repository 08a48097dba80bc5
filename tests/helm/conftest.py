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
from helm_render import CHART, FIXTURES, NAMESPACE, RELEASE, Manifest, Render, parse_manifests


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
